//! What a headless desktop for the tests is made of, whichever compositor
//! it runs: a directory removed with it, the environment its programs see,
//! the processes it started (stopped in reverse), their logs, and the
//! parts every desktop has (a private session bus, PipeWire). The desktops
//! deref to it, so a test reads `var`, `command`, `logs` and the rest
//! through them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::process::ChildGuard;

const START_WITHIN: Duration = Duration::from_secs(15);

pub struct Parts {
    dir: tempfile::TempDir,
    /// What a program on this desktop finds in its environment.
    env: Vec<(&'static str, String)>,
    /// Started in order, stopped in reverse.
    children: Vec<(String, ChildGuard)>,
    /// Every part started, for [`Parts::logs`], stopped ones too.
    started: Vec<String>,
}

impl Drop for Parts {
    fn drop(&mut self) {
        while let Some(child) = self.children.pop() {
            drop(child);
        }
    }
}

impl Parts {
    /// A new directory; `env` gives the environment from its path.
    pub(super) fn new(
        env: impl FnOnce(&Path) -> Vec<(&'static str, String)>,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        Ok(Self {
            env: env(dir.path()),
            dir,
            children: Vec::new(),
            started: Vec::new(),
        })
    }

    pub fn env(&self) -> &[(&'static str, String)] {
        &self.env
    }

    pub fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(key, _)| *key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// A command that runs on this desktop (its environment, not X's).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env_remove("DISPLAY").envs(self.env.iter().cloned());
        command
    }

    pub(super) fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A file in the desktop's own directory, removed with it.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.path(name)
    }

    /// Starts `wev`, a Wayland client whose window prints every event it
    /// receives, line by line into its log; the log's path. It stops when
    /// the guard drops.
    pub fn wev(&self) -> anyhow::Result<(ChildGuard, PathBuf)> {
        let log = self.path("wev.log");
        let mut wev = self.command("stdbuf");
        wev.args(["-oL", "wev"])
            .stdout(std::fs::File::create(&log)?)
            .stderr(Stdio::null());
        Ok((ChildGuard::spawn("wev", wev)?, log))
    }

    /// What `part` has logged so far.
    pub fn log_of(&self, part: &str) -> String {
        std::fs::read_to_string(self.log(part)).unwrap_or_default()
    }

    /// The end of every part's log, for a failing test.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for name in &self.started {
            let log = self.log_of(name);
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            all.push_str(&format!("--- {name} (last {} lines)\n", tail.len()));
            for line in tail.into_iter().rev() {
                all.push_str(line);
                all.push('\n');
            }
        }
        all
    }

    /// Starts `command` as the part `name`, its output in its log.
    pub(super) fn spawn(&mut self, name: &str, mut command: Command) -> anyhow::Result<()> {
        let log = std::fs::File::create(self.log(name))?;
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        self.children
            .push((name.to_owned(), ChildGuard::spawn(name, command)?));
        self.started.push(name.to_owned());
        Ok(())
    }

    /// Stops the part `name`.
    pub(super) fn stop(&mut self, name: &str) {
        self.children.retain(|(part, _)| part != name);
    }

    /// Waits until `ready`, failing early when a part has exited.
    pub(super) fn wait_until(
        &mut self,
        what: &str,
        ready: impl Fn(&Self) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_WITHIN;
        while !ready(self) {
            let dead = self
                .children
                .iter_mut()
                .find_map(|(name, child)| (!child.is_running()).then(|| name.clone()));
            if let Some(dead) = dead {
                bail!("{dead} exited waiting for {what}:\n{}", self.logs());
            }
            if Instant::now() > deadline {
                bail!("no {what} within {START_WITHIN:?}:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// The private session bus, at `DBUS_SESSION_BUS_ADDRESS`. It starts
    /// the portal's front end on demand, with the bus's own environment:
    /// everything is set before it starts.
    pub(super) fn start_bus(&mut self) -> anyhow::Result<()> {
        let mut bus = self.command("dbus-daemon");
        bus.args(["--session", "--nofork", "--nopidfile"])
            .arg(format!(
                "--address={}",
                self.var("DBUS_SESSION_BUS_ADDRESS")
            ));
        self.spawn("dbus", bus)?;
        let socket = self.path("run/bus");
        self.wait_until("the session bus", |_| socket.exists())
    }

    /// PipeWire, and WirePlumber: without it nothing links a stream to its
    /// consumer.
    pub(super) fn start_media(&mut self) -> anyhow::Result<()> {
        let pipewire = self.command("pipewire");
        self.spawn("pipewire", pipewire)?;
        let socket = self.path("run/pipewire-0");
        self.wait_until("PipeWire", |_| socket.exists())?;
        let wireplumber = self.command("wireplumber");
        self.spawn("wireplumber", wireplumber)
    }

    /// Whether `name` is on the session bus.
    pub(super) fn on_bus(&self, name: &str) -> bool {
        Command::new("dbus-send")
            .arg(format!("--bus={}", self.var("DBUS_SESSION_BUS_ADDRESS")))
            .args([
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
            ])
            .arg("org.freedesktop.DBus.ListNames")
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(name))
    }

    fn log(&self, name: &str) -> PathBuf {
        self.path(&format!("{name}.log"))
    }
}
