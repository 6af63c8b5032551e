//! The real signaling server, started from its built binary on a free
//! loopback port with a database of its own. It can be stopped and restarted
//! on the same address, as an outage would. Its log goes to a file the
//! caller names (the harness puts it among the test's artifacts), so it
//! outlives the server's temporary directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::ChildGuard;

#[derive(Debug)]
pub struct SignalingServer {
    addr: SocketAddr,
    database_url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
    guard: Option<ChildGuard>,
}

impl SignalingServer {
    /// Starts a server whose stderr is appended to `log`.
    pub async fn start(log: PathBuf) -> anyhow::Result<Self> {
        tokio::task::spawn_blocking(move || {
            let dir = tempfile::Builder::new()
                .prefix("lifeline-signaling-")
                .tempdir()?;
            let database_url =
                format!("sqlite://{}?mode=rwc", dir.path().join("desk.db").display());
            let (addr, guard) = launch("127.0.0.1:0", &database_url, &log)?;
            Ok(Self {
                addr,
                database_url,
                log,
                _dir: dir,
                guard: Some(guard),
            })
        })
        .await?
    }

    /// Stops the server, as a crash or an outage would.
    pub fn stop(&mut self) {
        self.guard.take();
    }

    /// Starts it again on the same address with the same database.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        let listen = self.addr.to_string();
        let database_url = self.database_url.clone();
        let log = self.log.clone();
        let (addr, guard) =
            tokio::task::spawn_blocking(move || launch(&listen, &database_url, &log)).await??;
        anyhow::ensure!(addr == self.addr, "restarted on {addr}, not {}", self.addr);
        self.guard = Some(guard);
        Ok(())
    }

    /// Adds an expert account with the server's own `expert add` command.
    pub async fn add_expert(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        use std::io::Write;
        let mut command = Command::new(crate::paths::binary("lifeline-signaling")?);
        command
            .args([
                "--database-url",
                &self.database_url,
                "expert",
                "add",
                username,
            ])
            .args(["--display-name", display_name, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let password = format!("{password}\n");
        let output = tokio::task::spawn_blocking(move || {
            let mut child = command.spawn()?;
            child
                .stdin
                .take()
                .expect("stdin is piped")
                .write_all(password.as_bytes())?;
            child.wait_with_output()
        })
        .await??;
        anyhow::ensure!(
            output.status.success(),
            "expert add failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL apps are pointed at.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

/// Starts the binary on `listen` and waits for its `listening on` line.
fn launch(
    listen: &str,
    database_url: &str,
    log: &Path,
) -> anyhow::Result<(SocketAddr, ChildGuard)> {
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", log.display()))?;
    let mut command = Command::new(crate::paths::binary("lifeline-signaling")?);
    command
        .args(["--listen", listen, "--database-url", database_url])
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    let mut guard = ChildGuard::spawn("lifeline-signaling", command)?;
    // The server prints `listening on <addr>` once it accepts connections.
    let line = guard.first_stdout_line(Duration::from_secs(20))?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| {
            anyhow::anyhow!("unexpected first line from lifeline-signaling: {line:?}")
        })?;
    Ok((addr, guard))
}
