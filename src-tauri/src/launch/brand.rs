//! What a desk shows of itself in a branded client: its name and logo.

use base64::Engine;

/// The longest name shown (the seeds' ≤ 60 characters for what a desk
/// says of itself).
const MAX_NAME: usize = 60;

pub use lifeline_signaling::protocol::client_card::MAX_LOGO_BYTES;
use lifeline_signaling::protocol::client_card::image_type;

/// A desk's name, and its logo as a `data:` URL the webview can show
/// without fetching anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    pub name: String,
    pub logo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadBrand {
    #[error(
        "the desk's name is empty, longer than {MAX_NAME} characters, or has control or invisible characters"
    )]
    Name,
    #[error("the logo is not a PNG, JPEG or SVG image of at most 256 KiB")]
    Logo,
}

impl Brand {
    /// A checked brand; `logo` is a `data:image/…;base64,` URL.
    pub fn new(name: &str, logo: Option<String>) -> Result<Self, BadBrand> {
        let name = name.trim();
        let fits = !name.is_empty() && name.chars().count() <= MAX_NAME;
        // A desk names itself: nothing that hides or reorders what is shown.
        let hidden = |c: char| c.is_control() || crate::transfer::lookalike::is_invisible(c);
        if !fits || name.chars().any(hidden) {
            return Err(BadBrand::Name);
        }
        if let Some(logo) = &logo {
            let bytes = decode_data_url(logo).ok_or(BadBrand::Logo)?;
            if bytes.len() > MAX_LOGO_BYTES || image_type(&bytes).is_none() {
                return Err(BadBrand::Logo);
            }
        }
        Ok(Self {
            name: name.to_owned(),
            logo,
        })
    }
}

/// A logo file's bytes as a `data:` URL, if they are an image we show.
pub fn logo_data_url(bytes: &[u8]) -> Result<String, BadBrand> {
    let kind = image_type(bytes).filter(|_| bytes.len() <= MAX_LOGO_BYTES);
    let kind = kind.ok_or(BadBrand::Logo)?;
    let body = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:{kind};base64,{body}"))
}

fn decode_data_url(url: &str) -> Option<Vec<u8>> {
    let rest = url.strip_prefix("data:")?;
    let (kind, body) = rest.split_once(";base64,")?;
    if !matches!(kind, "image/png" | "image/jpeg" | "image/svg+xml") {
        return None;
    }
    // A quarter more for base64, checked before decoding anything.
    if body.len() > MAX_LOGO_BYTES / 3 * 4 + 4 {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    (image_type(&bytes) == Some(kind)).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn a_name_and_an_image_make_a_brand() {
        let logo = logo_data_url(PNG).unwrap();
        assert!(logo.starts_with("data:image/png;base64,"));
        let brand = Brand::new("  Acme Help Desk ", Some(logo.clone())).unwrap();
        assert_eq!(brand.name, "Acme Help Desk");
        assert_eq!(brand.logo, Some(logo));
        let svg =
            logo_data_url(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
                .unwrap();
        assert!(svg.starts_with("data:image/svg+xml;base64,"));
        assert!(Brand::new("Acme", Some(svg)).is_ok());
    }

    #[test]
    fn what_is_not_a_name_or_an_image_is_refused() {
        assert_eq!(Brand::new(" ", None), Err(BadBrand::Name));
        assert_eq!(Brand::new(&"x".repeat(61), None), Err(BadBrand::Name));
        assert_eq!(Brand::new("Acme\u{1b}[31m", None), Err(BadBrand::Name));
        assert_eq!(
            Brand::new("Acme \u{202e}kseD pleH", None),
            Err(BadBrand::Name)
        );
        assert_eq!(Brand::new("Ac\u{200b}me", None), Err(BadBrand::Name));
        assert_eq!(logo_data_url(b"<html><script>"), Err(BadBrand::Logo));
        let mut big = PNG.to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(logo_data_url(&big), Err(BadBrand::Logo));
        for logo in [
            "https://evil.example/logo.png",
            "data:text/html;base64,PHNjcmlwdD4=",
            "data:image/png;base64,PHN2Zz4=",
            "data:image/png;base64,!!",
        ] {
            assert_eq!(
                Brand::new("Acme", Some(logo.into())),
                Err(BadBrand::Logo),
                "{logo}"
            );
        }
    }
}
