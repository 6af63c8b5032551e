//! Who is visiting the console: the session cookie, checked on every
//! request, and the CSRF token every change must carry.
//!
//! The cookie holds an ordinary sign-in token (the desk keeps its SHA-256,
//! as for the app's), `HttpOnly` so no script reads it, `SameSite=Strict`
//! so no other site's page sends it, `Secure` so it never crosses plain
//! HTTP (browsers keep secure cookies for `localhost` and `127.0.0.1` too,
//! the desk's own machine). The CSRF token is derived from the session
//! token, so it needs no storage and dies with the sign-in; a form without
//! it, or with another session's, changes nothing.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use ring::digest;

use crate::accounts::{AccountError, AccountRole, Standing};
use crate::state::Shared;

use super::form::Fields;
use super::page;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lifeline_console";

/// A cookie for the console's paths, never readable by a script.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64) -> HeaderValue {
    let text = format!(
        "{name}={value}; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age_secs}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Into the console with a fresh sign-in `token`: its cookie lives as long
/// as the token stays valid without use.
pub fn enter(shared: &Shared, token: &str) -> Response {
    let idle = shared.accounts.idle_timeout().as_secs();
    let mut response = Redirect::to("/console").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, token, idle));
    response
}

/// Removes a cookie.
pub fn clear_cookie(name: &str) -> HeaderValue {
    set_cookie(name, "", 0)
}

/// The value of cookie `name`, if the request sent it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty() && value.len() <= 128)
}

/// The CSRF token for a secret (a session token, or the sign-in form's
/// cookie): a hash no other site can compute without the secret.
pub fn csrf_for(secret: &str) -> String {
    let hash = digest::digest(&digest::SHA256, format!("console-csrf:{secret}").as_bytes());
    hex::encode(&hash.as_ref()[..16])
}

/// Compares in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A browser's word that another site sent the request. A request without
/// the header (an older browser, a script) still needs the token.
pub fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
}

/// A signed-in visitor in good standing.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub standing: Standing,
    pub token: String,
    pub csrf: String,
    pub peer: SocketAddr,
}

impl Visitor {
    pub fn username(&self) -> &str {
        &self.standing.expert.username
    }

    pub fn is_admin(&self) -> bool {
        self.standing.role == AccountRole::Admin
    }

    /// Checks a form's CSRF token and the browser's own cross-site signal:
    /// the refusal to send instead, if either fails.
    pub fn refuse_without_csrf(
        &self,
        headers: &HeaderMap,
        presented: Option<&str>,
    ) -> Option<Response> {
        let valid = presented.is_some_and(|token| same(token, &self.csrf));
        if valid && !cross_site(headers) {
            None
        } else {
            Some(page::problem(
                axum::http::StatusCode::FORBIDDEN,
                "bad_csrf",
                "This form has expired or came from another site. Go back, reload the page and try again.",
            ))
        }
    }
}

/// Pages (and the forms under them) a visitor may use while the account
/// still owes a password change or a second factor.
const ALWAYS_OPEN: [&str; 3] = [
    "/console/password",
    "/console/two-factor",
    "/console/sign-out",
];

impl FromRequestParts<Arc<Shared>> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Response> {
        let to_sign_in = || Redirect::to("/console/sign-in").into_response();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| *peer)
            .ok_or_else(to_sign_in)?;
        let token = cookie(&parts.headers, SESSION_COOKIE)
            .ok_or_else(to_sign_in)?
            .to_owned();
        if shared.limits.check_resume_failures(peer.ip()).is_err() {
            return Err(page::problem(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests from this address; wait a minute.",
            ));
        }
        let expert = match shared.accounts.resume(&token).await {
            Ok(expert) => expert,
            Err(AccountError::InvalidToken) => {
                shared.limits.resume_failed(peer.ip());
                // A stale cookie goes, so it is not tried again on every page.
                let mut response = to_sign_in();
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE));
                return Err(response);
            }
            Err(error) => return Err(page::unavailable(&error)),
        };
        let standing = match shared.accounts.standing(&expert.username).await {
            Ok(standing) if !standing.disabled => standing,
            Ok(_) | Err(AccountError::NoSuchExpert(_)) => return Err(to_sign_in()),
            Err(error) => return Err(page::unavailable(&error)),
        };
        let path = parts.uri.path();
        let open = ALWAYS_OPEN.iter().any(|page| {
            path == *page
                || path
                    .strip_prefix(page)
                    .is_some_and(|rest| rest.starts_with('/'))
        });
        if !open {
            if standing.must_change_password {
                return Err(Redirect::to("/console/password").into_response());
            }
            if shared.policy.current().require_two_factor && !standing.two_factor {
                return Err(Redirect::to("/console/two-factor").into_response());
            }
        }
        Ok(Visitor {
            csrf: csrf_for(&token),
            standing,
            token,
            peer,
        })
    }
}

/// A visitor who is an admin; anyone else gets 403, and the refusal is
/// audited.
#[derive(Debug, Clone)]
pub struct Admin(pub Visitor);

impl FromRequestParts<Arc<Shared>> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, shared).await?;
        if visitor.is_admin() {
            return Ok(Admin(visitor));
        }
        shared.audit.record(
            "console",
            visitor.username(),
            visitor.peer.ip(),
            None,
            format!("refused: not admin, {}", parts.uri.path()),
        );
        Err(page::forbidden(&visitor))
    }
}

/// A change a signed-in visitor submits: their form, its CSRF token
/// checked. A handler that takes one cannot forget the check.
#[derive(Debug)]
pub struct Change {
    pub visitor: Visitor,
    pub fields: Fields,
}

impl FromRequest<Arc<Shared>> for Change {
    type Rejection = Response;

    async fn from_request(request: Request, shared: &Arc<Shared>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, shared).await?;
        changed_by(visitor, parts, body, shared).await
    }
}

/// A change only an admin may submit.
#[derive(Debug)]
pub struct AdminChange(pub Change);

impl FromRequest<Arc<Shared>> for AdminChange {
    type Rejection = Response;

    async fn from_request(request: Request, shared: &Arc<Shared>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Admin(visitor) = Admin::from_request_parts(&mut parts, shared).await?;
        changed_by(visitor, parts, body, shared)
            .await
            .map(AdminChange)
    }
}

async fn changed_by(
    visitor: Visitor,
    parts: Parts,
    body: axum::body::Body,
    shared: &Arc<Shared>,
) -> Result<Change, Response> {
    let headers = parts.headers.clone();
    let fields = Fields::from_request(Request::from_parts(parts, body), shared).await?;
    match visitor.refuse_without_csrf(&headers, fields.csrf()) {
        Some(refused) => Err(refused),
        None => Ok(Change { visitor, fields }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "other=1; lifeline_console_x=2; lifeline_console=abc"
                .parse()
                .unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
        let set = set_cookie(SESSION_COOKIE, "abc", 60);
        let set = set.to_str().unwrap();
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
            assert!(set.contains(attribute), "{set}");
        }
    }

    #[test]
    fn csrf_tokens_differ_by_session_and_compare_exactly() {
        assert_ne!(csrf_for("a"), csrf_for("b"));
        assert_eq!(csrf_for("a").len(), 32);
        assert!(same(&csrf_for("a"), &csrf_for("a")));
        assert!(!same(&csrf_for("a"), &csrf_for("a")[..31]));
    }
}
