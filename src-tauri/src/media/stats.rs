//! Counters the capture thread keeps about its own work: how many screens it
//! captured, how many it encoded and queued for the network, the time each
//! stage took and the bytes it produced, plus each recent frame's own stage
//! times (capture → converted → encoded) for percentiles. The capture
//! thread is the only writer; the benchmark and the app's diagnostics read.
//! The totals are lock-free; the recent frames sit behind a std `Mutex`
//! that the writer holds for one push and a reader for one copy, never
//! across an await.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many recent frames the percentiles cover.
pub const RECENT: usize = 600;

#[derive(Debug, Default)]
pub struct PipelineStats {
    captured: AtomicU64,
    encoded: AtomicU64,
    sent: AtomicU64,
    dropped: AtomicU64,
    capture_ns: AtomicU64,
    idle_ns: AtomicU64,
    paced_ns: AtomicU64,
    convert_ns: AtomicU64,
    encode_ns: AtomicU64,
    bytes: AtomicU64,
    recent: Mutex<VecDeque<FrameStages>>,
}

/// One frame's time in each stage on the client.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FrameStages {
    /// From the capture's start to the image in memory (zero when nothing
    /// had to be captured: a keyframe of an unchanged screen).
    pub capture: Duration,
    /// RGB → I420 of the changed rows.
    pub convert: Duration,
    /// VP8.
    pub encode: Duration,
}

impl FrameStages {
    /// Capture start to encoded.
    pub fn total(&self) -> Duration {
        self.capture + self.convert + self.encode
    }
}

/// p50 and p95 of one stage over the recent frames.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    pub p50: Duration,
    pub p95: Duration,
}

/// Percentiles of each stage over the last [`RECENT`] frames.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StagePercentiles {
    pub frames: usize,
    pub capture: Percentiles,
    pub convert: Percentiles,
    pub encode: Percentiles,
    pub total: Percentiles,
}

fn percentiles(mut values: Vec<Duration>) -> Percentiles {
    if values.is_empty() {
        return Percentiles::default();
    }
    values.sort_unstable();
    let at = |q: usize| values[(values.len() - 1) * q / 100];
    Percentiles {
        p50: at(50),
        p95: at(95),
    }
}

/// A copy of the counters at one moment. Subtract two to get a window.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Screens captured, changed or not.
    pub captured: u64,
    /// Frames encoded (a still screen adds none).
    pub encoded: u64,
    /// Frames handed to the network's queue.
    pub sent: u64,
    /// Frames dropped because that queue was full.
    pub dropped: u64,
    pub capture: Duration,
    pub convert: Duration,
    pub encode: Duration,
    pub bytes: u64,
    /// Time spent waiting for the screen to change (nothing to do).
    pub idle: Duration,
    /// Time spent holding a known change back to keep to the frame rate.
    pub paced: Duration,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl PipelineStats {
    /// The thread waited `took` for a change (`paced`: for the frame
    /// period, with a change already known).
    pub(super) fn waited(&self, took: Duration, paced: bool) {
        let counter = if paced { &self.paced_ns } else { &self.idle_ns };
        counter.fetch_add(nanos(took), Ordering::Relaxed);
    }

    pub(super) fn captured(&self, took: Duration) {
        self.captured.fetch_add(1, Ordering::Relaxed);
        self.capture_ns.fetch_add(nanos(took), Ordering::Relaxed);
    }

    pub(super) fn converted(&self, took: Duration) {
        self.convert_ns.fetch_add(nanos(took), Ordering::Relaxed);
    }

    pub(super) fn encoded(&self, took: Duration, bytes: usize) {
        self.encoded.fetch_add(1, Ordering::Relaxed);
        self.encode_ns.fetch_add(nanos(took), Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// One frame went to the network's queue (`queued`) or was dropped.
    pub(super) fn frame(&self, stages: FrameStages, queued: bool) {
        let counter = if queued { &self.sent } else { &self.dropped };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(stages);
    }

    /// p50/p95 of each stage over the last [`RECENT`] frames.
    pub fn recent(&self) -> StagePercentiles {
        let recent: Vec<FrameStages> = self
            .recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        let of =
            |stage: fn(&FrameStages) -> Duration| percentiles(recent.iter().map(stage).collect());
        StagePercentiles {
            frames: recent.len(),
            capture: of(|f| f.capture),
            convert: of(|f| f.convert),
            encode: of(|f| f.encode),
            total: of(FrameStages::total),
        }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            captured: load(&self.captured),
            encoded: load(&self.encoded),
            sent: load(&self.sent),
            dropped: load(&self.dropped),
            capture: Duration::from_nanos(load(&self.capture_ns)),
            idle: Duration::from_nanos(load(&self.idle_ns)),
            paced: Duration::from_nanos(load(&self.paced_ns)),
            convert: Duration::from_nanos(load(&self.convert_ns)),
            encode: Duration::from_nanos(load(&self.encode_ns)),
            bytes: load(&self.bytes),
        }
    }
}

impl std::ops::Sub for StatsSnapshot {
    type Output = StatsSnapshot;

    fn sub(self, earlier: StatsSnapshot) -> StatsSnapshot {
        StatsSnapshot {
            captured: self.captured.saturating_sub(earlier.captured),
            encoded: self.encoded.saturating_sub(earlier.encoded),
            sent: self.sent.saturating_sub(earlier.sent),
            dropped: self.dropped.saturating_sub(earlier.dropped),
            capture: self.capture.saturating_sub(earlier.capture),
            idle: self.idle.saturating_sub(earlier.idle),
            paced: self.paced.saturating_sub(earlier.paced),
            convert: self.convert.saturating_sub(earlier.convert),
            encode: self.encode.saturating_sub(earlier.encode),
            bytes: self.bytes.saturating_sub(earlier.bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_the_difference_of_two_snapshots() {
        let stats = PipelineStats::default();
        stats.captured(Duration::from_millis(10));
        let before = stats.snapshot();
        stats.captured(Duration::from_millis(12));
        stats.converted(Duration::from_millis(1));
        stats.encoded(Duration::from_millis(5), 900);
        stats.captured(Duration::from_millis(14));
        let window = stats.snapshot() - before;
        assert_eq!(window.captured, 2);
        assert_eq!(window.encoded, 1);
        assert_eq!(window.capture, Duration::from_millis(26));
        assert_eq!(window.convert, Duration::from_millis(1));
        assert_eq!(window.encode, Duration::from_millis(5));
        assert_eq!(window.bytes, 900);
    }

    #[test]
    fn recent_frames_give_percentiles_and_count_sent_and_dropped() {
        let stats = PipelineStats::default();
        let ms = Duration::from_millis;
        for i in 1..=100u64 {
            let stages = FrameStages {
                capture: ms(i),
                convert: ms(1),
                encode: ms(2 * i),
            };
            stats.frame(stages, i % 10 != 0);
        }
        let recent = stats.recent();
        assert_eq!(recent.frames, 100);
        assert_eq!(recent.capture.p50, ms(50));
        assert_eq!(recent.capture.p95, ms(95));
        assert_eq!(recent.encode.p95, ms(190));
        assert_eq!(recent.total.p50, ms(50 + 1 + 100));
        let snapshot = stats.snapshot();
        assert_eq!((snapshot.sent, snapshot.dropped), (90, 10));
        for _ in 0..RECENT {
            stats.frame(FrameStages::default(), true);
        }
        assert_eq!(stats.recent().frames, RECENT);
        assert_eq!(stats.recent().capture.p95, Duration::ZERO);
    }
}
