//! `make bench`: the console's Session Usage Report with 100,000 sessions,
//! in SQLite and in PostgreSQL (a throw-away cluster, when Debian's
//! `postgresql` is installed): the time to serve the first page, a
//! filtered page (one expert, a word), a page 10,000 rows deep, and the
//! CSV export of every row, each over HTTP from the real server. Beside
//! the deep page, the same page's query by keyset (what the console does)
//! and by OFFSET (what a plain pager does), side by side on the same
//! database. Goal: a page under 200 ms.
//!
//! Not a timed test: it asserts nothing about speed, it reports.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[path = "support/postgres.rs"]
mod postgres;

use lifeline_signaling::accounts::{AccountRole, Accounts};
use lifeline_signaling::http::Server;
use lifeline_signaling::{Config, db};
use sqlx::{AnyPool, Row};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SESSIONS: i64 = 100_000;
const EXPERTS: i64 = 20;
const RUNS: usize = 15;
const DEEP: i64 = 10_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("Console report with {SESSIONS} sessions ({RUNS} runs each; p50 / p95, ms)\n");
    println!(
        "{:<11} {:>14} {:>14} {:>14} {:>16} {:>22}",
        "database",
        "first page",
        "filtered page",
        "deep page",
        "CSV (all rows)",
        "deep query: keyset / OFFSET"
    );
    let dir = tempfile::tempdir()?;
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    measure("SQLite", &sqlite).await?;
    match postgres::Postgres::start(dir.path()) {
        Ok(pg) => {
            let result = measure("PostgreSQL", &pg.url).await;
            drop(pg);
            result?;
        }
        Err(why) => println!("{:<11} skipped: {why}", "PostgreSQL"),
    }
    Ok(())
}

async fn measure(name: &str, url: &str) -> anyhow::Result<()> {
    let pool = db::open(url).await?;
    seed(&pool).await?;
    let accounts = Accounts::new(pool.clone(), Duration::from_secs(3600));
    accounts
        .add_with_role("bench", "Bench", "bench password", AccountRole::Admin)
        .await?;
    let token = accounts.issue_token("bench").await?;
    let config = Config {
        database_url: url.to_owned(),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = Server::open(config).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));

    let cursor = deep_cursor(&pool).await?;
    let pages = [
        "/console/sessions".to_owned(),
        "/console/sessions?who=expert7&q=printer".to_owned(),
        format!("/console/sessions?after={cursor}"),
    ];
    let mut cells = Vec::new();
    for page in &pages {
        let times = time(RUNS, || get(addr, page, &token)).await?;
        cells.push(times);
    }
    let csv = time(3, || get(addr, "/console/sessions.csv", &token)).await?;
    let (keyset, offset) = deep_queries(&pool).await?;
    println!(
        "{name:<11} {:>14} {:>14} {:>14} {:>16} {:>22}",
        cells[0],
        cells[1],
        cells[2],
        csv,
        format!("{keyset} / {offset}")
    );
    let _ = stop.send(());
    let _ = task.await;
    Ok(())
}

/// p50 / p95 of `runs` calls, after two to warm up.
async fn time<F, Fut>(runs: usize, mut call: F) -> anyhow::Result<String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    for _ in 0..2 {
        call().await?;
    }
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        call().await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((p * (ms.len() - 1) as f64).round()) as usize];
    Ok(format!("{:.1} / {:.1}", at(0.5), at(0.95)))
}

/// GET with the session cookie; the body's length. Fails unless 200.
async fn get(addr: SocketAddr, path: &str, token: &str) -> anyhow::Result<usize> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: lifeline_console={token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    anyhow::ensure!(
        raw.starts_with(b"HTTP/1.1 200"),
        "{path}: {}",
        String::from_utf8_lossy(&raw[..raw.len().min(200)])
    );
    Ok(raw.len())
}

/// 100,000 sessions over the last 25 days, by 20 experts, in batches.
async fn seed(pool: &AnyPool) -> anyhow::Result<()> {
    let now = db::now_ms();
    let span = 25 * 24 * 3600 * 1000_i64;
    let words = [
        "printer",
        "vpn",
        "email",
        "slow computer",
        "password",
        "scanner",
    ];
    let mut tx = pool.begin().await?;
    for batch in 0..(SESSIONS / 500) {
        let mut sql = String::from(
            "INSERT INTO sessions (session_id, client_id, description, computer_name, computer_os,
                 computer_user, expert, notes, scopes_requested, scopes_granted, requested_at,
                 answered_at, started_at, ended_at, outcome, end_reason, reason) VALUES ",
        );
        let rows: Vec<String> = (0..500)
            .map(|i| {
                let n = batch * 500 + i;
                let at = now - span + n * (span / SESSIONS);
                let word = words[(n % words.len() as i64) as usize];
                format!(
                    "('{n:032x}', '{:06}', '{word} trouble', 'pc-{}', 'Debian 12', 'user{}', \
                     'expert{}', 'notes for {n}', 'view control', 'view control', {at}, {}, {}, {}, \
                     'accepted', 'bye', 'T-{n}')",
                    n % 1_000_000,
                    n % 997,
                    n % 331,
                    n % EXPERTS,
                    at + 5_000,
                    at + 7_000,
                    at + 600_000
                )
            })
            .collect();
        sql += &rows.join(", ");
        sqlx::query(&sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    if url_is_postgres(pool) {
        sqlx::query("ANALYZE sessions").execute(pool).await?;
    }
    Ok(())
}

fn url_is_postgres(pool: &AnyPool) -> bool {
    pool.connect_options().database_url.scheme() == "postgres"
}

/// The cursor after row `DEEP`, newest first.
async fn deep_cursor(pool: &AnyPool) -> anyhow::Result<String> {
    let row = sqlx::query(&format!(
        "SELECT requested_at, session_id FROM sessions
         ORDER BY requested_at DESC, session_id DESC LIMIT 1 OFFSET {}",
        DEEP - 1
    ))
    .fetch_one(pool)
    .await?;
    Ok(format!(
        "{}.{}",
        row.try_get::<i64, _>(0)?,
        row.try_get::<String, _>(1)?
    ))
}

/// The deep page's query both ways, timed alone: (keyset, OFFSET).
async fn deep_queries(pool: &AnyPool) -> anyhow::Result<(String, String)> {
    let row = sqlx::query(&format!(
        "SELECT requested_at, session_id FROM sessions
         ORDER BY requested_at DESC, session_id DESC LIMIT 1 OFFSET {}",
        DEEP - 1
    ))
    .fetch_one(pool)
    .await?;
    let (at, id): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
    let keyset = time(RUNS, || {
        let id = id.clone();
        async move {
            Ok(sqlx::query(
                "SELECT * FROM sessions WHERE requested_at >= 0
                 AND requested_at <= $1 AND (requested_at < $1 OR session_id < $2)
                 ORDER BY requested_at DESC, session_id DESC LIMIT 51",
            )
            .bind(at)
            .bind(id)
            .fetch_all(pool)
            .await?
            .len())
        }
    })
    .await?;
    let offset = time(RUNS, || async {
        Ok(sqlx::query(&format!(
            "SELECT * FROM sessions WHERE requested_at >= 0
             ORDER BY requested_at DESC, session_id DESC LIMIT 51 OFFSET {DEEP}"
        ))
        .fetch_all(pool)
        .await?
        .len())
    })
    .await?;
    Ok((keyset, offset))
}
