//! How a support session comes about and where it stands, as a pure state
//! machine per role: the expert's request, the client's consent, the
//! session's start and its connection, until it ends.
//!
//! Nothing here does I/O or reads a clock. The engine feeds each
//! [`Input`] with the time ([`Now`]) to [`Negotiation::handle`] and carries
//! out the [`Effect`]s it returns, in order; it wakes at
//! [`Negotiation::poll_timeout`] to hand in [`Input::Tick`]. The phase the
//! UI shows is derived from the state ([`Negotiation::phase`]), never
//! stored twice. The role is known by the type: the expert's machine
//! (`expert`) cannot answer a request, and the client's (`client`)
//! cannot make one.
//!
//! The desk is the authority on the consent's time limit; the deadlines
//! here close what the desk, gone silent, would leave open for ever.

mod client;
mod expert;

use std::time::{Duration, Instant};

use lifeline_signaling::protocol::{AppMessage, IceServer, Role, Scopes, ServerMessage, SessionId};

pub use self::client::ClientNegotiation;
pub use self::expert::ExpertNegotiation;
use super::engine::SessionError;
use super::notice::NoticeCode;
use super::view::{Notice, Phase};

/// A desk that has not said which session a request became by then lost
/// it with its connection; a new request may go.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// How long past the consent's expiry the desk's own word is awaited
/// before this side closes the request itself.
pub const EXPIRY_GRACE: Duration = Duration::from_secs(2);

/// Client: how long after Accept the desk has to start the session.
pub const START_WITHIN: Duration = Duration::from_secs(30);

/// How long the peers have to connect once the session started (ICE and
/// DTLS over slow paths take seconds; a side whose answer never comes
/// would otherwise wait for ever).
pub const CONNECT_WITHIN: Duration = Duration::from_secs(60);

/// How long a connected session's path may stay quiet while it finds its
/// way back (an ICE restart after a network change, with either side's
/// desk link made again on the way), before the session ends. The desk
/// keeps a side's place as long.
pub const RECOVER_WITHIN: Duration = Duration::from_secs(30);

/// The time, as the machine is told it: a monotonic instant for its
/// deadlines, and the wall clock for what the UI shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub at: Instant,
    pub unix_ms: u64,
}

impl Now {
    fn in_secs(self, secs: u64) -> (Instant, u64) {
        (
            self.at + Duration::from_secs(secs),
            self.unix_ms + secs * 1000,
        )
    }
}

/// What the person answered to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accept, with the permissions left ticked (at most those asked for).
    Accept(Scopes),
    Decline,
}

#[derive(Debug)]
pub enum Input {
    /// Expert: Connect was clicked.
    Connect {
        id: String,
        notes: String,
        /// The reason or ticket number, for the client and the report.
        reason: Option<String>,
        scopes: Scopes,
        pin: Option<String>,
    },
    /// Withdraw the request (expert) or close the dialog (client).
    Cancel,
    /// Client: the answer to the request for `session`.
    Answer { session: SessionId, answer: Answer },
    /// Expert: the request could not reach the desk.
    RequestLost,
    /// A message from the desk about a request or a session's start.
    Desk(ServerMessage),
    /// The peer connection is up.
    Connected { safety_code: String },
    /// The permissions in force changed.
    Scopes(Scopes),
    /// ICE says whether the other side still answers on the direct path.
    Reachable(bool),
    /// The desk says the other side's app left it without a goodbye.
    PeerOffDesk,
    /// The desk says the other side is back on it.
    PeerOnDesk,
    /// The session ended (or could not start), saying why.
    Ended(Option<Notice>),
    /// Time passed: the deadline from `poll_timeout` may have come.
    Tick,
}

/// What the engine does for the machine.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Send this to the desk.
    Desk(AppMessage),
    /// The phase changed: show `phase()`, with this notice if any.
    Phase(Option<Notice>),
    /// Show a notice; the phase is unchanged.
    Notice(Notice),
    /// Expert: a request goes out with this PIN and these notes.
    Requested { pin: Option<String>, notes: String },
    /// Make the peer connection for a session that starts.
    StartPeer(Start),
    /// End the running session (its peer and channels) with this notice.
    End(Notice),
    /// The reply to an [`Input::Answer`].
    Answered(Result<(), SessionError>),
}

