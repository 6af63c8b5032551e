//! Remote input: the expert's mouse and keyboard, injected on the client.
//!
//! - [`event`]: the `input` channel's messages and their validation.
//! - [`keymap`]: physical DOM key codes to the platform's key codes.
//! - [`sender`] (expert): sends events in order, coalescing pointer moves.
//! - [`remote_control`] (client): the thread that injects them.
//! - [`injector`]: the platform seam; [`enigo_injector`] is the real one
//!   on X11, [`wlr_injector`] on wlroots Wayland compositors (with the
//!   keymap of [`xkb_keys`]), [`portal_injector`] on other Wayland
//!   desktops (the portal's RemoteDesktop), and [`system`] chooses.

pub mod enigo_injector;
pub mod event;
pub mod injector;
pub mod keymap;
#[cfg(target_os = "linux")]
pub mod portal_injector;
pub mod remote_control;
pub mod sender;
#[cfg(target_os = "linux")]
pub mod system;
#[cfg(target_os = "linux")]
pub mod wlr_injector;
#[cfg(target_os = "linux")]
pub mod xkb_keys;
