//! When the capture thread may capture: a pure state machine that takes
//! `now` as an argument, owned by the capture thread ([`super::pipeline`]).
//!
//! - Nothing pending (no damage, no keyframe request): wait, for ever, or
//!   until the one refresh keyframe is due after [`REFRESH_AFTER`] of
//!   stillness (a viewer that lost the last frame's packets heals).
//! - Something pending: capture, but never sooner than one frame period
//!   after the previous capture began; damage accumulates meanwhile.

use std::time::{Duration, Instant};

/// A still screen sends one keyframe this long after its last frame.
pub const REFRESH_AFTER: Duration = Duration::from_secs(10);

/// What the capture thread does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Capture (and encode) now; `refresh`: this is the stillness refresh,
    /// so encode a keyframe even if nothing changed.
    Capture { refresh: bool },
    /// Wait for a change until `until` (`None`: no deadline).
    Wait { until: Option<Instant> },
}

#[derive(Debug, Clone)]
pub struct Pacer {
    period: Duration,
    refresh_after: Duration,
    last_capture: Option<Instant>,
    last_sent: Instant,
    /// The refresh for the current stillness went out already.
    refreshed: bool,
}

impl Pacer {
    /// A pacer for `fps` frames a second, starting at `now`.
    pub fn new(fps: u32, now: Instant) -> Self {
        Self::with_refresh(fps, REFRESH_AFTER, now)
    }

    /// As [`Pacer::new`], with another stillness interval (tests).
    pub fn with_refresh(fps: u32, refresh_after: Duration, now: Instant) -> Self {
        Self {
            period: Duration::from_secs(1) / fps.max(1),
            refresh_after,
            last_capture: None,
            last_sent: now,
            refreshed: false,
        }
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    fn refresh_at(&self) -> Option<Instant> {
        (!self.refreshed).then(|| self.last_sent + self.refresh_after)
    }

    /// The next step, given whether a change or keyframe request is pending.
    pub fn step(&self, now: Instant, pending: bool) -> Step {
        let refresh_due = self.refresh_at().is_some_and(|at| now >= at);
        if !pending && !refresh_due {
            return Step::Wait {
                until: self.refresh_at(),
            };
        }
        match self.last_capture.map(|at| at + self.period) {
            Some(allowed) if now < allowed => Step::Wait {
                until: Some(allowed),
            },
            _ => Step::Capture {
                refresh: refresh_due,
            },
        }
    }

    /// A capture began at `at`.
    pub fn captured(&mut self, at: Instant) {
        self.last_capture = Some(at);
    }

    /// A frame went out at `at`; `refresh`: it was the stillness refresh,
    /// after which a still screen sends nothing more.
    pub fn sent(&mut self, at: Instant, refresh: bool) {
        self.last_sent = at;
        self.refreshed = refresh;
    }

    /// The refresh was due but nothing could be sent (no image yet, the
    /// queue was full): start the stillness over rather than spin.
    pub fn refresh_skipped(&mut self, at: Instant) {
        self.last_sent = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn nothing_pending_waits_until_the_refresh_and_no_sooner() {
        let t0 = Instant::now();
        let pacer = Pacer::new(30, t0);
        assert_eq!(
            pacer.step(t0 + 5 * MS, false),
            Step::Wait {
                until: Some(t0 + REFRESH_AFTER)
            }
        );
        assert_eq!(
            pacer.step(t0 + REFRESH_AFTER, false),
            Step::Capture { refresh: true }
        );
    }

    #[test]
    fn one_refresh_per_stillness_then_silence_until_a_change() {
        let t0 = Instant::now();
        let mut pacer = Pacer::with_refresh(30, 100 * MS, t0);
        let t1 = t0 + 100 * MS;
        assert_eq!(pacer.step(t1, false), Step::Capture { refresh: true });
        pacer.captured(t1);
        pacer.sent(t1, true);
        assert_eq!(
            pacer.step(t1 + 10_000 * MS, false),
            Step::Wait { until: None }
        );
        // A change is sent; the next stillness gets its own refresh.
        let t2 = t1 + 10_000 * MS;
        assert_eq!(pacer.step(t2, true), Step::Capture { refresh: false });
        pacer.captured(t2);
        pacer.sent(t2, false);
        assert_eq!(
            pacer.step(t2 + MS, false),
            Step::Wait {
                until: Some(t2 + 100 * MS)
            }
        );
    }

    #[test]
    fn pending_work_is_captured_at_most_once_a_period() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(20, t0);
        assert_eq!(pacer.step(t0, true), Step::Capture { refresh: false });
        pacer.captured(t0);
        assert_eq!(
            pacer.step(t0 + 10 * MS, true),
            Step::Wait {
                until: Some(t0 + 50 * MS)
            }
        );
        assert_eq!(
            pacer.step(t0 + 50 * MS, true),
            Step::Capture { refresh: false }
        );
    }

    #[test]
    fn a_skipped_refresh_starts_the_stillness_over() {
        let t0 = Instant::now();
        let mut pacer = Pacer::with_refresh(30, 100 * MS, t0);
        pacer.refresh_skipped(t0 + 100 * MS);
        assert_eq!(
            pacer.step(t0 + 150 * MS, false),
            Step::Wait {
                until: Some(t0 + 200 * MS)
            }
        );
    }
}
