//! The name of a session recording, as the expert's app reports it for
//! the desk's session record: the file's own name in the expert's session
//! records (never a path). Anything but a short name of ASCII letters,
//! digits, `-`, `_` and `.` ending in `.webm` is refused where the message
//! is parsed, so it never reaches the database or a report as anything
//! but a plain name.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest recording name the desk keeps.
pub const MAX_RECORDING_NAME_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordingName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a recording's name is up to {MAX_RECORDING_NAME_CHARS} ASCII letters, digits, '-', '_' or '.', ending in .webm"
)]
pub struct BadRecordingName;

impl RecordingName {
    pub fn parse(name: impl Into<String>) -> Result<Self, BadRecordingName> {
        let name = name.into();
        let valid = name.len() <= MAX_RECORDING_NAME_CHARS
            && name.len() > ".webm".len()
            && name.ends_with(".webm")
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if valid {
            Ok(Self(name))
        } else {
            Err(BadRecordingName)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RecordingName {
    type Error = BadRecordingName;

    fn try_from(name: String) -> Result<Self, BadRecordingName> {
        Self::parse(name)
    }
}

impl From<RecordingName> for String {
    fn from(name: RecordingName) -> String {
        name.0
    }
}

impl fmt::Display for RecordingName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_webm_names_only() {
        let ours = "1796488652794-expert-fa102ddcc6b1.recording-1796488660104.webm";
        assert_eq!(RecordingName::parse(ours).unwrap().as_str(), ours);
        for bad in [
            "",
            ".webm",
            "../secret.webm",
            "a/b.webm",
            "x.webm\n",
            "x.mp4",
            ".hidden.webm",
            "naïve.webm",
            "a b.webm",
            "x.webm\u{0}",
        ] {
            assert_eq!(RecordingName::parse(bad), Err(BadRecordingName), "{bad:?}");
        }
        let long = format!("{}.webm", "a".repeat(MAX_RECORDING_NAME_CHARS));
        assert!(RecordingName::parse(long).is_err());
        assert!(serde_json::from_str::<RecordingName>(r#""../x.webm""#).is_err());
    }
}
