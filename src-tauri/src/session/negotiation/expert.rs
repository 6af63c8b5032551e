//! The expert's side: a request goes to the desk, which locates the client
//! (or refuses); the client is asked and answers; an accepted session
//! starts, connects and ends.
//!
//! The desk answers requests in the order they were sent. Until it says
//! which session a request became, the expert can already withdraw it: the
//! withdrawal goes out as soon as the session is known. Only one request
//! is in flight at a time, so a double click sends one request.

use std::time::Instant;

use lifeline_signaling::protocol::{AppMessage, ServerMessage, SessionId};

use super::{
    ANSWER_WITHIN, EXPIRY_GRACE, Effect, Input, Now, Running, Start, closed, closed_by_desk,
    desk_error, ended,
};
use crate::session::notice::NoticeCode;
use crate::session::view::{Notice, Phase};

#[derive(Debug, Default)]
pub struct ExpertNegotiation {
    state: State,
    /// The last session that ran: its client may come back after a
    /// restart ("restart and reconnect").
    last: Option<SessionId>,
    /// What the last request asked for: the client may grant it later.
    asked: lifeline_signaling::protocol::Scopes,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Idle,
    /// Sent; the desk has not said which session it became.
    Requesting {
        sent_at: Instant,
        withdrawn: bool,
    },
    /// The client is being asked.
    Waiting {
        session: SessionId,
        expires_at: Instant,
        expires_at_ms: u64,
    },
    Running(Running),
}

impl ExpertNegotiation {
    pub fn phase(&self) -> Phase {
        match &self.state {
            State::Idle | State::Requesting { .. } => Phase::Idle,
            State::Waiting {
                session,
                expires_at_ms,
                ..
            } => Phase::Waiting {
                session: session.clone(),
                expires_at_ms: *expires_at_ms,
            },
            State::Running(running) => running.phase(),
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Idle => None,
            State::Requesting { sent_at, .. } => Some(*sent_at + ANSWER_WITHIN),
            State::Waiting { expires_at, .. } => Some(*expires_at + EXPIRY_GRACE),
            State::Running(running) => running.timeout(),
        }
    }

    pub fn handle(&mut self, now: Now, input: Input) -> Vec<Effect> {
        if let State::Running(running) = &mut self.state
            && let Some(effects) = running.handle(now, &input)
        {
            return match input {
                // The desk hears when the peers are connected.
                Input::Connected { .. } => {
                    let session = running.session.clone();
                    let mut effects = effects;
                    effects.push(Effect::Desk(AppMessage::Connected { session }));
                    effects
                }
                _ => effects,
            };
        }
        match input {
            Input::Connect {
                id,
                notes,
                scopes,
                reason,
                pin,
            } => self.connect(now, id, (notes, reason), scopes, pin),
            Input::Cancel => self.cancel(),
            Input::Answer { .. } => vec![Effect::Answered(Err(
                crate::session::engine::SessionError::RequestChanged,
            ))],
            Input::RequestLost => {
                if matches!(self.state, State::Requesting { .. }) {
                    self.state = State::Idle;
                }
                Vec::new()
            }
            Input::Desk(message) => self.on_desk(now, message),
            Input::Ended(notice) => self.ended(notice),
            Input::Tick => self.tick(now),
            Input::Connected { .. }
            | Input::Scopes(_)
            | Input::Reachable(_)
            | Input::PeerOffDesk
            | Input::PeerOnDesk => Vec::new(),
        }
    }

    fn connect(
        &mut self,
        now: Now,
        id: String,
        (notes, reason): (String, Option<String>),
        scopes: lifeline_signaling::protocol::Scopes,
        pin: Option<String>,
    ) -> Vec<Effect> {
        if !matches!(self.state, State::Idle) {
            let busy = Notice::new(NoticeCode::Busy, "a request or session is already open");
            return vec![Effect::Notice(busy)];
        }
        self.state = State::Requesting {
            sent_at: now.at,
            withdrawn: false,
        };
        self.asked = scopes;
        vec![
            Effect::Requested {
                pin,
                notes: notes.clone(),
            },
            Effect::Desk(AppMessage::Connect {
                id,
                notes,
                scopes,
                reason,
            }),
        ]
    }

