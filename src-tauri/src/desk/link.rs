//! The task that owns the WebSocket to the signaling server.
//!
//! Besides keeping the connection alive it is the transport for the session
//! engine: [`DeskClient::send`] puts any message on the wire, and every
//! message from the desk that is not a direct answer goes to the events
//! receiver returned by [`spawn`]. After a reconnect it restores what the
//! desk forgot with the old connection: an expert's sign-in (with the token)
//! and a client's ID (with its reclaim secret).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use lifeline_signaling::protocol::{
    AppMessage, ComputerInfo, DeskPolicyInfo, ErrorCode, LeaveReason, MAX_COMPUTER_FIELD_CHARS,
    MAX_SESSIONS_PER_EXPERT, PROTOCOL_VERSION, Role, ServerMessage, SessionId,
};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::backoff::Backoff;
use super::proxy::{ProxyError, Route};
use super::tls::{self, ServerPin};
use super::{DeskError, DeskStatus, IssuedId};
use crate::clock::unix_ms;
use crate::platform;

/// How long one connection attempt (TCP, WebSocket and hello) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may wait for the desk's answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle link proves it is alive.
const PING_INTERVAL: Duration = Duration::from_secs(20);
/// A link that has heard nothing for this long is considered dead.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
/// How soon the desk must answer a probe. Its round trip is well under a
/// second on any path a session can use; a link that stays silent this
/// long after a ping is taken for dead and made again at once (a needless
/// relink costs little: the running sessions are taken back on the new
/// link).
const PROBE_WITHIN: Duration = Duration::from_secs(2);
/// What `serve` says when a probe went unanswered.
const PROBE_UNANSWERED: &str = "the desk stopped answering a probe";
/// Requests waiting for the link task.
const COMMAND_QUEUE: usize = 16;
/// The largest message (and frame) the app takes from the desk: the same
/// 64 KiB the desk takes from an app (its `max_message_bytes`). A relayed
/// signal is the sender's message re-encoded, no larger than what the desk
/// accepted; the desk's own messages are a few KiB. Without this bound
/// tungstenite would buffer up to 64 MiB per message from a hostile desk.
pub const MAX_DESK_MESSAGE: usize = 64 * 1024;

type Reply<T> = oneshot::Sender<Result<T, DeskError>>;

#[derive(Debug)]
enum Command {
    RequestId {
        description: String,
        reply: Reply<IssuedId>,
    },
    Send {
        message: AppMessage,
        reply: Reply<()>,
    },
    /// Prove the link alive now (see [`DeskClient::probe`]).
    Probe,
}

/// What the link re-sends after a reconnect.
#[derive(Debug, Default)]
struct Restore {
    /// An expert's sign-in token.
    token: Option<String>,
    /// A client's ID and its reclaim secret.
    id: Option<(String, String)>,
    /// A client back from a restart: its token for the session it
    /// resumes, until the desk answers it.
    rejoin: Option<String>,
    /// The running sessions and this side's secret to take each back
    /// with on a new connection (an expert may run several).
    sessions: Vec<(SessionId, String)>,
    /// The desk's policy as it last said it; not a thing to restore, but
    /// kept where every message passes.
    policy: watch::Sender<Option<DeskPolicyInfo>>,
}

impl Restore {
    fn forget_session(&mut self, session: &SessionId) {
        self.sessions.retain(|(running, _)| running != session);
    }
}

/// A handle to the running link. Dropping it stops the task.
#[derive(Debug)]
pub struct DeskLink {
    status: watch::Receiver<DeskStatus>,
    client: DeskClient,
    task: JoinHandle<()>,
}

/// Sends requests through a running link; cheap to clone.
#[derive(Debug, Clone)]
pub struct DeskClient {
    commands: mpsc::Sender<Command>,
    policy: watch::Receiver<Option<DeskPolicyInfo>>,
}

