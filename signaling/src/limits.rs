//! Abuse limits at the connection's door, one owner for all of them: rate
//! limits per IP and per account (governor), growing back-off after wrong
//! passwords ([`Backoff`]), and a cap on open connections per IP.
//!
//! Sign-in failures are keyed so that nobody can lock another person out:
//! - per account *and* address: the usual back-off (a few free misses,
//!   then doubling waits), forgotten on a successful sign-in there;
//! - per address: the same shape with more free misses, so an office
//!   behind one NAT does not back off because one colleague mistyped;
//! - per account, only for addresses that have never signed in to it: a
//!   slow-down capped at a minute, never a lock-out, against guessing one
//!   account's password from many addresses. The account's own people,
//!   at addresses it has used, never wait for a stranger's misses.
//!
//! Token resumes are limited per address only: a token is 256 random bits,
//! and one address's bad tokens never touch another's.
//!
//! Connect attempts are rate limited here; their back-off after misses
//! lives in the hub ([`crate::connect_gate`]), where "may it try" and
//! "count the miss" are one step.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};

use crate::code_lock::CodeLock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::backoff::{Backoff, BackoffPolicy};
use crate::connect_gate::GateConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsConfig {
    pub logins_per_minute: u32,
    pub connects_per_minute: u32,
    /// `request_id` messages per IP address per minute.
    pub id_requests_per_minute: u32,
    pub max_connections_per_ip: u32,
    /// Back-off after misses: wrong passwords per account and address, and
    /// wrong IDs per account and per address.
    pub failures: BackoffPolicy,
    /// Wrong IDs the whole desk absorbs in an hour before only accounts
    /// and addresses with no miss on record may try.
    pub desk_misses_per_hour: u32,
    /// Connect requests one client ID may receive at once, and how often
    /// one more is allowed after that.
    pub requests_per_id: u32,
    pub request_refill: Duration,
    /// The most client IDs, live or held back for the hour, at once.
    pub max_ids: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let gate = GateConfig::default();
        Self {
            logins_per_minute: 10,
            connects_per_minute: 30,
            id_requests_per_minute: 30,
            max_connections_per_ip: 64,
            failures: gate.misses,
            desk_misses_per_hour: gate.desk_misses_per_hour,
            requests_per_id: gate.requests_per_id,
            request_refill: gate.request_refill,
            max_ids: crate::ids::DEFAULT_MAX_IDS,
        }
    }
}

impl LimitsConfig {
    /// The hub's share: what its connect gate enforces.
    pub fn gate(&self) -> GateConfig {
        GateConfig {
            misses: self.failures,
            desk_misses_per_hour: self.desk_misses_per_hour,
            requests_per_id: self.requests_per_id,
            request_refill: self.request_refill,
        }
    }
}

/// Free wrong passwords per address, across accounts.
const IP_FREE_FAILURES: u32 = 20;
/// Free wrong passwords per account from addresses it has never used.
const ACCOUNT_FREE_FAILURES: u32 = 10;
/// The longest an account's slow-down makes a new address wait.
const ACCOUNT_MAX_WAIT: Duration = Duration::from_secs(60);
/// Addresses remembered per account as ones it signed in from.
const KNOWN_PER_ACCOUNT: usize = 16;

/// Who a rate limit applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Account(String),
    AccountAt(String, IpAddr),
}

/// A refusal: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up, never zero.
    pub fn secs(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0).max(u64::from(self.0.is_zero()))
    }
}

fn rate(per_minute: u32) -> DefaultKeyedRateLimiter<Key> {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(Quota::per_minute(per_minute))
}

fn check_rates(rate: &DefaultKeyedRateLimiter<Key>, keys: &[Key]) -> Result<(), RetryAfter> {
    for key in keys {
        if let Err(not_until) = rate.check_key(key) {
            return Err(RetryAfter(
                not_until.wait_time_from(DefaultClock::default().now()),
            ));
        }
    }
    Ok(())
}

/// Wrong passwords, keyed three ways (see the module's docs). Pure: every
/// call takes `now`.
#[derive(Debug)]
struct LoginFailures {
    pair: Backoff<(String, IpAddr)>,
    ip: Backoff<IpAddr>,
    account: Backoff<String>,
    /// Where each account has signed in from lately, newest last.
    known: HashMap<String, Vec<IpAddr>>,
}

impl LoginFailures {
    fn new(policy: BackoffPolicy) -> Self {
        Self {
            pair: Backoff::new(policy),
            ip: Backoff::new(BackoffPolicy {
                free_failures: IP_FREE_FAILURES,
                ..policy
            }),
            account: Backoff::new(BackoffPolicy {
                free_failures: ACCOUNT_FREE_FAILURES,
                max_wait: ACCOUNT_MAX_WAIT.min(policy.max_wait),
                ..policy
            }),
            known: HashMap::new(),
        }
    }

