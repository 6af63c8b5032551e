//! The platform clipboard behind a trait, so the session can be tested with
//! an in-memory one.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClipboardError {
    #[error("the clipboard is not available: {0}")]
    Unavailable(String),
    #[error("the clipboard holds no text")]
    Empty,
    #[error("clipboard text of {0} bytes is over the {max} byte limit", max = super::MAX_CLIPBOARD_BYTES)]
    TooLarge(usize),
    #[error("clipboard access failed: {0}")]
    Failed(String),
}

pub trait ClipboardBackend: Send {
    fn get_text(&mut self) -> Result<String, ClipboardError>;
    fn set_text(&mut self, text: &str) -> Result<(), ClipboardError>;
}

/// Makes the real clipboard on the owner's thread.
pub type ClipboardFactory =
    std::sync::Arc<dyn Fn() -> Result<Box<dyn ClipboardBackend>, ClipboardError> + Send + Sync>;
