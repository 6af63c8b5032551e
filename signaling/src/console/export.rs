//! The reports' CSV exports, streamed: every row the filter matches, read
//! by one query and sent a batch at a time. An export of 100,000 sessions
//! holds one batch in memory, the download starts at once, and a browser
//! that goes away stops the reading.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use crate::report::csv_field;
use crate::state::Shared;

use super::page;

/// Rows per chunk.
pub const BATCH: usize = 1_000;

/// A report's columns: heading, and the cell for a row.
pub type Columns<R> = [(&'static str, fn(&R) -> String)];

/// One CSV line (RFC 4180), each field quoted as needed.
pub fn csv_line(fields: impl Iterator<Item = String>) -> String {
    let mut line = fields.map(|f| csv_field(&f)).collect::<Vec<_>>().join(",");
    line += "\r\n";
    line
}

/// Where a report's rows go: each batch becomes a chunk of the download.
#[derive(Clone)]
pub struct Sink<R: 'static> {
    chunks: mpsc::Sender<Result<String, std::io::Error>>,
    columns: &'static Columns<R>,
}

impl<R> Sink<R> {
    /// Sends one batch; false once the browser has gone.
    pub async fn send(&self, rows: Vec<R>) -> bool {
        let chunk: String = rows
            .iter()
            .map(|row| csv_line(self.columns.iter().map(|(_, cell)| cell(row))))
            .collect();
        self.chunks.send(Ok(chunk)).await.is_ok()
    }
}

/// The longest an export may take; a download slower than this ends short.
const EXPORT_TIME: Duration = Duration::from_secs(300);

/// A place for one more export, if one is free.
pub fn place(shared: &Shared) -> Option<OwnedSemaphorePermit> {
    Arc::clone(&shared.console_exports).try_acquire_owned().ok()
}

/// What an export gets when no place is free.
pub fn busy() -> Response {
    page::problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "Other exports are running; try again in a moment.",
    )
}

/// Streams `columns`' headings, then the rows `produce` sends to its sink,
/// to a download named `name`, holding `place` until it ends.
pub fn stream<R, F, Fut>(
    name: &str,
    columns: &'static Columns<R>,
    place: OwnedSemaphorePermit,
    produce: F,
) -> Response
where
    R: Send + Sync + 'static,
    F: FnOnce(Sink<R>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), sqlx::Error>> + Send,
{
    let (chunks, rx) = mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        let headings = csv_line(columns.iter().map(|(h, _)| (*h).to_owned()));
        if chunks.send(Ok(headings)).await.is_err() {
            return;
        }
        let sink = Sink {
            chunks: chunks.clone(),
            columns,
        };
        let failed = match tokio::time::timeout(EXPORT_TIME, produce(sink)).await {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(error.to_string()),
            Err(_) => Some(format!("took over {} s", EXPORT_TIME.as_secs())),
        };
        if let Some(error) = failed {
            // The status line has gone: the download ends short.
            tracing::error!(%error, "an export failed part way");
            let _ = chunks.send(Err(std::io::Error::other(error))).await;
        }
        drop(place);
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
    if let Ok(value) = disposition.parse() {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
