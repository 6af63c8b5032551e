//! Expert accounts and their login tokens.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB,
//! two passes), off the async threads, and at most [`hashing_permits`] at
//! once: sixty simultaneous logins once took the desk to 1.1 GiB, and the
//! blocking pool's 512 threads could have taken ten times that. Callers
//! wait for a permit, for at most [`HASH_WAIT`]. A login returns a random
//! 256-bit token; the database keeps only its SHA-256, so a leaked database
//! signs nobody in. A token stops working after `idle` without use (8 hours
//! by default, Techinline's rule) and at logout.
//!
//! Each account has a role ([`AccountRole`]): an admin reads every expert's
//! session records and the audit log, an expert only their own records.
//! User names are plain ASCII; display names, which clients read in the
//! consent dialog, are cleaned ([`clean_display_name`]) and unique.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use ring::digest;
use sqlx::{AnyPool, Row};
use tokio::sync::Semaphore;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::db::now_ms;
use crate::random;

mod standing;
mod two_factor;

pub use standing::Standing;
pub use two_factor::{Enrollment, RECOVERY_CODES};

/// The longest user name and display name accepted.
const MAX_NAME_CHARS: usize = 64;
/// The shortest password `expert add` and `expert passwd` accept.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// How stale a token's last-use time may get before it is written again.
const TOUCH_EVERY_MS: i64 = 60_000;
/// Longer passwords only cost hashing time.
const MAX_PASSWORD_BYTES: usize = 1024;
/// How long a login or password change waits for a hashing permit before
/// it is refused as [`AccountError::Busy`].
pub const HASH_WAIT: Duration = Duration::from_secs(20);

/// How many argon2 runs may go at once: one per core, at least two, at most
/// eight (8 × 19 MiB of memory).
pub fn hashing_permits() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// What an account may read besides its own work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountRole {
    /// Reads every expert's session records and the audit log.
    Admin,
    /// Reads only their own session records.
    #[default]
    Expert,
}

impl AccountRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Admin => "admin",
            AccountRole::Expert => "expert",
        }
    }

    /// The stored text; anything unknown is the least privileged role.
    pub(crate) fn from_stored(text: &str) -> Self {
        match text {
            "admin" => AccountRole::Admin,
            _ => AccountRole::Expert,
        }
    }
}

impl std::str::FromStr for AccountRole {
    type Err = AccountError;

