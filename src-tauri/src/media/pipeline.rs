//! The client's capture → convert → encode loop, on its own thread, which
//! owns the capturer, the kept RGB and I420 images and the encoder.
//!
//! It is driven by change, not by a clock: it blocks in
//! [`Capturer::wait_for_change`] until the screen changes, a keyframe is
//! requested, the bitrate changes or it is stopped (the last three through
//! a [`Wakeup`]). [`Pacer`] decides when to capture: never more often than
//! the frame rate (damage accumulates meanwhile), and on a still screen
//! only once, a refresh keyframe after 10 s. Only the changed rows are
//! captured and converted. Backends that cannot report changes are
//! captured at the frame rate and compared with the previous image, and an
//! unchanged one costs no encoding and no bytes.
//!
//! A keyframe is forced when asked; the encoder restarts when the size
//! changes. Encoded frames go to the async side through a small queue;
//! when it is full the frame is dropped and the next one is a keyframe, so
//! the viewer never decodes garbage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, watch};

use super::capture::{CaptureError, CaptureProblem, Captured, Capturer, Change};
use super::convert::{I420Frame, rgba_rows_to_i420, rgba_to_i420};
use super::frame::RgbaFrame;
use super::pacing::{Pacer, REFRESH_AFTER, Step};
use super::stats::{FrameStages, PipelineStats};
use super::vp8::{EncodedFrame, EncoderConfig, Vp8Encoder};
use super::wake::{Waker, Wakeup};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineConfig {
    pub monitor: usize,
    pub fps: u32,
    pub bitrate_kbps: u32,
    /// A still screen sends one keyframe this long after its last frame.
    pub refresh_after: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            monitor: 0,
            fps: 30,
            bitrate_kbps: 2500,
            refresh_after: REFRESH_AFTER,
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
    /// The time it spent in each stage on the client.
    pub stages: FrameStages,
}

/// A running pipeline; dropping it stops the thread.
#[derive(Debug)]
pub struct Pipeline {
    stop: Arc<AtomicBool>,
    keyframe: Arc<AtomicBool>,
    bitrate_kbps: Arc<AtomicU32>,
    stats: Arc<PipelineStats>,
    waker: Option<Waker>,
    thread: Option<JoinHandle<()>>,
    backend: &'static str,
    problems: watch::Receiver<Option<CaptureProblem>>,
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
        let wakeup = Wakeup::new()
            .map_err(|error| tracing::error!(%error, "cannot make the capture thread's wake-up"));
        let waker = wakeup.as_ref().ok().map(Wakeup::waker);
        let backend = capturer.backend();
        let (problem, problems) = watch::channel(None);
        let thread = wakeup.ok().and_then(|wakeup| {
            std::thread::Builder::new()
                .name("lifeline-capture".into())
                .spawn({
                    let stats = Arc::clone(&stats);
                    let controls = Controls {
                        stop: Arc::clone(&stop),
                        keyframe: Arc::clone(&keyframe),
                        bitrate_kbps: Arc::clone(&bitrate_kbps),
                        wakeup,
                        problem,
                    };
                    move || run(capturer, config, &out, &controls, &stats)
                })
                .map_err(|error| tracing::error!(%error, "cannot start the capture thread"))
                .ok()
        });
        Self {
            stop,
            keyframe,
            bitrate_kbps,
            stats,
            waker,
            thread,
            backend,
            problems,
        }
    }

    /// What the capturer is (`Capturer::backend`).
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Why the screen cannot be captured, while it cannot (`None` once a
    /// capture works again). After a problem that says the share was
    /// stopped, the pipeline captures no more.
    pub fn problems(&self) -> watch::Receiver<Option<CaptureProblem>> {
        self.problems.clone()
    }

    /// The next frame will be a keyframe (the viewer lost data, or is new).
    pub fn request_keyframe(&self) {
        self.keyframe_trigger().fire();
    }

    /// The thread's own counters: frames, stage times, bytes.
    pub fn stats(&self) -> Arc<PipelineStats> {
        Arc::clone(&self.stats)
    }

    /// A handle that changes the encoder's bitrate from another task.
    pub fn bitrate_control(&self) -> BitrateControl {
        BitrateControl(Arc::clone(&self.bitrate_kbps), self.waker.clone())
    }

    /// A handle that requests keyframes from another task.
    pub fn keyframe_trigger(&self) -> KeyframeTrigger {
        KeyframeTrigger(Arc::clone(&self.keyframe), self.waker.clone())
    }
}

