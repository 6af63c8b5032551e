//! Messages on the peers' reliable, ordered `control` data channel: the
//! protocol version, chat, the client's grants, ending the session without
//! the server, and steering the shared screen. docs/peer-protocol.md
//! describes every channel.

use serde::{Deserialize, Serialize};

use super::end_action::EndAction;
use super::scopes::{Scope, Scopes};
use super::view::ScreenInfo;
use crate::media::quality::Quality;
use crate::peer::path::Reach;
use crate::system_info::SystemSnapshot;

/// The peer protocol's version. Each side says it first; a peer with
/// another version is told so and the session ends cleanly.
pub const PROTOCOL_VERSION: u32 = 1;

/// The most bytes a control message may have.
pub const MAX_CONTROL_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlMessage {
    /// The first message each side sends.
    Hello { version: u32 },
    /// The sender ended the session (Stop or Disconnect).
    Bye,
    /// A chat line, either way.
    Chat { text: String, sent_ms: u64 },
    /// Client → expert: the permissions in force from now on.
    Grants { scopes: Scopes },
    /// Clipboard text, either way, within the `clipboard` scope.
    Clipboard { text: String },
    /// Expert → client: restart the computer (after the client's
    /// countdown), and (`reconnect`) come back to the session after it.
    Reboot {
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reconnect: bool,
    },
    /// Client → expert: the restart is due in `in_secs` seconds.
    RebootScheduled { in_secs: u64 },
    /// Client → expert: the client cancelled the restart.
    RebootCancelled,
    /// Expert → client: end the session, locking the screen or logging
    /// the user out (with `control` or `reboot`).
    EndWith { action: EndAction },
    /// Client → expert: the end action ran (`error`: why it failed); the
    /// session ends.
    EndedWith {
        action: EndAction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Client → expert: a request was refused for want of `scope`.
    Refused { scope: Scope, what: String },
    /// Client → expert: the client's desktop would not take remote input
    /// (its own dialog was declined, say), so control was withdrawn.
    ControlUnavailable { reason: String },
    /// Client → expert: what is being shared.
    Screen(ScreenInfo),
    /// Expert → client: the expert started (or stopped) recording what it
    /// sees of the screen.
    Recording { on: bool },
    /// Expert → client: the expert's own screen is shown (or no longer),
    /// on the video track, within `reverse_view`.
    ReverseView { on: bool },
    /// Client → expert: the client closed the window with the expert's
    /// screen; the expert stops sending it.
    ReverseViewClosed,
    /// Expert → client: a snapshot of the computer, please.
    AskSystemInfo,
    /// Client → expert: the snapshot asked for.
    SystemInfo(Box<SystemSnapshot>),
    /// Expert → client: show another monitor.
    SelectMonitor { monitor: usize },
    /// Expert → client: another quality preset.
    SetQuality { quality: Quality },
    /// Either way: how the sender's own end of the chosen path was found
    /// (its local candidate), which the other end cannot always tell.
    PathEnd { local: Reach },
}

impl ControlMessage {
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_CONTROL_BYTES {
            return Err(format!("{} bytes is over the limit", bytes.len()));
        }
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("control message serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        assert_eq!(ControlMessage::Bye.to_json(), r#"{"type":"bye"}"#);
        assert_eq!(
            ControlMessage::parse(br#"{"type":"bye"}"#),
            Ok(ControlMessage::Bye)
        );
        assert!(ControlMessage::parse(b"\xff").is_err());
        assert!(ControlMessage::parse(br#"{"type":"format_disk"}"#).is_err());
        assert!(ControlMessage::parse(&vec![b' '; MAX_CONTROL_BYTES + 1]).is_err());
        assert_eq!(
            ControlMessage::parse(br#"{"type":"set_quality","quality":"speed"}"#),
            Ok(ControlMessage::SetQuality {
                quality: Quality::Speed
            })
        );
        assert!(ControlMessage::parse(br#"{"type":"select_monitor","monitor":-1}"#).is_err());
    }
}
