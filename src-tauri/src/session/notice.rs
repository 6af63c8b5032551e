//! What the UI is told happened, by code: how a request or session went,
//! or a problem to act on. The code picks the UI's words (in its language);
//! the severity picks how they are shown. The desk's refusals keep the
//! desk's own codes.

use lifeline_signaling::protocol::ErrorCode;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeCode {
    // How a request or session went: an answer, not a fault.
    Located,
    Established,
    Declined,
    Timeout,
    Cancelled,
    PeerLeft,
    Ended,
    // Problems to act on.
    SignedOut,
    ConnectionFailed,
    Incompatible,
    BadOffer,
    BadAnswer,
    DeskOffline,
    Busy,
    NotGranted,
    ExpertOnly,
    FilesUnavailable,
    ClipboardUnavailable,
    ChatUnavailable,
    BadChat,
    GrantRefused,
    RebootFailed,
    PinTimeout,
    BadPin,
    PinMismatch,
    /// The desk refused a request.
    Desk(ErrorCode),
}

/// How the UI shows a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// How a request or session went (a decline or a timeout is an answer).
    Outcome,
    /// Something to act on: shown as an error, with its code.
    Problem,
}

impl NoticeCode {
    /// The code on the wire to the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Located => "located",
            Self::Established => "established",
            Self::Declined => "declined",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::PeerLeft => "peer_left",
            Self::Ended => "ended",
            Self::SignedOut => "signed_out",
            Self::ConnectionFailed => "connection_failed",
            Self::Incompatible => "incompatible",
            Self::BadOffer => "bad_offer",
            Self::BadAnswer => "bad_answer",
            Self::DeskOffline => "desk_offline",
            Self::Busy => "busy",
            Self::NotGranted => "not_granted",
            Self::ExpertOnly => "expert_only",
            Self::FilesUnavailable => "files_unavailable",
            Self::ClipboardUnavailable => "clipboard_unavailable",
            Self::ChatUnavailable => "chat_unavailable",
            Self::BadChat => "bad_chat",
            Self::GrantRefused => "grant_refused",
            Self::RebootFailed => "reboot_failed",
            Self::PinTimeout => "pin_timeout",
            Self::BadPin => "bad_pin",
            Self::PinMismatch => "pin_mismatch",
            Self::Desk(code) => code.as_str(),
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Self::Located
            | Self::Established
            | Self::Declined
            | Self::Timeout
            | Self::Cancelled
            | Self::PeerLeft
            | Self::Ended => Severity::Outcome,
            _ => Severity::Problem,
        }
    }
}

impl Serialize for NoticeCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for NoticeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code compares equal to its name on the wire.
impl PartialEq<&str> for NoticeCode {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_outcomes_and_the_rest_problems() {
        assert_eq!(NoticeCode::Declined.severity(), Severity::Outcome);
        assert_eq!(NoticeCode::PeerLeft.severity(), Severity::Outcome);
        assert_eq!(NoticeCode::DeskOffline.severity(), Severity::Problem);
        assert_eq!(
            NoticeCode::Desk(ErrorCode::IdExpired).severity(),
            Severity::Problem
        );
    }

    #[test]
    fn codes_go_to_the_ui_by_name() {
        assert_eq!(
            serde_json::to_string(&NoticeCode::PeerLeft).unwrap(),
            r#""peer_left""#
        );
        assert_eq!(
            serde_json::to_string(&NoticeCode::Desk(ErrorCode::IdExpired)).unwrap(),
            r#""id_expired""#
        );
        assert!(NoticeCode::PinTimeout == "pin_timeout");
    }
}