impl DeskLink {
    pub fn status(&self) -> DeskStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every status change.
    pub fn subscribe(&self) -> watch::Receiver<DeskStatus> {
        self.status.clone()
    }

    pub fn client(&self) -> DeskClient {
        self.client.clone()
    }
}

impl DeskClient {
    /// The desk's policy, once it said it.
    pub fn policy(&self) -> Option<DeskPolicyInfo> {
        self.policy.borrow().clone()
    }

    /// Sends one message to the desk. Fails at once while offline.
    pub async fn send(&self, message: AppMessage) -> Result<(), DeskError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Send { message, reply })
            .await
            .map_err(|_| DeskError::Offline)?;
        answer.await.unwrap_or(Err(DeskError::Offline))
    }

    /// Proves the link alive now rather than at the next ping: the desk
    /// must answer within a few seconds, or the link reconnects. For when
    /// the session's direct path went quiet: often this computer's own
    /// network changed, and a link that waits for its silence limit keeps
    /// a dead connection for most of a minute.
    pub fn probe(&self) {
        // A probe already queued does as well.
        let _ = self.commands.try_send(Command::Probe);
    }

    /// Asks the desk for a new one-time client ID.
    pub async fn request_id(&self, description: String) -> Result<IssuedId, DeskError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::RequestId { description, reply })
            .await
            .map_err(|_| DeskError::Offline)?;
        match tokio::time::timeout(REQUEST_TIMEOUT + CONNECT_TIMEOUT, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(DeskError::Offline),
            Err(_) => Err(DeskError::Timeout),
        }
    }
}

impl Drop for DeskLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The desk's messages for the session engine, in arrival order.
pub type DeskEvents = mpsc::Receiver<ServerMessage>;

/// The desk's messages waiting for the engine: far more than a session's
/// burst of candidates. A desk that fills it is flooding the app; the link
/// drops that connection and reconnects rather than wait (the engine may
/// itself be waiting on the link) or grow without bound.
const EVENT_QUEUE: usize = 1024;

/// Starts the link to `url` as `role` on the current tokio runtime.
pub fn spawn(url: String, role: Role) -> (DeskLink, DeskEvents) {
    spawn_with(url, role, None, Route::System, None)
}

/// [`spawn`], talking to a `wss://` desk only if its key is `pin`,
/// reaching it by `route`, and (a client back from a restart) rejoining
/// its session with the token `rejoin`.
pub fn spawn_with(
    url: String,
    role: Role,
    pin: Option<ServerPin>,
    route: Route,
    rejoin: Option<String>,
) -> (DeskLink, DeskEvents) {
    let (tx, rx) = watch::channel(DeskStatus::Connecting);
    let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
    let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
    let tls = tls::connector(pin);
    let restore = Restore {
        rejoin,
        ..Restore::default()
    };
    let policy = restore.policy.subscribe();
    let task = tokio::spawn(run(url, role, (tls, route, restore), tx, inbox, events));
    let link = DeskLink {
        status: rx,
        client: DeskClient { commands, policy },
        task,
    };
    (link, events_rx)
}