/// A session that starts: what its peer connection is made with.
#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    pub session: SessionId,
    /// What the session may do now.
    pub scopes: Scopes,
    /// What the expert asked for: the ceiling for the client's re-grants.
    pub offered: Scopes,
    /// Who is on the other side.
    pub peer: String,
    pub ice_servers: Vec<IceServer>,
    /// Expert: the desk records every session; this one is recorded from
    /// its first picture, and cannot be stopped.
    pub recorded: bool,
}

/// The running session's part of the state, the same for both roles.
#[derive(Debug, Clone, PartialEq)]
struct Running {
    session: SessionId,
    peer: String,
    scopes: Scopes,
    /// `None` while connecting, with the time it must be up by.
    connected: Option<Connected>,
    connect_by: Instant,
    /// ICE has heard nothing from the other side since then.
    quiet_since: Option<Instant>,
    /// The desk lost the other side's app.
    off_desk: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Connected {
    safety_code: String,
    since_ms: u64,
}

impl Running {
    fn new(start: &Start, now: Now) -> Self {
        Self {
            session: start.session.clone(),
            peer: start.peer.clone(),
            scopes: start.scopes,
            connected: None,
            connect_by: now.at + CONNECT_WITHIN,
            quiet_since: None,
            off_desk: false,
        }
    }

    fn phase(&self) -> Phase {
        let (session, peer, scopes) = (self.session.clone(), self.peer.clone(), self.scopes);
        match &self.connected {
            None => Phase::Connecting {
                session,
                peer,
                scopes,
            },
            Some(up) => Phase::Active {
                session,
                peer,
                scopes,
                safety_code: up.safety_code.clone(),
                since_ms: up.since_ms,
            },
        }
    }

    fn timeout(&self) -> Option<Instant> {
        match (&self.connected, self.quiet_since) {
            (None, _) => Some(self.connect_by),
            (Some(_), quiet) => quiet.map(|since| since + RECOVER_WITHIN),
        }
    }

