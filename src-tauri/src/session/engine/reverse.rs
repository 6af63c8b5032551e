//! Reverse view (Techinline's): the expert shows its own screen to the
//! client, for a demonstration. The same pipeline as the client's screen,
//! the other way: the expert captures and encodes its screen into the
//! video track it offered both ways, and the client reads that track into
//! its own app's view, shown in a window the client can close. View only:
//! nothing the client does reaches the expert's computer.
//!
//! Within `reverse_view`: the expert starts only while it is granted, the
//! client shows frames only while it is granted and the expert said it is
//! showing (anything else on the track is dropped), and withdrawing it, or
//! closing the window, stops it on both sides.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::task::JoinHandle;

use super::{Engine, Live};
use crate::media::quality::Quality;
use crate::media::sink::{FrameSink, ScreenFrame};
use crate::peer::video::VideoReceiver;
use crate::session::control::ControlMessage;
use crate::session::log::EventCode;
use crate::session::notice::NoticeCode;
use crate::session::scopes::Scope;
use crate::session::screen_share::ScreenShare;
use crate::session::screen_view::{self, ViewerWants};

/// Client: the expert's screen as this side receives it.
#[derive(Default)]
pub(super) struct ExpertScreen {
    /// Open while the expert's screen may be shown.
    gate: Arc<Gate>,
    /// What the window asks of the reader (a keyframe, to catch up).
    pub(super) wants: Arc<ViewerWants>,
    /// The task reading the track, once it came.
    reader: Option<JoinHandle<()>>,
}

impl Drop for ExpertScreen {
    fn drop(&mut self) {
        if let Some(reader) = self.reader.take() {
            reader.abort();
        }
    }
}

/// The sink's door: frames pass only while it is open.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    sink: std::sync::OnceLock<Arc<dyn FrameSink>>,
}

impl FrameSink for Gate {
    fn deliver(&self, frame: ScreenFrame) {
        if self.open.load(Ordering::Relaxed)
            && let Some(sink) = self.sink.get()
        {
            sink.deliver(frame);
        }
    }
}

impl Engine {
    /// What this side's view of the other screen asks for: the expert's
    /// view of the client's screen, or the client's window with the
    /// expert's.
    pub(super) fn viewer_wants(&self) -> Option<&ViewerWants> {
        let live = self.live.as_ref()?;
        match (live.expert(), live.client()) {
            (Some(expert), _) => Some(&expert.wants),
            (_, Some(client)) => Some(&client.expert_screen.wants),
            _ => None,
        }
    }

    /// Expert: starts (or stops) showing this computer's screen.
    pub(super) async fn show_my_screen(&mut self, on: bool) {
        if !on {
            return self.stop_showing(true, EventCode::ReverseViewStopped).await;
        }
        let Some(live) = &self.live else { return };
        if live.grants.check(Scope::ReverseView).is_err() {
            return self.notice(
                NoticeCode::NotGranted,
                "the client has not allowed you to show your screen",
            );
        }
        let showing = live.expert().is_some_and(|e| e.showing.is_some());
        if showing {
            return;
        }
        let Some(video) = live.peer.video_sender().await else {
            return self.notice(
                NoticeCode::NotGranted,
                "showing your screen was not asked for when the session started",
            );
        };
        let share = ScreenShare::start(
            video,
            Arc::clone(&self.backends.capturers),
            Quality::default(),
        );
        share.transport_up();
        if let Some(expert) = self.live.as_mut().and_then(Live::expert_mut) {
            expert.showing = Some(Box::new(share));
        }
        self.view.send_modify(|view| view.reverse_view = true);
        self.log_event(EventCode::ReverseViewStarted, String::new());
        self.tell_peer(ControlMessage::ReverseView { on: true })
            .await;
    }

    /// Expert: stops showing this computer's screen, logged as `code`;
    /// `tell`: the client does not know yet.
    pub(super) async fn stop_showing(&mut self, tell: bool, code: EventCode) {
        let Some(expert) = self.live.as_mut().and_then(Live::expert_mut) else {
            return;
        };
        if expert.showing.take().is_none() {
            return;
        }
        self.view.send_modify(|view| view.reverse_view = false);
        self.log_event(code, String::new());
        if tell {
            self.tell_peer(ControlMessage::ReverseView { on: false })
                .await;
        }
    }

    /// Expert: the client closed the window with this screen.
    pub(super) async fn on_reverse_view_closed(&mut self) {
        let showing = self
            .live
            .as_ref()
            .and_then(Live::expert)
            .is_some_and(|e| e.showing.is_some());
        if showing {
            self.stop_showing(false, EventCode::ReverseViewClosed).await;
            self.notice(
                NoticeCode::ReverseViewClosed,
                "the client closed the window with your screen",
            );
        }
    }

    /// Client: the expert's track came; it is read from now on, and shown
    /// only while the gate is open.
    pub(super) fn read_expert_screen(&mut self, receiver: VideoReceiver) {
        let sink = Arc::clone(&self.backends.sink);
        let Some(client) = self.live.as_mut().and_then(Live::client_mut) else {
            return;
        };
        let screen = &mut client.expert_screen;
        if screen.reader.is_some() {
            return tracing::warn!("a second video track ignored");
        }
        let _ = screen.gate.sink.set(sink);
        let gate = Arc::clone(&screen.gate) as Arc<dyn FrameSink>;
        screen.reader = Some(screen_view::spawn(
            receiver,
            gate,
            Arc::clone(&screen.wants),
            None,
        ));
    }

    /// Client: the expert shows its screen now, or no longer (the grant
    /// was checked on the way in, or was withdrawn).
    pub(super) fn on_reverse_view(&mut self, on: bool) {
        let code = if on {
            EventCode::ReverseViewStarted
        } else {
            EventCode::ReverseViewStopped
        };
        self.gate_expert_screen(on, code);
    }

    /// Client: opens or closes the way to the window, logged as `code`.
    fn gate_expert_screen(&mut self, on: bool, code: EventCode) {
        let Some(client) = self.live.as_mut().and_then(Live::client_mut) else {
            return;
        };
        let was = client.expert_screen.gate.open.swap(on, Ordering::Relaxed);
        if was == on {
            return;
        }
        if on {
            // The window's first picture: a keyframe now.
            client.expert_screen.wants.keyframe();
        }
        self.view.send_modify(|view| view.reverse_view = on);
        self.log_event(code, String::new());
    }

    /// Client: the window with the expert's screen closed (or the grant
    /// went): nothing more is shown, and the expert stops sending.
    pub(super) async fn close_expert_screen(&mut self) {
        let open = self
            .live
            .as_ref()
            .and_then(Live::client)
            .is_some_and(|c| c.expert_screen.gate.open.load(Ordering::Relaxed));
        if open {
            self.gate_expert_screen(false, EventCode::ReverseViewClosed);
            self.tell_peer(ControlMessage::ReverseViewClosed).await;
        }
    }
}
