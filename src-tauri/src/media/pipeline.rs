//! The client's capture → convert → encode loop, on its own thread, paced
//! to the target frame rate. It always captures the newest image, encodes
//! nothing while the screen is unchanged, forces a keyframe when asked, and
//! restarts the encoder when the size changes. Encoded frames go to the
//! async side through a small queue; when it is full the frame is dropped
//! and the next one is a keyframe, so the viewer never decodes garbage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use super::capture::Capturer;
use super::convert::{I420Frame, rgba_to_i420};
use super::stats::PipelineStats;
use super::vp8::{EncoderConfig, Vp8Encoder};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineConfig {
    pub monitor: usize,
    pub fps: u32,
    pub bitrate_kbps: u32,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            monitor: 0,
            fps: 30,
            bitrate_kbps: 2500,
        }
    }
}

/// One encoded frame for the network, with when it was captured.
#[derive(Debug, Clone)]
pub struct OutgoingFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
    /// Wall-clock capture time, Unix milliseconds.
    pub captured_at_ms: u64,
    /// How long this frame stands for (sets the RTP timestamp step).
    pub duration: Duration,
}

/// A running pipeline; dropping it stops the thread.
#[derive(Debug)]
pub struct Pipeline {
    stop: Arc<AtomicBool>,
    keyframe: Arc<AtomicBool>,
    bitrate_kbps: Arc<AtomicU32>,
    stats: Arc<PipelineStats>,
    thread: Option<JoinHandle<()>>,
}

impl Pipeline {
    pub fn start(
        capturer: Box<dyn Capturer>,
        config: PipelineConfig,
        out: mpsc::Sender<OutgoingFrame>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let keyframe = Arc::new(AtomicBool::new(true));
        let stats = Arc::new(PipelineStats::default());
        let bitrate_kbps = Arc::new(AtomicU32::new(config.bitrate_kbps));
        let thread = std::thread::Builder::new()
            .name("lifeline-capture".into())
            .spawn({
                let stats = Arc::clone(&stats);
                let controls = Controls {
                    stop: Arc::clone(&stop),
                    keyframe: Arc::clone(&keyframe),
                    bitrate_kbps: Arc::clone(&bitrate_kbps),
                };
                move || run(capturer, config, &out, &controls, &stats)
            })
            .map_err(|error| tracing::error!(%error, "cannot start the capture thread"))
            .ok();
        Self {
            stop,
            keyframe,
            bitrate_kbps,
            stats,
            thread,
        }
    }

    /// The next frame will be a keyframe (the viewer lost data, or is new).
    pub fn request_keyframe(&self) {
        self.keyframe.store(true, Ordering::Relaxed);
    }

    /// The thread's own counters: frames, stage times, bytes.
    pub fn stats(&self) -> Arc<PipelineStats> {
        Arc::clone(&self.stats)
    }

    /// A handle that changes the encoder's bitrate from another task.
    pub fn bitrate_control(&self) -> BitrateControl {
        BitrateControl(Arc::clone(&self.bitrate_kbps))
    }

    /// A handle that requests keyframes from another task.
    pub fn keyframe_trigger(&self) -> KeyframeTrigger {
        KeyframeTrigger(Arc::clone(&self.keyframe))
    }
}

/// Requests a keyframe from a running [`Pipeline`].
#[derive(Debug, Clone)]
pub struct KeyframeTrigger(Arc<AtomicBool>);

