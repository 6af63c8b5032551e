//! `lifeline://get-help?desk=…&pin=…`: the link a desk's `/get-help` page
//! offers, which the desktop hands to the app (as its argument on Linux
//! and Windows, as an event on macOS).

use url::Url;

use super::address::DeskAddress;
use crate::desk::tls::ServerPin;

/// The URL scheme the app is registered for.
pub const SCHEME: &str = "lifeline";

/// The longest link taken: a real one is about 150 characters.
const MAX_LINK: usize = 2048;

/// A parsed "get help" link: a desk to ask for help, and the verification
/// code its key must match. Nothing in it is trusted until the user says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLink {
    pub desk: DeskAddress,
    pub pin: ServerPin,
}

/// Why a link was refused. Each has its own words in the UI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this is not a Lifeline link: {0}")]
    Malformed(String),
    #[error("the link names no desk")]
    NoDesk,
    #[error("the link's desk {0:?} is not an https:// address")]
    BadDesk(String),
    #[error("the link has no verification code")]
    NoPin,
    #[error("the link's verification code is malformed: it is 64 hexadecimal digits")]
    BadPin,
}

impl LinkError {
    /// Every code [`Self::code`] gives.
    pub const CODES: &'static [&'static str] = &[
        "link_malformed",
        "link_no_desk",
        "link_bad_desk",
        "link_no_pin",
        "link_bad_pin",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            LinkError::Malformed(_) => "link_malformed",
            LinkError::NoDesk => "link_no_desk",
            LinkError::BadDesk(_) => "link_bad_desk",
            LinkError::NoPin => "link_no_pin",
            LinkError::BadPin => "link_bad_pin",
        }
    }
}

/// Whether `text` is meant as a link (rather than a command or a flag).
pub fn is_link(text: &str) -> bool {
    text.get(..SCHEME.len() + 1)
        .is_some_and(|start| start.eq_ignore_ascii_case(&format!("{SCHEME}:")))
}

impl HelpLink {
    /// Parses a link. The desk must be reached over TLS and pinned: a link
    /// comes from a web page, and only the code in it ties the desk the
    /// user is shown to the one the app will talk to.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let malformed = |why: &str| LinkError::Malformed(why.to_owned());
        if text.len() > MAX_LINK {
            return Err(malformed("it is too long"));
        }
        let url = Url::parse(text).map_err(|_| malformed("it is not a URL"))?;
        if url.scheme() != SCHEME {
            return Err(malformed("it does not start with lifeline://"));
        }
        let action = url
            .host_str()
            .unwrap_or_else(|| url.path().trim_matches('/'));
        if action != "get-help" {
            return Err(malformed("it does not ask for help"));
        }
        let (mut desk, mut pin) = (None, None);
        for (key, value) in url.query_pairs() {
            let slot = match key.as_ref() {
                "desk" => &mut desk,
                "pin" => &mut pin,
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(malformed("it names a desk or a code twice"));
            }
        }
        let desk = desk
            .filter(|d| !d.trim().is_empty())
            .ok_or(LinkError::NoDesk)?;
        let address: DeskAddress = desk.parse().map_err(|_| LinkError::BadDesk(desk.clone()))?;
        if !address.is_secure() {
            return Err(LinkError::BadDesk(desk));
        }
        let pin = pin
            .filter(|p| !p.trim().is_empty())
            .ok_or(LinkError::NoPin)?;
        let pin = pin.parse().map_err(|_| LinkError::BadPin)?;
        Ok(Self { desk: address, pin })
    }

    /// The link that leads here, as a desk's page writes it.
    pub fn to_url(&self) -> String {
        let mut url = Url::parse(&format!("{SCHEME}://get-help")).expect("a constant URL");
        url.query_pairs_mut()
            .append_pair("desk", self.desk.to_string().as_str())
            .append_pair("pin", &self.pin.to_string());
        url.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &str = "6d6f6e6b657973206f6e206120747970657772697465722c2062792074686521";

    #[test]
    fn a_desks_link_names_its_desk_and_code() {
        let text = format!("lifeline://get-help?desk=https%3A%2F%2Fhelp.example.com&pin={PIN}");
        let link = HelpLink::parse(&text).unwrap();
        assert_eq!(link.desk.websocket(), "wss://help.example.com/ws");
        assert_eq!(link.pin.to_string(), PIN);
        assert_eq!(HelpLink::parse(&link.to_url()), Ok(link));
        assert!(is_link(&text));
        assert!(is_link("LIFELINE://get-help"));
        assert!(!is_link("client"));
        assert!(!is_link("--help"));
    }

    #[test]
    fn each_flaw_has_its_own_refusal() {
        let cases = [
            ("https://get-help?desk=x", "link_malformed"),
            (
                "lifeline://share-screen?desk=https://h.example",
                "link_malformed",
            ),
            ("lifeline://get-help", "link_no_desk"),
            (&*format!("lifeline://get-help?pin={PIN}"), "link_no_desk"),
            (
                &*format!("lifeline://get-help?desk=ftp://h.example&pin={PIN}"),
                "link_bad_desk",
            ),
            (
                &*format!("lifeline://get-help?desk=http://h.example&pin={PIN}"),
                "link_bad_desk",
            ),
            (
                &*format!("lifeline://get-help?desk=https://u:p@h.example&pin={PIN}"),
                "link_bad_desk",
            ),
            ("lifeline://get-help?desk=https://h.example", "link_no_pin"),
            (
                "lifeline://get-help?desk=https://h.example&pin=abc",
                "link_bad_pin",
            ),
            (
                &*format!("lifeline://get-help?desk=https://h.example&pin={PIN}&pin={PIN}"),
                "link_malformed",
            ),
        ];
        for (text, code) in cases {
            assert_eq!(HelpLink::parse(text).unwrap_err().code(), code, "{text}");
        }
        let long = format!(
            "lifeline://get-help?desk=https://h.example&pin={PIN}&x={}",
            "a".repeat(3000)
        );
        assert_eq!(HelpLink::parse(&long).unwrap_err().code(), "link_malformed");
    }
}
