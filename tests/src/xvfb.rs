//! One X server per app instance. `-displayfd` lets Xvfb pick a free display
//! number and tell us, so parallel tests never collide; `-noreset` keeps the
//! server from resetting when its last client leaves (which would break
//! capture and input injection between clients).

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::ChildGuard;

/// The screen size every test display gets.
pub const SCREEN: (u32, u32) = (1280, 800);

#[derive(Debug)]
pub struct Xvfb {
    display: u32,
    _guard: ChildGuard,
}

impl Xvfb {
    pub fn start() -> anyhow::Result<Self> {
        Self::start_sized(SCREEN)
    }

    /// An X server with a screen of `size` pixels.
    pub fn start_sized(size: (u32, u32)) -> anyhow::Result<Self> {
        let mut command = Command::new("Xvfb");
        command
            .args([
                "-displayfd",
                "1",
                "-noreset",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
            ])
            .arg(format!("{}x{}x24", size.0, size.1))
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut guard = ChildGuard::spawn("Xvfb", command)?;
        // Xvfb writes the display number once it accepts connections.
        let line = guard.first_stdout_line(Duration::from_secs(15))?;
        let display = line
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("Xvfb reported {line:?} instead of a display number"))?;
        Ok(Self {
            display,
            _guard: guard,
        })
    }

    /// The value for `DISPLAY`, such as `:12`.
    pub fn display(&self) -> String {
        format!(":{}", self.display)
    }

    /// Runs an X client (xdotool, import, xterm…) against this display and
    /// returns its stdout.
    pub fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new(program)
            .args(args)
            .env("DISPLAY", self.display())
            .output()
            .map_err(|e| anyhow::anyhow!("cannot run {program}: {e}"))?;
        anyhow::ensure!(
            output.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Copies `text` to this display's CLIPBOARD selection, as a user would.
    /// xclip forks to serve the selection; its output goes nowhere, so the
    /// parent's exit is the end of the step.
    pub fn copy_text(&self, text: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let mut xclip = Command::new("xclip")
            .args(["-selection", "clipboard", "-i"])
            .env("DISPLAY", self.display())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        xclip
            .stdin
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdin"))?
            .write_all(text.as_bytes())?;
        anyhow::ensure!(xclip.wait()?.success(), "xclip failed");
        Ok(())
    }

    /// The CLIPBOARD selection's text on this display, or "" while it has
    /// none.
    pub fn clipboard_text(&self) -> String {
        self.run("xclip", &["-selection", "clipboard", "-o"])
            .unwrap_or_default()
    }
}
