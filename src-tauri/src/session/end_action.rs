//! Ending a session with the client's screen locked, or its user logged
//! out (BeyondTrust's session end options), so that a computer the expert
//! worked on is not left open. Allowed with `control` or `reboot`: both
//! already let the expert do as much. The commands are configurable, as
//! the restart's is, so tests can watch them run.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the client's computer does as the session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndAction {
    /// Lock the screen: the user's password opens it again.
    Lock,
    /// End the user's desktop session.
    LogOut,
}

impl std::fmt::Display for EndAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EndAction::Lock => "lock",
            EndAction::LogOut => "log out",
        })
    }
}

/// A command that takes longer than this is reported as failed.
const COMMAND_LIMIT: Duration = Duration::from_secs(10);

/// The commands the client runs, each a program and its arguments (no
/// shell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndActions {
    pub lock: Vec<String>,
    pub log_out: Vec<String>,
}

impl Default for EndActions {
    /// logind's, for the session this app runs in ("auto": the caller's
    /// own, else the user's graphical one).
    fn default() -> Self {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect();
        Self {
            lock: words(&["loginctl", "lock-session"]),
            log_out: words(&["loginctl", "terminate-session", "auto"]),
        }
    }
}

impl EndActions {
    /// `LIFELINE_LOCK_COMMAND` and `LIFELINE_LOGOUT_COMMAND` (split on
    /// whitespace) override the defaults.
    pub fn from_env() -> Self {
        Self::from_values(
            std::env::var("LIFELINE_LOCK_COMMAND").ok(),
            std::env::var("LIFELINE_LOGOUT_COMMAND").ok(),
        )
    }

    fn from_values(lock: Option<String>, log_out: Option<String>) -> Self {
        let mut actions = Self::default();
        for (command, slot) in [(lock, &mut actions.lock), (log_out, &mut actions.log_out)] {
            let words: Vec<String> = command
                .iter()
                .flat_map(|c| c.split_whitespace())
                .map(str::to_owned)
                .collect();
            if !words.is_empty() {
                *slot = words;
            }
        }
        actions
    }

    /// Runs `action`'s command and waits for it (at most 10 s). The error
    /// says why it failed, in words for both sides' records.
    pub async fn run(&self, action: EndAction) -> Result<(), String> {
        let command = match action {
            EndAction::Lock => &self.lock,
            EndAction::LogOut => &self.log_out,
        };
        let (program, args) = command
            .split_first()
            .ok_or_else(|| format!("no command to {action}"))?;
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("{program} could not start: {error}"))?;
        match tokio::time::timeout(COMMAND_LIMIT, child.wait()).await {
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(format!("{program} failed ({status})")),
            Ok(Err(error)) => Err(format!("{program}: {error}")),
            Err(_) => Err(format!("{program} did not finish within 10 s")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_each_command() {
        let actions = EndActions::from_values(Some("touch /tmp/locked".into()), Some("  ".into()));
        assert_eq!(actions.lock, ["touch", "/tmp/locked"]);
        assert_eq!(actions.log_out, EndActions::default().log_out);
    }

    #[tokio::test]
    async fn a_command_reports_how_it_went() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("locked");
        let actions = EndActions {
            lock: vec!["touch".into(), marker.display().to_string()],
            log_out: vec!["false".into()],
        };
        assert_eq!(actions.run(EndAction::Lock).await, Ok(()));
        assert!(marker.exists(), "the lock command ran");
        let failed = actions.run(EndAction::LogOut).await.unwrap_err();
        assert!(failed.contains("false failed"), "{failed}");
        let missing = EndActions {
            lock: vec!["/nonexistent/lock".into()],
            ..actions
        };
        let error = missing.run(EndAction::Lock).await.unwrap_err();
        assert!(error.contains("could not start"), "{error}");
    }
}
