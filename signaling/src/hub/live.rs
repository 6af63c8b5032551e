//! What the desk is doing now, for the console's live view: the IDs
//! waiting for an expert, and the requests and sessions under way. And an
//! admin's way to end a request still waiting for its client's answer.

use std::time::{Duration, Instant};

use super::{ConnId, Hub, Refusal};
use crate::pairings::Stage;
use crate::protocol::{ErrorCode, Scopes, ServerMessage, SessionId};
use crate::records::Outcome;

/// A client ID nobody has used yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingId {
    pub id: String,
    pub description: String,
    pub computer: String,
    pub user: String,
    pub expires_in: Duration,
    /// The client's link is down; it has its grace to come back.
    pub offline: bool,
}

/// A request waiting for its client, or a running session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub session: SessionId,
    pub expert: String,
    pub client_id: String,
    pub computer: String,
    pub user: String,
    pub since: Duration,
    /// `None` while the request waits for the client's answer.
    pub granted: Option<Scopes>,
    /// How long the client has left to answer.
    pub answer_within: Option<Duration>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveView {
    pub waiting: Vec<WaitingId>,
    pub sessions: Vec<LiveSession>,
}

impl Hub {
    fn about_client(&self, conn: ConnId) -> (String, String, String) {
        self.conns
            .get(&conn)
            .and_then(|c| c.about.clone())
            .map(|(description, computer)| (description, computer.name, computer.user))
            .unwrap_or_default()
    }

    /// The desk now: waiting IDs soonest to expire first, sessions oldest
    /// first.
    pub(super) fn live_view(&self, now: Instant) -> LiveView {
        let busy: std::collections::HashSet<ConnId> =
            self.pairings.iter().map(|(_, p)| p.client).collect();
        let mut waiting: Vec<WaitingId> = self
            .ids
            .live()
            .filter(|(_, owner, _, _)| !busy.contains(owner))
            .map(|(id, owner, expires, offline)| {
                let (description, computer, user) = self.about_client(owner);
                WaitingId {
                    id: id.to_string(),
                    description,
                    computer,
                    user,
                    expires_in: expires.saturating_duration_since(now),
                    offline,
                }
            })
            .collect();
        waiting.sort_by_key(|w| w.expires_in);
        let mut sessions: Vec<LiveSession> = self
            .pairings
            .iter()
            .map(|(session, p)| {
                let (_, computer, user) = self.about_client(p.client);
                let (granted, answer_within) = match p.stage {
                    Stage::Pending { deadline } => {
                        (None, Some(deadline.saturating_duration_since(now)))
                    }
                    Stage::Active { granted } => (Some(granted), None),
                };
                LiveSession {
                    session: session.clone(),
                    expert: p.expert_user.clone(),
                    client_id: p.client_id.to_string(),
                    computer,
                    user,
                    since: now.saturating_duration_since(p.opened),
                    granted,
                    answer_within,
                }
            })
            .collect();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.since));
        LiveView { waiting, sessions }
    }

    /// An admin ends a request its client has not answered: both sides
    /// hear it was withdrawn, and the record says who ended it.
    pub(super) fn end_by_admin(&mut self, session: &SessionId) -> Result<(), Refusal> {
        let Some((_, pairing)) = self.pairings.iter().find(|(id, _)| *id == session) else {
            return Err(Refusal::new(
                ErrorCode::NoSuchSession,
                "no such request (it may have been answered or timed out)",
            ));
        };
        if !matches!(pairing.stage, Stage::Pending { .. }) {
            return Err(Refusal::new(
                ErrorCode::NoSuchSession,
                "the client already answered; only the request can be ended here",
            ));
        }
        let sides = [pairing.expert, pairing.client];
        self.pairings.close(session);
        for side in sides {
            self.push(
                side,
                ServerMessage::RequestCancelled {
                    session: session.clone(),
                },
            );
        }
        self.finish(session, Outcome::Cancelled, None, "admin_ended");
        Ok(())
    }
}
