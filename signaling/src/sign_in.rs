//! Signing an expert in, one flow for the app's WebSocket and the console:
//! the rate limits, the password, the account's standing, the second
//! factor and the audit log, so neither door is weaker than the other.
//!
//! A wrong password and a wrong code count alike against the address and
//! the account; a right password with no code yet counts as nothing.

use std::net::IpAddr;

use crate::accounts::{AccountError, Standing};
use crate::limits::RetryAfter;
use crate::state::Shared;
use crate::untrusted::Untrusted;

/// Why a sign-in stopped.
#[derive(Debug)]
pub enum Refusal {
    RateLimited(RetryAfter),
    BadCredentials,
    Disabled,
    /// The password was right; the account needs its second factor.
    CodeRequired,
    BadCode,
    Unavailable(AccountError),
}

/// What an account still owes before its sign-in may act anywhere but in
/// the console's own pages for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owed {
    /// An admin reset the password.
    NewPassword,
    /// The desk requires a second factor the account has not set up.
    SecondFactor,
}

/// What `standing` still owes under the desk's policy now, if anything.
/// Checked at every sign-in and every use of a token, so a token the
/// console issued before the debt was paid, or a policy switched on
/// later, cannot get round it.
pub fn owed(shared: &Shared, standing: &Standing) -> Option<Owed> {
    if standing.must_change_password {
        Some(Owed::NewPassword)
    } else if shared.policy.current().require_two_factor && !standing.two_factor {
        Some(Owed::SecondFactor)
    } else {
        None
    }
}

/// A password checked, and what the account still owes.
#[derive(Debug)]
pub struct Passed {
    pub standing: Standing,
}

/// The first step: limits, password, standing. A disabled account is told
/// so only after its right password.
pub async fn check_password(
    shared: &Shared,
    ip: IpAddr,
    user: &str,
    password: &str,
) -> Result<Passed, Refusal> {
    admit(shared, ip, user)?;
    match shared.accounts.check_password(user, password).await {
        Ok(standing) if standing.disabled => {
            shared.audit.record("sign_in", user, ip, None, "disabled");
            Err(Refusal::Disabled)
        }
        Ok(standing) => Ok(Passed { standing }),
        Err(AccountError::BadCredentials) => {
            tracing::info!(user = %Untrusted(user), %ip, "failed sign-in");
            failed(shared, ip, user, "bad_credentials");
            Err(Refusal::BadCredentials)
        }
        Err(error) => Err(Refusal::Unavailable(error)),
    }
}

/// The second step, for an account with two-factor sign-in: a TOTP code or
/// a recovery code, under the same limits as passwords.
pub async fn check_code(
    shared: &Shared,
    ip: IpAddr,
    user: &str,
    code: &str,
) -> Result<(), Refusal> {
    admit(shared, ip, user)?;
    verify_code(shared, ip, user, code).await
}

async fn verify_code(shared: &Shared, ip: IpAddr, user: &str, code: &str) -> Result<(), Refusal> {
    let limits = &shared.limits;
    if let Err(retry) = limits.check_code(user) {
        shared
            .audit
            .record("sign_in", user, ip, None, "code_locked");
        return Err(Refusal::RateLimited(retry));
    }
    match shared.accounts.verify_second_factor(user, code).await {
        Ok(()) => {
            limits.code_succeeded(user);
            Ok(())
        }
        Err(AccountError::BadCode | AccountError::NoSecondFactor) => {
            tracing::info!(user = %Untrusted(user), %ip, "wrong authentication code");
            failed(shared, ip, user, "bad_code");
            if limits.code_failed(user) {
                tracing::warn!(user = %Untrusted(user), "second factor locked after wrong codes");
                shared
                    .audit
                    .record("two_factor", user, ip, None, "locked: too many wrong codes");
            }
            Err(Refusal::BadCode)
        }
        Err(error) => Err(Refusal::Unavailable(error)),
    }
}

/// Both steps at once, as the app sends them: the code may come with the
/// password or, after [`Refusal::CodeRequired`], with a second try. One
/// attempt against the limits, like a password alone.
pub async fn check(
    shared: &Shared,
    ip: IpAddr,
    user: &str,
    password: &str,
    code: Option<&str>,
) -> Result<Passed, Refusal> {
    let passed = check_password(shared, ip, user, password).await?;
    if passed.standing.two_factor {
        let code = code.ok_or(Refusal::CodeRequired)?;
        verify_code(shared, ip, user, code).await?;
    }
    Ok(passed)
}

/// Records a sign-in that went all the way, from `door` (`app`, `console`).
pub fn succeeded(shared: &Shared, ip: IpAddr, passed: &Passed, door: &str) {
    let user = &passed.standing.expert.username;
    tracing::info!(user = %Untrusted(user), %ip, door, "expert signed in");
    shared.limits.login_succeeded(ip, user);
    // "ok" from the app, as before the console; the console and a second
    // factor are named.
    let mut detail = String::from("ok");
    if door != "app" {
        detail += &format!(", {door}");
    }
    if passed.standing.two_factor {
        detail += ", two-factor";
    }
    shared.audit.record("sign_in", user, ip, None, detail);
}

fn admit(shared: &Shared, ip: IpAddr, user: &str) -> Result<(), Refusal> {
    shared.limits.check_login(ip, user).map_err(|retry| {
        shared
            .audit
            .record("sign_in", user, ip, None, "rate_limited");
        shared
            .metrics
            .rate_limited_logins
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Refusal::RateLimited(retry)
    })
}

fn failed(shared: &Shared, ip: IpAddr, user: &str, why: &str) {
    shared.audit.record("sign_in", user, ip, None, why);
    shared.limits.login_failed(ip, user);
}
