//! The receiver's temporary files: a file being received is written to
//! `.lifeline-<random>.part` in its target folder, beside
//! `.lifeline-<random>.json`, which says which file it is so a new offer of
//! the same file can resume it. The receiver picks the random part (128
//! bits from the system's generator), so the peer can neither predict the
//! names nor plant anything there: it can name no hidden path at all
//! ([`super::protected`]). Both are created with `create_new` and opened
//! without following links ([`crate::platform::no_follow`]), so no link and
//! no file the user already had is ever written through or truncated.
//!
//! [`persist`] gives the finished file its final name without replacing
//! anything: a hard link to a name that must not exist yet, then the
//! temporary name is removed.
//!
//! Finding a kept file reads its folder's entries once per offer: a
//! transfer of n files into one folder reads about n²/2 entries (5,000
//! files: about 12 million, a few seconds), the price of names that carry
//! nothing a peer could predict.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};

use super::safe_path::unique_name;
use crate::hex;
use crate::platform::no_follow::no_follow;

const PREFIX: &str = ".lifeline-";
const PART: &str = ".part";
const SIDECAR: &str = ".json";
/// Random bytes in a name (hex-encoded: twice as many characters).
const RANDOM_BYTES: usize = 16;
/// A sidecar holds a few hundred bytes; anything larger is not ours.
const MAX_SIDECAR_BYTES: u64 = 16 * 1024;
/// Final names tried before giving up (each taken one is skipped).
const MAX_PERSIST_TRIES: usize = 1_000;

/// A temporary file, open for reading and writing, and its sidecar.
#[derive(Debug)]
pub struct Partial {
    pub part_path: PathBuf,
    pub sidecar: PathBuf,
    pub file: File,
}

impl Partial {
    /// Removes both files.
    pub fn remove(&self) {
        let _ = fs::remove_file(&self.part_path);
        let _ = fs::remove_file(&self.sidecar);
    }
}

/// Starts a new temporary file in `folder`, its sidecar holding `identity`.
pub fn create(folder: &Path, identity: &[u8]) -> io::Result<Partial> {
    let mut random = [0u8; RANDOM_BYTES];
    SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| io::Error::other("the system's random generator failed"))?;
    let key = hex::encode(&random);
    let part_path = folder.join(format!("{PREFIX}{key}{PART}"));
    let sidecar = folder.join(format!("{PREFIX}{key}{SIDECAR}"));
    let file =
        no_follow(OpenOptions::new().read(true).write(true).create_new(true)).open(&part_path)?;
    let written = no_follow(OpenOptions::new().write(true).create_new(true))
        .open(&sidecar)
        .and_then(|mut side| side.write_all(identity));
    if let Err(error) = written {
        let _ = fs::remove_file(&part_path);
        return Err(error);
    }
    Ok(Partial {
        part_path,
        sidecar,
        file,
    })
}

/// A temporary file in `folder` whose sidecar `matches`, opened without
/// following links; `None` if there is none. Sidecars and parts that are
/// links, not plain files, or unreadable are passed over.
pub fn find(folder: &Path, matches: impl Fn(&[u8]) -> bool) -> io::Result<Option<Partial>> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(key) = name.to_str().and_then(sidecar_key) else {
            continue;
        };
        let sidecar = entry.path();
        let Ok(identity) = read_plain(&sidecar) else {
            continue;
        };
        if !matches(&identity) {
            continue;
        }
        let part_path = folder.join(format!("{PREFIX}{key}{PART}"));
        let Ok(file) = open_plain(&part_path) else {
            continue;
        };
        return Ok(Some(Partial {
            part_path,
            sidecar,
            file,
        }));
    }
    Ok(None)
}

/// Moves the finished `part_path` to `name` in `folder`, or to the first
/// free `name (1).ext`, never replacing or writing through what is there.
/// Returns the path it was saved as.
pub fn persist(part_path: &Path, folder: &Path, name: &str) -> io::Result<PathBuf> {
    for _ in 0..MAX_PERSIST_TRIES {
        let free = unique_name(name, |candidate| {
            fs::symlink_metadata(folder.join(candidate)).is_ok()
        });
        let saved = folder.join(free);
        // A hard link fails if anything (a link included) has the name.
        match fs::hard_link(part_path, &saved) {
            Ok(()) => {
                if let Err(error) = fs::remove_file(part_path) {
                    tracing::warn!(%error, "the temporary name was not removed");
                }
                return Ok(saved);
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) if fs::symlink_metadata(part_path).is_err() => return Err(error),
            // A file system without hard links (FAT, some network shares):
            // rename, which would replace, only while the name is still free.
            Err(_) => {
                if fs::symlink_metadata(&saved).is_ok() {
                    continue;
                }
                fs::rename(part_path, &saved)?;
                return Ok(saved);
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name like {name:?}"),
    ))
}

fn sidecar_key(name: &str) -> Option<&str> {
    name.strip_prefix(PREFIX)?
        .strip_suffix(SIDECAR)
        .filter(|key| is_key(key))
}

fn is_key(key: &str) -> bool {
    key.len() == 2 * RANDOM_BYTES && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Opens an existing plain file for reading and writing, not through a link.
fn open_plain(path: &Path) -> io::Result<File> {
    let file = no_follow(OpenOptions::new().read(true).write(true)).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a plain file",
        ));
    }
    Ok(file)
}

