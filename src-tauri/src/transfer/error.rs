//! Why a transfer did not finish, as the UI shows it: a stable code and a
//! detail (`{code, message}`, like every error at the UI's boundary). The
//! codes this side decides are named here; a receiver's refusal carries the
//! code it chose, checked by the UI like any other.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct TransferError {
    pub code: String,
    pub message: String,
}

impl TransferError {
    /// The connection, or the channel, went away.
    pub const CONNECTION_LOST: &str = "connection_lost";
    /// This side could not read the file it was sending.
    pub const UNREADABLE: &str = "unreadable";
    /// This side could not write what it was receiving.
    pub const WRITE_FAILED: &str = "write_failed";
    /// Either side cancelled.
    pub const CANCELLED: &str = "cancelled";
    /// The other side answered out of turn.
    pub const PROTOCOL: &str = "protocol";

    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn connection_lost(detail: impl std::fmt::Display) -> Self {
        Self::new(Self::CONNECTION_LOST, detail.to_string())
    }

    pub fn unreadable(detail: impl std::fmt::Display) -> Self {
        Self::new(Self::UNREADABLE, detail.to_string())
    }

    pub fn is_cancelled(&self) -> bool {
        self.code == Self::CANCELLED
    }
}
