//! A headless Wayland desktop for the Wayland tests: sway on its headless
//! backend, a private D-Bus session bus, PipeWire with WirePlumber, and the
//! desktop portal (xdg-desktop-portal with its wlroots backend), all from
//! Debian 12's packages, so that a screen cast goes through the same portal
//! and PipeWire calls as on a user's desktop.
//!
//! - sway refuses to run as root, so it runs as `nobody` with a runtime
//!   directory of its own; root's clients reach its socket anyway.
//! - The portal's wlroots backend 0.7 needs a GPU to start a cast; the
//!   shim beside this file (`xdpw_shm_shim.c`, built with gcc here) lets it
//!   use shared memory instead. See the shim for why.
//! - The portal skips its output chooser (`chooser_type=none`).
//!
//! Everything stops when the [`Desktop`] drops. [`Desktop::logs`] gives
//! every part's log for a failing test.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

mod gnome;
mod parts;

pub use gnome::GnomeDesktop;
pub use parts::Parts;

/// The one output, as sway names it.
pub const OUTPUT: &str = "HEADLESS-1";
/// With Xwayland, X clients' windows float where they ask to be and as
/// large as they ask, without borders, as on a bare X server.
const XWAYLAND: &str = "xwayland force\n\
    default_floating_border none\n\
    for_window [shell=\"xwayland\"] floating enable, border none\n";
const SHIM: &str = include_str!("xdpw_shm_shim.c");
const NOBODY: &str = "65534";

pub struct Desktop {
    parts: Parts,
    /// Xwayland's display, when the desktop runs X clients too.
    x_display: Option<String>,
}

impl Desktop {
    /// One `width`×`height` output, painted `background` (`#rrggbb`).
    pub fn start(width: u32, height: u32, background: &str) -> anyhow::Result<Self> {
        Self::launch(width, height, background, false)
    }

    /// As [`Desktop::start`], with Xwayland, so that X clients (an xterm,
    /// xdotool) draw on the Wayland output: the benches' scenarios run the
    /// same programs on X and on Wayland. [`Desktop::x_display`] names it.
    /// The portal sends at most 30 pictures a second (its `max_fps`), the
    /// rate of Lifeline's pipeline, so that a baseline which encodes every
    /// picture it gets encodes as many.
    pub fn start_with_xwayland(width: u32, height: u32, background: &str) -> anyhow::Result<Self> {
        let mut desktop = Self::launch(width, height, background, true)?;
        desktop.open_xwayland()?;
        Ok(desktop)
    }

    /// Xwayland's `DISPLAY`, on a desktop started with it.
    pub fn x_display(&self) -> Option<&str> {
        self.x_display.as_deref()
    }

    fn launch(width: u32, height: u32, background: &str, x: bool) -> anyhow::Result<Self> {
        let parts = Parts::new(environment)?;
        // sway runs as nobody, and must reach its config and runtime dir.
        std::fs::set_permissions(parts.dir(), std::fs::Permissions::from_mode(0o755))?;
        let mut desktop = Self {
            parts,
            x_display: None,
        };
        desktop.write_configs(width, height, background, x)?;
        desktop.start_sway()?;
        desktop.parts.start_bus()?;
        desktop.parts.start_media()?;
        desktop.start_portal()?;
        Ok(desktop)
    }

    /// Runs `swaymsg` with `args`; its reply.
    pub fn swaymsg(&self, args: &[&str]) -> anyhow::Result<String> {
        swaymsg(&self.parts, args)
    }

    /// Paints the output's background `colour` (`#rrggbb`).
    pub fn paint(&self, colour: &str) -> anyhow::Result<()> {
        self.swaymsg(&["output", OUTPUT, "bg", colour, "solid_color"])
            .map(drop)
    }

    /// Stops the portal's wlroots backend, as when a desktop's sharing
    /// ends under a running cast.
    pub fn stop_portal(&mut self) {
        self.parts.stop("portal-wlr");
    }

    fn write_configs(
        &self,
        width: u32,
        height: u32,
        background: &str,
        x: bool,
    ) -> anyhow::Result<()> {
        let sway = self.parts.path("config/sway");
        let portal = self.parts.path("config/xdg-desktop-portal-wlr");
        std::fs::create_dir_all(&sway)?;
        std::fs::create_dir_all(&portal)?;
        std::fs::write(
            sway.join("config"),
            format!(
                "{}output {OUTPUT} mode {width}x{height} position 0 0 bg {background} solid_color\n",
                if x { XWAYLAND } else { "xwayland disable\n" }
            ),
        )?;
        std::fs::write(
            portal.join("config"),
            format!(
                "[screencast]\nchooser_type=none\noutput_name={OUTPUT}\n{}",
                if x { "max_fps=30\n" } else { "" }
            ),
        )?;
        for dir in ["run", "sway-run"] {
            std::fs::create_dir(self.parts.path(dir))?;
            std::fs::set_permissions(self.parts.path(dir), std::fs::Permissions::from_mode(0o700))?;
        }
        let chown = Command::new("chown")
            .args([
                &format!("{NOBODY}:{NOBODY}"),
                self.parts.path("sway-run").to_str().unwrap_or(""),
            ])
            .status()?;
        anyhow::ensure!(chown.success(), "chown of sway's runtime dir failed");
        Ok(())
    }

