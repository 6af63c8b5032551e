//! Clipboard text and images between the two sides, within the `clipboard`
//! scope.
//!
//! - [`content`]: what travels (text, or an image's PNG bytes) and the
//!   checks on what the peer sends.
//! - [`backend`]: the platform seam; [`system`] is the real one, with
//!   [`images`] for PNG bytes as the copying program offered them.
//! - [`owner`]: the one thread that holds the clipboard for the session (on
//!   X11 what we copy lives only as long as its owner), sets what the peer
//!   sends, and, when automatic sync is on, reports local changes without
//!   echoing back what the peer just sent.

pub mod backend;
pub mod content;
pub mod images;
pub mod owner;
pub mod system;
