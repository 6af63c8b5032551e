//! Remote control in the engine: the expert's input goes out on the input
//! channel; the client injects it only while `control` is granted, aimed at
//! the monitor being shared.

use std::sync::Arc;

use super::super::scopes::Scope;
use super::channels::ChannelEvent;
use super::{Engine, Live};
use crate::input::event::InputEvent;
use crate::input::injector::InjectError;
use crate::input::remote_control::{OnUnavailable, RemoteControl, Target};
use crate::media::capture::MonitorInfo;
use crate::session::control::ControlMessage;
use crate::session::log::EventCode;
use crate::session::notice::NoticeCode;

impl Engine {
    /// Expert: queues input for the client. The client alone decides what
    /// is injected: it checks every event against its grants.
    pub(super) fn send_input(&mut self, event: InputEvent) {
        let Some(expert) = self.live.as_ref().and_then(Live::expert) else {
            return;
        };
        if let Some(input) = &expert.input
            && let Err(error) = input.send(event)
        {
            tracing::debug!(%error, "input not sent");
        }
    }

    /// Client: one event from the expert's input channel.
    pub(super) async fn on_input(&mut self, event: InputEvent) {
        let Some(live) = &self.live else { return };
        if live.grants.check(Scope::Control).is_err() {
            self.refuse(Scope::Control, "mouse or keyboard input").await;
            return;
        }
        let Some(client) = live.client() else { return };
        if client.remote.is_none() {
            let listed = if client.monitors.is_empty() {
                Some(self.list_monitors().await)
            } else {
                None
            };
            let Some(client) = self.live.as_mut().and_then(Live::client_mut) else {
                return;
            };
            if let Some(monitors) = listed {
                client.monitors = monitors;
            }
            let monitor = client.share.as_ref().map_or(0, |s| s.monitor());
            let Some(target) = target_of(&client.monitors, monitor) else {
                tracing::warn!("no monitor to aim remote input at");
                return;
            };
            client.remote_attempt += 1;
            let attempt = client.remote_attempt;
            let unavailable = self.report_unavailable(attempt);
            let injector = Arc::clone(&self.backends.injector);
            let Some(client) = self.live.as_mut().and_then(Live::client_mut) else {
                return;
            };
            client.remote = Some(RemoteControl::start(injector, target, unavailable));
        }
        let client = self.live.as_ref().and_then(Live::client);
        if let Some(remote) = client.and_then(|c| c.remote.as_ref()) {
            remote.apply(event);
        }
    }

    /// Client: how control number `attempt` tells the engine that the
    /// desktop's input cannot be reached (from the control's own thread).
    fn report_unavailable(&self, attempt: u64) -> OnUnavailable {
        let reports = self.channel_tx.clone();
        let session = self.live.as_ref().map(|l| l.session.clone());
        Box::new(move |error| {
            let Some(session) = session else { return };
            let reason = match error {
                InjectError::Unavailable(reason) | InjectError::Failed(reason) => reason,
            };
            let event = ChannelEvent::ControlUnavailable { attempt, reason };
            // The engine may have ended meanwhile: nobody left to tell.
            let _ = reports.blocking_send((session, event));
        })
    }

    /// Client: the desktop would not take remote input (the person
    /// declined its own dialog, or stopped it from the desktop). That is
    /// their answer to "may the expert use the mouse and keyboard?":
    /// control is withdrawn, as if from the session bar, and both sides
    /// say why. Turning it on again asks the desktop again.
    pub(super) async fn control_unavailable(&mut self, attempt: u64, reason: String) {
        let Some(live) = &self.live else { return };
        let current = live.grants.current();
        let ours = live.client().is_some_and(|c| c.remote_attempt == attempt);
        if !ours || !current.contains(Scope::Control) {
            return;
        }
        self.log_event(EventCode::ControlUnavailable, reason.clone());
        self.tell_peer(ControlMessage::ControlUnavailable {
            reason: reason.clone(),
        })
        .await;
        let rest = current.iter().filter(|s| *s != Scope::Control).collect();
        self.set_grants(rest).await;
        self.notice(NoticeCode::ControlDeclined, reason);
    }

    /// Expert: the client's desktop would not take our input, and the
    /// client withdrew control because of it.
    pub(super) fn on_control_unavailable(&mut self, reason: String) {
        self.log_event(EventCode::ControlUnavailable, reason.clone());
        self.notice(NoticeCode::ControlDeclined, reason);
    }

    /// Client: aims remote input at `monitor` (the one now shared).
    pub(super) fn aim_control(&self, monitor: usize) {
        let Some(client) = self.live.as_ref().and_then(Live::client) else {
            return;
        };
        if let (Some(remote), Some(target)) = (&client.remote, target_of(&client.monitors, monitor))
        {
            remote.aim(target);
        }
    }

    pub(super) async fn list_monitors(&self) -> Vec<MonitorInfo> {
        let capturers = Arc::clone(&self.backends.capturers);
        tokio::task::spawn_blocking(move || capturers().monitors())
            .await
            .ok()
            .and_then(|listed| {
                listed
                    .map_err(|error| tracing::warn!(%error, "cannot list monitors"))
                    .ok()
            })
            .unwrap_or_default()
    }
}

fn target_of(monitors: &[MonitorInfo], index: usize) -> Option<Target> {
    monitors.get(index).map(|m| Target {
        x: m.x,
        y: m.y,
        width: m.width,
        height: m.height,
    })
}
