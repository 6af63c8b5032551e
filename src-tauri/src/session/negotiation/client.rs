//! The client's side: an expert's request opens the consent dialog; the
//! person's Accept or Decline answers it; an accepted session starts,
//! connects and ends.
//!
//! Consent is enforced here. A peer is started only for a session whose
//! request the person accepted (a desk that announces any other session
//! gets nothing), and only with what the person granted, whatever the desk
//! says. An answer names the request it answers: one that was withdrawn or
//! replaced between the dialog's drawing and the click is refused with
//! [`SessionError::RequestChanged`] and changes nothing.

use std::time::Instant;

use lifeline_signaling::protocol::{AppMessage, Scopes, ServerMessage, SessionId};

use super::{
    Answer, EXPIRY_GRACE, Effect, Input, Now, Running, START_WITHIN, Start, closed, closed_by_desk,
    desk_error, ended,
};
use crate::session::engine::SessionError;
use crate::session::notice::NoticeCode;
use crate::session::view::{Notice, Phase};

#[derive(Debug, Default)]
pub struct ClientNegotiation {
    state: State,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Idle,
    /// The consent dialog is open.
    Asked {
        session: SessionId,
        expert: String,
        notes: String,
        scopes: Scopes,
        expires_at: Instant,
        expires_at_ms: u64,
        recorded: bool,
        reason: Option<String>,
        desk: Option<String>,
    },
    /// Accepted; the desk has yet to start the session.
    Accepted {
        session: SessionId,
        expert: String,
        granted: Scopes,
        offered: Scopes,
        start_by: Instant,
    },
    Running(Running),
}

impl ClientNegotiation {
    pub fn phase(&self) -> Phase {
        match &self.state {
            State::Idle => Phase::Idle,
            State::Asked {
                session,
                expert,
                notes,
                scopes,
                expires_at_ms,
                recorded,
                reason,
                desk,
                ..
            } => Phase::Asked {
                session: session.clone(),
                expert: expert.clone(),
                notes: notes.clone(),
                scopes: *scopes,
                expires_at_ms: *expires_at_ms,
                recorded: *recorded,
                reason: reason.clone(),
                desk: desk.clone(),
            },
            State::Accepted {
                session,
                expert,
                granted,
                ..
            } => Phase::Connecting {
                session: session.clone(),
                peer: expert.clone(),
                scopes: *granted,
            },
            State::Running(running) => running.phase(),
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Idle => None,
            State::Asked { expires_at, .. } => Some(*expires_at + EXPIRY_GRACE),
            State::Accepted { start_by, .. } => Some(*start_by),
            State::Running(running) => running.timeout(),
        }
    }

    pub fn handle(&mut self, now: Now, input: Input) -> Vec<Effect> {
        if let State::Running(running) = &mut self.state
            && let Some(effects) = running.handle(now, &input)
        {
            return effects;
        }
        match input {
            Input::Cancel => self.cancel(),
            Input::Answer { session, answer } => self.answer(now, &session, answer),
            Input::Desk(message) => self.on_desk(now, message),
            Input::Ended(notice) => self.ended(notice),
            Input::Tick => self.tick(now),
            Input::Connect { .. } => {
                tracing::warn!("a client cannot make a request");
                Vec::new()
            }
            Input::RequestLost
            | Input::Connected { .. }
            | Input::Scopes(_)
            | Input::Reachable(_)
            | Input::PeerOffDesk
            | Input::PeerOnDesk => Vec::new(),
        }
    }

    /// The person closed the dialog without answering.
    fn cancel(&mut self) -> Vec<Effect> {
        let State::Asked { session, .. } = std::mem::take(&mut self.state) else {
            return Vec::new();
        };
        let mut effects = vec![Effect::Desk(AppMessage::Cancel { session })];
        effects.extend(closed(NoticeCode::Cancelled, "request withdrawn"));
        effects
    }

