//! `make bench`: the desk alone and as a cluster, side by side in one run.
//! Five desks, each of release-build node processes sharing PostgreSQL
//! (SQLite when PostgreSQL is missing):
//! 1. one node, in memory (no Redis): today's default, the baseline;
//! 2. one node with Redis;
//! 3. two nodes with Redis, each pair split over them;
//! 4. three nodes with Redis, each pair split;
//! 5. two nodes with Redis, each pair on one node.
//!
//! For each: connects per second and the connect's latency (an expert's
//! `connect` until its client has the request, with many in flight),
//! relayed signals' latency, and idle connections held with memory per
//! connection per node. A process may open 20,000 files here, so the idle
//! connections are held by helper processes (this bench again, one per
//! node), and a node holds at most that many.
//!
//! On desks 3 and 4 every pair is split: the client on one node, its
//! expert on the next, so every message crosses nodes (the worst case; a
//! balancer over two nodes splits half the pairs). Desk 5 keeps each pair
//! on one node: the nodes' own capacity. Beside each desk, the nodes' CPU
//! time per pair, all nodes together: what a connect costs, apart from
//! how many cores there are to pay it.
//!
//! Not a timed test: it asserts nothing about speed, it reports.

#[path = "support/postgres.rs"]
mod postgres;
#[path = "support/redis.rs"]
mod redis;
#[path = "support/ws.rs"]
mod ws;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Barrier, Semaphore};
use ws::{ServerProcess, login, open_many, pair, percentile};

const PAIRS: usize = 1_200;
const IN_FLIGHT: usize = 128;
/// Idle connections each node is given, by a helper process of its own.
const IDLE_PER_NODE: usize = 15_000;
/// Set in a helper: `address count`, the connections it holds.
const HOLD: &str = "LIFELINE_BENCH_HOLD";
const SOURCES: u8 = 20;
const PASSWORD: &str = "bench password 1";

struct Figures {
    connects_per_sec: f64,
    connect: (f64, f64),
    signal: (f64, f64),
    idle: usize,
    kib_per_conn: Vec<f64>,
    /// The nodes' CPU time per pair (sign-in, ID, connect, accept and the
    /// signals), all nodes together.
    cpu_ms_per_pair: f64,
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match std::env::var(HOLD) {
        Ok(spec) => runtime.block_on(hold(&spec)),
        Err(_) => runtime.block_on(run()),
    }
}

/// A helper: opens the idle connections it was asked for, says how many,
/// and holds them until its stdin closes.
async fn hold(spec: &str) -> anyhow::Result<()> {
    let (addr, count) = spec
        .split_once(' ')
        .ok_or_else(|| anyhow::anyhow!("{HOLD}: {spec:?}"))?;
    let held = open_many(addr.parse()?, count.parse()?, "client", SOURCES).await?;
    println!("held {}", held.len());
    std::io::stdout().flush()?;
    let mut rest = String::new();
    let _ = std::io::stdin().read_line(&mut rest);
    drop(held);
    Ok(())
}

