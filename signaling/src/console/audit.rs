//! The audit log in the console, for admins: the same filters, pages and
//! export as the sessions report.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use crate::audit::AuditEntry;
use crate::db::now_ms;
use crate::report::format_time;
use crate::report_pages::{self, Cursor};
use crate::state::Shared;

use super::export;
use super::filters::{self, Params};
use super::guard::Admin;
use super::page::{self, Flash};

type Cell = fn(&AuditEntry) -> String;

/// The log's columns, for the table and the export alike.
const COLUMNS: [(&str, Cell); 6] = [
    ("Time", |e| {
        format_time(e.at_ms)
            .replace('T', " ")
            .trim_end_matches('Z')
            .to_owned()
    }),
    ("Event", |e| e.event.clone()),
    ("Who", |e| e.actor.clone()),
    ("Address", |e| e.ip.clone()),
    ("Session", |e| e.session_id.clone().unwrap_or_default()),
    ("Detail", |e| e.detail.clone()),
];

/// `GET /console/audit`.
pub async fn page(
    State(shared): State<Arc<Shared>>,
    Admin(visitor): Admin,
    Query(params): Query<Params>,
) -> Response {
    let desk = shared.policy.current().desk_name;
    let filter = match filters::filter(&params, now_ms()) {
        Ok(filter) => filter,
        Err(text) => {
            let body = html! { (page::flash(Flash::Error, &text)) p { a href="/console/audit" { "Reset the filter" } } };
            return page::respond(
                StatusCode::BAD_REQUEST,
                page::frame("Audit log", Some(&visitor), &desk, body),
            );
        }
    };
    let cursor = params.after.as_deref().and_then(Cursor::audit_from_param);
    let (rows, next) = match report_pages::audit(&shared.pool, &filter, cursor.as_ref()).await {
        Ok(page) => page,
        Err(error) => return page::unavailable(&error),
    };
    let people = match shared.accounts.list().await {
        Ok(list) => list.into_iter().map(|e| e.username).collect::<Vec<_>>(),
        Err(error) => return page::unavailable(&error),
    };
    let query = filters::query_string(&filter);
    let body = html! {
        (filters::bar("/console/audit", &filter, "Who", &people))
        div.pager {
            a.button #export href={ "/console/audit.csv?" (query) } { "Export CSV" }
            @if cursor.is_some() { a #first-page href={ "/console/audit?" (query) } { "Newest" } }
            @if let Some(next) = &next { a #next-page href={ "/console/audit?" (query) "&after=" (next.to_param()) } { "Older →" } }
        }
        div.table-wrap {
            table #audit {
                thead { tr { @for (heading, _) in COLUMNS { th { (heading) } } } }
                tbody {
                    @for row in &rows {
                        tr { @for (_, cell) in COLUMNS { td.wrap { (cell(row)) } } }
                    }
                }
            }
        }
        @if rows.is_empty() { p.muted #empty { "No entries match." } }
    };
    page::respond(
        StatusCode::OK,
        page::frame("Audit log", Some(&visitor), &desk, body),
    )
}

/// `GET /console/audit.csv`.
pub async fn export(
    State(shared): State<Arc<Shared>>,
    Admin(visitor): Admin,
    Query(params): Query<Params>,
) -> Response {
    let filter = match filters::filter(&params, now_ms()) {
        Ok(filter) => filter,
        Err(text) => return page::problem(StatusCode::BAD_REQUEST, "bad_filter", &text),
    };
    let Some(place) = export::place(&shared) else {
        return export::busy();
    };
    shared.audit.record(
        "report",
        visitor.username(),
        visitor.peer.ip(),
        None,
        format!(
            "audit {}..{} csv",
            &format_time(filter.from_ms)[..10],
            &format_time(filter.to_ms - 1)[..10]
        ),
    );
    let pool = shared.pool.clone();
    export::stream(
        "lifeline-audit.csv",
        &COLUMNS,
        place,
        move |sink| async move {
            report_pages::each_audit(&pool, &filter, export::BATCH, |rows| {
                let sink = sink.clone();
                async move { sink.send(rows).await }
            })
            .await
        },
    )
}
