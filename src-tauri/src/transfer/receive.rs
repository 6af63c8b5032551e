//! Receiving one file: written to `<name>.part` beside a small sidecar that
//! says which file it is, hashed as it arrives, and renamed to its final
//! name only once its SHA-256 matches the sender's. A mismatch keeps the
//! `.part`, never presenting it as complete. A `.part` whose sidecar matches
//! a new offer of the same file is resumed where it ends.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use super::safe_path::{SafeRelativePath, UnsafePath, resolve_within, unique_name};
use crate::hex;

const PART: &str = ".part";
const SIDECAR: &str = ".part.json";

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("refused the name: {0}")]
    UnsafeName(#[from] UnsafePath),
    #[error("the disk is full")]
    DiskFull,
    #[error("a chunk for offset {got} arrived where the file ends at {expected}")]
    OutOfOrder { expected: u64, got: u64 },
    #[error("more data than the {size} bytes announced")]
    TooMuch { size: u64 },
    #[error("{written} of {size} bytes arrived")]
    Incomplete { written: u64, size: u64 },
    #[error("the file's SHA-256 does not match the sender's; kept as {}", part.display())]
    ChecksumMismatch { part: PathBuf },
    #[error("cannot write the file: {0}")]
    Io(#[source] io::Error),
}

impl From<io::Error> for ReceiveError {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::StorageFull {
            ReceiveError::DiskFull
        } else {
            ReceiveError::Io(error)
        }
    }
}

impl ReceiveError {
    /// The stable code the peer and the UI see.
    pub fn code(&self) -> &'static str {
        match self {
            ReceiveError::UnsafeName(_) => "unsafe_name",
            ReceiveError::DiskFull => "disk_full",
            ReceiveError::OutOfOrder { .. } => "out_of_order",
            ReceiveError::TooMuch { .. } => "too_much_data",
            ReceiveError::Incomplete { .. } => "incomplete",
            ReceiveError::ChecksumMismatch { .. } => "checksum_mismatch",
            ReceiveError::Io(_) => "write_failed",
        }
    }
}

/// What the sidecar remembers, to recognise the same file offered again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Identity {
    path: String,
    size: u64,
    modified_ms: u64,
}

pub struct Incoming {
    /// Where it will be saved (its name may still change on a conflict).
    target: PathBuf,
    part_path: PathBuf,
    sidecar: PathBuf,
    part: File,
    size: u64,
    written: u64,
    hash: Context,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming")
            .field("target", &self.target)
            .field("size", &self.size)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl Incoming {
    /// Starts receiving `path` (as the peer named it) under `root`, or
    /// resumes a kept partial copy of the same file.
    pub fn open(
        root: &Path,
        path: &str,
        size: u64,
        modified_ms: u64,
    ) -> Result<Self, ReceiveError> {
        let safe = SafeRelativePath::parse(path)?;
        let target = resolve_within(root, &safe)?;
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        let part_path = with_suffix(&target, PART);
        let sidecar = with_suffix(&target, SIDECAR);
        let identity = Identity {
            path: safe.to_string(),
            size,
            modified_ms,
        };
        let same_file = fs::read(&sidecar)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Identity>(&bytes).ok())
            .is_some_and(|kept| kept == identity);
        let mut part = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&part_path)?;
        let mut hash = Context::new(&SHA256);
        let mut written = 0;
        if same_file {
            written = hash_existing(&mut part, &mut hash)?.min(size);
            part.set_len(written)?;
        } else {
            part.set_len(0)?;
            fs::write(
                &sidecar,
                serde_json::to_vec(&identity).map_err(io::Error::other)?,
            )?;
        }
        part.seek(SeekFrom::Start(written))?;
        Ok(Self {
            target,
            part_path,
            sidecar,
            part,
            size,
            written,
            hash,
        })
    }

    /// Where the sender should (re)start.
    pub fn offset(&self) -> u64 {
        self.written
    }

    /// Appends a chunk that must start exactly where the file ends.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), ReceiveError> {
        if offset != self.written {
            return Err(ReceiveError::OutOfOrder {
                expected: self.written,
                got: offset,
            });
        }
        if self.written + data.len() as u64 > self.size {
            return Err(ReceiveError::TooMuch { size: self.size });
        }
        self.part.write_all(data)?;
        self.hash.update(data);
        self.written += data.len() as u64;
        Ok(())
    }

    /// Checks the whole file against the sender's SHA-256 and gives it its
    /// final name (`name (1).ext` if the name is taken). Returns that path.
    pub fn finish(mut self, sha256_hex: &str) -> Result<PathBuf, ReceiveError> {
        if self.written != self.size {
            return Err(ReceiveError::Incomplete {
                written: self.written,
                size: self.size,
            });
        }
        self.part.flush()?;
        self.part.sync_all()?;
        let actual = hex::encode(self.hash.clone().finish().as_ref());
        if !actual.eq_ignore_ascii_case(sha256_hex.trim()) {
            return Err(ReceiveError::ChecksumMismatch {
                part: self.part_path.clone(),
            });
        }
        let folder = self
            .target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let free = unique_name(&name, |candidate| {
            fs::symlink_metadata(folder.join(candidate)).is_ok()
        });
        let saved = folder.join(free);
        fs::rename(&self.part_path, &saved)?;
        let _ = fs::remove_file(&self.sidecar);
        Ok(saved)
    }

    /// Gives up and removes the partial file (the user cancelled).
    pub fn discard(self) {
        let _ = fs::remove_file(&self.part_path);
        let _ = fs::remove_file(&self.sidecar);
    }
}

