//! The hub: the one owner of client IDs, pairings and the connections'
//! outboxes. It runs as a single task; connections talk to it through a
//! cloneable [`HubHandle`] — a bounded `mpsc` sender plus `oneshot` replies —
//! so no lock guards its state.
//!
//! Everything the hub says to a connection goes through that connection's
//! outbox, in order; a request's reply carries only whether it was refused.
//!
//! The hub also owns the [`ConnectGate`]: whether an expert's connect may
//! go ahead and what its outcome counts for are decided in one step here,
//! so simultaneous guesses cannot all slip past one check.
//! Time comes from `Instant::now()` at each request and feeds the pure state
//! machines ([`IdRegistry`], [`Pairings`]), which tests drive directly.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, oneshot, watch};

use crate::accounts::Expert;
use crate::connect_gate::{Closed, ConnectGate, GateConfig};
use crate::db::unix_ms;
use crate::ice::IceConfig;
use crate::ids::{ClientId, IdRegistry, IssueError, LookupError, Preset, SystemIdSource};
use crate::metrics::Metrics;
use crate::pairings::{Pairing, PairingError, Pairings, Returns, Stage};
use crate::policy::DeskPolicy;
use crate::protocol::{
    CaptureBackend, ClientAbout, ComputerInfo, ErrorCode, LeaveReason, RecordingName, Role, Scopes,
    ServerMessage, SessionId, SessionPath, Signal,
};
use crate::random;
use crate::reconnects::{self, Reconnect, Reconnects};
use crate::records::{NewRecord, Outcome, RecordEvent, RecordsHandle};

mod handle;
mod live;
mod returns;

pub use handle::HubHandle;
pub use live::{LiveSession, LiveView, WaitingId};

/// Identifies one WebSocket connection for the lifetime of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

impl ConnId {
    /// A number no other connection of this process has had.
    pub fn next() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        ConnId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// What the hub tells the cluster layer, which keeps Redis up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubEvent {
    /// A request was opened here: its session is held by this node.
    Opened(SessionId),
    /// A client ID ended here (used, superseded, given up).
    IdEnded(ClientId, LookupError),
    /// A client was given this reconnect token here.
    RejoinToken(String),
}

/// Where the hub puts messages for one connection. Boxed, so that an
/// idle connection's channel costs pointers rather than whole messages.
pub type Outbox = mpsc::Sender<Box<ServerMessage>>;

/// How many requests may wait for the hub before senders wait too.
const QUEUE: usize = 1024;

/// What the hub needs to know from the server's configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// How long a disconnected client keeps its ID, and a side of a
    /// running session whose link dropped its place in it.
    pub reconnect_grace: Duration,
    /// How long a client ID stays valid (an hour).
    pub id_lifetime: Duration,
    /// The most client IDs, live or held back, the desk keeps at once.
    pub max_ids: usize,
    /// Back-off, desk-wide budget and per-ID limits for connects.
    pub gate: GateConfig,
    pub ice: IceConfig,
    /// Desk policy, as it is now: the consent timeout, recording, the
    /// desk's name.
    pub policy: watch::Receiver<DeskPolicy>,
    /// In a cluster, misses are counted in Redis by the node the expert
    /// is on; the hub keeps only the per-ID request limit.
    pub shared_gate: bool,
    /// In a cluster, where the hub tells what Redis must know.
    pub events: Option<mpsc::UnboundedSender<HubEvent>>,
}

/// What an expert's `connect` asks for.
#[derive(Debug, Clone)]
pub struct Asking {
    pub notes: String,
    pub reason: Option<String>,
    pub scopes: Scopes,
}

/// A request the hub refused, as the connection will report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    /// For `rate_limited`: when trying again can succeed.
    pub retry_after: Option<Duration>,
}

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A reclaim with a wrong secret, or of an ID that is no longer live.
    pub(crate) fn reclaim_failed() -> Self {
        Self::new(
            ErrorCode::ReclaimFailed,
            "this ID is no longer live, or the secret does not match",
        )
    }

    /// Whether this refusal of a connect counts as a miss: the attempt
    /// reached no client that could answer it.
    pub fn is_miss(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::IdUnknown
                | ErrorCode::IdUsed
                | ErrorCode::IdSuperseded
                | ErrorCode::IdExpired
                | ErrorCode::ClientOffline
                | ErrorCode::ClientBusy
        )
    }
}

