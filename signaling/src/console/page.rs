//! The console's page frame, its error pages and its one stylesheet.
//! Pages are HTML rendered on the server (maud escapes every value); there
//! is no script at all, which the Content-Security-Policy enforces.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::guard::Visitor;

/// A page: the frame with the desk's name, the menu for the visitor's role
/// and `body`.
pub fn frame(title: &str, visitor: Option<&Visitor>, desk: &str, body: Markup) -> Markup {
    let desk = if desk.is_empty() {
        "Lifeline desk"
    } else {
        desk
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (desk) }
                link rel="stylesheet" href="/console/console.css";
            }
            body {
                header.top {
                    span.desk { (desk) }
                    @if let Some(visitor) = visitor {
                        (menu(visitor))
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn menu(visitor: &Visitor) -> Markup {
    html! {
        nav #menu {
            a href="/console/sessions" { "Sessions" }
            @if visitor.is_admin() {
                a href="/console/live" { "Live" }
                a href="/console/audit" { "Audit log" }
                a href="/console/experts" { "Experts" }
                a href="/console/policy" { "Policy" }
            }
            a href="/console/two-factor" { "Two-factor" }
            a href="/console/password" { "Password" }
            form.inline method="post" action="/console/sign-out" {
                input type="hidden" name="csrf" value=(visitor.csrf);
                button #sign-out type="submit" {
                    "Sign out " span.who { (visitor.username()) }
                }
            }
        }
    }
}

/// A hidden CSRF field for a visitor's form.
pub fn csrf_field(visitor: &Visitor) -> Markup {
    html! { input type="hidden" name="csrf" value=(visitor.csrf); }
}

/// A message above a form: what went wrong, or what was done.
pub fn flash(kind: Flash, text: &str) -> Markup {
    let class = match kind {
        Flash::Error => "flash error",
        Flash::Done => "flash done",
    };
    html! { p class=(class) role="status" { (text) } }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    Error,
    Done,
}

/// A whole page as a response.
pub fn respond(status: StatusCode, page: Markup) -> Response {
    (status, Html(page.into_string())).into_response()
}

/// An error page with a `{code, message}` pair, like the API's, for a
/// request that went wrong before any page could show it.
pub fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    let body = html! {
        p.flash.error #problem data-code=(code) { (message) }
        p { a href="/console" { "Back to the console" } }
    };
    respond(status, frame("Something went wrong", None, "", body))
}

pub fn forbidden(visitor: &Visitor) -> Response {
    let body = html! {
        p.flash.error #problem data-code="forbidden" {
            "Only a desk admin may open this page."
        }
    };
    respond(
        StatusCode::FORBIDDEN,
        frame("Not allowed", Some(visitor), "", body),
    )
}

pub fn unavailable(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "console: the database failed");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "The desk cannot reach its database right now; try again shortly.",
    )
}

/// `GET /console/console.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

const STYLE: &str = r#"
:root { --ink: #1b2430; --muted: #5b6675; --line: #d8dee6; --accent: #0b6bcb;
        --bad: #b3261e; --good: #1e7b34; --bg: #f6f8fa; font-family: system-ui, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--bg); font-size: 15px; }
header.top { display: flex; flex-wrap: wrap; gap: 12px; align-items: center;
             padding: 10px 20px; background: #12324f; color: #fff; }
header.top .desk { font-weight: 600; margin-right: auto; }
nav#menu { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; }
nav#menu a { color: #dce9f7; text-decoration: none; }
nav#menu a:hover { text-decoration: underline; }
nav#menu button { background: none; border: 1px solid #6d8aa6; color: #fff; border-radius: 4px;
                  padding: 3px 8px; cursor: pointer; }
main { padding: 16px 20px 40px; max-width: 1400px; }
h1 { font-size: 22px; margin: 4px 0 16px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
form.inline { display: inline; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; margin-bottom: 12px; }
label { display: flex; flex-direction: column; gap: 3px; font-size: 13px; color: var(--muted); }
label.check { flex-direction: row; align-items: center; gap: 6px; color: var(--ink); font-size: 15px; }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid var(--line);
                          border-radius: 4px; background: #fff; color: var(--ink); }
button, .button { font: inherit; padding: 6px 12px; border-radius: 4px; border: 1px solid var(--accent);
                  background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.quiet { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
.stack { display: flex; flex-direction: column; gap: 10px; max-width: 420px; }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef2f6; position: sticky; top: 0; white-space: nowrap; }
td.wrap { max-width: 260px; overflow-wrap: anywhere; }
.pager { display: flex; gap: 12px; margin: 10px 0; align-items: center; }
.muted { color: var(--muted); }
.flash { padding: 8px 12px; border-radius: 4px; max-width: 720px; }
.flash.error { background: #fdecea; color: var(--bad); }
.flash.done { background: #e6f4ea; color: var(--good); }
.badge { display: inline-block; padding: 1px 6px; border-radius: 8px; background: #eef2f6; font-size: 12px; }
.badge.off { background: #fdecea; color: var(--bad); }
.codes { font-family: ui-monospace, monospace; font-size: 16px; columns: 2; max-width: 360px; }
img.qr { width: 220px; height: 220px; image-rendering: pixelated; background: #fff; padding: 8px; }
@media (max-width: 700px) {
  main { padding: 12px; }
  header.top { padding: 8px 12px; }
  .stack { max-width: none; }
}
"#;
