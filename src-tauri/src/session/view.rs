//! What the UI sees of the support session: one serialisable snapshot,
//! published by the engine on every change.

use lifeline_signaling::protocol::Scopes;
use lifeline_signaling::protocol::SessionId;
use serde::{Deserialize, Serialize};

pub use super::notice::{NoticeCode, Severity};
use crate::media::capture::MonitorInfo;
use crate::media::quality::Quality;
use crate::transfer::progress::TransferView;
use crate::transfer::remote_fs::Listing;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// The signed-in expert's display name (expert mode).
    pub signed_in_as: Option<String>,
    pub phase: Phase,
    /// The latest outcome or error, for the status line. The UI picks its
    /// translated text by `code`.
    pub notice: Option<Notice>,
    /// What the client shares, while it shares its screen.
    pub screen: Option<ScreenInfo>,
    /// Client, in a session: the permissions it may switch on and off.
    pub grantable: Scopes,
    /// Whether clipboard changes here are sent automatically.
    pub clipboard_sync: bool,
    /// A restart is counting down, due at this time (both sides see it).
    pub reboot_at_ms: Option<u64>,
    /// Client: the session resumes after that restart ("restart and
    /// reconnect").
    pub reboot_reconnect: bool,
    /// This session's file transfers, both ways.
    pub transfers: Vec<TransferView>,
    /// Expert: the client's folder the file browser shows, once asked.
    pub remote_files: Option<RemoteFolder>,
    /// Expert: the notes of the current request or session.
    pub notes: SessionNotes,
    /// Expert, in a session with `view`: when it started and when the
    /// screen's first frame arrived, for the Accept → first picture time.
    pub first_frame: Option<FirstFrame>,
    /// In a connected session: the way its packets go.
    pub path: Option<crate::peer::path::NetworkPath>,
    /// The running session's path went quiet and is being found again
    /// (an ICE restart, after a network change).
    pub reconnecting: bool,
    /// Expert: the client's system information, once asked for.
    pub system_info: Option<SystemInfoView>,
    /// Expert: the command shells opened in this session.
    pub shells: Vec<ShellView>,
    /// The expert records the screen now (both sides see it).
    pub recording: bool,
    /// Expert: the desk records every session; the recording cannot be
    /// stopped.
    pub recording_required: bool,
    /// The expert shows its own screen to the client now (both sides).
    pub reverse_view: bool,
    /// The desk's policy, as it last said it.
    pub desk_policy: Option<lifeline_signaling::protocol::DeskPolicyInfo>,
}

/// Expert: one command shell on the client, as its terminal shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShellView {
    pub id: u32,
    pub state: ShellState,
    /// The shell's process on the client, once it runs.
    pub pid: Option<u32>,
    /// How it ended: its exit status, or why it was refused.
    pub code: Option<u32>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShellState {
    Opening,
    Open,
    Ended,
    Refused,
}

/// Expert: the client's computer as the system information panel shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfoView {
    /// The latest snapshot; `None` until the first arrives.
    pub snapshot: Option<crate::system_info::SystemSnapshot>,
    /// A snapshot was asked for and has not arrived yet.
    pub asking: bool,
}

/// Expert: how long the first picture took. The session starts when the
/// desk reports the client's Accept (`session_started`); the frame arrives
/// when it is handed to the frame sink (the webview decodes and paints it
/// after that). Both are the expert's clock, Unix ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstFrame {
    pub session_started_ms: u64,
    pub arrived_ms: Option<u64>,
}

/// The expert's notes on a session, kept in the desk's session record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionNotes {
    pub text: String,
    /// When the desk confirmed the last change; `None` until then.
    pub saved_at_ms: Option<u64>,
}

/// The file browser's view of the client's shared folder: the last listing
/// and, if the last request failed, why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemoteFolder {
    pub listing: Listing,
    /// The client refused or could not carry out the last request.
    pub error: Option<crate::transfer::error::TransferError>,
}

