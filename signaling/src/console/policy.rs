//! Desk policy, for admins: the desk's name, the consent timeout, and what
//! every session must have. Saved together; the next request follows it.

use std::sync::Arc;

use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use crate::policy::{CONSENT_TIMEOUT_SECS, DeskPolicy};
use crate::protocol::{Scope, Scopes};
use crate::state::Shared;

use super::form::Fields;
use super::guard::{Admin, AdminChange, Change, Visitor};
use super::page::{self, Flash, csrf_field};

#[derive(Debug, serde::Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// `GET /console/policy` (`?saved=1` after a change: post, redirect, get).
pub async fn page(
    State(shared): State<Arc<Shared>>,
    Admin(visitor): Admin,
    Query(saved): Query<Saved>,
) -> Response {
    let flash = saved
        .saved
        .map(|_| (Flash::Done, "Saved. New requests follow it.".to_owned()));
    let policy = shared.policy.current();
    policy_page(&shared, &visitor, &policy, flash, StatusCode::OK)
}

fn scope_label(scope: Scope) -> &'static str {
    match scope {
        Scope::View => "See the screen",
        Scope::Control => "Control mouse and keyboard",
        Scope::Files => "Files",
        Scope::Clipboard => "Clipboard",
        Scope::Reboot => "Restart the computer",
        Scope::SystemInfo => "System information",
        Scope::Shell => "Command shell",
        Scope::ReverseView => "Show the expert's screen",
    }
}

fn policy_page(
    shared: &Shared,
    visitor: &Visitor,
    shown: &DeskPolicy,
    flash: Option<(Flash, String)>,
    status: StatusCode,
) -> Response {
    let body = html! {
        @if let Some((kind, text)) = &flash { (page::flash(*kind, text)) }
        form.stack #policy method="post" action="/console/policy" {
            (csrf_field(visitor))
            label { "Desk name, shown to clients when an expert asks to connect"
                input #desk-name name="desk_name" maxlength="64" value=(shown.desk_name); }
            label { "Consent timeout, in seconds (" (CONSENT_TIMEOUT_SECS.start()) "–" (CONSENT_TIMEOUT_SECS.end()) ")"
                input #consent-timeout name="consent_timeout_secs" type="number" min=(CONSENT_TIMEOUT_SECS.start()) max=(CONSENT_TIMEOUT_SECS.end()) value=(shown.consent_timeout.as_secs()); }
            label.check { input #require-reason type="checkbox" name="require_reason" checked[shown.require_reason]; "Every request needs a reason or ticket number" }
            label.check { input #record-sessions type="checkbox" name="record_sessions" checked[shown.record_sessions]; "Record every session" }
            label.check { input #require-pin type="checkbox" name="require_pin" checked[shown.require_pin]; "Clients bind every session with a PIN" }
            label.check { input #require-two-factor type="checkbox" name="require_two_factor" checked[shown.require_two_factor]; "Every account signs in with two-factor authentication" }
            fieldset {
                legend { "Permissions an expert may ask for" }
                @for scope in Scope::ALL {
                    label.check {
                        input type="checkbox" name="scope" value=(scope.to_string())
                            checked[shown.allowed_scopes.contains(scope)] disabled[scope == Scope::View];
                        (scope_label(scope))
                    }
                }
            }
            button #policy-submit type="submit" { "Save" }
        }
    };
    let desk = shared.policy.current().desk_name;
    page::respond(
        status,
        page::frame("Desk policy", Some(visitor), &desk, body),
    )
}

/// `POST /console/policy`.
pub async fn save(
    State(shared): State<Arc<Shared>>,
    AdminChange(Change { visitor, fields }): AdminChange,
) -> Response {
    let before = shared.policy.current();
    let changes = match read(&fields) {
        Ok(changes) => changes,
        Err(text) => {
            return policy_page(
                &shared,
                &visitor,
                &before,
                Some((Flash::Error, text)),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    match shared.policy.update(&changes).await {
        Ok((before, after)) => {
            // One entry per setting changed: the log keeps 64 characters
            // of a detail.
            let changed = after
                .settings()
                .into_iter()
                .zip(before.settings())
                .filter(|(a, b)| a.1 != b.1);
            for ((name, value), _) in changed {
                shared.audit.record(
                    "policy",
                    visitor.username(),
                    visitor.peer.ip(),
                    None,
                    format!("{name}={value}"),
                );
            }
            if let Some(cluster) = shared.hub.cluster() {
                cluster
                    .announce(crate::cluster::Announcement::PolicyChanged)
                    .await;
            }
            Redirect::to("/console/policy?saved=1").into_response()
        }
        Err(crate::policy::PolicyError::Database(error)) => page::unavailable(&error),
        Err(error) => policy_page(
            &shared,
            &visitor,
            &before,
            Some((Flash::Error, error.to_string())),
            StatusCode::BAD_REQUEST,
        ),
    }
}

/// The form as policy settings, or what is wrong with it.
fn read(fields: &Fields) -> Result<Vec<(&'static str, String)>, String> {
    let text = |e: super::form::FieldError| e.to_string();
    let mut scopes: Scopes = [Scope::View].into_iter().collect();
    for value in fields.all("scope") {
        let scope = Scope::ALL
            .into_iter()
            .find(|s| s.to_string() == value)
            .ok_or("An unknown permission was sent.")?;
        scopes = scopes.with(scope);
    }
    Ok(vec![
        (
            "desk_name",
            fields
                .text("desk_name", 64)
                .map_err(text)?
                .unwrap_or_default(),
        ),
        (
            "consent_timeout_secs",
            fields
                .number("consent_timeout_secs")
                .map_err(text)?
                .to_string(),
        ),
        (
            "require_reason",
            fields.checked("require_reason").map_err(text)?.to_string(),
        ),
        (
            "record_sessions",
            fields.checked("record_sessions").map_err(text)?.to_string(),
        ),
        (
            "require_pin",
            fields.checked("require_pin").map_err(text)?.to_string(),
        ),
        (
            "require_two_factor",
            fields
                .checked("require_two_factor")
                .map_err(text)?
                .to_string(),
        ),
        (
            "allowed_scopes",
            serde_json::to_string(&scopes).map_err(|e| e.to_string())?,
        ),
    ])
}