/// Requests a keyframe from a running [`Pipeline`].
#[derive(Debug, Clone)]
pub struct KeyframeTrigger(Arc<AtomicBool>, Option<Waker>);

impl KeyframeTrigger {
    pub fn fire(&self) {
        self.0.store(true, Ordering::Relaxed);
        if let Some(waker) = &self.1 {
            waker.wake();
        }
    }
}

/// Sets a running [`Pipeline`]'s bitrate; it applies at once, without a
/// frame.
#[derive(Debug, Clone)]
pub struct BitrateControl(Arc<AtomicU32>, Option<Waker>);

impl BitrateControl {
    pub fn set(&self, kbps: u32) {
        if self.0.swap(kbps, Ordering::Relaxed) != kbps
            && let Some(waker) = &self.1
        {
            waker.wake();
        }
    }
}

/// What other threads may change while the pipeline runs, and the
/// wake-up they ring.
struct Controls {
    stop: Arc<AtomicBool>,
    keyframe: Arc<AtomicBool>,
    bitrate_kbps: Arc<AtomicU32>,
    wakeup: Wakeup,
    /// Why captures fail, once they have failed [`FAILURES_TO_REPORT`]
    /// times in a row, or at once when the share was stopped.
    problem: watch::Sender<Option<CaptureProblem>>,
}

/// A capture that fails once (a monitor going, say) is retried quietly;
/// this many failures in a row are a problem to show.
const FAILURES_TO_REPORT: u32 = 2;

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(waker) = &self.waker {
            waker.wake();
        }
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

/// What the capture thread keeps between frames.
struct Loop<'a> {
    config: PipelineConfig,
    out: &'a mpsc::Sender<OutgoingFrame>,
    controls: &'a Controls,
    stats: &'a PipelineStats,
    started: Instant,
    pacer: Pacer,
    /// The last captured image and its conversion, kept for the share.
    frame: RgbaFrame,
    i420: I420Frame,
    encoder: Option<Vp8Encoder>,
    /// The backend cannot report changes: compare images.
    compare: bool,
    /// A change was reported (or may have happened) and is not captured.
    pending: bool,
    last_sent: Instant,
    /// Captures failed in a row.
    failures: u32,
    /// The share was stopped outside Lifeline: nothing more to capture.
    stopped: bool,
}

fn run(
    mut capturer: Box<dyn Capturer>,
    config: PipelineConfig,
    out: &mpsc::Sender<OutgoingFrame>,
    controls: &Controls,
    stats: &PipelineStats,
) {
    let now = Instant::now();
    let mut state = Loop {
        config,
        out,
        controls,
        stats,
        started: now,
        pacer: Pacer::with_refresh(config.fps, config.refresh_after, now),
        frame: RgbaFrame::default(),
        i420: I420Frame::default(),
        encoder: None,
        compare: false,
        pending: true, // the first frame
        last_sent: now,
        failures: 0,
        stopped: false,
    };
    while !controls.stop.load(Ordering::Relaxed) && !out.is_closed() && !state.stopped {
        state.apply_bitrate();
        let now = Instant::now();
        let forced = controls.keyframe.load(Ordering::Relaxed);
        match state.pacer.step(now, state.pending || forced) {
            Step::Wait { until } => state.wait(capturer.as_mut(), now, until),
            Step::Capture { refresh } => state.frame(capturer.as_mut(), now, refresh),
        }
    }
}