/// A small plain file's bytes, not read through a link.
fn read_plain(path: &Path) -> io::Result<Vec<u8>> {
    let file = no_follow(OpenOptions::new().read(true)).open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > MAX_SIDECAR_BYTES {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a sidecar"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SIDECAR_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn names_are_random_and_sidecars_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let a = create(dir.path(), b"a").unwrap();
        let b = create(dir.path(), b"a").unwrap();
        assert_ne!(a.part_path, b.part_path);
        for partial in [&a, &b] {
            let part = partial.part_path.file_name().unwrap().to_str().unwrap();
            let key = part
                .strip_prefix(PREFIX)
                .unwrap()
                .strip_suffix(PART)
                .unwrap();
            assert!(is_key(key), "{part}");
            assert_eq!(
                partial.sidecar.file_name().unwrap().to_str().unwrap(),
                format!("{PREFIX}{key}{SIDECAR}")
            );
            assert_eq!(sidecar_key(&format!("{PREFIX}{key}{SIDECAR}")), Some(key));
        }
        for name in [
            ".lifeline-x.json",
            "foo.json",
            ".lifeline-.json",
            "a.iso.part",
        ] {
            assert_eq!(sidecar_key(name), None, "{name}");
        }
    }

    #[test]
    fn a_kept_part_is_found_by_its_sidecar_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let kept = create(dir.path(), b"same").unwrap();
        create(dir.path(), b"other").unwrap();
        let found = find(dir.path(), |id| id == b"same").unwrap().unwrap();
        assert_eq!(found.part_path, kept.part_path);
        assert!(find(dir.path(), |id| id == b"none").unwrap().is_none());
        assert!(find(&dir.path().join("gone"), |_| true).unwrap().is_none());
    }

    #[test]
    fn a_link_in_place_of_a_kept_part_or_sidecar_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let precious = outside.path().join("precious");
        fs::write(&precious, b"mine").unwrap();
        // A sidecar that is a link to a file holding a matching identity,
        // and a real sidecar whose part is a link.
        let key = "0123456789abcdef0123456789abcdef";
        fs::write(outside.path().join("id"), b"same").unwrap();
        symlink(
            outside.path().join("id"),
            dir.path().join(format!(".lifeline-{key}.json")),
        )
        .unwrap();
        symlink(&precious, dir.path().join(format!(".lifeline-{key}.part"))).unwrap();
        let other = "fedcba9876543210fedcba9876543210";
        fs::write(dir.path().join(format!(".lifeline-{other}.json")), b"same").unwrap();
        symlink(
            &precious,
            dir.path().join(format!(".lifeline-{other}.part")),
        )
        .unwrap();
        assert!(find(dir.path(), |id| id == b"same").unwrap().is_none());
        assert_eq!(fs::read(&precious).unwrap(), b"mine");
    }

    #[test]
    fn persisting_never_replaces_a_file_or_writes_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let precious = outside.path().join("precious");
        fs::write(&precious, b"mine").unwrap();
        symlink(&precious, dir.path().join("report.txt")).unwrap();
        fs::write(dir.path().join("report (1).txt"), b"old").unwrap();

        let partial = create(dir.path(), b"id").unwrap();
        (&partial.file).write_all(b"new").unwrap();
        let saved = persist(&partial.part_path, dir.path(), "report.txt").unwrap();
        assert_eq!(saved, dir.path().join("report (2).txt"));
        assert_eq!(fs::read(&saved).unwrap(), b"new");
        assert!(!partial.part_path.exists());
        assert_eq!(fs::read(&precious).unwrap(), b"mine");
        assert_eq!(fs::read(dir.path().join("report (1).txt")).unwrap(), b"old");
        assert!(
            fs::symlink_metadata(dir.path().join("report.txt"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
