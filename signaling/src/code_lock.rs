//! Wrong second-factor codes, per account. The code step is reached only
//! with the right password, so whoever is guessing already has it: after
//! [`TRIES`] wrong codes within [`WINDOW`] the account takes no code at
//! all for [`LOCK`], from any address. Without this, the address-keyed
//! back-off let someone with the password try about 1,400 codes a day
//! from fresh addresses (a 0.4 % daily chance against six digits); now it
//! is at most 5 codes per 15 minutes, 480 a day, and each lock is in the
//! audit log for the desk to see.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Wrong codes that lock the account's code step.
pub const TRIES: u32 = 5;
/// The span they are counted over.
pub const WINDOW: Duration = Duration::from_secs(3600);
/// How long the code step stays locked.
pub const LOCK: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
pub struct CodeLock {
    /// Per account: the first wrong code's time in the window and how
    /// many; only accounts whose password someone knew are ever here.
    misses: HashMap<String, (Instant, u32)>,
}

impl CodeLock {
    /// How long `user`'s code step stays locked, if it is.
    pub fn locked_for(&self, now: Instant, user: &str) -> Option<Duration> {
        let (since, misses) = self.misses.get(user)?;
        (*misses >= TRIES)
            .then(|| (*since + LOCK).saturating_duration_since(now))
            .filter(|left| !left.is_zero())
    }

    /// A wrong code for `user`; answers whether it locked the account now.
    pub fn missed(&mut self, now: Instant, user: &str) -> bool {
        let entry = self.misses.entry(user.to_owned()).or_insert((now, 0));
        // A window over, or a lock served (codes are checked first, so a
        // full count here is a lock that ended): counting starts again.
        if now.duration_since(entry.0) >= WINDOW || entry.1 >= TRIES {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 == TRIES {
            // The lock runs from the code that set it.
            entry.0 = now;
            return true;
        }
        false
    }

    /// The right code: the count starts again.
    pub fn passed(&mut self, user: &str) {
        self.misses.remove(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_codes_lock_the_code_step_for_a_while() {
        let start = Instant::now();
        let mut lock = CodeLock::default();
        for n in 1..TRIES {
            assert!(!lock.missed(start, "ann"), "{n}");
            assert_eq!(lock.locked_for(start, "ann"), None);
        }
        assert!(lock.missed(start, "ann"));
        assert_eq!(lock.locked_for(start, "ann"), Some(LOCK));
        assert_eq!(lock.locked_for(start, "bob"), None, "only that account");
        assert_eq!(lock.locked_for(start + LOCK, "ann"), None, "then it opens");
        // After the lock, five more wrong codes lock it again.
        let later = start + LOCK;
        for _ in 1..TRIES {
            assert!(!lock.missed(later, "ann"));
        }
        assert!(lock.missed(later, "ann"));
        assert_eq!(lock.locked_for(later, "ann"), Some(LOCK));
        lock.passed("ann");
        assert_eq!(lock.locked_for(later, "ann"), None);
    }
}
