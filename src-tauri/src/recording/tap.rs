//! The expert's frames on their way to the view: a recording, while one
//! runs, gets each of them too. Frames replayed to a view that just opened
//! were recorded when they first came, and are not again.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::recorder::Recorder;
use crate::media::sink::{FrameSink, ScreenFrame};

pub struct RecordingTap {
    view: Arc<dyn FrameSink>,
    recorder: Mutex<Option<Recorder>>,
}

impl RecordingTap {
    pub fn new(view: Arc<dyn FrameSink>) -> Self {
        Self {
            view,
            recorder: Mutex::new(None),
        }
    }

    /// Records from now on into `recorder`; one running already stops.
    pub fn start(&self, recorder: Recorder) -> Option<Recorder> {
        self.slot().replace(recorder)
    }

    /// Stops recording: the recorder, to finish off the view's thread.
    pub fn stop(&self) -> Option<Recorder> {
        self.slot().take()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Recorder>> {
        self.recorder.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl FrameSink for RecordingTap {
    fn deliver(&self, frame: ScreenFrame) {
        if !frame.replayed
            && let Some(recorder) = self.slot().as_ref()
        {
            recorder.push(&frame, Instant::now());
        }
        self.view.deliver(frame);
    }
}
