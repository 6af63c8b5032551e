//! The PIN check in the engine (see `session::pin`). While a session's
//! check is open, the connection is held: its "connected" state and every
//! data channel wait, so no screen, input or file moves and the client
//! answers nothing on the channels. When the check passes they are let
//! through in order; when it fails, or does not finish in time, the session
//! ends with a notice that says why.

use crate::session::log::EventCode;
use std::time::Duration;

use lifeline_signaling::protocol::{AppMessage, Signal};

use super::Engine;
use crate::peer::{ConnectionState, PeerEvent};
use crate::session::deadlines::Due;
use crate::session::notice::NoticeCode;
use crate::session::pin::PinCheck;
use crate::session::view::Notice;

/// How long after connecting the PIN check may take.
const PIN_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the desk has to deliver the other side's last word once the
/// connection closed during the check.
const WORD_WITHIN: Duration = Duration::from_secs(5);

impl Engine {
    /// Starts the check for a new session, if this side holds a PIN.
    pub(super) async fn start_pin(&mut self) {
        let (Some(pin), Some(live)) = (self.pin.clone(), self.live.as_mut()) else {
            return;
        };
        let (check, message) = PinCheck::start(&pin, &live.session, self.role);
        live.pin = Some(check);
        let session = live.session.clone();
        self.send(AppMessage::Signal {
            session,
            signal: message,
        })
        .await;
    }

    /// Whether `event` must wait for the PIN check; if so it is kept.
    pub(super) async fn hold_for_pin(&mut self, event: PeerEvent) -> Option<PeerEvent> {
        let Some(live) = self.live.as_mut() else {
            return Some(event);
        };
        if live.pin.as_ref().is_none_or(PinCheck::verified) {
            return Some(event);
        }
        match event {
            PeerEvent::State(ConnectionState::Connected) => {
                live.held.push(event);
                let limit = std::time::Instant::now() + PIN_TIMEOUT;
                live.deadlines.set(Due::PinCheck, limit);
                self.advance_pin().await;
                None
            }
            PeerEvent::DataChannel(_) | PeerEvent::Video(_) => {
                live.held.push(event);
                None
            }
            other => Some(other),
        }
    }

    /// A PIN-check signal from the other peer.
    pub(super) async fn on_pin_signal(&mut self, signal: Signal) {
        let Some(check) = self.live.as_mut().and_then(|l| l.pin.as_mut()) else {
            // The other side typed a PIN this side never showed; it will
            // give up with a notice of its own.
            tracing::warn!("a PIN check arrived, but this session has no PIN");
            return;
        };
        let outcome = match &signal {
            Signal::Pake { message } => check.on_exchange(message),
            Signal::PinProof { proof } => check.on_proof(proof),
            _ => Ok(()),
        };
        match outcome {
            Ok(()) => self.advance_pin().await,
            Err(error) => {
                self.pin_failed(error.notice_code(), &error.to_string())
                    .await
            }
        }
    }

    /// Sends this side's proof and checks the other's, as far as the
    /// exchange, the connection and the other side's proof allow.
    async fn advance_pin(&mut self) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let Some(fingerprints) = live.peer.fingerprints().await else {
            return; // not both descriptions yet
        };
        let Some(check) = live.pin.as_mut() else {
            return;
        };
        // The fingerprints are fixed once both descriptions are set, and
        // DTLS will hold each side to them: no need to wait for "connected".
        let proof = check.proof(&fingerprints);
        let verdict = check.verify(&fingerprints);
        let session = live.session.clone();
        if let Some(proof) = proof {
            self.send(AppMessage::Signal {
                session,
                signal: proof,
            })
            .await;
        }
        match verdict {
            Some(Ok(())) => {
                self.log_event(EventCode::PinVerified, String::new());
                let held = self
                    .live
                    .as_mut()
                    .map(|l| std::mem::take(&mut l.held))
                    .unwrap_or_default();
                for event in held {
                    Box::pin(self.on_peer(event)).await;
                }
            }
            Some(Err(error)) => {
                self.pin_failed(error.notice_code(), &error.to_string())
                    .await
            }
            None => {}
        }
    }

    /// Whether this session's PIN check is still open.
    pub(super) fn pin_open(&self) -> bool {
        self.live
            .as_ref()
            .and_then(|l| l.pin.as_ref())
            .is_some_and(|check| !check.verified())
    }

    /// The connection closed with the check open: the desk has the other
    /// side's last word (its proof, then its `bye`), in order. It gets a
    /// few seconds to deliver it before the check is given up.
    pub(super) fn closed_during_pin(&mut self) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        tracing::info!("the connection closed during the PIN check; waiting for the desk");
        let limit = std::time::Instant::now() + WORD_WITHIN;
        live.deadlines.set_by(Due::PinCheck, limit);
    }

    /// The deadline: a check still open ends the session.
    pub(super) async fn pin_deadline(&mut self) {
        if self.pin_open() {
            self.pin_failed(
                NoticeCode::PinTimeout,
                "the PIN check did not finish; was the PIN typed on both sides?",
            )
            .await;
        }
    }

    async fn pin_failed(&mut self, code: NoticeCode, message: &str) {
        tracing::warn!(%code, message, "the PIN check failed; ending the session");
        self.end(true, Some(Notice::new(code, message))).await;
    }
}