    fn is_known(&self, user: &str, ip: IpAddr) -> bool {
        self.known.get(user).is_some_and(|ips| ips.contains(&ip))
    }

    fn check(&self, now: Instant, user: &str, ip: IpAddr) -> Result<(), Duration> {
        self.pair.check(now, &(user.to_owned(), ip))?;
        self.ip.check(now, &ip)?;
        if !self.is_known(user, ip) {
            self.account.check(now, &user.to_owned())?;
        }
        Ok(())
    }

    fn failed(&mut self, now: Instant, user: &str, ip: IpAddr) {
        self.pair.fail(now, (user.to_owned(), ip));
        self.ip.fail(now, ip);
        if !self.is_known(user, ip) {
            self.account.fail(now, user.to_owned());
        }
    }

    fn succeeded(&mut self, user: &str, ip: IpAddr) {
        self.pair.reset(&(user.to_owned(), ip));
        let known = self.known.entry(user.to_owned()).or_default();
        known.retain(|seen| *seen != ip);
        if known.len() >= KNOWN_PER_ACCOUNT {
            known.remove(0);
        }
        known.push(ip);
    }
}

#[derive(Debug)]
pub struct Limits {
    config: LimitsConfig,
    logins: DefaultKeyedRateLimiter<Key>,
    login_failures: Mutex<LoginFailures>,
    codes: Mutex<CodeLock>,
    resumes: DefaultKeyedRateLimiter<Key>,
    resume_failures: Mutex<Backoff<IpAddr>>,
    connects: DefaultKeyedRateLimiter<Key>,
    id_requests: DefaultKeyedRateLimiter<Key>,
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl Limits {
    pub fn new(config: LimitsConfig) -> Self {
        Self {
            config,
            logins: rate(config.logins_per_minute),
            login_failures: Mutex::new(LoginFailures::new(config.failures)),
            codes: Mutex::default(),
            resumes: rate(config.logins_per_minute),
            resume_failures: Mutex::new(Backoff::new(config.failures)),
            connects: rate(config.connects_per_minute),
            id_requests: rate(config.id_requests_per_minute),
            open: Arc::default(),
        }
    }

    /// May `ip` try to sign in as `user` now?
    pub fn check_login(&self, ip: IpAddr, user: &str) -> Result<(), RetryAfter> {
        self.check_login_at(Instant::now(), ip, user)
    }

    fn check_login_at(&self, now: Instant, ip: IpAddr, user: &str) -> Result<(), RetryAfter> {
        // The lock is held only for the call; nothing awaits under it.
        let failures = self
            .login_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        failures.check(now, user, ip).map_err(RetryAfter)?;
        drop(failures);
        check_rates(
            &self.logins,
            &[Key::Ip(ip), Key::AccountAt(user.to_owned(), ip)],
        )
    }

    pub fn login_failed(&self, ip: IpAddr, user: &str) {
        self.login_failed_at(Instant::now(), ip, user);
    }

    fn login_failed_at(&self, now: Instant, ip: IpAddr, user: &str) {
        self.login_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failed(now, user, ip);
    }

    /// `user` signed in from `ip`: that pair's streak is forgotten, and
    /// the address is one the account uses.
    pub fn login_succeeded(&self, ip: IpAddr, user: &str) {
        self.login_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .succeeded(user, ip);
    }

    /// May `user`'s second factor be tried now? (See [`CodeLock`].)
    pub fn check_code(&self, user: &str) -> Result<(), RetryAfter> {
        let codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        match codes.locked_for(Instant::now(), user) {
            Some(left) => Err(RetryAfter(left)),
            None => Ok(()),
        }
    }

    /// A wrong code for `user`; answers whether it locked the code step.
    pub fn code_failed(&self, user: &str) -> bool {
        self.codes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .missed(Instant::now(), user)
    }

    pub fn code_succeeded(&self, user: &str) {
        self.codes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .passed(user);
    }

    /// May `ip` try a sign-in token now?
    pub fn check_resume(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        self.resume_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(Instant::now(), &ip)
            .map_err(RetryAfter)?;
        check_rates(&self.resumes, &[Key::Ip(ip)])
    }

    /// Is `ip` backing off after wrong tokens? The console's check on each
    /// page: a browser presents its cookie on every request, so only
    /// failures are limited, not the pace.
    pub fn check_resume_failures(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        self.resume_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(Instant::now(), &ip)
            .map_err(RetryAfter)
    }

    pub fn resume_failed(&self, ip: IpAddr) {
        self.resume_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .fail(Instant::now(), ip);
    }

    /// May expert `account` at `ip` send a connect now? (Misses are
    /// counted by the hub.)
    pub fn check_connect(&self, ip: IpAddr, account: &str) -> Result<(), RetryAfter> {
        check_rates(
            &self.connects,
            &[Key::Ip(ip), Key::Account(account.to_owned())],
        )
    }

    /// May `ip` ask for one more client ID now?
    pub fn check_id_request(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        check_rates(&self.id_requests, &[Key::Ip(ip)])
    }

    /// Admits one more connection from `ip`, or `None` at the cap. The
    /// guard gives the slot back when dropped.
    pub fn admit(&self, ip: IpAddr) -> Option<ConnectionSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= self.config.max_connections_per_ip {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            ip,
            open: Arc::clone(&self.open),
        })
    }
}

