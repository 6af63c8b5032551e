//! The command shell (the `shell` permission, BeyondTrust's "command
//! shell"): a real terminal on the client, as the client's user, that the
//! expert types into. [`protocol`] is what crosses the `shell` data channel,
//! [`pty`] one shell in its pseudo-terminal, [`host`] the client's shells
//! of a session, and [`transcript`] the time-stamped record both sides keep.

pub mod host;
pub mod protocol;
pub mod pty;
pub mod transcript;

pub use protocol::ShellMessage;
