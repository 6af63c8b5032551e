//! The app's top-level window as the X server and its window manager see
//! it: size, and whether the window manager keeps it above the others.
//! The display gets a real window manager (openbox) for this, since
//! "always on top" is the window manager's job.

use std::time::{Duration, Instant};

use crate::process::ChildGuard;
use crate::xvfb::Xvfb;

/// Starts openbox on `xvfb` and waits until it manages the screen; it
/// stops when the guard is dropped.
pub fn start_window_manager(xvfb: &Xvfb) -> anyhow::Result<ChildGuard> {
    let mut command = std::process::Command::new("openbox");
    command
        .args(["--sm-disable"])
        .env("DISPLAY", xvfb.display())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let guard = ChildGuard::spawn("openbox", command)?;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !xvfb
        .run("xprop", &["-root", "_NET_SUPPORTING_WM_CHECK"])?
        .contains("window id")
    {
        anyhow::ensure!(Instant::now() < deadline, "openbox did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(guard)
}

/// The app's main window on `xvfb` (the one of its class that is mapped).
pub fn app_window(xvfb: &Xvfb) -> anyhow::Result<String> {
    let found = xvfb.run(
        "xdotool",
        &["search", "--onlyvisible", "--classname", "lifeline"],
    )?;
    found
        .lines()
        .next()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no lifeline window on {}", xvfb.display()))
}

/// The window's size in pixels, as the X server has it.
pub fn size(xvfb: &Xvfb, window: &str) -> anyhow::Result<(u32, u32)> {
    let shell = xvfb.run("xdotool", &["getwindowgeometry", "--shell", window])?;
    let value = |key: &str| {
        shell
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no {key} in {shell:?}"))
    };
    Ok((value("WIDTH=")?, value("HEIGHT=")?))
}

/// Whether the window manager keeps the window above the others.
pub fn is_above(xvfb: &Xvfb, window: &str) -> anyhow::Result<bool> {
    let state = xvfb.run("xprop", &["-id", window, "_NET_WM_STATE"])?;
    Ok(state.contains("_NET_WM_STATE_ABOVE"))
}
