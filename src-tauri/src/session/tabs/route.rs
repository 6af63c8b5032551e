//! Which tab a message from the desk is for. One desk link serves every
//! tab of an expert's app, so each message goes to the tab whose request
//! or session it names; a pure table, driven by the tabs' router task and
//! tested here on its own.
//!
//! A request has no session until the desk locates the client, so only
//! one tab may have a request in flight at a time: the desk's `located`
//! (or its refusal, which names no session) belongs to that tab. The table
//! then remembers the session as that tab's.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use lifeline_signaling::protocol::{ServerMessage, SessionId};

use super::TabId;

/// How long a request may wait for the desk's `located` or refusal before
/// another tab may send one. The engine gives the request up after 10 s
/// (`negotiation`); this is beyond that, so the two never disagree.
pub const IN_FLIGHT_LIMIT: Duration = Duration::from_secs(15);

/// Where one message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Tab(TabId),
    /// Every tab: the desk's word on the sign-in, or an error that names
    /// nothing in flight.
    All,
    /// A tab that has closed, or a session nobody here knows.
    Nobody,
}

/// Another tab's request is still waiting for the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlight(pub TabId);

#[derive(Debug, Default)]
pub struct Routes {
    /// The tab whose request waits for the desk's `located`, and since when.
    in_flight: Option<(TabId, Instant)>,
    /// Each session the desk named, and its tab.
    sessions: HashMap<SessionId, TabId>,
}

impl Routes {
    /// `tab` sends a request now, unless another tab's is in flight.
    pub fn requesting(&mut self, tab: TabId, now: Instant) -> Result<(), InFlight> {
        match self.in_flight(now) {
            Some(other) if other != tab => Err(InFlight(other)),
            _ => {
                self.in_flight = Some((tab, now));
                Ok(())
            }
        }
    }

    /// The tab whose request is in flight (one past the limit is not).
    pub fn in_flight(&self, now: Instant) -> Option<TabId> {
        self.in_flight
            .filter(|(_, since)| now.duration_since(*since) < IN_FLIGHT_LIMIT)
            .map(|(tab, _)| tab)
    }

    /// Where `message` goes, learning the session a `located` names.
    pub fn route(&mut self, message: &ServerMessage, now: Instant) -> Route {
        match message {
            ServerMessage::Located { session, .. } => match self.in_flight(now) {
                Some(tab) => {
                    self.in_flight = None;
                    // A tab holds one session at a time: its last one's
                    // late messages go nowhere.
                    self.sessions.retain(|_, owner| *owner != tab);
                    self.sessions.insert(session.clone(), tab);
                    Route::Tab(tab)
                }
                None => Route::Nobody,
            },
            ServerMessage::Error {
                session: Some(session),
                ..
            } => self.owner(session),
            // The client of a tab's last session is back after its restart:
            // the new session is that tab's.
            ServerMessage::Reconnecting {
                previous, session, ..
            } => {
                let route = self.owner(previous);
                if let Route::Tab(tab) = route {
                    self.sessions.retain(|_, owner| *owner != tab);
                    self.sessions.insert(session.clone(), tab);
                }
                route
            }
            ServerMessage::Error { session: None, .. } => match self.in_flight(now) {
                Some(tab) => {
                    self.in_flight = None;
                    Route::Tab(tab)
                }
                None => Route::All,
            },
            ServerMessage::ConnectRequest { session, .. }
            | ServerMessage::Declined { session }
            | ServerMessage::SessionStarted { session, .. }
            | ServerMessage::RequestTimedOut { session }
            | ServerMessage::RequestCancelled { session }
            | ServerMessage::Signal { session, .. }
            | ServerMessage::PeerLeft { session, .. }
            | ServerMessage::PeerBack { session }
            | ServerMessage::Reattached { session }
            | ServerMessage::ReconnectToken { session, .. }
            | ServerMessage::NotesSaved { session } => self.owner(session),
            ServerMessage::Welcome { .. }
            | ServerMessage::Policy { .. }
            | ServerMessage::Pong
            | ServerMessage::IdIssued { .. }
            | ServerMessage::IdReclaimed { .. }
            | ServerMessage::IdReleased
            | ServerMessage::SignedIn { .. }
            | ServerMessage::SignedOut { .. } => Route::All,
        }
    }

    /// `tab` closed: nothing more goes to it.
    pub fn forget(&mut self, tab: TabId) {
        self.sessions.retain(|_, owner| *owner != tab);
        if self.in_flight.is_some_and(|(owner, _)| owner == tab) {
            self.in_flight = None;
        }
    }

    fn owner(&self, session: &SessionId) -> Route {
        self.sessions
            .get(session)
            .map_or(Route::Nobody, |tab| Route::Tab(*tab))
    }
}

