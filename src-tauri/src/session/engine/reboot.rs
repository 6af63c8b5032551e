//! The client's restart in the engine: a countdown the client can cancel,
//! then the configured command. Ending the session cancels it too: the
//! consent was for this session.

use crate::session::log::EventCode;
use std::time::Instant;

use super::super::control::ControlMessage;
use super::super::deadlines::Due;
use super::Engine;
use crate::clock::unix_ms;
use crate::session::notice::NoticeCode;

impl Engine {
    /// Client: the expert asked for a restart (the reboot scope was checked).
    pub(super) async fn schedule_reboot(&mut self) {
        let countdown = self.backends.reboot.countdown;
        let Some(live) = &mut self.live else { return };
        if live.deadlines.is_set(Due::Reboot) {
            return;
        }
        live.deadlines.set(Due::Reboot, Instant::now() + countdown);
        let at = unix_ms() + countdown.as_millis() as u64;
        self.view.send_modify(|view| view.reboot_at_ms = Some(at));
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
        self.view.send_modify(|view| view.reboot_at_ms = None);
        self.log_event(EventCode::RebootCancelled, String::new());
        self.tell_peer(ControlMessage::RebootCancelled).await;
    }

    /// Client: the countdown ran out.
    pub(super) async fn reboot_now(&mut self) {
        if self.live.is_none() {
            return; // the session, and the consent, ended first
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
