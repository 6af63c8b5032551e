//! The desk link through real proxies on loopback, from Debian's packages:
//! an authenticating HTTP proxy (tinyproxy with Basic authentication),
//! where no password, a wrong one and an unreachable proxy each get their
//! own problem code for the status line and the right one links, and a
//! SOCKS5 proxy (dante). Each proxy's log shows the tunnel to the desk.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{start_desk, wait_for};
use lifeline_lib::desk::DeskStatus;
use lifeline_lib::desk::link::{self, Route};
use lifeline_lib::desk::proxy::{Credentials, Proxy, ProxyKind};
use lifeline_signaling::protocol::Role;

/// A proxy process, killed on drop, and its port.
struct Running {
    child: Child,
    port: u16,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts `program` with `args`, and waits until `port` takes connections.
fn start(program: &str, args: &[&std::ffi::OsStr], port: u16) -> Running {
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} (scripts/setup.sh installs it): {e}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{program} never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Running { child, port }
}

/// A tinyproxy that lets `ann` in with `s3cret`.
fn tinyproxy(dir: &Path) -> Running {
    let port = free_port();
    let log = dir.join("tinyproxy.log");
    std::fs::write(&log, "").unwrap();
    let config = dir.join("tinyproxy.conf");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\n\
             MaxClients 16\nAllow 127.0.0.1\nBasicAuth ann s3cret\nDisableViaHeader Yes\n",
            log.display()
        ),
    )
    .unwrap();
    start(
        "tinyproxy",
        &["-d".as_ref(), "-c".as_ref(), config.as_os_str()],
        port,
    )
}

/// A dante SOCKS5 proxy without authentication.
fn dante(dir: &Path) -> Running {
    let port = free_port();
    let config = dir.join("danted.conf");
    std::fs::write(
        &config,
        format!(
            "logoutput: {}\ninternal: 127.0.0.1 port = {port}\nexternal: lo\n\
             socksmethod: none\nclientmethod: none\nuser.privileged: root\n\
             user.unprivileged: nobody\n\
             client pass {{\n from: 127.0.0.0/8 to: 0.0.0.0/0\n}}\n\
             socks pass {{\n from: 127.0.0.0/8 to: 0.0.0.0/0\n command: connect\n log: connect\n}}\n",
            dir.join("danted.log").display()
        ),
    )
    .unwrap();
    let args = [
        "-f".as_ref(),
        config.as_os_str(),
        "-N".as_ref(),
        "1".as_ref(),
    ];
    start("danted", &args, port)
}

fn through(port: u16, credentials: Option<(&str, &str)>) -> Route {
    via(ProxyKind::Http, port, credentials)
}

fn via(kind: ProxyKind, port: u16, credentials: Option<(&str, &str)>) -> Route {
    Route::Through(Proxy {
        kind,
        host: "127.0.0.1".into(),
        port,
        credentials: credentials.map(|(user, password)| Credentials {
            user: user.into(),
            password: password.into(),
        }),
    })
}

/// The link's first problem, or `None` once it connects.
async fn outcome(url: &str, route: Route) -> Option<&'static str> {
    let (link, _events) = link::spawn_with(url.to_owned(), Role::Client, None, route);
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
