//! Clipboard images as PNG bytes, exactly as the copying program offers
//! them (`image/png`), which arboard cannot do: it decodes to pixels and
//! re-encodes. On X11 through x11-clipboard (any target, INCR for large
//! ones); on Wayland through wl-clipboard-rs's data-control client.
//!
//! Setting an image makes it the clipboard's only content, offered as
//! `image/png`, served by a thread of the library's until something else is
//! copied.

use super::backend::ClipboardError;
use super::content::{MAX_CLIP_BYTES, PNG_MIME};

pub enum Images {
    #[cfg(target_os = "linux")]
    X11(Box<x11::X11Images>),
    #[cfg(target_os = "linux")]
    Wayland,
    /// Why images cannot be used here.
    Unavailable(String),
}

impl Images {
    /// The session's display's clipboard: Wayland's when the session has
    /// one (as arboard picks), X11's otherwise.
    pub fn open() -> Self {
        #[cfg(target_os = "linux")]
        {
            if std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty()) {
                return Self::Wayland;
            }
            match x11::X11Images::open() {
                Ok(images) => Self::X11(Box::new(images)),
                Err(error) => Self::Unavailable(error.to_string()),
            }
        }
        #[cfg(not(target_os = "linux"))]
        Self::Unavailable("clipboard images are not supported on this system".into())
    }

    /// The clipboard's PNG; `Empty` when it offers none.
    pub fn get(&self) -> Result<Vec<u8>, ClipboardError> {
        let png = match self {
            #[cfg(target_os = "linux")]
            Self::X11(images) => images.get()?,
            #[cfg(target_os = "linux")]
            Self::Wayland => wayland::get()?,
            Self::Unavailable(_) => return Err(ClipboardError::Empty),
        };
        if png.is_empty() {
            return Err(ClipboardError::Empty);
        }
        if png.len() > MAX_CLIP_BYTES {
            return Err(ClipboardError::TooLarge(png.len()));
        }
        Ok(png)
    }

    pub fn set(&self, png: &[u8]) -> Result<(), ClipboardError> {
        match self {
            #[cfg(target_os = "linux")]
            Self::X11(images) => images.set(png),
            #[cfg(target_os = "linux")]
            Self::Wayland => wayland::set(png),
            Self::Unavailable(why) => Err(ClipboardError::Unavailable(why.clone())),
        }
    }
}

#[cfg(target_os = "linux")]
mod x11 {
    use std::time::Duration;

    use x11_clipboard::{Atom, Clipboard};

    use super::{ClipboardError, PNG_MIME};

    /// How long an owner may take to hand over its image.
    const LOAD_TIMEOUT: Duration = Duration::from_secs(5);

    pub struct X11Images {
        clipboard: Clipboard,
        png: Atom,
    }

    fn failed(error: impl std::fmt::Display) -> ClipboardError {
        ClipboardError::Failed(error.to_string())
    }

    impl X11Images {
        pub fn open() -> Result<Self, ClipboardError> {
            let clipboard =
                Clipboard::new().map_err(|e| ClipboardError::Unavailable(e.to_string()))?;
            let png = clipboard.getter.get_atom(PNG_MIME).map_err(failed)?;
            Ok(Self { clipboard, png })
        }

        /// Empty when the owner offers no `image/png` (it refuses the
        /// conversion), or when nobody owns the clipboard.
        pub fn get(&self) -> Result<Vec<u8>, ClipboardError> {
            let atoms = &self.clipboard.getter.atoms;
            match self
                .clipboard
                .load(atoms.clipboard, self.png, atoms.property, LOAD_TIMEOUT)
            {
                Ok(png) => Ok(png),
                // An owner that answers in another type has no PNG for us.
                Err(x11_clipboard::error::Error::UnexpectedType(_)) => Ok(Vec::new()),
                Err(error) => Err(failed(error)),
            }
        }

        pub fn set(&self, png: &[u8]) -> Result<(), ClipboardError> {
            let selection = self.clipboard.setter.atoms.clipboard;
            self.clipboard
                .store(selection, self.png, png.to_vec())
                .map_err(failed)
        }
    }
}

#[cfg(target_os = "linux")]
mod wayland {
    use std::io::Read;

    use wl_clipboard_rs::{copy, paste};

    use super::{ClipboardError, MAX_CLIP_BYTES, PNG_MIME};

    pub fn get() -> Result<Vec<u8>, ClipboardError> {
        let offered = paste::get_contents(
            paste::ClipboardType::Regular,
            paste::Seat::Unspecified,
            paste::MimeType::Specific(PNG_MIME),
        );
        let (pipe, _) = match offered {
            Ok(offered) => offered,
            Err(
                paste::Error::NoSeats | paste::Error::ClipboardEmpty | paste::Error::NoMimeType,
            ) => return Ok(Vec::new()),
            Err(error) => return Err(ClipboardError::Failed(error.to_string())),
        };
        let mut png = Vec::new();
        // One byte over the limit is enough to refuse it.
        pipe.take(MAX_CLIP_BYTES as u64 + 1)
            .read_to_end(&mut png)
            .map_err(|e| ClipboardError::Failed(e.to_string()))?;
        Ok(png)
    }

    pub fn set(png: &[u8]) -> Result<(), ClipboardError> {
        copy::Options::new()
            .copy(
                copy::Source::Bytes(png.into()),
                copy::MimeType::Specific(PNG_MIME.into()),
            )
            .map_err(|e| ClipboardError::Failed(e.to_string()))
    }
}
