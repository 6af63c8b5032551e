//! The proxy's side of a tunnel: HTTP `CONNECT` with Basic
//! authentication, and SOCKS5 with a user name and password.

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Credentials, Proxy, ProxyError, authority};

/// The longest answer to `CONNECT` read before giving up on it.
const MAX_RESPONSE_HEAD: usize = 8 * 1024;

/// `CONNECT host:port` on `stream`, with Basic authentication when the
/// proxy has a user.
pub(super) async fn http(
    proxy: &Proxy,
    stream: &mut TcpStream,
    host: &str,
    port: u16,
) -> Result<(), Step> {
    let target = authority(host, port);
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(c) = &proxy.credentials {
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.user, c.password));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let head = read_head(stream).await?;
    match status_of(&head)? {
        (200..=299, _) => Ok(()),
        // 407 is the standard's; some proxies (tinyproxy) answer a
        // wrong password with 401.
        (401 | 407, _) if proxy.credentials.is_some() => Err(ProxyError::AuthRefused.into()),
        (401 | 407, _) => Err(ProxyError::AuthRequired.into()),
        (code, reason) => Err(ProxyError::Refused(format!("{code} {reason}")).into()),
    }
}

/// SOCKS5's `CONNECT` to `host:port` (by name) on `stream`, logging in
/// when the proxy has a user.
pub(super) async fn socks5(
    proxy: &Proxy,
    stream: &mut TcpStream,
    host: &str,
    port: u16,
) -> Result<(), Step> {
    let methods: &[u8] = if proxy.credentials.is_some() {
        &[0, 2]
    } else {
        &[0]
    };
    let mut greeting = vec![5, methods.len() as u8];
    greeting.extend_from_slice(methods);
    stream.write_all(&greeting).await?;
    let mut chosen = [0u8; 2];
    stream.read_exact(&mut chosen).await?;
    match (chosen, &proxy.credentials) {
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

/// A step of the handshake failed: the connection, or the proxy's answer.
pub(super) enum Step {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_to_connect_is_read_by_its_status() {
        assert_eq!(
            status_of("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n").unwrap(),
            (407, "Proxy Authentication Required".into())
        );
        assert_eq!(status_of("HTTP/1.0 200\r\n\r\n").unwrap().0, 200);
        assert!(status_of("SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }
}
