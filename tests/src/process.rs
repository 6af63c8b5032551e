//! Child processes that cannot outlive a test.
//!
//! Each child starts in a process group of its own, so that dropping its
//! [`ChildGuard`] ends it *and* whatever it started (tauri-driver starts
//! WebKitWebDriver, which starts the app) — and nothing else: the harness only
//! signals groups it created.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Child,
}

impl ChildGuard {
    /// Spawns `command` as the leader of a new process group.
    pub fn spawn(name: &str, mut command: Command) -> anyhow::Result<Self> {
        command.process_group(0);
        let child = command.spawn().map_err(|e| {
            anyhow::anyhow!("cannot start {name} ({:?}): {e}", command.get_program())
        })?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    /// Waits up to `timeout` for the first line the child prints on its
    /// (piped) stdout, then keeps draining the pipe in the background so
    /// the child never blocks on it.
    pub fn first_stdout_line(&mut self, timeout: Duration) -> anyhow::Result<String> {
        let stdout = self
            .child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("{}: stdout was not piped", self.name))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        rx.recv_timeout(timeout)
            .map_err(|_| anyhow::anyhow!("{} printed nothing within {timeout:?}", self.name))
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM to the group, then SIGKILL after `grace`; reaps the leader.
    pub fn stop(&mut self, grace: Duration) {
        let Ok(pid) = i32::try_from(self.child.id()) else {
            return;
        };
        let group = Pid::from_raw(pid);
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if !self.is_running() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Descendants may linger after the leader exits; the group id stays
        // valid while any member lives, so kill the group unconditionally.
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(2));
        eprintln!("e2e: stopped {} (pid {})", self.name, self.child.id());
    }
}