    fn start_sway(&mut self) -> anyhow::Result<()> {
        let mut sway = Command::new("setpriv");
        sway.args([
            "--reuid",
            NOBODY,
            "--regid",
            NOBODY,
            "--clear-groups",
            "sway",
            "-c",
        ])
        .arg(self.parts.path("config/sway/config"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", self.parts.dir())
        .env("XDG_RUNTIME_DIR", self.parts.path("sway-run"))
        .env("SWAYSOCK", self.parts.var("SWAYSOCK"))
        .env("WLR_BACKENDS", "headless")
        .env("WLR_LIBINPUT_NO_DEVICES", "1")
        .env("WLR_RENDERER", "pixman");
        self.parts.spawn("sway", sway)?;
        let display = PathBuf::from(self.parts.var("WAYLAND_DISPLAY"));
        let ipc = PathBuf::from(self.parts.var("SWAYSOCK"));
        self.parts
            .wait_until("sway's sockets", |_| display.exists() && ipc.exists())?;
        self.parts.wait_until("the first output", |parts| {
            swaymsg(parts, &["-t", "get_outputs"]).is_ok_and(|reply| reply.contains(OUTPUT))
        })
    }

    fn start_portal(&mut self) -> anyhow::Result<()> {
        let shim = self.build_shim()?;
        let mut portal = self.parts.command("/usr/libexec/xdg-desktop-portal-wlr");
        portal.args(["-l", "DEBUG"]).env("LD_PRELOAD", &shim);
        self.parts.spawn("portal-wlr", portal)?;
        self.parts
            .wait_until("the portal's wlroots backend on the bus", |parts| {
                parts.on_bus("org.freedesktop.impl.portal.desktop.wlr")
            })
    }

    /// Xwayland runs as sway's user and admits only that user: sway's own
    /// `exec` (which has Xwayland's `DISPLAY`) lets root in and writes the
    /// display's name where this process reads it.
    fn open_xwayland(&mut self) -> anyhow::Result<()> {
        let file = self.parts.path("x-display");
        std::fs::write(&file, "")?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666))?;
        self.swaymsg(&[
            "exec",
            &format!(
                "xhost +si:localuser:root >/dev/null && printf %s \"$DISPLAY\" > {}",
                file.display()
            ),
        ])?;
        self.parts.wait_until("Xwayland", |_| {
            std::fs::read_to_string(&file).is_ok_and(|name| !name.is_empty())
        })?;
        self.x_display = Some(std::fs::read_to_string(&file)?);
        Ok(())
    }

    fn build_shim(&self) -> anyhow::Result<PathBuf> {
        let source = self.parts.path("xdpw_shm_shim.c");
        let library = self.parts.path("xdpw_shm_shim.so");
        std::fs::write(&source, SHIM)?;
        let built = Command::new("gcc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&library)
            .arg(&source)
            .arg("-ldl")
            .output()
            .context("gcc (scripts/setup.sh installs it)")?;
        anyhow::ensure!(
            built.status.success(),
            "the portal shim did not build: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        Ok(library)
    }
}

/// Runs `swaymsg` with `args` on the desktop of `parts`; its reply.
fn swaymsg(parts: &Parts, args: &[&str]) -> anyhow::Result<String> {
    let output = parts.command("swaymsg").args(args).output()?;
    let reply = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "swaymsg {args:?}: {reply}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(reply)
}

fn environment(dir: &Path) -> Vec<(&'static str, String)> {
    let at = |name: &str| dir.join(name).display().to_string();
    vec![
        ("HOME", dir.display().to_string()),
        ("XDG_RUNTIME_DIR", at("run")),
        ("XDG_CONFIG_HOME", at("config")),
        ("XDG_CURRENT_DESKTOP", "sway".to_owned()),
        ("XDG_SESSION_TYPE", "wayland".to_owned()),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", at("run/bus")),
        ),
        ("WAYLAND_DISPLAY", at("sway-run/wayland-1")),
        ("SWAYSOCK", at("sway-run/sway.sock")),
    ]
}

impl std::ops::Deref for Desktop {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.parts
    }
}
