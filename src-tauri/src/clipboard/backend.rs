//! The platform clipboard behind a trait, so the session can be tested with
//! an in-memory one.

use super::content::ClipContent;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClipboardError {
    #[error("the clipboard is not available: {0}")]
    Unavailable(String),
    #[error("the clipboard holds no text or image")]
    Empty,
    #[error("clipboard content of {0} bytes is over the {max} byte limit", max = super::content::MAX_CLIP_BYTES)]
    TooLarge(usize),
    #[error("clipboard access failed: {0}")]
    Failed(String),
}

pub trait ClipboardBackend: Send {
    /// What the clipboard holds: its text when it offers text, otherwise
    /// its image as the PNG bytes its owner offers; `Empty` for neither.
    fn get(&mut self) -> Result<ClipContent, ClipboardError>;
    /// Puts text or a PNG image on the clipboard, as the only content.
    fn set(&mut self, content: &ClipContent) -> Result<(), ClipboardError>;
}

/// Makes the real clipboard on the owner's thread.
pub type ClipboardFactory =
    std::sync::Arc<dyn Fn() -> Result<Box<dyn ClipboardBackend>, ClipboardError> + Send + Sync>;
