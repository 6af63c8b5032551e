//! The loopback WebSocket that carries the screen to the expert's own
//! webview: frames as binary messages (the bytes of
//! `ScreenFrame::to_wire`, sent once, no JSON or base64), the client's
//! pointer and gap markers as small JSON text messages.
//!
//! Who may read the screen: the server listens on 127.0.0.1 only, and
//! accepts a connection only on the path `/screen/<secret>`, where the
//! secret is 32 random bytes made afresh each time a view opens
//! ([`ViewSocket::open`]) and handed to that view alone over Tauri's IPC.
//! Another local process or page cannot guess it; a wrong path gets HTTP
//! 404 and nothing else. Each open ends the view before it, and only one
//! connection is served at a time. The handshake must finish within
//! [`HANDSHAKE_TIMEOUT`]; what the page sends is read and ignored (at most
//! [`MAX_INCOMING`] bytes a message).
//!
//! The [`ViewSocket`] owns the outbox, the secret and the connected view;
//! the frame sink and the cursor relay push, the one writer task drains.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::outbox::{Outbox, Outgoing};
use crate::cursor::{CursorMessage, CursorView};
use crate::media::sink::{FrameSink, ScreenFrame};

pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
pub const MAX_INCOMING: usize = 4096;
const SECRET_BYTES: usize = 32;
const GAP: &str = r#"{"type":"gap"}"#;

#[derive(Debug, thiserror::Error)]
pub enum ViewSocketError {
    #[error("the screen's local socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("no randomness for the screen's secret")]
    Random,
}

#[derive(Default)]
pub struct ViewSocket {
    shared: Arc<Shared>,
    /// The bound port, once a view first opened.
    bound: Mutex<Option<SocketAddr>>,
}

#[derive(Default)]
struct Shared {
    // std Mutexes: held for a push or a swap, never across an await.
    outbox: Mutex<Outbox>,
    /// The path a view must open (`/screen/<hex>`); `None`: no view.
    path: Mutex<Option<String>>,
    wake: Notify,
    /// Bumped by every open and every new connection: an older writer
    /// sees the change and ends.
    generation: GenerationBell,
}

struct GenerationBell(watch::Sender<u64>);

impl Default for GenerationBell {
    fn default() -> Self {
        Self(watch::channel(0).0)
    }
}

impl GenerationBell {
    fn bump(&self) -> u64 {
        let mut next = 0;
        self.0.send_modify(|g| {
            *g += 1;
            next = *g;
        });
        next
    }
}

impl std::fmt::Debug for ViewSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewSocket")
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Compares without stopping at the first difference, so the time taken
/// says nothing about how much of a guessed path was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl ViewSocket {
    /// Makes a new secret, ends any view, and returns the URL the new view
    /// opens. Binds the server the first time; must run on the runtime.
    pub async fn open(&self) -> Result<String, ViewSocketError> {
        let addr = self.bind().await?;
        let mut secret = [0u8; SECRET_BYTES];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| ViewSocketError::Random)?;
        let path = format!("/screen/{}", crate::hex::encode(&secret));
        let url = format!("ws://{addr}{path}");
        *lock(&self.shared.path) = Some(path);
        lock(&self.shared.outbox).clear();
        self.shared.generation.bump();
        Ok(url)
    }

    /// Ends the view and forgets its secret; frames are dropped until the
    /// next open.
    pub fn close(&self) {
        lock(&self.shared.path).take();
        lock(&self.shared.outbox).clear();
        self.shared.generation.bump();
    }

    /// Ends the view that opened `url`, and only that one: a view that has
    /// since taken its place (another tab's screen) stays open.
    pub fn close_view(&self, url: &str) {
        let current = lock(&self.shared.path).clone();
        if current.is_some_and(|path| url.ends_with(&path)) {
            self.close();
        }
    }

    /// Frames dropped because the view fell behind, since the app started.
    pub fn dropped(&self) -> u64 {
        lock(&self.shared.outbox).dropped()
    }

    async fn bind(&self) -> std::io::Result<SocketAddr> {
        if let Some(addr) = *lock(&self.bound) {
            return Ok(addr);
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        if let Err(error) = super::segment_size::limit(&listener) {
            tracing::debug!(%error, "the screen socket keeps loopback's segment size");
        }
        let addr = listener.local_addr()?;
        let mut bound = lock(&self.bound);
        if let Some(addr) = *bound {
            // Another open bound first; this listener closes.
            return Ok(addr);
        }
        *bound = Some(addr);
        tokio::spawn(accept(listener, Arc::clone(&self.shared)));
        Ok(addr)
    }

    fn viewing(&self) -> bool {
        lock(&self.shared.path).is_some()
    }
}

impl FrameSink for ViewSocket {
    fn deliver(&self, frame: ScreenFrame) {
        if !self.viewing() {
            return;
        }
        let queued = lock(&self.shared.outbox).push_frame(frame.to_wire(), frame.keyframe);
        if queued {
            self.shared.wake.notify_one();
        }
    }
}

impl CursorView for ViewSocket {
    /// Kept even while no view is open: the next view starts with it.
    fn show(&self, message: &CursorMessage) {
        {
            let mut outbox = lock(&self.shared.outbox);
            match message {
                CursorMessage::Position { .. } => outbox.push_position(message.to_json()),
                CursorMessage::Shape { .. } => outbox.push_shape(message.to_json()),
            }
        }
        if self.viewing() {
            self.shared.wake.notify_one();
        }
    }

    fn forget(&self) {
        lock(&self.shared.outbox).forget_pointer();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
            Err(error) => {
                tracing::debug!(%error, "the screen socket's accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

// tungstenite's handshake callback must return its own (large) response
// type as the error.
#[allow(clippy::result_large_err)]
async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let wanted = lock(&shared.path).clone();
    let check = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        let path = request.uri().path().as_bytes();
        match &wanted {
            Some(wanted) if same(path, wanted.as_bytes()) => Ok(response),
            _ => {
                let mut refusal = ErrorResponse::new(None);
                *refusal.status_mut() = StatusCode::NOT_FOUND;
                Err(refusal)
            }
        }
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_INCOMING))
        .max_frame_size(Some(MAX_INCOMING));
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config));
    let mut socket = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(error)) => {
            tracing::debug!(%error, "a screen socket connection was refused");
            return;
        }
        Err(_) => return,
    };
    // This connection is the view now; any earlier one ends.
    let mine = shared.generation.bump();
    let mut generation = shared.generation.0.subscribe();
    tracing::debug!("the screen view connected");
    // What already waits (the pointer as last seen) goes at once.
    shared.wake.notify_one();
    loop {
        tokio::select! {
            () = shared.wake.notified() => {
                let batch = lock(&shared.outbox).drain();
                for message in batch {
                    let message = match message {
                        Outgoing::Frame(bytes) => Message::Binary(Bytes::from(bytes)),
                        Outgoing::Gap => Message::text(GAP),
                        Outgoing::Position(json) | Outgoing::Shape(json) => Message::text(json),
                    };
                    if socket.feed(message).await.is_err() {
                        return;
                    }
                }
                if socket.flush().await.is_err() {
                    return;
                }
            }
            incoming = socket.next() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            changed = generation.changed() => {
                if changed.is_err() || *generation.borrow() != mine {
                    break;
                }
            }
        }
    }
    let _ = socket.close(None).await;
    tracing::debug!("the screen view disconnected");
}
