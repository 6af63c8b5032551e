//! Where the client's pointer is watched from: the X server, or on a
//! Wayland session the screen cast's cursor metadata (an X server beside
//! it, XWayland, would report another pointer than the one shown). A
//! desktop that cannot send the pointer apart draws it into the picture.

use super::portal::PortalPointer;
use super::source::{PointerError, PointerSource};
use super::x11::X11Pointer;
use crate::media::system::ScreenBackend;

/// The factory the app hands the session engine.
pub fn system_pointer() -> Result<Box<dyn PointerSource>, PointerError> {
    match ScreenBackend::of_session() {
        ScreenBackend::Portal => Ok(PortalPointer::boxed()),
        ScreenBackend::X11 => X11Pointer::boxed(),
    }
}
