//! Connections are capped when they are accepted, before any HTTP or
//! WebSocket upgrade: per source address, and for the whole desk. A
//! connection over a cap is closed at once and counted; other addresses
//! are still served; a place given back is taken again.

mod common;

use std::time::Duration;

use common::*;

fn metric(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

/// A WebSocket handshake from `source`, which must fail without any HTTP
/// response: the socket was closed before the upgrade.
async fn assert_closed_before_upgrade(server: &TestServer, source: [u8; 4]) {
    let stream = tcp_from(source, server.addr).await;
    let refused = tokio::time::timeout(
        Duration::from_secs(2),
        tokio_tungstenite::client_async(
            &server.url,
            tokio_tungstenite::MaybeTlsStream::Plain(stream),
        ),
    )
    .await
    .expect("the handshake ends at once");
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            panic!(
                "an HTTP answer ({}), not a closed socket",
                response.status()
            )
        }
        Err(_) => {}
        Ok(_) => panic!("the connection over the cap was upgraded"),
    }
}

#[tokio::test]
async fn connections_per_address_are_capped_before_the_upgrade() {
    let server = TestServer::start_with(|c| c.limits.max_connections_per_ip = 3).await;
    // Three places: two WebSockets and a bare socket that has sent nothing.
    let mut open = vec![
        hello_from(&server.url, [127, 0, 0, 1], "client").await,
        hello_from(&server.url, [127, 0, 0, 1], "client").await,
    ];
    let mut bare = tcp_from([127, 0, 0, 1], server.addr).await;

    assert_closed_before_upgrade(&server, [127, 0, 0, 1]).await;
    let mut another = tcp_from([127, 0, 0, 1], server.addr).await;
    assert!(closed_within(&mut another, Duration::from_secs(2)).await);
    // Another address is not affected.
    let _other = hello_from(&server.url, [127, 0, 0, 2], "client").await;

    // A place given back, by a WebSocket or by a bare socket, is free again.
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    open.push(hello_from(&server.url, [127, 0, 0, 1], "client").await);
    assert_closed_before_upgrade(&server, [127, 0, 0, 1]).await;
    drop(bare);
    tokio::time::sleep(Duration::from_millis(100)).await;
    bare = tcp_from([127, 0, 0, 1], server.addr).await;
    assert_closed_before_upgrade(&server, [127, 0, 0, 1]).await;
    drop(bare);

    let (status, metrics) = get_from([127, 0, 0, 9], server.addr, "/metrics", "").await;
    assert_eq!(status, 200);
    assert_eq!(metric(&metrics, "lifeline_connections_refused_total"), 4);
    assert_eq!(
        metric(&metrics, "lifeline_connections_refused_global_total"),
        0
    );
}

#[tokio::test]
async fn the_desk_caps_all_connections() {
    let server = TestServer::start_with(|c| c.max_connections = Some(3)).await;
    let first = hello_from(&server.url, [127, 0, 0, 1], "client").await;
    let _second = hello_from(&server.url, [127, 0, 0, 2], "expert").await;
    let _third = tcp_from([127, 0, 0, 3], server.addr).await;

    // A fourth, from a fresh address, is closed: the desk is full.
    assert_closed_before_upgrade(&server, [127, 0, 0, 4]).await;
    let (status, _) = get_from([127, 0, 0, 5], server.addr, "/healthz", "").await;
    assert_eq!(status, 0, "even /healthz waits for a free place");

    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, metrics) = get_from([127, 0, 0, 5], server.addr, "/metrics", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        metric(&metrics, "lifeline_connections_refused_global_total"),
        2
    );
}
