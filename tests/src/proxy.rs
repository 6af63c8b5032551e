//! An authenticating HTTP proxy for the apps' tests: Debian's tinyproxy on
//! loopback, letting `user` in with `password` (Basic authentication) and
//! logging each tunnel it opens.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::ChildGuard;

pub struct Tinyproxy {
    _child: ChildGuard,
    pub port: u16,
    log: PathBuf,
}

impl Tinyproxy {
    pub fn start(dir: &Path, user: &str, password: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = dir.join("tinyproxy.log");
        std::fs::write(&log, "")?;
        let config = dir.join("tinyproxy.conf");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 60\nLogFile \"{}\"\nLogLevel Connect\n\
                 MaxClients 16\nAllow 127.0.0.1\nBasicAuth {user} {password}\n",
                log.display()
            ),
        )?;
        let mut command = Command::new("tinyproxy");
        command.arg("-d").arg("-c").arg(&config);
        let child = ChildGuard::spawn("tinyproxy", command)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "tinyproxy never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            _child: child,
            port,
            log,
        })
    }

    /// The tunnels opened so far to `target` (`host:port`).
    pub fn tunnels_to(&self, target: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("CONNECT") && line.contains(target))
            .count()
    }
}
