//! Abuse limits, one owner for all of them: rate limits per IP and per
//! account (governor), growing back-off after failures ([`Backoff`]), and a
//! cap on open connections per IP.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::backoff::{Backoff, BackoffPolicy};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsConfig {
    pub logins_per_minute: u32,
    pub connects_per_minute: u32,
    pub max_connections_per_ip: u32,
    pub failures: BackoffPolicy,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            logins_per_minute: 10,
            connects_per_minute: 30,
            max_connections_per_ip: 64,
            failures: BackoffPolicy {
                free_failures: 3,
                first_wait: Duration::from_secs(5),
                max_wait: Duration::from_secs(3600),
                forget_after: Duration::from_secs(24 * 3600),
            },
        }
    }
}

/// Who a limit applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Account(String),
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

/// One kind of attempt (logins, or connects): a rate per key and a
/// back-off per key.
#[derive(Debug)]
struct AttemptLimit {
    rate: DefaultKeyedRateLimiter<Key>,
    failures: Mutex<Backoff<Key>>,
}

impl AttemptLimit {
    fn new(per_minute: u32, policy: BackoffPolicy) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            rate: RateLimiter::keyed(Quota::per_minute(per_minute)),
            failures: Mutex::new(Backoff::new(policy)),
        }
    }

    fn check(&self, keys: &[Key]) -> Result<(), RetryAfter> {
        let now = Instant::now();
        {
            let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            for key in keys {
                failures.check(now, key).map_err(RetryAfter)?;
            }
        }
        for key in keys {
            if let Err(not_until) = self.rate.check_key(key) {
                return Err(RetryAfter(
                    not_until.wait_time_from(DefaultClock::default().now()),
                ));
            }
        }
        Ok(())
    }

    fn failed(&self, keys: Vec<Key>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        for key in keys {
            failures.fail(now, key);
        }
    }
}

#[derive(Debug)]
pub struct Limits {
    config: LimitsConfig,
    logins: AttemptLimit,
    connects: AttemptLimit,
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl Limits {
    pub fn new(config: LimitsConfig) -> Self {
        Self {
            config,
            logins: AttemptLimit::new(config.logins_per_minute, config.failures),
            connects: AttemptLimit::new(config.connects_per_minute, config.failures),
            open: Arc::default(),
        }
    }

    /// May `ip` try to sign in as `user` now?
    pub fn check_login(&self, ip: IpAddr, user: &str) -> Result<(), RetryAfter> {
        self.logins
            .check(&[Key::Ip(ip), Key::Account(user.to_owned())])
    }

    pub fn login_failed(&self, ip: IpAddr, user: &str) {
        self.logins
            .failed(vec![Key::Ip(ip), Key::Account(user.to_owned())]);
    }

    /// May expert `account` at `ip` try to connect to an ID now?
    pub fn check_connect(&self, ip: IpAddr, account: &str) -> Result<(), RetryAfter> {
        self.connects
            .check(&[Key::Ip(ip), Key::Account(account.to_owned())])
    }

    /// The ID did not lead to a live client: count it towards back-off.
    pub fn connect_failed(&self, ip: IpAddr, account: &str) {
        self.connects
            .failed(vec![Key::Ip(ip), Key::Account(account.to_owned())]);
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
    fn rate_limit_per_account_spans_addresses() {
        let limits = Limits::new(LimitsConfig {
            logins_per_minute: 2,
            ..LimitsConfig::default()
        });
        for i in 1..=2 {
            let ip = IpAddr::from([10, 0, 0, i]);
            assert!(limits.check_login(ip, "ann").is_ok());
        }
        let refused = limits.check_login("10.0.0.9".parse().unwrap(), "ann");
        assert!(refused.unwrap_err().secs() >= 1);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).secs(), 1);
        assert_eq!(RetryAfter(Duration::from_secs(5)).secs(), 5);
        assert_eq!(RetryAfter(Duration::ZERO).secs(), 1);
    }
}
