//! Live, for admins: client IDs waiting for an expert, and requests and
//! sessions under way, refreshed every five seconds by the page itself (a
//! meta refresh: the console runs no script). An admin can end a request
//! still waiting for its client's answer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use crate::protocol::SessionId;
use crate::state::Shared;

use super::guard::{Admin, AdminChange, Change};
use super::page::{self, csrf_field};

fn clock(d: Duration) -> String {
    let secs = d.as_secs();
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `GET /console/live`.
pub async fn page(State(shared): State<Arc<Shared>>, Admin(visitor): Admin) -> Response {
    let live = shared.hub.live().await;
    let body = html! {
        h2 { "Waiting for an expert (" (live.waiting.len()) ")" }
        div.table-wrap {
            table #waiting {
                thead { tr { th { "ID" } th { "Computer" } th { "User" } th { "Description" } th { "Expires in" } th { "Link" } } }
                tbody {
                    @for w in &live.waiting {
                        tr {
                            td { (w.id) } td { (w.computer) } td { (w.user) } td.wrap { (w.description) }
                            td { (clock(w.expires_in)) }
                            td { @if w.offline { span.badge.off { "reconnecting" } } @else { span.badge { "online" } } }
                        }
                    }
                }
            }
        }
        h2 { "Requests and sessions (" (live.sessions.len()) ")" }
        div.table-wrap {
            table #live-sessions {
                thead { tr { th { "Expert" } th { "Client ID" } th { "Computer" } th { "User" } th { "State" } th { "For" } th { "" } } }
                tbody {
                    @for s in &live.sessions {
                        tr data-session=(s.session) {
                            td { (s.expert) } td { (s.client_id) } td { (s.computer) } td { (s.user) }
                            td {
                                @match (&s.granted, s.answer_within) {
                                    (Some(granted), _) => { "running: " (serde_json::to_string(granted).unwrap_or_default()) }
                                    (None, Some(left)) => { "waiting for the client (" (clock(left)) " left)" }
                                    (None, None) => { "waiting" }
                                }
                            }
                            td { (clock(s.since)) }
                            td {
                                @if s.granted.is_none() {
                                    form.inline method="post" action="/console/live/end" {
                                        (csrf_field(&visitor))
                                        input type="hidden" name="session" value=(s.session);
                                        button.danger.end-request type="submit" { "End request" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let desk = shared.policy.current().desk_name;
    let mut response = page::respond(
        StatusCode::OK,
        page::frame("Live", Some(&visitor), &desk, body),
    );
    // Every browser reloads on `Refresh`; no script needed.
    response
        .headers_mut()
        .insert("refresh", axum::http::HeaderValue::from_static("5"));
    response
}

/// `POST /console/live/end`.
pub async fn end(
    State(shared): State<Arc<Shared>>,
    AdminChange(Change { visitor, fields }): AdminChange,
) -> Response {
    let session = match fields.required("session", 64).map(SessionId::parse) {
        Ok(Ok(session)) => session,
        _ => return page::problem(StatusCode::BAD_REQUEST, "bad_session", "No such request."),
    };
    match shared.hub.end_request(session.clone()).await {
        Ok(()) => {
            shared.audit.record(
                "console",
                visitor.username(),
                visitor.peer.ip(),
                Some(session.as_str()),
                "ended a waiting request",
            );
            Redirect::to("/console/live").into_response()
        }
        Err(refusal) => page::problem(
            StatusCode::CONFLICT,
            refusal.code.as_str(),
            &refusal.message,
        ),
    }
}
