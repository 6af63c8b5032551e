//! What the desk offers the people it helps: `/client-config` (its card,
//! as JSON or as a `desk.toml`), `/get-help` (installers and the link
//! that opens the app for this desk) and `/downloads/{name}`.

pub mod card;
pub mod downloads;
mod page;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::protocol::client_card::ClientCard;
use crate::state::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/client-config", get(client_config))
        .route("/get-help", get(get_help))
        .route("/downloads/{name}", get(download))
}

#[derive(Debug, Deserialize)]
struct Format {
    format: Option<String>,
}

fn card_for(shared: &Shared, headers: &HeaderMap) -> ClientCard {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    shared.front.card(&shared.policy.current().desk_name, host)
}

async fn client_config(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(format): Query<Format>,
) -> Response {
    let card = card_for(&shared, &headers);
    match format.format.as_deref() {
        Some("toml") => (
            [
                (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"desk.toml\"",
                ),
            ],
            card::desk_file(&card),
        )
            .into_response(),
        None | Some("json") => Json(card).into_response(),
        Some(_) => (StatusCode::BAD_REQUEST, "format is json or toml\n").into_response(),
    }
}

async fn get_help(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let card = card_for(&shared, &headers);
    let installers = shared
        .front
        .downloads
        .as_deref()
        .map(downloads::list)
        .unwrap_or_default();
    let page = page::render(&card, card::link(&card).as_deref(), &installers);
    let mut response = Html(page.into_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src data:; style-src 'unsafe-inline'"),
    );
    response
}

async fn download(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let dir = shared.front.downloads.as_deref();
    let Some(path) = dir.and_then(|dir| downloads::find(dir, &name)) else {
        return (StatusCode::NOT_FOUND, "no such installer\n").into_response();
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "an installer cannot be read");
            return (StatusCode::NOT_FOUND, "no such installer\n").into_response();
        }
    };
    let length = file.metadata().await.map(|m| m.len()).unwrap_or_default();
    let body = Body::from_stream(chunks(file));
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// The file in chunks of 64 KiB, ending at its end or its first error.
fn chunks(file: tokio::fs::File) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut chunk = vec![0u8; 64 * 1024];
        match file.read(&mut chunk).await {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok(chunk), Some(file)))
            }
            Err(error) => Some((Err(error), None)),
        }
    })
}
