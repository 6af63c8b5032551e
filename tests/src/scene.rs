//! The benches' scenarios on a client's X server: `scripts/bench-scenario.sh`
//! started in its own process group, so that dropping the [`Scene`] stops
//! the script and every X client it started.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use crate::AppInstance;

/// A running scenario script and the X clients it started.
pub struct Scene(Child);

impl Scene {
    /// Starts scenario `name` (static, typing, motion, pointer, …) on
    /// `app`'s X server.
    pub fn start(name: &str, app: &AppInstance) -> anyhow::Result<Self> {
        let script = crate::paths::workspace_root().join("scripts/bench-scenario.sh");
        let child = Command::new(script)
            .arg(name)
            .env("DISPLAY", app.xvfb().display())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Self(child))
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}
