//! Lifeline, the desktop app: one binary with a client mode (the person who
//! needs help) and an expert mode (the support desk).
//!
//! # Layout
//! - [`app`]: the only module that imports `tauri`. Commands are one-liners
//!   into managed state; errors cross to the UI as `{code, message}`.
//! - [`peer`]: the only module that imports `webrtc` (checked by
//!   `scripts/check-boundaries.sh`): one peer connection, its signals, its
//!   data channels as [`peer::Channel`], the VP8 screen track (with capture
//!   times and keyframe requests), and the safety code derived from both
//!   DTLS fingerprints.
//! - [`session`]: the session: its negotiation (request, consent, start,
//!   connection) as a pure state machine per role, the engine that carries
//!   it out (the peer connection's life), the tabs that hold one engine
//!   per session over one desk link, the permission scopes the client
//!   granted, and the screen it shares.
//! - [`media`]: screen capture (X11, or on Wayland the desktop portal and
//!   PipeWire), BGRA→I420, VP8 encoding on its own thread, and RTP
//!   reassembly on the expert's side; no `tauri`, no `webrtc`.
//! - [`cursor`]: the client's pointer, sent apart from the video and drawn
//!   by the expert's view.
//! - [`local_view`]: the expert app's loopback WebSocket to its own webview
//!   (frames and the pointer), guarded by a per-view secret.
//! - [`transfer`]: file transfer; [`transfer::safe_path`] vets received names.
//! - [`input`]: remote input (XTest on X11, the virtual pointer and keyboard
//!   on wlroots Wayland); [`input::keymap`] maps DOM key codes to physical keys.
//! - [`clipboard`]: clipboard text both ways, within the clipboard
//!   permission, behind a backend trait (arboard is the real one), held by
//!   one owner thread for the session.
//! - [`shell`]: the command shell, within the shell permission: the
//!   client's real terminal (a pseudo-terminal as the user), the `shell`
//!   channel's messages, and the transcript both sides keep.
//! - [`recording`]: session recording on the expert's side: the VP8 frames
//!   as received, into a WebM file beside the transcript, and the player's
//!   list.
//! - [`system_info`]: the client's computer as the expert's panel shows
//!   it, taken when asked, within its permission.
//! - [`desk`]: the link to the support desk's signaling server: one task
//!   owns the WebSocket, reconnects with back-off and publishes its status.
//! - [`platform`]: what differs by OS (computer name, OS name, opening a
//!   file without following a link).
//! - [`launch`]: how this run starts: the command line, a desk file
//!   (a branded client), or a `lifeline://get-help` link.
//! - [`config`]: where the app's files live and which signaling server it
//!   uses, resolved once at start-up.
//! - [`settings`]: the user's remembered choices, owned by one store.
//! - [`logging`]: `tracing` to stderr and to a log file in the data dir.
//! - [`clock`]: Unix time in milliseconds, as the views and logs show it.
//! - [`hex`]: one lower-case hex encoding for digests, PINs and codes.
//! - `ui_contract` (tests): writes the codes the UI receives (notices,
//!   desk errors, log events) as TypeScript, and fails when they are stale.
//!
//! # Run loop
//! [`run`] resolves the configuration, starts logging, and hands managed state
//! to the Tauri builder; from then on the webview drives the app through
//! commands, and Tauri's event loop owns the main thread.

pub mod app;
pub mod clipboard;
pub mod clock;
pub mod config;
pub mod cursor;
pub mod desk;
#[doc(hidden)]
pub mod fuzzing;
pub mod hex;
pub mod input;
pub mod launch;
pub mod local_view;
pub mod logging;
pub mod media;
pub mod peer;
pub mod platform;
pub mod recording;
pub mod session;
pub mod settings;
pub mod shell;
pub mod system_info;
pub mod transfer;
#[cfg(test)]
mod ui_contract;

/// Starts the app and blocks until its last window closes.
///
/// `--help` and `--version` print and return before anything starts; so
/// does a command line that makes no sense, with its reason.
pub fn run() {
    use clap::Parser;
    let cli = launch::cli::Cli::parse();
    let launch = launch::Launch::decide(cli, &launch::desk_file::candidates());
    let config = config::AppConfig::from_env().with_launch(launch);
    // Keep the guard alive for the whole run so the log file is flushed.
    let _log_guard = logging::init(&config.log_dir());
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        signaling = %config.signaling_url,
        data_dir = %config.data_dir.display(),
        "Lifeline starting"
    );
    app::run(config);
}