impl From<Closed> for Refusal {
    fn from(closed: Closed) -> Self {
        let wait = closed.wait();
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let why = match closed {
            Closed::BackingOff(_) => "too many IDs that led nowhere",
            Closed::DeskBudget(_) => "the desk has seen too many wrong IDs this hour",
            Closed::TooManyRequests(_) => "this client was asked too often",
        };
        Refusal {
            code: ErrorCode::RateLimited,
            message: format!("{why}; try again in {} s", secs.max(1)),
            retry_after: Some(wait),
        }
    }
}

impl From<LookupError> for Refusal {
    fn from(error: LookupError) -> Self {
        let code = match error {
            LookupError::Unknown => ErrorCode::IdUnknown,
            LookupError::Used => ErrorCode::IdUsed,
            LookupError::Superseded => ErrorCode::IdSuperseded,
            LookupError::Expired => ErrorCode::IdExpired,
            LookupError::Offline => ErrorCode::ClientOffline,
        };
        Refusal::new(code, error.to_string())
    }
}

impl From<PairingError> for Refusal {
    fn from(error: PairingError) -> Self {
        let code = match error {
            PairingError::Busy => ErrorCode::Busy,
            PairingError::ClientBusy => ErrorCode::ClientBusy,
            PairingError::NoSuchSession | PairingError::AlreadyAnswered => ErrorCode::NoSuchSession,
            PairingError::NotAccepted => ErrorCode::NotAccepted,
            PairingError::NotTheClient | PairingError::NotTheExpert => ErrorCode::WrongRole,
            PairingError::NoWayBack => ErrorCode::ReattachFailed,
        };
        Refusal::new(code, error.to_string())
    }
}

type Reply = oneshot::Sender<Result<(), Refusal>>;

/// A request the hub opens: an expert's `connect`, or a client's `rejoin`.
struct Ask {
    expert: ConnId,
    expert_user: String,
    expert_name: String,
    client: ConnId,
    client_id: ClientId,
    notes: String,
    reason: Option<String>,
    scopes: Scopes,
    /// The session a `rejoin` resumes.
    resumes: Option<SessionId>,
}

#[derive(Debug)]
enum Request {
    Register {
        conn: ConnId,
        outbox: Outbox,
    },
    IssueId {
        conn: ConnId,
        description: String,
        computer: ComputerInfo,
        /// In a cluster, the number and secret already reserved in Redis.
        preset: Option<Preset>,
        reply: Reply,
    },
    /// A message for a connection, from another node.
    Push {
        conn: ConnId,
        message: Box<ServerMessage>,
    },
    /// A client reclaimed on this node an ID another node issued.
    Adopt {
        conn: ConnId,
        id: ClientId,
        secret: String,
        expires_in: Duration,
        reply: Reply,
    },
    /// Another node's client proved it owns `id`: it is no longer here.
    Surrender {
        id: ClientId,
        secret: String,
        reply: Reply,
    },
    Reclaim {
        conn: ConnId,
        id: ClientId,
        secret: String,
        reply: Reply,
    },
    ReleaseId {
        conn: ConnId,
        reply: Reply,
    },
    Connect {
        conn: ConnId,
        ip: IpAddr,
        expert: Expert,
        id: ClientId,
        asking: Asking,
        reply: Reply,
    },
    Answer {
        conn: ConnId,
        session: SessionId,
        /// `Some(scopes)` accepts, `None` declines.
        accept: Option<Scopes>,
        reply: Reply,
    },
    Rejoin {
        conn: ConnId,
        token: String,
        reply: Reply,
    },
    /// Something `conn` asks about one of its requests or sessions.
    Session {
        conn: ConnId,
        session: SessionId,
        op: SessionOp,
        reply: Reply,
    },
    Disconnected {
        conn: ConnId,
    },
    /// The console's live view.
    Live {
        reply: oneshot::Sender<LiveView>,
    },
    /// An admin ends a request still waiting for its client.
    AdminEnd {
        session: SessionId,
        reply: Reply,
    },
}

