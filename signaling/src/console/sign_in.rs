//! Signing in to the console: the password, then the second factor for an
//! account that has one, through [`crate::sign_in`], the same flow, limits
//! and audit as the app's. And signing out.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::sign_in::{self, Passed, Refusal};
use crate::state::Shared;

use super::form::Fields;
use super::guard::{self, Change, SESSION_COOKIE};
use super::page::{self, Flash};

/// The sign-in form's own CSRF secret, before there is a session.
const FORM_COOKIE: &str = "lifeline_form";
/// The half-done sign-in's handle.
const PENDING_COOKIE: &str = "lifeline_pending";

/// `GET /console/sign-in`.
pub async fn show(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    password_form(&shared, &headers, None, StatusCode::OK)
}

fn password_form(
    shared: &Shared,
    headers: &HeaderMap,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (secret, fresh) = form_secret(headers);
    let body = html! {
        @if !secure_enough(headers) {
            (page::flash(Flash::Error, "This page is not served over HTTPS, so the browser will not keep the sign-in. Put the desk behind a TLS proxy (see the deployment guide)."))
        }
        @if let Some(error) = error { (page::flash(Flash::Error, error)) }
        form.stack #sign-in method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(guard::csrf_for(&secret));
            label { "User name" input #user name="user" autocomplete="username" required maxlength="64" autofocus; }
            label { "Password" input #password name="password" type="password" autocomplete="current-password" required maxlength="1024"; }
            button #sign-in-submit type="submit" { "Sign in" }
        }
    };
    let desk = shared.policy.current().desk_name;
    with_form_cookie(
        page::respond(status, page::frame("Sign in", None, &desk, body)),
        fresh.as_deref(),
    )
}

/// The form cookie's secret, and a new one to set when the browser sent
/// none.
fn form_secret(headers: &HeaderMap) -> (String, Option<String>) {
    match guard::cookie(headers, FORM_COOKIE) {
        Some(secret) => (secret.to_owned(), None),
        None => {
            let secret = crate::random::hex::<16>();
            (secret.clone(), Some(secret))
        }
    }
}

fn with_form_cookie(mut response: Response, fresh: Option<&str>) -> Response {
    if let Some(secret) = fresh {
        response.headers_mut().append(
            header::SET_COOKIE,
            guard::set_cookie(FORM_COOKIE, secret, 3600),
        );
    }
    response
}

/// Browsers keep `Secure` cookies over HTTPS and on the machine itself.
fn secure_enough(headers: &HeaderMap) -> bool {
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name);
    https || name == "localhost" || name == "[::1]" || name.starts_with("127.")
}

/// A form from the sign-in pages carries the form cookie's token.
fn form_csrf_ok(headers: &HeaderMap, fields: &Fields) -> bool {
    let expected = guard::cookie(headers, FORM_COOKIE).map(guard::csrf_for);
    matches!((expected, fields.csrf()), (Some(a), Some(b)) if guard::same(&a, b))
        && !guard::cross_site(headers)
}

