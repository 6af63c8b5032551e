//! Real proxies from Debian's packages on loopback, for the desk link's
//! and TURN's tests: tinyproxy (HTTP, Basic authentication as `ann` /
//! `s3cret`), squid (HTTP with NTLM only) and dante (SOCKS5). Each logs
//! the tunnels it opens.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::netns::Netns;

/// A proxy process, killed on drop, and its port.
pub struct Running {
    child: Child,
    pub port: u16,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    let [port] = crate::ports::free().expect("a free loopback port");
    port
}

/// Starts `program` with `args`, and waits until `port` takes connections.
pub fn start(program: &str, args: &[&std::ffi::OsStr], port: u16) -> Running {
    let child = spawn(Command::new(program), program, args);
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

fn spawn(mut command: Command, program: &str, args: &[&std::ffi::OsStr]) -> Child {
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} (scripts/setup.sh installs it): {e}"))
}

/// A tinyproxy that lets `ann` in with `s3cret`.
pub fn tinyproxy(dir: &Path) -> Running {
    let port = free_port();
    let config = tinyproxy_config(dir, "127.0.0.1", port, "127.0.0.1");
    start(
        "tinyproxy",
        &["-d".as_ref(), "-c".as_ref(), config.as_os_str()],
        port,
    )
}

/// [`tinyproxy`] on `ip:8080` inside `netns`, for the computers of `lan`.
pub fn tinyproxy_in(dir: &Path, netns: &Netns, ip: &str, lan: &str) -> Running {
    let port = 8080;
    let config = tinyproxy_config(dir, ip, port, lan);
    let args = ["-d".as_ref(), "-c".as_ref(), config.as_os_str()];
    let child = spawn(netns.command("tinyproxy"), "tinyproxy", &args);
    netns.wait_listening(ip, port, "tinyproxy");
    Running { child, port }
}

/// Writes tinyproxy's configuration; it logs to `tinyproxy.log` in `dir`.
fn tinyproxy_config(dir: &Path, ip: &str, port: u16, allow: &str) -> std::path::PathBuf {
    let log = dir.join("tinyproxy.log");
    std::fs::write(&log, "").unwrap();
    let config = dir.join("tinyproxy.conf");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListen {ip}\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\n\
             MaxClients 16\nAllow {allow}\nBasicAuth ann s3cret\nDisableViaHeader Yes\n",
            log.display()
        ),
    )
    .unwrap();
    config
}

/// A squid that takes NTLM and nothing else, as a Windows shop's proxy
/// does. Its helper (`ntlm_fake_auth`) runs the real exchange (challenge,
/// then the user's answer) but has no domain controller to check the
/// password against, so it lets any user in and logs the name it read.
pub fn squid_ntlm(dir: &Path) -> Running {
    use std::os::unix::fs::PermissionsExt;
    let port = free_port();
    // Squid's workers run as `proxy` and write their logs here.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    let config = dir.join("squid.conf");
    std::fs::write(
        &config,
        format!(
            "http_port 127.0.0.1:{port}\n\
             auth_param ntlm program /usr/lib/squid/ntlm_fake_auth\n\
             auth_param ntlm children 2\n\
             acl authed proxy_auth REQUIRED\n\
             http_access allow authed\nhttp_access deny all\n\
             access_log stdio:{}\ncache_log {}\npid_filename {}\n\
             cache deny all\ncache_mem 8 MB\ncoredump_dir {}\n\
             shutdown_lifetime 0 seconds\n",
            path("squid-access.log"),
            path("squid-cache.log"),
            path("squid.pid"),
            dir.display(),
        ),
    )
    .unwrap();
    start(
        "squid",
        &["-N".as_ref(), "-f".as_ref(), config.as_os_str()],
        port,
    )
}

/// A dante SOCKS5 proxy without authentication.
pub fn dante(dir: &Path) -> Running {
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
