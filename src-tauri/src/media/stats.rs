//! Counters the capture thread keeps about its own work: how many screens it
//! captured, how many it encoded, the time each stage took and the bytes it
//! produced. Lock-free, so reading them never slows the pipeline; the
//! benchmark and the app's diagnostics read them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct PipelineStats {
    captured: AtomicU64,
    encoded: AtomicU64,
    capture_ns: AtomicU64,
    convert_ns: AtomicU64,
    encode_ns: AtomicU64,
    bytes: AtomicU64,
}

/// A copy of the counters at one moment. Subtract two to get a window.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Screens captured, changed or not.
    pub captured: u64,
    /// Frames encoded and sent (a still screen adds none).
    pub encoded: u64,
    pub capture: Duration,
    pub convert: Duration,
    pub encode: Duration,
    pub bytes: u64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl PipelineStats {
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

    pub fn snapshot(&self) -> StatsSnapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            captured: load(&self.captured),
            encoded: load(&self.encoded),
            capture: Duration::from_nanos(load(&self.capture_ns)),
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
            capture: self.capture.saturating_sub(earlier.capture),
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
}
