//! Redis for the tests: Debian's `redis-server`, started by this test
//! binary the first time it is needed, on a Unix socket in a temporary
//! folder (no TCP port to collide over), and stopped and deleted when the
//! binary exits. Each test server gets its own key prefix, so servers
//! sharing this Redis share nothing unless a test puts them in one desk.
//!
//! With `LIFELINE_TEST_REDIS=1`, every test server is a node with Redis;
//! `make test` runs the desk's integration tests that way too, with
//! PostgreSQL.

use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use lifeline_signaling::config::ClusterConfig;

/// Whether every test server of this run uses Redis.
pub fn enabled() -> bool {
    std::env::var("LIFELINE_TEST_REDIS").is_ok_and(|v| v == "1")
}

/// A key prefix no other server of this run has: a desk of its own.
pub fn fresh_desk() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "desk{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A node of the desk `prefix`, named `name`.
pub fn node(prefix: &str, name: &str) -> ClusterConfig {
    ClusterConfig {
        redis_url: url(),
        node_name: name.to_owned(),
        key_prefix: prefix.to_owned(),
    }
}

pub fn url() -> String {
    format!("redis+unix://{}", server().socket.display())
}

struct Server {
    socket: PathBuf,
    _lifeline: Mutex<ChildStdin>,
    _watchdog: Mutex<Child>,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start().unwrap_or_else(|e| panic!("no Redis for the tests: {e}")))
}

fn start() -> Result<Server, String> {
    if !std::path::Path::new("/usr/bin/redis-server").exists() {
        return Err("redis-server is not installed (scripts/setup.sh installs it)".into());
    }
    let dir = tempfile::Builder::new()
        .prefix("lifeline-redis-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    // The watchdog runs Redis until its stdin closes, which happens when
    // this process ends however it ends, then stops it and deletes the
    // folder.
    let script = r#"redis-server --port 0 --unixsocket "$1/redis.sock" --unixsocketperm 700 \
        --save '' --appendonly no --dir "$1" --maxclients 20000 >/dev/null 2>&1 &
        r=$!; cat >/dev/null; kill "$r"; wait "$r"; rm -rf "$1""#;
    let mut watchdog = Command::new("/bin/sh")
        .args(["-c", script, "sh"])
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("redis-server: {e}"))?;
    let stdin = watchdog.stdin.take().ok_or("no stdin")?;
    let socket = dir.join("redis.sock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        if Instant::now() > deadline {
            drop(stdin);
            return Err("redis-server did not start within 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(Server {
        socket,
        _lifeline: Mutex::new(stdin),
        _watchdog: Mutex::new(watchdog),
    })
}
