//! The connect gate's miss limits, shared by every node through Redis.
//!
//! On one node, [`ConnectGate`](crate::connect_gate::ConnectGate) checks an
//! attempt and counts its miss in one step of the hub. A cluster keeps the
//! same arithmetic in Redis, where each step is one Lua script and so
//! atomic across nodes. [`SharedGate::admit`], in one step:
//! - checks the account's and the address's back-off and the desk's
//!   budget;
//! - looks the ID up: unknown, ended or expired is a miss, **counted in
//!   the same step**, so twenty simultaneous guesses spread over nodes get
//!   no more through than one connection would (each sees the misses of
//!   those before it);
//! - a live ID is let through, uncounted, with its home node.
//!
//! A live ID can still miss at its home (the client is offline, or busy
//! with another request): [`SharedGate::missed`] counts it then. Only an
//! attempt that found a real ID gets that far.

use std::net::IpAddr;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use super::keys::Keys;
use crate::connect_gate::{Closed, GateConfig};
use crate::ids::{ClientId, LookupError};

/// The budget's window, as on one node.
const WINDOW_MS: u64 = 3_600_000;

/// Counts a miss: the account's and the address's streaks, and the
/// desk's budget. KEYS: account, address, desk. ARGV: now, forget,
/// budget, window, the attempt's name.
const CHARGE: &str = r"
local function charge(now, forget, budget, window, member)
  for i = 1, 2 do
    local v = redis.call('HMGET', KEYS[i], 'f', 'l')
    local f = tonumber(v[1] or '0') or 0
    local l = tonumber(v[2] or '0') or 0
    if f > 0 and tonumber(now) - l >= forget then f = 0 end
    redis.call('HSET', KEYS[i], 'f', f + 1, 'l', now)
    redis.call('PEXPIRE', KEYS[i], forget)
  end
  redis.call('ZADD', KEYS[3], now, member)
  local n = redis.call('ZCARD', KEYS[3])
  if n > budget then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, n - budget - 1) end
  redis.call('PEXPIRE', KEYS[3], window)
end
";

/// KEYS: account, address, desk, the ID's record. ARGV: now, free, first
/// wait, longest wait, forget, budget, window, the attempt's name.
/// Returns {0, 0, home node}, {1, wait} (backing off), {2, wait} (the
/// desk's budget), or {3, 0, how} (a miss, counted).
const ADMIT: &str = r"
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local first = tonumber(ARGV[3])
local most = tonumber(ARGV[4])
local forget = tonumber(ARGV[5])
local budget = tonumber(ARGV[6])
local window = tonumber(ARGV[7])
local function streak(key)
  local v = redis.call('HMGET', key, 'f', 'l')
  local f = tonumber(v[1] or '0') or 0
  local l = tonumber(v[2] or '0') or 0
  if f > 0 and now - l >= forget then return 0, 0 end
  return f, l
end
local function left(f, l)
  local beyond = f - (free + 1)
  if beyond < 0 then return 0 end
  local wait = first * (2 ^ math.min(beyond, 31))
  if wait > most then wait = most end
  return math.max(l + wait - now, 0)
end
local fa, la = streak(KEYS[1])
local fi, li = streak(KEYS[2])
local wait = math.max(left(fa, la), left(fi, li))
if wait > 0 then return {1, math.ceil(wait), ''} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
if budget > 0 and redis.call('ZCARD', KEYS[3]) >= budget and (fa > 0 or fi > 0) then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {2, math.ceil(tonumber(oldest[2]) + window - now), ''}
end
local id = redis.call('HMGET', KEYS[4], 'node', 'state', 'expires')
local how = false
if not id[1] then how = 'unknown'
elseif id[2] ~= 'live' then how = id[2]
elseif tonumber(id[3]) <= now then how = 'expired' end
if how then
  charge(ARGV[1], forget, budget, window, ARGV[8])
  return {3, 0, how}
end
return {0, 0, id[1]}";

/// What the gate says of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The ID is live: ask its home node.
    Go {
        home: String,
    },
    /// A miss, already counted.
    Missed(LookupError),
    Closed(Closed),
}

#[derive(Debug)]
pub struct SharedGate {
    keys: Keys,
    config: GateConfig,
    admit: Script,
    charge: Script,
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl SharedGate {
    pub fn new(keys: Keys, config: GateConfig) -> Self {
        Self {
            keys,
            config,
            admit: Script::new(&format!("{CHARGE}{ADMIT}")),
            charge: Script::new(&format!(
                "{CHARGE}charge(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5])\nreturn 1"
            )),
        }
    }

    /// May `account` at `ip` look `id` up now, and where is it? A miss
    /// found here is counted in the same step. `attempt` names the
    /// attempt uniquely.
    pub async fn admit(
        &self,
        redis: &mut ConnectionManager,
        (account, ip): (&str, IpAddr),
        id: ClientId,
        (now_ms, attempt): (i64, &str),
    ) -> Result<Admission, redis::RedisError> {
        let misses = self.config.misses;
        let (verdict, wait, what): (i64, i64, String) = self
            .admit
            .key(self.keys.account_misses(account))
            .key(self.keys.address_misses(ip))
            .key(self.keys.desk_misses())
            .key(self.keys.id(id))
            .arg(now_ms)
            .arg(misses.free_failures)
            .arg(ms(misses.first_wait))
            .arg(ms(misses.max_wait))
            .arg(ms(misses.forget_after).max(1))
            .arg(self.config.desk_misses_per_hour)
            .arg(WINDOW_MS)
            .arg(attempt)
            .invoke_async(redis)
            .await?;
        let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
        Ok(match verdict {
            0 => Admission::Go { home: what },
            1 => Admission::Closed(Closed::BackingOff(wait)),
            2 => Admission::Closed(Closed::DeskBudget(wait)),
            _ => Admission::Missed(match what.as_str() {
                "unknown" => LookupError::Unknown,
                "used" => LookupError::Used,
                "expired" => LookupError::Expired,
                _ => LookupError::Superseded,
            }),
        })
    }

    /// A live ID missed at its home (offline, busy): count it now.
    pub async fn missed(
        &self,
        redis: &mut ConnectionManager,
        (account, ip): (&str, IpAddr),
        (now_ms, attempt): (i64, &str),
    ) -> Result<(), redis::RedisError> {
        let _: i64 = self
            .charge
            .key(self.keys.account_misses(account))
            .key(self.keys.address_misses(ip))
            .key(self.keys.desk_misses())
            .arg(now_ms)
            .arg(ms(self.config.misses.forget_after).max(1))
            .arg(self.config.desk_misses_per_hour)
            .arg(WINDOW_MS)
            .arg(attempt)
            .invoke_async(redis)
            .await?;
        Ok(())
    }
}
