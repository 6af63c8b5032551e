//! The session's running log: the chat in both directions and, between the
//! messages, what happened (connected, permissions granted or withdrawn,
//! control refused, ended). Both sides keep one; each entry goes to the UI
//! as it happens and to the transcript file on disk.

use serde::{Deserialize, Serialize};

use super::transcript::{Header, Transcript};

/// The most characters one chat message may have.
pub const MAX_CHAT_CHARS: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    /// This app's user.
    Me,
    /// The other side.
    Peer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogEntry {
    #[serde(rename_all = "camelCase")]
    Chat {
        at_ms: u64,
        from: Author,
        text: String,
    },
    /// Something that happened; the UI words it by `code`.
    #[serde(rename_all = "camelCase")]
    Event {
        at_ms: u64,
        code: EventCode,
        detail: String,
    },
}

/// Defines [`EventCode`] with its names in one list, so `as_str`, `ALL`
/// (which the UI's generated types are made from) and serde cannot drift
/// apart.
macro_rules! event_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $wire:literal,)*) => {
        /// What a log event says happened; the UI words it by code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum EventCode {
            $($(#[doc = $doc])* #[serde(rename = $wire)] $variant,)*
            /// A code this version does not know (in a transcript written
            /// by a newer one).
            #[serde(other, rename = "other")]
            Other,
        }

        impl EventCode {
            /// Every code this version logs.
            pub const ALL: &'static [EventCode] = &[$(Self::$variant,)*];

            /// The code as the UI and the transcript have it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other => "other",
                }
            }
        }
    };
}

event_codes! {
    /// The peers connected; the detail lists what is allowed.
    Connected => "connected",
    /// The path the connection chose is peer to peer; the detail is its
    /// transport (UDP, TCP).
    PathDirect => "path_direct",
    /// The path goes through the desk's TURN relay; the detail is how
    /// this side reaches it (UDP, TCP, TLS).
    PathRelayed => "path_relayed",
    /// The path went quiet: reconnecting.
    PathLost => "path_lost",
    /// The path answers again (after an ICE restart, maybe).
    PathBack => "path_back",
    /// Client: the screen cannot be captured; the detail says why (the
    /// desktop declined to share it, say).
    ScreenUnavailable => "screen_unavailable",
    /// Client: the desktop would not take remote input (its own dialog was
    /// declined, say), so control was withdrawn; the detail says why.
    ControlUnavailable => "control_unavailable",
    Granted => "granted",
    Withdrawn => "withdrawn",
    /// A request outside the granted permissions was refused.
    Refused => "refused",
    /// Client: the computer's system information went to the expert.
    SystemInfoSent => "system_info_sent",
    /// Expert: the client's system information arrived; the detail names
    /// the computer and the file it was kept in.
    SystemInfoReceived => "system_info_received",
    /// The expert started recording the screen; its detail names the file
    /// (on the expert's side).
    RecordingStarted => "recording_started",
    /// The recording stopped; its detail says how long it is.
    RecordingStopped => "recording_stopped",
    /// A command shell started; the detail names it, its process and its
    /// transcript's file.
    ShellOpened => "shell_opened",
    /// A command shell ended; the detail says how.
    ShellClosed => "shell_closed",
    Ended => "ended",
    /// The session ended with the client's screen locked, as the expert
    /// chose.
    Locked => "locked",
    /// The session ended with the client's user logged out.
    LoggedOut => "logged_out",
    /// Locking or logging out at the end failed; the detail says why.
    EndActionFailed => "end_action_failed",
    /// "Restart and reconnect" could not keep its token: the computer
    /// restarts without coming back to the session.
    ReconnectUnavailable => "reconnect_unavailable",
    /// The session resumed after the client's restart, as agreed.
    Resumed => "resumed",
    Incompatible => "incompatible",
    ClipboardSent => "clipboard_sent",
    ClipboardReceived => "clipboard_received",
    /// The expert shows its own screen to the client (reverse view), or
    /// stopped.
    ReverseViewStarted => "reverse_view_started",
    ReverseViewStopped => "reverse_view_stopped",
    /// The client closed the window with the expert's screen.
    ReverseViewClosed => "reverse_view_closed",
    /// A clipboard image; the detail is its size, `640×480`.
    ClipboardImageSent => "clipboard_image_sent",
    ClipboardImageReceived => "clipboard_image_received",
    RebootScheduled => "reboot_scheduled",
    RebootCancelled => "reboot_cancelled",
    Rebooting => "rebooting",
    RebootFailed => "reboot_failed",
    PinVerified => "pin_verified",
    /// The expert's file browser changed the client's shared folder.
    FilesChanged => "files_changed",
    FilesSent => "files_sent",
    FilesReceived => "files_received",
    TransferFailed => "transfer_failed",
    TransferCancelled => "transfer_cancelled",
    TransferRefused => "transfer_refused",
    TransferResumed => "transfer_resumed",
}

