//! The engine and the peer connection: its state, the data channels the
//! client receives, the video track the expert receives, and the client's
//! screen sharing within the view scope.

use crate::session::log::EventCode;
use std::sync::Arc;

use lifeline_signaling::protocol::{AppMessage, CaptureBackend, Role, SessionId};

use super::channels::{self, ChannelEvent, watch_control, watch_input};
use super::{
    CONTROL_CHANNEL, CURSOR_CHANNEL, Engine, FILES_CHANNEL, INPUT_CHANNEL, Live, SHELL_CHANNEL,
    scope_list,
};
use crate::media::quality::Quality;
use crate::peer::{ConnectionState, PeerEvent};
use crate::session::control::ControlMessage;
use crate::session::negotiation::Input;
use crate::session::notice::NoticeCode;
use crate::session::scopes::Scope;
use crate::session::screen_share::ScreenShare;
use crate::session::screen_view;
use crate::session::view::{Notice, Phase, ScreenInfo};

/// How long the statistics have to show the chosen path.
const PATH_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);
impl Engine {
    pub(super) async fn on_peer(&mut self, event: PeerEvent) {
        let Some(event) = self.hold_for_pin(event).await else {
            return;
        };
        let Some(live) = &mut self.live else { return };
        let session = live.session.clone();
        match event {
            PeerEvent::LocalSignal(signal) => {
                self.send(AppMessage::Signal { session, signal }).await;
            }
            PeerEvent::State(ConnectionState::Connected) => {
                let safety_code = live.peer.safety_code().await.unwrap_or_default();
                let granted = live.grants.current();
                self.watch_path();
                self.path_back();
                if matches!(self.phase(), Phase::Active { .. }) {
                    // The path came back after a quiet spell (maybe
                    // another one).
                    self.negotiate(Input::Reachable(true)).await;
                    return;
                }
                self.negotiate(Input::Connected { safety_code }).await;
                self.log_event(EventCode::Connected, scope_list(granted));
                if self.role == Role::Client {
                    // Started at the answer, or now; either way its frames
                    // may leave from here on.
                    self.start_sharing().await;
                }
            }
            PeerEvent::State(ConnectionState::Disconnected) => {
                tracing::info!("the direct path went quiet");
                // Often this computer's network changed under both: a
                // dead desk link is better made again now than found out
                // by its silence limit.
                self.desk.probe();
                // Before the session is up, a quiet spell is the handshake
                // waiting out a loss (its own timers retry): no session
                // is reconnecting, and an ICE restart would start the
                // handshake over.
                if matches!(self.phase(), Phase::Active { .. }) {
                    self.path_quiet(false).await;
                }
            }
            // Before the session is up, a failed path is the end; after,
            // a restart may find another (the negotiation gives it a while).
            PeerEvent::State(ConnectionState::Failed)
                if matches!(self.phase(), Phase::Active { .. }) =>
            {
                tracing::info!("the direct path failed");
                self.path_quiet(true).await;
            }
            PeerEvent::State(ConnectionState::Failed) => {
                self.end(
                    true,
                    Some(Notice::new(
                        NoticeCode::ConnectionFailed,
                        "the direct connection failed",
                    )),
                )
                .await;
            }
            // The other side ended it during the PIN check, most likely
            // because the check failed there: its proof, sent just before,
            // comes through the desk and can arrive after the close.
            PeerEvent::State(ConnectionState::Closed) if self.pin_open() => {
                self.closed_during_pin();
            }
            PeerEvent::State(ConnectionState::Closed) => {
                self.end(
                    false,
                    Some(Notice::new(NoticeCode::PeerLeft, "the connection closed")),
                )
                .await;
            }
            PeerEvent::DataChannel(channel) => self.on_data_channel(session, channel).await,
            PeerEvent::Video(receiver) => self.on_video(session, receiver).await,
            PeerEvent::State(_) | PeerEvent::GatheringComplete => {}
        }
    }

    /// Reports the path the connection chose, once its statistics show it
    /// (they can lag "connected" by a moment), without holding up the
    /// session.
    fn watch_path(&self) {
        let Some(live) = &self.live else { return };
        let chosen = live.peer.path_when_chosen(PATH_WITHIN);
        let (reports, session) = (self.channel_tx.clone(), live.session.clone());
        tokio::spawn(async move {
            match chosen.await {
                Some(path) => {
                    let _ = reports.send((session, ChannelEvent::Path(path))).await;
                }
                None => tracing::warn!("the connection's path never showed in its statistics"),
            }
        });
    }

    /// Client: a channel the expert opened, taken by its label (once each);
    /// an expert accepts none.
    async fn on_data_channel(&mut self, session: SessionId, channel: crate::peer::Channel) {
        let Some(live) = &mut self.live else { return };
        let label = channel.label().await;
        let reports = self.channel_tx.clone();
        if self.role == Role::Expert {
            // The expert makes the channels; it accepts none.
            tracing::warn!(%label, "unexpected data channel closed");
            channel.close().await;
        } else if label == CONTROL_CHANNEL && live.control.is_none() {
            live.control = Some(channel.clone());
            channels::say_hello(&channel).await;
            watch_control(reports, session, channel, false);
            self.announce_screen().await;
        } else if label == FILES_CHANNEL && live.transfers.is_none() {
            let allowed = live.grants.current();
            let round_trip = live.peer.round_trip();
            let transfers = self.start_transfers(&session, allowed, channel, round_trip);
            if let Some(live) = &mut self.live {
                live.transfers = Some(transfers);
            }
        } else if label == CURSOR_CHANNEL {
            self.take_cursor_channel(channel);
        } else if label == SHELL_CHANNEL && live.shell.is_none() {
            self.host_shells(session, channel);
        } else if label == INPUT_CHANNEL {
            // Read always: what arrives is checked against the
            // grants one event at a time.
            watch_input(reports, session, channel);
        } else {
            tracing::warn!(%label, "unexpected data channel closed");
            channel.close().await;
        }
    }

