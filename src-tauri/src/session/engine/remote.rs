//! Remote control in the engine: the expert's input goes out on the input
//! channel; the client injects it only while `control` is granted, aimed at
//! the monitor being shared.

use std::sync::Arc;

use super::super::scopes::Scope;
use super::Engine;
use crate::input::event::InputEvent;
use crate::input::remote_control::{RemoteControl, Target};
use crate::media::capture::MonitorInfo;

impl Engine {
    /// Expert: queues input for the client. The client alone decides what
    /// is injected: it checks every event against its grants.
    pub(super) fn send_input(&mut self, event: InputEvent) {
        let Some(live) = &self.live else { return };
        if let Some(input) = &live.input
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
        if live.remote.is_none() {
            let listed = if live.monitors.is_empty() {
                Some(self.list_monitors().await)
            } else {
                None
            };
            let Some(live) = &mut self.live else { return };
            if let Some(monitors) = listed {
                live.monitors = monitors;
            }
            let monitor = live.share.as_ref().map_or(0, |s| s.monitor());
            let Some(target) = target_of(&live.monitors, monitor) else {
                tracing::warn!("no monitor to aim remote input at");
                return;
            };
            let injector = Arc::clone(&self.backends.injector);
            live.remote = Some(RemoteControl::start(injector, target));
        }
        if let Some(remote) = self.live.as_ref().and_then(|l| l.remote.as_ref()) {
            remote.apply(event);
        }
    }

    /// Client: aims remote input at `monitor` (the one now shared).
    pub(super) fn aim_control(&self, monitor: usize) {
        let Some(live) = &self.live else { return };
        if let (Some(remote), Some(target)) = (&live.remote, target_of(&live.monitors, monitor)) {
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
