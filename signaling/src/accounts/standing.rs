//! An account's standing beside its password: disabled by an admin, told to
//! change its password, enrolled in two-factor sign-in.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{AccountError, AccountRole, Accounts, Expert};

/// What a correct password tells about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub expert: Expert,
    pub role: AccountRole,
    /// An admin disabled the account: it may not sign in.
    pub disabled: bool,
    /// An admin reset the password: the next sign-in must change it.
    pub must_change_password: bool,
    /// The account signs in with a second factor.
    pub two_factor: bool,
}

impl Standing {
    pub(super) fn from_row(username: &str, row: &AnyRow) -> Result<Self, AccountError> {
        Ok(Self {
            expert: Expert {
                username: username.to_owned(),
                display_name: row.try_get("display_name")?,
            },
            role: AccountRole::from_stored(&row.try_get::<String, _>("role")?),
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            two_factor: row.try_get::<Option<String>, _>("totp_secret")?.is_some(),
        })
    }
}

impl Accounts {
    /// The standing of `username`, read from the database each time, so an
    /// admin's change applies to the next request.
    pub async fn standing(&self, username: &str) -> Result<Standing, AccountError> {
        let row = sqlx::query(
            "SELECT display_name, role, disabled, must_change_password, totp_secret
             FROM experts WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| AccountError::NoSuchExpert(username.to_owned()))?;
        Standing::from_row(username, &row)
    }

    /// Disables or enables an account. Disabling signs it out everywhere.
    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<(), AccountError> {
        self.update_flag("disabled", username, disabled).await?;
        if disabled {
            self.revoke_all(username).await?;
        }
        Ok(())
    }

    /// An admin's reset: a new password that its owner must change at their
    /// next sign-in. Signs the account out everywhere.
    pub async fn reset_password(&self, username: &str, password: &str) -> Result<(), AccountError> {
        self.set_password(username, password).await?;
        self.require_password_change(username).await
    }

    /// The next sign-in must change the password.
    async fn require_password_change(&self, username: &str) -> Result<(), AccountError> {
        self.update_flag("must_change_password", username, true)
            .await
    }

    /// The owner's own change: checks the current password, sets the new
    /// one, clears the reset flag, signs out every other sign-in and
    /// returns a fresh token for this one.
    pub async fn change_password(
        &self,
        username: &str,
        current: &str,
        new: &str,
    ) -> Result<String, AccountError> {
        self.check_password(username, current).await?;
        if current == new {
            return Err(AccountError::SamePassword);
        }
        self.set_password(username, new).await?;
        self.update_flag("must_change_password", username, false)
            .await?;
        self.issue_token(username).await
    }

    async fn update_flag(
        &self,
        column: &str,
        username: &str,
        on: bool,
    ) -> Result<(), AccountError> {
        // `column` is one of this file's literals, never input.
        let sql = format!("UPDATE experts SET {column} = $1 WHERE username = $2");
        let updated = sqlx::query(&sql)
            .bind(i64::from(on))
            .bind(username)
            .execute(&self.pool)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(AccountError::NoSuchExpert(username.to_owned()));
        }
        Ok(())
    }
}