    fn from_str(text: &str) -> Result<Self, AccountError> {
        match text {
            "admin" => Ok(AccountRole::Admin),
            "expert" => Ok(AccountRole::Expert),
            _ => Err(AccountError::InvalidRole(text.to_owned())),
        }
    }
}

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
    pub role: AccountRole,
    pub created_at_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(
        "user names are 1–64 ASCII letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
    )]
    InvalidUsername,
    #[error(
        "display names are 1–64 characters, with no control, format (bidi, zero-width) or invisible characters"
    )]
    InvalidDisplayName,
    #[error("another expert already shows as {0:?}")]
    DisplayNameTaken(String),
    #[error("roles are admin or expert, not {0:?}")]
    InvalidRole(String),
    #[error("the desk is busy checking other passwords; try again shortly")]
    Busy,
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
    #[error("the new password must differ from the current one")]
    SamePassword,
    #[error("this account is disabled")]
    Disabled,
    #[error("the authentication code is wrong or was already used")]
    BadCode,
    #[error("two-factor sign-in is not set up for this account")]
    NoSecondFactor,
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
    hashing: Arc<Hashing>,
    /// The accounts whose sign-ins were all revoked, for the connections
    /// signed in as them to end at once.
    revoked: tokio::sync::broadcast::Sender<String>,
    /// In a cluster: this server's own revocations, for the other nodes.
    relay: Arc<std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<String>>>,
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
            hashing: Arc::new(Hashing::new(hashing_permits())),
            revoked: tokio::sync::broadcast::Sender::new(64),
            relay: Arc::default(),
        }
    }

    /// Sends this server's revocations to `relay` too, for the other nodes
    /// of a cluster.
    pub fn relay_revocations(&self, relay: tokio::sync::mpsc::UnboundedSender<String>) {
        let _ = self.relay.set(relay);
    }

    /// Another node revoked every sign-in of `account`: its connections
    /// here end too, and no cached check outlives it.
    pub fn heard_revocation(&self, account: &str) {
        self.cache().retain(|_, v| v.expert.username != account);
        let _ = self.revoked.send(account.to_owned());
    }

    /// Hears each account whose sign-ins this server revoked (a revocation
    /// by another process, the `expert` command, is not heard: its tokens
    /// stop working within [`RECHECK`]).
    pub fn revocations(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.revoked.subscribe()
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Verified>> {
        self.verified.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long a token lives without use.
    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    /// Adds an expert (role [`AccountRole::Expert`]).
    pub async fn add(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> Result<(), AccountError> {
        self.add_with_role(username, display_name, password, AccountRole::Expert)
            .await
    }

    /// Adds an account. The display name is cleaned and must differ from
    /// every other account's, ignoring case and spacing.
    pub async fn add_with_role(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        role: AccountRole,
    ) -> Result<(), AccountError> {
        check_username(username)?;
        let display_name = clean_display_name(display_name)?;
        let key = display_key(&display_name);
        // Accounts from before display_key have none: compare their names.
        let taken = sqlx::query("SELECT display_name FROM experts")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .any(|row| {
                row.try_get::<String, _>("display_name")
                    .is_ok_and(|name| display_key(&name) == key)
            });
        if taken {
            return Err(AccountError::DisplayNameTaken(display_name));
        }
        let hash = self.hash_password(password).await?;
        let inserted = sqlx::query(
            "INSERT INTO experts (username, display_name, password_hash, created_at, role,
                 display_key)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(username)
        .bind(&display_name)
        .bind(hash)
        .bind(now_ms())
        .bind(role.as_str())
        .bind(&key)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            // The user name, or (raced by another `expert add`) the key.
            let exists = sqlx::query("SELECT 1 FROM experts WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?
                .is_some();
            return Err(if exists {
                AccountError::UsernameTaken(username.to_owned())
            } else {
                AccountError::DisplayNameTaken(display_name)
            });
        }
        Ok(())
    }

    /// Gives `username` a role; it applies to their next report request.
    pub async fn set_role(&self, username: &str, role: AccountRole) -> Result<(), AccountError> {
        let updated = sqlx::query("UPDATE experts SET role = $1 WHERE username = $2")
            .bind(role.as_str())
            .bind(username)
            .execute(&self.pool)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(AccountError::NoSuchExpert(username.to_owned()));
        }
        Ok(())
    }

    /// The role of `username`, read from the database each time: a change
    /// by the `expert role` command applies at once.
    pub async fn role(&self, username: &str) -> Result<AccountRole, AccountError> {
        let row = sqlx::query("SELECT role FROM experts WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| AccountError::NoSuchExpert(username.to_owned()))?;
        Ok(AccountRole::from_stored(&row.try_get::<String, _>("role")?))
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
        sqlx::query("DELETE FROM recovery_codes WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await?;
        self.revoke_all(username).await
    }

    pub async fn list(&self) -> Result<Vec<ExpertRecord>, AccountError> {
        let rows = sqlx::query(
            "SELECT username, display_name, role, created_at FROM experts ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ExpertRecord {
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    role: AccountRole::from_stored(&row.try_get::<String, _>("role")?),
                    created_at_ms: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Sets a new password and signs the expert out everywhere.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), AccountError> {
        let hash = self.hash_password(password).await?;
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

    /// Checks the password and issues a token, for accounts that need no
    /// second step: the command line's and the tests' sign-in. The desk's
    /// own sign-ins go through [`crate::sign_in`], which also asks for the
    /// second factor and refuses disabled accounts.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(Expert, String), AccountError> {
        let standing = self.check_password(username, password).await?;
        let token = self.issue_token(username).await?;
        Ok((standing.expert, token))
    }

    /// Checks the password, and tells what the account may do next. An
    /// unknown user costs the same hashing time as a wrong password, so
    /// timing tells nothing.
    pub async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Standing, AccountError> {
        // A name no account can have is not looked up (PostgreSQL refuses
        // a NUL in a query's text), but costs the same hashing time.
        let row = match check_username(username) {
            Ok(()) => {
                sqlx::query(
                    "SELECT display_name, password_hash, role, disabled, must_change_password,
                        totp_secret
                 FROM experts WHERE username = $1",
                )
                .bind(username)
                .fetch_optional(&self.pool)
                .await?
            }
            Err(_) => None,
        };
        let stored = row
            .as_ref()
            .map(|row| row.try_get::<String, _>("password_hash"))
            .transpose()?;
        let matches = self.verify_password(password, stored).await?;
        match row.filter(|_| matches) {
            Some(row) => Standing::from_row(username, &row),
            None => Err(AccountError::BadCredentials),
        }
    }

    /// Issues a new random token for `username`; the database keeps its
    /// hash.
    pub async fn issue_token(&self, username: &str) -> Result<String, AccountError> {
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
        Ok(token)
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
             WHERE t.token_hash = $1 AND e.disabled = 0",
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
        // Nobody listening (the command line) is no error.
        let _ = self.revoked.send(username.to_owned());
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(username.to_owned());
        }
        Ok(())
    }
}

/// User names are plain ASCII: letters, digits and `.`, `_`, `-`, `@`,
/// starting with a letter or digit. Everything else is reserved: `#` keys
/// the desk's own rate limits (`#token`), a leading `-` reads as a
/// command-line flag, and spaces, slashes and non-ASCII letters make names
/// that look alike.
pub fn check_username(username: &str) -> Result<(), AccountError> {
    let valid = username.len() <= MAX_NAME_CHARS
        && username
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if valid {
        Ok(())
    } else {
        Err(AccountError::InvalidUsername)
    }
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

/// A display name as clients will see it, or why it cannot be one: no
/// control characters (newlines included), no format characters (Unicode
/// Cf: bidi controls, zero-width and soft hyphens), no line or paragraph
/// separators, private-use or unassigned code points, no blank-looking
/// letters; runs of spaces become one, ends are trimmed; 1–64 characters.
pub fn clean_display_name(raw: &str) -> Result<String, AccountError> {
    let refused = |c: char| match c.general_category() {
        // Spaces of every width are kept, then collapsed below.
        GeneralCategory::SpaceSeparator => false,
        // Cc (newlines too), Cf (bidi controls, zero-width characters,
        // soft hyphens), Cs, Co, Cn, and the line and paragraph separators.
        _ => {
            matches!(
                c.general_category_group(),
                GeneralCategoryGroup::Other | GeneralCategoryGroup::Separator
            ) || INVISIBLE_LETTERS.contains(&c)
        }
    };
    if raw.chars().any(refused) {
        return Err(AccountError::InvalidDisplayName);
    }
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AccountError::InvalidDisplayName);
    }
    Ok(name)
}

/// Letters (and a symbol) that render as blank space.
const INVISIBLE_LETTERS: [char; 6] = [
    '\u{115F}', // Hangul choseong filler
    '\u{1160}', // Hangul jungseong filler
    '\u{2800}', // Braille pattern blank
    '\u{3164}', // Hangul filler
    '\u{FFA0}', // Halfwidth Hangul filler
    '\u{034F}', // Combining grapheme joiner
];

/// How two display names compare: cleaned names, lower-cased.
fn display_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The argon2 limit: a semaphore whose permits go with the blocking work,
/// so a caller that gives up (its connection closed) does not free a
/// permit while its hash still runs.
#[derive(Debug)]
struct Hashing {
    permits: Arc<Semaphore>,
    /// Runs under way and the most seen at once: the limit's evidence.
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl Hashing {
    fn new(permits: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free, waiting at
    /// most [`HASH_WAIT`] for one.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce() -> Result<T, AccountError> + Send + 'static,
    ) -> Result<T, AccountError> {
        let permit = tokio::time::timeout(HASH_WAIT, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_| AccountError::Busy)?
            .map_err(|_| AccountError::Busy)?;
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let now = this.running.fetch_add(1, Ordering::SeqCst) + 1;
            this.peak.fetch_max(now, Ordering::SeqCst);
            let result = work();
            this.running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            result
        })
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?
    }
}

impl Accounts {
    async fn hash_password(&self, password: &str) -> Result<String, AccountError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AccountError::WeakPassword);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AccountError::Hash("the password is too long".into()));
        }
        let password = password.to_owned();
        self.hashing
            .run(move || {
                let salt = SaltString::encode_b64(&random::bytes::<16>())
                    .map_err(|e| AccountError::Hash(e.to_string()))?;
                Argon2::default()
                    .hash_password(password.as_bytes(), &salt)
                    .map(|hash| hash.to_string())
                    .map_err(|e| AccountError::Hash(e.to_string()))
            })
            .await
    }

    /// Checks `password` against `stored`, or against a dummy hash when
    /// there is no such user, so that the answer takes as long.
    async fn verify_password(
        &self,
        password: &str,
        stored: Option<String>,
    ) -> Result<bool, AccountError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(false);
        }
        let password = password.to_owned();
        self.hashing
            .run(move || {
                let stored = stored.as_deref().unwrap_or_else(|| dummy_hash());
                let parsed =
                    PasswordHash::new(stored).map_err(|e| AccountError::Hash(e.to_string()))?;
                Ok(Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok())
            })
            .await
    }
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
        for bad in [
            "",
            "ann smith",
            "ann/..",
            "ä",
            &"a".repeat(65),
            "#token",
            "ann#2",
            "-ann",
            ".ann",
            "@desk",
            "ann\n",
            "ann:x",
        ] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_are_cleaned() {
        assert_eq!(
            clean_display_name("  Ann \u{a0}from  the\u{3000}Help Desk ").unwrap(),
            "Ann from the Help Desk"
        );
        assert_eq!(clean_display_name("Zoë Ødegård").unwrap(), "Zoë Ødegård");
        for bad in [
            "",
            "   ",
            "Ann\nfrom the Help Desk",
            "Ann\r",
            "Ann\tDesk",
            "Ann\u{0b}",
            "Ann\u{202e}ksed pleH", // right-to-left override
            "Ann\u{2066}x\u{2069}", // isolates
            "Ann\u{200b}",          // zero-width space
            "A\u{ad}nn",            // soft hyphen
            "Ann\u{feff}",
            "Ann\u{2028}Desk",
            "Ann\u{e000}", // private use
            "Ann\u{3164}", // Hangul filler
            "\u{7}",
            &"a".repeat(65),
        ] {
            assert!(clean_display_name(bad).is_err(), "{bad:?}");
        }
        assert!(clean_display_name(&"é".repeat(64)).is_ok());
    }

    #[test]
    fn display_keys_ignore_case_and_spacing() {
        assert_eq!(
            display_key("Ann from the Help Desk"),
            display_key("ANN  from the\u{a0}help desk")
        );
        assert_ne!(display_key("Ann"), display_key("Anne"));
    }

    async fn scratch_accounts() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        let pool = crate::db::open(&url).await.unwrap();
        (dir, Accounts::new(pool, Duration::from_secs(60)))
    }

    #[tokio::test]
    async fn display_names_are_unique_and_roles_kept() {
        let (_dir, accounts) = scratch_accounts().await;
        let password = "long enough password";
        accounts
            .add("ann", "Ann from the Help Desk", password)
            .await
            .unwrap();
        let twin = accounts
            .add("ann2", "  ann FROM the\u{a0}help   desk", password)
            .await;
        assert!(
            matches!(twin, Err(AccountError::DisplayNameTaken(_))),
            "{twin:?}"
        );
        let dup = accounts.add("ann", "Another Ann", password).await;
        assert!(
            matches!(dup, Err(AccountError::UsernameTaken(_))),
            "{dup:?}"
        );
        accounts
            .add_with_role("boss", "The Boss", password, AccountRole::Admin)
            .await
            .unwrap();
        assert_eq!(accounts.role("ann").await.unwrap(), AccountRole::Expert);
        assert_eq!(accounts.role("boss").await.unwrap(), AccountRole::Admin);
        accounts.set_role("ann", AccountRole::Admin).await.unwrap();
        assert_eq!(accounts.role("ann").await.unwrap(), AccountRole::Admin);
        let listed = accounts.list().await.unwrap();
        assert_eq!(listed[0].display_name, "Ann from the Help Desk");
        assert!(matches!(
            accounts.set_role("nobody", AccountRole::Admin).await,
            Err(AccountError::NoSuchExpert(_))
        ));
    }

    #[tokio::test]
    async fn an_account_from_before_roles_is_an_expert_and_its_name_taken() {
        let (_dir, accounts) = scratch_accounts().await;
        // As the 0001 schema wrote it: no role, no display key.
        sqlx::query(
            "INSERT INTO experts (username, display_name, password_hash, created_at)
             VALUES ('old', 'Old  Timer', 'x', 0)",
        )
        .execute(&accounts.pool)
        .await
        .unwrap();
        assert_eq!(accounts.role("old").await.unwrap(), AccountRole::Expert);
        let twin = accounts
            .add("new", "old timer", "long enough password")
            .await;
        assert!(
            matches!(twin, Err(AccountError::DisplayNameTaken(_))),
            "{twin:?}"
        );
    }

    /// Twenty logins at once (right and wrong passwords, unknown users)
    /// never run more than the permitted number of argon2 hashes at a time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn argon2_runs_at_most_the_permitted_number_at_once() {
        let (_dir, accounts) = scratch_accounts().await;
        let password = "long enough password";
        accounts.add("ann", "Ann", password).await.unwrap();
        let permits = hashing_permits();
        let logins: Vec<_> = (0..20)
            .map(|i| {
                let accounts = accounts.clone();
                tokio::spawn(async move {
                    let (user, password) = match i % 3 {
                        0 => ("ann", password),
                        1 => ("ann", "wrong password"),
                        _ => ("nobody", password),
                    };
                    (i % 3, accounts.login(user, password).await)
                })
            })
            .collect();
        for login in logins {
            match login.await.unwrap() {
                (0, result) => assert!(result.is_ok(), "{result:?}"),
                (_, result) => assert!(matches!(result, Err(AccountError::BadCredentials))),
            }
        }
        let peak = accounts.hashing.peak.load(Ordering::SeqCst);
        assert!(
            (1..=permits).contains(&peak),
            "{peak} hashes ran at once; {permits} are allowed"
        );
        assert_eq!(accounts.hashing.running.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
