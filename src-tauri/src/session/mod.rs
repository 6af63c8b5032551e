//! A support session: its rules and the engine that runs it.
//!
//! - [`scopes`]: the permissions a client grants (the protocol's types, so
//!   the consent the server relays and the grant the engine enforces are one
//!   definition).
//! - [`negotiation`]: how a session comes about and where it stands (the
//!   request, the consent, the start, the connection), as a pure state
//!   machine per role with its deadlines.
//! - [`engine`]: the task around it that owns the desk link, the peer and
//!   the channels, and carries out what the negotiation decides.
//! - [`tabs`]: an app's sessions, one engine per tab over one desk link
//!   (an expert can hold several; a client one).
//! - [`view`]: the snapshot the UI renders; [`notice`]: the codes of what
//!   it is told happened, and their severity.
//! - [`control`]: messages on the peers' control channel.
//! - [`grants`]: what the client allows now; every message is checked.
//! - [`log`] and [`transcript`]: the chat and event log, and its file.
//! - [`reboot`]: the client's restart, its countdown and command;
//!   [`end_action`]: locking the screen or logging out as a session ends.
//! - [`deadlines`]: a session's timers (the restart countdown, the PIN
//!   check's limit) as deadlines its state owns; nothing sleeps.
//! - [`pin`]: the PIN check that binds the peers to the PIN the client
//!   shows.
//! - [`screen_share`] (client) and [`screen_view`] (expert): the screen's
//!   two ends, started by the engine only within the granted `view` scope.

pub mod control;
#[cfg(test)]
mod control_golden;
pub mod deadlines;
pub mod end_action;
pub mod engine;
pub mod grants;
pub mod log;
pub mod negotiation;
pub mod notice;
pub mod pin;
pub mod reboot;
pub mod reconnect;
pub mod screen_share;
pub mod screen_view;
pub mod tabs;
pub mod transcript;
pub mod view;

pub mod scopes {
    pub use lifeline_signaling::protocol::scopes::{Scope, ScopeDenied, Scopes};
}