    fn cancel(&mut self) -> Vec<Effect> {
        match &mut self.state {
            State::Requesting { withdrawn, .. } if !*withdrawn => {
                *withdrawn = true;
                let withdrawn = Notice::new(NoticeCode::Cancelled, "request withdrawn");
                vec![Effect::Notice(withdrawn)]
            }
            State::Waiting { session, .. } => {
                let session = session.clone();
                self.state = State::Idle;
                let mut effects = vec![Effect::Desk(AppMessage::Cancel { session })];
                effects.extend(closed(NoticeCode::Cancelled, "request withdrawn"));
                effects
            }
            _ => Vec::new(),
        }
    }

    fn on_desk(&mut self, now: Now, message: ServerMessage) -> Vec<Effect> {
        let waiting_for = |session: &str| matches!(&self.state, State::Waiting { session: s, .. } if s == session);
        if let Some((session, notice)) = closed_by_desk(&message)
            && waiting_for(session)
        {
            self.state = State::Idle;
            return vec![Effect::Phase(Some(notice))];
        }
        match message {
            ServerMessage::Located {
                session,
                expires_in_secs,
            } => self.located(now, session, expires_in_secs),
            ServerMessage::Reconnecting {
                previous,
                session,
                expires_in_secs,
            } => self.reconnecting(now, &previous, session, expires_in_secs),
            ServerMessage::SessionStarted {
                session,
                scopes,
                ice_servers,
                client,
                recorded,
                ..
            } if waiting_for(&session) => {
                let start = Start {
                    session,
                    scopes,
                    offered: self.asked.iter().chain(scopes.iter()).collect(),
                    peer: client
                        .map(|about| about.computer.display_name())
                        .unwrap_or_default(),
                    ice_servers,
                    recorded,
                };
                self.state = State::Running(Running::new(&start, now));
                let accepted = Notice::new(NoticeCode::Established, "the client accepted");
                vec![Effect::Phase(Some(accepted)), Effect::StartPeer(start)]
            }
            error @ ServerMessage::Error { .. } => self.refused(error),
            other => {
                tracing::debug!(?other, "desk message not for this request");
                Vec::new()
            }
        }
    }

    /// The desk found the client for the request in flight. One the expert
    /// withdrew meanwhile is cancelled now that its session is known. One
    /// the expert stopped waiting for is still shown, so it can be
    /// withdrawn rather than left open at the desk.
    fn located(&mut self, now: Now, session: SessionId, expires_in_secs: u64) -> Vec<Effect> {
        match self.state {
            State::Requesting {
                withdrawn: true, ..
            } => {
                self.state = State::Idle;
                vec![Effect::Desk(AppMessage::Cancel { session })]
            }
            State::Idle | State::Requesting { .. } => {
                let (expires_at, expires_at_ms) = now.in_secs(expires_in_secs);
                self.state = State::Waiting {
                    session,
                    expires_at,
                    expires_at_ms,
                };
                let located = Notice::new(NoticeCode::Located, "waiting for the client's approval");
                vec![Effect::Phase(Some(located))]
            }
            _ => {
                tracing::debug!(%session, "a located request while busy ignored");
                Vec::new()
            }
        }
    }

