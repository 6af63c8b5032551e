//! The routes: `/ws` for the apps, `/healthz` (`ok` while the database
//! answers, else 503), `/metrics` (loopback or
//! the metrics token), and the signed-in reports `/api/sessions` (an expert
//! reads their own sessions, an admin everyone's) and `/api/audit` (admins
//! only), and what the desk offers its clients (`/client-config`,
//! `/get-help`, `/downloads/…`, in [`get_help`](crate::get_help)). Every
//! report read is itself audited. The accept loop and its caps
//! are in [`listener`](crate::listener).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use ring::hmac;
use serde::Deserialize;

use crate::accounts::{AccountError, AccountRole, Accounts, Expert};
use crate::cluster::{Announcement, Cluster, ClusterError};
use crate::config::Config;
use crate::db::{self, DbError};
use crate::hub::{self, ConnId, HubConfig, HubHandle};
use crate::limits::Limits;
use crate::listener::{Admission, Places};
use crate::metrics::Metrics;
use crate::policy::PolicyStore;
use crate::state::Shared;
use crate::{audit, connection, console, frames, listener, records, report};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("the listener failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Front(#[from] crate::get_help::card::FrontError),
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
        let front = crate::get_help::card::Front::load(&config.client)?;
        let pool = db::open(&config.database_url).await?;
        let policy = PolicyStore::load(pool.clone(), &config)
            .await
            .map_err(|source| DbError::Open {
                url: config.database_url.clone(),
                source,
            })?;
        let metrics = Arc::new(Metrics::default());
        let records = records::spawn_writer(pool.clone(), Arc::clone(&metrics));
        let audit = audit::spawn_writer(pool.clone());
        let hub = start_hub(&config, &policy, records.clone(), Arc::clone(&metrics)).await?;
        let accounts = Accounts::new(pool.clone(), config.token_idle);
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let shared = Arc::new(Shared {
            closing: closing_rx,
            accounts,
            limits: Limits::new(config.limits),
            policy,
            front,
            console_pending: Default::default(),
            console_exports: Arc::new(tokio::sync::Semaphore::new(console::MAX_EXPORTS)),
            config,
            pool,
            hub,
            records,
            audit,
            metrics,
        });
        if let Some(cluster) = shared.hub.cluster() {
            follow_the_cluster(cluster, &shared);
        }
        Ok(Self { shared, closing })
    }

    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let app = Router::new()
            .route("/healthz", get(health))
            .route("/metrics", get(metrics_text))
            .route("/api/sessions", get(sessions))
            .route("/api/audit", get(audit_log))
            .route("/ws", get(websocket))
            .merge(console::routes())
            .merge(crate::get_help::routes())
            .with_state(Arc::clone(&self.shared));
        let closing = self.closing;
        let shutdown = async move {
            shutdown.await;
            closing.send_replace(true);
        };
        let cluster = self.shared.hub.cluster().cloned();
        listener::serve(listener, app, self.shared, shutdown).await;
        if let Some(cluster) = cluster {
            cluster.leave().await;
        }
        Ok(())
    }
}

/// The hub, and in a cluster the node's link to the others through it.
async fn start_hub(
    config: &Config,
    policy: &PolicyStore,
    records: records::RecordsHandle,
    metrics: Arc<Metrics>,
) -> Result<HubHandle, ServeError> {
    let (events, heard) = tokio::sync::mpsc::unbounded_channel();
    let clustered = config.cluster.is_some();
    let hub = hub::spawn(
        HubConfig {
            reconnect_grace: config.reconnect_grace,
            id_lifetime: config.id_lifetime,
            max_ids: config.limits.max_ids,
            gate: config.limits.gate(),
            ice: config.ice.clone(),
            policy: policy.watch(),
            shared_gate: clustered,
            events: clustered.then_some(events),
        },
        records,
        metrics,
    );
    let Some(cluster) = &config.cluster else {
        return Ok(hub);
    };
    let limits = (config.id_lifetime, config.limits.gate());
    let cluster = Cluster::start(cluster, limits, hub.clone(), heard).await?;
    Ok(hub.routed(cluster))
}