/// What a connection asks about one of its requests or sessions.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionOp {
    Cancel,
    Relay {
        signal: Signal,
    },
    Connected,
    Path {
        path: SessionPath,
    },
    /// The client's screen capture backend.
    ScreenBackend {
        backend: CaptureBackend,
    },
    /// A recording the expert saved.
    Recorded {
        file: RecordingName,
    },
    /// Whether the connection takes part (for the audit log).
    Member,
    Bye,
    HoldForReconnect,
    Reattach {
        role: Role,
        secret: String,
    },
}

/// What the hub keeps per registered connection.
#[derive(Debug)]
struct Conn {
    outbox: Outbox,
    /// A client's request description and computer, from its `request_id`.
    about: Option<(String, ComputerInfo)>,
}

struct Hub {
    config: HubConfig,
    ids: IdRegistry<ConnId>,
    gate: ConnectGate,
    source: SystemIdSource,
    pairings: Pairings,
    reconnects: Reconnects,
    conns: HashMap<ConnId, Conn>,
    records: RecordsHandle,
    metrics: Arc<Metrics>,
}

/// Starts the hub task; it ends when every handle is dropped.
pub fn spawn(config: HubConfig, records: RecordsHandle, metrics: Arc<Metrics>) -> HubHandle {
    let (requests, mut inbox) = mpsc::channel(QUEUE);
    let mut hub = Hub {
        ids: IdRegistry::with_lifetime(config.reconnect_grace, config.id_lifetime)
            .with_max_entries(config.max_ids),
        gate: ConnectGate::new(config.gate),
        config,
        source: SystemIdSource,
        pairings: Pairings::default(),
        reconnects: Reconnects::default(),
        conns: HashMap::new(),
        records,
        metrics,
    };
    tokio::spawn(async move {
        loop {
            let deadline = hub.pairings.next_deadline();
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                request = inbox.recv() => match request {
                    Some(request) => hub.handle(Instant::now(), request),
                    None => break,
                },
                () = timer => hub.expire(Instant::now()),
            }
        }
    });
    HubHandle {
        requests,
        cluster: None,
    }
}

fn answer(reply: Reply, result: Result<(), Refusal>) {
    // The connection may have gone meanwhile; then nobody needs the answer.
    let _ = reply.send(result);
}

impl Hub {
    /// Carries out one request from a connection and answers it.
    fn handle(&mut self, now: Instant, request: Request) {
        match request {
            Request::Register { conn, outbox } => self.register(conn, outbox),
            Request::IssueId {
                conn,
                description,
                computer,
                preset,
                reply,
            } => answer(
                reply,
                self.issue_id(now, conn, (description, computer), preset),
            ),
            Request::Push { conn, message } => self.push(conn, *message),
            Request::Adopt {
                conn,
                id,
                secret,
                expires_in,
                reply,
            } => answer(reply, self.adopt(now, conn, id, &secret, expires_in)),
            Request::Surrender { id, secret, reply } => {
                answer(reply, self.surrender(now, id, &secret));
            }
            Request::Reclaim {
                conn,
                id,
                secret,
                reply,
            } => answer(reply, self.reclaim(now, conn, id, &secret)),
            Request::ReleaseId { conn, reply } => {
                self.release_id(now, conn);
                answer(reply, Ok(()));
            }
            Request::Connect {
                conn,
                ip,
                expert,
                id,
                asking,
                reply,
            } => {
                let result = self.gated_connect(now, ip, (conn, expert), id, asking);
                answer(reply, result);
            }
            Request::Answer {
                conn,
                session,
                accept,
                reply,
            } => answer(reply, self.answer(conn, &session, accept)),
            Request::Rejoin { conn, token, reply } => {
                answer(reply, self.rejoin(now, conn, &token));
            }
            Request::Session {
                conn,
                session,
                op,
                reply,
            } => answer(reply, self.about(now, conn, session, op)),
            Request::Disconnected { conn } => self.disconnected(now, conn),
            Request::Live { reply } => {
                let _ = reply.send(self.live_view(now));
            }
            Request::AdminEnd { session, reply } => {
                answer(reply, self.end_by_admin(&session));
            }
        }
    }

