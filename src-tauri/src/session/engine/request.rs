//! Expert: the request on its way to the desk. The desk says which session
//! a request became (`located`) or why it could not be made (an error), in
//! the order the requests were sent; until then the expert can already
//! withdraw it, and the withdrawal goes out as soon as the session is
//! known.

use std::time::{Duration, Instant};

/// A desk that has not answered by then lost the request with its
/// connection; a new request may go.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub(super) struct RequestInFlight {
    sent: Option<Sent>,
}

#[derive(Debug)]
struct Sent {
    at: Instant,
    withdrawn: bool,
}

/// What to do with a request the desk has just located.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Located {
    /// Wait for the client's answer.
    Wait,
    /// The expert withdrew it meanwhile: cancel it at the desk.
    Withdraw,
}

impl RequestInFlight {
    /// A request may go unless one is still waiting for the desk.
    pub(super) fn send(&mut self, now: Instant) -> bool {
        if self
            .sent
            .as_ref()
            .is_some_and(|s| now - s.at < ANSWER_WITHIN)
        {
            return false;
        }
        self.sent = Some(Sent {
            at: now,
            withdrawn: false,
        });
        true
    }

    /// The expert withdraws the request: true when there was one.
    pub(super) fn withdraw(&mut self) -> bool {
        match &mut self.sent {
            Some(sent) if !sent.withdrawn => {
                sent.withdrawn = true;
                true
            }
            _ => false,
        }
    }

    pub(super) fn located(&mut self) -> Located {
        match self.sent.take() {
            Some(Sent {
                withdrawn: true, ..
            }) => Located::Withdraw,
            _ => Located::Wait,
        }
    }

    /// The desk refused the request: true when the expert had already
    /// withdrawn it, so the refusal is no news.
    pub(super) fn refused(&mut self) -> bool {
        self.sent.take().is_some_and(|s| s.withdrawn)
    }

    /// The desk could not be reached: nothing is in flight.
    pub(super) fn lost(&mut self) {
        self.sent = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_withdrawn_before_it_is_located_is_cancelled_then() {
        let mut request = RequestInFlight::default();
        let now = Instant::now();
        assert!(request.send(now));
        assert!(request.withdraw());
        assert!(!request.withdraw(), "withdrawn once");
        assert_eq!(request.located(), Located::Withdraw);
        assert_eq!(request.located(), Located::Wait, "only that one");
    }

    #[test]
    fn one_request_at_a_time_until_the_desk_answers_or_is_lost() {
        let mut request = RequestInFlight::default();
        let now = Instant::now();
        assert!(request.send(now));
        assert!(!request.send(now), "a double click sends one request");
        assert!(
            request.send(now + ANSWER_WITHIN),
            "an unanswered one is lost"
        );
        assert_eq!(request.located(), Located::Wait);
        assert!(request.send(now));
        request.lost();
        assert!(request.send(now));
    }

    #[test]
    fn a_refusal_of_a_withdrawn_request_is_no_news() {
        let mut request = RequestInFlight::default();
        let now = Instant::now();
        request.send(now);
        assert!(!request.refused());
        request.send(now);
        request.withdraw();
        assert!(request.refused());
        assert!(!request.withdraw(), "nothing left to withdraw");
    }
}
