//! The client's pointer, apart from the video (like VNC's cursor
//! pseudo-encoding): moving the pointer costs no video frame. The client
//! watches its pointer's position and shape and sends them over the
//! unreliable, unordered `cursor` data channel while `view` is granted;
//! the expert's view draws the pointer itself over the picture.
//!
//! # Layout
//! - [`message`]: the `cursor` channel's messages, their limits and their
//!   validation (see docs/peer-protocol.md).
//! - [`source`]: the [`source::PointerSource`] trait, its events, and the
//!   fake the tests drive.
//! - [`x11`]: the X11 backend, on its own X connection (XFixes cursor
//!   images, XInput 2 raw motion, `QueryPointer`).
//! - [`portal`]: on Wayland, the pointer from the screen cast's cursor
//!   metadata, where the desktop sends it apart from the picture.
//! - [`system`]: chooses the X11 backend or the portal's.
//! - [`share`]: the client's watcher thread: one per share, owned by the
//!   session engine, which turns the source's events into messages.
//!
//! The expert's side is a reader in `session/engine/channels.rs` that
//! validates each message and hands it to a [`CursorView`] (the app's
//! view socket, `local_view::socket`).

pub mod message;
#[cfg(target_os = "linux")]
pub mod portal;
pub mod share;
pub mod source;
#[cfg(target_os = "linux")]
pub mod system;
pub mod x11;

use std::sync::Arc;

pub use message::CursorMessage;
pub use source::{PointerError, PointerSource, PointerSourceFactory};

/// Where the expert's app shows the client's pointer.
pub trait CursorView: Send + Sync {
    /// A validated message from the client. Must not block.
    fn show(&self, message: &CursorMessage);
    /// A new session's pointer is coming: the last one is not shown again.
    fn forget(&self);
}

/// What the session engine needs for the pointer: the client's source and
/// the expert's view; `Default` has neither (no pointer travels).
#[derive(Clone, Default)]
pub struct PointerBackends {
    /// Client: opens a pointer source for each share.
    pub source: Option<PointerSourceFactory>,
    /// Expert: shows what arrives.
    pub view: Option<Arc<dyn CursorView>>,
}

impl std::fmt::Debug for PointerBackends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointerBackends")
            .field("source", &self.source.is_some())
            .field("view", &self.view.is_some())
            .finish()
    }
}