/// One open connection counted against its IP.
#[derive(Debug)]
pub struct ConnectionSlot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_cap_counts_and_releases() {
        let limits = Limits::new(LimitsConfig {
            max_connections_per_ip: 2,
            ..LimitsConfig::default()
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = limits.admit(ip).unwrap();
        let _b = limits.admit(ip).unwrap();
        assert!(limits.admit(ip).is_none());
        assert!(limits.admit("10.0.0.2".parse().unwrap()).is_some());
        drop(a);
        assert!(limits.admit(ip).is_some());
    }

    #[test]
    fn the_login_rate_is_per_address() {
        let limits = Limits::new(LimitsConfig {
            logins_per_minute: 2,
            ..LimitsConfig::default()
        });
        let ip = IpAddr::from([10, 0, 0, 1]);
        for user in ["ann", "bob"] {
            assert!(limits.check_login(ip, user).is_ok());
        }
        assert!(limits.check_login(ip, "cid").unwrap_err().secs() >= 1);
        let elsewhere = IpAddr::from([10, 0, 0, 2]);
        assert!(limits.check_login(elsewhere, "ann").is_ok());
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    /// Seven wrong passwords from a stranger's address used to lock the
    /// account's right password out from everywhere.
    #[test]
    fn a_strangers_misses_never_lock_the_account_out_where_it_signs_in() {
        let limits = Limits::new(LimitsConfig::default());
        let t0 = Instant::now();
        limits.login_succeeded(ip(1), "ann");
        for _ in 0..7 {
            limits.login_failed_at(t0, ip(66), "ann");
        }
        assert!(limits.check_login_at(t0, ip(66), "ann").is_err());
        assert!(limits.check_login_at(t0, ip(1), "ann").is_ok());
        assert!(
            limits.check_login_at(t0, ip(2), "ann").is_ok(),
            "fewer misses than the account's free ones"
        );
    }

    #[test]
    fn many_addresses_guessing_one_account_are_slowed_not_locked_out() {
        let limits = Limits::new(LimitsConfig::default());
        let t0 = Instant::now();
        limits.login_succeeded(ip(1), "ann");
        for n in 0..40 {
            limits.login_failed_at(t0, ip(100 + n), "ann");
        }
        let wait = limits.check_login_at(t0, ip(2), "ann").unwrap_err();
        assert!(wait.0 <= ACCOUNT_MAX_WAIT, "a slow-down: {wait:?}");
        assert!(
            limits
                .check_login_at(t0 + ACCOUNT_MAX_WAIT, ip(2), "ann")
                .is_ok()
        );
        assert!(
            limits.check_login_at(t0, ip(1), "ann").is_ok(),
            "the account's own address never waits"
        );
    }

    #[test]
    fn colleagues_behind_one_address_do_not_back_each_other_off() {
        let limits = Limits::new(LimitsConfig::default());
        let t0 = Instant::now();
        let office = ip(7);
        for _ in 0..5 {
            limits.login_failed_at(t0, office, "bob");
        }
        assert!(limits.check_login_at(t0, office, "bob").is_err());
        assert!(limits.check_login_at(t0, office, "ann").is_ok());
    }

    #[test]
    fn a_success_forgets_the_pairs_streak() {
        let limits = Limits::new(LimitsConfig::default());
        let t0 = Instant::now();
        for _ in 0..3 {
            limits.login_failed_at(t0, ip(3), "ann");
        }
        limits.login_succeeded(ip(3), "ann");
        limits.login_failed_at(t0, ip(3), "ann");
        assert!(
            limits.check_login_at(t0, ip(3), "ann").is_ok(),
            "one miss after a success is free again"
        );
    }

    #[test]
    fn bad_tokens_back_off_only_their_own_address() {
        let limits = Limits::new(LimitsConfig::default());
        for _ in 0..10 {
            limits.resume_failed(ip(66));
        }
        assert!(limits.check_resume(ip(66)).is_err());
        assert!(limits.check_resume(ip(1)).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).secs(), 1);
        assert_eq!(RetryAfter(Duration::from_secs(5)).secs(), 5);
        assert_eq!(RetryAfter(Duration::ZERO).secs(), 1);
    }
}
