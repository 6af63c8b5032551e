//! A desk's card: what its `/client-config` says of it (name, logo and
//! verification code), fetched over the pinned TLS the link names, so the
//! user sees who the link leads to before trusting it.

use lifeline_signaling::protocol::client_card::ClientCard;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

use super::address::DeskAddress;
use super::brand::Brand;
use crate::desk::proxy::{ProxyError, Route};
use crate::desk::tls::{self, ServerPin};

/// The largest answer read: a 256 KiB logo in base64, and the rest.
const MAX_ANSWER: u64 = 512 * 1024;

/// How long the desk has to answer.
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// Why the desk's card could not be had. Each has its own words in the UI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("the desk at {0} cannot be reached: {1}")]
    Unreachable(String, String),
    #[error("the desk at {0} does not hold the key the link's verification code names")]
    KeyMismatch(String),
    #[error("the desk at {0} says its verification code is another than the link's")]
    CodeDiffers(String),
    #[error("the desk at {0} gave no usable description of itself: {1}")]
    NotADesk(String, String),
    #[error(transparent)]
    Proxy(#[from] ProxyError),
}

impl CardError {
    pub const CODES: &'static [&'static str] =
        &["desk_unreachable", "desk_pin_mismatch", "desk_not_a_desk"];

    pub fn code(&self) -> &'static str {
        match self {
            CardError::Unreachable(..) => "desk_unreachable",
            CardError::KeyMismatch(_) | CardError::CodeDiffers(_) => "desk_pin_mismatch",
            CardError::NotADesk(..) => "desk_not_a_desk",
            CardError::Proxy(error) => error.code(),
        }
    }
}

/// Fetches `desk`'s card over TLS to the key `pin` names, through `route`.
pub async fn fetch(desk: &DeskAddress, pin: ServerPin, route: &Route) -> Result<Brand, CardError> {
    tokio::time::timeout(DEADLINE, fetch_now(desk, pin, route))
        .await
        .unwrap_or_else(|_| {
            Err(CardError::Unreachable(
                desk.host(),
                "no answer in 10 s".into(),
            ))
        })
}

async fn fetch_now(desk: &DeskAddress, pin: ServerPin, route: &Route) -> Result<Brand, CardError> {
    let where_ = desk.host();
    let unreachable = |e: std::io::Error| CardError::Unreachable(where_.clone(), e.to_string());
    let (host, port) = desk.endpoint();
    let tcp = match route.proxy_for(&host, true).await? {
        Some(proxy) => proxy.open(&host, port).await?,
        None => TcpStream::connect((host.as_str(), port))
            .await
            .map_err(unreachable)?,
    };
    let name = ServerName::try_from(host.clone())
        .map_err(|e| CardError::Unreachable(where_.clone(), e.to_string()))?;
    let connector = TlsConnector::from(tls::client_config(Some(pin)));
    let tls = connector.connect(name, tcp).await.map_err(|e| {
        if is_certificate_refusal(&e) {
            CardError::KeyMismatch(where_.clone())
        } else {
            unreachable(e)
        }
    })?;
    let body = get(tls, &desk.page("client-config"), &host)
        .await
        .map_err(|why| CardError::NotADesk(where_.clone(), why))?;
    let answer: ClientCard = serde_json::from_slice(&body)
        .map_err(|e| CardError::NotADesk(where_.clone(), e.to_string()))?;
    let advertised = answer.pin.as_deref().map(str::parse::<ServerPin>);
    if advertised.is_some_and(|code| code != Ok(pin)) {
        return Err(CardError::CodeDiffers(where_));
    }
    Brand::new(&answer.name, answer.logo).map_err(|e| CardError::NotADesk(where_, e.to_string()))
}

/// The pinned verifier refused the key (rather than the network failing).
fn is_certificate_refusal(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                tokio_rustls::rustls::Error::General(_)
                    | tokio_rustls::rustls::Error::InvalidCertificate(_)
            )
        })
}

/// One HTTP/1.0 GET (no chunks, no keep-alive): the body of a 200 answer.
async fn get<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    url: &url::Url,
    host: &str,
) -> Result<Vec<u8>, String> {
    let path = url.path();
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/json\r\nUser-Agent: Lifeline/{}\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    (&mut stream)
        .take(MAX_ANSWER + 1)
        .read_to_end(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    if answer.len() as u64 > MAX_ANSWER {
        return Err("the answer is too large".into());
    }
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the answer has no end of headers")?;
    let status = answer[..split]
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or_default();
    let status = String::from_utf8_lossy(status);
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(format!("it answered {}", status.trim()));
    }
    Ok(answer.split_off(split + 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_get_reads_the_body_of_a_200_only() {
        let url = url::Url::parse("https://h.example:8443/desk/client-config").unwrap();
        let (mut desk, app) = tokio::io::duplex(1 << 16);
        let answering = tokio::spawn(async move {
            let mut request = vec![0u8; 1024];
            let n = desk.read(&mut request).await.unwrap();
            desk.write_all(
                b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"name\":\"Acme\"}",
            )
            .await
            .unwrap();
            String::from_utf8(request[..n].to_vec()).unwrap()
        });
        let body = get(app, &url, "h.example").await.unwrap();
        assert_eq!(body, b"{\"name\":\"Acme\"}");
        let request = answering.await.unwrap();
        assert!(
            request.starts_with("GET /desk/client-config HTTP/1.0\r\nHost: h.example:8443\r\n"),
            "{request}"
        );

        let (mut desk, app) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move { desk.write_all(b"HTTP/1.1 404 Not Found\r\n\r\n").await });
        assert_eq!(
            get(app, &url, "h.example").await.unwrap_err(),
            "it answered HTTP/1.1 404 Not Found"
        );
    }
}