    fn answer(&mut self, now: Now, session: &SessionId, answer: Answer) -> Vec<Effect> {
        let asked = match std::mem::take(&mut self.state) {
            State::Asked {
                session: pending,
                expert,
                scopes,
                ..
            } if pending == *session => (pending, expert, scopes),
            other => {
                tracing::warn!(%session, state = ?other, "an answer for another request refused");
                self.state = other;
                return vec![Effect::Answered(Err(SessionError::RequestChanged))];
            }
        };
        let (session, expert, offered) = asked;
        let mut effects = match answer {
            Answer::Accept(scopes) => {
                let granted = offered.intersect(scopes);
                self.state = State::Accepted {
                    session: session.clone(),
                    expert,
                    granted,
                    offered,
                    start_by: now.at + START_WITHIN,
                };
                vec![
                    Effect::Desk(AppMessage::Accept {
                        session,
                        scopes: granted,
                    }),
                    Effect::Phase(None),
                ]
            }
            Answer::Decline => {
                let mut effects = vec![Effect::Desk(AppMessage::Decline { session })];
                effects.extend(closed(NoticeCode::Declined, "you declined"));
                effects
            }
        };
        effects.push(Effect::Answered(Ok(())));
        effects
    }

    fn on_desk(&mut self, now: Now, message: ServerMessage) -> Vec<Effect> {
        let pending = match &self.state {
            State::Asked { session, .. } | State::Accepted { session, .. } => Some(session.clone()),
            _ => None,
        };
        let ours = |session: &str| pending.as_deref() == Some(session);
        if let Some((session, notice)) = closed_by_desk(&message)
            && ours(session)
        {
            self.state = State::Idle;
            return vec![Effect::Phase(Some(notice))];
        }
        match message {
            ServerMessage::ConnectRequest {
                session,
                expert,
                notes,
                scopes,
                expires_in_secs,
                recorded,
                reason,
                desk,
                ..
            } if matches!(self.state, State::Idle) => {
                let (expires_at, expires_at_ms) = now.in_secs(expires_in_secs);
                self.state = State::Asked {
                    session,
                    expert,
                    notes,
                    scopes,
                    expires_at,
                    expires_at_ms,
                    recorded,
                    reason,
                    desk,
                };
                vec![Effect::Phase(None)]
            }
            ServerMessage::SessionStarted {
                session,
                scopes,
                ice_servers,
                ..
            } => self.started(now, session, scopes, ice_servers),
            error @ ServerMessage::Error { .. } => {
                let running = matches!(self.state, State::Running(_));
                desk_error(error, running)
                    .map(Effect::Notice)
                    .into_iter()
                    .collect()
            }
            other => {
                tracing::debug!(?other, "desk message not for this request");
                Vec::new()
            }
        }
    }

    /// The desk starts the session for the request the person accepted:
    /// the peer is made, within what the person granted.
    fn started(
        &mut self,
        now: Now,
        session: SessionId,
        scopes: Scopes,
        ice_servers: Vec<lifeline_signaling::protocol::IceServer>,
    ) -> Vec<Effect> {
        let state = std::mem::take(&mut self.state);
        let State::Accepted {
            session: accepted,
            expert,
            granted,
            offered,
            ..
        } = &state
        else {
            tracing::warn!(%session, "a session start for no accepted request ignored");
            self.state = state;
            return Vec::new();
        };
        if *accepted != session {
            tracing::warn!(%session, "a session start for another request ignored");
            self.state = state;
            return Vec::new();
        }
        let start = Start {
            session,
            scopes: granted.intersect(scopes),
            offered: *offered,
            peer: expert.clone(),
            ice_servers,
            // The expert's app records; this side is only told.
            recorded: false,
        };
        self.state = State::Running(Running::new(&start, now));
        vec![Effect::Phase(None), Effect::StartPeer(start)]
    }

    fn ended(&mut self, notice: Option<Notice>) -> Vec<Effect> {
        let was_open = !matches!(self.state, State::Idle);
        self.state = State::Idle;
        ended(was_open, notice)
    }