    /// Carries out what `conn` asks about `session`.
    fn about(
        &mut self,
        now: Instant,
        conn: ConnId,
        session: SessionId,
        op: SessionOp,
    ) -> Result<(), Refusal> {
        match op {
            SessionOp::Cancel => self.cancel(conn, &session),
            SessionOp::Relay { signal } => self.relay(conn, session, signal),
            SessionOp::Connected => self.connected(conn, session),
            SessionOp::Path { path } => self.path(conn, session, path),
            SessionOp::ScreenBackend { backend } => self.screen_backend(conn, session, backend),
            SessionOp::Recorded { file } => self.recorded(conn, session, file),
            SessionOp::Member => self.member(conn, &session),
            SessionOp::Bye => self.bye(conn, &session),
            SessionOp::HoldForReconnect => self.hold_for_reconnect(now, conn, &session),
            SessionOp::Reattach { role, secret } => self.reattach(conn, role, &session, &secret),
        }
    }

    /// A connect the gate lets through (or refuses), counted as a miss
    /// when it reached no client that could answer.
    fn gated_connect(
        &mut self,
        now: Instant,
        ip: IpAddr,
        (conn, expert): (ConnId, Expert),
        id: ClientId,
        asking: Asking,
    ) -> Result<(), Refusal> {
        if self.config.shared_gate {
            return self.connect(now, conn, expert, id, asking);
        }
        let username = expert.username.clone();
        let result = self
            .gate
            .admit(now, &username, ip)
            .map_err(Refusal::from)
            .and_then(|()| self.connect(now, conn, expert, id, asking));
        if result.as_ref().is_err_and(Refusal::is_miss) {
            self.gate.missed(now, &username, ip);
        }
        result
    }

    /// Keeps a new connection's outbox; what the hub says to it goes there.
    fn register(&mut self, conn: ConnId, outbox: Outbox) {
        self.conns.insert(
            conn,
            Conn {
                outbox,
                about: None,
            },
        );
    }

    /// Tells the cluster layer, if there is one.
    fn tell(&self, event: HubEvent) {
        if let Some(events) = &self.config.events {
            let _ = events.send(event);
        }
    }

    /// A client gives up its ID and is told so.
    fn release_id(&mut self, now: Instant, conn: ConnId) {
        if let Some(id) = self.ids.id_of(conn) {
            self.tell(HubEvent::IdEnded(id, LookupError::Superseded));
        }
        self.ids.owner_left(now, conn);
        self.push(conn, ServerMessage::IdReleased);
    }

    /// Whether `conn` takes part in the running or pending `session`.
    fn member(&self, conn: ConnId, session: &str) -> Result<(), Refusal> {
        self.pairings
            .relay_target(conn, session)
            .map(drop)
            .map_err(Refusal::from)
    }

    /// Sends to a connection's outbox. A full outbox means the socket has
    /// stopped draining; the message is dropped and the connection will be
    /// closed by its idle timeout.
    fn push(&self, conn: ConnId, message: ServerMessage) {
        let Some(entry) = self.conns.get(&conn) else {
            return;
        };
        match entry.outbox.try_send(Box::new(message)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(conn = conn.0, "outbox full; message dropped");
            }
            // The connection is ending; the hub hears of it next.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn issue_id(
        &mut self,
        now: Instant,
        conn: ConnId,
        (description, computer): (String, ComputerInfo),
        preset: Option<Preset>,
    ) -> Result<(), Refusal> {
        if !self.pairings.sessions_of(conn).is_empty() {
            return Err(Refusal::new(
                ErrorCode::Busy,
                "a new ID cannot be issued during a request or session",
            ));
        }
        let previous = self.ids.id_of(conn);
        let issued = match preset {
            Some(mut preset) => self.ids.issue(now, conn, &mut preset),
            None => self.ids.issue(now, conn, &mut self.source),
        };
        if let Some(previous) = previous {
            self.tell(HubEvent::IdEnded(previous, LookupError::Superseded));
        }
        let issued = issued.map_err(|error| {
            tracing::error!(held = self.ids.len(), %error, "no client ID issued");
            let message = match error {
                IssueError::Full => "the desk holds too many client IDs; try again later",
                IssueError::Exhausted => "no client ID is available; try again shortly",
            };
            Refusal::new(ErrorCode::Unavailable, message)
        })?;
        if let Some(entry) = self.conns.get_mut(&conn) {
            entry.about = Some((description, computer));
        }
        self.push(
            conn,
            ServerMessage::IdIssued {
                id: issued.id.to_string(),
                expires_in_secs: issued.expires_at.saturating_duration_since(now).as_secs(),
                secret: issued.secret,
            },
        );
        Ok(())
    }

