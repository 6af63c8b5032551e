//! The expert's recordings, where the transcripts are: listed newest
//! first, and read back by name for the app's player. Only names this app
//! writes are read (no separators, no `..`), so a name from the UI cannot
//! reach another file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

const EXTENSION: &str = ".webm";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingEntry {
    /// The file's name, which [`read`] takes back.
    pub name: String,
    pub bytes: u64,
    /// When it was last written (Unix ms): its end, or where it stopped.
    pub modified_ms: u64,
    /// Who was on the other side, from the session's transcript.
    pub peer: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("no recording is called {0:?}")]
    NotFound(String),
    #[error("{0:?} is not a recording")]
    NotARecording(String),
    #[error("the recordings cannot be read: {0}")]
    Io(#[from] io::Error),
}

impl LibraryError {
    pub fn code(&self) -> &'static str {
        match self {
            LibraryError::NotFound(_) => "recording_not_found",
            LibraryError::NotARecording(_) => "not_a_recording",
            LibraryError::Io(_) => "recording_unreadable",
        }
    }
}

/// The recordings in `dir`, newest first; a missing folder has none.
pub fn list(dir: &Path) -> Result<Vec<RecordingEntry>, LibraryError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error.into()),
    };
    let mut found: Vec<RecordingEntry> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata().ok().filter(fs::Metadata::is_file)?;
            is_recording_name(&name).then(|| RecordingEntry {
                name,
                bytes: meta.len(),
                modified_ms: meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_millis() as u64),
                peer: None,
            })
        })
        .collect();
    found.sort_by(|a, b| b.modified_ms.cmp(&a.modified_ms).then(b.name.cmp(&a.name)));
    Ok(found)
}

/// The transcript a recording was made beside (`….recording-….webm` of
/// `….jsonl`).
pub fn transcript_of(recording: &str) -> Option<String> {
    let (stem, _) = recording.split_once(".recording-")?;
    Some(format!("{stem}.jsonl"))
}

/// The bytes of the recording `name` in `dir`.
pub fn read(dir: &Path, name: &str) -> Result<Vec<u8>, LibraryError> {
    let path = path_of(dir, name)?;
    fs::read(&path).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => LibraryError::NotFound(name.to_owned()),
        _ => LibraryError::Io(error),
    })
}

fn is_recording_name(name: &str) -> bool {
    name.strip_suffix(EXTENSION).is_some_and(|stem| {
        !stem.is_empty()
            && !stem.starts_with('.')
            && !stem.contains("..")
            && stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    })
}

fn path_of(dir: &Path, name: &str) -> Result<PathBuf, LibraryError> {
    if is_recording_name(name) {
        Ok(dir.join(name))
    } else {
        Err(LibraryError::NotARecording(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_reads_only_recordings() {
        let dir = tempfile::tempdir().unwrap();
        let name = "1700-expert-s1.recording-1701.webm";
        fs::write(dir.path().join(name), b"webm").unwrap();
        fs::write(dir.path().join("1700-expert-s1.jsonl"), b"{}").unwrap();
        fs::create_dir(dir.path().join("folder.webm")).unwrap();
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].name.as_str(), listed[0].bytes), (name, 4));
        assert_eq!(read(dir.path(), name).unwrap(), b"webm");
        assert!(list(&dir.path().join("none")).unwrap().is_empty());
        assert_eq!(transcript_of(name).as_deref(), Some("1700-expert-s1.jsonl"));
        assert_eq!(transcript_of("other.webm"), None);
    }

    #[test]
    fn other_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "../x.webm",
            "/etc/x.webm",
            "a/b.webm",
            "..webm",
            ".webm",
            "x.jsonl",
            "x..y.webm",
        ] {
            assert!(
                matches!(read(dir.path(), name), Err(LibraryError::NotARecording(_))),
                "{name}"
            );
        }
        assert!(matches!(
            read(dir.path(), "gone.webm"),
            Err(LibraryError::NotFound(_))
        ));
    }
}
