//! When the expert asks the client for a keyframe (a PLI). Asking is
//! spaced: a keyframe is large, and the client makes one per request. But
//! a wish for one is never dropped:
//! - one made too soon after the last request goes when the spacing allows;
//! - one whose keyframe has not come a while after its request is asked
//!   again, since that keyframe may have been lost.
//!
//! On a still screen no later packet arrives to ask again: without these,
//! a lost keyframe or a request that fell in the spacing left the picture
//! broken until the client's refresh, seconds later. Pure: the caller
//! passes the time and sends the request.

use std::time::{Duration, Instant};

/// The least time between two requests.
pub const SPACING: Duration = Duration::from_millis(250);
/// How long a request's keyframe may take before the request is repeated:
/// a round trip, the encode and the keyframe's own sending time.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct KeyframeAsk {
    /// Since when a keyframe is wanted, with none come since.
    wanted: Option<Instant>,
    /// The last request sent.
    last: Option<Instant>,
    /// The last request was for the wish still open, with nothing newer
    /// wished since: repeat it only when it went unanswered.
    asked: bool,
}

impl KeyframeAsk {
    /// A keyframe is wanted from `now`: data was lost, or the view needs
    /// one.
    pub fn want(&mut self, now: Instant) {
        self.wanted.get_or_insert(now);
        self.asked = false;
    }

    /// A keyframe arrived: nothing is wanted any more.
    pub fn got_keyframe(&mut self) {
        self.wanted = None;
    }

    /// When the next request is due, if one is wanted.
    pub fn due(&self) -> Option<Instant> {
        let since = self.wanted?;
        let wait = if self.asked { ANSWER_WITHIN } else { SPACING };
        Some(self.last.map_or(since, |at| (at + wait).max(since)))
    }

    /// Whether a request should go at `now`; if so it counts as sent.
    pub fn take(&mut self, now: Instant) -> bool {
        if self.due().is_none_or(|due| due > now) {
            return false;
        }
        self.last = Some(now);
        self.asked = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_wish_is_asked_at_once_then_spaced() {
        let start = Instant::now();
        let mut ask = KeyframeAsk::default();
        assert!(!ask.take(start), "nothing wanted");
        ask.want(start);
        assert!(ask.take(start));
        ask.want(start + ms(50));
        assert!(!ask.take(start + ms(100)), "too soon");
        assert_eq!(ask.due(), Some(start + SPACING));
        assert!(ask.take(start + SPACING), "the wish waited, not dropped");
    }

    #[test]
    fn an_unanswered_request_is_repeated_and_a_keyframe_ends_it() {
        let start = Instant::now();
        let mut ask = KeyframeAsk::default();
        ask.want(start);
        assert!(ask.take(start));
        assert!(
            !ask.take(start + SPACING),
            "no new wish: no new request yet"
        );
        assert!(
            ask.take(start + ANSWER_WITHIN),
            "repeated: the keyframe was lost"
        );
        ask.got_keyframe();
        assert_eq!(ask.due(), None);
        assert!(!ask.take(start + ANSWER_WITHIN * 3));
    }
}
