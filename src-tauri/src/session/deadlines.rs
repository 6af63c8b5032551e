//! A session's timers as deadlines that its state owns: the restart
//! countdown, the PIN check's time limit, and the end after a lock. Nothing in the session's
//! logic sleeps; the engine's loop wakes at [`Deadlines::next`] and hands
//! back what is [`Deadlines::take_due`], so the timing is tested with made-up
//! instants, and a timer goes with the session that set it.

use std::time::Instant;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Client: the restart countdown ran out.
    Reboot,
    /// The PIN check did not finish in time.
    PinCheck,
    /// Client: the expert did not end the session after the end action
    /// it asked for; the client ends it.
    EndAfterAction,
}

const ALL: [Due; 3] = [Due::Reboot, Due::PinCheck, Due::EndAfterAction];

#[derive(Debug, Default)]
pub struct Deadlines {
    at: [Option<Instant>; ALL.len()],
}

impl Deadlines {
    fn slot(due: Due) -> usize {
        ALL.iter().position(|d| *d == due).unwrap_or_default()
    }

    /// Sets (or moves) the deadline for `due`.
    pub fn set(&mut self, due: Due, at: Instant) {
        self.at[Self::slot(due)] = Some(at);
    }

    /// Brings the deadline for `due` forward to `at`, or sets it there;
    /// one that comes sooner stays.
    pub fn set_by(&mut self, due: Due, at: Instant) {
        let slot = &mut self.at[Self::slot(due)];
        *slot = Some(slot.map_or(at, |set| set.min(at)));
    }

    /// Clears the deadline for `due`: whether one was set.
    pub fn clear(&mut self, due: Due) -> bool {
        self.at[Self::slot(due)].take().is_some()
    }

    pub fn is_set(&self, due: Due) -> bool {
        self.at[Self::slot(due)].is_some()
    }

    /// The earliest deadline, if any: when the engine must wake.
    pub fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// The deadlines passed at `now`, earliest first; each fires once.
    pub fn take_due(&mut self, now: Instant) -> Vec<Due> {
        let mut due: Vec<(Instant, Due)> = ALL
            .iter()
            .zip(self.at.iter_mut())
            .filter_map(|(which, at)| match at {
                Some(when) if *when <= now => at.take().map(|when| (when, *which)),
                _ => None,
            })
            .collect();
        due.sort_by_key(|(when, _)| *when);
        due.into_iter().map(|(_, which)| which).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_deadline_brought_forward_keeps_the_sooner_time() {
        let start = Instant::now();
        let mut deadlines = Deadlines::default();
        deadlines.set_by(Due::PinCheck, start + secs(20));
        assert_eq!(deadlines.next(), Some(start + secs(20)));
        deadlines.set_by(Due::PinCheck, start + secs(5));
        assert_eq!(deadlines.next(), Some(start + secs(5)));
        deadlines.set_by(Due::PinCheck, start + secs(9));
        assert_eq!(deadlines.next(), Some(start + secs(5)));
    }

    #[test]
    fn a_deadline_fires_once_when_its_time_comes() {
        let start = Instant::now();
        let mut deadlines = Deadlines::default();
        deadlines.set(Due::Reboot, start + secs(15));
        assert_eq!(deadlines.next(), Some(start + secs(15)));
        assert!(deadlines.take_due(start + secs(14)).is_empty());
        assert_eq!(deadlines.take_due(start + secs(15)), [Due::Reboot]);
        assert!(deadlines.take_due(start + secs(60)).is_empty(), "once");
        assert_eq!(deadlines.next(), None);
    }

    #[test]
    fn a_cancelled_countdown_never_fires() {
        let start = Instant::now();
        let mut deadlines = Deadlines::default();
        deadlines.set(Due::Reboot, start + secs(15));
        assert!(deadlines.clear(Due::Reboot));
        assert!(!deadlines.clear(Due::Reboot), "nothing left to cancel");
        assert!(deadlines.take_due(start + secs(3600)).is_empty());
        assert_eq!(deadlines.next(), None, "nothing to wake for");
    }

    #[test]
    fn the_engine_wakes_for_the_earliest_and_gets_them_in_order() {
        let start = Instant::now();
        let mut deadlines = Deadlines::default();
        deadlines.set(Due::Reboot, start + secs(15));
        deadlines.set(Due::PinCheck, start + secs(10));
        assert_eq!(deadlines.next(), Some(start + secs(10)));
        assert_eq!(
            deadlines.take_due(start + secs(20)),
            [Due::PinCheck, Due::Reboot]
        );
    }

    #[test]
    fn setting_again_moves_the_deadline() {
        let start = Instant::now();
        let mut deadlines = Deadlines::default();
        deadlines.set(Due::PinCheck, start + secs(10));
        deadlines.set(Due::PinCheck, start + secs(30));
        assert!(deadlines.take_due(start + secs(20)).is_empty());
        assert!(deadlines.is_set(Due::PinCheck));
    }
}