impl Loop<'_> {
    fn apply_bitrate(&mut self) {
        let kbps = self.controls.bitrate_kbps.load(Ordering::Relaxed);
        if let Some(encoder) = self.encoder.as_mut()
            && kbps != encoder.config().bitrate_kbps
            && let Err(error) = encoder.set_bitrate(kbps)
        {
            tracing::warn!(%error, kbps, "cannot change the bitrate");
        }
    }

    /// Waits for a change, a control or `until`.
    fn wait(&mut self, capturer: &mut dyn Capturer, now: Instant, until: Option<Instant>) {
        let timeout = until.map(|at| at.saturating_duration_since(now));
        let wakeup = &self.controls.wakeup;
        if self.pending {
            // A change is known already and waits for the frame period;
            // more damage piles up in the capturer meanwhile.
            wakeup.wait(timeout);
            self.stats.waited(now.elapsed(), true);
            return;
        }
        let change = capturer.wait_for_change(self.config.monitor, timeout, wakeup);
        self.stats.waited(now.elapsed(), false);
        match change {
            Ok(Change::Damaged) => self.pending = true,
            Ok(Change::Nothing) => {}
            Ok(Change::Unknown) => {
                // Anything may have changed: look once a frame period.
                self.compare = true;
                self.pending = true;
            }
            Err(error) => {
                tracing::warn!(%error, "waiting for screen changes failed");
                self.pending = true;
                wakeup.wait(Some(Duration::from_millis(500)));
            }
        }
    }

    /// Captures what changed, converts it, and encodes and queues a frame
    /// when there is something new or a keyframe is wanted.
    fn frame(&mut self, capturer: &mut dyn Capturer, now: Instant, refresh: bool) {
        self.pacer.captured(now);
        self.pending = false;
        let captured_at_ms = unix_ms();
        let mut stages = FrameStages::default();
        let Some((captured, changed)) = self.capture(capturer, now, refresh, &mut stages) else {
            return;
        };
        if !changed && !refresh && !self.controls.keyframe.load(Ordering::Relaxed) {
            return; // an unchanged screen costs no encoding and no bytes
        }
        if changed && !self.convert(&captured, &mut stages) {
            return;
        }
        let Some(frames) = self.encode(now, refresh, &mut stages) else {
            return;
        };
        self.send(frames, stages, captured_at_ms, now, refresh && !changed);
    }

    fn failed(&mut self, error: &CaptureError) {
        if matches!(error, CaptureError::NotYet(_)) {
            return; // waiting for the first picture is not a failure
        }
        self.failures += 1;
        self.stopped = matches!(error, CaptureError::Stopped(_));
        if self.failures >= FAILURES_TO_REPORT || self.stopped {
            let problem = Some(CaptureProblem::from(error));
            self.controls.problem.send_if_modified(|now| {
                let changed = *now != problem;
                now.clone_from(&problem);
                changed
            });
        }
    }

    fn captured_again(&mut self) {
        self.failures = 0;
        self.controls
            .problem
            .send_if_modified(|now| now.take().is_some());
    }

    /// Captures what changed into the kept image and times it; with
    /// `compare`, the whole image is compared with the previous one. Gives
    /// what was captured and whether anything changed, or `None` when the
    /// capture failed (the frame is then retried after a pause).
    fn capture(
        &mut self,
        capturer: &mut dyn Capturer,
        now: Instant,
        refresh: bool,
        stages: &mut FrameStages,
    ) -> Option<(Captured, bool)> {
        let capturing = Instant::now();
        let previous = self.compare.then(|| std::mem::take(&mut self.frame.data));
        let captured = match capturer.capture_changes(self.config.monitor, &mut self.frame) {
            Ok(captured) => {
                self.captured_again();
                captured
            }
            Err(error) => {
                tracing::warn!(%error, "screen capture failed");
                self.failed(&error);
                if self.stopped {
                    return None;
                }
                if let Some(previous) = previous {
                    self.frame.data = previous;
                }
                self.pending = true;
                if refresh {
                    self.pacer.refresh_skipped(now);
                }
                self.controls.wakeup.wait(Some(Duration::from_millis(500)));
                return None;
            }
        };
        let changed = match &captured {
            Captured::Whole => previous.is_none_or(|p| p != self.frame.data),
            Captured::Rows(rows) => !rows.is_empty(),
        };
        if !matches!(&captured, Captured::Rows(rows) if rows.is_empty()) {
            stages.capture = capturing.elapsed();
            self.stats.captured(stages.capture);
        }
        Some((captured, changed))
    }

    /// Converts the captured rows (or the whole image) to I420 and times
    /// it; `false` when the conversion failed.
    fn convert(&mut self, captured: &Captured, stages: &mut FrameStages) -> bool {
        let converting = Instant::now();
        let converted = match captured {
            Captured::Rows(rows) => rgba_rows_to_i420(&self.frame, rows, &mut self.i420),
            Captured::Whole => rgba_to_i420(&self.frame, &mut self.i420),
        };
        stages.convert = converting.elapsed();
        self.stats.converted(stages.convert);
        if let Err(error) = converted {
            tracing::warn!(%error, "cannot convert the captured frame");
            return false;
        }
        true
    }

    /// Encodes the kept I420 image, as a keyframe when one was asked for
    /// or this is a `refresh`, and times it. `None` when there is nothing
    /// to encode yet, no encoder, or encoding failed.
    fn encode(
        &mut self,
        now: Instant,
        refresh: bool,
        stages: &mut FrameStages,
    ) -> Option<Vec<EncodedFrame>> {
        if self.i420.data.is_empty() {
            // Nothing captured yet to refresh with.
            if refresh {
                self.pacer.refresh_skipped(now);
            }
            return None;
        }
        self.ensure_encoder();
        let Some(encoder) = self.encoder.as_mut() else {
            if refresh {
                self.pacer.refresh_skipped(now);
            }
            return None;
        };
        let force = self.controls.keyframe.swap(false, Ordering::Relaxed) || refresh;
        let pts = self.started.elapsed().as_millis() as i64;
        let encoding = Instant::now();
        let frames = match encoder.encode(&mut self.i420, pts, force) {
            Ok(frames) => frames,
            Err(error) => {
                tracing::warn!(%error, "encoding failed");
                return None;
            }
        };
        stages.encode = encoding.elapsed();
        let bytes = frames.iter().map(|f| f.data.len()).sum();
        self.stats.encoded(stages.encode, bytes);
        Some(frames)
    }

    /// Queues the encoded frames for the network; when the queue is full a
    /// frame is dropped and the next one is a keyframe. `still_refresh`:
    /// they are the refresh of a still screen, which then sends no more.
    fn send(
        &mut self,
        frames: Vec<EncodedFrame>,
        stages: FrameStages,
        captured_at_ms: u64,
        now: Instant,
        still_refresh: bool,
    ) {
        let period = self.pacer.period();
        for f in frames {
            let frame = OutgoingFrame {
                data: f.data,
                keyframe: f.keyframe,
                captured_at_ms,
                duration: self.last_sent.elapsed().max(period),
                stages,
            };
            self.last_sent = Instant::now();
            // Counted before it is handed over, so whoever receives it
            // already sees it in the stats.
            if let Ok(slot) = self.out.try_reserve() {
                self.stats.frame(stages, true);
                slot.send(frame);
                self.pacer.sent(now, still_refresh);
            } else {
                // Dropped: the viewer needs a fresh start.
                self.stats.frame(stages, false);
                self.controls.keyframe.store(true, Ordering::Relaxed);
            }
        }
    }

    /// The encoder for the current image size, made anew when it changes
    /// (and then the next frame is a keyframe).
    fn ensure_encoder(&mut self) {
        let size = (self.i420.width, self.i420.height);
        if self
            .encoder
            .as_ref()
            .is_none_or(|e| (e.config().width, e.config().height) != size)
        {
            let mut settings = EncoderConfig::new(size.0, size.1);
            settings.fps = self.config.fps;
            settings.bitrate_kbps = self.controls.bitrate_kbps.load(Ordering::Relaxed);
            self.encoder = Vp8Encoder::new(settings)
                .map_err(|error| tracing::error!(%error, "cannot start the VP8 encoder"))
                .ok();
            self.controls.keyframe.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::capture::{CaptureError, MonitorInfo, TestPattern};
    use crate::media::damage::Rows;
    use std::sync::Mutex;

    /// A capturer that shows a changing pattern for a while, then holds still.
    struct StopsMoving {
        pattern: TestPattern,
        calls: u32,
    }

    impl Capturer for StopsMoving {
        fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
            self.pattern.monitors()
        }
        fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
            self.calls += 1;
            self.pattern.moving = self.calls <= 5;
            self.pattern.capture(index)
        }
    }

    #[tokio::test]
    async fn without_change_reports_encodes_changes_only_and_keyframes_on_request() {
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

    /// What the fake damage-reporting screen has seen, shared with the test.
    #[derive(Debug, Default)]
    struct Screen {
        /// Damage reported and not captured yet.
        damaged: bool,
        /// Damage reports made, and how many a capture took in.
        reports: u64,
        /// When each capture (a fetch of pixels) began.
        captures: Vec<Instant>,
        /// 2 ms slices spent waiting with nothing to report: how long the
        /// pipeline has been idle, counted by the fake itself.
        idle_slices: u64,
        colour: u8,
    }

    /// A screen that reports damage like the SHM backend, counting its
    /// own captures.
    struct FakeDamage(Arc<Mutex<Screen>>);

    const W: u32 = 64;
    const H: u32 = 48;

    impl FakeDamage {
        fn new() -> (Self, Arc<Mutex<Screen>>) {
            let screen = Arc::new(Mutex::new(Screen::default()));
            (Self(Arc::clone(&screen)), screen)
        }
    }

    fn damage(screen: &Mutex<Screen>) {
        let mut screen = screen.lock().unwrap();
        screen.damaged = true;
        screen.reports += 1;
        screen.colour = screen.colour.wrapping_add(37);
    }

    impl Capturer for FakeDamage {
        fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
            TestPattern::new(W, H).monitors()
        }
        fn capture(&mut self, _: usize) -> Result<RgbaFrame, CaptureError> {
            unreachable!("the pipeline captures through capture_changes")
        }
        fn wait_for_change(
            &mut self,
            _: usize,
            timeout: Option<Duration>,
            wake: &Wakeup,
        ) -> Result<Change, CaptureError> {
            let deadline = timeout.map(|t| Instant::now() + t);
            loop {
                if self.0.lock().unwrap().damaged {
                    return Ok(Change::Damaged);
                }
                let slice = Duration::from_millis(2);
                let left = deadline.map_or(slice, |d| d.saturating_duration_since(Instant::now()));
                if left.is_zero() || wake.wait(Some(left.min(slice))) {
                    return Ok(Change::Nothing);
                }
                self.0.lock().unwrap().idle_slices += 1;
            }
        }
        fn capture_changes(
            &mut self,
            _: usize,
            frame: &mut RgbaFrame,
        ) -> Result<Captured, CaptureError> {
            let mut screen = self.0.lock().unwrap();
            let whole = frame.data.len() != (W * H * 4) as usize;
            if !screen.damaged && !whole {
                return Ok(Captured::Rows(Vec::new()));
            }
            screen.damaged = false;
            screen.captures.push(Instant::now());
            *frame = RgbaFrame {
                width: W,
                height: H,
                data: [screen.colour, 80, 160, 255].repeat((W * H) as usize),
                ..RgbaFrame::default()
            };
            Ok(Captured::Rows(vec![Rows { start: 0, end: H }]))
        }
    }

    async fn next(rx: &mut mpsc::Receiver<OutgoingFrame>) -> OutgoingFrame {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a frame within 10 s")
            .expect("the pipeline is running")
    }

    /// Waits until the fake has been idle for `slices` more 2 ms slices.
    async fn idle_for(screen: &Mutex<Screen>, slices: u64) {
        let until = screen.lock().unwrap().idle_slices + slices;
        while screen.lock().unwrap().idle_slices < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn no_capture_without_damage_and_keyframes_need_no_capture() {
        let (capturer, screen) = FakeDamage::new();
        let (tx, mut rx) = mpsc::channel(64);
        let config = PipelineConfig {
            fps: 100,
            ..PipelineConfig::default()
        };
        let pipeline = Pipeline::start(Box::new(capturer), config, tx);
        let first = next(&mut rx).await;
        assert!(first.keyframe);
        // Idle for a while (counted by the fake, which the pipeline keeps
        // waiting), then one change: it is the very next frame, and the
        // only capture since the first.
        idle_for(&screen, 100).await;
        damage(&screen);
        let changed = next(&mut rx).await;
        assert!(!changed.keyframe);
        assert_eq!(screen.lock().unwrap().captures.len(), 2);
        // A keyframe of an unchanged screen re-encodes the kept image.
        pipeline.request_keyframe();
        let keyframe = next(&mut rx).await;
        assert!(
            keyframe.keyframe,
            "the frame after the change is the keyframe"
        );
        assert_eq!(screen.lock().unwrap().captures.len(), 2);
        let stats = pipeline.stats().snapshot();
        assert_eq!((stats.captured, stats.encoded, stats.sent), (2, 3, 3));
    }

    #[tokio::test]
    async fn a_burst_of_damage_is_captured_at_most_at_the_frame_rate() {
        let (capturer, screen) = FakeDamage::new();
        let (tx, mut rx) = mpsc::channel(256);
        let config = PipelineConfig {
            fps: 20,
            ..PipelineConfig::default()
        };
        let pipeline = Pipeline::start(Box::new(capturer), config, tx);
        next(&mut rx).await;
        // Damage every millisecond for 400 ms: 400 reports.
        let burst = Instant::now();
        while burst.elapsed() < Duration::from_millis(400) {
            damage(&screen);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The last report is captured too. The idle slice under way when it
        // came may still be counted; a second one starts only after a wait
        // that found no damage, i.e. after the capture.
        idle_for(&screen, 2).await;
        let frames = std::iter::from_fn(|| rx.try_recv().ok()).count();
        drop(pipeline);
        let screen = screen.lock().unwrap();
        let gaps: Vec<Duration> = screen.captures.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().all(|g| *g >= Duration::from_millis(48)),
            "20 fps allows one capture per 50 ms: {gaps:?}"
        );
        // 400 ms at 20 fps: about 8 captures after the first, never 400.
        assert!((4..=10).contains(&gaps.len()), "{gaps:?}");
        assert_eq!(frames, gaps.len(), "one frame per capture");
        assert!(!screen.damaged, "the burst's last damage was captured");
    }

    #[tokio::test]
    async fn a_still_screen_sends_one_refresh_keyframe_then_nothing() {
        let (capturer, screen) = FakeDamage::new();
        let (tx, mut rx) = mpsc::channel(64);
        let config = PipelineConfig {
            fps: 100,
            refresh_after: Duration::from_millis(100),
            ..PipelineConfig::default()
        };
        let pipeline = Pipeline::start(Box::new(capturer), config, tx);
        assert!(next(&mut rx).await.keyframe);
        let refresh = next(&mut rx).await;
        assert!(refresh.keyframe, "the refresh after 100 ms of stillness");
        assert_eq!(
            screen.lock().unwrap().captures.len(),
            1,
            "no capture for it"
        );
        // Still for five more refresh intervals, then a change: the next
        // frame is that change, not a second refresh.
        idle_for(&screen, 250).await;
        damage(&screen);
        let changed = next(&mut rx).await;
        assert!(!changed.keyframe, "no second refresh while still");
        // A new stillness earns its own refresh.
        assert!(next(&mut rx).await.keyframe);
        assert_eq!(pipeline.stats().snapshot().captured, 2);
    }

    /// A capturer whose captures fail while `failing` is set.
    struct Refusing {
        pattern: TestPattern,
        failing: Arc<AtomicBool>,
    }

    impl Capturer for Refusing {
        fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
            self.pattern.monitors()
        }
        fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
            if self.failing.load(Ordering::Relaxed) {
                return Err(CaptureError::Backend("sharing was declined".into()));
            }
            self.pattern.capture(index)
        }
    }

    /// The pipeline's problem once `ready` holds (within 5 s).
    async fn problem_when(
        problems: &mut watch::Receiver<Option<CaptureProblem>>,
        ready: fn(&Option<CaptureProblem>) -> bool,
    ) -> Option<String> {
        let seen = tokio::time::timeout(Duration::from_secs(5), problems.wait_for(ready));
        seen.await.unwrap().unwrap().clone().map(|p| p.reason)
    }

    /// A capturer with no picture yet, then (`failing`) a failing one.
    struct NotYet {
        tries: Arc<AtomicU32>,
        failing: Arc<AtomicBool>,
    }

    impl Capturer for NotYet {
        fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
            TestPattern::new(160, 90).monitors()
        }
        fn capture(&mut self, _: usize) -> Result<RgbaFrame, CaptureError> {
            self.tries.fetch_add(1, Ordering::Relaxed);
            if self.failing.load(Ordering::Relaxed) {
                return Err(CaptureError::Backend("the stream ended".into()));
            }
            Err(CaptureError::NotYet("none within 2s".into()))
        }
    }

    #[tokio::test]
    async fn waiting_for_a_first_picture_is_no_problem() {
        let (tries, failing) = (
            Arc::new(AtomicU32::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let capturer = NotYet {
            tries: Arc::clone(&tries),
            failing: Arc::clone(&failing),
        };
        let (tx, _rx) = mpsc::channel(64);
        let pipeline = Pipeline::start(Box::new(capturer), PipelineConfig::default(), tx);
        let mut problems = pipeline.problems();
        let deadline = Instant::now() + Duration::from_secs(10);
        while tries.load(Ordering::Relaxed) < 4 {
            assert!(Instant::now() < deadline, "the pipeline stopped trying");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(*problems.borrow(), None, "four tries without a picture");
        failing.store(true, Ordering::Relaxed);
        let problem = problem_when(&mut problems, Option::is_some).await;
        assert_eq!(problem.as_deref(), Some("the stream ended"));
    }

    #[tokio::test]
    async fn a_capture_that_keeps_failing_is_a_problem_until_it_works() {
        let failing = Arc::new(AtomicBool::new(true));
        let capturer = Refusing {
            pattern: TestPattern::new(160, 90),
            failing: Arc::clone(&failing),
        };
        let (tx, mut rx) = mpsc::channel(64);
        let pipeline = Pipeline::start(Box::new(capturer), PipelineConfig::default(), tx);
        let mut problems = pipeline.problems();
        let within = Duration::from_secs(5);
        let problem = problem_when(&mut problems, Option::is_some).await;
        assert_eq!(problem.as_deref(), Some("sharing was declined"));
        assert!(rx.try_recv().is_err(), "no frame while captures fail");

        failing.store(false, Ordering::Relaxed);
        let frame = tokio::time::timeout(within, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(frame.keyframe, "the first picture is a keyframe");
        let problem = problem_when(&mut problems, Option::is_none).await;
        assert_eq!(problem, None, "the problem is over once a capture works");
    }

    /// A capturer whose first capture works and every later one says the
    /// share was stopped from the desktop; it counts its captures.
    struct StoppedAfterOne {
        pattern: TestPattern,
        tries: Arc<AtomicU32>,
    }

    impl Capturer for StoppedAfterOne {
        fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
            self.pattern.monitors()
        }
        fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
            if self.tries.fetch_add(1, Ordering::Relaxed) == 0 {
                return self.pattern.capture(index);
            }
            Err(CaptureError::Stopped("stopped from the desktop".into()))
        }
    }

    #[tokio::test]
    async fn a_share_stopped_from_the_desktop_is_reported_at_once_and_not_retried() {
        let tries = Arc::new(AtomicU32::new(0));
        let capturer = StoppedAfterOne {
            pattern: TestPattern::new(160, 90),
            tries: Arc::clone(&tries),
        };
        let (tx, mut rx) = mpsc::channel(64);
        let config = PipelineConfig {
            refresh_after: Duration::from_millis(50),
            ..PipelineConfig::default()
        };
        let pipeline = Pipeline::start(Box::new(capturer), config, tx);
        let mut problems = pipeline.problems();
        let within = Duration::from_secs(5);
        assert!(next(&mut rx).await.keyframe, "the first picture");
        // The still screen's refresh asks for a capture, which is stopped.
        let seen = tokio::time::timeout(within, problems.wait_for(Option::is_some));
        let problem = seen.await.unwrap().unwrap().clone().unwrap();
        assert_eq!(
            problem,
            CaptureProblem {
                reason: "stopped from the desktop".into(),
                stopped: true
            }
        );
        assert_eq!(tries.load(Ordering::Relaxed), 2, "reported at the first");
        // The capture thread ends: the frames' channel closes.
        let end = tokio::time::timeout(within, rx.recv()).await.unwrap();
        assert!(end.is_none(), "no frame after the stop");
        assert_eq!(tries.load(Ordering::Relaxed), 2, "and asks no more");
    }
}
