//! The gate every expert's connect attempt passes, owned by the hub.
//!
//! "May this attempt go ahead?" and "count its outcome" happen in one step
//! of the hub's task, with nothing in between: twenty simultaneous guesses
//! on twenty connections of one account reach the hub one after another,
//! and each sees the misses of the ones before it. (When the check ran in
//! the connection and the count after the hub's answer, all twenty passed
//! a check that allowed four.)
//!
//! It keeps four things, all pure, with `now` passed in:
//! - a back-off per expert account and one per IP address ([`Backoff`]):
//!   a few free misses, then doubling waits up to an hour;
//! - a desk-wide budget of misses per hour. Once it is spent, only an
//!   account *and* an address with no miss on record may try, so each
//!   further miss needs a fresh account and a fresh address;
//! - a token bucket per client ID, so no ID can be sent a stream of
//!   consent dialogs (one ID was sent 59 in one minute).
//!
//! A miss is any attempt that did not reach a client able to answer it:
//! unknown, used, superseded, expired, offline, or busy with another
//! request. See `docs/security.md` for the arithmetic these bounds give.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::backoff::{Backoff, BackoffPolicy};
use crate::ids::ClientId;

/// The desk-wide budget is counted over this window.
const BUDGET_WINDOW: Duration = Duration::from_secs(3600);
/// Forget full per-ID buckets once this many IDs are tracked.
const PRUNE_BUCKETS_AT: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateConfig {
    /// Back-off after misses, per account and per IP address.
    pub misses: BackoffPolicy,
    /// Misses the whole desk absorbs in an hour before only clean
    /// accounts and addresses may try.
    pub desk_misses_per_hour: u32,
    /// Connect requests one client ID may receive at once...
    pub requests_per_id: u32,
    /// ...and how often one more is allowed after that.
    pub request_refill: Duration,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            misses: BackoffPolicy {
                free_failures: 3,
                first_wait: Duration::from_secs(5),
                max_wait: Duration::from_secs(3600),
                forget_after: Duration::from_secs(24 * 3600),
            },
            desk_misses_per_hour: 30,
            requests_per_id: 3,
            request_refill: Duration::from_secs(20),
        }
    }
}

/// Why an attempt may not go ahead now; each says how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The account or the address is backing off after misses.
    BackingOff(Duration),
    /// The desk's budget of misses is spent and this account or address
    /// has missed before.
    DeskBudget(Duration),
    /// This client ID was sent too many requests lately.
    TooManyRequests(Duration),
}