/// `POST /console/sign-in`.
pub async fn submit(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    fields: Fields,
) -> Response {
    if !form_csrf_ok(&headers, &fields) {
        return password_form(
            &shared,
            &headers,
            Some("The form expired; please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let (Ok(user), Ok(password)) = (
        fields.required("user", 64),
        fields.password("password", 1024),
    ) else {
        return password_form(
            &shared,
            &headers,
            Some("Enter your user name and password."),
            StatusCode::BAD_REQUEST,
        );
    };
    match sign_in::check_password(&shared, peer.ip(), &user, &password).await {
        Ok(passed) if passed.standing.two_factor => {
            let handle = shared.console_pending.hold(&user);
            let mut response = Redirect::to("/console/sign-in/code").into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                guard::set_cookie(
                    PENDING_COOKIE,
                    &handle,
                    super::pending::PENDING_FOR.as_secs(),
                ),
            );
            response
        }
        Ok(passed) => signed_in(&shared, peer, &passed).await,
        Err(refusal) => {
            let (status, message) = refusal_text(&refusal);
            password_form(&shared, &headers, Some(&message), status)
        }
    }
}

/// `GET /console/sign-in/code`.
pub async fn show_code(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let waiting =
        guard::cookie(&headers, PENDING_COOKIE).and_then(|h| shared.console_pending.who(h));
    if waiting.is_none() {
        return Redirect::to("/console/sign-in").into_response();
    }
    code_form(&shared, &headers, None, StatusCode::OK)
}

fn code_form(
    shared: &Shared,
    headers: &HeaderMap,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (secret, fresh) = form_secret(headers);
    let body: Markup = html! {
        @if let Some(error) = error { (page::flash(Flash::Error, error)) }
        p { "Enter the 6-digit code from your authenticator app, or one of your recovery codes." }
        form.stack #code-form method="post" action="/console/sign-in/code" {
            input type="hidden" name="csrf" value=(guard::csrf_for(&secret));
            label { "Authentication code" input #code name="code" autocomplete="one-time-code" inputmode="numeric" required maxlength="32" autofocus; }
            button #code-submit type="submit" { "Verify" }
        }
        p { a href="/console/sign-in" { "Start again" } }
    };
    let desk = shared.policy.current().desk_name;
    with_form_cookie(
        page::respond(status, page::frame("Two-factor sign-in", None, &desk, body)),
        fresh.as_deref(),
    )
}

/// `POST /console/sign-in/code`.
pub async fn submit_code(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    fields: Fields,
) -> Response {
    if !form_csrf_ok(&headers, &fields) {
        return code_form(
            &shared,
            &headers,
            Some("The form expired; please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let handle = guard::cookie(&headers, PENDING_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let Some(user) = shared.console_pending.attempt(&handle) else {
        return password_form(
            &shared,
            &headers,
            Some("The sign-in timed out or had too many wrong codes. Sign in again."),
            StatusCode::UNAUTHORIZED,
        );
    };
    let Ok(code) = fields.required("code", 32) else {
        return code_form(
            &shared,
            &headers,
            Some("Enter the code."),
            StatusCode::BAD_REQUEST,
        );
    };
    if let Err(refusal) = sign_in::check_code(&shared, peer.ip(), &user, &code).await {
        let (status, message) = refusal_text(&refusal);
        return code_form(&shared, &headers, Some(&message), status);
    }
    shared.console_pending.finish(&handle);
    // Read again: an admin may have disabled the account since its
    // password was checked.
    let passed = match shared.accounts.standing(&user).await {
        Ok(standing) if standing.disabled => {
            let (status, message) = refusal_text(&Refusal::Disabled);
            return password_form(&shared, &headers, Some(&message), status);
        }
        Ok(standing) => Passed { standing },
        Err(error) => return page::unavailable(&error),
    };
    let mut response = signed_in(&shared, peer, &passed).await;
    response
        .headers_mut()
        .append(header::SET_COOKIE, guard::clear_cookie(PENDING_COOKIE));
    response
}

/// Issues the session cookie and goes to the console.
async fn signed_in(shared: &Shared, peer: SocketAddr, passed: &Passed) -> Response {
    match shared
        .accounts
        .issue_token(&passed.standing.expert.username)
        .await
    {
        Ok(token) => {
            sign_in::succeeded(shared, peer.ip(), passed, "console");
            guard::enter(shared, &token)
        }
        Err(error) => page::unavailable(&error),
    }
}

fn refusal_text(refusal: &Refusal) -> (StatusCode, String) {
    match refusal {
        Refusal::RateLimited(retry) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many attempts. Try again in {} s.", retry.secs()),
        ),
        Refusal::BadCredentials => (
            StatusCode::UNAUTHORIZED,
            "Wrong user name or password.".into(),
        ),
        Refusal::Disabled => (
            StatusCode::FORBIDDEN,
            "This account is disabled. Ask a desk admin.".into(),
        ),
        Refusal::CodeRequired => (
            StatusCode::UNAUTHORIZED,
            "Enter your authentication code.".into(),
        ),
        Refusal::BadCode => (
            StatusCode::UNAUTHORIZED,
            "That code is wrong or was already used.".into(),
        ),
        Refusal::Unavailable(error) => {
            tracing::error!(%error, "console sign-in: the account store failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The desk cannot check accounts right now; try again shortly.".into(),
            )
        }
    }
}

/// `POST /console/sign-out`.
pub async fn sign_out(
    State(shared): State<Arc<Shared>>,
    Change { visitor, .. }: Change,
) -> Response {
    if let Err(error) = shared.accounts.logout(&visitor.token).await {
        return page::unavailable(&error);
    }
    shared.audit.record(
        "sign_out",
        visitor.username(),
        visitor.peer.ip(),
        None,
        "console",
    );
    let mut response = Redirect::to("/console/sign-in").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, guard::clear_cookie(SESSION_COOKIE));
    response
}