impl KeyframeTrigger {
    pub fn fire(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Sets a running [`Pipeline`]'s bitrate; it applies before the next frame.
#[derive(Debug, Clone)]
pub struct BitrateControl(Arc<AtomicU32>);

impl BitrateControl {
    pub fn set(&self, kbps: u32) {
        self.0.store(kbps, Ordering::Relaxed);
    }
}

/// What other threads may change while the pipeline runs.
struct Controls {
    stop: Arc<AtomicBool>,
    keyframe: Arc<AtomicBool>,
    bitrate_kbps: Arc<AtomicU32>,
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn run(
    mut capturer: Box<dyn Capturer>,
    config: PipelineConfig,
    out: &mpsc::Sender<OutgoingFrame>,
    controls: &Controls,
    stats: &PipelineStats,
) {
    let (stop, keyframe) = (&*controls.stop, &*controls.keyframe);
    let period = Duration::from_secs(1) / config.fps.max(1);
    let started = Instant::now();
    let mut encoder: Option<Vp8Encoder> = None;
    let mut i420 = I420Frame::default();
    let mut previous: Vec<u8> = Vec::new();
    let mut last_sent = Instant::now();
    while !stop.load(Ordering::Relaxed) && !out.is_closed() {
        let tick = Instant::now();
        let captured_at_ms = unix_ms();
        let captured = capturer.capture(config.monitor);
        stats.captured(tick.elapsed());
        match captured {
            Ok(frame) => {
                let forced = keyframe.load(Ordering::Relaxed);
                if !forced && frame.data == previous {
                    // An unchanged screen costs no encoding and no bytes.
                } else if let Err(error) = convert(&frame, &mut i420, stats) {
                    tracing::warn!(%error, "cannot convert the captured frame");
                } else {
                    previous = frame.data;
                    let size = (i420.width, i420.height);
                    if encoder
                        .as_ref()
                        .is_none_or(|e| (e.config().width, e.config().height) != size)
                    {
                        let mut settings = EncoderConfig::new(size.0, size.1);
                        settings.fps = config.fps;
                        settings.bitrate_kbps = controls.bitrate_kbps.load(Ordering::Relaxed);
                        encoder = Vp8Encoder::new(settings)
                            .map_err(
                                |error| tracing::error!(%error, "cannot start the VP8 encoder"),
                            )
                            .ok();
                        keyframe.store(true, Ordering::Relaxed);
                    }
                    if let Some(encoder) = encoder.as_mut() {
                        let kbps = controls.bitrate_kbps.load(Ordering::Relaxed);
                        if kbps != encoder.config().bitrate_kbps
                            && let Err(error) = encoder.set_bitrate(kbps)
                        {
                            tracing::warn!(%error, kbps, "cannot change the bitrate");
                        }
                        let force = keyframe.swap(false, Ordering::Relaxed);
                        let pts = started.elapsed().as_millis() as i64;
                        let encoding = Instant::now();
                        match encoder.encode(&mut i420, pts, force) {
                            Ok(frames) => {
                                let bytes = frames.iter().map(|f| f.data.len()).sum();
                                stats.encoded(encoding.elapsed(), bytes);
                                for f in frames {
                                    let frame = OutgoingFrame {
                                        data: f.data,
                                        keyframe: f.keyframe,
                                        captured_at_ms,
                                        duration: last_sent.elapsed().max(period),
                                    };
                                    last_sent = Instant::now();
                                    if out.try_send(frame).is_err() {
                                        // Dropped: the viewer needs a fresh start.
                                        keyframe.store(true, Ordering::Relaxed);
                                    }
                                }
                            }
                            Err(error) => tracing::warn!(%error, "encoding failed"),
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "screen capture failed");
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        if let Some(rest) = period.checked_sub(tick.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

fn convert(
    frame: &super::frame::RgbaFrame,
    i420: &mut I420Frame,
    stats: &PipelineStats,
) -> Result<(), super::convert::ConvertError> {
    let converting = Instant::now();
    let result = rgba_to_i420(frame, i420);
    stats.converted(converting.elapsed());
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::capture::TestPattern;

    /// A capturer that shows a changing pattern for a while, then holds still.
    struct StopsMoving {
        pattern: TestPattern,
        calls: u32,
    }

    impl Capturer for StopsMoving {
        fn monitors(
            &mut self,
        ) -> Result<Vec<super::super::capture::MonitorInfo>, super::super::capture::CaptureError>
        {
            self.pattern.monitors()
        }
        fn capture(
            &mut self,
            index: usize,
        ) -> Result<super::super::frame::RgbaFrame, super::super::capture::CaptureError> {
            self.calls += 1;
            self.pattern.moving = self.calls <= 5;
            self.pattern.capture(index)
        }
    }

    #[tokio::test]
    async fn encodes_changes_only_and_keyframes_on_request() {
        let (tx, mut rx) = mpsc::channel(64);
        let capturer = StopsMoving {
            pattern: TestPattern::new(160, 90),
            calls: 0,
        };
        let config = PipelineConfig {
            fps: 100,
            ..PipelineConfig::default()
        };
        let pipeline = Pipeline::start(Box::new(capturer), config, tx);
        let mut frames = Vec::new();
        while let Ok(Some(frame)) =
            tokio::time::timeout(Duration::from_millis(500), rx.recv()).await
        {
            frames.push(frame);
        }
        // Five changing captures, then a still screen: five frames, the
        // first a keyframe, and silence after.
        assert_eq!(frames.len(), 5, "{frames:?}");
        assert!(frames[0].keyframe);
        assert!(frames[1..].iter().all(|f| !f.keyframe));

        pipeline.request_keyframe();
        let frame = tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            frame.keyframe,
            "a still screen still answers a keyframe request"
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(300), rx.recv())
                .await
                .is_err(),
            "and then stays silent"
        );
    }
}
