//! The desk's card for its clients, prepared once at start from the
//! `[client]` section: its address, the key it pins, its logo.

use std::path::{Path, PathBuf};

use base64::Engine;

use crate::config::ClientSettings;
use crate::protocol::client_card::{ClientCard, MAX_LOGO_BYTES, image_type};

/// The `[client]` section, checked: what `/client-config` and `/get-help`
/// say, but for the desk's name, which is its policy's.
#[derive(Debug, Clone, Default)]
pub struct Front {
    url: Option<String>,
    pin: Option<String>,
    logo: Option<String>,
    pub downloads: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum FrontError {
    #[error("[client] url {0:?} is not an https:// or http:// address without a query")]
    Url(String),
    #[error("[client] pin is not a verification code (64 hexadecimal digits)")]
    Pin,
    #[error("[client] logo {0}: {1}")]
    Logo(PathBuf, String),
}

impl Front {
    pub fn load(settings: &ClientSettings) -> Result<Self, FrontError> {
        let url = given(&settings.url).map(checked_url).transpose()?;
        let pin = given(&settings.pin).map(checked_pin).transpose()?;
        let logo = settings.logo.as_deref().map(logo_url).transpose()?;
        Ok(Self {
            url,
            pin,
            logo,
            downloads: settings.downloads.clone(),
        })
    }

    /// The card: `desk_name` (the policy's, or the host until one is set),
    /// and the configured address, else the one the request came to.
    pub fn card(&self, desk_name: &str, host: Option<&str>) -> ClientCard {
        let host = host.filter(|h| is_host(h)).unwrap_or("localhost");
        let desk = self
            .url
            .clone()
            .unwrap_or_else(|| format!("https://{host}"));
        let name = match desk_name.trim() {
            "" => desk.split("://").nth(1).unwrap_or(host).to_owned(),
            name => name.to_owned(),
        };
        ClientCard {
            name,
            desk,
            pin: self.pin.clone(),
            logo: self.logo.clone(),
        }
    }
}

/// A setting's text, trimmed; none when it is missing or blank.
fn given(setting: &Option<String>) -> Option<&str> {
    setting.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The link the app follows for `card`'s desk; only with a pin, as the app
/// takes no other.
pub fn link(card: &ClientCard) -> Option<String> {
    let pin = card.pin.as_deref()?;
    Some(format!(
        "lifeline://get-help?desk={}&pin={pin}",
        encode(&card.desk)
    ))
}

/// `card` as a `desk.toml` for the app.
pub fn desk_file(card: &ClientCard) -> String {
    let header = "# Lifeline's desk file: put it beside the app's executable, or in\n\
                  # /etc/lifeline/desk.toml, and the app starts as this desk's client.\n";
    let body = toml::to_string(card).unwrap_or_default();
    format!("{header}{body}")
}

fn checked_url(url: &str) -> Result<String, FrontError> {
    let bad = || FrontError::Url(url.to_owned());
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host = rest.split('/').next().unwrap_or_default();
    let plain = url.len() <= 200 && !url.contains(['?', '#', '@', '"', '\'', '<', '>', ' ', '\\']);
    if !plain || !is_host(host) {
        return Err(bad());
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn checked_pin(pin: &str) -> Result<String, FrontError> {
    let digits: String = pin.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    let digits = digits.to_ascii_lowercase();
    let good = digits.len() == 64 && digits.chars().all(|c| c.is_ascii_hexdigit());
    good.then_some(digits).ok_or(FrontError::Pin)
}

fn logo_url(path: &Path) -> Result<String, FrontError> {
    let bad = |why: String| FrontError::Logo(path.to_owned(), why);
    let size = std::fs::metadata(path)
        .map_err(|e| bad(e.to_string()))?
        .len();
    if size > MAX_LOGO_BYTES as u64 {
        return Err(bad("larger than 256 KiB".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let kind = image_type(&bytes).ok_or_else(|| bad("not a PNG, JPEG or SVG image".into()))?;
    let body = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(format!("data:{kind};base64,{body}"))
}

/// A host, with its port: letters, digits, dots, hyphens, an IPv6 address
/// in brackets. The `Host` header is the visitor's word, so nothing else.
fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// Percent-encoding for a query value: everything but the unreserved.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &str = "6D:6F:6E:6B:65:79:73:20:6F:6E:20:61:20:74:79:70:65:77:72:69:74:65:72:2C:20:62:79:20:74:68:65:21";

    fn front(url: Option<&str>, pin: Option<&str>) -> Result<Front, FrontError> {
        Front::load(&ClientSettings {
            url: url.map(Into::into),
            pin: pin.map(Into::into),
            ..ClientSettings::default()
        })
    }

    #[test]
    fn the_card_names_the_desk_and_its_key() {
        let front = front(Some("https://help.acme.example/"), Some(PIN)).unwrap();
        let card = front.card("Acme IT", Some("evil.example"));
        assert_eq!(card.desk, "https://help.acme.example");
        assert_eq!(card.name, "Acme IT");
        assert_eq!(
            card.pin.as_deref(),
            Some("6d6f6e6b657973206f6e206120747970657772697465722c2062792074686521")
        );
        assert_eq!(
            link(&card).unwrap(),
            "lifeline://get-help?desk=https%3A%2F%2Fhelp.acme.example&pin=6d6f6e6b657973206f6e206120747970657772697465722c2062792074686521"
        );
        let file = desk_file(&card);
        assert!(
            file.contains("name = \"Acme IT\"\ndesk = \"https://help.acme.example\"\npin = \"6d6f"),
            "{file}"
        );
    }

    #[test]
    fn without_an_address_the_requests_host_is_used_and_named() {
        let front = front(None, None).unwrap();
        let card = front.card("", Some("desk.example:8443"));
        assert_eq!(
            (card.desk.as_str(), card.name.as_str()),
            ("https://desk.example:8443", "desk.example:8443")
        );
        assert_eq!(link(&card), None, "no link without a pin");
        assert_eq!(front.card("", Some("<script>")).desk, "https://localhost");
    }

    #[test]
    fn a_flawed_section_stops_the_start() {
        for url in [
            "ftp://x",
            "https://",
            "https://x/?a=1",
            "https://u@x",
            "https://x/\"y",
        ] {
            assert!(
                matches!(front(Some(url), None), Err(FrontError::Url(_))),
                "{url}"
            );
        }
        assert!(matches!(front(None, Some("abc")), Err(FrontError::Pin)));
        let dir = tempfile::tempdir().unwrap();
        let logo = dir.path().join("logo.txt");
        std::fs::write(&logo, "hello").unwrap();
        let settings = ClientSettings {
            logo: Some(logo),
            ..ClientSettings::default()
        };
        assert!(matches!(Front::load(&settings), Err(FrontError::Logo(..))));
    }
}
