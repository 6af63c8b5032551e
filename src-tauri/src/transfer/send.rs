//! Sending: what a file or folder consists of, and one file read in chunks
//! from wherever the receiver says to start, hashed on the way so the last
//! message can carry the whole file's SHA-256. Nothing is held in memory
//! beyond one chunk.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use ring::digest::{Context, SHA256};

use super::protected;
use super::wire::CHUNK_BYTES;
use crate::hex;

/// One item to send: a file (with its size and time) or an empty folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    File {
        /// `/`-separated, relative to what the user picked.
        path: String,
        source: PathBuf,
        size: u64,
        modified_ms: u64,
    },
    Folder {
        path: String,
    },
}

/// What sending `picked` (a file or a folder) consists of, folders first.
/// Symbolic links are skipped: they could point anywhere. So are hidden
/// and protected entries inside a folder ([`super::protected`]): the
/// receiver refuses to write them, and a download from the client's shared
/// folder must not carry `.ssh` or `.aws` away.
pub fn plan(picked: &Path) -> io::Result<Vec<Item>> {
    let name = picked
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "nothing to send"))?;
    let mut items = Vec::new();
    walk(picked, &name, &mut items)?;
    Ok(items)
}

fn walk(path: &Path, relative: &str, items: &mut Vec<Item>) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    if meta.is_dir() {
        let mut children: Vec<_> = fs::read_dir(path)?.collect::<Result<_, _>>()?;
        children.sort_by_key(|c| c.file_name());
        if children.is_empty() {
            items.push(Item::Folder {
                path: relative.to_owned(),
            });
        }
        for child in children {
            let name = child.file_name().to_string_lossy().into_owned();
            if protected::check_name(&name).is_err() {
                continue;
            }
            walk(&child.path(), &format!("{relative}/{name}"), items)?;
        }
    } else if meta.is_file() {
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64);
        items.push(Item::File {
            path: relative.to_owned(),
            source: path.to_owned(),
            size: meta.len(),
            modified_ms,
        });
    }
    Ok(())
}

/// One file being read for sending.
pub struct Outgoing {
    file: File,
    size: u64,
    offset: u64,
    hash: Context,
    buffer: Vec<u8>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("size", &self.size)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl Outgoing {
    /// Opens `source` to send from `offset` (the bytes before it are read
    /// and hashed, so the final digest covers the whole file).
    pub fn open(source: &Path, size: u64, offset: u64) -> io::Result<Self> {
        let mut file = File::open(source)?;
        let mut hash = Context::new(&SHA256);
        let mut buffer = vec![0u8; CHUNK_BYTES];
        let offset = offset.min(size);
        let mut skipped = 0;
        while skipped < offset {
            let want = (offset - skipped).min(buffer.len() as u64) as usize;
            file.read_exact(&mut buffer[..want])?;
            hash.update(&buffer[..want]);
            skipped += want as u64;
        }
        file.seek(SeekFrom::Start(offset))?;
        Ok(Self {
            file,
            size,
            offset,
            hash,
            buffer,
        })
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next chunk and where it starts, or `None` at the end. A file
    /// that shrank while being sent is an error, not a short transfer.
    pub fn next_chunk(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        if self.offset >= self.size {
            return Ok(None);
        }
        let want = (self.size - self.offset).min(CHUNK_BYTES as u64) as usize;
        self.file.read_exact(&mut self.buffer[..want])?;
        self.hash.update(&self.buffer[..want]);
        let at = self.offset;
        self.offset += want as u64;
        Ok(Some((at, &self.buffer[..want])))
    }

    /// The whole file's SHA-256, once every chunk was read.
    pub fn digest(self) -> String {
        hex::encode(self.hash.finish().as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::receive::Incoming;

    #[test]
    fn a_folder_becomes_its_files_and_empty_folders_without_hidden_ones() {
        let root = tempfile::tempdir().unwrap();
        let picked = root.path().join("logs");
        fs::create_dir_all(picked.join("old/empty")).unwrap();
        fs::write(picked.join("a.txt"), "a").unwrap();
        fs::write(picked.join("old/b.txt"), "bb").unwrap();
        std::os::unix::fs::symlink("/etc", picked.join("link")).unwrap();
        fs::create_dir_all(picked.join("old/.ssh")).unwrap();
        fs::write(picked.join("old/.ssh/id_ed25519"), "key").unwrap();
        fs::write(picked.join(".env"), "SECRET=1").unwrap();
        fs::write(picked.join("authorized_keys"), "k").unwrap();
        let items = plan(&picked).unwrap();
        let names: Vec<(&str, Option<u64>)> = items
            .iter()
            .map(|i| match i {
                Item::File { path, size, .. } => (path.as_str(), Some(*size)),
                Item::Folder { path } => (path.as_str(), None),
            })
            .collect();
        assert_eq!(
            names,
            [
                ("logs/a.txt", Some(1)),
                ("logs/old/b.txt", Some(2)),
                ("logs/old/empty", None)
            ]
        );
    }

    #[test]
    fn sending_from_an_offset_still_digests_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..(3 * CHUNK_BYTES + 17))
            .map(|i| (i % 253) as u8)
            .collect();
        let source = dir.path().join("src.bin");
        fs::write(&source, &data).unwrap();
        let size = data.len() as u64;

        // A first attempt stops after one chunk; the receiver keeps it.
        let out = dir.path().join("out");
        let mut receiver = Incoming::open(&out, "src.bin", size, 9).unwrap();
        let mut first = Outgoing::open(&source, size, 0).unwrap();
        let (at, chunk) = first.next_chunk().unwrap().unwrap();
        receiver.write(at, chunk).unwrap();
        drop((receiver, first));

        // The retry starts where the receiver's copy ends.
        let mut receiver = Incoming::open(&out, "src.bin", size, 9).unwrap();
        assert_eq!(receiver.offset(), CHUNK_BYTES as u64);
        let mut sender = Outgoing::open(&source, size, receiver.offset()).unwrap();
        while let Some((at, chunk)) = sender.next_chunk().unwrap() {
            receiver.write(at, chunk).unwrap();
        }
        let saved = receiver.finish(&sender.digest()).unwrap();
        assert_eq!(fs::read(saved).unwrap(), data);
    }

    #[test]
    fn a_file_that_shrank_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("s");
        fs::write(&source, "short").unwrap();
        let mut sender = Outgoing::open(&source, 100, 0).unwrap();
        assert!(sender.next_chunk().is_err());
    }
}
