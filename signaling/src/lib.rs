//! Lifeline's signaling server, as a library with a thin binary.
//!
//! # Layout
//! - [`protocol`]: the wire types shared with the app (always built; the app
//!   uses this crate with default features off and gets only this).
//! - [`ids`]: one-time six-digit client IDs: issue, expire, use, supersede.
//! - [`hub`]: the one owner of shared state (client IDs), as a task.
//! - [`connection`]: one task per WebSocket; parses, bounds and answers.
//! - [`serve`]: the HTTP listener: `/ws`, `/healthz`.
//!
//! # Run loop
//! [`serve`] starts the hub task, then accepts connections; each upgraded
//! WebSocket gets its own task with a [`hub::HubHandle`]. Shutting down stops
//! accepting and lets open connections finish.

#[cfg(feature = "server")]
pub mod connection;
#[cfg(feature = "server")]
pub mod hub;
#[cfg(feature = "server")]
pub mod ids;
pub mod protocol;

#[cfg(feature = "server")]
pub use server::{Config, serve};

#[cfg(feature = "server")]
mod server {
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use axum::Router;
    use axum::extract::WebSocketUpgrade;
    use axum::routing::get;

    use crate::connection;
    use crate::hub::{self, ConnId};

    /// Server settings.
    #[derive(Debug, Clone)]
    pub struct Config {
        /// The largest WebSocket message accepted, in bytes.
        pub max_message_bytes: usize,
        /// How long a disconnected client keeps its ID.
        pub reconnect_grace: Duration,
    }

    impl Default for Config {
        fn default() -> Self {
            Self {
                max_message_bytes: 64 * 1024,
                reconnect_grace: Duration::from_secs(30),
            }
        }
    }

    /// Serves the signaling endpoints on `listener` until `shutdown` completes.
    pub async fn serve(
        listener: tokio::net::TcpListener,
        config: Config,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let max = config.max_message_bytes;
        let hub = hub::spawn(config.reconnect_grace);
        let next_conn = Arc::new(AtomicU64::new(1));
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route(
                "/ws",
                get(move |ws: WebSocketUpgrade| async move {
                    let conn = ConnId(next_conn.fetch_add(1, Ordering::Relaxed));
                    ws.max_message_size(max)
                        .max_frame_size(max)
                        .on_upgrade(move |socket| connection::run(socket, conn, hub))
                }),
            );
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