/// Carries policy changes and revocations between this node and the
/// others, each way.
fn follow_the_cluster(cluster: &Arc<Cluster>, shared: &Arc<Shared>) {
    let (relay, mut revoked_here) = tokio::sync::mpsc::unbounded_channel();
    shared.accounts.relay_revocations(relay);
    let outward = Arc::downgrade(cluster);
    tokio::spawn(async move {
        while let Some(account) = revoked_here.recv().await {
            let Some(cluster) = outward.upgrade() else {
                return;
            };
            cluster.announce(Announcement::Revoked(account)).await;
        }
    });
    let mut heard = cluster.announcements();
    let shared = Arc::downgrade(shared);
    tokio::spawn(async move {
        loop {
            let announcement = match heard.recv().await {
                Ok(announcement) => announcement,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    Announcement::PolicyChanged
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let Some(shared) = shared.upgrade() else {
                return;
            };
            match announcement {
                Announcement::PolicyChanged => {
                    if let Err(error) = shared.policy.reload(&shared.config).await {
                        tracing::warn!(%error, "the desk's policy could not be read again");
                    }
                }
                Announcement::Revoked(account) => shared.accounts.heard_revocation(&account),
            }
        }
    });
}

/// `GET /healthz`: `ok` while the desk's database (and, on a desk of
/// several nodes, Redis) answers, else 503 naming which does not, so a
/// load balancer stops sending apps to a node that cannot serve them. A
/// node of a cluster adds a line per backend.
async fn health(State(shared): State<Arc<Shared>>) -> Response {
    let database = db::healthy(&shared.pool).await;
    let Some(cluster) = shared.hub.cluster() else {
        return match database {
            true => "ok".into_response(),
            false => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the desk's database does not answer",
            ),
        };
    };
    let redis = cluster.health().await;
    let mut body = match (database, &redis) {
        (true, Ok(_)) => "ok\n".to_owned(),
        _ => "unavailable\n".to_owned(),
    };
    body.push_str(&format!(
        "node: {}\ndatabase: {}\n",
        cluster.node(),
        if database { "ok" } else { "no answer" }
    ));
    match &redis {
        Ok(rtt) => body.push_str(&format!("redis: ok ({} µs)\n", rtt.as_micros())),
        Err(error) => body.push_str(&format!("redis: {error}\n")),
    }
    let status = match (database, redis) {
        (true, Ok(_)) => StatusCode::OK,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, body).into_response()
}

async fn websocket(
    ws: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admission: Option<Extension<Admission>>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let ip = peer.ip();
    // The places this connection took at accept go on to the WebSocket. A
    // second upgrade on the same connection (the first one failed) asks for
    // a place under the per-IP cap again.
    let places = admission
        .and_then(|Extension(admission)| admission.take())
        .or_else(|| Places::per_ip(&shared.limits, ip));
    let Some(places) = places else {
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
    let conn = ConnId::next();
    let max = shared.config.max_message_bytes;
    frames::limited(ws, max).on_upgrade(move |socket| {
        places.hold_while(move |slot| connection::run(socket, conn, ip, shared, slot))
    })
}

/// `GET /metrics`: to loopback peers, and to anyone with the configured
/// `metrics_token`. It tells how many clients wait and how busy the desk
/// is, which is nobody else's business.
async fn metrics_text(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !metrics_allowed(peer, &headers, shared.config.metrics_token.as_deref()) {
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "metrics are served to loopback, or with Authorization: Bearer <metrics_token>",
        );
    }
    let mut text = shared.metrics.render();
    if let Some(cluster) = shared.hub.cluster() {
        text.push_str(&cluster.render_metrics());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Loopback (an IPv4 peer on a dual-stack socket counts by its IPv4
/// address), or the bearer token compared in constant time.
fn metrics_allowed(peer: SocketAddr, headers: &HeaderMap, token: Option<&str>) -> bool {
    if peer.ip().to_canonical().is_loopback() {
        return true;
    }
    let (Some(expected), Some(presented)) = (token, bearer(headers)) else {
        return false;
    };
    // ring's HMAC verification compares in constant time: sign the expected
    // token under a one-off key and verify the presented one against it.
    let key = hmac::Key::generate(hmac::HMAC_SHA256, &ring::rand::SystemRandom::new());
    let Ok(key) = key else { return false };
    let tag = hmac::sign(&key, expected.as_bytes());
    hmac::verify(&key, presented.as_bytes(), tag.as_ref()).is_ok()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

#[derive(Debug, Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// `GET /api/sessions?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv`, with
/// `Authorization: Bearer <token>` from an expert's sign-in. Without dates
/// it returns the last 30 days. An expert gets their own sessions, an admin
/// everyone's; each read is audited.
async fn sessions(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Response {
    let format = match query.format.as_deref() {
        None | Some("json") => "json",
        Some("csv") => "csv",
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "bad_format",
                "format is json or csv",
            );
        }
    };
    let reader = match signed_in_range(&shared, &headers, &query).await {
        Ok(reader) => reader,
        Err(refused) => return refused.into_response(),
    };
    // An admin reads every expert's sessions; an expert only their own.
    let only = (reader.role != AccountRole::Admin).then_some(reader.expert.username.as_str());
    let scope = only.map_or("all", |_| "own");
    reader.audit(&shared, peer, "sessions", format!("{format}, {scope}"));
    let rows = match records::list(&shared.pool, reader.from, reader.to, only).await {
        Ok(rows) => rows,
        Err(error) => {
            tracing::error!(%error, "report: query failed");
            return Refused::Unavailable.into_response();
        }
    };
    if format == "json" {
        return axum::Json(rows).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"lifeline-sessions.csv\"",
            ),
        ],
        report::to_csv(&rows),
    )
        .into_response()
}

/// `GET /api/audit?from=YYYY-MM-DD&to=YYYY-MM-DD`: the audit log as JSON,
/// with the same sign-in and dates as `/api/sessions`, for admins only.
/// Reads, and refusals to experts, are audited.
async fn audit_log(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Response {
    let reader = match signed_in_range(&shared, &headers, &query).await {
        Ok(reader) => reader,
        Err(refused) => return refused.into_response(),
    };
    if reader.role != AccountRole::Admin {
        reader.audit(&shared, peer, "audit", "refused: not admin");
        return Refused::NotAdmin.into_response();
    }
    reader.audit(&shared, peer, "audit", "json");
    match audit::list(&shared.pool, reader.from, reader.to).await {
        Ok(entries) => axum::Json(entries).into_response(),
        Err(error) => {
            tracing::error!(%error, "audit: query failed");
            Refused::Unavailable.into_response()
        }
    }
}

/// Why a report request was refused.
#[derive(Debug, Clone, Copy)]
enum Refused {
    NotSignedIn,
    InvalidToken,
    NotAdmin,
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
            Refused::NotAdmin => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "only a desk admin may read this",
            ),
            Refused::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again shortly",
            ),
            Refused::BadDate => (
                StatusCode::BAD_REQUEST,
                "bad_date",
                "dates are YYYY-MM-DD, with a year from 0001 to 9999",
            ),
        };
        problem(status, code, message)
    }
}

