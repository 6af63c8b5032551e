//! Reaching the desk through a proxy, as a corporate network requires: an
//! HTTP proxy's `CONNECT` (with Basic authentication when a user is set)
//! or SOCKS5 (with a user name and password when set). The tunnel is a
//! plain TCP stream to the desk; TLS and the WebSocket run inside it as
//! they would on a direct connection, so the proxy sees neither.
//!
//! Which proxy: the one in Settings, else the system's (`https_proxy` for
//! a `wss://` desk, `http_proxy` for `ws://`, then `all_proxy`; upper case
//! too), except for the hosts `no_proxy` names and loopback.

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest answer to `CONNECT` read before giving up on it.
const MAX_RESPONSE_HEAD: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Http,
    Socks5,
}

/// A user and password for the proxy.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
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
    pub fn proxy_for(&self, host: &str, secure: bool) -> Result<Option<Proxy>, ProxyError> {
        match self {
            Route::Through(proxy) => Ok(Some(proxy.clone())),
            Route::System => Proxy::from_env(host, secure).transpose(),
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
            user => Some(Credentials {
                user: decode(user)?,
                password: decode(url.password().unwrap_or(""))?,
            }),
        };
        Ok(Self {
            kind,
            host: host.trim_matches(['[', ']']).to_owned(),
            port: url.port().unwrap_or(default_port),
            credentials,
        })
    }

    /// The system's proxy for the desk at `host` (`secure`: `wss://`), if
    /// any applies.
    pub fn from_env(host: &str, secure: bool) -> Option<Result<Self, ProxyError>> {
        Self::from_vars(host, secure, |name| std::env::var(name).ok())
    }

    fn from_vars(
        host: &str,
        secure: bool,
        var: impl Fn(&str) -> Option<String>,
    ) -> Option<Result<Self, ProxyError>> {
        let get = |name: &str| {
            var(name)
                .or_else(|| var(&name.to_uppercase()))
                .filter(|v| !v.trim().is_empty())
        };
        if is_loopback(host) || get("no_proxy").is_some_and(|list| excluded(host, &list)) {
            return None;
        }
        let scheme = if secure { "https_proxy" } else { "http_proxy" };
        get(scheme)
            .or_else(|| get("all_proxy"))
            .map(|text| Self::parse(text.trim()))
    }

    /// A tunnel through the proxy to `host:port`.
    pub async fn open(&self, host: &str, port: u16) -> Result<TcpStream, ProxyError> {
        let at = format!("{}:{}", self.host, self.port);
        let mut stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| ProxyError::Unreachable(at.clone(), e.to_string()))?;
        let lost = |e: std::io::Error| ProxyError::Unreachable(at.clone(), e.to_string());
        match self.kind {
            ProxyKind::Http => self.connect_http(&mut stream, host, port).await,
            ProxyKind::Socks5 => self.connect_socks5(&mut stream, host, port).await,
        }
        .map_err(|e| match e {
            Step::Io(e) => lost(e),
            Step::Proxy(e) => e,
        })?;
        Ok(stream)
    }

    async fn connect_http(
        &self,
        stream: &mut TcpStream,
        host: &str,
        port: u16,
    ) -> Result<(), Step> {
        let target = authority(host, port);
        let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some(c) = &self.credentials {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", c.user, c.password));
            request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await?;
        let head = read_head(stream).await?;
        match status_of(&head)? {
            (200..=299, _) => Ok(()),
            // 407 is the standard's; some proxies (tinyproxy) answer a
            // wrong password with 401.
            (401 | 407, _) if self.credentials.is_some() => Err(ProxyError::AuthRefused.into()),
            (401 | 407, _) => Err(ProxyError::AuthRequired.into()),
            (code, reason) => Err(ProxyError::Refused(format!("{code} {reason}")).into()),
        }
    }

    async fn connect_socks5(
        &self,
        stream: &mut TcpStream,
        host: &str,
        port: u16,
    ) -> Result<(), Step> {
        let methods: &[u8] = if self.credentials.is_some() {
            &[0, 2]
        } else {
            &[0]
        };
        let mut greeting = vec![5, methods.len() as u8];
        greeting.extend_from_slice(methods);
        stream.write_all(&greeting).await?;
        let mut chosen = [0u8; 2];
        stream.read_exact(&mut chosen).await?;
        match (chosen, &self.credentials) {
            ([5, 0], _) => {}
            ([5, 2], Some(c)) => socks5_login(stream, c).await?,
            ([5, 0xff], None) => return Err(ProxyError::AuthRequired.into()),
            ([5, 0xff], Some(_)) => return Err(ProxyError::AuthRefused.into()),
            (other, _) => {
                return Err(ProxyError::Garbled(format!("SOCKS greeting {other:?}")).into());
            }
        }
        let name = host.as_bytes();
        if name.len() > 255 {
            return Err(
                ProxyError::Refused("the desk's host name is too long for SOCKS5".into()).into(),
            );
        }
        let mut request = vec![5, 1, 0, 3, name.len() as u8];
        request.extend_from_slice(name);
        request.extend_from_slice(&port.to_be_bytes());
        stream.write_all(&request).await?;
        let mut reply = [0u8; 4];
        stream.read_exact(&mut reply).await?;
        if reply[0] != 5 {
            return Err(ProxyError::Garbled(format!("SOCKS reply {reply:?}")).into());
        }
        if reply[1] != 0 {
            return Err(ProxyError::Refused(socks5_reply(reply[1]).into()).into());
        }
        // The address the proxy bound, which the tunnel does not need.
        let skip = match reply[3] {
            1 => 4,
            4 => 16,
            3 => usize::from(stream.read_u8().await?),
            other => {
                return Err(ProxyError::Garbled(format!("SOCKS address type {other}")).into());
            }
        };
        let mut bound = vec![0u8; skip + 2];
        stream.read_exact(&mut bound).await?;
        Ok(())
    }
}