#[cfg(test)]
mod tests {
    use lifeline_signaling::protocol::{ErrorCode, LeaveReason, Scopes};

    use super::*;

    const A: TabId = TabId(1);
    const B: TabId = TabId(2);

    fn sid(name: &str) -> SessionId {
        SessionId::parse(name).unwrap()
    }

    fn located(name: &str) -> ServerMessage {
        ServerMessage::Located {
            session: sid(name),
            expires_in_secs: 300,
        }
    }

    fn declined(name: &str) -> ServerMessage {
        ServerMessage::Declined { session: sid(name) }
    }

    fn refusal(session: Option<&str>) -> ServerMessage {
        ServerMessage::Error {
            code: ErrorCode::IdUnknown,
            message: "no".into(),
            retry_after_secs: None,
            session: session.map(sid),
        }
    }

    #[test]
    fn a_located_session_belongs_to_the_tab_that_asked() {
        let now = Instant::now();
        let mut routes = Routes::default();
        routes.requesting(A, now).unwrap();
        assert_eq!(routes.route(&located("s1"), now), Route::Tab(A));
        routes.requesting(B, now).unwrap();
        assert_eq!(routes.route(&located("s2"), now), Route::Tab(B));

        assert_eq!(routes.route(&declined("s1"), now), Route::Tab(A));
        let left = ServerMessage::PeerLeft {
            session: sid("s2"),
            reason: LeaveReason::Bye,
        };
        assert_eq!(routes.route(&left, now), Route::Tab(B));
        let started = ServerMessage::SessionStarted {
            session: sid("s1"),
            scopes: Scopes::NONE,
            ice_servers: Vec::new(),
            client: None,
            reattach: None,
            recorded: false,
        };
        assert_eq!(routes.route(&started, now), Route::Tab(A));
        assert_eq!(routes.route(&refusal(Some("s2")), now), Route::Tab(B));
        assert_eq!(routes.route(&declined("stranger"), now), Route::Nobody);
    }

    #[test]
    fn a_reconnect_goes_to_the_tab_of_the_session_it_resumes() {
        let now = Instant::now();
        let mut routes = Routes::default();
        routes.requesting(A, now).unwrap();
        routes.route(&located("s1"), now);
        let back = ServerMessage::Reconnecting {
            previous: sid("s1"),
            session: sid("s2"),
            expires_in_secs: 300,
        };
        assert_eq!(routes.route(&back, now), Route::Tab(A));
        assert_eq!(routes.route(&declined("s2"), now), Route::Tab(A));
        let stranger = ServerMessage::Reconnecting {
            previous: sid("nope"),
            session: sid("s3"),
            expires_in_secs: 300,
        };
        assert_eq!(routes.route(&stranger, now), Route::Nobody);
    }

    #[test]
    fn one_request_in_flight_at_a_time() {
        let now = Instant::now();
        let mut routes = Routes::default();
        routes.requesting(A, now).unwrap();
        // The same tab again (a double click) is its own business.
        routes.requesting(A, now).unwrap();
        assert_eq!(routes.requesting(B, now), Err(InFlight(A)));
        // A refusal names no session: it is the request's.
        assert_eq!(routes.route(&refusal(None), now), Route::Tab(A));
        routes.requesting(B, now).unwrap();
        // A request the desk never answered stops blocking the others.
        let later = now + IN_FLIGHT_LIMIT;
        routes.requesting(A, later).unwrap();
        assert_eq!(routes.in_flight(later), Some(A));
        // With nothing in flight, an error is everyone's (a sign-in's).
        routes.route(&located("s1"), later);
        assert_eq!(routes.route(&refusal(None), later), Route::All);
        assert_eq!(routes.route(&located("s9"), later), Route::Nobody);
    }

    #[test]
    fn a_tab_keeps_its_latest_session_only_and_forgets_all_when_closed() {
        let now = Instant::now();
        let mut routes = Routes::default();
        routes.requesting(A, now).unwrap();
        routes.route(&located("s1"), now);
        routes.requesting(A, now).unwrap();
        routes.route(&located("s2"), now);
        assert_eq!(routes.route(&declined("s1"), now), Route::Nobody);
        assert_eq!(routes.route(&declined("s2"), now), Route::Tab(A));

        routes.requesting(B, now).unwrap();
        routes.forget(B);
        routes.requesting(A, now).unwrap();
        routes.forget(A);
        assert_eq!(routes.route(&declined("s2"), now), Route::Nobody);
        let signed_in = ServerMessage::SignedIn {
            display_name: "Ann".into(),
            token: "t".into(),
            idle_timeout_secs: 1,
        };
        assert_eq!(routes.route(&signed_in, now), Route::All);
    }
}
