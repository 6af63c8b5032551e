//! Recording in the engine. The expert starts and stops it (within
//! `view`); the frames on their way to the view also go to a WebM file
//! beside the session's transcript, which the log and the desk's session
//! record name. The client is told when a recording starts and stops, and
//! its bar says so.

use std::sync::Arc;

use lifeline_signaling::protocol::{AppMessage, RecordingName};

use super::{Engine, Live};
use crate::clock::unix_ms;
use crate::recording::recorder::{Recorded, Recorder};
use crate::recording::tap::RecordingTap;
use crate::session::control::ControlMessage;
use crate::session::log::EventCode;
use crate::session::notice::NoticeCode;
use crate::session::scopes::Scope;

impl Engine {
    /// Expert: the frames' way to the view, through a tap a recording
    /// can be attached to; one per session, made by whichever comes first,
    /// the screen's track or a recording (which then waits for the first
    /// keyframe).
    pub(super) fn recording_tap(&mut self) -> Arc<RecordingTap> {
        let sink = Arc::clone(&self.backends.sink);
        let made = || Arc::new(RecordingTap::new(sink));
        match self.live.as_mut().and_then(Live::expert_mut) {
            Some(expert) => Arc::clone(expert.tap.get_or_insert_with(made)),
            None => made(),
        }
    }

    /// Expert: starts or stops recording. Where the desk records every
    /// session, a recording cannot be stopped.
    pub(super) async fn record(&mut self, on: bool) {
        if on {
            self.start_recording().await;
        } else if self.recording_required() {
            self.notice(
                NoticeCode::RecordingRequired,
                "the support desk records every session",
            );
        } else {
            self.stop_recording().await;
        }
    }

    fn recording_required(&self) -> bool {
        self.live
            .as_ref()
            .and_then(Live::expert)
            .is_some_and(|e| e.must_record)
    }

    /// Expert: where the desk records every session, a recording runs
    /// whenever the client's screen is shared (from its track, and again
    /// after view is granted back).
    pub(super) async fn record_as_the_desk_requires(&mut self) {
        let Some(live) = &self.live else { return };
        let recording = self.view.borrow().recording;
        if self.recording_required() && !recording && live.grants.check(Scope::View).is_ok() {
            self.start_recording().await;
        }
    }

    async fn start_recording(&mut self) {
        let Some(live) = &self.live else { return };
        if live.grants.check(Scope::View).is_err() {
            self.notice(
                NoticeCode::RecordingFailed,
                "the client does not share the screen",
            );
            return;
        }
        let Some(path) = live.log.beside(&format!("recording-{}.webm", unix_ms())) else {
            self.notice(
                NoticeCode::RecordingFailed,
                "this app keeps no session records",
            );
            return;
        };
        let tap = self.recording_tap();
        let recorder = match Recorder::start(&path) {
            Ok(recorder) => recorder,
            Err(error) => {
                self.notice(NoticeCode::RecordingFailed, error.to_string());
                return;
            }
        };
        if let Some(old) = tap.start(recorder) {
            finish(old).await;
        }
        // The recording starts at a keyframe: ask for one now.
        if let Some(expert) = self.live.as_ref().and_then(Live::expert) {
            expert.wants.keyframe();
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        // The desk's session record names it too.
        let file = name.as_deref().and_then(|n| RecordingName::parse(n).ok());
        if let (Some(file), Some(live)) = (file, &self.live) {
            let session = live.session.clone();
            self.send(AppMessage::Recorded { session, file }).await;
        }
        self.log_event(EventCode::RecordingStarted, name.unwrap_or_default());
        self.view.send_modify(|view| view.recording = true);
        self.tell_peer(ControlMessage::Recording { on: true }).await;
    }

    /// Expert: stops the recording, if one runs (also when view is taken
    /// back).
    pub(super) async fn stop_recording(&mut self) {
        let tap = self
            .live
            .as_ref()
            .and_then(Live::expert)
            .and_then(|e| e.tap.clone());
        let Some(recorder) = tap.and_then(|t| t.stop()) else {
            return;
        };
        let recorded = finish(recorder).await;
        let detail = format!(
            "{} frames, {:.1} s",
            recorded.frames,
            recorded.duration_ms as f64 / 1000.0
        );
        self.log_event(EventCode::RecordingStopped, detail);
        self.view.send_modify(|view| view.recording = false);
        self.tell_peer(ControlMessage::Recording { on: false })
            .await;
    }

    /// Client: the expert started or stopped recording what it sees.
    pub(super) fn on_recording(&mut self, on: bool) {
        let code = if on {
            EventCode::RecordingStarted
        } else {
            EventCode::RecordingStopped
        };
        self.log_event(code, String::new());
        self.view.send_modify(|view| view.recording = on);
    }
}

/// Writes the recording's end off the engine's task.
async fn finish(recorder: Recorder) -> Recorded {
    tokio::task::spawn_blocking(move || recorder.stop())
        .await
        .unwrap_or_default()
}