/// A step of the handshake failed: the connection, or the proxy's answer.
enum Step {
    Io(std::io::Error),
    Proxy(ProxyError),
}

impl From<std::io::Error> for Step {
    fn from(error: std::io::Error) -> Self {
        Step::Io(error)
    }
}

impl From<ProxyError> for Step {
    fn from(error: ProxyError) -> Self {
        Step::Proxy(error)
    }
}

async fn socks5_login(stream: &mut TcpStream, c: &Credentials) -> Result<(), Step> {
    let (user, password) = (c.user.as_bytes(), c.password.as_bytes());
    if user.len() > 255 || password.len() > 255 {
        return Err(ProxyError::AuthRefused.into());
    }
    let mut login = vec![1, user.len() as u8];
    login.extend_from_slice(user);
    login.push(password.len() as u8);
    login.extend_from_slice(password);
    stream.write_all(&login).await?;
    let mut answer = [0u8; 2];
    stream.read_exact(&mut answer).await?;
    match answer[1] {
        0 => Ok(()),
        _ => Err(ProxyError::AuthRefused.into()),
    }
}

fn socks5_reply(code: u8) -> &'static str {
    match code {
        2 => "not allowed by the proxy's rules",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused by the desk",
        6 => "timed out",
        _ => "general failure",
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

/// Reads the proxy's answer up to the blank line after its headers. A
/// tunnel's first bytes come only after our own, so nothing of the desk's
/// is read here.
async fn read_head(stream: &mut TcpStream) -> Result<String, Step> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_RESPONSE_HEAD {
            return Err(ProxyError::Garbled("an endless answer to CONNECT".into()).into());
        }
        if stream.read(&mut byte).await? == 0 {
            return Err(ProxyError::Garbled("the proxy closed the connection".into()).into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The status code and reason of an HTTP answer's first line.
fn status_of(head: &str) -> Result<(u16, String), ProxyError> {
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some(version), Some(Ok(code))) if version.starts_with("HTTP/1.") => {
            Ok((code, parts.next().unwrap_or("").trim().to_owned()))
        }
        _ => Err(ProxyError::Garbled(format!("{line:?}"))),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `no_proxy` (`example.com, .corp, 10.0.0.1, *`) names `host`.
fn excluded(host: &str, list: &str) -> bool {
    let host = host.to_ascii_lowercase();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let entry = entry.to_ascii_lowercase();
            let entry = entry.split(':').next().unwrap_or_default();
            entry == "*"
                || host == entry.trim_start_matches('.')
                || host.ends_with(&format!(".{}", entry.trim_start_matches('.')))
        })
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
    fn the_systems_proxy_follows_the_scheme_and_no_proxy() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let env = vars(&[
            ("HTTPS_PROXY", "http://secure:3128"),
            ("http_proxy", "http://plain:3128"),
            ("no_proxy", "localhost, .internal, desk.example:443"),
        ]);
        let host_of =
            |host: &str, secure: bool| Proxy::from_vars(host, secure, env).map(|p| p.unwrap().host);
        assert_eq!(host_of("desk.corp", true).as_deref(), Some("secure"));
        assert_eq!(host_of("desk.corp", false).as_deref(), Some("plain"));
        assert_eq!(host_of("desk.example", true), None);
        assert_eq!(host_of("a.b.internal", true), None);
        assert_eq!(host_of("internal", true), None);
        assert_eq!(host_of("127.0.0.1", true), None);
        assert_eq!(host_of("[::1]", true), None);
        let all = vars(&[("ALL_PROXY", "socks5://s:1080")]);
        let p = Proxy::from_vars("desk.corp", true, all).unwrap().unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5);
        assert!(Proxy::from_vars("desk.corp", true, vars(&[])).is_none());
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
    fn an_answer_to_connect_is_read_by_its_status() {
        assert_eq!(
            status_of("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n").unwrap(),
            (407, "Proxy Authentication Required".into())
        );
        assert_eq!(status_of("HTTP/1.0 200\r\n\r\n").unwrap().0, 200);
        assert!(status_of("SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert_eq!(authority("::1", 80), "[::1]:80");
    }
}
