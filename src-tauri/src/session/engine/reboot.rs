//! The client's restart in the engine: a countdown the client can cancel,
//! then the configured command. Ending the session cancels it too: the
//! consent was for this session.
//!
//! With "restart and reconnect", the countdown's end first asks the desk
//! for a token to come back with; the grant goes to the reconnect store
//! (which also starts the app at the next login) before the command runs.
//! Without a token within [`TOKEN_WITHIN`], the restart goes ahead alone.

use std::time::{Duration, Instant};

use lifeline_signaling::protocol::{AppMessage, SessionId};

use super::super::control::ControlMessage;
use super::super::deadlines::Due;
use super::Engine;
use crate::clock::unix_ms;
use crate::session::log::EventCode;
use crate::session::notice::NoticeCode;
use crate::session::reconnect::ReconnectGrant;

/// How long the restart waits for the desk's reconnect token.
const TOKEN_WITHIN: Duration = Duration::from_secs(5);

/// Where the restart the expert asked for stands.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    #[default]
    None,
    /// Counting down; `reconnect`: the session resumes after it.
    Countdown { reconnect: bool },
    /// The countdown ended; waiting for the desk's token.
    AwaitingToken,
}

impl Engine {
    /// Client: the expert asked for a restart (the reboot scope was checked).
    pub(super) async fn schedule_reboot(&mut self, reconnect: bool) {
        let countdown = self.backends.reboot.countdown;
        let Some(live) = &mut self.live else { return };
        if live.deadlines.is_set(Due::Reboot) {
            return;
        }
        live.deadlines.set(Due::Reboot, Instant::now() + countdown);
        if let Some(client) = live.client_mut() {
            client.reboot = Stage::Countdown { reconnect };
        }
        let at = unix_ms() + countdown.as_millis() as u64;
        self.view.send_modify(|view| {
            view.reboot_at_ms = Some(at);
            view.reboot_reconnect = reconnect && self.backends.reconnect.is_some();
        });
        let in_secs = countdown.as_secs();
        self.log_event(EventCode::RebootScheduled, in_secs.to_string());
        self.tell_peer(ControlMessage::RebootScheduled { in_secs })
            .await;
    }

    /// Client: stops the countdown, if one runs.
    pub(super) async fn cancel_reboot(&mut self) {
        let running = self.live.as_mut();
        if !running.is_some_and(|live| live.deadlines.clear(Due::Reboot)) {
            return;
        }
        if let Some(client) = self.live.as_mut().and_then(|l| l.client_mut()) {
            client.reboot = Stage::None;
        }
        self.view.send_modify(|view| {
            view.reboot_at_ms = None;
            view.reboot_reconnect = false;
        });
        self.log_event(EventCode::RebootCancelled, String::new());
        self.tell_peer(ControlMessage::RebootCancelled).await;
    }

    /// Client: the countdown ran out (or the token did not come).
    pub(super) async fn reboot_now(&mut self) {
        let Some(live) = &mut self.live else {
            return; // the session, and the consent, ended first
        };
        let session = live.session.clone();
        let stage = live.client().map(|c| c.reboot).unwrap_or_default();
        if stage == (Stage::Countdown { reconnect: true }) && self.backends.reconnect.is_some() {
            live.deadlines
                .set(Due::Reboot, Instant::now() + TOKEN_WITHIN);
            if let Some(client) = live.client_mut() {
                client.reboot = Stage::AwaitingToken;
            }
            self.send(AppMessage::HoldForReconnect { session }).await;
            return;
        }
        if stage == Stage::AwaitingToken {
            tracing::warn!("no reconnect token from the desk; restarting without it");
            self.log_event(EventCode::ReconnectUnavailable, String::new());
        }
        self.restart().await;
    }

    /// Client: the desk's token for "restart and reconnect": the grant is
    /// kept, then the computer restarts.
    pub(super) async fn reconnect_token(
        &mut self,
        session: &SessionId,
        token: String,
        expires_in_secs: u64,
    ) {
        let expert = match self.phase() {
            crate::session::view::Phase::Active { peer, .. } => peer,
            _ => return,
        };
        let Some(live) = self.live.as_mut().filter(|l| l.session == *session) else {
            return;
        };
        if live.client().map(|c| c.reboot) != Some(Stage::AwaitingToken) {
            return;
        }
        live.deadlines.clear(Due::Reboot);
        let grant = ReconnectGrant {
            token,
            expert,
            scopes: live.grants.current(),
            previous: session.clone(),
            expires_at_ms: unix_ms() + expires_in_secs * 1000,
        };
        let saved = match &self.backends.reconnect {
            Some(store) => store.save(&grant),
            None => Err(std::io::Error::other("no reconnect store")),
        };
        if let Err(error) = saved {
            tracing::error!(%error, "cannot keep the reconnect grant; restarting without it");
            self.log_event(EventCode::ReconnectUnavailable, error.to_string());
        }
        self.restart().await;
    }

    /// Expert: the client's countdown started or was cancelled.
    pub(super) fn on_reboot_news(&mut self, news: ControlMessage) {
        match news {
            ControlMessage::RebootScheduled { in_secs } => {
                let at = unix_ms() + in_secs * 1000;
                self.view.send_modify(|view| view.reboot_at_ms = Some(at));
                self.log_event(EventCode::RebootScheduled, in_secs.to_string());
            }
            ControlMessage::RebootCancelled => {
                self.view.send_modify(|view| view.reboot_at_ms = None);
                self.log_event(EventCode::RebootCancelled, String::new());
            }
            _ => {}
        }
    }

    /// Runs the restart command.
    async fn restart(&mut self) {
        if let Some(client) = self.live.as_mut().and_then(|l| l.client_mut()) {
            client.reboot = Stage::None;
        }
        self.view.send_modify(|view| view.reboot_at_ms = None);
        self.log_event(EventCode::Rebooting, self.backends.reboot.command.join(" "));
        if let Err(error) = self.backends.reboot.run() {
            tracing::error!(%error, "the restart command failed");
            self.notice(NoticeCode::RebootFailed, error.to_string());
            self.log_event(EventCode::RebootFailed, error.to_string());
        }
    }
}
