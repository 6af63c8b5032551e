//! Two-factor sign-in: TOTP (RFC 6238: HMAC-SHA-1, six digits, 30-second
//! steps, one step of clock skew either way), enrolled by scanning a QR
//! code, with one-time recovery codes for a lost phone.
//!
//! A code is accepted once: the database keeps the last step used, and a
//! code from that step or an earlier one is refused (RFC 6238 §5.2). The
//! secret being enrolled is kept apart until its first code is confirmed,
//! so a half-done enrollment never locks anyone out. Recovery codes are
//! stored as SHA-256 hashes and deleted when used.

use ring::digest;
use sqlx::Row;
use totp_rs::{Secret, Totp};

use super::{AccountError, Accounts};
use crate::random;

/// How many recovery codes an enrollment hands out.
pub const RECOVERY_CODES: usize = 10;

/// A secret being enrolled, as the authenticator app takes it.
#[derive(Debug, Clone)]
pub struct Enrollment {
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://totp/...` URL, for the QR code.
    pub url: String,
}

/// The authenticator for `secret` (base32), labelled `issuer:account`. Colons
/// would split the label, so they become spaces.
fn authenticator(secret: &str, issuer: &str, account: &str) -> Result<Totp, AccountError> {
    let bytes = Secret::try_from_base32(secret)
        .map_err(|_| AccountError::Hash("a stored TOTP secret is not base32".into()))?;
    totp_rs::Builder::new()
        .with_secret(bytes)
        .with_issuer(Some(issuer.replace(':', " ")))
        .with_account_name(account.replace(':', " "))
        .build()
        .map_err(|e| AccountError::Hash(format!("TOTP: {e}")))
}

/// The `otpauth://` URL an authenticator app takes for `secret`.
fn otpauth_url(secret: &str, issuer: &str, account: &str) -> Result<String, AccountError> {
    authenticator(secret, issuer, account)?
        .to_url()
        .map_err(|e| AccountError::Hash(format!("TOTP: {e}")))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A code as typed: spaces and dashes dropped, letters lower-cased.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn code_hash(code: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, code.as_bytes()))
}

/// A recovery code: 50 random bits as ten lower-case base32 letters and
/// digits, shown as `xxxxx-xxxxx`.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let bytes = random::bytes::<10>();
    let letters: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    format!("{}-{}", &letters[..5], &letters[5..])
}

