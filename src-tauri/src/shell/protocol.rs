//! Messages on the `shell` data channel (reliable, ordered), one JSON text
//! each. The expert opens, types into, resizes and closes shells; the
//! client answers with what they print and how they end. The client checks
//! the `shell` permission for every message from the expert.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The most bytes a shell message may have.
pub const MAX_SHELL_MESSAGE: usize = 64 * 1024;
/// Shells open at once in one session.
pub const MAX_SHELLS: usize = 8;
/// Output is sent in chunks of at most this many bytes (before base64).
pub const OUTPUT_CHUNK: usize = 16 * 1024;
/// The largest terminal, in columns or rows.
pub const MAX_CELLS: u16 = 1000;

/// Which shell of the session (the expert numbers them).
pub type ShellId = u32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ShellMessage {
    /// Expert → client: start a shell in a terminal of this size.
    Open {
        shell: ShellId,
        cols: u16,
        rows: u16,
    },
    /// Expert → client: what the expert typed or pasted.
    Input { shell: ShellId, text: String },
    /// Expert → client: the terminal's new size.
    Resize {
        shell: ShellId,
        cols: u16,
        rows: u16,
    },
    /// Expert → client: end the shell (its whole session of processes).
    Close { shell: ShellId },
    /// Client → expert: the shell runs, as process `pid`.
    Opened { shell: ShellId, pid: u32 },
    /// Client → expert: what the shell printed, base64 (it need not be
    /// whole UTF-8 characters).
    Output { shell: ShellId, data: String },
    /// Client → expert: the shell ended (`code`: its exit status, when it
    /// exited rather than being killed).
    Exited {
        shell: ShellId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<u32>,
    },
    /// Client → expert: the shell was not started, or the message not
    /// carried out; `reason` says why.
    Refused { shell: ShellId, reason: String },
}

impl ShellMessage {
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_SHELL_MESSAGE {
            return Err(format!("{} bytes is over the limit", bytes.len()));
        }
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("shell message serialises")
    }

    /// Output of `bytes` (at most [`OUTPUT_CHUNK`]).
    pub fn output(shell: ShellId, bytes: &[u8]) -> Self {
        Self::Output {
            shell,
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The shell the message is about.
    pub fn shell(&self) -> ShellId {
        match self {
            Self::Open { shell, .. }
            | Self::Input { shell, .. }
            | Self::Resize { shell, .. }
            | Self::Close { shell }
            | Self::Opened { shell, .. }
            | Self::Output { shell, .. }
            | Self::Exited { shell, .. }
            | Self::Refused { shell, .. } => *shell,
        }
    }
}

/// Bytes of an `output` message's `data`.
pub fn decode_output(data: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("output is not base64: {e}"))
}

/// A terminal size within bounds (at least 1×1).
pub fn cells(cols: u16, rows: u16) -> (u16, u16) {
    (cols.clamp(1, MAX_CELLS), rows.clamp(1, MAX_CELLS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_their_wire_form() {
        let golden = [
            (
                ShellMessage::Open {
                    shell: 1,
                    cols: 80,
                    rows: 24,
                },
                r#"{"type":"open","shell":1,"cols":80,"rows":24}"#,
            ),
            (
                ShellMessage::Input {
                    shell: 1,
                    text: "ls\r".into(),
                },
                r#"{"type":"input","shell":1,"text":"ls\r"}"#,
            ),
            (
                ShellMessage::output(1, b"ok\n"),
                r#"{"type":"output","shell":1,"data":"b2sK"}"#,
            ),
            (
                ShellMessage::Exited {
                    shell: 1,
                    code: Some(0),
                },
                r#"{"type":"exited","shell":1,"code":0}"#,
            ),
            (
                ShellMessage::Exited {
                    shell: 2,
                    code: None,
                },
                r#"{"type":"exited","shell":2}"#,
            ),
        ];
        for (message, json) in golden {
            assert_eq!(message.to_json(), json);
            assert_eq!(ShellMessage::parse(json.as_bytes()), Ok(message));
        }
    }

    #[test]
    fn bad_messages_are_refused() {
        assert!(ShellMessage::parse(b"{}").is_err());
        assert!(ShellMessage::parse(br#"{"type":"open","shell":-1,"cols":1,"rows":1}"#).is_err());
        let huge = format!(
            r#"{{"type":"input","shell":1,"text":"{}"}}"#,
            "a".repeat(MAX_SHELL_MESSAGE)
        );
        assert!(ShellMessage::parse(huge.as_bytes()).is_err());
        assert!(decode_output("***").is_err());
    }

    /// The largest output chunk fits a message.
    #[test]
    fn an_output_chunk_fits_a_message() {
        let json = ShellMessage::output(u32::MAX, &[0xff; OUTPUT_CHUNK]).to_json();
        assert!(json.len() <= MAX_SHELL_MESSAGE, "{}", json.len());
    }

    #[test]
    fn sizes_are_bounded() {
        assert_eq!(cells(0, 0), (1, 1));
        assert_eq!(cells(80, 24), (80, 24));
        assert_eq!(cells(u16::MAX, 5000), (MAX_CELLS, MAX_CELLS));
    }
}
