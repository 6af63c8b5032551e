//! `/metrics` is served to loopback peers, and to others only with the
//! configured `metrics_token` as a bearer token: a stranger cannot count
//! the clients waiting for help.

mod common;

use std::net::{IpAddr, SocketAddr};

use common::*;
use lifeline_signaling::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// This machine's address on its way out (no packet is sent), which is not
/// loopback: connecting to it from here looks like a peer on the network.
fn outward_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.254:9").ok()?;
    Some(socket.local_addr().ok()?.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

async fn get_at(addr: SocketAddr, headers: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET /metrics HTTP/1.1\r\nHost: desk\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response[9..12].parse().unwrap()
}

/// A desk listening on every address: (server, its outward address, the
/// directory holding its database).
async fn desk(token: Option<&str>) -> (TestServer, SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: database::fresh_url(dir.path()).await,
        metrics_token: token.map(str::to_owned),
        ..Config::default()
    };
    let server = TestServer::start_config(config, Some(([0, 0, 0, 0], 0).into())).await;
    let outward = outward_address().expect("a non-loopback address to test from");
    let port = server.addr.port();
    (server, SocketAddr::new(outward, port), dir)
}

#[tokio::test]
async fn metrics_are_for_loopback_only_without_a_token() {
    let (server, far, _dir) = desk(None).await;
    let near = SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    assert_eq!(get_at(near, "").await, 200);
    assert_eq!(get_at(far, "").await, 403);
    assert_eq!(get_at(far, "Authorization: Bearer anything\r\n").await, 403);
    let (status, _) = get_from([127, 0, 0, 3], near, "/healthz", "").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_token_opens_metrics_to_others() {
    let (server, far, _dir) = desk(Some("scrape-me-7f3a")).await;
    assert_eq!(get_at(far, "").await, 403);
    assert_eq!(
        get_at(far, "Authorization: Bearer scrape-me-7f3\r\n").await,
        403
    );
    assert_eq!(
        get_at(far, "Authorization: Bearer scrape-me-7f3aa\r\n").await,
        403
    );
    assert_eq!(
        get_at(far, "Authorization: Bearer scrape-me-7f3a\r\n").await,
        200
    );
    let near = SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    assert_eq!(get_at(near, "").await, 200, "loopback needs no token");
}
