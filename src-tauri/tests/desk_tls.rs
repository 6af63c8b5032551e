//! The desk over TLS, and server pinning: the real signaling server behind
//! a TLS endpoint with a self-signed certificate. With the key's
//! verification code the app links up; with another code, or with no code
//! (public CAs only), it refuses the server and says why.

mod common;

use std::sync::Arc;

use common::{start_desk, wait_for};
use lifeline_lib::desk::DeskStatus;
use lifeline_lib::desk::link;
use lifeline_lib::desk::tls::ServerPin;
use lifeline_signaling::protocol::Role;
use rcgen::PublicKeyData;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS endpoint for `localhost` in front of the desk at `plain` (ws://);
/// returns its wss:// URL and its key's verification code.
async fn tls_in_front_of(plain: &str) -> (String, ServerPin) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let pin = ServerPin::of_public_key(&certified.signing_key.subject_public_key_info());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let upstream = plain
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return; // the app refused us: nothing to relay
                };
                let mut desk = tokio::net::TcpStream::connect(upstream).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut desk).await;
            });
        }
    });
    (format!("wss://localhost:{port}/ws"), pin)
}

async fn outcome(url: &str, pin: Option<ServerPin>) -> DeskStatus {
    let (link, _events) = link::spawn_with(
        url.to_owned(),
        Role::Client,
        pin,
        lifeline_lib::desk::proxy::Route::System,
        None,
    );
    wait_for(&mut link.subscribe(), "the link's verdict", |status| {
        matches!(status, DeskStatus::Connected | DeskStatus::Offline { .. })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_pinned_key_is_trusted() {
    let (_desk_dir, plain, _stop, _server) = start_desk().await;
    let (url, pin) = tls_in_front_of(&plain).await;

    assert_eq!(outcome(&url, Some(pin)).await, DeskStatus::Connected);

    let other: ServerPin = "00".repeat(32).parse().unwrap();
    match outcome(&url, Some(other)).await {
        DeskStatus::Offline { reason, .. } => {
            assert!(reason.contains("verification code"), "{reason}")
        }
        other => panic!("a wrong code was accepted: {other:?}"),
    }

    // With no code, only public CAs count: a self-signed desk is refused.
    match outcome(&url, None).await {
        DeskStatus::Offline { reason, .. } => {
            assert!(reason.to_lowercase().contains("certificate"), "{reason}")
        }
        other => panic!("a self-signed desk was accepted: {other:?}"),
    }
}
