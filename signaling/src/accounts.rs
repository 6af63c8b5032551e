//! Expert accounts and their login tokens.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB,
//! two passes), off the async threads. A login returns a random 256-bit
//! token; the database keeps only its SHA-256, so a leaked database signs
//! nobody in. A token stops working after `idle` without use (8 hours by
//! default, Techinline's rule) and at logout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use ring::digest;
use sqlx::{AnyPool, Row};

use crate::db::now_ms;
use crate::random;

/// The longest user name and display name accepted.
const MAX_NAME_CHARS: usize = 64;
/// The shortest password `expert add` and `expert passwd` accept.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// How stale a token's last-use time may get before it is written again.
const TOUCH_EVERY_MS: i64 = 60_000;
/// Longer passwords only cost hashing time.
const MAX_PASSWORD_BYTES: usize = 1024;

/// A signed-in expert, as other parts of the server see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expert {
    pub username: String,
    pub display_name: String,
}

/// One row of `expert list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpertRecord {
    pub username: String,
    pub display_name: String,
    pub created_at_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("user names are 1–64 letters, digits, '.', '_', '-' or '@'")]
    InvalidUsername,
    #[error("display names are 1–64 characters")]
    InvalidDisplayName,
    #[error("passwords need at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("an expert named {0} already exists")]
    UsernameTaken(String),
    #[error("there is no expert named {0}")]
    NoSuchExpert(String),
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("the token is unknown, revoked or expired")]
    InvalidToken,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Debug, Clone)]
pub struct Accounts {
    pool: AnyPool,
    idle: Duration,
    /// Tokens checked against the database in the last [`RECHECK`], so an
    /// expert's every action does not cost a query. Logout and password
    /// changes through this server clear entries at once; revocations by
    /// another process (the `expert` command) take effect within
    /// [`RECHECK`].
    verified: Arc<Mutex<HashMap<String, Verified>>>,
}

#[derive(Debug, Clone)]
struct Verified {
    expert: Expert,
    checked: Instant,
}

/// How long a token check is trusted before the database is asked again.
const RECHECK: Duration = Duration::from_secs(30);

