//! The client's side of the screen: the capture pipeline feeding the video
//! track, keyframes on the viewer's PLI, a bitrate that follows the viewer's
//! loss reports, and a restart when the expert picks another monitor or
//! quality. It exists only while the client has granted
//! `view`; dropping it stops the capture thread and both tasks.
//!
//! It may start before the connection is up, so that capture and the
//! first encode overlap ICE and DTLS: frames wait in a [`Held`] (the newest
//! keyframe and the deltas after it) until [`ScreenShare::transport_up`],
//! then leave at once. Nothing leaves the client before that call.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::clock::unix_ms_f64;
use crate::media::capture::{CaptureProblem, Capturer};
use crate::media::congestion::LossController;
use crate::media::pipeline::{
    BitrateControl, KeyframeTrigger, OutgoingFrame, Pipeline, PipelineConfig,
};
use crate::media::quality::Quality;
use crate::peer::video::{Feedback, VideoFrame, VideoSender};

/// Makes a capturer for each (re)start of the pipeline.
pub type CapturerFactory = Arc<dyn Fn() -> Box<dyn Capturer> + Send + Sync>;

/// Frames waiting for the network; a few at most, or latency grows.
const QUEUE: usize = 4;

/// The most frames held for a connection not yet up; past it they are
/// dropped and the next frame is a keyframe.
const MAX_HELD: usize = 32;

pub struct ScreenShare {
    video: Arc<VideoSender>,
    capturers: CapturerFactory,
    config: PipelineConfig,
    quality: Quality,
    pipeline: Option<Pipeline>,
    sender: Option<JoinHandle<()>>,
    feedback: JoinHandle<()>,
    /// Whether the connection is up; the send task waits for `true`.
    transport: watch::Sender<bool>,
    /// Why the screen cannot be captured, across restarts of the pipeline.
    problem: watch::Sender<Option<CaptureProblem>>,
    /// Carries the current pipeline's problems into `problem`.
    problems: JoinHandle<()>,
}

impl std::fmt::Debug for ScreenShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScreenShare")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ScreenShare {
    pub fn start(video: Arc<VideoSender>, capturers: CapturerFactory, quality: Quality) -> Self {
        let config = PipelineConfig {
            fps: quality.fps(),
            bitrate_kbps: quality.bitrate_kbps(),
            ..PipelineConfig::default()
        };
        let mut share = Self {
            feedback: tokio::spawn(async {}),
            video,
            capturers,
            config,
            quality,
            pipeline: None,
            sender: None,
            transport: watch::channel(false).0,
            problem: watch::channel(None).0,
            problems: tokio::spawn(async {}),
        };
        share.restart();
        share
    }

    /// The connection is up: held frames leave now, later ones at once.
    pub fn transport_up(&self) {
        self.transport.send_replace(true);
    }

    /// The next frame is a keyframe of the screen as it is now, changed
    /// or not (frames sent while the path was quiet never arrived).
    pub fn request_keyframe(&self) {
        if let Some(pipeline) = &self.pipeline {
            pipeline.request_keyframe();
        }
    }

    /// Why the screen cannot be captured now, if it cannot; changes as
    /// they come on the receiver of [`ScreenShare::problems`].
    pub fn problem(&self) -> Option<CaptureProblem> {
        self.problem.borrow().clone()
    }

    pub fn problems(&self) -> watch::Receiver<Option<CaptureProblem>> {
        self.problem.subscribe()
    }

    /// What captures the screen (`Capturer::backend`).
    pub fn backend(&self) -> Option<&'static str> {
        self.pipeline.as_ref().map(Pipeline::backend)
    }

    pub fn monitor(&self) -> usize {
        self.config.monitor
    }

    pub fn quality(&self) -> Quality {
        self.quality
    }

    pub fn select_monitor(&mut self, monitor: usize) {
        if monitor != self.config.monitor {
            self.config.monitor = monitor;
            self.restart();
        }
    }

    pub fn set_quality(&mut self, quality: Quality) {
        self.quality = quality;
        let (fps, bitrate_kbps) = (quality.fps(), quality.bitrate_kbps());
        if (fps, bitrate_kbps) != (self.config.fps, self.config.bitrate_kbps) {
            self.config.fps = fps;
            self.config.bitrate_kbps = bitrate_kbps;
            self.restart();
        }
    }

    /// A fresh pipeline and encoder (whose first frame is a keyframe).
    fn restart(&mut self) {
        self.stop();
        let (tx, rx) = mpsc::channel(QUEUE);
        let pipeline = Pipeline::start((self.capturers)(), self.config, tx);
        self.feedback = tokio::spawn(follow_feedback(
            Arc::clone(&self.video),
            pipeline.keyframe_trigger(),
            pipeline.bitrate_control(),
            LossController::new(self.config.bitrate_kbps),
        ));
        self.problems = tokio::spawn(carry_problems(pipeline.problems(), self.problem.clone()));
        self.sender = Some(tokio::spawn(send_frames(
            Arc::clone(&self.video),
            rx,
            self.transport.subscribe(),
            pipeline.keyframe_trigger(),
        )));
        self.pipeline = Some(pipeline);
    }

    fn stop(&mut self) {
        self.feedback.abort();
        self.problems.abort();
        if let Some(sender) = self.sender.take() {
            sender.abort();
        }
        // Dropping joins the capture thread, which wakes within one frame
        // interval; off the async workers when there are any.
        if let Some(pipeline) = self.pipeline.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || drop(pipeline))),
                Err(_) => drop(pipeline),
            }
        }
    }
}

