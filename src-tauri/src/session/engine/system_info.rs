//! System information in the engine. The expert asks; the client, within
//! `system_info` (checked with every control message), takes a snapshot
//! off the engine's task and sends it; the expert shows it and keeps it
//! beside the session's transcript.

use super::channels::ChannelEvent;
use super::{Engine, Live};
use crate::clock::unix_ms;
use crate::media::system::ScreenBackend;
use crate::session::control::ControlMessage;
use crate::session::log::EventCode;
use crate::session::scopes::Scope;
use crate::session::view::SystemInfoView;
use crate::system_info::{SystemSnapshot, collect};

impl Engine {
    /// Expert: asks for a new snapshot; the panel says so until it comes.
    pub(super) async fn ask_system_info(&mut self) {
        self.view.send_modify(|view| {
            view.system_info
                .get_or_insert_with(SystemInfoView::default)
                .asking = true;
        });
        self.tell_peer(ControlMessage::AskSystemInfo).await;
    }

    /// Expert: the client refused the request; nothing is coming.
    pub(super) fn system_info_refused(&mut self) {
        self.view.send_modify(|view| {
            if let Some(info) = &mut view.system_info {
                info.asking = false;
            }
        });
    }

    /// Client: the expert asked, and `system_info` is granted. The
    /// snapshot takes about 200 ms (CPU use is measured over time), so it
    /// is taken on a blocking thread and comes back as a channel event.
    pub(super) async fn take_system_info(&mut self) {
        let Some(live) = &self.live else { return };
        let (reports, session) = (self.channel_tx.clone(), live.session.clone());
        let monitors = self.displays().await;
        tokio::spawn(async move {
            let taken =
                tokio::task::spawn_blocking(move || collect::snapshot(&monitors, unix_ms()));
            match taken.await {
                Ok(snapshot) => {
                    let event = ChannelEvent::SystemInfoTaken(Box::new(snapshot));
                    let _ = reports.send((session, event)).await;
                }
                Err(error) => tracing::error!(%error, "the system information was not taken"),
            }
        });
    }

    /// Client: the displays, as screen capture knows them. Listing them on
    /// a Wayland desktop would ask the person to share a screen, so there
    /// only a share's own list is used.
    async fn displays(&self) -> Vec<crate::media::capture::MonitorInfo> {
        let known = self.live.as_ref().and_then(Live::client);
        match known.map(|c| c.monitors.clone()) {
            Some(monitors) if !monitors.is_empty() => monitors,
            _ if ScreenBackend::of_session() == ScreenBackend::X11 => self.list_monitors().await,
            _ => Vec::new(),
        }
    }

    /// Client: the snapshot is taken; it goes only if `system_info` is
    /// still granted (the person may have withdrawn it meanwhile).
    pub(super) async fn send_system_info(&mut self, snapshot: Box<SystemSnapshot>) {
        let Some(live) = &self.live else { return };
        if live.grants.check(Scope::SystemInfo).is_err() {
            tracing::info!("system information withdrawn while it was taken; not sent");
            return;
        }
        self.log_event(EventCode::SystemInfoSent, summary(&snapshot));
        self.tell_peer(ControlMessage::SystemInfo(snapshot)).await;
    }

    /// Expert: the snapshot arrived. It is shown, and kept beside the
    /// transcript, which names the file.
    pub(super) fn on_system_info(&mut self, snapshot: SystemSnapshot) {
        let Some(live) = &self.live else { return };
        let snapshot = snapshot.fit();
        let kept = live.log.attach("system", snapshot.taken_ms, &snapshot);
        let detail = match kept {
            Some(file) => format!("{} ({file})", summary(&snapshot)),
            None => summary(&snapshot),
        };
        self.log_event(EventCode::SystemInfoReceived, detail);
        self.view.send_modify(|view| {
            view.system_info = Some(SystemInfoView {
                snapshot: Some(snapshot),
                asking: false,
            });
        });
    }
}

/// The computer in a line, for the running log.
fn summary(snapshot: &SystemSnapshot) -> String {
    format!(
        "{}, {}, user {}",
        snapshot.hostname, snapshot.os, snapshot.user
    )
}
