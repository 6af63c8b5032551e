//! What the UI is told happened, by code: how a request or session went,
//! or a problem to act on. The code picks the UI's words (in its language);
//! the severity picks how they are shown. The desk's refusals keep the
//! desk's own codes.

use lifeline_signaling::protocol::ErrorCode;
use serde::{Serialize, Serializer};

/// How the UI shows a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// How a request or session went (a decline or a timeout is an answer).
    Outcome,
    /// Something to act on: shown as an error, with its code.
    Problem,
}

/// Defines [`NoticeCode`] from one list of its codes, with each one's name
/// to the UI and severity, so `as_str`, `severity` and `OWN` (which the
/// UI's generated types are made from) cannot drift apart.
macro_rules! notice_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $wire:literal, $severity:ident;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum NoticeCode {
            $($(#[doc = $doc])* $variant,)*
            /// The desk refused a request.
            Desk(ErrorCode),
        }

        impl NoticeCode {
            /// Every code but the desk's.
            pub const OWN: &'static [NoticeCode] = &[$(Self::$variant,)*];

            /// The code on the wire to the UI.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Desk(code) => code.as_str(),
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Self::$variant => Severity::$severity,)*
                    Self::Desk(_) => Severity::Problem,
                }
            }
        }
    };
}

notice_codes! {
    // How a request or session went: an answer, not a fault.
    Located => "located", Outcome;
    Established => "established", Outcome;
    Declined => "declined", Outcome;
    Timeout => "timeout", Outcome;
    Cancelled => "cancelled", Outcome;
    PeerLeft => "peer_left", Outcome;
    Ended => "ended", Outcome;
    /// Expert: the client is back after its restart and is asked again.
    Reconnecting => "reconnecting", Outcome;
    /// Client: the session resumed after the restart, as agreed.
    Resumed => "resumed", Outcome;
    /// Client: the person stopped sharing from their desktop's own
    /// indicator, which withdrew the expert's view.
    ScreenStopped => "screen_stopped", Outcome;
    /// The client's desktop would not take remote input (its own dialog
    /// was declined, say), which withdrew control.
    ControlDeclined => "control_declined", Outcome;
    /// The session ended with the client's screen locked.
    Locked => "locked", Outcome;
    /// The session ended with the client's user logged out.
    LoggedOut => "logged_out", Outcome;
    /// Expert: the client closed the window with the expert's screen.
    ReverseViewClosed => "reverse_view_closed", Outcome;

    // Problems to act on.
    SignedOut => "signed_out", Problem;
    SignedOutByDesk => "signed_out_by_desk", Problem;
    ConnectionFailed => "connection_failed", Problem;
    Incompatible => "incompatible", Problem;
    BadOffer => "bad_offer", Problem;
    BadAnswer => "bad_answer", Problem;
    DeskOffline => "desk_offline", Problem;
    Busy => "busy", Problem;
    NotGranted => "not_granted", Problem;
    ExpertOnly => "expert_only", Problem;
    FilesUnavailable => "files_unavailable", Problem;
    ClipboardUnavailable => "clipboard_unavailable", Problem;
    ChatUnavailable => "chat_unavailable", Problem;
    BadChat => "bad_chat", Problem;
    GrantRefused => "grant_refused", Problem;
    RebootFailed => "reboot_failed", Problem;
    /// The session could not be recorded; the message says why.
    RecordingFailed => "recording_failed", Problem;
    /// Expert: the desk records every session; the recording cannot stop.
    RecordingRequired => "recording_required", Problem;
    /// Locking the client's screen or logging out at the end failed.
    EndActionFailed => "end_action_failed", Problem;
    PinTimeout => "pin_timeout", Problem;
    BadPin => "bad_pin", Problem;
    PinMismatch => "pin_mismatch", Problem;
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
