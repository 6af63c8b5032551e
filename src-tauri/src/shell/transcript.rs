//! A shell's transcript, as BeyondTrust keeps one: every input and output,
//! time-stamped, one JSON object per line. Keystrokes are gathered into
//! what was typed up to Enter (or a control key such as Ctrl+C or Tab),
//! and output into whole lines, so that it reads as a conversation; a
//! crash loses at most what was not yet a line. Both sides keep one beside
//! the session's transcript.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::clock::unix_ms;

/// Who a line came from.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
enum From {
    /// What the expert typed or pasted.
    Expert,
    /// What the shell printed.
    Shell,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    at_ms: u64,
    from: From,
    text: &'a str,
}

/// Gathered text is written at the latest at this many bytes.
const GATHER: usize = 4096;

#[derive(Debug)]
pub struct ShellTranscript {
    file: Option<File>,
    path: PathBuf,
    /// Typed since the last Enter or control key.
    typed: String,
    /// Printed since the last whole line.
    printed: Vec<u8>,
}

impl ShellTranscript {
    /// A new transcript at `path`. One that cannot be written is reported
    /// and skipped: the shell matters more than its record.
    pub fn create(path: &Path) -> Self {
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .map_err(|error| tracing::warn!(%error, ?path, "no shell transcript"))
            .ok();
        Self {
            file,
            path: path.to_owned(),
            typed: String::new(),
            printed: Vec::new(),
        }
    }

    /// The file's name, for the session's log to mention.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// What the expert typed; written at Enter or a control key, after
    /// what the shell printed before it (the echo of the typing).
    pub fn input(&mut self, text: &str) {
        self.typed.push_str(text);
        if text.chars().any(char::is_control) || self.typed.len() >= GATHER {
            self.flush_printed();
            let typed = std::mem::take(&mut self.typed);
            self.line(From::Expert, &typed);
        }
    }

    /// What the shell printed; written a whole line at a time.
    pub fn output(&mut self, bytes: &[u8]) {
        self.printed.extend_from_slice(bytes);
        let whole = if self.printed.len() >= GATHER {
            self.printed.len()
        } else {
            match self.printed.iter().rposition(|b| *b == b'\n') {
                Some(last) => last + 1,
                None => return,
            }
        };
        let lines: Vec<u8> = self.printed.drain(..whole).collect();
        self.line(From::Shell, &String::from_utf8_lossy(&lines));
    }

    fn flush_printed(&mut self) {
        if !self.printed.is_empty() {
            let printed = std::mem::take(&mut self.printed);
            self.line(From::Shell, &String::from_utf8_lossy(&printed));
        }
    }

    fn line(&mut self, from: From, text: &str) {
        let Some(file) = &mut self.file else { return };
        let line = Line {
            at_ms: unix_ms(),
            from,
            text,
        };
        let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
        bytes.push(b'\n');
        if let Err(error) = file.write_all(&bytes) {
            tracing::warn!(%error, "shell transcript write failed; it stops here");
            self.file = None;
        }
    }
}

impl Drop for ShellTranscript {
    fn drop(&mut self) {
        self.flush_printed();
        if !self.typed.is_empty() {
            let typed = std::mem::take(&mut self.typed);
            self.line(From::Expert, &typed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Typing a key at a time, with the shell echoing each, reads as the
    /// command, then what it printed.
    #[test]
    fn keystrokes_and_output_are_gathered_into_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.shell-1.jsonl");
        let mut transcript = ShellTranscript::create(&path);
        for key in ["e", "c", "h", "o", " ", "h", "i"] {
            transcript.input(key);
            transcript.output(key.as_bytes());
        }
        transcript.input("\r");
        transcript.output(b"\r\nhi\r\n$ ");
        transcript.input("\u{3}");
        assert_eq!(transcript.name(), "s.shell-1.jsonl");
        drop(transcript);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<(String, String)> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .inspect(|v| assert!(v["atMs"].as_u64().unwrap() > 0))
            .map(|v| {
                (
                    v["from"].as_str().unwrap().to_owned(),
                    v["text"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected = [
            ("shell", "echo hi"),
            ("expert", "echo hi\r"),
            ("shell", "\r\nhi\r\n"),
            ("shell", "$ "),
            ("expert", "\u{3}"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(lines, expected);
    }
}
