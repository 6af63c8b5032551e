//! The desk link through real proxies on loopback, from Debian's packages:
//! an authenticating HTTP proxy (tinyproxy with Basic authentication),
//! where no password, a wrong one and an unreachable proxy each get their
//! own problem code for the status line and the right one links, a
//! Windows shop's proxy that speaks NTLM only (squid), and a SOCKS5 proxy
//! (dante). Each proxy's log shows the tunnel to the desk.

mod common;

use common::proxies::{dante, free_port, squid_ntlm, tinyproxy};
use common::{start_desk, wait_for};
use lifeline_lib::desk::DeskStatus;
use lifeline_lib::desk::link;
use lifeline_lib::desk::proxy::{Credentials, Proxy, ProxyKind, Route};
use lifeline_signaling::protocol::Role;

fn through(port: u16, credentials: Option<(&str, &str)>) -> Route {
    via(ProxyKind::Http, port, credentials)
}

fn via(kind: ProxyKind, port: u16, credentials: Option<(&str, &str)>) -> Route {
    Route::Through(Proxy {
        kind,
        host: "127.0.0.1".into(),
        port,
        credentials: credentials.map(|(user, password)| Credentials::new(user, password, "")),
    })
}

/// The link's first problem, or `None` once it connects.
async fn outcome(url: &str, route: Route) -> Option<&'static str> {
    let (link, _events) = link::spawn_with(url.to_owned(), Role::Client, None, route, None);
    let status = wait_for(&mut link.subscribe(), "the link's first outcome", |s| {
        matches!(s, DeskStatus::Connected | DeskStatus::Offline { .. })
    })
    .await;
    match status {
        DeskStatus::Offline {
            problem, reason, ..
        } => Some(problem.unwrap_or_else(|| {
            panic!("an unexplained failure: {reason}");
        })),
        _ => None,
    }
}

#[tokio::test]
async fn the_desk_is_reached_through_an_authenticating_proxy() {
    let (dir, url, _stop, _server) = start_desk().await;
    let proxy = tinyproxy(dir.path());

    assert_eq!(
        outcome(&url, through(proxy.port, None)).await,
        Some("proxy_auth_required")
    );
    assert_eq!(
        outcome(&url, through(proxy.port, Some(("ann", "wrong")))).await,
        Some("proxy_auth_refused")
    );
    assert_eq!(
        outcome(&url, through(free_port(), Some(("ann", "s3cret")))).await,
        Some("proxy_unreachable")
    );
    assert_eq!(
        outcome(&url, through(proxy.port, Some(("ann", "s3cret")))).await,
        None
    );
    let desk = url.trim_start_matches("ws://").trim_end_matches("/ws");
    let log = std::fs::read_to_string(dir.path().join("tinyproxy.log")).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("CONNECT") && l.contains(desk)),
        "the proxy's log shows no tunnel to {desk}:\n{log}"
    );
}

#[tokio::test]
async fn the_desk_is_reached_through_an_ntlm_proxy() {
    let (dir, url, _stop, _server) = start_desk().await;
    let proxy = squid_ntlm(dir.path());
    let desk = url.trim_start_matches("ws://").trim_end_matches("/ws");
    let tunnels = || {
        let log = std::fs::read_to_string(dir.path().join("squid-access.log")).unwrap_or_default();
        log.lines()
            .filter(|l| l.contains(&format!("CONNECT {desk}")) && !l.contains("DENIED"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };

    assert_eq!(
        outcome(&url, through(proxy.port, None)).await,
        Some("proxy_auth_required")
    );
    // A user in a Windows domain opens with NTLM.
    assert_eq!(
        outcome(&url, through(proxy.port, Some(("CORP\\ann", "s3cret")))).await,
        None
    );
    // A user without one opens with Basic, which the proxy answers with
    // NTLM on the same connection.
    assert_eq!(
        outcome(&url, through(proxy.port, Some(("bob", "s3cret")))).await,
        None
    );
    // Squid writes a line when a tunnel closes; the links above still
    // hold theirs, so wait for the log rather than read it once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = tunnels();
    while seen.len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        seen = tunnels();
    }
    assert!(
        seen.iter().any(|l| l.contains("ann")) && seen.iter().any(|l| l.contains("bob")),
        "the proxy's log shows no NTLM user's tunnel to {desk}: {seen:#?}"
    );
}

#[tokio::test]
async fn the_desk_is_reached_through_socks5() {
    let (dir, url, _stop, _server) = start_desk().await;
    let proxy = dante(dir.path());
    assert_eq!(
        outcome(&url, via(ProxyKind::Socks5, proxy.port, None)).await,
        None
    );
    let port = url.trim_end_matches("/ws").rsplit(':').next().unwrap();
    let log = std::fs::read_to_string(dir.path().join("danted.log")).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("connect") && l.contains(&format!(".{port}"))),
        "the proxy's log shows no tunnel to port {port}:\n{log}"
    );
    // A desk that is not there: the proxy says so.
    let gone = format!("ws://127.0.0.1:{}/ws", free_port());
    assert_eq!(
        outcome(&gone, via(ProxyKind::Socks5, proxy.port, None)).await,
        Some("proxy_refused")
    );
}