/// Who asked for a report, and for which days (`[from, to)`, Unix ms).
#[derive(Debug)]
struct Reader {
    expert: Expert,
    role: AccountRole,
    from: i64,
    to: i64,
}

impl Reader {
    /// Records the read in the audit log (event `report`): who, from
    /// where, which report, which days (both inclusive) and how, e.g.
    /// `sessions 2026-11-01..2026-11-30 csv, own`. Short: the log keeps 64
    /// characters of a detail.
    fn audit(&self, shared: &Shared, peer: SocketAddr, what: &str, detail: impl AsRef<str>) {
        let day = |ms: i64| report::format_time(ms)[..10].to_owned();
        let detail = format!(
            "{what} {}..{} {}",
            day(self.from),
            day(self.to - 1),
            detail.as_ref()
        );
        shared
            .audit
            .record("report", &self.expert.username, peer.ip(), None, detail);
    }
}

/// What both reports check first: an expert's sign-in and role, then the
/// dates.
async fn signed_in_range(
    shared: &Shared,
    headers: &HeaderMap,
    query: &ReportQuery,
) -> Result<Reader, Refused> {
    let (expert, role) = authorize(shared, headers).await?;
    let (from, to) = range(query)?;
    Ok(Reader {
        expert,
        role,
        from,
        to,
    })
}

/// Admits an expert's bearer token, or says why not.
async fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(Expert, AccountRole), Refused> {
    let token = bearer(headers).ok_or(Refused::NotSignedIn)?;
    let checked = async {
        let expert = shared.accounts.resume(token).await?;
        let standing = shared.accounts.standing(&expert.username).await?;
        Ok((expert, standing))
    };
    match checked.await {
        // A token the console issued before a debt was paid reads nothing.
        Ok((_, standing)) if crate::sign_in::owed(shared, &standing).is_some() => {
            Err(Refused::InvalidToken)
        }
        Ok((expert, standing)) => Ok((expert, standing.role)),
        Err(AccountError::InvalidToken | AccountError::NoSuchExpert(_)) => {
            Err(Refused::InvalidToken)
        }
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
        // parse_day stops at year 9999, so a day more cannot overflow.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers
    }

    #[test]
    fn metrics_go_to_loopback_or_the_token() {
        let far: SocketAddr = "192.0.2.7:4000".parse().unwrap();
        let none = HeaderMap::new();
        for near in [
            "127.0.0.1:1",
            "127.0.0.2:1",
            "[::1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(
                metrics_allowed(near.parse().unwrap(), &none, None),
                "{near}"
            );
        }
        assert!(!metrics_allowed(far, &none, None));
        assert!(!metrics_allowed(far, &with_bearer("s3cret"), None));
        assert!(!metrics_allowed(far, &none, Some("s3cret")));
        assert!(!metrics_allowed(far, &with_bearer("s3cre"), Some("s3cret")));
        assert!(!metrics_allowed(
            far,
            &with_bearer("s3cret!"),
            Some("s3cret")
        ));
        assert!(metrics_allowed(far, &with_bearer("s3cret"), Some("s3cret")));
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:1".parse().unwrap();
        assert!(!metrics_allowed(mapped, &none, Some("s3cret")));
    }

    #[test]
    fn far_future_dates_are_refused_not_overflowed() {
        let query = |from: &str, to: Option<&str>| ReportQuery {
            from: Some(from.into()),
            to: to.map(Into::into),
            format: None,
        };
        for bad in [
            "9999999999999-01-01",
            "10000-01-01",
            "-2026-01-01",
            "+2026-01-01",
        ] {
            assert!(
                matches!(range(&query(bad, None)), Err(Refused::BadDate)),
                "{bad}"
            );
            assert!(
                matches!(
                    range(&query("2026-01-01", Some(bad))),
                    Err(Refused::BadDate)
                ),
                "{bad}"
            );
        }
        let (from, to) = range(&query("0001-01-01", Some("9999-12-31"))).unwrap();
        assert!(from < 0 && to > from);
    }
}
