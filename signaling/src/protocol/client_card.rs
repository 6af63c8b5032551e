//! `GET /client-config`: what a desk tells its clients of itself, so the
//! app can show a branded client (`desk.toml`, or a `lifeline://` link).

use serde::{Deserialize, Serialize};

/// The largest logo a desk may show, before base64.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCard {
    /// The desk's name, as its admin set it (its host until then).
    pub name: String,
    /// Its web address: `https://host[/prefix]`; the app's WebSocket is
    /// `/ws` below it.
    pub desk: String,
    /// The verification code of the TLS key in front of the desk (64
    /// hexadecimal digits), when the desk pins its key.
    pub pin: Option<String>,
    /// A `data:image/…;base64,` URL.
    pub logo: Option<String>,
}

/// A logo's type by its first bytes (SVG by its opening tag); `None` for
/// anything the app does not show.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Some("image/jpeg");
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    (head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg")))
        .then_some("image/svg+xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n\0"), Some("image/png"));
        assert_eq!(image_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(
            image_type(b"\xef\xbb\xbf<svg xmlns='x'/>"),
            Some("image/svg+xml")
        );
        assert_eq!(image_type(b"  <svg xmlns='x'/>"), Some("image/svg+xml"));
        assert_eq!(
            image_type(b"<?xml version='1.0'?><svg/>"),
            Some("image/svg+xml")
        );
        assert_eq!(image_type(b"<html><script>"), None);
        assert_eq!(image_type(b""), None);
    }
}