    /// Expert: the client's screen track, read only while view is granted
    /// (and recorded, where the desk records every session).
    /// Client: the expert's own screen (reverse view), shown only while
    /// allowed.
    async fn on_video(&mut self, session: SessionId, receiver: crate::peer::video::VideoReceiver) {
        if self.role == Role::Client {
            return self.read_expert_screen(receiver);
        }
        let Some(live) = &mut self.live else { return };
        let may_view = live.grants.current().contains(Scope::View);
        // Only an expert the client let view gets a track at all;
        // anything else is refused here as well.
        if let Some(expert) = live.expert_mut()
            && may_view
        {
            let wants = Arc::clone(&expert.wants);
            let reports = self.channel_tx.clone();
            let first_frame: screen_view::OnFirstFrame = Box::new(move |at_ms| {
                let event = ChannelEvent::FirstFrame {
                    at_ms: at_ms as u64,
                };
                if reports.try_send((session, event)).is_err() {
                    tracing::debug!("the first frame's time was not reported");
                }
            });
            let sink = self.recording_tap();
            let Some(expert) = self.live.as_mut().and_then(Live::expert_mut) else {
                return;
            };
            expert.viewer = Some(screen_view::spawn(receiver, sink, wants, Some(first_frame)));
            self.record_as_the_desk_requires().await;
        } else {
            tracing::warn!("unexpected video track ignored");
        }
    }

    /// Client: starts the screen share, if `view` was granted: capturing
    /// and encoding at once, sending once the connection is up (now, if it
    /// is). Called when the answer is made and again when connected.
    pub(super) async fn start_sharing(&mut self) {
        let connected = matches!(self.phase(), Phase::Active { .. });
        let Some(live) = &mut self.live else { return };
        if live.grants.check(Scope::View).is_err() {
            return;
        }
        if let Some(share) = live.client().and_then(|c| c.share.as_ref()) {
            if connected {
                share.transport_up();
            }
            return;
        }
        let Some(video) = live.peer.video_sender().await else {
            tracing::warn!("view was granted but the answer carries no video");
            return;
        };
        let share = ScreenShare::start(
            video,
            Arc::clone(&self.backends.capturers),
            Quality::default(),
        );
        if connected {
            share.transport_up();
        }
        self.watch_screen_problems(&share);
        if let Some(client) = self.live.as_mut().and_then(Live::client_mut) {
            client.share = Some(Box::new(share));
        }
        self.announce_screen().await;
        self.start_pointer();
    }

    /// Client: reports each change of the share's capture problem, so that
    /// both sides say why there is no picture.
    fn watch_screen_problems(&self, share: &ScreenShare) {
        let Some(live) = &self.live else { return };
        let (reports, session) = (self.channel_tx.clone(), live.session.clone());
        let mut problems = share.problems();
        tokio::spawn(async move {
            while problems.changed().await.is_ok() {
                let problem = problems.borrow_and_update().clone();
                let event = ChannelEvent::ScreenProblem(problem);
                if reports.send((session.clone(), event)).await.is_err() {
                    return;
                }
            }
        });
    }

    /// Client: tells the expert (and this app's view) what is shared, once
    /// both the share and the control channel are there.
    pub(super) async fn announce_screen(&mut self) {
        let client = self.live.as_ref().and_then(Live::client);
        let Some(share) = client.and_then(|c| c.share.as_ref()) else {
            return;
        };
        let monitor = share.monitor();
        let monitors = self.list_monitors().await;
        if let Some(client) = self.live.as_mut().and_then(Live::client_mut) {
            client.monitors = monitors;
        }
        self.aim_control(monitor);
        self.aim_pointer(monitor);
        self.tell_screen().await;
    }

    /// Client: what is shared now, with the monitors last listed, to the
    /// expert and to this app's view.
    pub(super) async fn tell_screen(&mut self) {
        let Some(client) = self.live.as_ref().and_then(Live::client) else {
            return;
        };
        let Some(share) = client.share.as_ref() else {
            return;
        };
        let screen = ScreenInfo {
            monitors: client.monitors.clone(),
            monitor: share.monitor(),
            quality: share.quality(),
            backend: share.backend().map(str::to_owned),
            problem: share.problem().map(|p| p.reason),
        };
        self.view
            .send_modify(|view| view.screen = Some(screen.clone()));
        self.tell_desk_backend(screen.backend.as_deref()).await;
        self.tell_peer(ControlMessage::Screen(screen)).await;
    }

    /// Client: the desk's session record says what captured the screen
    /// (once a session).
    async fn tell_desk_backend(&mut self, backend: Option<&str>) {
        let backend = match backend {
            Some("x11") => CaptureBackend::X11,
            Some("wayland") => CaptureBackend::Wayland,
            _ => return,
        };
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let session = live.session.clone();
        let Some(client) = live.client_mut().filter(|c| !c.backend_told) else {
            return;
        };
        client.backend_told = true;
        self.send(AppMessage::ScreenBackend { session, backend })
            .await;
    }
}
