//! `make bench`: loads the real signaling server, started from its release
//! binary as a separate process, over loopback from several 127.0.0.x source
//! addresses. Prints idle connections held and memory per connection,
//! connects per second, and p50/p99 latencies for an expert's connect
//! reaching the client and for a relayed signal, with 1k active pairs;
//! then the same connect latency while other clients flood `request_id`
//! as fast as the server answers, beside the quiet figure.
//!
//! Not a timed test: it asserts nothing about speed, it reports.

#[path = "support/ws.rs"]
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use ws::{exchange, login, open_many, pair, percentile, recv, send};

const GOAL_IDLE: usize = 100_000;
const PAIRS: usize = 1_000;
/// Connects, and then signals, in flight at the same moment.
const CONNECTS_IN_FLIGHT: usize = 32;
const SOURCES: u8 = 5;
/// Connects timed while the flood runs.
const FLOOD_PAIRS: usize = 300;
/// Flooding connections, and `request_id`s each keeps in flight.
const FLOODERS: usize = 4;
const FLOOD_DEPTH: usize = 16;
/// IDs the flood issues before the connects are timed: the table size at
/// which issuing used to slow tenfold.
const FLOOD_HEAD_START: u64 = 60_000;
const PASSWORD: &str = "bench password 1";

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// The soft limit on open files, which bounds both processes.
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("bench.toml");
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("desk.db").display());
    std::fs::write(
        &config,
        format!(
            "database_url = \"{database_url}\"\nidle_timeout_secs = 3600\n\
             [limits]\nmax_connections_per_ip = 1000000\nmax_connections = 1000000\n\
             logins_per_minute = 1000000\nconnects_per_minute = 1000000\n\
             id_requests_per_minute = 1000000\n"
        ),
    )?;
    ws::add_bench_expert(&config, PASSWORD)?;
    let (server, addr) = ws::spawn_server(&config, &dir.path().join("server.log"))?;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let limit = open_file_limit();
    let idle_target = GOAL_IDLE.min(limit.saturating_sub(2 * PAIRS + 1500));
    println!("Lifeline signaling load benchmark");
    println!("  server: release binary, separate process, {addr}");
    println!(
        "  sources: 127.0.0.1–127.0.0.{SOURCES}; open-file limit {limit} per process \
         (the server holds at most that many sockets)"
    );

    // Idle connections: connect + hello, 256 in flight.
    let rss_before = server.rss_kib();
    let started = Instant::now();
    let idle = open_many(addr, idle_target, "client", SOURCES).await?;
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = server.rss_kib();
    let per_conn = (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / idle.len() as f64;
    println!();
    println!(
        "  idle WebSockets held      {:>9}   (goal {GOAL_IDLE})",
        idle.len()
    );
    println!(
        "  server RSS                {:>9.1} MiB → {:.1} MiB",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    println!(
        "  RSS per connection        {:>9.1} KiB  → {:.2} GB at 100k (goal ≤ 1 GB)",
        per_conn / 1024.0,
        per_conn * 100_000.0 / 1e9
    );
    println!(
        "  connects per second       {:>9.0}      (connect + hello; goal ≥ 5000/s)",
        idle.len() as f64 / elapsed.as_secs_f64()
    );

    // 1k active pairs: clients with IDs, experts signed in with one token.
    let token = login(addr, PASSWORD).await?;
    let clients = open_many(addr, PAIRS, "client", SOURCES).await?;
    let experts = open_many(addr, PAIRS, "expert", SOURCES).await?;
    let gate = Arc::new(Semaphore::new(CONNECTS_IN_FLIGHT));
    let barrier = Arc::new(tokio::sync::Barrier::new(PAIRS));
    let mut tasks = Vec::new();
    for (i, (client, expert)) in clients.into_iter().zip(experts).enumerate() {
        let token = token.clone();
        let gate = Arc::clone(&gate);
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            pair(i, client, expert, &token, &gate, &barrier).await
        }));
    }
    let mut connect_ms = Vec::new();
    let mut signal_ms = Vec::new();
    for task in tasks {
        let paired = task.await??;
        connect_ms.push(paired.connect_ms);
        signal_ms.extend(paired.signals);
    }
    let quiet_p50 = percentile(&mut connect_ms, 50.0);
    let quiet_p99 = percentile(&mut connect_ms, 99.0);
    println!(
        "  connect → request         p50 {quiet_p50:>6.2} ms   p99 {quiet_p99:>6.2} ms   ({PAIRS} pairs, {CONNECTS_IN_FLIGHT} connects in flight; goal p99 ≤ 5 ms)",
    );
    println!(
        "  relayed signal            p50 {:>6.2} ms   p99 {:>6.2} ms   ({} signals, {PAIRS} active pairs, {CONNECTS_IN_FLIGHT} in flight)",
        percentile(&mut signal_ms, 50.0),
        percentile(&mut signal_ms, 99.0),
        signal_ms.len()
    );
    let (mut quiet_ms, _, _) = timed_connects(addr, &token, 0).await?;
    let (mut flood_ms, issued_per_sec, issued) = timed_connects(addr, &token, FLOODERS).await?;
    let (q50, q99) = (
        percentile(&mut quiet_ms, 50.0),
        percentile(&mut quiet_ms, 99.0),
    );
    let (f50, f99) = (
        percentile(&mut flood_ms, 50.0),
        percentile(&mut flood_ms, 99.0),
    );
    println!(
        "  connect → request, alone  p50 {q50:>6.2} ms   p99 {q99:>6.2} ms   ({FLOOD_PAIRS} connects, one at a time)"
    );
    println!(
        "  connect → request, flood  p50 {f50:>6.2} ms   p99 {f99:>6.2} ms   (the same, while {FLOODERS} clients flood request_id \
         flat out after the first {FLOOD_HEAD_START} IDs: {issued_per_sec:.0} IDs/s, {issued} issued; the limits here are \
         raised, a desk's default is 30 a minute per address)"
    );
    println!(
        "  flood / alone             p50 ×{:.2}      p99 ×{:.2}",
        f50 / q50,
        f99 / q99
    );
    drop(idle);
    Ok(())
}

