//! The visitor's own account: changing the password (required after an
//! admin's reset) and setting up two-factor sign-in.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use maud::{Markup, html};

use crate::accounts::{AccountError, MIN_PASSWORD_CHARS};
use crate::state::Shared;

use super::guard::{self, Change, Visitor};
use super::page::{self, Flash, csrf_field};

fn respond(
    shared: &Shared,
    visitor: &Visitor,
    title: &str,
    status: StatusCode,
    body: Markup,
) -> Response {
    let desk = shared.policy.current().desk_name;
    page::respond(status, page::frame(title, Some(visitor), &desk, body))
}

/// `GET /console/password`.
pub async fn password(State(shared): State<Arc<Shared>>, visitor: Visitor) -> Response {
    password_page(&shared, &visitor, None, StatusCode::OK)
}

fn password_page(
    shared: &Shared,
    visitor: &Visitor,
    flash: Option<(Flash, &str)>,
    status: StatusCode,
) -> Response {
    let body = html! {
        @if visitor.standing.must_change_password {
            (page::flash(Flash::Error, "A desk admin reset your password. Choose a new one to go on."))
        }
        @if let Some((kind, text)) = flash { (page::flash(kind, text)) }
        form.stack #password-form method="post" action="/console/password" {
            (csrf_field(visitor))
            label { "Current password" input #current name="current" type="password" autocomplete="current-password" required; }
            label { "New password (at least " (MIN_PASSWORD_CHARS) " characters)"
                input #new-password name="new" type="password" autocomplete="new-password" required minlength=(MIN_PASSWORD_CHARS); }
            label { "New password again" input #confirm name="confirm" type="password" autocomplete="new-password" required; }
            button #password-submit type="submit" { "Change password" }
        }
    };
    respond(shared, visitor, "Change password", status, body)
}

/// `POST /console/password`.
pub async fn change_password(
    State(shared): State<Arc<Shared>>,
    Change { visitor, fields }: Change,
) -> Response {
    if let Err(retry) = shared
        .limits
        .check_login(visitor.peer.ip(), visitor.username())
    {
        let text = format!("Too many attempts. Try again in {} s.", retry.secs());
        return password_page(
            &shared,
            &visitor,
            Some((Flash::Error, &text)),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let bad = |text: &str| {
        password_page(
            &shared,
            &visitor,
            Some((Flash::Error, text)),
            StatusCode::BAD_REQUEST,
        )
    };
    let (current, new, confirm) = match (
        fields.password("current", 1024),
        fields.password("new", 1024),
        fields.password("confirm", 1024),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return bad(&e.to_string()),
    };
    if new != confirm {
        return bad("The two new passwords differ.");
    }
    match shared
        .accounts
        .change_password(visitor.username(), &current, &new)
        .await
    {
        Ok(token) => {
            shared.audit.record(
                "password",
                visitor.username(),
                visitor.peer.ip(),
                None,
                "changed, console",
            );
            guard::enter(&shared, &token)
        }
        Err(AccountError::BadCredentials) => {
            shared
                .limits
                .login_failed(visitor.peer.ip(), visitor.username());
            bad("The current password is wrong.")
        }
        Err(error @ (AccountError::WeakPassword | AccountError::SamePassword)) => {
            bad(&error.to_string())
        }
        Err(AccountError::Hash(_)) => bad("That password is too long."),
        Err(error) => page::unavailable(&error),
    }
}

/// `GET /console/two-factor`.
pub async fn two_factor(State(shared): State<Arc<Shared>>, visitor: Visitor) -> Response {
    two_factor_page(&shared, &visitor, None, StatusCode::OK).await
}

async fn two_factor_page(
    shared: &Shared,
    visitor: &Visitor,
    flash: Option<(Flash, &str)>,
    status: StatusCode,
) -> Response {
    let user = visitor.username();
    let issuer = issuer(shared);
    let (pending, left) = match (
        shared.accounts.pending_two_factor(user, &issuer).await,
        shared.accounts.recovery_codes_left(user).await,
    ) {
        (Ok(p), Ok(l)) => (p, l),
        (Err(error), _) | (_, Err(error)) => return page::unavailable(&error),
    };
    let required = shared.policy.current().require_two_factor;
    let body = html! {
        @if let Some((kind, text)) = flash { (page::flash(kind, text)) }
        @if visitor.standing.two_factor {
            p #two-factor-on { "Two-factor sign-in is on. " (left) " recovery codes left." }
        } @else if required {
            (page::flash(Flash::Error, "This desk requires two-factor sign-in. Set it up to go on."))
        } @else {
            p #two-factor-off { "Two-factor sign-in is off." }
        }
        @if let Some(enrollment) = pending {
            h2 { "Scan this code with your authenticator app" }
            img.qr #qr src=(qr_data_url(&enrollment.url)) alt="QR code for your authenticator app";
            p { "Or type this key: " code #secret { (enrollment.secret) } }
            form.stack #confirm-form method="post" action="/console/two-factor/confirm" {
                (csrf_field(visitor))
                label { "The 6-digit code the app shows" input #confirm-code name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="16"; }
                button #confirm-submit type="submit" { "Turn on two-factor sign-in" }
            }
        } @else {
            form.stack method="post" action="/console/two-factor/begin" {
                (csrf_field(visitor))
                @if visitor.standing.two_factor {
                    // Replacing a second factor takes the password again.
                    label { "Password" input #move-password name="password" type="password" autocomplete="current-password" required; }
                    button #begin-two-factor type="submit" { "Move to a new phone" }
                } @else {
                    button #begin-two-factor type="submit" { "Set up two-factor sign-in" }
                }
            }
        }
        @if visitor.standing.two_factor && !required {
            h2 { "Turn off" }
            form.stack method="post" action="/console/two-factor/off" {
                (csrf_field(visitor))
                label { "Password" input name="password" type="password" autocomplete="current-password" required; }
                button.danger #two-factor-off-submit type="submit" { "Turn off two-factor sign-in" }
            }
        }
    };
    respond(shared, visitor, "Two-factor sign-in", status, body)
}

/// The name an authenticator app lists the account under.
fn issuer(shared: &Shared) -> String {
    let desk = shared.policy.current().desk_name;
    if desk.is_empty() {
        "Lifeline".into()
    } else {
        format!("Lifeline {desk}")
    }
}

/// The QR code of `text` as an SVG data URL (the CSP allows `data:`
/// images, nothing inline).
fn qr_data_url(text: &str) -> String {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default();
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// `POST /console/two-factor/begin`.
pub async fn begin(
    State(shared): State<Arc<Shared>>,
    Change { visitor, fields }: Change,
) -> Response {
    // Someone holding only the cookie must not swap in their own phone.
    if visitor.standing.two_factor {
        let password = fields.password("password", 1024).unwrap_or_default();
        let ip = visitor.peer.ip();
        if crate::sign_in::check_password(&shared, ip, visitor.username(), &password)
            .await
            .is_err()
        {
            let wrong = Some((Flash::Error, "The password is wrong."));
            return two_factor_page(&shared, &visitor, wrong, StatusCode::UNAUTHORIZED).await;
        }
    }
    match shared
        .accounts
        .begin_two_factor(visitor.username(), &issuer(&shared))
        .await
    {
        Ok(_) => Redirect::to("/console/two-factor").into_response(),
        Err(error) => page::unavailable(&error),
    }
}

/// `POST /console/two-factor/confirm`: the first code; shows the recovery
/// codes, once.
pub async fn confirm(
    State(shared): State<Arc<Shared>>,
    Change { visitor, fields }: Change,
) -> Response {
    let ip = visitor.peer.ip();
    if let Err(retry) = shared.limits.check_login(ip, visitor.username()) {
        let text = format!("Too many attempts. Try again in {} s.", retry.secs());
        return two_factor_page(
            &shared,
            &visitor,
            Some((Flash::Error, &text)),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    let code = fields.required("code", 16).unwrap_or_default();
    match shared
        .accounts
        .confirm_two_factor(visitor.username(), &code)
        .await
    {
        Ok(codes) => {
            shared
                .audit
                .record("two_factor", visitor.username(), ip, None, "enrolled");
            let body = html! {
                (page::flash(Flash::Done, "Two-factor sign-in is on."))
                p { "Keep these recovery codes somewhere safe. Each signs in once if you lose your phone. They are shown only now." }
                ul.codes #recovery-codes { @for code in &codes { li { (code) } } }
                p { a.button href="/console" { "Done" } }
            };
            respond(&shared, &visitor, "Recovery codes", StatusCode::OK, body)
        }
        Err(AccountError::BadCode | AccountError::NoSecondFactor) => {
            shared.limits.login_failed(ip, visitor.username());
            two_factor_page(
                &shared,
                &visitor,
                Some((
                    Flash::Error,
                    "That code is wrong; check the phone's clock and try the next code.",
                )),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(error) => page::unavailable(&error),
    }
}

/// `POST /console/two-factor/off`: needs the password again.
pub async fn turn_off(
    State(shared): State<Arc<Shared>>,
    Change { visitor, fields }: Change,
) -> Response {
    if shared.policy.current().require_two_factor {
        return two_factor_page(
            &shared,
            &visitor,
            Some((Flash::Error, "This desk requires two-factor sign-in.")),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let password = fields.password("password", 1024).unwrap_or_default();
    let ip = visitor.peer.ip();
    if let Err(refusal) =
        crate::sign_in::check_password(&shared, ip, visitor.username(), &password).await
    {
        let _ = refusal;
        return two_factor_page(
            &shared,
            &visitor,
            Some((Flash::Error, "The password is wrong.")),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    match shared.accounts.clear_two_factor(visitor.username()).await {
        Ok(()) => {
            shared
                .audit
                .record("two_factor", visitor.username(), ip, None, "turned off");
            Redirect::to("/console/two-factor").into_response()
        }
        Err(error) => page::unavailable(&error),
    }
}
