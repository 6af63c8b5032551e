//! The one listener: `/ws` for the apps, `/healthz`, `/metrics`, and the
//! authenticated `/api/sessions` report.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{ConnectInfo, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::accounts::{AccountError, Accounts};
use crate::config::Config;
use crate::db::{self, DbError};
use crate::hub::{self, ConnId, HubConfig};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::state::Shared;
use crate::{audit, connection, records, report};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("the listener failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the signaling endpoints on `listener` until `shutdown` completes,
/// then lets open connections finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    Server::open(config).await?.run(listener, shutdown).await
}

/// A server whose database is open and whose tasks are running, ready to
/// serve a listener.
#[derive(Debug)]
pub struct Server {
    shared: Arc<Shared>,
    closing: tokio::sync::watch::Sender<bool>,
}

impl Server {
    /// Opens the database (applying migrations) and starts the records
    /// writer and the hub.
    pub async fn open(config: Config) -> Result<Self, ServeError> {
        let pool = db::open(&config.database_url).await?;
        let metrics = Arc::new(Metrics::default());
        let records = records::spawn_writer(pool.clone());
        let audit = audit::spawn_writer(pool.clone());
        let hub = hub::spawn(
            HubConfig {
                reconnect_grace: config.reconnect_grace,
                id_lifetime: config.id_lifetime,
                consent_timeout: config.consent_timeout,
                ice: config.ice.clone(),
            },
            records.clone(),
            Arc::clone(&metrics),
        );
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let shared = Arc::new(Shared {
            closing: closing_rx,
            accounts: Accounts::new(pool.clone(), config.token_idle),
            limits: Limits::new(config.limits),
            config,
            pool,
            hub,
            records,
            audit,
            metrics,
        });
        Ok(Self { shared, closing })
    }

    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/metrics", get(metrics_text))
            .route("/api/sessions", get(sessions))
            .route("/api/audit", get(audit_log))
            .route("/ws", get(websocket))
            .with_state(self.shared);
        let closing = self.closing;
        let shutdown = async move {
            shutdown.await;
            closing.send_replace(true);
        };
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
    }
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

async fn websocket(
    ws: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let ip = peer.ip();
    let Some(slot) = shared.limits.admit(ip) else {
        shared
            .metrics
            .connections_refused
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%ip, "connection refused: too many from this address");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections: this address has too many open connections",
        )
            .into_response();
    };
    shared
        .metrics
        .connections_total
        .fetch_add(1, Ordering::Relaxed);
    let conn = ConnId(NEXT_CONN.fetch_add(1, Ordering::Relaxed));
    let max = shared.config.max_message_bytes;
    // Small buffers: signaling messages are a few KiB, and idle connections
    // are the common case (tungstenite reserves 128 KiB to read by default).
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection::run(socket, conn, ip, shared, slot))
}

async fn metrics_text(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// `GET /api/sessions?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv`, with
/// `Authorization: Bearer <token>` from an expert's sign-in. Without dates
/// it returns the last 30 days.
async fn sessions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Response {
    let (from, to) = match signed_in_range(&shared, &headers, &query).await {
        Ok(range) => range,
        Err(refused) => return refused.into_response(),
    };
    let rows = match records::list(&shared.pool, from, to).await {
        Ok(rows) => rows,
        Err(error) => {
            tracing::error!(%error, "report: query failed");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again shortly",
            );
        }
    };
    match query.format.as_deref() {
        None | Some("json") => axum::Json(rows).into_response(),
        Some("csv") => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"lifeline-sessions.csv\"",
                ),
            ],
            report::to_csv(&rows),
        )
            .into_response(),
        Some(_) => problem(
            StatusCode::BAD_REQUEST,
            "bad_format",
            "format is json or csv",
        ),
    }
}

/// `GET /api/audit?from=YYYY-MM-DD&to=YYYY-MM-DD`: the audit log as JSON,
/// with the same sign-in and dates as `/api/sessions`.
async fn audit_log(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Response {
    let (from, to) = match signed_in_range(&shared, &headers, &query).await {
        Ok(range) => range,
        Err(refused) => return refused.into_response(),
    };
    match audit::list(&shared.pool, from, to).await {
        Ok(entries) => axum::Json(entries).into_response(),
        Err(error) => {
            tracing::error!(%error, "audit: query failed");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again shortly",
            )
        }
    }
}

/// Why a report request was refused.
#[derive(Debug, Clone, Copy)]
enum Refused {
    NotSignedIn,
    InvalidToken,
    Unavailable,
    BadDate,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Refused::NotSignedIn => (
                StatusCode::UNAUTHORIZED,
                "not_signed_in",
                "send Authorization: Bearer <token>",
            ),
            Refused::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the token is unknown, revoked or expired",
            ),
            Refused::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again shortly",
            ),
            Refused::BadDate => (StatusCode::BAD_REQUEST, "bad_date", "dates are YYYY-MM-DD"),
        };
        problem(status, code, message)
    }
}

/// Admits an expert's bearer token, or says why not.
/// What both reports check first: an expert's sign-in, then the dates.
async fn signed_in_range(
    shared: &Shared,
    headers: &HeaderMap,
    query: &ReportQuery,
) -> Result<(i64, i64), Refused> {
    authorize(shared, headers).await?;
    range(query)
}

async fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Refused> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Refused::NotSignedIn)?;
    match shared.accounts.resume(token).await {
        Ok(_) => Ok(()),
        Err(AccountError::InvalidToken) => Err(Refused::InvalidToken),
        Err(error) => {
            tracing::error!(%error, "report: account check failed");
            Err(Refused::Unavailable)
        }
    }
}

/// The query's days as `[from, to)` in Unix ms; the last 30 days without.
fn range(query: &ReportQuery) -> Result<(i64, i64), Refused> {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let parse = |day: &Option<String>| day.as_deref().map(report::parse_day);
    let to = match parse(&query.to) {
        None => db::now_ms(),
        Some(Some(start)) => start + DAY_MS,
        Some(None) => return Err(Refused::BadDate),
    };
    let from = match parse(&query.from) {
        None => to - 30 * DAY_MS,
        Some(Some(start)) => start,
        Some(None) => return Err(Refused::BadDate),
    };
    Ok((from, to))
}

/// An HTTP error in the same `{code, message}` shape as the WebSocket's.
fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "code": code, "message": message })),
    )
        .into_response()
}