    fn reclaim(
        &mut self,
        now: Instant,
        conn: ConnId,
        id: ClientId,
        secret: &str,
    ) -> Result<(), Refusal> {
        let Some(expires_at) = self.ids.reclaim(now, id, secret, conn) else {
            return Err(Refusal::reclaim_failed());
        };
        self.push(
            conn,
            ServerMessage::IdReclaimed {
                id: id.to_string(),
                expires_in_secs: expires_at.saturating_duration_since(now).as_secs(),
            },
        );
        Ok(())
    }

    /// `conn`'s client reclaimed here an ID another node issued.
    fn adopt(
        &mut self,
        now: Instant,
        conn: ConnId,
        id: ClientId,
        secret: &str,
        expires_in: Duration,
    ) -> Result<(), Refusal> {
        if !self.ids.adopt(now, id, secret, conn, now + expires_in) {
            return Err(Refusal::new(
                ErrorCode::ReclaimFailed,
                "this ID is live on this node for another connection",
            ));
        }
        self.push(
            conn,
            ServerMessage::IdReclaimed {
                id: id.to_string(),
                expires_in_secs: expires_in.as_secs(),
            },
        );
        Ok(())
    }

    /// `id`'s client proved, on another node, that it owns the ID: it is
    /// no longer held here.
    fn surrender(&mut self, now: Instant, id: ClientId, secret: &str) -> Result<(), Refusal> {
        let moved = ConnId(u64::MAX);
        if self.ids.reclaim(now, id, secret, moved).is_none() {
            return Err(Refusal::reclaim_failed());
        }
        self.ids.owner_left(now, moved);
        Ok(())
    }

    fn connect(
        &mut self,
        now: Instant,
        conn: ConnId,
        expert: Expert,
        id: ClientId,
        asking: Asking,
    ) -> Result<(), Refusal> {
        let client = self.ids.lookup(now, id)?;
        // A busy client is a miss, not a request: it takes no token.
        self.pairings.can_open(conn, client)?;
        self.gate.request(now, id)?;
        let session = self.ask(
            now,
            Ask {
                expert: conn,
                expert_user: expert.username,
                expert_name: expert.display_name,
                client,
                client_id: id,
                notes: asking.notes,
                reason: asking.reason,
                scopes: asking.scopes,
                resumes: None,
            },
        )?;
        self.push(
            conn,
            ServerMessage::Located {
                session,
                expires_in_secs: self.consent_timeout().as_secs(),
            },
        );
        Ok(())
    }

    /// Opens a request for `ask`, asks its client and records it.
    fn ask(&mut self, now: Instant, ask: Ask) -> Result<SessionId, Refusal> {
        let session = SessionId::from_desk(random::hex::<16>());
        let policy = self.config.policy.borrow().clone();
        self.pairings.open(
            session.clone(),
            Pairing {
                expert: ask.expert,
                expert_user: ask.expert_user.clone(),
                expert_name: ask.expert_name.clone(),
                client: ask.client,
                client_id: ask.client_id,
                requested: ask.scopes,
                stage: Stage::Pending {
                    deadline: now + policy.consent_timeout,
                },
                opened: now,
                recorded: policy.record_sessions,
                returns: Returns::default(),
            },
        )?;
        self.push(
            ask.client,
            ServerMessage::ConnectRequest {
                session: session.clone(),
                expert: ask.expert_name,
                notes: ask.notes.clone(),
                scopes: ask.scopes,
                expires_in_secs: policy.consent_timeout.as_secs(),
                resumes: ask.resumes,
                recorded: policy.record_sessions,
                reason: ask.reason.clone(),
                desk: (!policy.desk_name.is_empty()).then(|| policy.desk_name.clone()),
            },
        );
        let (description, computer) = self
            .conns
            .get(&ask.client)
            .and_then(|c| c.about.clone())
            .unwrap_or_default();
        self.records.send(RecordEvent::Requested(NewRecord {
            session: session.to_string(),
            client_id: ask.client_id.to_string(),
            description,
            computer,
            expert: ask.expert_user,
            notes: ask.notes,
            reason: ask.reason,
            requested: ask.scopes,
            at_ms: unix_ms(SystemTime::now()),
        }));
        self.metrics.requests_total.fetch_add(1, Ordering::Relaxed);
        self.update_pairing_gauge();
        self.tell(HubEvent::Opened(session.clone()));
        Ok(session)
    }

