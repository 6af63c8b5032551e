//! The system clipboard through arboard (X11 selections, Wayland with its
//! data-control protocol, Windows, macOS). Text only for now.

use super::backend::{ClipboardBackend, ClipboardError};

pub struct ArboardClipboard {
    clipboard: arboard::Clipboard,
}

impl std::fmt::Debug for ArboardClipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArboardClipboard")
    }
}

impl ArboardClipboard {
    pub fn boxed() -> Result<Box<dyn ClipboardBackend>, ClipboardError> {
        let clipboard =
            arboard::Clipboard::new().map_err(|e| ClipboardError::Unavailable(e.to_string()))?;
        Ok(Box::new(Self { clipboard }))
    }
}

impl ClipboardBackend for ArboardClipboard {
    fn get_text(&mut self) -> Result<String, ClipboardError> {
        match self.clipboard.get_text() {
            Ok(text) => Ok(text),
            Err(arboard::Error::ContentNotAvailable) => Err(ClipboardError::Empty),
            Err(error) => Err(ClipboardError::Failed(error.to_string())),
        }
    }

    fn set_text(&mut self, text: &str) -> Result<(), ClipboardError> {
        self.clipboard
            .set_text(text)
            .map_err(|e| ClipboardError::Failed(e.to_string()))
    }
}
