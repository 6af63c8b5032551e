//! What the signaling benches share: the server as a child process with
//! its memory, WebSockets from several loopback source addresses, one
//! pair's connect and relayed signals, and percentiles.

// Each bench uses its own subset.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{WebSocketStream, client_async};

pub type Ws = WebSocketStream<tokio::net::TcpStream>;

const BINARY: &str = env!("CARGO_BIN_EXE_lifeline-signaling");

/// Starts the release server with the TOML file `config`, its log in
/// `log`; returns once it listens.
pub fn spawn_server(config: &Path, log: &Path) -> anyhow::Result<(ServerProcess, SocketAddr)> {
    let mut child = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(log)?))
        .spawn()?;
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout).read_line(&mut line)?;
    }
    let server = ServerProcess(child);
    let addr = line.trim().trim_start_matches("listening on ").parse()?;
    Ok((server, addr))
}

/// Adds the expert `bench` with `password` to the desk `config` names,
/// with the server's own `expert add`.
pub fn add_bench_expert(config: &Path, password: &str) -> anyhow::Result<()> {
    let mut add = Command::new(BINARY)
        .arg("--config")
        .arg(config)
        .args([
            "expert",
            "add",
            "bench",
            "--display-name",
            "Bench",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = add.stdin.take() {
        stdin.write_all(format!("{password}\n").as_bytes())?;
    }
    anyhow::ensure!(add.wait()?.success(), "expert add failed");
    Ok(())
}

/// Signals each pair relays and times.
pub const SIGNAL_ROUNDS: usize = 20;

pub struct ServerProcess(pub Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl ServerProcess {
    /// CPU time used so far (user and system), in milliseconds.
    pub fn cpu_ms(&self) -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.0.id())).unwrap_or_default();
        // After the command's closing parenthesis: utime and stime are the
        // 12th and 13th fields, in clock ticks (100 a second on Linux).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let tick = |n: usize| {
            fields
                .get(n)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (tick(11) + tick(12)) * 10
    }

    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

/// Opens `n` WebSockets with `hello` as `role`, spread over `sources`
/// addresses (127.0.0.1 and up), 256 at a time.
pub async fn open_many(
    addr: SocketAddr,
    n: usize,
    role: &'static str,
    sources: u8,
) -> anyhow::Result<Vec<Ws>> {
    let gate = Arc::new(Semaphore::new(256));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let gate = Arc::clone(&gate);
        let source = Ipv4Addr::new(127, 0, 0, 1 + (i % usize::from(sources)) as u8);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            open(addr, source, role).await
        }));
    }
    let mut sockets = Vec::with_capacity(n);
    for task in tasks {
        sockets.push(task.await??);
    }
    Ok(sockets)
}

pub async fn open(addr: SocketAddr, source: Ipv4Addr, role: &str) -> anyhow::Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    let stream = socket.connect(addr).await?;
    let (mut ws, _) = client_async(format!("ws://{addr}/ws"), stream).await?;
    let welcome = exchange(
        &mut ws,
        &format!(r#"{{"type":"hello","version":1,"role":"{role}"}}"#),
    )
    .await?;
    anyhow::ensure!(welcome["type"] == "welcome", "{welcome}");
    let policy = recv(&mut ws).await?;
    anyhow::ensure!(policy["type"] == "policy", "{policy}");
    Ok(ws)
}

pub async fn login(addr: SocketAddr, password: &str) -> anyhow::Result<String> {
    let mut ws = open(addr, Ipv4Addr::LOCALHOST, "expert").await?;
    let reply = exchange(
        &mut ws,
        &format!(r#"{{"type":"login","user":"bench","password":"{password}"}}"#),
    )
    .await?;
    Ok(reply["token"].as_str().unwrap_or_default().to_owned())
}

/// What one pair measured.
pub struct Paired {
    pub connect_ms: f64,
    pub signals: Vec<f64>,
    /// When its connect was sent, and when the client had it.
    pub connect: (Instant, Instant),
}

/// One pair's work: sign in, get an ID, connect and time the request's
/// arrival, accept, then time relayed signals.
pub async fn pair(
    i: usize,
    mut client: Ws,
    mut expert: Ws,
    token: &str,
    gate: &Semaphore,
    phase: &tokio::sync::Barrier,
) -> anyhow::Result<Paired> {
    let signed = exchange(
        &mut expert,
        &format!(r#"{{"type":"resume","token":"{token}"}}"#),
    )
    .await?;
    anyhow::ensure!(signed["type"] == "signed_in", "pair {i}: {signed}");
    let issued = exchange(&mut client, r#"{"type":"request_id"}"#).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    // Each phase starts when every pair has finished the one before.
    phase.wait().await;

    let permit = gate.acquire().await?;
    let started = Instant::now();
    send(
        &mut expert,
        &format!(r#"{{"type":"connect","id":"{id}","scopes":["view"]}}"#),
    )
    .await?;
    let request = recv(&mut client).await?;
    let connected = Instant::now();
    let connect_ms = (connected - started).as_secs_f64() * 1000.0;
    drop(permit);
    anyhow::ensure!(request["type"] == "connect_request", "pair {i}: {request}");
    let located = recv(&mut expert).await?;
    let session = located["session"].as_str().unwrap_or_default().to_owned();
    send(
        &mut client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await?;
    recv(&mut client).await?;
    recv(&mut expert).await?;
    phase.wait().await;

    let signal = format!(
        r#"{{"type":"signal","session":"{session}","signal":{{"kind":"ice","candidate":"candidate:1 1 udp 2122260223 192.0.2.{} 50000 typ host","sdpMid":"0","sdpMLineIndex":0}}}}"#,
        i % 250
    );
    let mut signals = Vec::with_capacity(SIGNAL_ROUNDS);
    for _ in 0..SIGNAL_ROUNDS {
        let _permit = gate.acquire().await?;
        let started = Instant::now();
        send(&mut expert, &signal).await?;
        let relayed = recv(&mut client).await?;
        signals.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(relayed["type"] == "signal", "pair {i}: {relayed}");
    }
    Ok(Paired {
        connect_ms,
        signals,
        connect: (started, connected),
    })
}

pub async fn send(ws: &mut Ws, text: &str) -> anyhow::Result<()> {
    ws.send(Message::text(text)).await?;
    Ok(())
}

pub async fn recv(ws: &mut Ws) -> anyhow::Result<serde_json::Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await? {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(_)) => continue,
            other => anyhow::bail!("connection ended: {other:?}"),
        }
    }
}

pub async fn exchange(ws: &mut Ws, text: &str) -> anyhow::Result<serde_json::Value> {
    send(ws, text).await?;
    recv(ws).await
}

pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[rank]
}
