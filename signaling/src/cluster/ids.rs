//! Client IDs in Redis: which node holds each, so no two nodes hand out
//! the same number within its hour, and an expert on any node finds the
//! client on its own.
//!
//! A record is a hash under [`Keys::id`]: the home node, the reclaim
//! secret's SHA-256, the state (`live`, `used`, `superseded`) and when the
//! ID expires (Unix ms). It lives for the ID's lifetime plus the time an
//! ended ID is held back, so "never reissued within the hour" holds across
//! nodes: the number cannot be reserved again while the key exists.

use std::collections::HashMap;

use redis::Script;
use redis::aio::ConnectionManager;

use super::keys::Keys;
use crate::ids::{ClientId, LookupError};

/// Creates the record only if the number is free; 1 if it did.
const RESERVE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'secret', ARGV[2], 'state', 'live', 'expires', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1";

/// Marks a live ID ended; a record that has gone stays gone.
const END: &str = r"
if redis.call('HGET', KEYS[1], 'state') == 'live' then
  redis.call('HSET', KEYS[1], 'state', ARGV[1])
end
return 1";

/// Moves a live ID from one node to another, if it is still where the
/// caller saw it; 1 if it moved.
const MOVE: &str = r"
local at = redis.call('HMGET', KEYS[1], 'node', 'state')
if at[1] ~= ARGV[1] or at[2] ~= 'live' then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[2])
return 1";

/// What Redis knows of one ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRecord {
    pub node: String,
    /// `None` while live, else how it ended.
    pub ended: Option<LookupError>,
    pub secret_hash: String,
    pub expires_ms: i64,
}

#[derive(Debug)]
pub struct IdRecords {
    keys: Keys,
    reserve: Script,
    end: Script,
    moved: Script,
}

pub type RedisResult<T> = Result<T, redis::RedisError>;

impl IdRecords {
    pub fn new(keys: Keys) -> Self {
        Self {
            keys,
            reserve: Script::new(RESERVE),
            end: Script::new(END),
            moved: Script::new(MOVE),
        }
    }

    /// Takes `id` for `node` if no node holds it; `keep_ms` is how long
    /// the number stays taken.
    pub async fn reserve(
        &self,
        redis: &mut ConnectionManager,
        id: ClientId,
        node: &str,
        secret_hash: &str,
        (expires_ms, keep_ms): (i64, u64),
    ) -> RedisResult<bool> {
        let done: i64 = self
            .reserve
            .key(self.keys.id(id))
            .arg(node)
            .arg(secret_hash)
            .arg(expires_ms)
            .arg(keep_ms.max(1))
            .invoke_async(redis)
            .await?;
        Ok(done == 1)
    }

    pub async fn get(
        &self,
        redis: &mut ConnectionManager,
        id: ClientId,
    ) -> RedisResult<Option<IdRecord>> {
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(self.keys.id(id))
            .query_async(redis)
            .await?;
        Ok(record(&fields))
    }

    /// The ID was used, superseded or given up.
    pub async fn end(
        &self,
        redis: &mut ConnectionManager,
        id: ClientId,
        how: LookupError,
    ) -> RedisResult<()> {
        let _: i64 = self
            .end
            .key(self.keys.id(id))
            .arg(state_name(Some(how)))
            .invoke_async(redis)
            .await?;
        Ok(())
    }

    /// Moves the live `id` from `from` to `to`; false if it is no longer
    /// live at `from`.
    pub async fn move_home(
        &self,
        redis: &mut ConnectionManager,
        id: ClientId,
        from: &str,
        to: &str,
    ) -> RedisResult<bool> {
        let done: i64 = self
            .moved
            .key(self.keys.id(id))
            .arg(from)
            .arg(to)
            .invoke_async(redis)
            .await?;
        Ok(done == 1)
    }
}

fn state_name(ended: Option<LookupError>) -> &'static str {
    match ended {
        None => "live",
        Some(LookupError::Used) => "used",
        Some(LookupError::Expired) => "expired",
        Some(LookupError::Unknown | LookupError::Offline | LookupError::Superseded) => "superseded",
    }
}

fn record(fields: &HashMap<String, String>) -> Option<IdRecord> {
    let ended = match fields.get("state")?.as_str() {
        "live" => None,
        "used" => Some(LookupError::Used),
        "expired" => Some(LookupError::Expired),
        _ => Some(LookupError::Superseded),
    };
    Some(IdRecord {
        node: fields.get("node")?.clone(),
        ended,
        secret_hash: fields.get("secret")?.clone(),
        expires_ms: fields.get("expires")?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_each_state() {
        let mut fields: HashMap<String, String> = [
            ("node", "a-1"),
            ("secret", "ab"),
            ("state", "live"),
            ("expires", "42"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let live = record(&fields).unwrap();
        assert_eq!(live.ended, None);
        assert_eq!(live.expires_ms, 42);
        for how in [
            LookupError::Used,
            LookupError::Superseded,
            LookupError::Expired,
        ] {
            fields.insert("state".into(), state_name(Some(how)).into());
            assert_eq!(record(&fields).unwrap().ended, Some(how));
        }
        fields.remove("node");
        assert_eq!(record(&fields), None, "a half-written record is no record");
    }
}
