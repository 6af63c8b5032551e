//! A Redis for a test's desk of several nodes: Debian's `redis-server` on
//! a Unix socket in a temporary folder, ended with the test.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::ChildGuard;

#[derive(Debug)]
pub struct RedisServer {
    dir: tempfile::TempDir,
    _guard: ChildGuard,
}

impl RedisServer {
    pub fn start() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("lifeline-redis-")
            .tempdir()?;
        let mut command = Command::new("redis-server");
        command
            .args(["--port", "0", "--unixsocket"])
            .arg(dir.path().join("redis.sock"))
            .args([
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let guard = ChildGuard::spawn("redis-server", command)?;
        let socket = dir.path().join("redis.sock");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            anyhow::ensure!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { dir, _guard: guard })
    }

    pub fn url(&self) -> String {
        format!(
            "redis+unix://{}",
            self.dir.path().join("redis.sock").display()
        )
    }
}
