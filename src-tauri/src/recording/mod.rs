//! Session recording, on the expert's side and without re-encoding: the
//! VP8 frames the expert receives go, as they are, into a WebM file beside
//! the session's transcript. [`vp8_header`] reads a keyframe's size,
//! [`recorder`] writes the file on its own thread, [`tap`] takes the
//! frames on their way to the view, and [`library`] lists the recordings
//! and reads one back for the app's player.

pub mod library;
pub mod recorder;
pub mod tap;
pub mod vp8_header;