async fn run(
    url: String,
    role: Role,
    (tls, route, mut restore): (Connector, Route, Restore),
    status: watch::Sender<DeskStatus>,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<ServerMessage>,
) {
    let mut backoff = Backoff::default();
    loop {
        status.send_replace(DeskStatus::Connecting);
        let attempt = connect(&url, role, &tls, &route);
        let (reason, problem) = match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Ok(Ok(mut socket)) => {
                tracing::info!(%url, "connected to the support desk");
                backoff.connected(Instant::now());
                let reason = match restore_state(&mut socket, &restore).await {
                    Ok(()) => {
                        status.send_replace(DeskStatus::Connected);
                        serve(socket, &mut commands, &events, &mut restore).await
                    }
                    Err(reason) => reason,
                };
                (reason, None)
            }
            Ok(Err(Failed::Link(reason))) => (reason, None),
            Ok(Err(Failed::Proxy(error))) => (error.to_string(), Some(error.code())),
            Err(_) => (
                format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                None,
            ),
        };
        // A probe goes unanswered when this computer's network changed
        // under a session: its own news, not the desk's, so no herd of
        // apps to spread out, and the session waits for the new link.
        let delay = if reason == PROBE_UNANSWERED {
            Duration::ZERO
        } else {
            backoff.failed(Instant::now(), jitter())
        };
        tracing::warn!(%url, %reason, retry_in = ?delay, "support desk unreachable");
        status.send_replace(DeskStatus::Offline {
            retry_at_ms: unix_ms() + delay.as_millis() as u64,
            reason,
            problem,
        });
        // While offline, requests fail at once instead of waiting.
        let retry = tokio::time::sleep(delay);
        tokio::pin!(retry);
        loop {
            tokio::select! {
                () = &mut retry => break,
                command = commands.recv() => match command {
                    Some(command) => command.fail(DeskError::Offline),
                    None => return,
                },
            }
        }
    }
}

impl Command {
    fn fail(self, error: DeskError) {
        match self {
            Command::RequestId { reply, .. } => {
                let _ = reply.send(Err(error));
            }
            Command::Send { reply, .. } => {
                let _ = reply.send(Err(error));
            }
            // Offline already: nothing to prove.
            Command::Probe => {}
        }
    }
}

