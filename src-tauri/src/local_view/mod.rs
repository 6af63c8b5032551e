//! The expert app's own webview, fed from Rust: encoded screen frames and
//! the client's pointer reach the remote-screen view over a loopback
//! WebSocket that only the view can open.
//!
//! # Layout
//! - [`outbox`]: what waits for the view, and what is dropped when it falls
//!   behind (a pure queue, unit-tested).
//! - [`socket`]: [`socket::ViewSocket`], the server on 127.0.0.1 with a
//!   fresh secret for every view; it owns the outbox and the one connected
//!   view, and is the app's [`crate::media::sink::FrameSink`] and
//!   [`crate::cursor::CursorView`].
//!
//! Why a WebSocket and not Tauri's `ipc::Channel`: on Linux the Channel
//! sends any payload over 1 KiB as a script that makes the page fetch the
//! bytes back through the IPC custom protocol, two trips through the GTK
//! main thread per frame. The measurement that chose the socket is in
//! docs/screen-streaming.md ("Delivery to the webview").

pub mod outbox;
mod segment_size;
pub mod socket;
