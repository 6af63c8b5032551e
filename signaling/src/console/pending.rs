//! Console sign-ins between the password and the second factor: which
//! account passed its password, for five minutes and five tries, under a
//! random handle kept in an `HttpOnly` cookie. The password is never
//! carried to the second page.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::random;

/// How long the second step waits.
pub const PENDING_FOR: Duration = Duration::from_secs(5 * 60);
/// Wrong codes before the password must be typed again.
const TRIES: u32 = 5;
/// The most half-done sign-ins held at once; the oldest go first.
const MAX_PENDING: usize = 10_000;

#[derive(Debug)]
struct Entry {
    username: String,
    since: Instant,
    tries: u32,
}

#[derive(Debug, Default)]
pub struct PendingSignIns {
    entries: Mutex<HashMap<String, Entry>>,
}

impl PendingSignIns {
    /// Holds `username` for the second step; returns the cookie's handle.
    pub fn hold(&self, username: &str) -> String {
        let handle = random::hex::<32>();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, e| e.since.elapsed() < PENDING_FOR);
        if entries.len() >= MAX_PENDING
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.since)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(
            handle.clone(),
            Entry {
                username: username.to_owned(),
                since: Instant::now(),
                tries: 0,
            },
        );
        handle
    }

    /// The account waiting under `handle`, counting a try; `None` when it
    /// expired or used its tries.
    pub fn attempt(&self, handle: &str) -> Option<String> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get_mut(handle)?;
        if entry.since.elapsed() >= PENDING_FOR || entry.tries >= TRIES {
            entries.remove(handle);
            return None;
        }
        entry.tries += 1;
        Some(entry.username.clone())
    }

    /// Who waits under `handle`, without counting a try.
    pub fn who(&self, handle: &str) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(handle)
            .filter(|e| e.since.elapsed() < PENDING_FOR && e.tries < TRIES)
            .map(|e| e.username.clone())
    }

    /// The second step passed (or was abandoned).
    pub fn finish(&self, handle: &str) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_sign_in_allows_five_tries() {
        let pending = PendingSignIns::default();
        let handle = pending.hold("ann");
        assert_eq!(pending.who(&handle).as_deref(), Some("ann"));
        for _ in 0..TRIES {
            assert_eq!(pending.attempt(&handle).as_deref(), Some("ann"));
        }
        assert_eq!(pending.attempt(&handle), None);
        assert_eq!(pending.who("nope"), None);
    }
}
