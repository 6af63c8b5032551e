//! The database a test server gets: a fresh SQLite file by default, or,
//! with `LIFELINE_TEST_DATABASE=postgres`, a fresh database in a
//! throw-away PostgreSQL cluster (Debian's `postgresql`), which this test
//! binary starts the first time it is needed (`initdb`, then `postgres` on
//! a Unix socket in a temporary folder; no TCP port) and which stops, and
//! is deleted, when the binary exits. `make test` runs the desk's
//! integration tests both ways.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Whether this run's servers use PostgreSQL.
pub fn postgres() -> bool {
    std::env::var("LIFELINE_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A database URL for a new server: SQLite in `dir`, or a new PostgreSQL
/// database.
pub async fn fresh_url(dir: &Path) -> String {
    if !postgres() {
        return super::sqlite_url(&dir.join("desk.db"));
    }
    let cluster = cluster();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "desk_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&cluster.url("postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    cluster.url(&name)
}

struct Cluster {
    socket: PathBuf,
    /// Closing it (the binary exiting) stops and deletes the cluster.
    _lifeline: Mutex<ChildStdin>,
    _watchdog: Mutex<Child>,
}

impl Cluster {
    fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost/{database}?host={}&port={PORT}",
            self.socket.display()
        )
    }
}

/// The socket's "port": only its file name, `.s.PGSQL.<port>`.
const PORT: u16 = 5433;

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| start().unwrap_or_else(|e| panic!("no PostgreSQL for the tests: {e}")))
}

fn start() -> Result<Cluster, String> {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "PostgreSQL is not installed (scripts/setup.sh installs it)".to_owned())?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .find(|p| p.join("initdb").exists())
        .ok_or("no initdb")?;
    // Kept past the binary's end on purpose: the watchdog deletes it.
    let dir = tempfile::Builder::new()
        .prefix("lifeline-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    launch(&bin, &dir).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&dir);
    })
}

/// initdb in `dir`, then postgres under its watchdog.
fn launch(bin: &Path, dir: &Path) -> Result<Cluster, String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"));
    // initdb and postgres refuse to run as root: then they run as the
    // package's `postgres` user, in a folder it owns.
    let as_owner = |program: &Path| {
        if root {
            let mut command = Command::new("/usr/sbin/runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    };
    if root {
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .map_err(|e| e.to_string())?;
    }
    let data = dir.join("data");
    let initdb = as_owner(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("initdb: {e}"))?;
    if !initdb.success() {
        return Err("initdb failed".into());
    }
    // The watchdog runs postgres until its stdin closes, which happens
    // when this process ends however it ends, then stops it and deletes
    // the folder.
    let script = r#"postgres -D "$1" -k "$2" -p "$3" -c listen_addresses= -c fsync=off \
        -c synchronous_commit=off -c max_connections=300 >/dev/null 2>&1 &
        pg=$!; cat >/dev/null; kill -INT "$pg"; wait "$pg"; rm -rf "$2""#;
    let path = format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", bin.display());
    let mut watchdog = as_owner(Path::new("/bin/sh"))
        .env("PATH", &path)
        .args(["-c", script, "sh"])
        .arg(&data)
        .arg(dir)
        .arg(PORT.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("postgres: {e}"))?;
    let stdin = watchdog.stdin.take().ok_or("no stdin")?;
    let socket_file = dir.join(format!(".s.PGSQL.{PORT}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !socket_file.exists() {
        if Instant::now() > deadline {
            // Dropping the pipe stops what did start.
            drop(stdin);
            return Err("postgres did not start within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Cluster {
        socket: dir.to_owned(),
        _lifeline: Mutex::new(stdin),
        _watchdog: Mutex::new(watchdog),
    })
}
