//! How much of the files being sent may wait in the connection at once.
//!
//! Every channel of a session shares one SCTP association, whose send
//! queue is first in, first out: a chat line or a key press sent while a
//! file streams waits behind every byte of the file already queued. With a
//! fixed 4 MiB allowance that was 2.5 s on a 1.6 MB/s relayed path. So the
//! allowance follows the path instead: the bytes the path delivers in one
//! round trip (what keeps it busy) plus [`QUEUE_BUDGET`] more. A file then
//! streams as fast as before, and whatever is sent beside it waits at most
//! about [`QUEUE_BUDGET`] for it.
//!
//! The delivery rate is measured from the channel itself: bytes sent less
//! those still unacknowledged, over intervals of at least a round trip,
//! and the fastest interval of the last [`RATE_WINDOW`] counts (what the
//! path can do, not what a pause between two files let through). While
//! the rate still climbs, the allowance is one round trip more, so SCTP's
//! slow start can double what it sends each round trip. The round trip
//! comes from ICE; until one is known, the allowance is the channel's
//! whole buffer, as before.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The longest a message sent beside a file should wait for it.
pub(super) const QUEUE_BUDGET: Duration = Duration::from_millis(100);
/// The allowance never goes below this, and starts there: a few chunks.
const FLOOR: usize = 256 << 10;
/// How long a measured rate counts.
const RATE_WINDOW: Duration = Duration::from_secs(1);
/// The shortest interval a rate is measured over.
const MIN_INTERVAL: Duration = Duration::from_millis(50);
/// An interval this much faster than any before it means the path is
/// still opening up.
const GROWING: f64 = 1.25;

/// The estimate for one channel; its sending transfers share it.
#[derive(Debug)]
pub(super) struct Pace {
    /// The channel's own limit: the allowance never exceeds it.
    ceiling: usize,
    /// Bytes handed to the channel so far.
    sent: u64,
    round_trip: Option<Duration>,
    /// The last sample: when, and the bytes delivered by then.
    last: Option<(Instant, u64)>,
    /// Recent intervals' delivery rates, bytes a second, by their end.
    rates: VecDeque<(Instant, f64)>,
    /// The last interval beat every rate before it by a quarter: the path
    /// is still opening up (SCTP's slow start doubles what it sends each
    /// round trip), and the allowance leaves it room to.
    growing: bool,
}

impl Pace {
    pub(super) fn new(ceiling: usize) -> Self {
        Self {
            ceiling,
            sent: 0,
            round_trip: None,
            last: None,
            rates: VecDeque::new(),
            growing: false,
        }
    }

    /// `bytes` more were handed to the channel.
    pub(super) fn sent(&mut self, bytes: usize) {
        self.sent += bytes as u64;
    }

    pub(super) fn set_round_trip(&mut self, round_trip: Option<Duration>) {
        self.round_trip = round_trip;
    }

