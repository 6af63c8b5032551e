//! Reaching the desk through a proxy, as a corporate network requires: an
//! HTTP proxy's `CONNECT` (with Basic or NTLM authentication when a user
//! is set) or SOCKS5 (with a user name and password when set). The tunnel is a
//! plain TCP stream to the desk; TLS and the WebSocket run inside it as
//! they would on a direct connection, so the proxy sees neither.
//!
//! Which proxy: the one in Settings, else the system's ([`system`]: the
//! environment's, else GNOME's settings).

mod gnome;
mod handshake;
mod http_connect;
mod ntlm;
mod system;

use tokio::net::TcpStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Http,
    Socks5,
}

/// A user and password for the proxy, and the Windows domain NTLM
/// authenticates the user in (empty for none).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
    pub domain: String,
}

impl Credentials {
    /// A user as people type it for a Windows proxy: `DOMAIN\user` names
    /// the domain (unless `domain` already does).
    pub fn new(user: &str, password: &str, domain: &str) -> Self {
        let (named, user) = user.split_once('\\').unwrap_or(("", user));
        let domain = match domain.trim() {
            "" => named,
            given => given,
        };
        Self {
            user: user.to_owned(),
            password: password.to_owned(),
            domain: domain.to_owned(),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// How to reach a server (the desk, a TURN server over TCP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Route {
    /// Through the system's proxy, if one applies.
    #[default]
    System,
    /// Through this proxy (the one in Settings).
    Through(Proxy),
}

impl Route {
    /// The proxy for `host` (`secure`: TLS inside the tunnel), if any.
    pub async fn proxy_for(&self, host: &str, secure: bool) -> Result<Option<Proxy>, ProxyError> {
        match self {
            Route::Through(proxy) => Ok(Some(proxy.clone())),
            Route::System => system::proxy_for(host, secure).await.transpose(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    pub credentials: Option<Credentials>,
}

/// Why the proxy gave no tunnel. Each has its own words in the UI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("the proxy {0} cannot be reached: {1}")]
    Unreachable(String, String),
    /// 407, or SOCKS5's refusal of the user and password.
    #[error("the proxy asks for a user name and password, and refused the ones given")]
    AuthRefused,
    #[error("the proxy asks for a user name and password; none is set")]
    AuthRequired,
    #[error("the proxy refused the connection to the desk: {0}")]
    Refused(String),
    #[error("the proxy's answer makes no sense: {0}")]
    Garbled(String),
    #[error("the proxy setting {0:?} is not a proxy URL")]
    BadUrl(String),
}

impl ProxyError {
    /// Every code [`Self::code`] gives, for the UI's generated list.
    pub const CODES: &'static [&'static str] = &[
        "proxy_unreachable",
        "proxy_auth_refused",
        "proxy_auth_required",
        "proxy_refused",
        "proxy_broken",
    ];

    /// The stable code the UI picks its words by.
    pub fn code(&self) -> &'static str {
        match self {
            ProxyError::Unreachable(..) => "proxy_unreachable",
            ProxyError::AuthRefused => "proxy_auth_refused",
            ProxyError::AuthRequired => "proxy_auth_required",
            ProxyError::Refused(_) => "proxy_refused",
            ProxyError::Garbled(_) | ProxyError::BadUrl(_) => "proxy_broken",
        }
    }
}

impl Proxy {
    /// A proxy URL as the system's variables hold it:
    /// `http://user:password@host:port`, `socks5://host:1080`, or a bare
    /// `host:port` (HTTP).
    pub fn parse(text: &str) -> Result<Self, ProxyError> {
        let bad = || ProxyError::BadUrl(text.to_owned());
        let full = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let url = url::Url::parse(&full).map_err(|_| bad())?;
        let (kind, default_port) = match url.scheme() {
            "http" => (ProxyKind::Http, 80),
            "socks5" | "socks5h" => (ProxyKind::Socks5, 1080),
            _ => return Err(bad()),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(bad)?;
        let decode = |s: &str| percent_decode(s).ok_or_else(bad);
        let credentials = match url.username() {
            "" => None,
            user => Some(Credentials::new(
                &decode(user)?,
                &decode(url.password().unwrap_or(""))?,
                "",
            )),
        };
        Ok(Self {
            kind,
            host: host.trim_matches(['[', ']']).to_owned(),
            port: url.port().unwrap_or(default_port),
            credentials,
        })
    }

    /// A tunnel through the proxy to `host:port`.
    pub async fn open(&self, host: &str, port: u16) -> Result<TcpStream, ProxyError> {
        let mut opening = http_connect::Opening::for_proxy(self);
        // A second connection when the proxy closed the first while asking
        // for another scheme; never a third.
        for _ in 0..2 {
            let mut stream = self.reach().await?;
            let step = match self.kind {
                ProxyKind::Http => {
                    http_connect::connect(self, &mut stream, host, port, opening).await
                }
                ProxyKind::Socks5 => handshake::socks5(self, &mut stream, host, port).await,
            };
            match step {
                Ok(()) => return Ok(stream),
                Err(handshake::Step::Again(other)) => opening = other,
                Err(handshake::Step::Io(e)) => return Err(self.unreachable(e)),
                Err(handshake::Step::Proxy(e)) => return Err(e),
            }
        }
        Err(ProxyError::AuthRefused)
    }

    async fn reach(&self) -> Result<TcpStream, ProxyError> {
        TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| self.unreachable(e))
    }

    fn unreachable(&self, error: std::io::Error) -> ProxyError {
        ProxyError::Unreachable(format!("{}:{}", self.host, self.port), error.to_string())
    }
}

/// `host:port`, with an IPv6 address in brackets.
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_windows_user_names_its_domain() {
        let c = Credentials::new("CORP\\ann", "pw", "");
        assert_eq!((c.domain.as_str(), c.user.as_str()), ("CORP", "ann"));
        let c = Credentials::new("CORP\\ann", "pw", " EMEA ");
        assert_eq!((c.domain.as_str(), c.user.as_str()), ("EMEA", "ann"));
        let c = Credentials::new("ann", "pw", "");
        assert_eq!((c.domain.as_str(), c.user.as_str()), ("", "ann"));
        let p = Proxy::parse("http://CORP%5Cann:pw@proxy.corp:3128").unwrap();
        let c = p.credentials.unwrap();
        assert_eq!((c.domain.as_str(), c.user.as_str()), ("CORP", "ann"));
    }

    #[test]
    fn proxy_urls_parse_with_their_credentials() {
        let p = Proxy::parse("http://ann%40corp:p%3Ass@proxy.corp:3128").unwrap();
        assert_eq!(p.kind, ProxyKind::Http);
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 3128));
        let c = p.credentials.unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("ann@corp", "p:ss"));
        assert!(
            !format!("{c:?}").contains("p:ss"),
            "the password stays out of logs"
        );

        let p = Proxy::parse("proxy.corp:8080").unwrap();
        assert_eq!(
            (p.kind, p.port, p.credentials),
            (ProxyKind::Http, 8080, None)
        );
        let p = Proxy::parse("socks5://10.0.0.1").unwrap();
        assert_eq!((p.kind, p.port), (ProxyKind::Socks5, 1080));
        for bad in ["ftp://proxy", "http://", "http://proxy:notaport"] {
            assert!(
                matches!(Proxy::parse(bad), Err(ProxyError::BadUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn each_code_is_listed() {
        let errors = [
            ProxyError::Unreachable("p".into(), "x".into()),
            ProxyError::AuthRefused,
            ProxyError::AuthRequired,
            ProxyError::Refused("x".into()),
            ProxyError::Garbled("x".into()),
        ];
        let codes: Vec<_> = errors.iter().map(ProxyError::code).collect();
        assert_eq!(codes, ProxyError::CODES);
    }

    #[test]
    fn an_ipv6_proxy_target_is_bracketed() {
        assert_eq!(authority("::1", 80), "[::1]:80");
        assert_eq!(authority("desk.example", 443), "desk.example:443");
    }
}
