//! The Session Usage Report in the console: a page of sessions, newest
//! first, with the filter bar, and its CSV export. The table's columns and
//! the export's are one list ([`COLUMNS`]), so the export holds exactly
//! what the table shows, for every row the filter matches.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use crate::db::now_ms;
use crate::records::SessionRecord;
use crate::report::format_time;
use crate::report_pages::{self, Cursor, Filter};
use crate::state::Shared;

use super::export;
use super::filters::{self, Params};
use super::guard::Visitor;
use super::page::{self, Flash};

type Cell = fn(&SessionRecord) -> String;

/// The report's columns: heading, and the cell for a row.
pub const COLUMNS: [(&str, Cell); 16] = [
    ("Requested", |r| time(r.requested_at_ms)),
    ("Expert", |r| r.expert.clone()),
    ("Computer", |r| r.computer_name.clone()),
    ("Client user", |r| r.computer_user.clone()),
    ("Description", |r| r.description.clone()),
    ("Reason", |r| opt(&r.reason)),
    ("Outcome", |r| opt(&r.outcome)),
    ("Start", |r| r.started_at_ms.map(time).unwrap_or_default()),
    ("End", |r| r.ended_at_ms.map(time).unwrap_or_default()),
    ("Duration", duration),
    ("Granted", |r| opt(&r.scopes_granted)),
    ("Withdrawn", |r| opt(&r.scopes_withdrawn)),
    ("Path", path),
    ("Notes", |r| r.notes.clone()),
    ("Recording", |r| opt(&r.recordings)),
    ("Session", |r| r.session_id.clone()),
];

fn time(ms: i64) -> String {
    format_time(ms)
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_owned()
}

fn opt(text: &Option<String>) -> String {
    text.clone().unwrap_or_default()
}

fn duration(r: &SessionRecord) -> String {
    let (Some(start), Some(end)) = (r.started_at_ms, r.ended_at_ms) else {
        return String::new();
    };
    let secs = (end - start).max(0) / 1000;
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

fn path(r: &SessionRecord) -> String {
    match (&r.expert_path, &r.client_path) {
        (Some(e), Some(c)) if e == c => e.clone(),
        (Some(e), Some(c)) => format!("expert {e}, client {c}"),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => String::new(),
    }
}

/// The filter a visitor may use: an expert's is always their own.
fn visitor_filter(visitor: &Visitor, params: &Params) -> Result<Filter, String> {
    let mut filter = filters::filter(params, now_ms())?;
    if !visitor.is_admin() {
        filter.who = Some(visitor.username().to_owned());
    }
    Ok(filter)
}

/// `GET /console/sessions`.
pub async fn page(
    State(shared): State<Arc<Shared>>,
    visitor: Visitor,
    Query(params): Query<Params>,
) -> Response {
    let desk = shared.policy.current().desk_name;
    let filter = match visitor_filter(&visitor, &params) {
        Ok(filter) => filter,
        Err(text) => {
            let body = html! { (page::flash(Flash::Error, &text)) p { a href="/console/sessions" { "Reset the filter" } } };
            return page::respond(
                StatusCode::BAD_REQUEST,
                page::frame("Sessions", Some(&visitor), &desk, body),
            );
        }
    };
    let cursor = params.after.as_deref().and_then(Cursor::session_from_param);
    let (rows, next) = match report_pages::sessions(&shared.pool, &filter, cursor.as_ref()).await {
        Ok(page) => page,
        Err(error) => return page::unavailable(&error),
    };
    audit_read(&shared, &visitor, &filter, "page");
    let people = if visitor.is_admin() {
        match shared.accounts.list().await {
            Ok(list) => list.into_iter().map(|e| e.username).collect(),
            Err(error) => return page::unavailable(&error),
        }
    } else {
        Vec::new()
    };
    let query = filters::query_string(&filter);
    let body = html! {
        (filters::bar("/console/sessions", &filter, "Expert", &people))
        div.pager {
            a.button #export href={ "/console/sessions.csv?" (query) } { "Export CSV" }
            @if cursor.is_some() { a #first-page href={ "/console/sessions?" (query) } { "Newest" } }
            @if let Some(next) = &next { a #next-page href={ "/console/sessions?" (query) "&after=" (next.to_param()) } { "Older →" } }
            span.muted #row-count { (rows.len()) " sessions on this page" }
        }
        div.table-wrap {
            table #sessions {
                thead { tr { @for (heading, _) in COLUMNS { th { (heading) } } } }
                tbody {
                    @for row in &rows {
                        tr { @for (_, cell) in COLUMNS { td.wrap { (cell(row)) } } }
                    }
                }
            }
        }
        @if rows.is_empty() { p.muted #empty { "No sessions match." } }
    };
    page::respond(
        StatusCode::OK,
        page::frame("Sessions", Some(&visitor), &desk, body),
    )
}

/// `GET /console/sessions.csv`: every session the filter matches, with the
/// table's columns.
pub async fn export(
    State(shared): State<Arc<Shared>>,
    visitor: Visitor,
    Query(params): Query<Params>,
) -> Response {
    let filter = match visitor_filter(&visitor, &params) {
        Ok(filter) => filter,
        Err(text) => return page::problem(StatusCode::BAD_REQUEST, "bad_filter", &text),
    };
    let Some(place) = export::place(&shared) else {
        return export::busy();
    };
    audit_read(&shared, &visitor, &filter, "csv");
    let pool = shared.pool.clone();
    export::stream(
        "lifeline-sessions.csv",
        &COLUMNS,
        place,
        move |sink| async move {
            report_pages::each_session(&pool, &filter, export::BATCH, |rows| {
                let sink = sink.clone();
                async move { sink.send(rows).await }
            })
            .await
        },
    )
}

/// Each read of the report is in the audit log, as the API's are.
fn audit_read(shared: &Shared, visitor: &Visitor, filter: &Filter, how: &str) {
    let scope = if visitor.is_admin() { "all" } else { "own" };
    let detail = format!(
        "sessions {}..{} {how}, {scope}",
        &format_time(filter.from_ms)[..10],
        &format_time(filter.to_ms - 1)[..10]
    );
    shared.audit.record(
        "report",
        visitor.username(),
        visitor.peer.ip(),
        None,
        detail,
    );
}
