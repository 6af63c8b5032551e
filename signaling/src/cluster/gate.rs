//! The connect gate's miss limits, shared by every node through Redis.
//!
//! On one node, [`ConnectGate`](crate::connect_gate::ConnectGate) checks an
//! attempt and counts its miss in one step of the hub. A cluster keeps the
//! same arithmetic in Redis, where each step is one Lua script and so
//! atomic across nodes:
//! - [`SharedGate::admit`] checks the account's and the address's back-off
//!   and the desk's budget, and **charges the attempt as a miss** at once;
//! - [`SharedGate::refund`] takes the charge back when the attempt reached
//!   a client that could answer it.
//!
//! Charging first is what keeps twenty simultaneous guesses, spread over
//! nodes, from all passing a check that allows four: each one sees the
//! charges of those before it, as each sees the misses of those before
//! it on one node. A refunded attempt leaves the streak as it found it.

use std::net::IpAddr;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use super::keys::Keys;
use crate::connect_gate::{Closed, GateConfig};

/// The budget's window, as on one node.
const WINDOW_MS: u64 = 3_600_000;

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
if wait > 0 then return {1, math.ceil(wait), 0, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
if budget > 0 and redis.call('ZCARD', KEYS[3]) >= budget and (fa > 0 or fi > 0) then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {2, math.ceil(tonumber(oldest[2]) + window - now), 0, 0}
end
redis.call('HSET', KEYS[1], 'f', fa + 1, 'l', ARGV[1])
redis.call('PEXPIRE', KEYS[1], forget)
redis.call('HSET', KEYS[2], 'f', fi + 1, 'l', ARGV[1])
redis.call('PEXPIRE', KEYS[2], forget)
redis.call('ZADD', KEYS[3], now, ARGV[8])
local n = redis.call('ZCARD', KEYS[3])
if n > budget then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, n - budget - 1) end
redis.call('PEXPIRE', KEYS[3], window)
return {0, 0, la, li}";

const REFUND: &str = r"
local function refund(key, previous)
  local v = redis.call('HMGET', key, 'f', 'l')
  local f = tonumber(v[1] or '0') or 0
  if f <= 1 then
    redis.call('DEL', key)
    return
  end
  redis.call('HINCRBY', key, 'f', -1)
  if v[2] == ARGV[1] then redis.call('HSET', key, 'l', previous) end
end
refund(KEYS[1], ARGV[2])
refund(KEYS[2], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[4])
return 1";

/// An attempt charged as a miss, to be refunded if it was not one.
#[derive(Debug)]
pub struct Charge {
    account: String,
    ip: IpAddr,
    at_ms: i64,
    previous: (i64, i64),
    member: String,
}

#[derive(Debug)]
pub struct SharedGate {
    keys: Keys,
    config: GateConfig,
    admit: Script,
    refund: Script,
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl SharedGate {
    pub fn new(keys: Keys, config: GateConfig) -> Self {
        Self {
            keys,
            config,
            admit: Script::new(ADMIT),
            refund: Script::new(REFUND),
        }
    }

    /// May `account` at `ip` try now? If so, the attempt is charged as a
    /// miss until [`SharedGate::refund`]. `attempt` names it uniquely.
    pub async fn admit(
        &self,
        redis: &mut ConnectionManager,
        (account, ip): (&str, IpAddr),
        now_ms: i64,
        attempt: String,
    ) -> Result<Result<Charge, Closed>, redis::RedisError> {
        let misses = self.config.misses;
        let (verdict, wait, la, li): (i64, i64, i64, i64) = self
            .admit
            .key(self.keys.account_misses(account))
            .key(self.keys.address_misses(ip))
            .key(self.keys.desk_misses())
            .arg(now_ms)
            .arg(misses.free_failures)
            .arg(ms(misses.first_wait))
            .arg(ms(misses.max_wait))
            .arg(ms(misses.forget_after).max(1))
            .arg(self.config.desk_misses_per_hour)
            .arg(WINDOW_MS)
            .arg(&attempt)
            .invoke_async(redis)
            .await?;
        let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
        Ok(match verdict {
            0 => Ok(Charge {
                account: account.to_owned(),
                ip,
                at_ms: now_ms,
                previous: (la, li),
                member: attempt,
            }),
            1 => Err(Closed::BackingOff(wait)),
            _ => Err(Closed::DeskBudget(wait)),
        })
    }

    /// The charged attempt reached a client that could answer it.
    pub async fn refund(
        &self,
        redis: &mut ConnectionManager,
        charge: Charge,
    ) -> Result<(), redis::RedisError> {
        let _: i64 = self
            .refund
            .key(self.keys.account_misses(&charge.account))
            .key(self.keys.address_misses(charge.ip))
            .key(self.keys.desk_misses())
            .arg(charge.at_ms)
            .arg(charge.previous.0)
            .arg(charge.previous.1)
            .arg(&charge.member)
            .invoke_async(redis)
            .await?;
        Ok(())
    }
}