impl Drop for ScreenShare {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Frames made before the connection is up: the newest keyframe and the
/// deltas after it (each delta needs the frames before it).
#[derive(Debug, Default)]
struct Held {
    frames: Vec<VideoFrame>,
}

impl Held {
    /// Keeps `frame`; `false` when it had to be dropped (the next frame
    /// must then be a keyframe).
    fn hold(&mut self, frame: VideoFrame, keyframe: bool) -> bool {
        if keyframe {
            self.frames.clear();
        } else if self.frames.is_empty() || self.frames.len() >= MAX_HELD {
            // A delta with nothing to stand on, or too many: start over.
            self.frames.clear();
            return false;
        }
        self.frames.push(frame);
        true
    }
}

/// The encoder's output as the track takes it.
fn video_frame(frame: OutgoingFrame) -> VideoFrame {
    VideoFrame {
        data: Bytes::from(frame.data),
        duration: frame.duration,
        captured_at_ms: frame.captured_at_ms,
        // The queue from the encoder is near empty, so its output reaches
        // this task within microseconds.
        encoded_at_ms: unix_ms_f64(),
    }
}

async fn send_frames(
    video: Arc<VideoSender>,
    mut frames: mpsc::Receiver<OutgoingFrame>,
    mut transport: watch::Receiver<bool>,
    keyframe: KeyframeTrigger,
) {
    let mut held = Held::default();
    while !*transport.borrow_and_update() {
        tokio::select! {
            frame = frames.recv() => {
                let Some(frame) = frame else { return };
                let is_key = frame.keyframe;
                if !held.hold(video_frame(frame), is_key) {
                    keyframe.fire();
                }
            }
            changed = transport.changed() => if changed.is_err() { return },
        }
    }
    let payload_type = match video.payload_type().await {
        Ok(pt) => pt,
        Err(error) => {
            tracing::error!(%error, "no payload type for the screen track");
            return;
        }
    };
    let send = |frame: VideoFrame| {
        let video = Arc::clone(&video);
        async move {
            if let Err(error) = video.send(payload_type, &frame).await {
                tracing::debug!(%error, "screen frame not sent");
            }
        }
    };
    for frame in std::mem::take(&mut held.frames) {
        send(frame).await;
    }
    while let Some(frame) = frames.recv().await {
        send(video_frame(frame)).await;
    }
}

/// Carries one pipeline's capture problems into the share's own.
async fn carry_problems(
    mut from: watch::Receiver<Option<CaptureProblem>>,
    to: watch::Sender<Option<CaptureProblem>>,
) {
    loop {
        let problem = from.borrow_and_update().clone();
        to.send_if_modified(|now| {
            let changed = *now != problem;
            now.clone_from(&problem);
            changed
        });
        if from.changed().await.is_err() {
            return;
        }
    }
}

/// Keyframes on request; the bitrate follows the viewer's loss reports.
async fn follow_feedback(
    video: Arc<VideoSender>,
    keyframe: KeyframeTrigger,
    bitrate: BitrateControl,
    mut loss: LossController,
) {
    while let Some(feedback) = video.next_feedback().await {
        match feedback {
            Feedback::Keyframe => {
                tracing::debug!("the viewer asked for a keyframe");
                keyframe.fire();
            }
            Feedback::Loss { fraction_lost } => {
                if let Some(kbps) = loss.on_report(fraction_lost) {
                    tracing::debug!(fraction_lost, kbps, "screen bitrate follows the loss");
                    bitrate.set(kbps);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn frame(n: u8) -> VideoFrame {
        VideoFrame {
            data: Bytes::from(vec![n]),
            duration: Duration::from_millis(33),
            captured_at_ms: 0,
            encoded_at_ms: 0.0,
        }
    }

    fn held(h: &Held) -> Vec<u8> {
        h.frames.iter().map(|f| f.data[0]).collect()
    }

    #[test]
    fn holds_the_newest_keyframe_and_what_follows_it() {
        let mut h = Held::default();
        assert!(h.hold(frame(1), true));
        assert!(h.hold(frame(2), false));
        assert!(h.hold(frame(3), true));
        assert!(h.hold(frame(4), false));
        assert_eq!(held(&h), [3, 4]);
    }

    #[test]
    fn a_delta_without_its_keyframe_or_one_too_many_asks_for_a_keyframe() {
        let mut h = Held::default();
        assert!(!h.hold(frame(1), false), "nothing to decode it against");
        assert!(held(&h).is_empty());
        assert!(h.hold(frame(0), true));
        for n in 1..MAX_HELD {
            assert!(h.hold(frame(n as u8), false));
        }
        assert!(!h.hold(frame(99), false), "past the limit");
        assert!(held(&h).is_empty());
        assert!(h.hold(frame(7), true), "a keyframe starts again");
    }
}