impl Accounts {
    /// Starts an enrollment: a fresh secret, kept apart until confirmed.
    pub async fn begin_two_factor(
        &self,
        username: &str,
        issuer: &str,
    ) -> Result<Enrollment, AccountError> {
        let secret = Secret::from(random::bytes::<20>().to_vec()).to_base32();
        let url = otpauth_url(&secret, issuer, username)?;
        let updated = sqlx::query("UPDATE experts SET totp_pending = $1 WHERE username = $2")
            .bind(&secret)
            .bind(username)
            .execute(&self.pool)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(AccountError::NoSuchExpert(username.to_owned()));
        }
        Ok(Enrollment { secret, url })
    }

    /// The enrollment under way, if any, to show its QR code again.
    pub async fn pending_two_factor(
        &self,
        username: &str,
        issuer: &str,
    ) -> Result<Option<Enrollment>, AccountError> {
        match self.pending_secret(username).await {
            Ok(secret) => {
                let url = otpauth_url(&secret, issuer, username)?;
                Ok(Some(Enrollment { secret, url }))
            }
            Err(AccountError::NoSecondFactor | AccountError::NoSuchExpert(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The secret being enrolled, if any.
    async fn pending_secret(&self, username: &str) -> Result<String, AccountError> {
        let row = sqlx::query("SELECT totp_pending FROM experts WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| AccountError::NoSuchExpert(username.to_owned()))?;
        row.try_get::<Option<String>, _>(0)?
            .ok_or(AccountError::NoSecondFactor)
    }

    /// Confirms the enrollment with a code from the new secret: the secret
    /// becomes the account's, and fresh recovery codes replace any old ones.
    /// Returns the recovery codes, which are shown once.
    pub async fn confirm_two_factor(
        &self,
        username: &str,
        code: &str,
    ) -> Result<Vec<String>, AccountError> {
        let secret = self.pending_secret(username).await?;
        let step = authenticator(&secret, "-", username)?
            .check(&normalize(code), now_secs())
            .ok_or(AccountError::BadCode)?;
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE experts SET totp_secret = totp_pending, totp_pending = NULL,
                 totp_last_step = $1
             WHERE username = $2 AND totp_pending = $3",
        )
        .bind(step)
        .bind(username)
        .bind(&secret)
        .execute(&mut *tx)
        .await?;
        // Another enrollment replaced this one meanwhile: nothing changes.
        if moved.rows_affected() != 1 {
            return Err(AccountError::NoSecondFactor);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE username = $1")
            .bind(username)
            .execute(&mut *tx)
            .await?;
        for code in &codes {
            sqlx::query("INSERT INTO recovery_codes (username, code_hash) VALUES ($1, $2)")
                .bind(username)
                .bind(code_hash(&normalize(code)))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(codes)
    }

    /// Checks a second factor: a current TOTP code not used before, or an
    /// unused recovery code (which is then spent).
    pub async fn verify_second_factor(
        &self,
        username: &str,
        code: &str,
    ) -> Result<(), AccountError> {
        self.verify_second_factor_at(username, code, now_secs())
            .await
    }

    async fn verify_second_factor_at(
        &self,
        username: &str,
        code: &str,
        now: u64,
    ) -> Result<(), AccountError> {
        let code = normalize(code);
        if code.len() > 32 {
            return Err(AccountError::BadCode);
        }
        let row = sqlx::query("SELECT totp_secret FROM experts WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| AccountError::NoSuchExpert(username.to_owned()))?;
        let secret: String = row
            .try_get::<Option<String>, _>(0)?
            .ok_or(AccountError::NoSecondFactor)?;
        if code.bytes().all(|b| b.is_ascii_digit()) {
            let step = authenticator(&secret, "-", username)?
                .check(&code, now)
                .ok_or(AccountError::BadCode)?;
            // Only a step later than the last one used: a code works once.
            let taken = sqlx::query(
                "UPDATE experts SET totp_last_step = $1
                 WHERE username = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(i64::try_from(step).unwrap_or(i64::MAX))
            .bind(username)
            .execute(&self.pool)
            .await?;
            return match taken.rows_affected() {
                1 => Ok(()),
                _ => Err(AccountError::BadCode),
            };
        }
        let spent =
            sqlx::query("DELETE FROM recovery_codes WHERE username = $1 AND code_hash = $2")
                .bind(username)
                .bind(code_hash(&code))
                .execute(&self.pool)
                .await?;
        match spent.rows_affected() {
            1 => Ok(()),
            _ => Err(AccountError::BadCode),
        }
    }

    /// How many unused recovery codes the account has left.
    pub async fn recovery_codes_left(&self, username: &str) -> Result<i64, AccountError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE username = $1")
            .bind(username)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Turns two-factor sign-in off (an admin's reset for a lost phone, or
    /// the owner's choice): secret, enrollment and recovery codes go.
    pub async fn clear_two_factor(&self, username: &str) -> Result<(), AccountError> {
        let updated = sqlx::query(
            "UPDATE experts SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL
             WHERE username = $1",
        )
        .bind(username)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(AccountError::NoSuchExpert(username.to_owned()));
        }
        sqlx::query("DELETE FROM recovery_codes WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_6238_vectors_hold() {
        // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890".
        let totp = totp_rs::Builder::new()
            .with_secret(b"12345678901234567890".to_vec())
            .with_digits(8)
            .build()
            .unwrap();
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(totp.generate(time).to_string(), code, "{time}");
        }
    }

    #[test]
    fn codes_are_normalized_and_recovery_codes_look_right() {
        assert_eq!(normalize(" 123 456 "), "123456");
        assert_eq!(normalize("ABCDE-fghij"), "abcdefghij");
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(code.as_bytes()[5], b'-');
        assert_ne!(code, new_recovery_code());
    }

    #[tokio::test]
    async fn a_code_signs_in_once_and_a_recovery_code_once() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("a.db").display()
        ))
        .await
        .unwrap();
        let accounts = Accounts::new(pool, std::time::Duration::from_secs(60));
        accounts.add("ann", "Ann", "password1").await.unwrap();
        assert!(matches!(
            accounts.verify_second_factor("ann", "123456").await,
            Err(AccountError::NoSecondFactor)
        ));
        let enrollment = accounts.begin_two_factor("ann", "Desk: One").await.unwrap();
        assert!(
            enrollment.url.starts_with("otpauth://totp/"),
            "{}",
            enrollment.url
        );
        let totp = authenticator(&enrollment.secret, "x", "ann").unwrap();
        let now = now_secs();
        assert!(matches!(
            accounts.confirm_two_factor("ann", "000000x").await,
            Err(AccountError::BadCode)
        ));
        let codes = accounts
            .confirm_two_factor("ann", &totp.generate(now).to_string())
            .await
            .unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        // The confirming code's step is spent; the next step's code works once.
        let next = totp.generate(now + 30).to_string();
        let later = now + 30;
        accounts
            .verify_second_factor_at("ann", &next, later)
            .await
            .unwrap();
        assert!(matches!(
            accounts.verify_second_factor_at("ann", &next, later).await,
            Err(AccountError::BadCode)
        ));
        let old = totp.generate(now).to_string();
        assert!(matches!(
            accounts.verify_second_factor_at("ann", &old, later).await,
            Err(AccountError::BadCode)
        ));
        accounts
            .verify_second_factor("ann", &codes[0].to_uppercase())
            .await
            .unwrap();
        assert!(matches!(
            accounts.verify_second_factor("ann", &codes[0]).await,
            Err(AccountError::BadCode)
        ));
        assert_eq!(accounts.recovery_codes_left("ann").await.unwrap(), 9);
        accounts.clear_two_factor("ann").await.unwrap();
        assert_eq!(accounts.recovery_codes_left("ann").await.unwrap(), 0);
        assert!(!accounts.standing("ann").await.unwrap().two_factor);
    }
}
