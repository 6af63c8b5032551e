//! The reports' CSV exports, streamed: every row the filter matches, read
//! by one query and sent a batch at a time. An export of 100,000 sessions
//! holds one batch in memory, the download starts at once, and a browser
//! that goes away stops the reading.

use std::future::Future;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use crate::report::csv_field;

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

/// Streams `columns`' headings, then the rows `produce` sends to its sink,
/// to a download named `name`.
pub fn stream<R, F, Fut>(name: &str, columns: &'static Columns<R>, produce: F) -> Response
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
        if let Err(error) = produce(sink).await {
            // The status line has gone: the download ends short.
            tracing::error!(%error, "an export failed part way");
            let _ = chunks.send(Err(std::io::Error::other(error))).await;
        }
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