/// Re-sends the sign-in and the client ID the desk knew before a
/// reconnect. Their answers arrive as ordinary events.
async fn restore_state(socket: &mut Socket, restore: &Restore) -> Result<(), String> {
    if let Some(token) = &restore.token {
        send(
            socket,
            &AppMessage::Resume {
                token: token.clone(),
            },
        )
        .await?;
    }
    if let Some((id, secret)) = &restore.id {
        send(
            socket,
            &AppMessage::Reclaim {
                id: id.clone(),
                secret: secret.clone(),
            },
        )
        .await?;
    }
    if let Some(token) = &restore.rejoin {
        let token = token.clone();
        send(socket, &AppMessage::Rejoin { token }).await?;
    }
    for (session, secret) in &restore.sessions {
        tracing::info!(%session, "back in the running session on the new link");
        let reattach = AppMessage::Reattach {
            session: session.clone(),
            secret: secret.clone(),
        };
        send(socket, &reattach).await?;
    }
    Ok(())
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a connection attempt failed: the proxy (with a code the UI has
/// words for), or anything else.
enum Failed {
    Proxy(ProxyError),
    Link(String),
}

impl From<String> for Failed {
    fn from(reason: String) -> Self {
        Failed::Link(reason)
    }
}

/// The desk's host, port and whether it is `wss://`.
fn endpoint(url: &str) -> Option<(String, u16, bool)> {
    let parsed = url::Url::parse(url).ok()?;
    let secure = parsed.scheme() == "wss";
    let port = parsed.port_or_known_default()?;
    let host = parsed.host_str()?.trim_matches(['[', ']']).to_owned();
    Some((host, port, secure))
}

/// Opens the WebSocket (through the proxy `route` gives, if any) and
/// completes the hello exchange.
async fn connect(url: &str, role: Role, tls: &Connector, route: &Route) -> Result<Socket, Failed> {
    let limits = WebSocketConfig::default()
        .max_message_size(Some(MAX_DESK_MESSAGE))
        .max_frame_size(Some(MAX_DESK_MESSAGE));
    let unreachable = |e: WsError| format!("cannot reach {url}: {e}");
    let target = endpoint(url);
    let proxy = match &target {
        Some((host, _, secure)) => route
            .proxy_for(host, *secure)
            .await
            .map_err(Failed::Proxy)?,
        None => None,
    };
    let mut socket = match (proxy, target) {
        (Some(proxy), Some((host, port, _))) => {
            let tunnel = proxy.open(&host, port).await.map_err(Failed::Proxy)?;
            tracing::debug!(proxy = %proxy.host, "tunnel to the desk opened");
            let config = Some(limits);
            tokio_tungstenite::client_async_tls_with_config(url, tunnel, config, Some(tls.clone()))
                .await
                .map_err(unreachable)?
                .0
        }
        _ => {
            tokio_tungstenite::connect_async_tls_with_config(
                url,
                Some(limits),
                true,
                Some(tls.clone()),
            )
            .await
            .map_err(unreachable)?
            .0
        }
    };
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
        ServerMessage::Error { code, message, .. } => {
            Err(format!("the desk refused us ({code:?}): {message}").into())
        }
        other => Err(format!("unexpected greeting: {other:?}").into()),
    }
}

/// Serves one connected link until it drops; returns why it dropped.
async fn serve(
    mut socket: Socket,
    commands: &mut mpsc::Receiver<Command>,
    events: &mpsc::Sender<ServerMessage>,
    restore: &mut Restore,
) -> String {
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let mut last_heard = Instant::now();
    // A probe's deadline: heard from by then, or the link is dead.
    let mut probe_by: Option<Instant> = None;
    // The request awaiting the desk's answer; the protocol answers in order.
    let mut pending: Option<Reply<IssuedId>> = None;
    let reason = loop {
        let probe_due = async {
            match probe_by {
                Some(by) => tokio::time::sleep_until(by.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = socket.next() => {
                last_heard = Instant::now();
                probe_by = None;
                match frame {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(message) => {
                            remember(restore, &message);
                            if let Some(event) = answer(&mut pending, message)
                                && let Err(mpsc::error::TrySendError::Full(_)) = events.try_send(event)
                            {
                                break "the desk sent more messages than the app can take".to_owned();
                            }
                        }
                        Err(error) => tracing::warn!(%error, "unreadable message from the desk"),
                    },
                    Some(Ok(Message::Close(_))) | None => break "the desk closed the connection".to_owned(),
                    Some(Ok(_)) => {}
                    Some(Err(error)) => break lost(&error),
                }
            }
            command = commands.recv() => {
                let Some(command) = command else { break "the app closed the link".to_owned() };
                if matches!(command, Command::Probe) && probe_by.is_none() {
                    probe_by = Some(Instant::now() + PROBE_WITHIN);
                }
                if let Err(reason) = carry_out(&mut socket, command, &mut pending, restore).await {
                    break reason;
                }
            }
            () = probe_due => break PROBE_UNANSWERED.to_owned(),
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    break "the desk stopped answering".to_owned();
                }
                if let Err(reason) = send(&mut socket, &AppMessage::Ping).await {
                    break reason;
                }
            }
        }
    };
    if let Some(reply) = pending {
        let _ = reply.send(Err(DeskError::Offline));
    }
    reason
}

/// Sends what the app asked for; `Err` with the reason when the link broke.
async fn carry_out(
    socket: &mut Socket,
    command: Command,
    pending: &mut Option<Reply<IssuedId>>,
    restore: &mut Restore,
) -> Result<(), String> {
    match command {
        Command::RequestId { description, reply } => {
            let computer = platform::computer();
            let message = AppMessage::RequestId {
                description,
                computer: bounded(ComputerInfo {
                    name: computer.name,
                    os: computer.os,
                    user: computer.user,
                }),
            };
            if let Err(reason) = send(socket, &message).await {
                let _ = reply.send(Err(DeskError::Offline));
                return Err(reason);
            }
            *pending = Some(reply);
        }
        Command::Send { message, reply } => {
            if matches!(message, AppMessage::Logout) {
                restore.token = None;
            }
            if matches!(message, AppMessage::ReleaseId) {
                restore.id = None;
            }
            if let AppMessage::Bye { session } = &message {
                restore.forget_session(session);
            }
            let sent = send(socket, &message).await;
            let _ = reply.send(sent.as_ref().map_err(|_| DeskError::Offline).copied());
            sent?;
        }
        Command::Probe => send(socket, &AppMessage::Ping).await?,
    }
    Ok(())
}

