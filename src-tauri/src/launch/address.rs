//! A desk's address as people write it (`https://help.example.com`) and
//! as the app dials it (`wss://help.example.com/ws`).

use std::fmt;
use std::str::FromStr;

use url::Url;

/// Where a desk's signaling server listens: its WebSocket URL, and the web
/// address its pages (`/client-config`, `/get-help`) are served from.
#[derive(Clone, PartialEq, Eq)]
pub struct DeskAddress {
    websocket: Url,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a desk address: give https://host (or wss://host/ws)")]
pub struct BadDesk(pub String);

impl FromStr for DeskAddress {
    type Err = BadDesk;

    /// `https://host[:port][/prefix]` and `http://…` name the desk's web
    /// address, whose WebSocket is `/ws` below it; `wss://` and `ws://`
    /// name the WebSocket itself (`/ws` when no path is given). No user,
    /// query or fragment: an address is only a place.
    fn from_str(text: &str) -> Result<Self, BadDesk> {
        let bad = || BadDesk(text.to_owned());
        let mut url = Url::parse(text.trim()).map_err(|_| bad())?;
        let web = match url.scheme() {
            "https" | "http" => true,
            "wss" | "ws" => false,
            _ => return Err(bad()),
        };
        let plain = url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        if !plain || url.host_str().is_none_or(str::is_empty) {
            return Err(bad());
        }
        let path = url.path().trim_end_matches('/').to_owned();
        let path = if path.is_empty() || (web && !path.ends_with("/ws")) {
            format!("{path}/ws")
        } else {
            path
        };
        url.set_path(&path);
        let scheme = match url.scheme() {
            "https" | "wss" => "wss",
            _ => "ws",
        };
        let mut websocket =
            Url::parse(&url.as_str().replacen(url.scheme(), scheme, 1)).map_err(|_| bad())?;
        websocket.set_fragment(None);
        Ok(Self { websocket })
    }
}

impl DeskAddress {
    /// The URL the desk link dials.
    pub fn websocket(&self) -> &str {
        self.websocket.as_str()
    }

    /// TLS protects the link (and so a verification code can pin it).
    pub fn is_secure(&self) -> bool {
        self.websocket.scheme() == "wss"
    }

    /// The desk's web address, where its pages are: `https://host/prefix`.
    pub fn web(&self) -> Url {
        let scheme = if self.is_secure() { "https" } else { "http" };
        let mut web = Url::parse(&self.websocket.as_str().replacen(
            self.websocket.scheme(),
            scheme,
            1,
        ))
        .expect("a WebSocket URL with an http scheme is still a URL");
        let path = web
            .path()
            .trim_end_matches("ws")
            .trim_end_matches('/')
            .to_owned();
        web.set_path(&path);
        web
    }

    /// A page of the desk's, such as `client-config`.
    pub fn page(&self, name: &str) -> Url {
        let mut page = self.web();
        let path = format!("{}/{name}", page.path().trim_end_matches('/'));
        page.set_path(&path);
        page
    }

    /// `host` or `host:port`, as people read it.
    pub fn host(&self) -> String {
        let host = self.websocket.host_str().unwrap_or_default();
        match self.websocket.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The host and port to dial.
    pub fn endpoint(&self) -> (String, u16) {
        let host = self.websocket.host_str().unwrap_or_default();
        let port = self.websocket.port_or_known_default().unwrap_or(443);
        (host.trim_matches(['[', ']']).to_owned(), port)
    }
}

impl fmt::Debug for DeskAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeskAddress({})", self.websocket)
    }
}

impl fmt::Display for DeskAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.web().as_str().trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk(text: &str) -> DeskAddress {
        text.parse().unwrap()
    }

    #[test]
    fn a_web_address_dials_its_websocket() {
        assert_eq!(
            desk("https://help.example.com").websocket(),
            "wss://help.example.com/ws"
        );
        assert_eq!(
            desk("https://help.example.com/").websocket(),
            "wss://help.example.com/ws"
        );
        assert_eq!(
            desk("https://h.example:8443/desk").websocket(),
            "wss://h.example:8443/desk/ws"
        );
        assert_eq!(
            desk("http://127.0.0.1:7890").websocket(),
            "ws://127.0.0.1:7890/ws"
        );
        assert!(desk("https://help.example.com").is_secure());
        assert!(!desk("http://127.0.0.1:7890").is_secure());
    }

    #[test]
    fn a_websocket_url_is_taken_as_it_is() {
        assert_eq!(
            desk("wss://help.example.com/ws").websocket(),
            "wss://help.example.com/ws"
        );
        assert_eq!(
            desk("wss://help.example.com").websocket(),
            "wss://help.example.com/ws"
        );
        assert_eq!(desk("ws://[::1]:7890/ws").websocket(), "ws://[::1]:7890/ws");
    }

    #[test]
    fn its_pages_live_beside_the_websocket() {
        let address = desk("wss://h.example:8443/desk/ws");
        assert_eq!(address.web().as_str(), "https://h.example:8443/desk");
        assert_eq!(
            address.page("client-config").as_str(),
            "https://h.example:8443/desk/client-config"
        );
        assert_eq!(
            desk("https://h.example").page("get-help").as_str(),
            "https://h.example/get-help"
        );
        assert_eq!(address.to_string(), "https://h.example:8443/desk");
        assert_eq!(address.host(), "h.example:8443");
        assert_eq!(address.endpoint(), ("h.example".to_owned(), 8443));
        assert_eq!(desk("wss://[::1]/ws").endpoint(), ("::1".to_owned(), 443));
    }

    #[test]
    fn anything_but_a_plain_address_is_refused() {
        for text in [
            "",
            "help.example.com",
            "ftp://help.example.com",
            "https://",
            "https://user:pw@help.example.com",
            "https://help.example.com/?x=1",
            "https://help.example.com/#top",
            "javascript:alert(1)",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                text.parse::<DeskAddress>(),
                Err(BadDesk(text.to_owned())),
                "{text}"
            );
        }
    }
}
