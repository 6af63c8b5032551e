//! The proxy's side of a SOCKS5 tunnel, with a user name and password;
//! and how a step of any proxy's handshake fails.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::http_connect::Opening;
use super::{Credentials, Proxy, ProxyError};

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

/// A step of the handshake failed: the connection, or the proxy's answer;
/// or the proxy closed the connection while asking for another
/// authentication, which a new connection opens with.
pub(super) enum Step {
    Io(std::io::Error),
    Proxy(ProxyError),
    Again(Opening),
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