    /// The channel has `outstanding` bytes unacknowledged `now`.
    pub(super) fn observe(&mut self, now: Instant, outstanding: usize) {
        let delivered = self.sent.saturating_sub(outstanding as u64);
        let Some((then, before)) = self.last else {
            self.last = Some((now, delivered));
            return;
        };
        let interval = now.saturating_duration_since(then);
        if interval < MIN_INTERVAL.max(self.round_trip.unwrap_or_default()) {
            return;
        }
        let rate = delivered.saturating_sub(before) as f64 / interval.as_secs_f64();
        self.growing = rate > GROWING * self.fastest().unwrap_or(0.0);
        self.rates.push_back((now, rate));
        while self
            .rates
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) > RATE_WINDOW)
        {
            self.rates.pop_front();
        }
        self.last = Some((now, delivered));
    }

    /// The most the channel should hold unacknowledged now.
    pub(super) fn limit(&self) -> usize {
        let Some(round_trip) = self.round_trip else {
            return self.ceiling;
        };
        let Some(rate) = self.fastest() else {
            return FLOOR.min(self.ceiling);
        };
        let in_flight = if self.growing {
            2 * round_trip
        } else {
            round_trip
        };
        let bytes = rate * (in_flight + QUEUE_BUDGET).as_secs_f64();
        (bytes as usize).clamp(FLOOR.min(self.ceiling), self.ceiling)
    }

    fn fastest(&self) -> Option<f64> {
        self.rates.iter().map(|(_, rate)| *rate).reduce(f64::max)
    }

    /// Whether the allowance is the channel's whole buffer, whose own
    /// back-pressure then paces the sender.
    pub(super) fn unbounded(&self) -> bool {
        self.limit() >= self.ceiling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CEILING: usize = 4 << 20;

    /// A path of `rate` bytes a second and `round_trip`, fed by a sender
    /// that keeps the channel at the allowance, for `seconds`: in the
    /// second half, once the path is open, the longest the channel held
    /// more than the path had in flight (what a chat line waits behind),
    /// and the bytes delivered in the last second.
    fn stream(pace: &mut Pace, rate: f64, round_trip: Duration, seconds: u64) -> (f64, f64) {
        let step = Duration::from_millis(1);
        let start = Instant::now();
        // Bytes that left the queue at each ms; acknowledged a round trip
        // later.
        let mut leaving: VecDeque<(Instant, u64)> = VecDeque::new();
        let (mut queued, mut flying, mut delivered) = (0u64, 0u64, 0u64);
        let (mut worst_queue, mut last_second) = (0.0f64, 0u64);
        let mut now = start;
        while now < start + Duration::from_secs(seconds) {
            now += step;
            while leaving
                .front()
                .is_some_and(|(at, _)| *at + round_trip <= now)
            {
                let (_, bytes) = leaving.pop_front().unwrap();
                flying -= bytes;
                delivered += bytes;
                if now > start + Duration::from_secs(seconds - 1) {
                    last_second += bytes;
                }
            }
            let out = (rate * step.as_secs_f64()) as u64;
            let moved = out.min(queued);
            queued -= moved;
            flying += moved;
            leaving.push_back((now, moved));
            pace.observe(now, (queued + flying) as usize);
            while ((queued + flying) as usize) < pace.limit() {
                queued += 65_536;
                pace.sent(65_536);
            }
            if now > start + Duration::from_secs(seconds / 2) {
                worst_queue = worst_queue.max(queued as f64 / rate);
            }
        }
        assert!(delivered > 0);
        (worst_queue, last_second as f64)
    }

    #[test]
    fn a_slow_path_gets_its_full_rate_with_a_short_queue() {
        for (rate, rtt) in [(1.6e6, 40), (1.0e6, 80), (13.8e6, 100), (2.0e6, 300)] {
            let round_trip = Duration::from_millis(rtt);
            let mut pace = Pace::new(CEILING);
            pace.set_round_trip(Some(round_trip));
            let (queue, last_second) = stream(&mut pace, rate, round_trip, 6);
            assert!(
                last_second >= rate * 0.95,
                "{rate} B/s at {rtt} ms moved {last_second} B in the last second"
            );
            // Once the path is open, the queue stays near the budget (a
            // chunk over it at most); 4 MiB would have meant seconds.
            let budget = QUEUE_BUDGET.as_secs_f64() + 65_536.0 / rate;
            assert!(
                queue <= budget * 1.5,
                "{rate} B/s at {rtt} ms: a message waited {queue:.3} s"
            );
        }
    }

    #[test]
    fn a_fast_path_keeps_the_whole_buffer() {
        let round_trip = Duration::from_micros(300);
        let mut pace = Pace::new(CEILING);
        pace.set_round_trip(Some(round_trip));
        stream(&mut pace, 250e6, round_trip, 2);
        assert!(pace.unbounded(), "the allowance is {}", pace.limit());
    }

    #[test]
    fn without_a_round_trip_the_buffer_is_whole_and_a_pause_shrinks_nothing_below_the_floor() {
        let mut pace = Pace::new(CEILING);
        assert_eq!(pace.limit(), CEILING);
        pace.set_round_trip(Some(Duration::from_millis(50)));
        assert_eq!(pace.limit(), FLOOR);
        // Nothing moves for a while: the allowance stays at the floor.
        let start = Instant::now();
        for ms in (0..3_000).step_by(100) {
            pace.observe(start + Duration::from_millis(ms), 0);
        }
        assert_eq!(pace.limit(), FLOOR);
    }
}
