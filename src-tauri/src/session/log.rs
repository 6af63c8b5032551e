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
        code: String,
        detail: String,
    },
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
