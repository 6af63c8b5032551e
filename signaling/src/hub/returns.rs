//! A running session's sides coming back: a side whose link dropped takes
//! its place again from a new connection, or loses it when its grace ends.

use std::time::Instant;

use super::{ConnId, Hub, Refusal, left_reason};
use crate::protocol::{LeaveReason, Role, ServerMessage, SessionId};

impl Hub {
    /// `conn`, speaking as `role`, takes its side of `session` back with
    /// `secret`: it hears `reattached`, and the other side `peer_back`.
    pub(super) fn reattach(
        &mut self,
        conn: ConnId,
        role: Role,
        session: &SessionId,
        secret: &str,
    ) -> Result<(), Refusal> {
        let (old, other) = self.pairings.reattach(conn, role, session, secret)?;
        if old != conn {
            tracing::info!(
                old = old.0,
                new = conn.0,
                ?role,
                "a side is back in its session"
            );
        }
        self.push(
            conn,
            ServerMessage::Reattached {
                session: session.clone(),
            },
        );
        self.push(
            other,
            ServerMessage::PeerBack {
                session: session.clone(),
            },
        );
        Ok(())
    }

    /// Ends every session a side of which stayed away past its grace. The
    /// other side heard `peer_left` when the link dropped; it hears it
    /// again now that the desk has let the session go.
    pub(super) fn abandon(&mut self, now: Instant) {
        for (session, role) in self.pairings.abandoned(now) {
            let Some(pairing) = self.pairings.close(&session) else {
                continue;
            };
            let other = match role {
                Role::Expert => pairing.client,
                Role::Client => pairing.expert,
            };
            self.push(
                other,
                ServerMessage::PeerLeft {
                    session: session.clone(),
                    reason: LeaveReason::Disconnected,
                },
            );
            self.end(&session, left_reason(role));
        }
    }
}
