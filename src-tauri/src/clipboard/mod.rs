//! Clipboard text between the two sides, within the `clipboard` scope.
//!
//! - [`backend`]: the platform seam; [`arboard_backend`] is the real one.
//! - [`owner`]: the one thread that holds the clipboard for the session (on
//!   X11 what we copy lives only as long as its owner), sets what the peer
//!   sends, and, when automatic sync is on, reports local changes without
//!   echoing back what the peer just sent.

pub mod arboard_backend;
pub mod backend;
pub mod owner;

/// The most bytes of clipboard text sent in one message: it travels on the
/// control channel, whose messages stay under 64 KiB once JSON-escaped.
pub const MAX_CLIPBOARD_BYTES: usize = 32 * 1024;