    /// The client of the last session is back after its restart: it is
    /// asked again, by the desk, and this side waits as for a request.
    fn reconnecting(
        &mut self,
        now: Now,
        previous: &SessionId,
        session: SessionId,
        expires_in_secs: u64,
    ) -> Vec<Effect> {
        if !matches!(self.state, State::Idle) || self.last.as_ref() != Some(previous) {
            tracing::debug!(%session, "a reconnect for no session of this side ignored");
            return Vec::new();
        }
        let (expires_at, expires_at_ms) = now.in_secs(expires_in_secs);
        self.state = State::Waiting {
            session,
            expires_at,
            expires_at_ms,
        };
        let back = Notice::new(
            NoticeCode::Reconnecting,
            "the client is back after its restart",
        );
        vec![Effect::Phase(Some(back))]
    }

    /// An error from the desk. It answers the request in flight, if any;
    /// the refusal of a request the expert already withdrew is no news.
    fn refused(&mut self, error: ServerMessage) -> Vec<Effect> {
        if let State::Requesting { withdrawn, .. } = self.state {
            self.state = State::Idle;
            if withdrawn {
                tracing::debug!("the desk refused a request already withdrawn");
                return Vec::new();
            }
        }
        let running = matches!(self.state, State::Running(_));
        desk_error(error, running)
            .map(Effect::Notice)
            .into_iter()
            .collect()
    }

    fn ended(&mut self, notice: Option<Notice>) -> Vec<Effect> {
        if let State::Running(running) = &self.state {
            self.last = Some(running.session.clone());
        }
        let was_open = matches!(self.state, State::Waiting { .. } | State::Running(_));
        if was_open {
            self.state = State::Idle;
        }
        ended(was_open, notice)
    }

