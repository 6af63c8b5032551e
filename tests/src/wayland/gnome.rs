//! A headless GNOME desktop for the tests: mutter as a headless Wayland
//! compositor with one virtual monitor, a private session bus, PipeWire
//! with WirePlumber, and the desktop portal with its GNOME backend, all
//! from Debian 12's packages (mutter 43, xdg-desktop-portal-gnome 43).
//!
//! GNOME's portal asks its user which screen to share in a dialog. A test
//! cannot click it through the portal, but the portal skips it for a
//! restore token it knows: [`GnomeDesktop::known_screen_cast`] writes one
//! into the portal's permission store, as a first share the user allowed
//! would have left it, and gives it to the app through its token file.
//!
//! Everything stops when the desktop drops; [`GnomeDesktop::logs`] gives
//! every part's log for a failing test.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::parts::Parts;

/// The virtual monitor, as mutter's portal records it.
const MONITOR: &str = "MetaVendor:MetaVirtualMonitor:0x00";
/// A restore token: the portal takes only UUIDs.
const TOKEN: &str = "4c1f6a52-7d0e-4b8e-9a51-3f2b6c0d9e17";

pub struct GnomeDesktop {
    parts: Parts,
}

impl GnomeDesktop {
    /// One `width`×`height` virtual monitor.
    pub fn start(width: u32, height: u32) -> anyhow::Result<Self> {
        let mut parts = Parts::new(environment)?;
        std::fs::create_dir(parts.path("run"))?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(parts.path("run"), std::fs::Permissions::from_mode(0o700))?;
        }
        parts.start_bus()?;
        parts.start_media()?;
        let mut mutter = parts.command("mutter");
        // A WAYLAND_DISPLAY would make mutter a nested compositor.
        mutter
            .env_remove("WAYLAND_DISPLAY")
            .args(["--headless", "--wayland", "--no-x11"])
            .args(["--wayland-display", "wayland-0"])
            .arg(format!("--virtual-monitor={width}x{height}"));
        parts.spawn("mutter", mutter)?;
        let display = PathBuf::from(parts.var("WAYLAND_DISPLAY"));
        parts.wait_until("mutter's Wayland socket", |_| display.exists())?;
        parts.wait_until("mutter's screen cast service", |parts| {
            parts.on_bus("org.gnome.Mutter.ScreenCast")
        })?;
        let portal = parts.command("/usr/libexec/xdg-desktop-portal-gnome");
        parts.spawn("portal-gnome", portal)?;
        parts.wait_until("the portal's GNOME backend on the bus", |parts| {
            parts.on_bus("org.freedesktop.impl.portal.desktop.gnome")
        })?;
        Ok(Self { parts })
    }

    /// Records in the portal's permission store that this (unsandboxed)
    /// app may share the virtual monitor with the restore token it finds
    /// in `token_file`, and writes the token there: the portal then shares
    /// without its dialog.
    pub fn known_screen_cast(&self, token_file: &Path) -> anyhow::Result<()> {
        let restore = format!(
            "<('GNOME', uint32 1, <(int64 0, int64 0, \
             [(uint32 0, uint32 1, <'{MONITOR}'>)])>)>"
        );
        let output = self
            .command("gdbus")
            .args(["call", "--session"])
            .args(["--dest", "org.freedesktop.impl.portal.PermissionStore"])
            .args([
                "--object-path",
                "/org/freedesktop/impl/portal/PermissionStore",
            ])
            .args([
                "--method",
                "org.freedesktop.impl.portal.PermissionStore.Set",
            ])
            .args(["screencast", "true", TOKEN, "{'': ['yes']}", &restore])
            .output()
            .context("gdbus (scripts/setup.sh installs it)")?;
        anyhow::ensure!(
            output.status.success(),
            "the permission store refused the screen cast: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(token_file, TOKEN)?;
        Ok(())
    }
}

fn environment(dir: &Path) -> Vec<(&'static str, String)> {
    let at = |name: &str| dir.join(name).display().to_string();
    vec![
        ("HOME", dir.display().to_string()),
        ("XDG_RUNTIME_DIR", at("run")),
        ("XDG_CONFIG_HOME", at("config")),
        ("XDG_DATA_HOME", at("data")),
        ("XDG_CURRENT_DESKTOP", "GNOME".to_owned()),
        ("XDG_SESSION_TYPE", "wayland".to_owned()),
        // No dconf daemon: GNOME's settings stay in memory.
        ("GSETTINGS_BACKEND", "memory".to_owned()),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", at("run/bus")),
        ),
        ("WAYLAND_DISPLAY", at("run/wayland-0")),
    ]
}

impl std::ops::Deref for GnomeDesktop {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.parts
    }
}