/// Starts a helper holding `count` idle connections to `addr`; returns
/// it once they are open, with how many.
fn holder(addr: SocketAddr, count: usize) -> anyhow::Result<(std::process::Child, usize)> {
    let mut child = Command::new(std::env::current_exe()?)
        .env(HOLD, format!("{addr} {count}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout).read_line(&mut line)?;
    }
    let held = line.trim().trim_start_matches("held ").parse().unwrap_or(0);
    Ok((child, held))
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pg = postgres::Postgres::start(dir.path());
    let database_url = match &pg {
        Ok(pg) => pg.url.clone(),
        Err(why) => {
            println!("PostgreSQL: {why}; the nodes share SQLite instead");
            format!("sqlite://{}?mode=rwc", dir.path().join("desk.db").display())
        }
    };
    let redis_dir = dir.path().join("redis");
    std::fs::create_dir_all(&redis_dir)?;
    let redis = redis::Redis::start(&redis_dir).map_err(anyhow::Error::msg)?;
    let expert = dir.path().join("expert.toml");
    std::fs::write(&expert, format!("database_url = \"{database_url}\"\n"))?;
    ws::add_bench_expert(&expert, PASSWORD)?;
    println!("Lifeline desk: one node, and a cluster of nodes sharing Redis");
    println!(
        "  release binaries, each node its own process; {} shared; {PAIRS} pairs, {IN_FLIGHT} connects in flight; \
         {IDLE_PER_NODE} idle connections per node; 2 cores for everything",
        if pg.is_ok() { "PostgreSQL" } else { "SQLite" }
    );
    println!();
    println!(
        "  {:<24} {:>11} {:>19} {:>19} {:>13} {:>9} {:>22}",
        "desk",
        "connects/s",
        "connect p50 / p99",
        "signal p50 / p99",
        "CPU ms / pair",
        "idle",
        "KiB per connection"
    );
    // (name, nodes, Redis, whether each pair's two sides are on two nodes)
    let setups = [
        ("1 node, in memory", 1, None, false),
        ("1 node + Redis", 1, Some(&redis.url), false),
        ("2 nodes, pairs split", 2, Some(&redis.url), true),
        ("3 nodes, pairs split", 3, Some(&redis.url), true),
        ("2 nodes, pairs on one", 2, Some(&redis.url), false),
    ];
    let mut all = Vec::new();
    for (n, (name, nodes, redis_url, split)) in setups.into_iter().enumerate() {
        let desk = Desk::start(dir.path(), &database_url, nodes, redis_url, n)?;
        let figures = measure(&desk, split).await?;
        let per_conn: Vec<String> = figures
            .kib_per_conn
            .iter()
            .map(|k| format!("{k:.1}"))
            .collect();
        println!(
            "  {name:<24} {:>11.0} {:>8.2} / {:>6.2} ms {:>8.2} / {:>6.2} ms {:>13.2} {:>9} {:>22}",
            figures.connects_per_sec,
            figures.connect.0,
            figures.connect.1,
            figures.signal.0,
            figures.signal.1,
            figures.cpu_ms_per_pair,
            figures.idle,
            per_conn.join(" / ")
        );
        all.push(figures);
        drop(desk);
    }
    let rate = |i: usize| all[i].connects_per_sec;
    println!();
    println!(
        "  1 node + Redis / in memory    connects/s ×{:.2}   (goal ≥ 0.70)",
        rate(1) / rate(0)
    );
    println!(
        "  pairs split over nodes        2 nodes / 1 node ×{:.2}   3 nodes / 1 node ×{:.2}   (linear: ×2, ×3)",
        rate(2) / rate(1),
        rate(3) / rate(1)
    );
    println!(
        "  pairs on one node             2 nodes / 1 node ×{:.2}",
        rate(4) / rate(1)
    );
    println!(
        "  this machine has 2 cores for the bench's clients, Redis, PostgreSQL and every node: \
         past one node, the nodes share the same two cores and cannot scale here."
    );
    drop(redis);
    drop(pg);
    Ok(())
}

/// One desk: its node processes and their addresses.
struct Desk {
    nodes: Vec<(ServerProcess, SocketAddr)>,
}

impl Desk {
    fn start(
        dir: &std::path::Path,
        database_url: &str,
        nodes: usize,
        redis_url: Option<&String>,
        desk: usize,
    ) -> anyhow::Result<Self> {
        let mut started = Vec::new();
        for n in 0..nodes {
            let config = dir.join(format!("desk{desk}-node{n}.toml"));
            let cluster = redis_url
                .map(|url| {
                    format!(
                        "redis_url = \"{url}\"\nnode_name = \"n{n}\"\nredis_key_prefix = \"bench{desk}\"\n"
                    )
                })
                .unwrap_or_default();
            std::fs::write(
                &config,
                format!(
                    "database_url = \"{database_url}\"\nidle_timeout_secs = 3600\n{cluster}\
                     [limits]\nmax_connections_per_ip = 1000000\nmax_connections = 1000000\n\
                     logins_per_minute = 1000000\nconnects_per_minute = 1000000\n\
                     id_requests_per_minute = 1000000\nrequests_per_id = 1000\n"
                ),
            )?;
            let log = dir.join(format!("desk{desk}-node{n}.log"));
            started.push(ws::spawn_server(&config, &log)?);
        }
        Ok(Self { nodes: started })
    }
}

/// With `split`, each pair's client is on node i and its expert on node
/// i + 1; without, both on node i.
async fn measure(desk: &Desk, split: bool) -> anyhow::Result<Figures> {
    let n = desk.nodes.len();
    let token = login(desk.nodes[0].1, PASSWORD).await?;
    let mut clients = Vec::new();
    let mut experts = Vec::new();
    for (i, (_, addr)) in desk.nodes.iter().enumerate() {
        let share = PAIRS / n + usize::from(i < PAIRS % n);
        clients.extend(open_many(*addr, share, "client", SOURCES).await?);
        let next = desk.nodes[(i + usize::from(split)) % n].1;
        experts.extend(open_many(next, share, "expert", SOURCES).await?);
    }
    let cpu = |desk: &Desk| desk.nodes.iter().map(|(p, _)| p.cpu_ms()).sum::<u64>();
    let cpu_before = cpu(desk);
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let barrier = Arc::new(Barrier::new(PAIRS));
    let mut tasks = Vec::new();
    for (i, (client, expert)) in clients.into_iter().zip(experts).enumerate() {
        let (token, gate, barrier) = (token.clone(), Arc::clone(&gate), Arc::clone(&barrier));
        tasks.push(tokio::spawn(async move {
            pair(i, client, expert, &token, &gate, &barrier).await
        }));
    }
    let (mut connect_ms, mut signal_ms) = (Vec::new(), Vec::new());
    let (mut first, mut last): (Option<Instant>, Option<Instant>) = (None, None);
    for task in tasks {
        let paired = task.await??;
        connect_ms.push(paired.connect_ms);
        signal_ms.extend(paired.signals);
        let (sent, arrived) = paired.connect;
        first = Some(first.map_or(sent, |f| f.min(sent)));
        last = Some(last.map_or(arrived, |l| l.max(arrived)));
    }
    let cpu_ms_per_pair = cpu(desk).saturating_sub(cpu_before) as f64 / PAIRS as f64;
    let span = match (first, last) {
        (Some(first), Some(last)) => (last - first).as_secs_f64(),
        _ => f64::NAN,
    };

    let mut kib_per_conn = Vec::new();
    let mut holders = Vec::new();
    let mut idle = 0;
    for (process, addr) in &desk.nodes {
        let before = process.rss_kib();
        let (helper, held) = tokio::task::block_in_place(|| holder(*addr, IDLE_PER_NODE))?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let grown = process.rss_kib().saturating_sub(before) as f64;
        kib_per_conn.push(grown / held.max(1) as f64);
        idle += held;
        holders.push(helper);
    }
    for mut helper in holders {
        drop(helper.stdin.take());
        let _ = helper.wait();
    }
    Ok(Figures {
        connects_per_sec: PAIRS as f64 / span,
        connect: (
            percentile(&mut connect_ms, 50.0),
            percentile(&mut connect_ms, 99.0),
        ),
        signal: (
            percentile(&mut signal_ms, 50.0),
            percentile(&mut signal_ms, 99.0),
        ),
        idle,
        kib_per_conn,
        cpu_ms_per_pair,
    })
}
