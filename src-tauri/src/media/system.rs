//! Which screen this computer shares through: the X server, or on a
//! Wayland session the desktop portal and PipeWire. Chosen at run time from
//! the session's environment, at the start of each share.

use super::capture::Capturer;
use super::capture_x11;
use super::portal::{CastOptions, PortalCapturer};

/// The backends a share can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScreenBackend {
    X11,
    /// The desktop portal's ScreenCast, frames through PipeWire.
    Portal,
}

impl ScreenBackend {
    /// This session's: `XDG_SESSION_TYPE` when it says, else a Wayland
    /// display without an X one. XWayland's `DISPLAY` beside a Wayland
    /// session shows only X programs' windows, so it never wins.
    pub fn of_session() -> Self {
        Self::choose(
            std::env::var("XDG_SESSION_TYPE").ok().as_deref(),
            std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty()),
            std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()),
        )
    }

    fn choose(session_type: Option<&str>, wayland: bool, x11: bool) -> Self {
        match session_type.map(str::trim) {
            Some("wayland") if wayland => Self::Portal,
            Some("x11") => Self::X11,
            _ if wayland && !x11 => Self::Portal,
            _ => Self::X11,
        }
    }
}

/// The capturer for a share on this computer.
pub fn system_capturer(cast: &CastOptions) -> Box<dyn Capturer> {
    match ScreenBackend::of_session() {
        ScreenBackend::Portal => Box::new(PortalCapturer::new(cast.clone())),
        ScreenBackend::X11 => capture_x11::system_capturer(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_type_decides_when_it_can() {
        use ScreenBackend::*;
        assert_eq!(ScreenBackend::choose(Some("wayland"), true, true), Portal);
        assert_eq!(ScreenBackend::choose(Some("x11"), true, true), X11);
        // A session that says Wayland but has no Wayland display to share.
        assert_eq!(ScreenBackend::choose(Some("wayland"), false, true), X11);
        assert_eq!(ScreenBackend::choose(None, true, false), Portal);
        assert_eq!(ScreenBackend::choose(None, true, true), X11);
        assert_eq!(ScreenBackend::choose(Some("tty"), false, true), X11);
    }
}
