//! While the remote screen has the keyboard, the expert's own shortcuts
//! (Alt+Tab, Super, Ctrl+Alt+arrows, Print Screen) go to the client's
//! computer, not to the expert's desktop: the app holds the keyboard with
//! the display server's own grab, and lets go the moment the remote screen
//! loses the focus, control is paused or withdrawn, or Ctrl+Alt+Shift is
//! pressed (the view decides; `screen_hold_keyboard` carries it out).
//!
//! On Linux the grab is GDK's seat grab of the window (an active keyboard
//! grab on X11, the keyboard-shortcuts inhibitor on Wayland compositors
//! that offer it): a window manager's passive grab for Alt+Tab never fires
//! while it is held. rdev, the design card's package for this job, grabs
//! through evdev and uinput on Linux, which needs root; the display
//! server's grab needs nothing.

use std::sync::mpsc;
use std::time::Duration;

use tauri::WebviewWindow;

/// How long the main thread may take to carry out a grab or release.
const MAIN_THREAD_WAIT: Duration = Duration::from_secs(2);

/// Holds or releases the keyboard for `window` on the main thread, and
/// returns once that is done: whether the keyboard is held now.
pub fn hold(window: &WebviewWindow, on: bool) -> tauri::Result<bool> {
    let target = window.clone();
    let (done, outcome) = mpsc::channel();
    window.run_on_main_thread(move || {
        let _ = done.send(platform::hold(&target, on));
    })?;
    Ok(outcome.recv_timeout(MAIN_THREAD_WAIT).unwrap_or(false))
}

#[cfg(target_os = "linux")]
mod platform {
    use gtk::gdk::prelude::SeatExt;
    use gtk::gdk::{GrabStatus, SeatCapabilities};
    use gtk::prelude::WidgetExt;
    use tauri::WebviewWindow;

    pub fn hold(window: &WebviewWindow, on: bool) -> bool {
        let gdk_window = match window.gtk_window() {
            Ok(gtk_window) => gtk_window.window(),
            Err(error) => {
                tracing::warn!(%error, "no window to hold the keyboard for");
                return false;
            }
        };
        let Some(gdk_window) = gdk_window else {
            return false;
        };
        let Some(seat) = gdk_window.display().default_seat() else {
            tracing::warn!("no seat: the keyboard is not held");
            return false;
        };
        if !on {
            seat.ungrab();
            tracing::debug!("the keyboard is the desktop's again");
            return false;
        }
        let status = seat.grab(
            &gdk_window,
            SeatCapabilities::KEYBOARD,
            false,
            None,
            None,
            None,
        );
        if status == GrabStatus::Success {
            tracing::debug!("the keyboard is held for the remote screen");
            true
        } else {
            tracing::warn!(?status, "the keyboard could not be held");
            false
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use tauri::WebviewWindow;

    /// Elsewhere the webview gets what the system lets through.
    pub fn hold(_window: &WebviewWindow, _on: bool) -> bool {
        false
    }
}
