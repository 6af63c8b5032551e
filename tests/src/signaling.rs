//! The real signaling server, started from its built binary on a free
//! loopback port with a database of its own. It can be stopped and restarted
//! on the same address, as an outage would. Its log goes to a file the
//! caller names (the harness puts it among the test's artifacts), so it
//! outlives the server's temporary directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::net::forward::Forward;
use crate::process::ChildGuard;

#[derive(Debug)]
pub struct SignalingServer {
    addr: SocketAddr,
    database_url: String,
    log: PathBuf,
    /// Extra flags, such as a shorter consent timeout.
    args: Vec<String>,
    /// The namespace it runs in, and the test's way in there.
    inside: Option<(String, Forward)>,
    _dir: tempfile::TempDir,
    guard: Option<ChildGuard>,
}

impl SignalingServer {
    /// Starts a server whose stderr is appended to `log`.
    pub async fn start(log: PathBuf) -> anyhow::Result<Self> {
        Self::start_with(log, Vec::new()).await
    }

    /// [`start`](Self::start) with extra flags, such as
    /// `--consent-timeout-secs 3`.
    pub async fn start_with(log: PathBuf, args: Vec<String>) -> anyhow::Result<Self> {
        Self::start_at(log, args, None).await
    }

    /// [`start_with`](Self::start_with), inside namespace `netns` on its
    /// address `ip` (the test network's internet).
    pub async fn start_in(
        log: PathBuf,
        args: Vec<String>,
        netns: &str,
        ip: &str,
    ) -> anyhow::Result<Self> {
        Self::start_at(log, args, Some((netns.to_owned(), ip.to_owned()))).await
    }

    async fn start_at(
        log: PathBuf,
        args: Vec<String>,
        place: Option<(String, String)>,
    ) -> anyhow::Result<Self> {
        tokio::task::spawn_blocking(move || {
            let dir = tempfile::Builder::new()
                .prefix("lifeline-signaling-")
                .tempdir()?;
            let database_url =
                format!("sqlite://{}?mode=rwc", dir.path().join("desk.db").display());
            let netns = place.as_ref().map(|(netns, _)| netns.as_str());
            let listen = place
                .as_ref()
                .map_or("127.0.0.1:0".to_owned(), |(_, ip)| format!("{ip}:0"));
            let (addr, guard) = launch(netns, &listen, &database_url, &log, &args)?;
            let inside = match place {
                Some((netns, _)) => Some((netns.clone(), Forward::start(&netns, addr)?)),
                None => None,
            };
            Ok(Self {
                addr,
                database_url,
                log,
                args,
                inside,
                _dir: dir,
                guard: Some(guard),
            })
        })
        .await?
    }

    /// Another node of this server's desk: the same database, its own
    /// port, with `args` (`--redis-url` and `--node-name`; this server must
    /// have been started with the same Redis).
    pub async fn another_node(&self, log: PathBuf, args: Vec<String>) -> anyhow::Result<Self> {
        let database_url = self.database_url.clone();
        tokio::task::spawn_blocking(move || {
            let dir = tempfile::Builder::new()
                .prefix("lifeline-signaling-")
                .tempdir()?;
            let (addr, guard) = launch(None, "127.0.0.1:0", &database_url, &log, &args)?;
            Ok(Self {
                addr,
                database_url,
                log,
                args,
                inside: None,
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
        let args = self.args.clone();
        let netns = self.inside.as_ref().map(|(netns, _)| netns.clone());
        let (addr, guard) = tokio::task::spawn_blocking(move || {
            launch(netns.as_deref(), &listen, &database_url, &log, &args)
        })
        .await??;
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
        self.add_account(username, display_name, password, false)
            .await
    }

    /// Adds a desk admin, as `expert add --admin` does.
    pub async fn add_admin(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        self.add_account(username, display_name, password, true)
            .await
    }

    async fn add_account(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        admin: bool,
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
            .args(admin.then_some("--admin"))
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

    /// The desk's Session Usage Report (`GET /api/sessions`), read as the
    /// support desk would: sign in over the WebSocket for a token, then ask
    /// over HTTP.
    pub async fn session_report(
        &self,
        user: &str,
        password: &str,
    ) -> anyhow::Result<serde_json::Value> {
        let token = self.report_token(user, password).await?;
        self.session_report_with(&token).await
    }

    /// An expert's token for the desk's reports: signed in once, it serves
    /// many reads (the desk limits how often one address signs in).
    pub async fn report_token(&self, user: &str, password: &str) -> anyhow::Result<String> {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;

        let reach = self.reach();
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{reach}/ws")).await?;
        let mut token = None;
        let mut replies = Vec::new();
        for message in [
            serde_json::json!({"type": "hello", "version": 1, "role": "expert"}),
            serde_json::json!({"type": "login", "user": user, "password": password}),
        ] {
            ws.send(Message::text(message.to_string())).await?;
            // The desk's policy follows its welcome; it answers nothing.
            let reply = loop {
                let reply = match ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        serde_json::from_str::<serde_json::Value>(&text)?
                    }
                    other => anyhow::bail!("unexpected reply from the desk: {other:?}"),
                };
                if reply["type"] != "policy" {
                    break reply;
                }
            };
            token = reply["token"].as_str().map(str::to_owned);
            replies.push(reply);
        }
        token.ok_or_else(|| anyhow::anyhow!("the desk gave no token: {replies:?}"))
    }

    /// [`session_report`](Self::session_report) with a token from
    /// [`report_token`](Self::report_token).
    pub async fn session_report_with(&self, token: &str) -> anyhow::Result<serde_json::Value> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let mut http = tokio::net::TcpStream::connect(self.reach()).await?;
        let request = format!(
            "GET /api/sessions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        http.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        http.read_to_string(&mut response).await?;
        let (head, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| anyhow::anyhow!("malformed HTTP response: {response:?}"))?;
        anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "report refused: {head}");
        anyhow::ensure!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "a chunked report: {head}"
        );
        Ok(serde_json::from_str(body)?)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the test itself reaches the server: its address, or a forward
    /// into its namespace.
    fn reach(&self) -> SocketAddr {
        self.inside
            .as_ref()
            .map_or(self.addr, |(_, forward)| forward.addr())
    }

    /// The URL apps are pointed at.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

/// Starts the binary on `listen` and waits for its `listening on` line.
fn launch(
    netns: Option<&str>,
    listen: &str,
    database_url: &str,
    log: &Path,
    args: &[String],
) -> anyhow::Result<(SocketAddr, ChildGuard)> {
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", log.display()))?;
    let binary = crate::paths::binary("lifeline-signaling")?;
    let mut command = crate::net::netns::command_in(netns, binary);
    command
        .args(["--listen", listen, "--database-url", database_url])
        .args(args)
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