    fn tick(&mut self, now: Now) -> Vec<Effect> {
        if self.poll_timeout().is_none_or(|at| now.at < at) {
            return Vec::new();
        }
        match std::mem::take(&mut self.state) {
            State::Asked { .. } => closed(NoticeCode::Timeout, "no answer in time"),
            State::Accepted { .. } => {
                tracing::warn!("the desk did not start the accepted session");
                let failed = "the desk did not start the session";
                closed(NoticeCode::ConnectionFailed, failed)
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

    use lifeline_signaling::protocol::{ErrorCode, Role};

    use super::*;
    use crate::session::negotiation::testing::{Clock, notice_code};
    use crate::session::negotiation::{CONNECT_WITHIN, Negotiation};
    use crate::session::scopes::Scope;

    fn client() -> Negotiation {
        Negotiation::new(Role::Client)
    }

    fn view_and_control() -> Scopes {
        Scopes::NONE.with(Scope::View).with(Scope::Control)
    }

    fn request(session: &str) -> Input {
        request_recorded(session, false)
    }

    /// A request from a desk that records every session (`recorded`), or not.
    fn request_recorded(session: &str, recorded: bool) -> Input {
        Input::Desk(ServerMessage::ConnectRequest {
            session: SessionId::parse(session).unwrap(),
            expert: "Ada".into(),
            notes: "printer".into(),
            scopes: view_and_control(),
            expires_in_secs: 300,
            resumes: None,
            recorded,
            reason: Some("Ticket 4711".into()),
            desk: Some("Acme IT".into()),
        })
    }

    fn started(session: &str, scopes: Scopes) -> Input {
        Input::Desk(ServerMessage::SessionStarted {
            session: SessionId::parse(session).unwrap(),
            scopes,
            ice_servers: Vec::new(),
            client: None,
            reattach: None,
            recorded: false,
        })
    }

    fn accept(session: &str, scopes: Scopes) -> Input {
        Input::Answer {
            session: SessionId::parse(session).unwrap(),
            answer: Answer::Accept(scopes),
        }
    }

    fn start_of(effects: &[Effect]) -> Option<&Start> {
        effects.iter().find_map(|effect| match effect {
            Effect::StartPeer(start) => Some(start),
            _ => None,
        })
    }

    #[test]
    fn an_accepted_request_starts_a_peer_within_what_was_granted() {
        let clock = Clock::new();
        let mut machine = client();
        machine.handle(clock.now(), request("s1"));
        assert!(matches!(machine.phase(), Phase::Asked { expert, .. } if expert == "Ada"));
        let effects = machine.handle(clock.now(), accept("s1", Scopes::NONE.with(Scope::View)));
        assert!(effects.contains(&Effect::Answered(Ok(()))));
        assert!(effects.contains(&Effect::Desk(AppMessage::Accept {
            session: SessionId::parse("s1").unwrap(),
            scopes: Scopes::NONE.with(Scope::View),
        })));
        assert!(matches!(machine.phase(), Phase::Connecting { .. }));
        // The desk claims more than the person granted: the grant holds.
        let effects = machine.handle(clock.now(), started("s1", view_and_control()));
        let start = start_of(&effects).expect("a peer starts");
        assert_eq!(start.scopes, Scopes::NONE.with(Scope::View));
        assert_eq!(start.offered, view_and_control());
        assert_eq!(start.peer, "Ada");
        // A second start for the same session starts nothing more.
        let again = machine.handle(clock.now(), started("s1", view_and_control()));
        assert!(start_of(&again).is_none());
    }

    /// The desk's "every session is recorded" reaches the consent dialog.
    #[test]
    fn the_person_is_told_before_answering_that_the_desk_records() {
        let clock = Clock::new();
        let mut machine = client();
        machine.handle(clock.now(), request("s1"));
        assert!(matches!(
            machine.phase(),
            Phase::Asked {
                recorded: false,
                ..
            }
        ));
        assert!(matches!(
            machine.phase(),
            Phase::Asked { reason: Some(reason), desk: Some(desk), .. }
                if reason == "Ticket 4711" && desk == "Acme IT"
        ));
        let mut recorded = client();
        recorded.handle(clock.now(), request_recorded("s2", true));
        assert!(matches!(
            recorded.phase(),
            Phase::Asked { recorded: true, .. }
        ));
    }

    #[test]
    fn no_peer_starts_without_the_persons_accept() {
        let clock = Clock::new();
        let mut machine = client();
        let effects = machine.handle(clock.now(), started("s1", view_and_control()));
        assert!(effects.is_empty());
        machine.handle(clock.now(), request("s1"));
        let effects = machine.handle(clock.now(), started("s1", view_and_control()));
        assert!(effects.is_empty());
        assert!(matches!(machine.phase(), Phase::Asked { .. }));
    }

    #[test]
    fn an_answer_for_a_replaced_request_is_refused_and_changes_nothing() {
        let clock = Clock::new();
        let mut machine = client();
        machine.handle(clock.now(), request("s1"));
        machine.handle(
            clock.now(),
            Input::Desk(ServerMessage::RequestCancelled {
                session: SessionId::parse("s1").unwrap(),
            }),
        );
        machine.handle(clock.now(), request("s2"));
        let effects = machine.handle(clock.now(), accept("s1", view_and_control()));
        assert_eq!(
            effects,
            [Effect::Answered(Err(SessionError::RequestChanged))]
        );
        assert!(matches!(machine.phase(), Phase::Asked { session, .. } if session == "s2"));
    }

    #[test]
    fn a_second_request_does_not_replace_the_open_dialog() {
        let clock = Clock::new();
        let mut machine = client();
        machine.handle(clock.now(), request("s1"));
        assert!(machine.handle(clock.now(), request("s2")).is_empty());
        assert!(matches!(machine.phase(), Phase::Asked { session, .. } if session == "s1"));
    }

    #[test]
    fn the_dialog_closes_at_its_expiry_when_the_desk_is_silent() {
        let mut clock = Clock::new();
        let mut machine = client();
        machine.handle(clock.now(), request("s1"));
        let Phase::Asked { expires_at_ms, .. } = machine.phase() else {
            panic!("asked");
        };
        assert_eq!(expires_at_ms, clock.now().unix_ms + 300_000);
        let due = machine.poll_timeout().expect("a deadline");
        clock.advance(Duration::from_secs(300));
        assert!(machine.handle(clock.now(), Input::Tick).is_empty());
        let effects = machine.handle(clock.to(due), Input::Tick);
        assert_eq!(notice_code(&effects), Some(NoticeCode::Timeout));
        assert_eq!(machine.phase(), Phase::Idle);
        // A late answer to it is refused.
        let effects = machine.handle(clock.now(), accept("s1", view_and_control()));
        assert_eq!(
            effects,
            [Effect::Answered(Err(SessionError::RequestChanged))]
        );
    }

    #[test]
    fn an_accept_the_desk_never_starts_fails_after_its_time() {
        let mut clock = Clock::new();
        let mut machine = client();
        machine.handle(clock.now(), request("s1"));
        machine.handle(clock.now(), accept("s1", view_and_control()));
        let due = machine.poll_timeout().expect("a deadline");
        assert_eq!(due, clock.now().at + START_WITHIN);
        let effects = machine.handle(clock.to(due), Input::Tick);
        assert_eq!(notice_code(&effects), Some(NoticeCode::ConnectionFailed));
        assert_eq!(machine.phase(), Phase::Idle);
    }

    #[test]
    fn a_running_session_connects_changes_scopes_and_ends() {
        let mut clock = Clock::new();
        let mut machine = client();
        machine.handle(clock.now(), request("s1"));
        machine.handle(clock.now(), accept("s1", view_and_control()));
        machine.handle(clock.now(), started("s1", view_and_control()));
        assert_eq!(
            machine.poll_timeout(),
            Some(clock.now().at + CONNECT_WITHIN)
        );
        clock.advance(Duration::from_secs(3));
        let effects = machine.handle(
            clock.now(),
            Input::Connected {
                safety_code: "12-34".into(),
            },
        );
        assert_eq!(effects, [Effect::Phase(None)]);
        assert_eq!(machine.poll_timeout(), None);
        machine.handle(clock.now(), Input::Scopes(Scopes::NONE.with(Scope::View)));
        let Phase::Active {
            scopes, since_ms, ..
        } = machine.phase()
        else {
            panic!("active");
        };
        assert_eq!(scopes, Scopes::NONE.with(Scope::View));
        assert_eq!(since_ms, clock.now().unix_ms);
        // A late "no such session" while running is news.
        let error = Input::Desk(ServerMessage::Error {
            code: ErrorCode::NoSuchSession,
            message: "gone".into(),
            retry_after_secs: None,
            session: None,
        });
        assert_eq!(
            notice_code(&machine.handle(clock.now(), error)),
            Some(NoticeCode::Desk(ErrorCode::NoSuchSession))
        );
        let ended = Notice::new(NoticeCode::PeerLeft, "the other side left");
        let effects = machine.handle(clock.now(), Input::Ended(Some(ended)));
        assert_eq!(notice_code(&effects), Some(NoticeCode::PeerLeft));
        assert_eq!(machine.phase(), Phase::Idle);
        // After the end, it is no news.
        let error = Input::Desk(ServerMessage::Error {
            code: ErrorCode::NoSuchSession,
            message: "gone".into(),
            retry_after_secs: None,
            session: None,
        });
        assert!(machine.handle(clock.now(), error).is_empty());
    }

    fn active() -> (Clock, Negotiation) {
        let clock = Clock::new();
        let mut machine = client();
        machine.handle(clock.now(), request("s1"));
        machine.handle(clock.now(), accept("s1", view_and_control()));
        machine.handle(clock.now(), started("s1", view_and_control()));
        let up = Input::Connected {
            safety_code: "12-34".into(),
        };
        machine.handle(clock.now(), up);
        (clock, machine)
    }

    fn ends(effects: &[Effect]) -> bool {
        matches!(effects, [Effect::End(n)] if n.code == NoticeCode::PeerLeft)
    }

    #[test]
    fn a_session_outlives_the_desk_or_a_quiet_path_but_not_both() {
        // The desk lost the expert's app, but the path answers: it goes on
        // until the path goes quiet too.
        let (clock, mut machine) = active();
        assert!(machine.handle(clock.now(), Input::PeerOffDesk).is_empty());
        assert!(ends(&machine.handle(clock.now(), Input::Reachable(false))));
        // A quiet spell that passes is nothing; quiet and off the desk, in
        // the other order, is the end, once.
        let (clock, mut machine) = active();
        assert!(
            machine
                .handle(clock.now(), Input::Reachable(false))
                .is_empty()
        );
        assert!(
            machine
                .handle(clock.now(), Input::Reachable(true))
                .is_empty()
        );
        assert!(machine.handle(clock.now(), Input::PeerOffDesk).is_empty());
        assert!(ends(&machine.handle(clock.now(), Input::Reachable(false))));
        assert!(
            machine
                .handle(clock.now(), Input::Reachable(false))
                .is_empty()
        );
        assert!(matches!(machine.phase(), Phase::Active { .. }));
    }

    #[test]
    fn a_quiet_path_has_a_while_to_come_back_and_a_side_back_on_the_desk_is_waited_for() {
        use crate::session::negotiation::RECOVER_WITHIN;
        let (mut clock, mut machine) = active();
        assert!(machine.handle(clock.now(), Input::PeerOffDesk).is_empty());
        assert!(machine.handle(clock.now(), Input::PeerOnDesk).is_empty());
        // Back on the desk: a quiet path is a restart to wait for.
        let quiet_at = clock.now().at;
        assert!(
            machine
                .handle(clock.now(), Input::Reachable(false))
                .is_empty()
        );
        assert_eq!(machine.poll_timeout(), Some(quiet_at + RECOVER_WITHIN));
        // Quiet again while quiet keeps the first moment.
        let now = clock.advance(Duration::from_secs(10));
        assert!(machine.handle(now, Input::Reachable(false)).is_empty());
        assert_eq!(machine.poll_timeout(), Some(quiet_at + RECOVER_WITHIN));
        let now = clock.advance(Duration::from_secs(5));
        assert!(machine.handle(now, Input::Reachable(true)).is_empty());
        assert_eq!(machine.poll_timeout(), None);

        let now = clock.advance(Duration::from_secs(1));
        machine.handle(now, Input::Reachable(false));
        let now = clock.advance(RECOVER_WITHIN - Duration::from_millis(1));
        assert!(machine.handle(now, Input::Tick).is_empty());
        let now = clock.advance(Duration::from_millis(1));
        let effects = machine.handle(now, Input::Tick);
        assert!(
            matches!(&effects[..], [Effect::End(n)] if n.code == NoticeCode::ConnectionFailed),
            "{effects:?}"
        );
        assert!(machine.handle(now, Input::Tick).is_empty(), "once");
    }

    #[test]
    fn a_client_cannot_make_a_request() {
        let clock = Clock::new();
        let mut machine = client();
        let effects = machine.handle(
            clock.now(),
            Input::Connect {
                id: "048213".into(),
                notes: String::new(),
                scopes: view_and_control(),
                reason: None,
                pin: None,
            },
        );
        assert!(effects.is_empty());
    }
}
