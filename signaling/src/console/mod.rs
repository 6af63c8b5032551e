//! The desk's web console at `/console`: the session usage report, the
//! audit log, live requests and sessions, experts and desk policy, for a
//! support manager in a browser. Served by this binary, rendered on the
//! server, with no script: every response carries a Content-Security-Policy
//! that allows none, and every change needs the session's CSRF token.
//!
//! Admins see everything; an expert sees their own sessions and their own
//! account. Sign-in is the app's flow ([`crate::sign_in`]) with its limits,
//! two-factor sign-in and audit.

mod account;
mod audit;
mod experts;
mod export;
mod filters;
mod form;
mod guard;
mod live;
mod page;
mod pending;
mod policy;
mod sessions;
mod sign_in;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::state::Shared;

pub use pending::PendingSignIns;

/// CSV exports that may stream at once (each holds a database connection).
pub const MAX_EXPORTS: usize = 2;

/// No script, no frames, no plugins; styles and images from the desk
/// itself (and `data:` images, the QR code).
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes, under `/console`.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/sessions") }),
        )
        .route(
            "/console/",
            get(|| async { Redirect::to("/console/sessions") }),
        )
        .route("/console/console.css", get(page::stylesheet))
        .route("/console/sign-in", get(sign_in::show).post(sign_in::submit))
        .route(
            "/console/sign-in/code",
            get(sign_in::show_code).post(sign_in::submit_code),
        )
        .route("/console/sign-out", axum::routing::post(sign_in::sign_out))
        .route(
            "/console/password",
            get(account::password).post(account::change_password),
        )
        .route("/console/two-factor", get(account::two_factor))
        .route(
            "/console/two-factor/begin",
            axum::routing::post(account::begin),
        )
        .route(
            "/console/two-factor/confirm",
            axum::routing::post(account::confirm),
        )
        .route(
            "/console/two-factor/off",
            axum::routing::post(account::turn_off),
        )
        .route("/console/sessions", get(sessions::page))
        .route("/console/sessions.csv", get(sessions::export))
        .route("/console/audit", get(audit::page))
        .route("/console/audit.csv", get(audit::export))
        .route("/console/live", get(live::page))
        .route("/console/live/end", axum::routing::post(live::end))
        .route("/console/experts", get(experts::page).post(experts::change))
        .route("/console/experts/remove", get(experts::confirm_remove))
        .route("/console/policy", get(policy::page).post(policy::save))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .layer(DefaultBodyLimit::max(form::MAX_FORM_BYTES))
        .layer(axum::middleware::map_response(secure_headers))
}

async fn not_found() -> Response {
    page::problem(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "There is no such page.",
    )
}

/// The headers every console response carries.
async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response.into_response()
}