/// The shared screen: the client's monitors, the one shown, the quality.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenInfo {
    pub monitors: Vec<MonitorInfo>,
    pub monitor: usize,
    pub quality: Quality,
    /// What captures the client's screen: `x11`, or `wayland` (the desktop
    /// portal and PipeWire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// Why the client's screen cannot be shown now (the desktop declined
    /// to share it, say), in the client's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Idle,
    /// Expert: the client was located and is being asked. Who the client
    /// is, the desk says only once it accepts.
    #[serde(rename_all = "camelCase")]
    Waiting {
        session: SessionId,
        expires_at_ms: u64,
    },
    /// Client: an expert asks; the consent dialog is open.
    #[serde(rename_all = "camelCase")]
    Asked {
        session: SessionId,
        expert: String,
        notes: String,
        scopes: Scopes,
        expires_at_ms: u64,
        /// The desk records every session (its policy).
        recorded: bool,
        /// The reason or ticket number the expert gave.
        reason: Option<String>,
        /// The desk's name as its admin set it.
        desk: Option<String>,
    },
    /// Accepted; the peers are connecting directly.
    #[serde(rename_all = "camelCase")]
    Connecting {
        session: SessionId,
        peer: String,
        scopes: Scopes,
    },
    /// The peer-to-peer connection is up.
    #[serde(rename_all = "camelCase")]
    Active {
        session: SessionId,
        peer: String,
        scopes: Scopes,
        safety_code: String,
        since_ms: u64,
    },
}

impl Phase {
    pub fn session(&self) -> Option<&SessionId> {
        match self {
            Phase::Idle => None,
            Phase::Waiting { session, .. }
            | Phase::Asked { session, .. }
            | Phase::Connecting { session, .. }
            | Phase::Active { session, .. } => Some(session),
        }
    }
}

/// What to show about the last step: its code (the UI's words), a detail
/// in English for the log, and how to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub code: NoticeCode,
    pub message: String,
    pub severity: Severity,
}

impl Notice {
    pub fn new(code: NoticeCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            severity: code.severity(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_for_the_ui() {
        let view = SessionView {
            signed_in_as: Some("Ann".into()),
            phase: Phase::Active {
                session: SessionId::parse("s1").unwrap(),
                peer: "pc-7".into(),
                scopes: Scopes::NONE,
                safety_code: "123456".into(),
                since_ms: 5,
            },
            notice: Some(Notice::new(NoticeCode::Established, "up")),
            screen: None,
            grantable: Scopes::NONE,
            clipboard_sync: false,
            reboot_at_ms: None,
            reboot_reconnect: false,
            transfers: Vec::new(),
            remote_files: None,
            notes: SessionNotes {
                text: "Ticket 4711".into(),
                saved_at_ms: Some(9),
            },
            first_frame: Some(FirstFrame {
                session_started_ms: 100,
                arrived_ms: Some(205),
            }),
            path: Some(crate::peer::path::NetworkPath {
                local: crate::peer::path::Reach::Relay,
                remote: crate::peer::path::Reach::ServerReflexive,
                protocol: "udp".into(),
                relay_protocol: Some("tls".into()),
            }),
            reconnecting: true,
            system_info: Some(SystemInfoView {
                snapshot: None,
                asking: true,
            }),
            shells: Vec::new(),
            recording: false,
            recording_required: false,
            reverse_view: false,
            desk_policy: Some(lifeline_signaling::protocol::DeskPolicyInfo {
                desk_name: "Acme IT".into(),
                consent_timeout_secs: 120,
                require_pin: true,
                record_sessions: false,
                require_reason: true,
                allowed_scopes: Scopes::NONE.with(lifeline_signaling::protocol::Scope::View),
            }),
        };
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            serde_json::json!({
                "signedInAs": "Ann",
                "phase": {"phase": "active", "session": "s1", "peer": "pc-7", "scopes": [],
                          "safetyCode": "123456", "sinceMs": 5},
                "notice": {"code": "established", "message": "up", "severity": "outcome"},
                "screen": null,
                "grantable": [],
                "clipboardSync": false,
                "rebootAtMs": null,
                "rebootReconnect": false,
                "transfers": [],
                "remoteFiles": null,
                "notes": {"text": "Ticket 4711", "savedAtMs": 9},
                "firstFrame": {"sessionStartedMs": 100, "arrivedMs": 205},
                "path": {"local": "relay", "remote": "server_reflexive", "protocol": "udp",
                         "relayProtocol": "tls"},
                "reconnecting": true,
                "systemInfo": {"snapshot": null, "asking": true},
                "shells": [],
                "recording": false,
                "recordingRequired": false,
                "reverseView": false,
                "deskPolicy": {"desk_name": "Acme IT", "consent_timeout_secs": 120,
                               "require_pin": true, "record_sessions": false,
                               "require_reason": true, "allowed_scopes": ["view"]}
            })
        );
    }
}
