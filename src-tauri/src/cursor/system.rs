//! Where the client's pointer is watched from: the X server, or nowhere on
//! a Wayland session. There the desktop portal draws the pointer into the
//! picture itself (no desktop is asked for it apart yet), and an X server
//! beside it (XWayland) would report another pointer than the one shown.

use super::source::{PointerError, PointerSource};
use super::x11::X11Pointer;
use crate::media::system::ScreenBackend;

/// The factory the app hands the session engine.
pub fn system_pointer() -> Result<Box<dyn PointerSource>, PointerError> {
    match ScreenBackend::of_session() {
        ScreenBackend::Portal => Err(PointerError::Unavailable(
            "on Wayland the pointer is part of the picture".into(),
        )),
        ScreenBackend::X11 => X11Pointer::boxed(),
    }
}
