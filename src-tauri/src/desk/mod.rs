//! The app's link to the support desk's signaling server.
//!
//! [`link::spawn`] starts one task that owns the WebSocket: it connects,
//! introduces itself with `hello`, keeps the connection alive with pings, and
//! reconnects with [`backoff::Backoff`] when it drops. It publishes its
//! [`DeskStatus`] through a `watch` channel, so the UI can always show
//! "connected", "connecting" or "offline, retrying in N s". The task is the
//! only owner of the socket; everything else holds a [`link::DeskLink`].

pub mod backoff;
pub mod link;
pub mod proxy;
pub mod tls;

use serde::Serialize;

/// The link's state, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeskStatus {
    /// No link has been asked for yet.
    Idle,
    Connecting,
    Connected,
    /// The last attempt failed; the next starts at `retry_at_ms` (Unix ms).
    Offline {
        #[serde(rename = "retryAtMs")]
        retry_at_ms: u64,
        reason: String,
        /// What the UI has its own words for (the proxy's refusals:
        /// `proxy_auth_refused`, `proxy_unreachable`, ...), if known.
        problem: Option<&'static str>,
    },
}

/// A client ID as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedId {
    /// Six digits.
    pub id: String,
    /// When it stops working (Unix ms), for the countdown.
    pub expires_at_ms: u64,
}

/// Why a request to the desk failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    #[error("the support desk cannot be reached")]
    Offline,
    #[error("the support desk did not answer in time")]
    Timeout,
    #[error("the support desk refused: {message}")]
    Refused {
        code: lifeline_signaling::protocol::ErrorCode,
        message: String,
    },
    #[error("not linked to the support desk as a client")]
    NotLinked,
}