    /// Client: before the restart its expert asked for, a token to come
    /// back with.
    fn hold_for_reconnect(
        &mut self,
        now: Instant,
        conn: ConnId,
        session: &SessionId,
    ) -> Result<(), Refusal> {
        let refused = || Refusal::new(ErrorCode::ReconnectFailed, "no running session of yours");
        let pairing = self.pairings.get(conn, session).map_err(|_| refused())?;
        let granted = match pairing.stage {
            Stage::Active { granted } if pairing.client == conn => granted,
            _ => return Err(refused()),
        };
        let token = random::hex::<16>();
        let reconnect = Reconnect {
            expert: pairing.expert,
            expert_user: pairing.expert_user.clone(),
            expert_name: pairing.expert_name.clone(),
            client_id: pairing.client_id,
            scopes: granted,
            previous: session.clone(),
            about: self.conns.get(&conn).and_then(|c| c.about.clone()),
        };
        self.reconnects.hold(now, token.clone(), reconnect);
        self.tell(HubEvent::RejoinToken(token.clone()));
        self.push(
            conn,
            ServerMessage::ReconnectToken {
                session: session.clone(),
                token,
                expires_in_secs: reconnects::LIFETIME.as_secs(),
            },
        );
        Ok(())
    }

    /// Client, back after its restart: its expert's request again, for the
    /// same permissions, and the expert told which session it resumes.
    fn rejoin(&mut self, now: Instant, conn: ConnId, token: &str) -> Result<(), Refusal> {
        let Some(reconnect) = self
            .reconnects
            .redeem(now, token)
            .filter(|r| self.conns.contains_key(&r.expert))
        else {
            return Err(Refusal::new(
                ErrorCode::ReconnectFailed,
                "the reconnect token is unknown, used or expired, or the expert has left",
            ));
        };
        // The session before the restart has waited for its client in
        // vain: this one takes its place.
        if self.pairings.close(&reconnect.previous).is_some() {
            self.end(&reconnect.previous, left_reason(Role::Client));
        }
        self.pairings.can_open(reconnect.expert, conn)?;
        // The same computer as before the restart.
        if let Some(client) = self.conns.get_mut(&conn) {
            client.about = reconnect.about.clone();
        }
        let previous = reconnect.previous.clone();
        let session = self.ask(
            now,
            Ask {
                expert: reconnect.expert,
                expert_user: reconnect.expert_user,
                expert_name: reconnect.expert_name,
                client: conn,
                client_id: reconnect.client_id,
                notes: String::new(),
                reason: None,
                scopes: reconnect.scopes,
                resumes: Some(previous.clone()),
            },
        )?;
        self.push(
            reconnect.expert,
            ServerMessage::Reconnecting {
                previous,
                session,
                expires_in_secs: self.consent_timeout().as_secs(),
            },
        );
        Ok(())
    }

    /// How long a client has to answer, by the desk's policy now.
    fn consent_timeout(&self) -> Duration {
        self.config.policy.borrow().consent_timeout
    }

