//! Spreads a frame's RTP packets over time, so that a keyframe of hundreds
//! of packets does not land on the receiver in one burst.
//!
//! Every packet the expert's webrtc-rs receives waits in a queue of 256
//! packets for the screen reader; what does not fit is dropped *after*
//! the NACK machinery has seen it, so it is never asked for again and the
//! frame is lost for good (a 400 kB keyframe is 340 packets). The kernel's
//! socket buffer and a router's queue have the same limit in bytes. The
//! pacer is a token bucket: up to [`BURST_BYTES`] leave at once, then
//! [`RATE_BYTES_PER_SEC`]. It is a plain state machine that takes the time
//! as an argument; the video sender owns it and does the sleeping.

use std::time::{Duration, Instant};

/// Bytes that may leave back to back: about 40 packets, a sixth of the
/// receiver's queue.
pub const BURST_BYTES: f64 = 48_000.0;

/// The steady rate once the burst is spent: 240 Mbit/s, so a 400 kB
/// keyframe takes about 13 ms and a typical delta (under the burst) leaves
/// at once.
pub const RATE_BYTES_PER_SEC: f64 = 30_000_000.0;

#[derive(Debug, Clone)]
pub struct Pacer {
    rate: f64,
    burst: f64,
    /// Bytes that may leave now; negative while a packet waits.
    budget: f64,
    at: Instant,
}

impl Pacer {
    pub fn new(now: Instant) -> Self {
        Self::with_rate(now, RATE_BYTES_PER_SEC, BURST_BYTES)
    }

    pub fn with_rate(now: Instant, rate_bytes_per_sec: f64, burst_bytes: f64) -> Self {
        Self {
            rate: rate_bytes_per_sec,
            burst: burst_bytes,
            budget: burst_bytes,
            at: now,
        }
    }

    /// Takes a packet of `bytes` that is ready at `now`; returns how long
    /// to wait before it goes.
    pub fn delay(&mut self, now: Instant, bytes: usize) -> Duration {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = self.at.max(now);
        self.budget = (self.budget + elapsed * self.rate).min(self.burst) - bytes as f64;
        if self.budget >= 0.0 {
            Duration::ZERO
        } else {
            // Until the bucket has refilled by what this packet overdrew.
            Duration::from_secs_f64(-self.budget / self.rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MTU: usize = 1200;

    #[test]
    fn a_burst_leaves_at_once_then_the_rate_holds() {
        let start = Instant::now();
        // 12 kB burst, 1.2 MB/s: one packet per millisecond after ten.
        let mut pacer = Pacer::with_rate(start, 1_200_000.0, 12_000.0);
        for _ in 0..10 {
            assert_eq!(pacer.delay(start, MTU), Duration::ZERO);
        }
        // The eleventh waits until the bucket holds it again.
        let mut now = start;
        let mut waits = Vec::new();
        for _ in 0..5 {
            let wait = pacer.delay(now, MTU);
            waits.push(wait);
            now += wait;
        }
        for wait in &waits {
            let ms = wait.as_secs_f64() * 1000.0;
            assert!((ms - 1.0).abs() < 0.01, "{waits:?}");
        }
    }

    #[test]
    fn an_idle_sender_gets_its_burst_back_but_no_more() {
        let start = Instant::now();
        let mut pacer = Pacer::with_rate(start, 1_200_000.0, 12_000.0);
        for _ in 0..20 {
            pacer.delay(start, MTU);
        }
        // A long pause refills the bucket only up to the burst.
        let later = start + Duration::from_secs(5);
        for _ in 0..10 {
            assert_eq!(pacer.delay(later, MTU), Duration::ZERO);
        }
        assert!(pacer.delay(later, MTU) > Duration::ZERO);
    }

    #[test]
    fn a_keyframe_at_the_default_rate_takes_milliseconds() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start);
        let mut now = start;
        for _ in 0..(400_000 / MTU) {
            now += pacer.delay(now, MTU);
        }
        let took = now - start;
        assert!(took > Duration::from_millis(10), "{took:?}");
        assert!(took < Duration::from_millis(20), "{took:?}");
    }
}