/// Keeps what a reconnect must restore up to date.
fn remember(restore: &mut Restore, message: &ServerMessage) {
    match message {
        ServerMessage::SignedIn { token, .. } => restore.token = Some(token.clone()),
        ServerMessage::SignedOut { .. } => restore.token = None,
        ServerMessage::Policy { policy } => {
            restore.policy.send_replace(Some(policy.clone()));
        }
        ServerMessage::IdIssued { id, secret, .. } => {
            restore.id = Some((id.clone(), secret.clone()));
        }
        ServerMessage::IdReleased => restore.id = None,
        ServerMessage::Error { code, session, .. } => match (code, session) {
            (ErrorCode::InvalidToken, _) => restore.token = None,
            (ErrorCode::ReclaimFailed, _) => restore.id = None,
            (ErrorCode::ReconnectFailed, _) => restore.rejoin = None,
            (ErrorCode::ReattachFailed | ErrorCode::NoSuchSession, Some(session)) => {
                restore.forget_session(session);
            }
            _ => {}
        },
        // The desk answered the rejoin: it is not sent again.
        ServerMessage::ConnectRequest {
            resumes: Some(_), ..
        } => restore.rejoin = None,
        // A used ID cannot be reclaimed; the session no longer needs it.
        ServerMessage::SessionStarted {
            session, reattach, ..
        } => {
            restore.id = None;
            if let Some(secret) = reattach {
                restore.forget_session(session);
                if restore.sessions.len() >= MAX_SESSIONS_PER_EXPERT {
                    restore.sessions.remove(0);
                }
                restore.sessions.push((session.clone(), secret.clone()));
            }
        }
        ServerMessage::PeerLeft {
            session,
            reason: LeaveReason::Bye,
        } => restore.forget_session(session),
        _ => {}
    }
}

/// Routes a message from the desk to the request waiting for it; returns
/// it when it is an event for the session engine instead.
fn answer(pending: &mut Option<Reply<IssuedId>>, message: ServerMessage) -> Option<ServerMessage> {
    match message {
        ServerMessage::IdIssued {
            ref id,
            expires_in_secs,
            ..
        } => {
            let issued = IssuedId {
                id: id.clone(),
                expires_at_ms: unix_ms() + expires_in_secs * 1000,
            };
            if let Some(reply) = pending.take() {
                let _ = reply.send(Ok(issued));
            }
            Some(message)
        }
        ServerMessage::Error { code, message, .. } if pending.is_some() => {
            if let Some(reply) = pending.take() {
                let _ = reply.send(Err(DeskError::Refused { code, message }));
            }
            None
        }
        ServerMessage::Pong | ServerMessage::Welcome { .. } => None,
        // The desk no longer runs that session (it restarted, or let it
        // go): its peers may still talk directly; nothing to tell.
        ServerMessage::Error {
            code: ErrorCode::ReattachFailed,
            session,
            ..
        } => {
            tracing::info!(?session, "the desk no longer carries the session's signals");
            None
        }
        other => Some(other),
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
            Some(Err(error)) => return Err(lost(&error)),
        }
    }
}

/// Why the link dropped, in words; a message over the limit says so.
fn lost(error: &WsError) -> String {
    match error {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => format!(
            "the desk sent a message of {size} bytes, over the {max_size}-byte limit; \
             the connection was closed"
        ),
        other => format!("connection lost: {other}"),
    }
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

/// The desk refuses computer details over its limit; a long user name or
/// OS string is cut short rather than costing the client its ID.
fn bounded(computer: ComputerInfo) -> ComputerInfo {
    let cut = |text: String| text.chars().take(MAX_COMPUTER_FIELD_CHARS).collect();
    ComputerInfo {
        name: cut(computer.name),
        os: cut(computer.os),
        user: cut(computer.user),
    }
}
