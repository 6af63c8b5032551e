//! Lifeline's signaling server, as a library with a thin binary.
//!
//! # Layout
//! - [`protocol`]: the wire types shared with the app.
//! - [`ids`]: one-time six-digit client IDs: issue, expire, use, supersede.
//! - [`connection`]: one task per WebSocket; parses, bounds and answers.
//! - [`serve`]: the HTTP listener: `/ws`, `/healthz`.

#[cfg(feature = "server")]
pub mod connection;
#[cfg(feature = "server")]
pub mod ids;
pub mod protocol;

#[cfg(feature = "server")]
pub use server::{Config, serve};

#[cfg(feature = "server")]
mod server {
    use std::future::Future;

    use axum::Router;
    use axum::extract::WebSocketUpgrade;
    use axum::routing::get;

    use crate::connection;

    /// Server settings.
    #[derive(Debug, Clone)]
    pub struct Config {
        /// The largest WebSocket message accepted, in bytes.
        pub max_message_bytes: usize,
    }

    impl Default for Config {
        fn default() -> Self {
            Self {
                max_message_bytes: 64 * 1024,
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
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route(
                "/ws",
                get(move |ws: WebSocketUpgrade| async move {
                    ws.max_message_size(max)
                        .max_frame_size(max)
                        .on_upgrade(connection::run)
                }),
            );
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
