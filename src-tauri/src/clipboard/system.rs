//! The system clipboard: text through arboard (X11 selections, Wayland with
//! its data-control protocol, Windows, macOS), images through
//! [`super::images`], which keeps the copying program's PNG bytes.

use super::backend::{ClipboardBackend, ClipboardError};
use super::content::ClipContent;
use super::images::Images;

pub struct SystemClipboard {
    text: arboard::Clipboard,
    images: Images,
}

impl std::fmt::Debug for SystemClipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemClipboard")
    }
}

impl SystemClipboard {
    pub fn boxed() -> Result<Box<dyn ClipboardBackend>, ClipboardError> {
        let text =
            arboard::Clipboard::new().map_err(|e| ClipboardError::Unavailable(e.to_string()))?;
        Ok(Box::new(Self {
            text,
            images: Images::open(),
        }))
    }
}

impl ClipboardBackend for SystemClipboard {
    fn get(&mut self) -> Result<ClipContent, ClipboardError> {
        let text_failed = match self.text.get_text() {
            Ok(text) if !text.is_empty() => return Ok(ClipContent::Text(text)),
            Ok(_) | Err(arboard::Error::ContentNotAvailable) => None,
            // An owner that offers only an image may answer a request for
            // text with the image (xclip does): arboard calls that an error.
            Err(error) => Some(ClipboardError::Failed(error.to_string())),
        };
        match self.images.get() {
            Ok(png) => ClipContent::png(png).map_err(|e| ClipboardError::Failed(e.to_string())),
            Err(ClipboardError::Empty) => Err(text_failed.unwrap_or(ClipboardError::Empty)),
            Err(error) => Err(error),
        }
    }

    fn set(&mut self, content: &ClipContent) -> Result<(), ClipboardError> {
        match content {
            ClipContent::Text(text) => self
                .text
                .set_text(text)
                .map_err(|e| ClipboardError::Failed(e.to_string())),
            ClipContent::Png(png) => self.images.set(png),
        }
    }
}
