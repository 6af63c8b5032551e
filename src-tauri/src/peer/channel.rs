//! A data channel of the peer connection, as the rest of the app sees it:
//! whether it is open, the messages that arrive, and text or bytes to send.
//! The only face of webrtc-rs's data channels outside `peer/`.

use std::sync::Arc;

use bytes::BytesMut;
use webrtc::data_channel::{DataChannel, DataChannelEvent, RTCDataChannelState};

/// One data channel; clones share it.
#[derive(Clone)]
pub struct Channel(Arc<dyn DataChannel>);

/// What a channel reports, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// The channel opened: it can carry messages now.
    Open,
    /// A message from the other peer; `text` for one sent as a string.
    Message { text: bool, data: BytesMut },
    /// The channel closed (and stays closed).
    Closed,
}

/// A message could not go out: the channel or the connection is closing.
#[derive(Debug, thiserror::Error)]
#[error("the data channel could not send: {0}")]
pub struct ChannelError(String);

impl From<webrtc::error::Error> for ChannelError {
    fn from(error: webrtc::error::Error) -> Self {
        Self(error.to_string())
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Channel").field(&self.0.id()).finish()
    }
}

impl Channel {
    pub(super) fn new(inner: Arc<dyn DataChannel>) -> Self {
        Self(inner)
    }

    /// The name it was opened with (empty if the channel is gone).
    pub async fn label(&self) -> String {
        self.0.label().await.unwrap_or_default()
    }

    pub async fn is_open(&self) -> bool {
        matches!(self.0.ready_state().await, Ok(RTCDataChannelState::Open))
    }

    /// The next thing the channel reports. Errors and buffer marks are the
    /// connection's business, not the reader's: they are skipped.
    pub async fn next(&self) -> Incoming {
        loop {
            match self.0.poll().await {
                Some(DataChannelEvent::OnOpen) => return Incoming::Open,
                Some(DataChannelEvent::OnMessage(message)) => {
                    return Incoming::Message {
                        text: message.is_string,
                        data: message.data,
                    };
                }
                Some(DataChannelEvent::OnClose) | None => return Incoming::Closed,
                Some(_) => {}
            }
        }
    }

    /// Waits until the channel is open: false if it closed first.
    pub async fn opened(&self) -> bool {
        if self.is_open().await {
            return true;
        }
        loop {
            match self.next().await {
                Incoming::Open => return true,
                Incoming::Closed => return false,
                Incoming::Message { .. } => {}
            }
        }
    }

    pub async fn send_text(&self, text: &str) -> Result<(), ChannelError> {
        Ok(self.0.send_text(text).await?)
    }

    /// Sends `data` as one binary message; waits while the channel's send
    /// buffer is full.
    pub async fn send_bytes(&self, data: &[u8]) -> Result<(), ChannelError> {
        Ok(self.0.send(BytesMut::from(data)).await?)
    }

    /// The bytes sent that the other peer has not yet acknowledged,
    /// queued or in flight.
    pub async fn outstanding(&self) -> usize {
        self.0.outstanding_bytes().await.unwrap_or(0)
    }

    pub async fn close(&self) {
        if let Err(error) = self.0.close().await {
            tracing::debug!(%error, "data channel already closed");
        }
    }
}
