//! Desk policy: what an admin sets in the console, applied by the desk to
//! every request from then on and told to both apps.
//!
//! [`PolicyStore`] owns it: the database keeps each setting an admin
//! changed (`desk_policy`), the configuration file gives the rest, and
//! everyone else reads the current policy from a watch channel, so a
//! change needs no restart and reaches the next request.

use std::time::Duration;

use sqlx::{AnyPool, Row};
use tokio::sync::watch;

use crate::accounts::clean_display_name;
use crate::config::Config;
use crate::protocol::{Scope, Scopes};

/// The shortest and longest consent timeouts an admin may set. The seeds'
/// rule is five minutes; less than 30 s gives nobody time to read.
pub const CONSENT_TIMEOUT_SECS: std::ops::RangeInclusive<u64> = 30..=3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskPolicy {
    /// The desk's name as its admin set it, shown in the client's consent
    /// dialog ("" until set: the app shows the desk's address).
    pub desk_name: String,
    /// How long a client has to answer a connect request.
    pub consent_timeout: Duration,
    /// Clients must bind each session with a PIN.
    pub require_pin: bool,
    /// Every session is recorded by the expert's app.
    pub record_sessions: bool,
    /// The expert must give a reason or ticket number with every request.
    pub require_reason: bool,
    /// The permissions an expert may ask for.
    pub allowed_scopes: Scopes,
    /// Every account must sign in with a second factor.
    pub require_two_factor: bool,
}

impl DeskPolicy {
    /// The configuration's policy, before any change in the console.
    pub fn from_config(config: &Config) -> Self {
        Self {
            desk_name: String::new(),
            consent_timeout: config.consent_timeout,
            require_pin: false,
            record_sessions: config.record_sessions,
            require_reason: false,
            allowed_scopes: Scope::ALL.into_iter().collect(),
            require_two_factor: false,
        }
    }

    /// Applies one stored or submitted setting, or says why it cannot be.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), PolicyError> {
        let flag = || match value {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(PolicyError::BadValue(name.to_owned())),
        };
        match name {
            "desk_name" => {
                self.desk_name = if value.trim().is_empty() {
                    String::new()
                } else {
                    clean_display_name(value).map_err(|_| PolicyError::BadValue(name.to_owned()))?
                };
            }
            "consent_timeout_secs" => {
                let secs: u64 = value
                    .parse()
                    .ok()
                    .filter(|s| CONSENT_TIMEOUT_SECS.contains(s))
                    .ok_or_else(|| PolicyError::BadValue(name.to_owned()))?;
                self.consent_timeout = Duration::from_secs(secs);
            }
            "require_pin" => self.require_pin = flag()?,
            "record_sessions" => self.record_sessions = flag()?,
            "require_reason" => self.require_reason = flag()?,
            "require_two_factor" => self.require_two_factor = flag()?,
            "allowed_scopes" => {
                let scopes: Scopes = serde_json::from_str(value)
                    .map_err(|_| PolicyError::BadValue(name.to_owned()))?;
                if !scopes.contains(Scope::View) {
                    return Err(PolicyError::ViewRequired);
                }
                self.allowed_scopes = scopes;
            }
            _ => return Err(PolicyError::UnknownSetting(name.to_owned())),
        }
        Ok(())
    }

    /// Every setting as it is stored.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("desk_name", self.desk_name.clone()),
            (
                "consent_timeout_secs",
                self.consent_timeout.as_secs().to_string(),
            ),
            ("require_pin", self.require_pin.to_string()),
            ("record_sessions", self.record_sessions.to_string()),
            ("require_reason", self.require_reason.to_string()),
            (
                "allowed_scopes",
                serde_json::to_string(&self.allowed_scopes).unwrap_or_default(),
            ),
            ("require_two_factor", self.require_two_factor.to_string()),
        ]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("there is no policy setting named {0}")]
    UnknownSetting(String),
    #[error("the value for {0} is not valid")]
    BadValue(String),
    #[error("the view permission cannot be taken away: every session shows the screen")]
    ViewRequired,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// The owner of the desk's policy.
#[derive(Debug)]
pub struct PolicyStore {
    pool: AnyPool,
    current: watch::Sender<DeskPolicy>,
    /// One change at a time: two admins saving at once must not leave the
    /// database and the published policy apart.
    changing: tokio::sync::Mutex<()>,
}

