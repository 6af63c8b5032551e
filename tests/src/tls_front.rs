//! A TLS endpoint with a self-signed certificate for `localhost` in front
//! of a desk, as a desk's reverse proxy would be: it relays raw TCP, so the
//! desk's WebSocket and its pages both go through. Its key's verification
//! code is what a desk file or a link pins; it counts the handshakes that
//! got through, so a test knows the app came this way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::PublicKeyData;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct TlsFront {
    port: u16,
    pin: String,
    handshakes: Arc<AtomicUsize>,
    /// Until [`relay_to`](Self::relay_to): the key and the listener.
    waiting: Option<(TlsAcceptor, TcpListener)>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TlsFront {
    /// Listens on loopback and relays each TLS connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let mut front = Self::bind().await?;
        front.relay_to(upstream);
        Ok(front)
    }

    /// Makes the key and listens, relaying nothing yet: a desk configured
    /// with this key's code can start behind it.
    pub async fn bind() -> anyhow::Result<Self> {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
        let spki = certified.signing_key.subject_public_key_info();
        let digest = ring::digest::digest(&ring::digest::SHA256, &spki);
        let pin = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            port,
            pin,
            handshakes: Arc::new(AtomicUsize::new(0)),
            waiting: Some((acceptor, listener)),
            task: None,
        })
    }

    /// Relays each TLS connection to `upstream` from now on.
    pub fn relay_to(&mut self, upstream: SocketAddr) {
        let Some((acceptor, listener)) = self.waiting.take() else {
            return;
        };
        let counted = Arc::clone(&self.handshakes);
        self.task = Some(tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, counted) = (acceptor.clone(), Arc::clone(&counted));
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return; // refused by the app: nothing to relay
                    };
                    counted.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut desk) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut desk).await;
                    }
                });
            }
        }));
    }

    /// The desk's web address through this front.
    pub fn https_url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// Its WebSocket through this front.
    pub fn wss_url(&self) -> String {
        format!("wss://localhost:{}/ws", self.port)
    }

    /// The verification code of its key.
    pub fn pin(&self) -> &str {
        &self.pin
    }

    /// TLS handshakes completed so far.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