/// Creates a folder the peer named, under `root`.
pub fn create_folder(root: &Path, path: &str) -> Result<PathBuf, ReceiveError> {
    let safe = SafeRelativePath::parse(path)?;
    let folder = resolve_within(root, &safe)?;
    fs::create_dir_all(&folder)?;
    Ok(folder)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn hash_existing(file: &mut File, hash: &mut Context) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(total);
        }
        hash.update(&buffer[..n]);
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(data: &[u8]) -> String {
        hex::encode(ring::digest::digest(&SHA256, data).as_ref())
    }

    #[test]
    fn a_file_lands_under_its_name_only_when_the_digest_matches() {
        let root = tempfile::tempdir().unwrap();
        let data = b"hello, world".repeat(1000);
        let mut incoming =
            Incoming::open(root.path(), "a/b/report.txt", data.len() as u64, 1).unwrap();
        for (i, chunk) in data.chunks(4096).enumerate() {
            incoming.write((i * 4096) as u64, chunk).unwrap();
        }
        let saved = incoming.finish(&sha(&data)).unwrap();
        assert_eq!(saved, root.path().join("a/b/report.txt"));
        assert_eq!(fs::read(&saved).unwrap(), data);
        assert!(!root.path().join("a/b/report.txt.part").exists());
        assert!(!root.path().join("a/b/report.txt.part.json").exists());

        // The same name again: "report (1).txt".
        let mut again = Incoming::open(root.path(), "a/b/report.txt", 2, 1).unwrap();
        again.write(0, b"hi").unwrap();
        let second = again.finish(&sha(b"hi")).unwrap();
        assert_eq!(second, root.path().join("a/b/report (1).txt"));
    }

    #[test]
    fn a_bad_digest_keeps_the_part_file() {
        let root = tempfile::tempdir().unwrap();
        let mut incoming = Incoming::open(root.path(), "x.bin", 3, 1).unwrap();
        incoming.write(0, b"abc").unwrap();
        let error = incoming.finish(&sha(b"abd")).unwrap_err();
        assert_eq!(error.code(), "checksum_mismatch");
        assert!(root.path().join("x.bin.part").exists());
        assert!(
            !root.path().join("x.bin").exists(),
            "never presented as complete"
        );
    }

    #[test]
    fn resumes_where_a_kept_part_of_the_same_file_ends() {
        let root = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut first = Incoming::open(root.path(), "big.iso", data.len() as u64, 42).unwrap();
        first.write(0, &data[..30_000]).unwrap();
        drop(first); // the connection dropped

        let mut resumed = Incoming::open(root.path(), "big.iso", data.len() as u64, 42).unwrap();
        assert_eq!(resumed.offset(), 30_000);
        resumed.write(30_000, &data[30_000..]).unwrap();
        let saved = resumed.finish(&sha(&data)).unwrap();
        assert_eq!(fs::read(saved).unwrap(), data);

        // A different file under the same name starts over.
        let mut other = Incoming::open(root.path(), "new.iso", 10, 1).unwrap();
        other.write(0, b"12345").unwrap();
        drop(other);
        let changed = Incoming::open(root.path(), "new.iso", 10, 2).unwrap();
        assert_eq!(changed.offset(), 0);
    }

    #[test]
    fn chunks_must_land_in_order_and_within_the_size() {
        let root = tempfile::tempdir().unwrap();
        let mut incoming = Incoming::open(root.path(), "f", 4, 1).unwrap();
        assert_eq!(incoming.write(2, b"zz").unwrap_err().code(), "out_of_order");
        incoming.write(0, b"abc").unwrap();
        assert_eq!(
            incoming.write(3, b"de").unwrap_err().code(),
            "too_much_data"
        );
        assert_eq!(incoming.finish("00").unwrap_err().code(), "incomplete");
    }

    #[test]
    fn hostile_names_never_reach_the_disk() {
        let root = tempfile::tempdir().unwrap();
        let outside = root.path().join("outside");
        for name in [
            "../outside",
            "/etc/passwd",
            "a/../../x",
            "CON",
            "a\\b",
            "evil\u{202e}gpj.exe",
        ] {
            let error = Incoming::open(&root.path().join("in"), name, 1, 1).unwrap_err();
            assert_eq!(error.code(), "unsafe_name", "{name:?}");
        }
        assert!(!outside.exists());
        assert_eq!(
            create_folder(root.path(), "../up").unwrap_err().code(),
            "unsafe_name"
        );
    }
}