impl PolicyStore {
    /// The configuration's policy with the stored settings on top. A stored
    /// setting this version cannot read is logged and skipped.
    pub async fn load(pool: AnyPool, config: &Config) -> Result<Self, sqlx::Error> {
        let policy = read(&pool, config).await?;
        Ok(Self {
            pool,
            current: watch::Sender::new(policy),
            changing: tokio::sync::Mutex::new(()),
        })
    }

    /// Reads the stored settings again (another node of the desk changed
    /// them) and publishes the policy if it changed.
    pub async fn reload(&self, config: &Config) -> Result<(), sqlx::Error> {
        let _one_at_a_time = self.changing.lock().await;
        let policy = read(&self.pool, config).await?;
        self.current.send_if_modified(|current| {
            let changed = *current != policy;
            *current = policy;
            changed
        });
        Ok(())
    }

    /// The policy now.
    pub fn current(&self) -> DeskPolicy {
        self.current.borrow().clone()
    }

    /// A receiver that always holds the policy now.
    pub fn watch(&self) -> watch::Receiver<DeskPolicy> {
        self.current.subscribe()
    }

    /// Applies `changes` together: each is checked first, then all are
    /// stored, then the new policy is published. Nothing is stored when one
    /// is refused. Returns the policy before and after.
    pub async fn update(
        &self,
        changes: &[(&str, String)],
    ) -> Result<(DeskPolicy, DeskPolicy), PolicyError> {
        let _one_at_a_time = self.changing.lock().await;
        let before = self.current();
        let mut next = before.clone();
        for (name, value) in changes {
            next.set(name, value)?;
        }
        let stored = next.settings();
        let mut tx = self.pool.begin().await?;
        for (name, _) in changes {
            let value = stored
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            sqlx::query(
                "INSERT INTO desk_policy (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(*name)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.current.send_replace(next.clone());
        Ok((before, next))
    }
}

/// The configuration's policy with the stored settings on top.
async fn read(pool: &AnyPool, config: &Config) -> Result<DeskPolicy, sqlx::Error> {
    let mut policy = DeskPolicy::from_config(config);
    for row in sqlx::query("SELECT name, value FROM desk_policy")
        .fetch_all(pool)
        .await?
    {
        let (name, value): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if let Err(error) = policy.set(&name, &value) {
            tracing::warn!(%error, "a stored policy setting is ignored");
        }
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        let mut policy = DeskPolicy::from_config(&Config::default());
        assert!(policy.set("consent_timeout_secs", "10").is_err());
        assert!(policy.set("consent_timeout_secs", "-1").is_err());
        policy.set("consent_timeout_secs", "120").unwrap();
        assert_eq!(policy.consent_timeout, Duration::from_secs(120));
        assert!(policy.set("require_pin", "yes").is_err());
        assert!(matches!(
            policy.set("allowed_scopes", r#"["control"]"#),
            Err(PolicyError::ViewRequired)
        ));
        assert!(policy.set("allowed_scopes", r#"["view","bogus"]"#).is_err());
        policy.set("allowed_scopes", r#"["view","files"]"#).unwrap();
        assert!(!policy.allowed_scopes.contains(Scope::Control));
        assert!(policy.set("desk_name", "Acme\u{202e} IT").is_err());
        policy.set("desk_name", "  Acme   IT ").unwrap();
        assert_eq!(policy.desk_name, "Acme IT");
        assert!(matches!(
            policy.set("nope", "1"),
            Err(PolicyError::UnknownSetting(_))
        ));
    }

    #[tokio::test]
    async fn a_change_is_stored_published_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
        let config = Config::default();
        let store = PolicyStore::load(crate::db::open(&url).await.unwrap(), &config)
            .await
            .unwrap();
        let mut seen = store.watch();
        store
            .update(&[
                ("require_reason", "true".into()),
                ("desk_name", "Acme IT".into()),
            ])
            .await
            .unwrap();
        assert!(seen.has_changed().unwrap());
        assert!(seen.borrow_and_update().require_reason);
        // One bad change refuses the lot.
        assert!(
            store
                .update(&[
                    ("require_pin", "true".into()),
                    ("consent_timeout_secs", "1".into())
                ])
                .await
                .is_err()
        );
        assert!(!store.current().require_pin);
        let again = PolicyStore::load(crate::db::open(&url).await.unwrap(), &config)
            .await
            .unwrap();
        assert_eq!(again.current(), store.current());
    }
}
