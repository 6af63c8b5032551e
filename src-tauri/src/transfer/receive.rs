//! Receiving one file: written to a temporary file the receiver names
//! ([`super::partial`]) in the target folder, hashed as it arrives, and
//! given its final name only once its SHA-256 matches the sender's, without
//! replacing anything there. A mismatch discards the bytes, never
//! presenting them as complete. A kept temporary file whose sidecar names
//! the same file (path, size and time) is resumed where it ends. Names the
//! peer sends pass [`SafeRelativePath`] and [`protected::check`] first.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use super::partial::{self, Partial};
use super::protected::{self, Protected};
use super::safe_path::{SafeRelativePath, UnsafePath, resolve_within};
use crate::hex;

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("refused the name: {0}")]
    UnsafeName(#[from] UnsafePath),
    #[error("refused the name: {0}")]
    Protected(#[from] Protected),
    #[error("the disk is full")]
    DiskFull,
    #[error("a chunk for offset {got} arrived where the file ends at {expected}")]
    OutOfOrder { expected: u64, got: u64 },
    #[error("more data than the {size} bytes announced")]
    TooMuch { size: u64 },
    #[error("{written} of {size} bytes arrived")]
    Incomplete { written: u64, size: u64 },
    #[error("the file's SHA-256 does not match the sender's; the bytes were discarded")]
    ChecksumMismatch,
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
            ReceiveError::Protected(why) => why.code(),
            ReceiveError::DiskFull => "disk_full",
            ReceiveError::OutOfOrder { .. } => "out_of_order",
            ReceiveError::TooMuch { .. } => "too_much_data",
            ReceiveError::Incomplete { .. } => "incomplete",
            ReceiveError::ChecksumMismatch => "checksum_mismatch",
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
    partial: Partial,
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
        protected::check(safe.components())?;
        let target = resolve_within(root, &safe)?;
        let folder = target.parent().unwrap_or(root);
        fs::create_dir_all(folder)?;
        let identity = Identity {
            path: safe.to_string(),
            size,
            modified_ms,
        };
        let same_file = |kept: &[u8]| {
            serde_json::from_slice::<Identity>(kept).is_ok_and(|kept| kept == identity)
        };
        let mut hash = Context::new(&SHA256);
        let mut written = 0;
        let mut partial = match partial::find(folder, same_file)? {
            Some(mut kept) => {
                written = hash_existing(&mut kept.file, &mut hash)?.min(size);
                kept.file.set_len(written)?;
                kept
            }
            None => partial::create(
                folder,
                &serde_json::to_vec(&identity).map_err(io::Error::other)?,
            )?,
        };
        partial.file.seek(SeekFrom::Start(written))?;
        Ok(Self {
            target,
            partial,
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
        self.partial.file.write_all(data)?;
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
        self.partial.file.flush()?;
        self.partial.file.sync_all()?;
        let actual = hex::encode(self.hash.clone().finish().as_ref());
        if !actual.eq_ignore_ascii_case(sha256_hex.trim()) {
            // Resuming onto these bytes could never verify.
            self.partial.remove();
            return Err(ReceiveError::ChecksumMismatch);
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
        let saved = partial::persist(&self.partial.part_path, &folder, &name)?;
        let _ = fs::remove_file(&self.partial.sidecar);
        Ok(saved)
    }

    /// Gives up and removes the partial file (the user cancelled).
    pub fn discard(self) {
        self.partial.remove();
    }
}

/// Creates a folder the peer named, under `root`.
pub fn create_folder(root: &Path, path: &str) -> Result<PathBuf, ReceiveError> {
    let safe = SafeRelativePath::parse(path)?;
    protected::check(safe.components())?;
    let folder = resolve_within(root, &safe)?;
    fs::create_dir_all(&folder)?;
    Ok(folder)
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

    /// The names in `folder`, sorted.
    fn names(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn receive(root: &Path, path: &str, data: &[u8]) -> Result<PathBuf, ReceiveError> {
        let mut incoming = Incoming::open(root, path, data.len() as u64, 1)?;
        incoming.write(0, data)?;
        incoming.finish(&sha(data))
    }

    #[test]
    fn a_users_own_part_file_is_never_truncated() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("foo.iso.part"), b"the user's own").unwrap();
        fs::write(root.path().join("foo.iso.part.json"), b"{}").unwrap();
        let saved = receive(root.path(), "foo.iso", b"sent").unwrap();
        assert_eq!(fs::read(saved).unwrap(), b"sent");
        assert_eq!(
            fs::read(root.path().join("foo.iso.part")).unwrap(),
            b"the user's own"
        );
        assert_eq!(
            fs::read(root.path().join("foo.iso.part.json")).unwrap(),
            b"{}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_never_written_through() {
        use std::os::unix::fs::symlink;
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let precious = outside.path().join("precious");
        fs::write(&precious, b"keep me").unwrap();
        // Links where the temporary file and its sidecar used to go, at the
        // final name, and inside the path.
        for name in ["x.part", "x.part.json", "y"] {
            symlink(&precious, root.path().join(name)).unwrap();
        }
        symlink(outside.path(), root.path().join("up")).unwrap();

        let saved = receive(root.path(), "x", b"payload").unwrap();
        assert_eq!(saved, root.path().join("x"));
        assert_eq!(fs::read(&saved).unwrap(), b"payload");
        for refused in ["y", "up/evil"] {
            let error = receive(root.path(), refused, b"payload").unwrap_err();
            assert_eq!(error.code(), "write_failed", "{refused}");
        }
        assert_eq!(fs::read(&precious).unwrap(), b"keep me");
        assert_eq!(names(outside.path()), ["precious"]);
        assert_eq!(
            names(root.path()),
            ["up", "x", "x.part", "x.part.json", "y"]
        );
        for name in ["x.part", "x.part.json", "y", "up"] {
            let meta = fs::symlink_metadata(root.path().join(name)).unwrap();
            assert!(meta.file_type().is_symlink(), "{name} is still the link");
        }
    }

    #[test]
    fn hidden_and_protected_places_are_refused() {
        let root = tempfile::tempdir().unwrap();
        for name in [
            ".ssh/authorized_keys",
            ".config/autostart/evil.desktop",
            ".bashrc",
            ".profile",
            "sub/.hidden",
            "keys/authorized_keys",
            "Library/LaunchAgents/evil.plist",
        ] {
            let error = receive(root.path(), name, b"x").unwrap_err();
            assert_eq!(error.code(), "protected_path", "{name:?}");
        }
        assert_eq!(
            create_folder(root.path(), ".config/autostart")
                .unwrap_err()
                .code(),
            "protected_path"
        );
        assert!(names(root.path()).is_empty(), "nothing was written");
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
        assert_eq!(
            names(&root.path().join("a/b")),
            ["report.txt"],
            "no temporary file is left"
        );

        // The same name again: "report (1).txt".
        let mut again = Incoming::open(root.path(), "a/b/report.txt", 2, 1).unwrap();
        again.write(0, b"hi").unwrap();
        let second = again.finish(&sha(b"hi")).unwrap();
        assert_eq!(second, root.path().join("a/b/report (1).txt"));
    }

    #[test]
    fn a_bad_digest_never_presents_the_file() {
        let root = tempfile::tempdir().unwrap();
        let mut incoming = Incoming::open(root.path(), "x.bin", 3, 1).unwrap();
        incoming.write(0, b"abc").unwrap();
        let error = incoming.finish(&sha(b"abd")).unwrap_err();
        assert_eq!(error.code(), "checksum_mismatch");
        assert!(
            names(root.path()).is_empty(),
            "never presented as complete, and not resumed from"
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
