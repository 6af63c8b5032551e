//! An HTTP proxy's `CONNECT`, authenticated the way the proxy asks:
//! Basic, sent with the first request when a user is set; or NTLM
//! (Windows proxies), which takes three requests on one connection. A
//! user with a Windows domain opens with NTLM; a proxy that answers Basic
//! with an NTLM challenge gets NTLM, and one that answers NTLM with Basic
//! gets Basic.

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::handshake::Step;
use super::{Credentials, Proxy, ProxyError, authority, ntlm};

/// The longest answer head to `CONNECT` read before giving up on it.
const MAX_RESPONSE_HEAD: usize = 8 * 1024;

/// The longest body of a refusal read to keep the connection for the
/// next request; a longer one costs a new connection instead.
const MAX_REFUSAL_BODY: usize = 64 * 1024;

/// How the first request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opening {
    Basic,
    Ntlm,
}

impl Opening {
    /// NTLM for a user in a Windows domain, Basic for anyone else.
    pub(super) fn for_proxy(proxy: &Proxy) -> Self {
        match &proxy.credentials {
            Some(c) if !c.domain.is_empty() => Opening::Ntlm,
            _ => Opening::Basic,
        }
    }
}

/// What the last request carried.
enum Sent {
    Nothing,
    Basic,
    NtlmNegotiate,
    NtlmAuthenticate,
}

/// `CONNECT host:port` on `stream`. `Step::Again` asks for a new
/// connection opening the other way (the proxy closed this one while
/// asking for another scheme).
pub(super) async fn connect(
    proxy: &Proxy,
    stream: &mut TcpStream,
    host: &str,
    port: u16,
    opening: Opening,
) -> Result<(), Step> {
    let target = authority(host, port);
    let credentials = proxy.credentials.as_ref();
    let mut sent = match (credentials, opening) {
        (None, _) => Sent::Nothing,
        (Some(_), Opening::Basic) => Sent::Basic,
        (Some(_), Opening::Ntlm) => Sent::NtlmNegotiate,
    };
    let mut challenge: Option<String> = None;
    // Basic, or NTLM's two requests, each after at most one change of
    // scheme: never more than four.
    for _ in 0..4 {
        let authorization = match (&sent, credentials) {
            (Sent::Basic, Some(c)) => Some(format!("Basic {}", basic(c))),
            (Sent::NtlmNegotiate, _) => Some(format!("NTLM {}", ntlm::negotiate())),
            (Sent::NtlmAuthenticate, Some(c)) => {
                let token = challenge.take().unwrap_or_default();
                Some(format!("NTLM {}", ntlm::authenticate(&token, c)?))
            }
            _ => None,
        };
        let answer = request(stream, &target, authorization.as_deref()).await?;
        if (200..300).contains(&answer.code) {
            return Ok(());
        }
        if !matches!(answer.code, 401 | 407) {
            return Err(ProxyError::Refused(format!("{} {}", answer.code, answer.reason)).into());
        }
        if credentials.is_none() {
            return Err(ProxyError::AuthRequired.into());
        }
        let next = match (&sent, answer.offer()) {
            (Sent::NtlmNegotiate, Offer::NtlmChallenge(token)) => {
                challenge = Some(token);
                Sent::NtlmAuthenticate
            }
            (Sent::Basic, Offer::Ntlm) => Sent::NtlmNegotiate,
            (Sent::NtlmNegotiate, Offer::Basic) => Sent::Basic,
            // The scheme's own answer, refused; or nothing we speak.
            _ => return Err(ProxyError::AuthRefused.into()),
        };
        if !answer.reusable {
            return match next {
                Sent::NtlmNegotiate => Err(Step::Again(Opening::Ntlm)),
                Sent::Basic => Err(Step::Again(Opening::Basic)),
                _ => Err(ProxyError::Garbled(
                    "the proxy closed the connection in the middle of NTLM".into(),
                )
                .into()),
            };
        }
        sent = next;
    }
    Err(ProxyError::AuthRefused.into())
}

fn basic(c: &Credentials) -> String {
    let user = match c.domain.as_str() {
        "" => c.user.clone(),
        domain => format!("{domain}\\{}", c.user),
    };
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", c.password))
}

/// The proxy's answer to one `CONNECT`.
struct Answer {
    code: u16,
    reason: String,
    /// Each `Proxy-Authenticate` (or `WWW-Authenticate`) value.
    challenges: Vec<String>,
    /// Whether the next request may go on this connection.
    reusable: bool,
}

