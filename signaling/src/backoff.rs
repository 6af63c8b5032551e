//! Growing back-off after failures, TeamViewer's model: a few free
//! failures, then each further one doubles the wait before the next try.
//! A streak is forgotten after a long quiet spell.
//!
//! Pure: every call takes `now`. [`crate::limits`] owns one per kind of
//! attempt, behind a lock held only for the call.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Failures allowed before any wait.
    pub free_failures: u32,
    /// The wait after the first failure beyond the free ones.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
    /// A streak with no failure for this long starts over.
    pub forget_after: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Streak {
    failures: u32,
    last_failure: Instant,
}

#[derive(Debug)]
pub struct Backoff<K> {
    policy: BackoffPolicy,
    streaks: HashMap<K, Streak>,
}

/// Forget stale streaks once this many keys are tracked.
const PRUNE_AT: usize = 10_000;

impl<K: Eq + Hash> Backoff<K> {
    pub fn new(policy: BackoffPolicy) -> Self {
        Self {
            policy,
            streaks: HashMap::new(),
        }
    }

    /// `Err(wait)` while `key` must still wait after its last failure.
    pub fn check(&self, now: Instant, key: &K) -> Result<(), Duration> {
        let Some(streak) = self.current(now, key) else {
            return Ok(());
        };
        let until = streak.last_failure + self.wait_after(streak.failures);
        match until.checked_duration_since(now) {
            Some(wait) if !wait.is_zero() => Err(wait),
            _ => Ok(()),
        }
    }

    pub fn fail(&mut self, now: Instant, key: K) {
        if self.streaks.len() >= PRUNE_AT {
            let forget = self.policy.forget_after;
            self.streaks
                .retain(|_, s| now.saturating_duration_since(s.last_failure) < forget);
        }
        let failures = self.current(now, &key).map_or(0, |s| s.failures);
        self.streaks.insert(
            key,
            Streak {
                failures: failures.saturating_add(1),
                last_failure: now,
            },
        );
    }

    /// Whether `key` has no current streak: no failure it has not lived
    /// down yet.
    pub fn is_clean(&self, now: Instant, key: &K) -> bool {
        self.current(now, key).is_none()
    }

    /// Forgets `key`'s streak (it succeeded).
    pub fn reset(&mut self, key: &K) {
        self.streaks.remove(key);
    }

    fn current(&self, now: Instant, key: &K) -> Option<Streak> {
        self.streaks
            .get(key)
            .filter(|s| now.saturating_duration_since(s.last_failure) < self.policy.forget_after)
            .copied()
    }

    /// The wait imposed after `failures` failures in a row.
    pub fn wait_after(&self, failures: u32) -> Duration {
        let Some(beyond) = failures.checked_sub(self.policy.free_failures + 1) else {
            return Duration::ZERO;
        };
        let factor = 1u32.checked_shl(beyond.min(31)).unwrap_or(u32::MAX);
        self.policy
            .first_wait
            .saturating_mul(factor)
            .min(self.policy.max_wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BackoffPolicy = BackoffPolicy {
        free_failures: 3,
        first_wait: Duration::from_secs(5),
        max_wait: Duration::from_secs(3600),
        forget_after: Duration::from_secs(24 * 3600),
    };

    #[test]
    fn free_failures_then_doubling_waits() {
        let backoff = Backoff::<u8>::new(POLICY);
        let waits: Vec<u64> = (1..=14).map(|n| backoff.wait_after(n).as_secs()).collect();
        assert_eq!(
            waits,
            [0, 0, 0, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]
        );
    }

    #[test]
    fn blocks_until_the_wait_is_over() {
        let mut backoff = Backoff::new(POLICY);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(backoff.check(t0, &"ann").is_ok());
            backoff.fail(t0, "ann");
        }
        assert!(backoff.check(t0, &"ann").is_ok(), "three are free");
        backoff.fail(t0, "ann");
        assert_eq!(backoff.check(t0, &"ann"), Err(Duration::from_secs(5)));
        assert!(backoff.check(t0, &"bob").is_ok(), "keys are independent");
        assert!(backoff.check(t0 + Duration::from_secs(5), &"ann").is_ok());
        backoff.fail(t0 + Duration::from_secs(5), "ann");
        assert_eq!(
            backoff.check(t0 + Duration::from_secs(6), &"ann"),
            Err(Duration::from_secs(9))
        );
    }

    #[test]
    fn reset_and_clean() {
        let mut backoff = Backoff::new(POLICY);
        let t0 = Instant::now();
        assert!(backoff.is_clean(t0, &"ann"));
        backoff.fail(t0, "ann");
        assert!(!backoff.is_clean(t0, &"ann"));
        assert!(backoff.is_clean(t0 + POLICY.forget_after, &"ann"));
        backoff.reset(&"ann");
        assert!(backoff.is_clean(t0, &"ann"));
    }

    #[test]
    fn a_long_quiet_spell_forgets_the_streak() {
        let mut backoff = Backoff::new(POLICY);
        let t0 = Instant::now();
        for _ in 0..10 {
            backoff.fail(t0, 1);
        }
        assert!(backoff.check(t0, &1).is_err());
        let later = t0 + POLICY.forget_after;
        assert!(backoff.check(later, &1).is_ok());
        backoff.fail(later, 1);
        assert!(
            backoff.check(later, &1).is_ok(),
            "the streak restarted at one"
        );
    }

    /// The brute-force arithmetic in docs/security.md rests on this count.
    #[test]
    fn at_most_thirteen_failures_in_the_first_hour() {
        let mut backoff = Backoff::new(POLICY);
        let start = Instant::now();
        let mut now = start;
        let mut attempts = 0;
        while now < start + Duration::from_secs(3600) {
            match backoff.check(now, &()) {
                Ok(()) => {
                    attempts += 1;
                    backoff.fail(now, ());
                }
                Err(wait) => now += wait,
            }
        }
        assert_eq!(attempts, 13);
    }
}
