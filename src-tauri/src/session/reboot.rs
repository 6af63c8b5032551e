//! Restarting the client's computer, within the `reboot` scope: the expert
//! asks, the client sees a countdown it can cancel, then the configured
//! command runs. The command is configurable so tests can watch it safely.
//!
//! Reconnecting after the restart is a later piece of work; the seam is the
//! `rebooting` log entry written just before the command runs, which a
//! reconnect feature would pair with a persisted session token.

use std::process::{Command, Stdio};
use std::time::Duration;

/// How the client restarts: the command and the notice the user gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebootPlan {
    /// Program and arguments, run without a shell.
    pub command: Vec<String>,
    pub countdown: Duration,
}

impl Default for RebootPlan {
    fn default() -> Self {
        Self {
            command: default_command(),
            countdown: Duration::from_secs(15),
        }
    }
}

impl RebootPlan {
    /// `LIFELINE_REBOOT_COMMAND` (split on whitespace) and
    /// `LIFELINE_REBOOT_COUNTDOWN_SECS` override the defaults.
    pub fn from_env() -> Self {
        Self::from_values(
            std::env::var("LIFELINE_REBOOT_COMMAND").ok(),
            std::env::var("LIFELINE_REBOOT_COUNTDOWN_SECS").ok(),
        )
    }

    fn from_values(command: Option<String>, countdown: Option<String>) -> Self {
        let mut plan = Self::default();
        if let Some(command) = command {
            let parts: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
            if !parts.is_empty() {
                plan.command = parts;
            }
        }
        if let Some(secs) = countdown.and_then(|s| s.trim().parse::<u64>().ok()) {
            plan.countdown = Duration::from_secs(secs.min(600));
        }
        plan
    }

    /// Starts the command and returns without waiting for it.
    pub fn run(&self) -> std::io::Result<()> {
        let (program, args) = self
            .command
            .split_first()
            .ok_or_else(|| std::io::Error::other("no reboot command"))?;
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
    }
}

fn default_command() -> Vec<String> {
    let parts: &[&str] = if cfg!(target_os = "windows") {
        &["shutdown", "/r", "/t", "0"]
    } else if cfg!(target_os = "macos") {
        &["osascript", "-e", "tell app \"System Events\" to restart"]
    } else {
        &["systemctl", "reboot"]
    };
    parts.iter().map(|s| (*s).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_from_the_environment() {
        let plan = RebootPlan::from_values(Some(" touch  /tmp/x ".into()), Some("3".into()));
        assert_eq!(plan.command, ["touch", "/tmp/x"]);
        assert_eq!(plan.countdown, Duration::from_secs(3));
        let default = RebootPlan::from_values(Some("  ".into()), Some("soon".into()));
        assert_eq!(default, RebootPlan::default());
        let capped = RebootPlan::from_values(None, Some("99999".into()));
        assert_eq!(capped.countdown, Duration::from_secs(600));
    }

    #[test]
    fn runs_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("rebooted");
        let plan = RebootPlan {
            command: vec!["touch".into(), marker.display().to_string()],
            countdown: Duration::ZERO,
        };
        plan.run().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !marker.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "the command did not run"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let missing = RebootPlan {
            command: vec!["/nonexistent/reboot".into()],
            countdown: Duration::ZERO,
        };
        assert!(missing.run().is_err());
    }
}
