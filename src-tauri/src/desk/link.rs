//! The task that owns the WebSocket to the signaling server.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use lifeline_signaling::protocol::{AppMessage, PROTOCOL_VERSION, Role, ServerMessage};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::DeskStatus;
use super::backoff::Backoff;

/// How long one connection attempt (TCP, WebSocket and hello) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle link proves it is alive.
const PING_INTERVAL: Duration = Duration::from_secs(20);
/// A link that has heard nothing for this long is considered dead.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

/// A handle to the running link. Dropping it stops the task.
#[derive(Debug)]
pub struct DeskLink {
    status: watch::Receiver<DeskStatus>,
    task: JoinHandle<()>,
}

impl DeskLink {
    pub fn status(&self) -> DeskStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every status change.
    pub fn subscribe(&self) -> watch::Receiver<DeskStatus> {
        self.status.clone()
    }
}

impl Drop for DeskLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the link to `url` as `role` on the current tokio runtime.
pub fn spawn(url: String, role: Role) -> DeskLink {
    let (tx, rx) = watch::channel(DeskStatus::Connecting);
    let task = tokio::spawn(run(url, role, tx));
    DeskLink { status: rx, task }
}

async fn run(url: String, role: Role, status: watch::Sender<DeskStatus>) {
    let mut backoff = Backoff::default();
    loop {
        status.send_replace(DeskStatus::Connecting);
        let reason = match tokio::time::timeout(CONNECT_TIMEOUT, connect(&url, role)).await {
            Ok(Ok(socket)) => {
                tracing::info!(%url, "connected to the support desk");
                backoff.connected(Instant::now());
                status.send_replace(DeskStatus::Connected);
                serve(socket).await
            }
            Ok(Err(reason)) => reason,
            Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        };
        let delay = backoff.failed(Instant::now(), jitter());
        tracing::warn!(%url, %reason, retry_in = ?delay, "support desk unreachable");
        status.send_replace(DeskStatus::Offline {
            retry_at_ms: unix_ms() + delay.as_millis() as u64,
            reason,
        });
        tokio::time::sleep(delay).await;
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the WebSocket and completes the hello exchange.
async fn connect(url: &str, role: Role) -> Result<Socket, String> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    send(
        &mut socket,
        &AppMessage::Hello {
            version: PROTOCOL_VERSION,
            role,
        },
    )
    .await?;
    match next_message(&mut socket).await? {
        ServerMessage::Welcome { .. } => Ok(socket),
        ServerMessage::Error { code, message } => {
            Err(format!("the desk refused us ({code:?}): {message}"))
        }
        other => Err(format!("unexpected greeting: {other:?}")),
    }
}

/// Keeps a connected link alive until it drops; returns why it dropped.
async fn serve(mut socket: Socket) -> String {
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    last_heard = Instant::now();
                    match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(message) => tracing::debug!(?message, "from the desk"),
                        Err(error) => tracing::warn!(%error, "unreadable message from the desk"),
                    }
                }
                Some(Ok(Message::Close(_))) | None => return "the desk closed the connection".into(),
                Some(Ok(_)) => last_heard = Instant::now(),
                Some(Err(error)) => return format!("connection lost: {error}"),
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return "the desk stopped answering".into();
                }
                if let Err(reason) = send(&mut socket, &AppMessage::Ping).await {
                    return reason;
                }
            }
        }
    }
}

async fn send(socket: &mut Socket, message: &AppMessage) -> Result<(), String> {
    // Our own enum of strings and numbers always serialises.
    let json = serde_json::to_string(message).expect("app message serialises");
    socket
        .send(Message::text(json))
        .await
        .map_err(|e| format!("connection lost: {e}"))
}

async fn next_message(socket: &mut Socket) -> Result<ServerMessage, String> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text)
                    .map_err(|e| format!("unreadable reply from the desk: {e}"));
            }
            Some(Ok(Message::Close(_))) | None => {
                return Err("the desk closed the connection".into());
            }
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(format!("connection lost: {error}")),
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A fraction in [0, 1) for back-off jitter, from the clock's sub-second
/// noise: spreading reconnects needs no cryptographic randomness.
fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}