    fn answer(
        &mut self,
        conn: ConnId,
        session: &SessionId,
        accept: Option<Scopes>,
    ) -> Result<(), Refusal> {
        let at_ms = unix_ms(SystemTime::now());
        let Some(scopes) = accept else {
            self.pairings.check_answer(conn, session)?;
            if let Some(pairing) = self.pairings.close(session) {
                self.push(
                    pairing.expert,
                    ServerMessage::Declined {
                        session: session.clone(),
                    },
                );
            }
            self.finish(session, Outcome::Declined, None, "declined");
            return Ok(());
        };
        let granted = self.pairings.accept(conn, session, scopes)?;
        let pairing = self.pairings.get(conn, session)?.clone();
        self.ids.mark_used(Instant::now(), pairing.client_id);
        self.tell(HubEvent::IdEnded(pairing.client_id, LookupError::Used));
        let ice_servers = self.config.ice.servers(SystemTime::now(), session);
        let about = self
            .conns
            .get(&pairing.client)
            .and_then(|c| c.about.clone())
            .map(|(description, computer)| ClientAbout {
                description,
                computer,
            })
            .unwrap_or_default();
        let secrets = [random::hex::<16>(), random::hex::<16>()];
        self.pairings.arm(session, &secrets[0], &secrets[1]);
        let sides = [(pairing.expert, Some(about)), (pairing.client, None)];
        for ((side, client), secret) in sides.into_iter().zip(secrets) {
            self.push(
                side,
                ServerMessage::SessionStarted {
                    session: session.clone(),
                    scopes: granted,
                    ice_servers: ice_servers.clone(),
                    client,
                    reattach: Some(secret),
                    recorded: pairing.recorded,
                },
            );
        }
        self.records.send(RecordEvent::Answered {
            session: session.to_string(),
            at_ms,
            outcome: Outcome::Accepted,
            granted: Some(granted),
        });
        self.metrics.outcome(Outcome::Accepted);
        Ok(())
    }

    fn cancel(&mut self, conn: ConnId, session: &SessionId) -> Result<(), Refusal> {
        let pairing = self.pairings.get(conn, session)?;
        if !matches!(pairing.stage, Stage::Pending { .. }) {
            return Err(Refusal::new(
                ErrorCode::NoSuchSession,
                "the request was already answered; end the session with bye",
            ));
        }
        let (role, other) = pairing.side_of(conn).ok_or(PairingError::NoSuchSession)?;
        self.pairings.close(session);
        self.push(
            other,
            ServerMessage::RequestCancelled {
                session: session.clone(),
            },
        );
        let reason = match role {
            Role::Expert => "expert_cancelled",
            Role::Client => "client_cancelled",
        };
        self.finish(session, Outcome::Cancelled, None, reason);
        Ok(())
    }

