//! The WebSocket size limit, and how a peer over it is told: close code
//! 1009 ("message too big"), as `docs/signaling-protocol.md` documents.
//!
//! tungstenite refuses a frame whose header announces more than the limit
//! before reading its payload, and a fragmented message once its parts add
//! up to more; either way `recv` returns an error and the connection ends.
//! [`close_if_too_big`] tells that error from the others and sends the
//! close frame first. The unread payload is still in the socket then, so
//! closing it would reset the connection and could discard the close frame
//! on its way: the task waits [`LINGER`] first, reading nothing (reading
//! on would buffer the oversized payload after all).

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};

/// How long a connection closed for size is kept open, unread, so that its
/// close frame reaches the peer before the socket is dropped.
pub const LINGER: Duration = Duration::from_millis(500);

/// The upgrade with the desk's limits: messages and frames of at most `max`
/// bytes, and small buffers (signaling messages are a few KiB, idle
/// connections the common case, and tungstenite reserves 128 KiB to read by
/// default).
pub fn limited(ws: WebSocketUpgrade, max: usize) -> WebSocketUpgrade {
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

/// Whether `recv` failed because a frame or message was over the limit.
pub fn is_too_big(error: &axum::Error) -> bool {
    use tungstenite::error::CapacityError;
    std::error::Error::source(error)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|inner| {
            matches!(
                inner,
                tungstenite::Error::Capacity(CapacityError::MessageTooLong { .. })
            )
        })
}

/// After `recv` failed with `error`: when a message was too big, sends close
/// code 1009 and lingers (see the module docs). Other errors end the
/// connection as they are.
pub async fn close_if_too_big(socket: &mut WebSocket, error: &axum::Error, max: usize) {
    if !is_too_big(error) {
        return;
    }
    tracing::debug!(%error, "closing: message too big");
    let close = Message::Close(Some(CloseFrame {
        code: close_code::SIZE,
        reason: format!("messages are limited to {max} bytes").into(),
    }));
    if socket.send(close).await.is_ok() {
        tokio::time::sleep(LINGER).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_capacity_errors_are_too_big() {
        use tungstenite::error::CapacityError;
        let big = axum::Error::new(tungstenite::Error::Capacity(
            CapacityError::MessageTooLong {
                size: 70_000,
                max_size: 65_536,
            },
        ));
        assert!(is_too_big(&big));
        let closed = axum::Error::new(tungstenite::Error::ConnectionClosed);
        assert!(!is_too_big(&closed));
        let io = axum::Error::new(std::io::Error::other("reset"));
        assert!(!is_too_big(&io));
    }
}
