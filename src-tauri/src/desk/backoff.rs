//! Reconnect timing for the link to the signaling server: exponential
//! back-off with jitter, capped, reset once a connection has stayed up.
//! Pure: the caller passes `now` and a random fraction, so tests can drive it.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    /// A connection that stayed up this long resets the delay.
    stable_after: Duration,
    attempt: u32,
    connected_at: Option<Instant>,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(
            Duration::from_secs(1),
            Duration::from_secs(30),
            Duration::from_secs(10),
        )
    }
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration, stable_after: Duration) -> Self {
        Self {
            initial,
            max,
            stable_after,
            attempt: 0,
            connected_at: None,
        }
    }

    /// Records a successful connection at `now`.
    pub fn connected(&mut self, now: Instant) {
        self.connected_at = Some(now);
    }

    /// Records a failed attempt or a dropped connection at `now` and returns
    /// how long to wait before the next attempt. `jitter` in `[0, 1)` spreads
    /// clients out so a restarted server is not hit by all of them at once.
    pub fn failed(&mut self, now: Instant, jitter: f64) -> Duration {
        if let Some(since) = self.connected_at.take()
            && now.saturating_duration_since(since) >= self.stable_after
        {
            self.attempt = 0;
        }
        let factor = 2u32.saturating_pow(self.attempt.min(16));
        self.attempt = self.attempt.saturating_add(1);
        let base = self.initial.saturating_mul(factor).min(self.max);
        // Up to +25 %, still capped.
        let jitter = jitter.clamp(0.0, 1.0);
        base.mul_f64(1.0 + 0.25 * jitter).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(30),
            Duration::from_secs(10),
        )
    }

    #[test]
    fn doubles_up_to_the_cap() {
        let now = Instant::now();
        let mut b = backoff();
        let delays: Vec<u64> = (0..7).map(|_| b.failed(now, 0.0).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn jitter_adds_at_most_a_quarter_and_never_passes_the_cap() {
        let now = Instant::now();
        let mut b = backoff();
        assert_eq!(b.failed(now, 0.999_999).as_millis(), 1249);
        let mut b = backoff();
        for _ in 0..10 {
            assert!(b.failed(now, 1.0) <= Duration::from_secs(30));
        }
    }

    #[test]
    fn a_stable_connection_resets_the_delay_but_a_flapping_one_does_not() {
        let start = Instant::now();
        let mut b = backoff();
        b.failed(start, 0.0);
        b.failed(start, 0.0);
        b.connected(start);
        // Dropped after 2 s: still backing off.
        assert_eq!(b.failed(start + Duration::from_secs(2), 0.0).as_secs(), 4);
        b.connected(start);
        // Dropped after 60 s: start over.
        assert_eq!(b.failed(start + Duration::from_secs(60), 0.0).as_secs(), 1);
    }
}
