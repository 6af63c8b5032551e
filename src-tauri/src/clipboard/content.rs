//! What a clipboard holds, as it travels: text, or an image as the PNG
//! bytes the copying program offered (never decoded and re-encoded, so
//! what arrives is byte for byte what was copied).

use std::fmt;

/// The MIME types of the two kinds, on the wire and on the clipboard.
pub const TEXT_MIME: &str = "text/plain;charset=utf-8";
pub const PNG_MIME: &str = "image/png";

/// The most bytes of clipboard content sent either way: the receiver holds
/// it in memory until it is checked and set.
pub const MAX_CLIP_BYTES: usize = 32 * 1024 * 1024;

/// Text up to this size goes on the control channel as it always has
/// (every peer speaks that); larger text and images go on the files
/// channel, in chunks, paced like files.
pub const MAX_CONTROL_TEXT_BYTES: usize = 32 * 1024;

pub const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

#[derive(Clone, PartialEq, Eq)]
pub enum ClipContent {
    Text(String),
    Png(Vec<u8>),
}

/// Why content from the peer is not put on the clipboard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadClip {
    #[error("clipboard content of type {0:?} is not taken (only text and PNG images)")]
    Kind(String),
    #[error("clipboard content of {0} bytes is over the {max} byte limit", max = MAX_CLIP_BYTES)]
    TooLarge(u64),
    #[error("clipboard content is empty")]
    Empty,
    #[error("clipboard text is not UTF-8")]
    NotUtf8,
    #[error("the clipboard image is not a PNG")]
    NotPng,
}

impl BadClip {
    /// The code the sender is told.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Kind(_) => "clip_kind",
            Self::TooLarge(_) => "too_large",
            Self::Empty => "clip_empty",
            Self::NotUtf8 | Self::NotPng => "clip_malformed",
        }
    }
}

impl ClipContent {
    pub fn mime(&self) -> &'static str {
        match self {
            Self::Text(_) => TEXT_MIME,
            Self::Png(_) => PNG_MIME,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Png(png) => png,
        }
    }

    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// Checks a kind and size the peer announces, before any byte comes.
    pub fn check_announced(mime: &str, bytes: u64) -> Result<(), BadClip> {
        if mime != TEXT_MIME && mime != PNG_MIME {
            return Err(BadClip::Kind(mime.chars().take(64).collect()));
        }
        if bytes == 0 {
            return Err(BadClip::Empty);
        }
        if bytes > MAX_CLIP_BYTES as u64 {
            return Err(BadClip::TooLarge(bytes));
        }
        Ok(())
    }

    /// The content from its announced kind and all its bytes.
    pub fn from_wire(mime: &str, bytes: Vec<u8>) -> Result<Self, BadClip> {
        Self::check_announced(mime, bytes.len() as u64)?;
        if mime == PNG_MIME {
            return Self::png(bytes);
        }
        String::from_utf8(bytes)
            .map(Self::Text)
            .map_err(|_| BadClip::NotUtf8)
    }

    /// An image, if these bytes start as a PNG must: its signature, then
    /// its header with the picture's size.
    pub fn png(bytes: Vec<u8>) -> Result<Self, BadClip> {
        if png_size(&bytes).is_some() {
            Ok(Self::Png(bytes))
        } else {
            Err(BadClip::NotPng)
        }
    }

    /// For the running logs: how many characters, or the image's size
    /// (`640×480`).
    pub fn describe(&self) -> String {
        match self {
            Self::Text(text) => text.chars().count().to_string(),
            Self::Png(png) => match png_size(png) {
                Some((width, height)) => format!("{width}×{height}"),
                None => String::new(),
            },
        }
    }
}

impl fmt::Debug for ClipContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the content itself: it may be a password.
        match self {
            Self::Text(text) => write!(f, "Text({} bytes)", text.len()),
            Self::Png(png) => write!(f, "Png({} bytes)", png.len()),
        }
    }
}

/// A PNG's width and height, from its IHDR chunk (which must come first).
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if !png.starts_with(PNG_SIGNATURE) {
        return None;
    }
    let header = png.get(8..24)?;
    if &header[4..8] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(header[8..12].try_into().ok()?);
    let height = u32::from_be_bytes(header[12..16].try_into().ok()?);
    Some((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first bytes of a real 640×480 PNG.
    fn png_head() -> Vec<u8> {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        png
    }

    #[test]
    fn text_and_png_come_back_as_sent() {
        let text = ClipContent::Text("Grüße".into());
        let back = ClipContent::from_wire(text.mime(), text.bytes().to_vec());
        assert_eq!(back, Ok(text));
        let png = ClipContent::Png(png_head());
        assert_eq!(
            ClipContent::from_wire(PNG_MIME, png_head()),
            Ok(png.clone())
        );
        assert_eq!(png.describe(), "640×480");
    }

    #[test]
    fn what_a_peer_must_not_send_is_refused_with_why() {
        assert_eq!(
            ClipContent::check_announced("text/html", 5),
            Err(BadClip::Kind("text/html".into()))
        );
        assert_eq!(
            ClipContent::check_announced(PNG_MIME, MAX_CLIP_BYTES as u64 + 1),
            Err(BadClip::TooLarge(MAX_CLIP_BYTES as u64 + 1))
        );
        assert_eq!(
            ClipContent::check_announced(TEXT_MIME, 0),
            Err(BadClip::Empty)
        );
        assert_eq!(
            ClipContent::from_wire(TEXT_MIME, vec![0xff, 0xfe]),
            Err(BadClip::NotUtf8)
        );
        for not_png in [b"GIF89a".to_vec(), PNG_SIGNATURE.to_vec()] {
            assert_eq!(
                ClipContent::from_wire(PNG_MIME, not_png),
                Err(BadClip::NotPng)
            );
        }
        assert_eq!(BadClip::NotPng.code(), "clip_malformed");
    }

    #[test]
    fn debug_never_shows_the_content() {
        let secret = ClipContent::Text("hunter2".into());
        assert_eq!(format!("{secret:?}"), "Text(7 bytes)");
    }
}
