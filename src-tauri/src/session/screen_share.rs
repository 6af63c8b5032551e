//! The client's side of the screen: the capture pipeline feeding the video
//! track, keyframes on the viewer's PLI, a bitrate that follows the viewer's
//! loss reports, and a restart when the expert picks another monitor or
//! quality. It exists only while the client has granted
//! `view`; dropping it stops the capture thread and both tasks.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::media::capture::Capturer;
use crate::media::congestion::LossController;
use crate::media::pipeline::{
    BitrateControl, KeyframeTrigger, OutgoingFrame, Pipeline, PipelineConfig,
};
use crate::media::quality::Quality;
use crate::peer::video::{Feedback, VideoSender};

/// Makes a capturer for each (re)start of the pipeline.
pub type CapturerFactory = Arc<dyn Fn() -> Box<dyn Capturer> + Send + Sync>;

/// Frames waiting for the network; a few at most, or latency grows.
const QUEUE: usize = 4;

pub struct ScreenShare {
    video: Arc<VideoSender>,
    capturers: CapturerFactory,
    config: PipelineConfig,
    quality: Quality,
    pipeline: Option<Pipeline>,
    sender: Option<JoinHandle<()>>,
    feedback: JoinHandle<()>,
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
        };
        share.restart();
        share
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
        self.sender = Some(tokio::spawn(send_frames(Arc::clone(&self.video), rx)));
        self.pipeline = Some(pipeline);
    }

    fn stop(&mut self) {
        self.feedback.abort();
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

async fn send_frames(video: Arc<VideoSender>, mut frames: mpsc::Receiver<OutgoingFrame>) {
    let payload_type = match video.payload_type().await {
        Ok(pt) => pt,
        Err(error) => {
            tracing::error!(%error, "no payload type for the screen track");
            return;
        }
    };
    while let Some(frame) = frames.recv().await {
        let sent = video
            .send(
                payload_type,
                Bytes::from(frame.data),
                frame.duration,
                frame.captured_at_ms,
            )
            .await;
        if let Err(error) = sent {
            tracing::debug!(%error, "screen frame not sent");
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
