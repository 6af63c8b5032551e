//! The accept loop: caps at accept, a header-read timeout, graceful
//! shutdown.
//!
//! `axum::serve` runs hyper without a timer, so no header-read timeout
//! applies, and it admits every connection it can accept: a thousand
//! half-sent requests from one address once held every file descriptor.
//! Here each accepted socket first takes a place under the global cap
//! ([`Config::connection_cap`](crate::config::Config::connection_cap)) and
//! one under its address's cap ([`Limits::admit`]); a socket over either is
//! closed at once and counted in the metrics. The rest are served by
//! hyper's HTTP/1 server with a [`TokioTimer`] and the configured
//! header-read timeout.
//!
//! Both places ride with the request to `/ws` in an [`Admission`]: the
//! upgraded WebSocket keeps them until it closes, so the per-IP count is of
//! sockets, whether they are still HTTP or already WebSockets.
//!
//! Who owns what: the loop owns the listener; each connection's task owns
//! its socket and its [`Admission`]; the counts live in [`Limits`] (per IP)
//! and in this module's [`GlobalCount`] (all).

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::limits::{ConnectionSlot, Limits};
use crate::state::Shared;

/// How long the loop waits after an accept error other than a reset peer,
/// typically running out of descriptors, before it tries again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(200);

/// Accepts connections on `listener` until `shutdown` completes, then asks
/// open HTTP connections to finish and waits for them. Upgraded WebSockets
/// are told by [`Shared::closing`] and are not waited for.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(shared.config.header_read_timeout);
    let global = GlobalCount::new(shared.config.connection_cap());
    // Each connection's task holds a sender; when all are gone, all are done.
    let (running, mut all_done) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(admission) = admit(&shared, &global, peer) else {
            // Dropping the socket closes it before anything is read.
            continue;
        };
        let task = Connection {
            http: http.clone(),
            app: app.clone(),
            shared: Arc::clone(&shared),
            peer,
            admission,
            _running: running.clone(),
        };
        tokio::spawn(task.serve(stream));
    }
    drop(listener);
    drop(running);
    let _ = all_done.recv().await;
}

/// The global cap and the address's cap, in that order; `None` (counted)
/// when either is full.
fn admit(shared: &Shared, global: &GlobalCount, peer: SocketAddr) -> Option<Admission> {
    let metrics = &shared.metrics;
    let Some(place) = global.enter() else {
        metrics
            .connections_refused_global
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(ip = %peer.ip(), "connection closed: the desk is at its connection cap");
        return None;
    };
    let Some(slot) = shared.limits.admit(peer.ip()) else {
        metrics.connections_refused.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(ip = %peer.ip(), "connection closed: too many from this address");
        return None;
    };
    Some(Admission(Arc::new(Mutex::new(Some(Places {
        global: Some(place),
        slot,
    })))))
}

async fn accept_failed(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    // Most likely out of descriptors: give open connections time to end.
    tracing::error!(%error, "accept failed");
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

/// One accepted connection, served by hyper on its own task.
struct Connection {
    http: http1::Builder,
    app: Router,
    shared: Arc<Shared>,
    peer: SocketAddr,
    admission: Admission,
    /// Dropped when the task ends; see [`serve`].
    _running: mpsc::Sender<()>,
}

impl Connection {
    async fn serve(self, stream: tokio::net::TcpStream) {
        let Self {
            http,
            app,
            shared,
            peer,
            admission,
            _running,
        } = self;
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(admission.clone());
            // A Router is always ready, so `call` needs no `poll_ready`.
            tower_service::Service::call(&mut app.clone(), request)
        });
        let connection = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(connection);
        let mut closing = shared.closing.clone();
        let asked_to_close = async move {
            let _ = closing.wait_for(|closing| *closing).await;
        };
        let result = tokio::select! {
            result = connection.as_mut() => result,
            () = asked_to_close => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = result {
            if error.is_timeout() {
                shared
                    .metrics
                    .header_timeouts
                    .fetch_add(1, Ordering::Relaxed);
                tracing::debug!(ip = %peer.ip(), "closed: request headers too slow");
            } else {
                tracing::trace!(%error, "connection ended with an error");
            }
        }
    }
}

/// A connection's places under the caps, handed from the HTTP connection
/// to the WebSocket it upgrades to (see [`Admission::take`]). While neither
/// has taken them, they go with the connection's task.
#[derive(Debug, Clone)]
pub struct Admission(Arc<Mutex<Option<Places>>>);

/// The places one connection holds under the caps; dropping gives them back.
#[derive(Debug)]
pub struct Places {
    global: Option<GlobalPlace>,
    slot: ConnectionSlot,
}

impl Places {
    /// A place under the per-IP cap alone, for an upgrade whose connection
    /// has none to hand on any more; `None` at the cap.
    pub fn per_ip(limits: &Limits, ip: IpAddr) -> Option<Self> {
        let slot = limits.admit(ip)?;
        Some(Self { global: None, slot })
    }

    /// Runs `work` with the per-IP place (which [`connection::run`] takes)
    /// and keeps the global place until it ends.
    ///
    /// [`connection::run`]: crate::connection::run
    pub async fn hold_while<F: Future>(self, work: impl FnOnce(ConnectionSlot) -> F) -> F::Output {
        let Self { global, slot } = self;
        let output = work(slot).await;
        drop(global);
        output
    }
}

impl Admission {
    /// Takes the places for a WebSocket; `None` if another request on the
    /// same connection took them already.
    pub fn take(&self) -> Option<Places> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// The count of all connections against the global cap. Atomics: it is
/// touched once per accept and once per close, never held.
#[derive(Debug, Clone)]
struct GlobalCount {
    open: Arc<AtomicUsize>,
    cap: usize,
}

impl GlobalCount {
    fn new(cap: usize) -> Self {
        Self {
            open: Arc::default(),
            cap,
        }
    }

    fn enter(&self) -> Option<GlobalPlace> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.cap).then_some(open + 1)
            })
            .ok()?;
        Some(GlobalPlace(Arc::clone(&self.open)))
    }
}

/// One connection counted against the global cap.
#[derive(Debug)]
struct GlobalPlace(Arc<AtomicUsize>);

impl Drop for GlobalPlace {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_global_count_caps_and_releases() {
        let count = GlobalCount::new(2);
        let a = count.enter().unwrap();
        let _b = count.enter().unwrap();
        assert!(count.enter().is_none());
        drop(a);
        assert!(count.enter().is_some());
    }
}
