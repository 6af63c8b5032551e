//! Experts, for admins: add, disable and enable, reset a password (the
//! owner must change it at their next sign-in), reset two-factor sign-in
//! for a lost phone, change a role, and remove. Every change is audited.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::accounts::{AccountError, AccountRole, ExpertRecord, MIN_PASSWORD_CHARS};
use crate::report::format_time;
use crate::state::Shared;

use super::form::Fields;
use super::guard::{Admin, AdminChange, Change, Visitor};
use super::page::{self, Flash, csrf_field};

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
    user: Option<String>,
}

/// `GET /console/experts`, after a change `?done=<action>&user=<user>`.
pub async fn page(
    State(shared): State<Arc<Shared>>,
    Admin(visitor): Admin,
    Query(done): Query<Done>,
) -> Response {
    let flash = match (done.done, done.user) {
        (Some(action), Some(user)) if crate::accounts::check_username(&user).is_ok() => {
            done_text(&action, &user).map(|text| (Flash::Done, text))
        }
        _ => None,
    };
    list_page(&shared, &visitor, flash, StatusCode::OK).await
}

async fn list_page(
    shared: &Shared,
    visitor: &Visitor,
    flash: Option<(Flash, String)>,
    status: StatusCode,
) -> Response {
    let experts = match shared.accounts.list().await {
        Ok(list) => list,
        Err(error) => return page::unavailable(&error),
    };
    let mut standings = Vec::with_capacity(experts.len());
    for expert in &experts {
        match shared.accounts.standing(&expert.username).await {
            Ok(standing) => standings.push(standing),
            Err(error) => return page::unavailable(&error),
        }
    }
    let body = html! {
        @if let Some((kind, text)) = &flash { (page::flash(*kind, text)) }
        div.table-wrap {
            table #experts {
                thead { tr { th { "User" } th { "Shown as" } th { "Role" } th { "Status" } th { "Two-factor" } th { "Added" } th { "Actions" } } }
                tbody {
                    @for (expert, standing) in experts.iter().zip(&standings) {
                        tr data-user=(expert.username) {
                            td { (expert.username) }
                            td { (expert.display_name) }
                            td { (expert.role.as_str()) }
                            td {
                                @if standing.disabled { span.badge.off { "disabled" } } @else { span.badge { "active" } }
                                @if standing.must_change_password { " " span.badge { "must change password" } }
                            }
                            td { @if standing.two_factor { "on" } @else { "off" } }
                            td { (format_time(expert.created_at_ms)[..10]) }
                            td { (actions(visitor, expert, standing.disabled, standing.two_factor)) }
                        }
                    }
                }
            }
        }
        h2 { "Add an expert" }
        form.stack #add-expert method="post" action="/console/experts" {
            (csrf_field(visitor))
            input type="hidden" name="action" value="add";
            label { "User name" input #new-user name="user" required maxlength="64" autocomplete="off"; }
            label { "Shown to clients as" input #new-display name="display_name" required maxlength="64" autocomplete="off"; }
            label { "Password (at least " (MIN_PASSWORD_CHARS) " characters)"
                input #new-password name="password" type="password" required minlength=(MIN_PASSWORD_CHARS) autocomplete="new-password"; }
            label { "Role" select #new-role name="role" { option value="expert" { "expert" } option value="admin" { "admin" } } }
            button #add-submit type="submit" { "Add" }
        }
    };
    let desk = shared.policy.current().desk_name;
    page::respond(status, page::frame("Experts", Some(visitor), &desk, body))
}

fn actions(
    visitor: &Visitor,
    expert: &ExpertRecord,
    disabled: bool,
    two_factor: bool,
) -> maud::Markup {
    let me = expert.username == visitor.username();
    let button = |action: &str, label: &str, class: &str| {
        html! {
            form.inline method="post" action="/console/experts" {
                (csrf_field(visitor))
                input type="hidden" name="user" value=(expert.username);
                input type="hidden" name="action" value=(action);
                button class=(class) data-action=(action) type="submit" { (label) }
            }
        }
    };
    html! {
        @if !me {
            @if disabled { (button("enable", "Enable", "quiet")) } @else { (button("disable", "Disable", "danger")) }
            @if expert.role == AccountRole::Admin { (button("make_expert", "Make expert", "quiet")) } @else { (button("make_admin", "Make admin", "quiet")) }
        }
        @if two_factor { (button("reset_two_factor", "Reset two-factor", "quiet")) }
        details {
            summary { "Reset password" }
            form.stack method="post" action="/console/experts" {
                (csrf_field(visitor))
                input type="hidden" name="user" value=(expert.username);
                input type="hidden" name="action" value="reset_password";
                label { "Temporary password" input name="password" type="password" required minlength=(MIN_PASSWORD_CHARS) autocomplete="new-password"; }
                button.quiet data-action="reset_password" type="submit" { "Reset" }
            }
        }
        @if !me { a.remove href={ "/console/experts/remove?user=" (expert.username) } { "Remove…" } }
    }
}

#[derive(Debug, Deserialize)]
pub struct Who {
    user: Option<String>,
}

/// `GET /console/experts/remove?user=`: asks before removing.
pub async fn confirm_remove(
    State(shared): State<Arc<Shared>>,
    Admin(visitor): Admin,
    Query(who): Query<Who>,
) -> Response {
    let user = who.user.unwrap_or_default();
    if crate::accounts::check_username(&user).is_err() {
        return page::problem(StatusCode::BAD_REQUEST, "bad_user", "No such expert.");
    }
    let body = html! {
        p { "Remove " strong { (user) } "? They are signed out everywhere and cannot sign in again. Their session records stay in the report." }
        form.inline method="post" action="/console/experts" {
            (csrf_field(&visitor))
            input type="hidden" name="user" value=(user);
            input type="hidden" name="action" value="remove";
            button.danger #remove-confirm type="submit" { "Remove" }
        }
        " " a href="/console/experts" { "Cancel" }
    };
    let desk = shared.policy.current().desk_name;
    page::respond(
        StatusCode::OK,
        page::frame("Remove an expert", Some(&visitor), &desk, body),
    )
}

/// `POST /console/experts`: one change, named by `action`.
pub async fn change(
    State(shared): State<Arc<Shared>>,
    AdminChange(Change { visitor, fields }): AdminChange,
) -> Response {
    match apply(&shared, &visitor, &fields).await {
        // Post, redirect, get: reloading the page changes nothing again.
        Ok((action, user)) => {
            Redirect::to(&format!("/console/experts?done={action}&user={user}")).into_response()
        }
        Err(Refused::Bad(text)) => {
            let flash = Some((Flash::Error, text));
            list_page(&shared, &visitor, flash, StatusCode::BAD_REQUEST).await
        }
        Err(Refused::Failed(error)) => page::unavailable(&error),
    }
}

enum Refused {
    /// The admin's input was wrong: said on the page, nothing changed.
    Bad(String),
    Failed(AccountError),
}

impl From<AccountError> for Refused {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Database(_) | AccountError::Busy => Refused::Failed(error),
            AccountError::Hash(_) => Refused::Bad("That password is too long.".into()),
            other => Refused::Bad(other.to_string()),
        }
    }
}

