//! The reports' CSV exports, streamed: every row the filter matches, a
//! batch at a time by the same keyset as the pages. An export of 100,000
//! sessions holds one batch in memory, the download starts at once, and a
//! browser that goes away stops the reading.

use std::future::Future;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use crate::report::csv_field;
use crate::report_pages::Cursor;

/// Rows read per batch.
pub const BATCH: i64 = 1_000;

/// A report's columns: heading, and the cell for a row.
pub type Columns<R> = [(&'static str, fn(&R) -> String)];

/// One CSV line (RFC 4180), each field quoted as needed.
pub fn csv_line(fields: impl Iterator<Item = String>) -> String {
    let mut line = fields.map(|f| csv_field(&f)).collect::<Vec<_>>().join(",");
    line += "\r\n";
    line
}

/// Streams `columns`' headings, then the cells of every row `batch`
/// yields, to a download named `name`. `batch` is called with the cursor
/// the previous batch returned until it returns none.
pub fn stream<R, F, Fut>(name: &str, columns: &'static Columns<R>, mut batch: F) -> Response
where
    R: Send + 'static,
    F: FnMut(Option<Cursor>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<R>, Option<Cursor>), sqlx::Error>> + Send,
{
    let (chunks, rx) = mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        let headings = csv_line(columns.iter().map(|(h, _)| (*h).to_owned()));
        if chunks.send(Ok(headings)).await.is_err() {
            return;
        }
        let mut cursor = None;
        loop {
            let (rows, next) = match batch(cursor.take()).await {
                Ok(found) => found,
                Err(error) => {
                    // The status line has gone: the download ends short.
                    tracing::error!(%error, "an export failed part way");
                    let _ = chunks.send(Err(std::io::Error::other(error))).await;
                    return;
                }
            };
            let chunk: String = rows
                .iter()
                .map(|row| csv_line(columns.iter().map(|(_, cell)| cell(row))))
                .collect();
            if chunks.send(Ok(chunk)).await.is_err() {
                return;
            }
            match next {
                Some(next) => cursor = Some(next),
                None => return,
            }
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
