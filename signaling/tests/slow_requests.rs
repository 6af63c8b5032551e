//! Half-sent HTTP requests cannot starve the desk: hundreds of them from one
//! address (slowloris) take no more than that address's share of sockets,
//! `/healthz` and new WebSockets from other addresses are served at once,
//! and the half-sent ones are closed once the header-read timeout passes.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::AsyncWriteExt;

const HEADER_TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn half_sent_requests_do_not_starve_others_and_are_closed() {
    let server = TestServer::start_with(|c| {
        c.header_read_timeout = HEADER_TIMEOUT;
        c.limits.max_connections_per_ip = 64;
    })
    .await;

    // 300 connections from 127.0.0.1: most send half a request, some
    // nothing at all.
    let started = Instant::now();
    let mut slow = Vec::new();
    for i in 0..300 {
        let mut stream = tcp_from([127, 0, 0, 1], server.addr).await;
        if i % 4 != 0 {
            let _ = stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: desk\r\nX-Slow: ")
                .await;
        }
        slow.push(stream);
    }

    // Other addresses are served at once.
    for source in [[127, 0, 0, 2], [127, 0, 0, 3]] {
        let (status, body) = tokio::time::timeout(
            Duration::from_secs(1),
            get_from(source, server.addr, "/healthz", ""),
        )
        .await
        .expect("/healthz answers within a second");
        assert_eq!(status, 200, "{body}");
        assert!(body.starts_with("ok"), "{body}");
    }
    let _ws = tokio::time::timeout(
        Duration::from_secs(1),
        hello_from(&server.url, [127, 0, 0, 4], "client"),
    )
    .await
    .expect("a new WebSocket is served within a second");
    assert!(
        started.elapsed() < HEADER_TIMEOUT,
        "all of that before any timeout could have helped"
    );

    // Every half-sent connection is closed by the header-read timeout (or
    // was closed at accept, over the address's cap).
    let deadline = HEADER_TIMEOUT + Duration::from_secs(2);
    for (i, stream) in slow.iter_mut().enumerate() {
        let left = deadline.saturating_sub(started.elapsed());
        assert!(
            closed_within(stream, left).await,
            "half-sent connection {i} is still open after {:?}",
            started.elapsed()
        );
    }
    assert!(
        started.elapsed() >= HEADER_TIMEOUT - Duration::from_millis(100),
        "not closed before the timeout: {:?}",
        started.elapsed()
    );

    let (_, metrics) = get_from([127, 0, 0, 9], server.addr, "/metrics", "").await;
    let count = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {metrics}"))
    };
    assert_eq!(count("lifeline_connections_refused_total"), 300 - 64);
    assert_eq!(count("lifeline_header_timeouts_total"), 64);
}