    /// The inputs a running session takes, whatever the role; `None` for
    /// one it does not take.
    fn handle(&mut self, now: Now, input: &Input) -> Option<Vec<Effect>> {
        match input {
            Input::Connected { safety_code } if self.connected.is_none() => {
                self.connected = Some(Connected {
                    safety_code: safety_code.clone(),
                    since_ms: now.unix_ms,
                });
                Some(vec![Effect::Phase(None)])
            }
            Input::Scopes(scopes) => {
                self.scopes = *scopes;
                Some(vec![Effect::Phase(None)])
            }
            Input::Reachable(true) => {
                self.quiet_since = None;
                Some(Vec::new())
            }
            Input::Reachable(false) => {
                self.quiet_since.get_or_insert(now.at);
                Some(self.gone())
            }
            Input::PeerOffDesk => {
                self.off_desk = true;
                Some(self.gone())
            }
            Input::PeerOnDesk => {
                self.off_desk = false;
                Some(Vec::new())
            }
            Input::Tick
                if self.connected.is_some() && self.timeout().is_some_and(|by| now.at >= by) =>
            {
                // Once, until the engine's end makes the machine idle.
                self.quiet_since = None;
                Some(vec![Effect::End(Notice::new(
                    NoticeCode::ConnectionFailed,
                    "the connection was lost and did not come back",
                ))])
            }
            Input::Tick if self.timeout().is_some_and(|by| now.at >= by) => {
                // Once, until the engine's end makes the machine idle.
                self.connect_by = now.at + CONNECT_WITHIN;
                Some(vec![Effect::End(Notice::new(
                    NoticeCode::ConnectionFailed,
                    "the direct connection did not come up in time",
                ))])
            }
            _ => None,
        }
    }
}

impl Running {
    /// Peer to peer, a session outlives the desk, and a path that goes
    /// quiet for a few seconds can come back. But when the desk lost the
    /// other side's app and the direct path has gone quiet too, the app is
    /// gone: waiting for ICE to fail would show a dead session for many
    /// seconds more.
    fn gone(&mut self) -> Vec<Effect> {
        if !(self.quiet_since.is_some() && self.off_desk) {
            return Vec::new();
        }
        // Once, until the engine's end makes the machine idle.
        self.off_desk = false;
        vec![Effect::End(Notice::new(
            NoticeCode::PeerLeft,
            "the other side's app stopped answering",
        ))]
    }
}

/// An error from the desk, as the UI should hear it: `None` when it is no
/// news (a late signal or goodbye for a session that has just ended must
/// not replace the notice that says why it ended).
fn desk_error(message: ServerMessage, running: bool) -> Option<Notice> {
    match message {
        ServerMessage::Error { code, .. }
            if code == lifeline_signaling::protocol::ErrorCode::NoSuchSession && !running =>
        {
            tracing::debug!("the desk no longer knows the session that just ended");
            None
        }
        ServerMessage::Error { code, message, .. } => {
            Some(Notice::new(NoticeCode::Desk(code), message))
        }
        _ => None,
    }
}

/// What the view hears when the session (or request) ends: the phase if
/// one was open, and the notice if there is one.
fn ended(was_open: bool, notice: Option<Notice>) -> Vec<Effect> {
    if was_open || notice.is_some() {
        vec![Effect::Phase(notice)]
    } else {
        Vec::new()
    }
}

/// A request the desk says ended without a session (declined, timed out
/// or withdrawn): its session, and what the view says.
fn closed_by_desk(message: &ServerMessage) -> Option<(&SessionId, Notice)> {
    let (session, code, why) = match message {
        ServerMessage::Declined { session } => {
            (session, NoticeCode::Declined, "the client declined")
        }
        ServerMessage::RequestTimedOut { session } => {
            (session, NoticeCode::Timeout, "no answer in time")
        }
        ServerMessage::RequestCancelled { session } => {
            (session, NoticeCode::Cancelled, "the request was withdrawn")
        }
        _ => return None,
    };
    Some((session, Notice::new(code, why)))
}

/// The request ended without a session, saying why.
fn closed(code: NoticeCode, message: &str) -> Vec<Effect> {
    vec![Effect::Phase(Some(Notice::new(code, message)))]
}

/// The session's negotiation, for the app's role.
#[derive(Debug)]
pub enum Negotiation {
    Client(ClientNegotiation),
    Expert(ExpertNegotiation),
}

impl Negotiation {
    pub fn new(role: Role) -> Self {
        match role {
            Role::Client => Self::Client(ClientNegotiation::default()),
            Role::Expert => Self::Expert(ExpertNegotiation::default()),
        }
    }

    pub fn handle(&mut self, now: Now, input: Input) -> Vec<Effect> {
        match self {
            Self::Client(client) => client.handle(now, input),
            Self::Expert(expert) => expert.handle(now, input),
        }
    }

    /// When the machine must be handed [`Input::Tick`], if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Self::Client(client) => client.poll_timeout(),
            Self::Expert(expert) => expert.poll_timeout(),
        }
    }

    pub fn phase(&self) -> Phase {
        match self {
            Self::Client(client) => client.phase(),
            Self::Expert(expert) => expert.phase(),
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use std::time::{Duration, Instant};

    use super::{Effect, Now};
    use crate::session::notice::NoticeCode;

    /// The code of the first notice among `effects`, shown or ending.
    pub fn notice_code(effects: &[Effect]) -> Option<NoticeCode> {
        effects.iter().find_map(|effect| match effect {
            Effect::Phase(Some(notice)) | Effect::Notice(notice) | Effect::End(notice) => {
                Some(notice.code)
            }
            _ => None,
        })
    }

    /// A made-up clock for the machines' tests.
    pub struct Clock {
        start: Instant,
        elapsed: Duration,
    }

    impl Clock {
        pub fn new() -> Self {
            Self {
                start: Instant::now(),
                elapsed: Duration::ZERO,
            }
        }

        pub fn now(&self) -> Now {
            Now {
                at: self.start + self.elapsed,
                unix_ms: 1_000_000 + self.elapsed.as_millis() as u64,
            }
        }

        pub fn advance(&mut self, by: Duration) -> Now {
            self.elapsed += by;
            self.now()
        }

        /// Moves the clock to `at` (never back).
        pub fn to(&mut self, at: Instant) -> Now {
            if at > self.start + self.elapsed {
                self.elapsed = at - self.start;
            }
            self.now()
        }
    }
}