/// Which authentication a refusal asks for, as far as we speak it.
#[derive(Debug, PartialEq, Eq)]
enum Offer {
    /// NTLM's second step: the server's challenge.
    NtlmChallenge(String),
    Ntlm,
    Basic,
    Other,
}

impl Answer {
    fn offer(&self) -> Offer {
        let mut offer = Offer::Other;
        for value in &self.challenges {
            let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
            if scheme.eq_ignore_ascii_case("NTLM") {
                return match rest.trim() {
                    "" => Offer::Ntlm,
                    token => Offer::NtlmChallenge(token.to_owned()),
                };
            }
            if scheme.eq_ignore_ascii_case("Basic") {
                offer = Offer::Basic;
            }
        }
        offer
    }
}

/// Sends one `CONNECT` and reads its answer: the head, and a refusal's
/// body too, so that the next request can follow on this connection. A
/// tunnel's first bytes come only after our own, so nothing of the
/// desk's is read.
async fn request(
    stream: &mut TcpStream,
    target: &str,
    authorization: Option<&str>,
) -> Result<Answer, Step> {
    let mut request =
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nProxy-Connection: Keep-Alive\r\n");
    if let Some(value) = authorization {
        request.push_str(&format!("Proxy-Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let head = read_head(stream).await?;
    let (code, reason, http_10) = status_of(&head)?;
    let mut answer = Answer {
        code,
        reason,
        challenges: Vec::new(),
        reusable: !http_10,
    };
    let mut body = None;
    for line in head.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "proxy-authenticate" | "www-authenticate" => answer.challenges.push(value.to_owned()),
            "connection" | "proxy-connection" => {
                answer.reusable = value.eq_ignore_ascii_case("keep-alive");
            }
            "content-length" => body = value.parse::<usize>().ok(),
            _ => {}
        }
    }
    if (200..300).contains(&code) {
        return Ok(answer);
    }
    match body {
        Some(length) if length <= MAX_REFUSAL_BODY => {
            let mut skipped = vec![0; length];
            stream.read_exact(&mut skipped).await?;
        }
        // Chunked, too long, or up to the connection's end: not worth
        // reading through.
        _ => answer.reusable = false,
    }
    Ok(answer)
}

/// Reads the proxy's answer up to the blank line after its headers.
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

/// The status code and reason of an HTTP answer's first line, and whether
/// it is HTTP/1.0 (whose connections close unless kept alive).
fn status_of(head: &str) -> Result<(u16, String, bool), ProxyError> {
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some(version), Some(Ok(code))) if version.starts_with("HTTP/1.") => Ok((
            code,
            parts.next().unwrap_or("").trim().to_owned(),
            version == "HTTP/1.0",
        )),
        _ => Err(ProxyError::Garbled(format!("{line:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_to_connect_is_read_by_its_status() {
        assert_eq!(
            status_of("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n").unwrap(),
            (407, "Proxy Authentication Required".into(), false)
        );
        assert_eq!(status_of("HTTP/1.0 200\r\n\r\n").unwrap().0, 200);
        assert!(status_of("SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }

    #[test]
    fn a_refusal_names_the_scheme_it_wants() {
        let answer = |challenges: &[&str]| Answer {
            code: 407,
            reason: String::new(),
            challenges: challenges.iter().map(|c| (*c).to_owned()).collect(),
            reusable: true,
        };
        assert_eq!(answer(&["Basic realm=\"corp\""]).offer(), Offer::Basic);
        assert_eq!(answer(&["Basic realm=\"x\"", "NTLM"]).offer(), Offer::Ntlm);
        assert_eq!(
            answer(&["ntlm TlRMTVNTUAACAAAA"]).offer(),
            Offer::NtlmChallenge("TlRMTVNTUAACAAAA".into())
        );
        assert_eq!(answer(&["Negotiate"]).offer(), Offer::Other);
        assert_eq!(answer(&[]).offer(), Offer::Other);
    }

    #[test]
    fn a_windows_user_opens_with_ntlm() {
        let proxy = |domain: &str| Proxy {
            kind: super::super::ProxyKind::Http,
            host: "proxy".into(),
            port: 3128,
            credentials: Some(Credentials::new("ann", "pw", domain)),
        };
        assert_eq!(Opening::for_proxy(&proxy("CORP")), Opening::Ntlm);
        assert_eq!(Opening::for_proxy(&proxy("")), Opening::Basic);
    }
}