    fn relay(&mut self, conn: ConnId, session: SessionId, signal: Signal) -> Result<(), Refusal> {
        let (role, other) = self.pairings.relay_target(conn, &session)?;
        let allowed = matches!(
            (&signal, role),
            (Signal::Offer { .. }, Role::Expert)
                | (Signal::Answer { .. }, Role::Client)
                | (
                    Signal::Ice { .. } | Signal::Pake { .. } | Signal::PinProof { .. },
                    _
                )
        );
        if !allowed {
            return Err(Refusal::new(
                ErrorCode::WrongRole,
                "the expert offers and the client answers",
            ));
        }
        self.push(other, ServerMessage::Signal { session, signal });
        self.metrics.signals_relayed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn connected(&mut self, conn: ConnId, session: SessionId) -> Result<(), Refusal> {
        let (role, _) = self.pairings.relay_target(conn, &session)?;
        if role == Role::Expert {
            self.records.send(RecordEvent::Started {
                session: session.to_string(),
                at_ms: unix_ms(SystemTime::now()),
            });
        }
        Ok(())
    }

    fn path(&mut self, conn: ConnId, session: SessionId, path: SessionPath) -> Result<(), Refusal> {
        let (role, _) = self.pairings.relay_target(conn, &session)?;
        self.records.send(RecordEvent::Path {
            session: session.to_string(),
            role,
            path: path.to_string(),
        });
        Ok(())
    }

    /// Only the client shares a screen; an expert's report is refused.
    fn screen_backend(
        &mut self,
        conn: ConnId,
        session: SessionId,
        backend: CaptureBackend,
    ) -> Result<(), Refusal> {
        let event = RecordEvent::ScreenBackend {
            session: session.to_string(),
            backend: backend.as_str(),
        };
        self.record_from(conn, &session, Role::Client, event)
    }

    /// Only the expert records; a client's report is refused.
    fn recorded(
        &mut self,
        conn: ConnId,
        session: SessionId,
        file: RecordingName,
    ) -> Result<(), Refusal> {
        let event = RecordEvent::Recorded {
            session: session.to_string(),
            file: file.into(),
        };
        self.record_from(conn, &session, Role::Expert, event)
    }

    /// Keeps in the session record what only the `reporter` side of the
    /// running `session` may report; the other side is refused.
    fn record_from(
        &mut self,
        conn: ConnId,
        session: &SessionId,
        reporter: Role,
        event: RecordEvent,
    ) -> Result<(), Refusal> {
        let (role, _) = self.pairings.relay_target(conn, session)?;
        if role != reporter {
            let wrong = match reporter {
                Role::Client => PairingError::NotTheClient,
                Role::Expert => PairingError::NotTheExpert,
            };
            return Err(wrong.into());
        }
        self.records.send(event);
        Ok(())
    }

    fn bye(&mut self, conn: ConnId, session: &SessionId) -> Result<(), Refusal> {
        let pairing = self.pairings.get(conn, session)?;
        if matches!(pairing.stage, Stage::Pending { .. }) {
            return self.cancel(conn, session);
        }
        let (role, other) = pairing.side_of(conn).ok_or(PairingError::NoSuchSession)?;
        self.pairings.close(session);
        self.push(
            other,
            ServerMessage::PeerLeft {
                session: session.clone(),
                reason: LeaveReason::Bye,
            },
        );
        self.end(
            session,
            match role {
                Role::Expert => "expert_bye",
                Role::Client => "client_bye",
            },
        );
        Ok(())
    }

    fn disconnected(&mut self, now: Instant, conn: ConnId) {
        self.ids.owner_disconnected(now, conn);
        self.reconnects.forget_expert(conn);
        for session in self.pairings.sessions_of(conn).to_vec() {
            self.left(now, conn, &session);
        }
        self.conns.remove(&conn);
    }

    /// `conn`'s connection dropped: its side of a running `session` is
    /// away for the grace period (the other side is told at once, and
    /// the session ends unless it comes back); of a request, gone.
    fn left(&mut self, now: Instant, conn: ConnId, session: &SessionId) {
        let until = now + self.config.reconnect_grace;
        if let Some((_, other)) = self.pairings.away(conn, session, until) {
            self.push(
                other,
                ServerMessage::PeerLeft {
                    session: session.clone(),
                    reason: LeaveReason::Disconnected,
                },
            );
        } else if let Some(pairing) = self.pairings.close(session)
            && let Some((role, other)) = pairing.side_of(conn)
        {
            self.push(
                other,
                ServerMessage::RequestCancelled {
                    session: session.clone(),
                },
            );
            self.finish(session, Outcome::Cancelled, None, left_reason(role));
        }
    }

    /// Ends every request whose consent deadline has passed, and every
    /// session a side of which stayed away past its grace.
    fn expire(&mut self, now: Instant) {
        self.abandon(now);
        for session in self.pairings.overdue(now) {
            if let Some(pairing) = self.pairings.close(&session) {
                for side in [pairing.expert, pairing.client] {
                    self.push(
                        side,
                        ServerMessage::RequestTimedOut {
                            session: session.clone(),
                        },
                    );
                }
                self.finish(&session, Outcome::Timeout, None, "timeout");
            }
        }
    }

    /// A request ended without becoming a session.
    fn finish(
        &self,
        session: &str,
        outcome: Outcome,
        granted: Option<Scopes>,
        reason: &'static str,
    ) {
        let at_ms = unix_ms(SystemTime::now());
        self.records.send(RecordEvent::Answered {
            session: session.to_owned(),
            at_ms,
            outcome,
            granted,
        });
        self.metrics.outcome(outcome);
        self.end(session, reason);
    }

    fn end(&self, session: &str, reason: &'static str) {
        self.records.send(RecordEvent::Ended {
            session: session.to_owned(),
            at_ms: unix_ms(SystemTime::now()),
            reason,
        });
        self.update_pairing_gauge();
    }

    fn update_pairing_gauge(&self) {
        let active = i64::try_from(self.pairings.len()).unwrap_or(i64::MAX);
        self.metrics
            .pairings_active
            .store(active, Ordering::Relaxed);
    }
}

/// A session's end reason when `role`'s link dropped for good.
fn left_reason(role: Role) -> &'static str {
    match role {
        Role::Expert => "expert_disconnected",
        Role::Client => "client_disconnected",
    }
}
