//! The real signaling server, started from its built binary on a free
//! loopback port with a database of its own.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::process::ChildGuard;

#[derive(Debug)]
pub struct SignalingServer {
    addr: SocketAddr,
    database_url: String,
    _dir: tempfile::TempDir,
    _guard: ChildGuard,
}

impl SignalingServer {
    pub async fn start() -> anyhow::Result<Self> {
        tokio::task::spawn_blocking(Self::start_blocking).await?
    }

    fn start_blocking() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("lifeline-signaling-")
            .tempdir()?;
        let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("desk.db").display());
        let mut command = Command::new(crate::paths::binary("lifeline-signaling")?);
        command
            .args(["--listen", "127.0.0.1:0", "--database-url", &database_url])
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(
                dir.path().join("signaling.log"),
            )?));
        let mut guard = ChildGuard::spawn("lifeline-signaling", command)?;
        let stdout = guard
            .child_mut()
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("signaling stdout was not captured"))?;

        // The server prints `listening on <addr>` once it accepts connections.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut reader.take(u64::MAX), &mut std::io::sink());
        });
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| anyhow::anyhow!("lifeline-signaling did not start within 20 s"))?;
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| {
                anyhow::anyhow!("unexpected first line from lifeline-signaling: {line:?}")
            })?;
        Ok(Self {
            addr,
            database_url,
            _dir: dir,
            _guard: guard,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL apps are pointed at.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }
}