impl Closed {
    pub fn wait(self) -> Duration {
        match self {
            Closed::BackingOff(wait) | Closed::DeskBudget(wait) | Closed::TooManyRequests(wait) => {
                wait
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u32,
    /// When the last token was taken or refilled.
    since: Instant,
}

#[derive(Debug)]
pub struct ConnectGate {
    config: GateConfig,
    accounts: Backoff<String>,
    ips: Backoff<IpAddr>,
    /// When each of the last misses happened, oldest first; never longer
    /// than the budget.
    desk_misses: VecDeque<Instant>,
    requests: HashMap<ClientId, Bucket>,
}

impl ConnectGate {
    pub fn new(config: GateConfig) -> Self {
        Self {
            config,
            accounts: Backoff::new(config.misses),
            ips: Backoff::new(config.misses),
            desk_misses: VecDeque::new(),
            requests: HashMap::new(),
        }
    }

    /// May `account` at `ip` look an ID up now?
    pub fn admit(&mut self, now: Instant, account: &str, ip: IpAddr) -> Result<(), Closed> {
        let account = account.to_owned();
        self.accounts
            .check(now, &account)
            .and_then(|()| self.ips.check(now, &ip))
            .map_err(Closed::BackingOff)?;
        if let Some(wait) = self.budget_wait(now)
            && !(self.accounts.is_clean(now, &account) && self.ips.is_clean(now, &ip))
        {
            return Err(Closed::DeskBudget(wait));
        }
        Ok(())
    }

    /// The attempt reached no client that could answer: count it.
    pub fn missed(&mut self, now: Instant, account: &str, ip: IpAddr) {
        self.accounts.fail(now, account.to_owned());
        self.ips.fail(now, ip);
        self.forget_old_misses(now);
        self.desk_misses.push_back(now);
        let budget = self.budget();
        while self.desk_misses.len() > budget {
            self.desk_misses.pop_front();
        }
    }

    /// May `id`'s client be shown one more request? Takes a token if so.
    pub fn request(&mut self, now: Instant, id: ClientId) -> Result<(), Closed> {
        let GateConfig {
            requests_per_id: capacity,
            request_refill: refill,
            ..
        } = self.config;
        if self.requests.len() >= PRUNE_BUCKETS_AT {
            self.requests.retain(|_, bucket| {
                Self::refilled(*bucket, now, capacity, refill).tokens < capacity
            });
        }
        let fresh = Bucket {
            tokens: capacity,
            since: now,
        };
        let bucket = self.requests.entry(id).or_insert(fresh);
        *bucket = Self::refilled(*bucket, now, capacity, refill);
        if bucket.tokens == 0 {
            let next = bucket.since + refill;
            return Err(Closed::TooManyRequests(next.saturating_duration_since(now)));
        }
        if bucket.tokens == capacity {
            // A full bucket's refill clock starts with this token.
            bucket.since = now;
        }
        bucket.tokens -= 1;
        Ok(())
    }

    fn refilled(bucket: Bucket, now: Instant, capacity: u32, refill: Duration) -> Bucket {
        if bucket.tokens >= capacity || refill.is_zero() {
            return Bucket {
                tokens: capacity,
                ..bucket
            };
        }
        let elapsed = now.saturating_duration_since(bucket.since);
        let periods = elapsed.as_nanos() / refill.as_nanos();
        let periods = u32::try_from(periods).unwrap_or(u32::MAX);
        if periods == 0 {
            return bucket;
        }
        Bucket {
            tokens: bucket.tokens.saturating_add(periods).min(capacity),
            since: bucket.since + refill.saturating_mul(periods.min(capacity)),
        }
    }

    fn budget(&self) -> usize {
        usize::try_from(self.config.desk_misses_per_hour).unwrap_or(usize::MAX)
    }

    fn forget_old_misses(&mut self, now: Instant) {
        while self
            .desk_misses
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= BUDGET_WINDOW)
        {
            self.desk_misses.pop_front();
        }
    }

    /// `Some(wait)` while the desk's budget of misses is spent: until the
    /// oldest miss in the window leaves it.
    fn budget_wait(&mut self, now: Instant) -> Option<Duration> {
        self.forget_old_misses(now);
        if self.desk_misses.len() < self.budget() {
            return None;
        }
        let oldest = *self.desk_misses.front()?;
        Some((oldest + BUDGET_WINDOW).saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn gate(desk_misses_per_hour: u32) -> ConnectGate {
        ConnectGate::new(GateConfig {
            desk_misses_per_hour,
            ..GateConfig::default()
        })
    }

    /// Admit-then-count in one step: the fifth miss in a row is refused,
    /// however the attempts were spread over connections.
    #[test]
    fn an_account_gets_its_free_misses_then_waits() {
        let mut gate = gate(1000);
        let t0 = Instant::now();
        for n in 0..4 {
            assert!(gate.admit(t0, "ann", ip(n)).is_ok(), "attempt {n}");
            gate.missed(t0, "ann", ip(n));
        }
        assert_eq!(
            gate.admit(t0, "ann", ip(9)),
            Err(Closed::BackingOff(Duration::from_secs(5)))
        );
        assert!(gate.admit(t0, "bob", ip(9)).is_ok(), "others are untouched");
    }

    #[test]
    fn an_address_backs_off_across_accounts() {
        let mut gate = gate(1000);
        let t0 = Instant::now();
        for n in 0..4 {
            assert!(gate.admit(t0, &format!("user{n}"), ip(1)).is_ok());
            gate.missed(t0, &format!("user{n}"), ip(1));
        }
        assert!(matches!(
            gate.admit(t0, "fresh", ip(1)),
            Err(Closed::BackingOff(_))
        ));
    }

    #[test]
    fn a_spent_desk_budget_admits_only_clean_accounts_and_addresses() {
        let mut gate = gate(3);
        let t0 = Instant::now();
        for n in 0..3 {
            gate.missed(t0, &format!("user{n}"), ip(n));
        }
        let wait = Duration::from_secs(3600);
        assert_eq!(
            gate.admit(t0, "user0", ip(50)),
            Err(Closed::DeskBudget(wait))
        );
        assert_eq!(gate.admit(t0, "new", ip(0)), Err(Closed::DeskBudget(wait)));
        assert!(
            gate.admit(t0, "new", ip(50)).is_ok(),
            "a clean pair may try"
        );
        gate.missed(t0, "new", ip(50));
        assert!(gate.admit(t0, "new", ip(51)).is_err(), "and only once");
        // The budget refills as the oldest misses leave the hour.
        let later = t0 + BUDGET_WINDOW;
        assert!(gate.admit(later, "user0", ip(50)).is_ok());
    }

    #[test]
    fn a_client_id_takes_a_few_requests_then_one_per_refill() {
        let mut gate = gate(30);
        let t0 = Instant::now();
        let id = ClientId::new(123_456).unwrap();
        for _ in 0..3 {
            assert!(gate.request(t0, id).is_ok());
        }
        assert_eq!(
            gate.request(t0 + Duration::from_secs(5), id),
            Err(Closed::TooManyRequests(Duration::from_secs(15)))
        );
        assert!(gate.request(t0, ClientId::new(1).unwrap()).is_ok());
        assert!(gate.request(t0 + Duration::from_secs(20), id).is_ok());
        assert!(gate.request(t0 + Duration::from_secs(21), id).is_err());
        // A long pause fills the bucket, never beyond its size.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(gate.request(later, id).is_ok());
        }
        assert!(gate.request(later, id).is_err());
    }

    /// The bound in docs/security.md: with the desk's budget spent, each
    /// further miss in a day needs an account and an address that have
    /// not missed, so misses per day stay at 24 × budget + fresh pairs.
    #[test]
    fn misses_per_day_are_bounded_by_the_budget_and_fresh_pairs() {
        let budget = 30;
        let mut gate = gate(budget);
        let start = Instant::now();
        let accounts: u8 = 50;
        let mut misses = 0u32;
        let mut now = start;
        let mut minute: u8 = 0;
        while now < start + Duration::from_secs(24 * 3600) {
            // Every account tries every minute, each time from a new address.
            minute = minute.wrapping_add(1);
            for a in 0..accounts {
                let address = IpAddr::from([10, a, minute, 1]);
                let account = format!("insider{a}");
                if gate.admit(now, &account, address).is_ok() {
                    gate.missed(now, &account, address);
                    misses += 1;
                }
            }
            now += Duration::from_secs(60);
        }
        let bound = 24 * budget + u32::from(accounts);
        assert!(misses <= bound, "{misses} misses in a day, bound {bound}");
        assert!(misses >= 24 * budget / 2, "the budget is usable: {misses}");
    }
}