impl From<super::form::FieldError> for Refused {
    fn from(error: super::form::FieldError) -> Self {
        Refused::Bad(error.to_string())
    }
}

/// Carries out the form's change; returns the action and the user, for the
/// page the browser is sent to.
async fn apply(
    shared: &Shared,
    visitor: &Visitor,
    fields: &Fields,
) -> Result<(String, String), Refused> {
    let action = fields.required("action", 32)?;
    let user = fields.required("user", 64)?;
    crate::accounts::check_username(&user)?;
    let accounts = &shared.accounts;
    let me = user == visitor.username();
    if me && matches!(action.as_str(), "disable" | "remove" | "make_expert") {
        return Err(Refused::Bad(
            "You cannot do that to your own account.".into(),
        ));
    }
    match action.as_str() {
        "add" => {
            let display = fields.required("display_name", 64)?;
            let password = fields.password("password", 1024)?;
            let role: AccountRole = fields.required("role", 16)?.parse()?;
            accounts
                .add_with_role(&user, &display, &password, role)
                .await?;
        }
        "disable" => {
            accounts.set_disabled(&user, true).await?;
        }
        "enable" => {
            accounts.set_disabled(&user, false).await?;
        }
        "reset_password" => {
            let password = fields.password("password", 1024)?;
            accounts.reset_password(&user, &password).await?;
        }
        "reset_two_factor" => {
            accounts.clear_two_factor(&user).await?;
        }
        "make_admin" | "make_expert" => {
            let role = if action == "make_admin" {
                AccountRole::Admin
            } else {
                AccountRole::Expert
            };
            accounts.set_role(&user, role).await?;
        }
        "remove" => {
            accounts.remove(&user).await?;
        }
        _ => return Err(Refused::Bad("Unknown action.".into())),
    }
    shared.audit.record(
        "expert",
        visitor.username(),
        visitor.peer.ip(),
        None,
        format!("{action} {user}"),
    );
    Ok((action, user))
}

/// What the page says after `action` on `user` went through.
fn done_text(action: &str, user: &str) -> Option<String> {
    Some(match action {
        "add" => format!("Added {user}."),
        "disable" => format!("{user} is disabled and signed out everywhere."),
        "enable" => format!("{user} can sign in again."),
        "reset_password" => {
            format!("{user}'s password is reset; they must change it at their next sign-in.")
        }
        "reset_two_factor" => {
            format!("{user}'s two-factor sign-in is off; they can set it up again.")
        }
        "make_admin" => format!("{user} is now an admin."),
        "make_expert" => format!("{user} is now an expert."),
        "remove" => format!("Removed {user}."),
        _ => return None,
    })
}