/// Times `FLOOD_PAIRS` connects, one at a time, while `flooders` clients
/// ask for new IDs as fast as the server answers (from when they have
/// `FLOOD_HEAD_START` between them, so the table is large). Returns the
/// connect latencies, the IDs issued per second and in all.
async fn timed_connects(
    addr: SocketAddr,
    token: &str,
    flooders: usize,
) -> anyhow::Result<(Vec<f64>, f64, u64)> {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let total = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let clients = open_many(addr, FLOOD_PAIRS, "client", SOURCES).await?;
    let experts = open_many(addr, FLOOD_PAIRS, "expert", SOURCES).await?;
    let sockets = open_many(addr, flooders, "client", SOURCES).await?;
    let started = Instant::now();
    let mut floods = Vec::new();
    for mut ws in sockets {
        let stop = Arc::clone(&stop);
        let total = Arc::clone(&total);
        floods.push(tokio::spawn(async move {
            let mut issued = 0u64;
            for _ in 0..FLOOD_DEPTH {
                send(&mut ws, r#"{"type":"request_id"}"#).await?;
            }
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let reply = recv(&mut ws).await?;
                // A full table answers `unavailable`: still an answer.
                anyhow::ensure!(
                    reply["type"] == "id_issued" || reply["code"] == "unavailable",
                    "flood: {reply}"
                );
                issued += u64::from(reply["type"] == "id_issued");
                total.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                send(&mut ws, r#"{"type":"request_id"}"#).await?;
            }
            anyhow::Ok(issued)
        }));
    }
    while flooders > 0 && total.load(std::sync::atomic::Ordering::Relaxed) < FLOOD_HEAD_START {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut latencies = Vec::with_capacity(FLOOD_PAIRS);
    for (i, (mut client, mut expert)) in clients.into_iter().zip(experts).enumerate() {
        let signed = exchange(
            &mut expert,
            &format!(r#"{{"type":"resume","token":"{token}"}}"#),
        )
        .await?;
        anyhow::ensure!(signed["type"] == "signed_in", "flood pair {i}: {signed}");
        let issued = exchange(&mut client, r#"{"type":"request_id"}"#).await?;
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        let at = Instant::now();
        send(
            &mut expert,
            &format!(r#"{{"type":"connect","id":"{id}","scopes":["view"]}}"#),
        )
        .await?;
        let request = recv(&mut client).await?;
        latencies.push(at.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            request["type"] == "connect_request",
            "flood pair {i}: {request}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let mut issued = 0;
    for flood in floods {
        issued += flood.await??;
    }
    Ok((latencies, issued as f64 / elapsed, issued))
}