impl Accounts {
    pub fn new(pool: AnyPool, idle: Duration) -> Self {
        Self {
            pool,
            idle,
            verified: Arc::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Verified>> {
        self.verified.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long a token lives without use.
    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    pub async fn add(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> Result<(), AccountError> {
        check_username(username)?;
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > MAX_NAME_CHARS {
            return Err(AccountError::InvalidDisplayName);
        }
        let hash = hash_password(password).await?;
        let inserted = sqlx::query(
            "INSERT INTO experts (username, display_name, password_hash, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(display_name)
        .bind(hash)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(AccountError::UsernameTaken(username.to_owned()));
        }
        Ok(())
    }

    /// Deletes the expert and signs them out everywhere. Their session
    /// records stay.
    pub async fn remove(&self, username: &str) -> Result<(), AccountError> {
        let deleted = sqlx::query("DELETE FROM experts WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(AccountError::NoSuchExpert(username.to_owned()));
        }
        self.revoke_all(username).await
    }

    pub async fn list(&self) -> Result<Vec<ExpertRecord>, AccountError> {
        let rows =
            sqlx::query("SELECT username, display_name, created_at FROM experts ORDER BY username")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(ExpertRecord {
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    created_at_ms: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Sets a new password and signs the expert out everywhere.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), AccountError> {
        let hash = hash_password(password).await?;
        let updated = sqlx::query("UPDATE experts SET password_hash = $1 WHERE username = $2")
            .bind(hash)
            .bind(username)
            .execute(&self.pool)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(AccountError::NoSuchExpert(username.to_owned()));
        }
        self.revoke_all(username).await
    }

    /// Checks the password and issues a token. An unknown user costs the
    /// same hashing time as a wrong password, so timing tells nothing.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(Expert, String), AccountError> {
        let row =
            sqlx::query("SELECT display_name, password_hash FROM experts WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
        let (display_name, stored) = match &row {
            Some(row) => (
                Some(row.try_get::<String, _>("display_name")?),
                row.try_get::<String, _>("password_hash")?,
            ),
            None => (None, dummy_hash().to_owned()),
        };
        let matches = verify_password(password, stored).await?;
        let Some(display_name) = display_name.filter(|_| matches) else {
            return Err(AccountError::BadCredentials);
        };
        let token = random::hex::<32>();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO tokens (token_hash, username, created_at, last_used_at)
             VALUES ($1, $2, $3, $3)",
        )
        .bind(token_hash(&token))
        .bind(username)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok((
            Expert {
                username: username.to_owned(),
                display_name,
            },
            token,
        ))
    }

    /// Checks a token and records its use. A token idle for longer than the
    /// limit is deleted and refused.
    pub async fn resume(&self, token: &str) -> Result<Expert, AccountError> {
        let hash = token_hash(token);
        let trust = RECHECK.min(self.idle / 4);
        if let Some(hit) = self
            .cache()
            .get(&hash)
            .filter(|v| v.checked.elapsed() < trust)
        {
            return Ok(hit.expert.clone());
        }
        let now = now_ms();
        let idle_ms = i64::try_from(self.idle.as_millis()).unwrap_or(i64::MAX);
        let row = sqlx::query(
            "SELECT t.last_used_at, e.username, e.display_name
             FROM tokens t JOIN experts e ON e.username = t.username
             WHERE t.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Err(AccountError::InvalidToken);
        };
        let last_used: i64 = row.try_get("last_used_at")?;
        if now.saturating_sub(last_used) >= idle_ms {
            self.logout(token).await?;
            return Err(AccountError::InvalidToken);
        }
        // A minute's precision is plenty against an idle limit of hours, and
        // spares the database a write on every action.
        if now.saturating_sub(last_used) >= TOUCH_EVERY_MS {
            sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(&self.pool)
                .await?;
        }
        let expert = Expert {
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
        };
        let mut cache = self.cache();
        if cache.len() >= 100_000 {
            cache.retain(|_, v| v.checked.elapsed() < RECHECK);
        }
        cache.insert(
            hash,
            Verified {
                expert: expert.clone(),
                checked: Instant::now(),
            },
        );
        Ok(expert)
    }

    pub async fn logout(&self, token: &str) -> Result<(), AccountError> {
        self.cache().remove(&token_hash(token));
        sqlx::query("DELETE FROM tokens WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn revoke_all(&self, username: &str) -> Result<(), AccountError> {
        self.cache().retain(|_, v| v.expert.username != username);
        sqlx::query("DELETE FROM tokens WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn check_username(username: &str) -> Result<(), AccountError> {
    let valid = !username.is_empty()
        && username.chars().count() <= MAX_NAME_CHARS
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if valid {
        Ok(())
    } else {
        Err(AccountError::InvalidUsername)
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

async fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::WeakPassword);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::Hash("the password is too long".into()));
    }
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&random::bytes::<16>())
            .map_err(|e| AccountError::Hash(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AccountError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hash(e.to_string()))?
}

async fn verify_password(password: &str, stored: String) -> Result<bool, AccountError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(|e| AccountError::Hash(e.to_string()))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AccountError::Hash(e.to_string()))?
}

/// A hash of a random password, verified against when the user does not
/// exist so that the answer takes as long as for a real account.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::encode_b64(&random::bytes::<16>()).expect("16 bytes encode");
        Argon2::default()
            .hash_password(random::hex::<16>().as_bytes(), &salt)
            .expect("argon2 hashes a short password")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain() {
        for ok in ["ann", "ann.smith", "a_b-c@desk"] {
            assert!(check_username(ok).is_ok(), "{ok}");
        }
        for bad in ["", "ann smith", "ann/..", "ä", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