    fn tick(&mut self, now: Now) -> Vec<Effect> {
        if self.poll_timeout().is_none_or(|at| now.at < at) {
            return Vec::new();
        }
        match std::mem::take(&mut self.state) {
            State::Requesting { withdrawn, .. } => {
                tracing::warn!("the desk did not answer the request");
                let lost = Notice::new(
                    NoticeCode::DeskOffline,
                    "the desk did not answer the request",
                );
                (!withdrawn)
                    .then_some(Effect::Notice(lost))
                    .into_iter()
                    .collect()
            }
            State::Waiting { session, .. } => {
                let mut effects = vec![Effect::Desk(AppMessage::Cancel { session })];
                effects.extend(closed(NoticeCode::Timeout, "no answer in time"));
                effects
            }
            other => {
                self.state = other;
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lifeline_signaling::protocol::{ErrorCode, Scopes};

    use super::*;
    use crate::session::negotiation::testing::{Clock, notice_code};
    use crate::session::negotiation::{CONNECT_WITHIN, Negotiation};
    use crate::session::scopes::Scope;

    fn sid(name: &str) -> SessionId {
        SessionId::parse(name).unwrap()
    }

    fn expert() -> Negotiation {
        Negotiation::new(lifeline_signaling::protocol::Role::Expert)
    }

    fn connect() -> Input {
        Input::Connect {
            id: "048213".into(),
            notes: "printer".into(),
            scopes: Scopes::NONE.with(Scope::View),
            reason: None,
            pin: None,
        }
    }

    fn located(session: &str) -> Input {
        Input::Desk(ServerMessage::Located {
            session: SessionId::parse(session).unwrap(),
            expires_in_secs: 300,
        })
    }

    fn started(session: &str) -> Input {
        Input::Desk(ServerMessage::SessionStarted {
            session: SessionId::parse(session).unwrap(),
            scopes: Scopes::NONE.with(Scope::View),
            ice_servers: Vec::new(),
            client: None,
            reattach: None,
            recorded: false,
        })
    }

    fn sent(effects: &[Effect]) -> Vec<&AppMessage> {
        effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Desk(message) => Some(message),
                _ => None,
            })
            .collect()
    }

    fn reconnecting(previous: &str, session: &str) -> Input {
        Input::Desk(ServerMessage::Reconnecting {
            previous: sid(previous),
            session: sid(session),
            expires_in_secs: 300,
        })
    }

    #[test]
    fn the_client_of_the_last_session_comes_back_after_its_restart() {
        let clock = Clock::new();
        let mut machine = expert();
        // Nothing ran yet: a reconnect is no business of this side.
        assert!(
            machine
                .handle(clock.now(), reconnecting("s1", "s2"))
                .is_empty()
        );
        machine.handle(clock.now(), connect());
        machine.handle(clock.now(), located("s1"));
        machine.handle(clock.now(), started("s1"));
        let gone = Notice::new(NoticeCode::PeerLeft, "the client restarts");
        machine.handle(clock.now(), Input::Ended(Some(gone)));
        assert_eq!(machine.phase(), Phase::Idle);
        assert!(
            machine
                .handle(clock.now(), reconnecting("other", "s2"))
                .is_empty()
        );
        let effects = machine.handle(clock.now(), reconnecting("s1", "s2"));
        assert_eq!(notice_code(&effects), Some(NoticeCode::Reconnecting));
        assert!(matches!(machine.phase(), Phase::Waiting { session, .. } if session == "s2"));
        let effects = machine.handle(clock.now(), started("s2"));
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::StartPeer(s) if s.session == "s2"))
        );
    }

    #[test]
    fn a_request_is_located_asked_accepted_and_connected() {
        let clock = Clock::new();
        let mut machine = expert();
        let effects = machine.handle(clock.now(), connect());
        assert!(matches!(sent(&effects)[..], [AppMessage::Connect { .. }]));
        assert_eq!(machine.phase(), Phase::Idle);
        let effects = machine.handle(clock.now(), located("s1"));
        assert_eq!(notice_code(&effects), Some(NoticeCode::Located));
        assert!(matches!(machine.phase(), Phase::Waiting { session, .. } if session == "s1"));
        let effects = machine.handle(clock.now(), started("s1"));
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::StartPeer(s) if s.session == "s1"))
        );
        assert!(matches!(machine.phase(), Phase::Connecting { .. }));
        let effects = machine.handle(
            clock.now(),
            Input::Connected {
                safety_code: "12-34".into(),
            },
        );
        assert_eq!(
            sent(&effects),
            [&AppMessage::Connected { session: sid("s1") }]
        );
        assert!(
            matches!(machine.phase(), Phase::Active { safety_code, .. } if safety_code == "12-34")
        );
        assert_eq!(machine.poll_timeout(), None);
    }

    #[test]
    fn one_request_is_in_flight_at_a_time() {
        let clock = Clock::new();
        let mut machine = expert();
        machine.handle(clock.now(), connect());
        let again = machine.handle(clock.now(), connect());
        assert!(sent(&again).is_empty());
        assert_eq!(notice_code(&again), Some(NoticeCode::Busy));
    }

    #[test]
    fn a_request_withdrawn_before_it_is_located_is_cancelled_once_located() {
        let clock = Clock::new();
        let mut machine = expert();
        machine.handle(clock.now(), connect());
        let effects = machine.handle(clock.now(), Input::Cancel);
        assert_eq!(notice_code(&effects), Some(NoticeCode::Cancelled));
        let effects = machine.handle(clock.now(), located("s1"));
        assert_eq!(sent(&effects), [&AppMessage::Cancel { session: sid("s1") }]);
        assert_eq!(machine.phase(), Phase::Idle);
        assert_eq!(machine.poll_timeout(), None);
    }

    #[test]
    fn the_refusal_of_a_withdrawn_request_is_no_news() {
        let clock = Clock::new();
        let mut machine = expert();
        machine.handle(clock.now(), connect());
        machine.handle(clock.now(), Input::Cancel);
        let refusal = Input::Desk(ServerMessage::Error {
            code: ErrorCode::IdUnknown,
            message: "no such ID".into(),
            retry_after_secs: None,
            session: None,
        });
        assert!(machine.handle(clock.now(), refusal).is_empty());
        // The next request goes.
        let effects = machine.handle(clock.now(), connect());
        assert!(matches!(sent(&effects)[..], [AppMessage::Connect { .. }]));
    }

    #[test]
    fn a_request_the_desk_never_answers_is_given_up_after_its_time() {
        let mut clock = Clock::new();
        let mut machine = expert();
        machine.handle(clock.now(), connect());
        let due = machine.poll_timeout().expect("a deadline");
        clock.advance(ANSWER_WITHIN - Duration::from_millis(1));
        assert!(machine.handle(clock.now(), Input::Tick).is_empty());
        let effects = machine.handle(clock.to(due), Input::Tick);
        assert_eq!(notice_code(&effects), Some(NoticeCode::DeskOffline));
        assert_eq!(machine.poll_timeout(), None);
        let effects = machine.handle(clock.now(), connect());
        assert!(matches!(sent(&effects)[..], [AppMessage::Connect { .. }]));
    }

    #[test]
    fn a_consent_the_desk_never_closes_is_closed_at_its_expiry() {
        let mut clock = Clock::new();
        let mut machine = expert();
        machine.handle(clock.now(), connect());
        machine.handle(clock.now(), located("s1"));
        let due = machine.poll_timeout().expect("a deadline");
        assert_eq!(
            due,
            clock.now().at + Duration::from_secs(300) + EXPIRY_GRACE
        );
        clock.advance(Duration::from_secs(300));
        assert!(machine.handle(clock.now(), Input::Tick).is_empty());
        let effects = machine.handle(clock.to(due), Input::Tick);
        assert_eq!(notice_code(&effects), Some(NoticeCode::Timeout));
        assert_eq!(sent(&effects), [&AppMessage::Cancel { session: sid("s1") }]);
        assert_eq!(machine.phase(), Phase::Idle);
    }

    #[test]
    fn a_connection_that_never_comes_up_ends_the_session() {
        let mut clock = Clock::new();
        let mut machine = expert();
        machine.handle(clock.now(), connect());
        machine.handle(clock.now(), located("s1"));
        machine.handle(clock.now(), started("s1"));
        let due = machine.poll_timeout().expect("a deadline");
        assert_eq!(due, clock.now().at + CONNECT_WITHIN);
        let effects = machine.handle(clock.to(due), Input::Tick);
        assert!(matches!(&effects[..], [Effect::End(n)] if n.code == NoticeCode::ConnectionFailed));
        // Once: the engine's end comes next.
        assert!(machine.handle(clock.now(), Input::Tick).is_empty());
        let notice = Notice::new(NoticeCode::ConnectionFailed, "late");
        machine.handle(clock.now(), Input::Ended(Some(notice)));
        assert_eq!(machine.phase(), Phase::Idle);
        assert_eq!(machine.poll_timeout(), None);
    }

    #[test]
    fn answers_for_other_sessions_change_nothing() {
        let clock = Clock::new();
        let mut machine = expert();
        machine.handle(clock.now(), connect());
        machine.handle(clock.now(), located("s1"));
        for message in [
            ServerMessage::Declined { session: sid("s0") },
            ServerMessage::RequestTimedOut { session: sid("s0") },
        ] {
            assert!(machine.handle(clock.now(), Input::Desk(message)).is_empty());
        }
        assert!(machine.handle(clock.now(), started("s0")).is_empty());
        assert!(matches!(machine.phase(), Phase::Waiting { session, .. } if session == "s1"));
        let effects = machine.handle(
            clock.now(),
            Input::Desk(ServerMessage::Declined { session: sid("s1") }),
        );
        assert_eq!(notice_code(&effects), Some(NoticeCode::Declined));
    }

    #[test]
    fn an_expert_cannot_answer_a_request() {
        let clock = Clock::new();
        let mut machine = expert();
        let effects = machine.handle(
            clock.now(),
            Input::Answer {
                session: sid("s1"),
                answer: crate::session::negotiation::Answer::Decline,
            },
        );
        assert!(matches!(&effects[..], [Effect::Answered(Err(_))]));
    }
}
