//! Session transcripts on disk, one JSON-lines file per session in the data
//! directory: a [`Header`] line, then one [`LogEntry`] per line, flushed as
//! it happens so a crash loses at most the line being written. They can be
//! listed and read back after the session.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::log::LogEntry;

/// The transcript format's version, in every header.
pub const FORMAT: u32 = 1;
const EXTENSION: &str = "jsonl";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub format: u32,
    pub session: String,
    /// `client` or `expert`: this side's role.
    pub role: String,
    /// Who was on the other side.
    pub peer: String,
    pub started_ms: u64,
}

/// A transcript as the list of past sessions shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The file name, which [`read`] takes back.
    pub name: String,
    #[serde(flatten)]
    pub header: Header,
}

#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("no transcript is called {0:?}")]
    NotFound(String),
    #[error("{0:?} is not a transcript")]
    NotATranscript(String),
    #[error("transcript storage failed: {0}")]
    Io(#[from] io::Error),
}

#[derive(Debug)]
pub struct Transcript {
    file: File,
    path: PathBuf,
}

impl Transcript {
    /// Creates `dir` if needed and a new file for the session in it.
    pub fn create(dir: &Path, header: &Header) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let safe: String = header
            .session
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(64)
            .collect();
        let name = format!("{}-{}-{safe}.{EXTENSION}", header.started_ms, header.role);
        let path = dir.join(name);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)?;
        let mut transcript = Self { file, path };
        transcript.line(header)?;
        Ok(transcript)
    }

    pub fn append(&mut self, entry: &LogEntry) -> io::Result<()> {
        self.line(entry)
    }

    /// A file beside the transcript, named after it and `suffix`
    /// (`….shell-1.jsonl`).
    pub fn beside(&self, suffix: &str) -> PathBuf {
        let stem = self.path.file_stem().unwrap_or_default().to_string_lossy();
        self.path.with_file_name(format!("{stem}.{suffix}"))
    }

    /// Keeps `value` as JSON beside the transcript, in a file named after
    /// it, `kind` and `at_ms` (`….system-1700000000000.json`). Returns the
    /// file's name, for the transcript to mention.
    pub fn attach(&self, kind: &str, at_ms: u64, value: &impl Serialize) -> io::Result<String> {
        let stem = self.path.file_stem().unwrap_or_default().to_string_lossy();
        let name = format!("{stem}.{kind}-{at_ms}.json");
        let json = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
        fs::write(self.path.with_file_name(&name), json)?;
        Ok(name)
    }

    fn line(&mut self, value: &impl Serialize) -> io::Result<()> {
        let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
        line.push(b'\n');
        // One write per line: an append never interleaves half a line.
        self.file.write_all(&line)
    }
}

/// The transcripts in `dir`, newest first. A missing directory is an empty
/// list; unreadable files are skipped.
pub fn list(dir: &Path) -> io::Result<Vec<Summary>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_transcript_name(&name) {
            continue;
        }
        if let Ok(Some(header)) = read_header(&entry.path()) {
            found.push(Summary { name, header });
        }
    }
    found.sort_by_key(|s| std::cmp::Reverse(s.header.started_ms));
    Ok(found)
}

/// Reads the transcript `name` from `dir`. Lines that do not parse (a
/// line cut short by a crash) are skipped.
pub fn read(dir: &Path, name: &str) -> Result<(Header, Vec<LogEntry>), TranscriptError> {
    let path = path_of(dir, name)?;
    let file = File::open(&path).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => TranscriptError::NotFound(name.to_owned()),
        _ => TranscriptError::Io(error),
    })?;
    let mut lines = BufReader::new(file).lines();
    let header = lines
        .next()
        .transpose()?
        .and_then(|line| serde_json::from_str::<Header>(&line).ok())
        .ok_or_else(|| TranscriptError::NotATranscript(name.to_owned()))?;
    let mut entries = Vec::new();
    for line in lines {
        if let Ok(entry) = serde_json::from_str(&line?) {
            entries.push(entry);
        }
    }
    Ok((header, entries))
}

/// Only names this module writes are read: no separators, no `..`.
fn is_transcript_name(name: &str) -> bool {
    name.strip_suffix(&format!(".{EXTENSION}"))
        .is_some_and(|stem| {
            !stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn path_of(dir: &Path, name: &str) -> Result<PathBuf, TranscriptError> {
    if is_transcript_name(name) {
        Ok(dir.join(name))
    } else {
        Err(TranscriptError::NotATranscript(name.to_owned()))
    }
}

fn read_header(path: &Path) -> io::Result<Option<Header>> {
    let mut first = String::new();
    BufReader::new(File::open(path)?).read_line(&mut first)?;
    Ok(serde_json::from_str(&first).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::log::Author;

    fn header(session: &str, started_ms: u64) -> Header {
        Header {
            format: FORMAT,
            session: session.into(),
            role: "client".into(),
            peer: "Ann (support)".into(),
            started_ms,
        }
    }

    #[test]
    fn writes_lists_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let entry = LogEntry::Chat {
            at_ms: 5,
            from: Author::Me,
            text: "line one\nline two".into(),
        };
        let mut older = Transcript::create(dir.path(), &header("s-1", 100)).unwrap();
        older.append(&entry).unwrap();
        let mut newer = Transcript::create(dir.path(), &header("../../etc/passwd", 200)).unwrap();
        newer
            .append(&LogEntry::Event {
                at_ms: 6,
                code: crate::session::log::EventCode::Ended,
                detail: String::new(),
            })
            .unwrap();

        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].header.started_ms, 200, "newest first");
        assert_eq!(listed[0].name, "200-client-etcpasswd.jsonl");

        let (read_header, entries) = read(dir.path(), &listed[1].name).unwrap();
        assert_eq!(read_header, header("s-1", 100));
        assert_eq!(entries, vec![entry]);
    }

    #[test]
    fn a_cut_line_is_skipped_and_odd_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut transcript = Transcript::create(dir.path(), &header("s", 1)).unwrap();
        transcript.file.write_all(br#"{"kind":"chat","at"#).unwrap();
        let (_, entries) = read(dir.path(), "1-client-s.jsonl").unwrap();
        assert!(entries.is_empty());

        for name in ["../x.jsonl", "/etc/passwd", "a/b.jsonl", ".jsonl", "x.txt"] {
            assert!(matches!(
                read(dir.path(), name),
                Err(TranscriptError::NotATranscript(_))
            ));
        }
        assert!(matches!(
            read(dir.path(), "9-client-none.jsonl"),
            Err(TranscriptError::NotFound(_))
        ));
        assert!(list(&dir.path().join("missing")).unwrap().is_empty());
    }
}
