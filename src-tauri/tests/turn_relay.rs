//! Sessions through a real TURN relay: Debian's coturn on loopback, with
//! the desk handing out REST credentials made from the secret they share.
//! Both apps allow relayed candidates only (`LIFELINE_ICE_RELAY_ONLY`), so
//! nothing can go directly: the session connects, chat crosses, and the
//! path both sides report is relayed, over UDP; over TCP through an
//! authenticating HTTP proxy (tinyproxy), as behind a corporate firewall;
//! and over TLS to a server whose key is pinned. The desk's record of each
//! session keeps the path each side reported.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::coturn::{Coturn, TURN_SECRET};
use common::proxies::tinyproxy;
use common::{
    PatternScreen, chat_round_trip, establish, pattern_backends, start_desk_with, wait_for,
};
use lifeline_lib::desk::link;
use lifeline_lib::desk::proxy::{Credentials, Proxy, ProxyKind, Route};
use lifeline_lib::desk::tls::ServerPin;
use lifeline_lib::media::sink::NoSink;
use lifeline_lib::peer::PeerSettings;
use lifeline_lib::peer::path::Reach;
use lifeline_lib::session::engine::{self, SessionHandle};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_signaling::protocol::Role;
use rcgen::PublicKeyData;

fn relayed_side(url: &str, role: Role, base: &PeerSettings) -> (link::DeskLink, SessionHandle) {
    let (link, events) = link::spawn(url.to_owned(), role);
    let settings = PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        relay_only: true,
        ..base.clone()
    };
    let backends = pattern_backends(&PatternScreen::moving(false), Arc::new(NoSink));
    let session = engine::spawn(role, link.client(), events, settings, backends);
    (link, session)
}

/// A session between two relay-only sides through the desk handing out
/// `turn_url`; returns the relay protocol both sides report.
async fn relayed_session(turn_url: String, base: PeerSettings) -> String {
    let (dir, url, _stop, _server) = start_desk_with(|config| {
        config.ice.turn_urls = vec![turn_url];
        config.ice.turn_secret = Some(TURN_SECRET.into());
        config.ice.turn_ttl = Duration::from_secs(3600);
    })
    .await;
    let (client_link, client) = relayed_side(&url, Role::Client, &base);
    let (expert_link, expert) = relayed_side(&url, Role::Expert, &base);
    let view = Scopes::NONE.with(Scope::View);
    establish(&client_link, &client, &expert_link, &expert, view, view).await;
    chat_round_trip(&expert, &client).await;
    let mut protocols = Vec::new();
    for (side, name) in [(&expert, "expert"), (&client, "client")] {
        let path = wait_for(&mut side.subscribe(), "the chosen path", |v| {
            v.path.is_some()
        })
        .await
        .path
        .unwrap();
        assert!(path.relayed(), "{name}: {path:?}");
        assert_eq!(path.local, Reach::Relay, "{name}: {path:?}");
        protocols.push(path.relay_protocol.unwrap_or_default());
    }
    assert_eq!(protocols[0], protocols[1], "the two sides differ");
    // The desk's record keeps each side's path.
    let database = format!("sqlite://{}", dir.path().join("desk.db").display());
    let pool = lifeline_signaling::db::open(&database).await.unwrap();
    let want = Some(format!("relay/{}", protocols[0]));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rows = lifeline_signaling::records::list(&pool, 0, i64::MAX, None)
            .await
            .unwrap();
        if rows[0].expert_path == want && rows[0].client_path == want {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the record's paths are not {want:?}: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    protocols.remove(0)
}

fn allocations(coturn: &Coturn) -> usize {
    coturn.log().matches("ALLOCATE").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_goes_through_the_relay_when_nothing_goes_directly() {
    let dir = tempfile::tempdir().unwrap();
    let coturn = Coturn::start(dir.path());
    let turn = format!("turn:127.0.0.1:{}?transport=udp", coturn.port);
    assert_eq!(relayed_session(turn, PeerSettings::default()).await, "udp");
    assert!(allocations(&coturn) >= 2, "{}", coturn.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_turn_goes_over_tcp_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let coturn = Coturn::start(dir.path());
    let proxy = tinyproxy(dir.path());
    let through = Route::Through(Proxy {
        kind: ProxyKind::Http,
        host: "127.0.0.1".into(),
        port: proxy.port,
        credentials: Some(Credentials::new("ann", "s3cret", "")),
    });
    let base = PeerSettings {
        turn_route: through,
        ..PeerSettings::default()
    };
    let turn = format!("turn:127.0.0.1:{}?transport=tcp", coturn.port);
    assert_eq!(relayed_session(turn, base).await, "tcp");
    let log = std::fs::read_to_string(dir.path().join("tinyproxy.log")).unwrap();
    let target = format!("127.0.0.1:{}", coturn.port);
    assert!(
        log.lines()
            .filter(|l| l.contains("CONNECT") && l.contains(&target))
            .count()
            >= 2,
        "the proxy carried no TURN connection to {target}:\n{log}"
    );
    assert!(coturn.log().contains("TCP"), "{}", coturn.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_over_tls_reaches_a_server_by_its_pinned_key() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.path().join("turn.pem"), dir.path().join("turn.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();

    let coturn = Coturn::start_with(dir.path(), Some((&cert, &key)));
    let pin = ServerPin::of_public_key(&certified.signing_key.subject_public_key_info());
    let base = PeerSettings {
        turn_tls: lifeline_lib::desk::tls::client_config(Some(pin)),
        ..PeerSettings::default()
    };
    let turn = format!("turns:127.0.0.1:{}", coturn.tls_port.unwrap());
    assert_eq!(relayed_session(turn, base).await, "tls");
    assert!(coturn.log().contains("TLS"), "{}", coturn.log());
}