/// A code compares equal to its name.
impl PartialEq<&str> for EventCode {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadChat {
    #[error("an empty message")]
    Empty,
    #[error("a message longer than {MAX_CHAT_CHARS} characters")]
    TooLong,
}

/// Checks a chat message's text, from either side.
pub fn check_chat(text: &str) -> Result<(), BadChat> {
    if text.trim().is_empty() {
        Err(BadChat::Empty)
    } else if text.chars().count() > MAX_CHAT_CHARS {
        Err(BadChat::TooLong)
    } else {
        Ok(())
    }
}

/// One session's log: kept in memory for the UI, written to the transcript.
#[derive(Debug)]
pub struct SessionLog {
    entries: Vec<LogEntry>,
    transcript: Option<Transcript>,
}

impl SessionLog {
    /// Starts a log whose transcript goes in `dir`, if there is one. A
    /// transcript that cannot be written is reported and skipped: the
    /// session matters more than its record.
    pub fn start(dir: Option<&std::path::Path>, header: Header) -> Self {
        let transcript = dir.and_then(|dir| {
            Transcript::create(dir, &header)
                .map_err(|error| tracing::warn!(%error, "no transcript for this session"))
                .ok()
        });
        Self {
            entries: Vec::new(),
            transcript,
        }
    }

    pub fn push(&mut self, entry: LogEntry) {
        if let Some(transcript) = &mut self.transcript
            && let Err(error) = transcript.append(&entry)
        {
            tracing::warn!(%error, "transcript write failed; it stops here");
            self.transcript = None;
        }
        self.entries.push(entry);
    }

    pub fn entries(&self) -> &[LogEntry] {
        &self.entries
    }

    /// A file beside the transcript (see [`Transcript::beside`]), or
    /// `None` when no transcript is kept.
    pub fn beside(&self, suffix: &str) -> Option<std::path::PathBuf> {
        Some(self.transcript.as_ref()?.beside(suffix))
    }

    /// Keeps `value` beside the transcript (see [`Transcript::attach`]);
    /// the file's name, or `None` when no transcript is kept.
    pub fn attach(&self, kind: &str, at_ms: u64, value: &impl Serialize) -> Option<String> {
        let transcript = self.transcript.as_ref()?;
        transcript
            .attach(kind, at_ms, value)
            .map_err(|error| tracing::warn!(%error, kind, "not kept beside the transcript"))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_text_is_checked() {
        assert_eq!(check_chat("  \n"), Err(BadChat::Empty));
        assert_eq!(check_chat(&"é".repeat(MAX_CHAT_CHARS)), Ok(()));
        assert_eq!(
            check_chat(&"é".repeat(MAX_CHAT_CHARS + 1)),
            Err(BadChat::TooLong)
        );
    }

    #[test]
    fn entries_serialise_for_the_ui() {
        let entry = LogEntry::Chat {
            at_ms: 7,
            from: Author::Peer,
            text: "hi".into(),
        };
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            serde_json::json!({"kind": "chat", "atMs": 7, "from": "peer", "text": "hi"})
        );
    }
}
