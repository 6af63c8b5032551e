//! Which input backend injects the expert's mouse and keyboard here: the
//! X server (XTest through enigo), or on a Wayland session the compositor's
//! virtual pointer and keyboard (wlroots), else the desktop portal's
//! RemoteDesktop (GNOME, KDE). Chosen with the screen's backend, so the
//! input lands on the desktop the expert sees.

use super::enigo_injector::EnigoInjector;
use super::injector::{InjectError, Injector};
use super::portal_injector::PortalInjector;
use super::wlr_injector::WlrInjector;
use crate::media::system::ScreenBackend;

/// The factory the app hands the session engine.
pub fn system_injector() -> Result<Box<dyn Injector>, InjectError> {
    match ScreenBackend::of_session() {
        ScreenBackend::Portal => WlrInjector::boxed().or_else(|wlr| {
            tracing::info!(%wlr, "no virtual pointer here: remote control through the portal");
            PortalInjector::boxed()
        }),
        ScreenBackend::X11 => EnigoInjector::boxed(),
    }
}
