//! The client's answer to a connect request: Accept or Decline, naming the
//! session of the request the person read.
//!
//! A request can be withdrawn and another take its place between the
//! moment the dialog is drawn and the moment the click arrives here. An
//! answer that names any session but the pending one is refused with
//! [`SessionError::RequestChanged`] and changes nothing, so a click can
//! only ever answer the request that was on screen.

use lifeline_signaling::protocol::{AppMessage, Scopes};

use super::{Engine, SessionError};
use crate::session::notice::NoticeCode;
use crate::session::view::{Notice, Phase};

/// What the person answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accept, with the permissions left ticked (at most those asked for).
    Accept(Scopes),
    Decline,
}

impl Engine {
    /// Answers the pending request if it is `session`; `phase` is the
    /// engine's phase now.
    pub(super) async fn answer(
        &mut self,
        session: &str,
        answer: Answer,
        phase: Phase,
    ) -> Result<(), SessionError> {
        let (pending, expert, asked) = match phase {
            Phase::Asked {
                session: pending,
                expert,
                scopes,
                ..
            } if pending == session => (pending, expert, scopes),
            other => {
                tracing::warn!(%session, phase = ?other, "an answer for another request refused");
                return Err(SessionError::RequestChanged);
            }
        };
        match answer {
            Answer::Accept(scopes) => {
                let granted = asked.intersect(scopes);
                self.offered = asked;
                self.send(AppMessage::Accept {
                    session: pending.clone(),
                    scopes: granted,
                })
                .await;
                self.set_phase(
                    Phase::Connecting {
                        session: pending,
                        peer: expert,
                        scopes: granted,
                    },
                    None,
                );
            }
            Answer::Decline => {
                self.send(AppMessage::Decline { session: pending }).await;
                self.set_phase(
                    Phase::Idle,
                    Some(Notice::new(NoticeCode::Declined, "you declined")),
                );
            }
        }
        Ok(())
    }
}
