//! The client's files as the expert's file browser sees them: list, create
//! a folder, rename or move, copy, delete, and pick what to download — all
//! under one root folder the client chose (the download folder unless
//! set otherwise), never the home folder itself ([`RemoteFs::shared`]).
//!
//! Every path comes from the peer, so every path is untrusted. It must be a
//! plain relative name ([`SafeRelativePath`]), no component may be hidden
//! or a start-up, shell or credential place ([`protected`]), no component
//! that exists may be a symbolic link ([`resolve_within`]), and nothing can
//! name the root itself as something to delete, rename or move. A symbolic
//! link inside the root is listed, and can be deleted (the link, never its
//! target), but is never followed, renamed, moved or copied. Copies skip
//! links and protected entries for the same reason. Listings leave
//! protected entries out: the expert cannot act on them, so is not shown
//! their names either (`.ssh`'s existence, key names).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::protected::{self, Protected, RootRefused};
use super::safe_path::{SafeRelativePath, UnsafePath, resolve_within, unique_name};

/// The most entries one listing returns; a larger folder is cut short and
/// says so.
pub const MAX_ENTRIES: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Folder,
    File,
    Link,
    Other,
}

/// One entry of a listed folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
    pub size: u64,
    pub modified_ms: u64,
}

/// A listed folder: `path` is relative to the root (`""` is the root).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub path: String,
    pub entries: Vec<Entry>,
    /// The folder held more than [`MAX_ENTRIES`].
    pub truncated: bool,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum FsError {
    #[error("{0}")]
    Unsafe(#[from] UnsafePath),
    #[error("{0}")]
    Protected(#[from] Protected),
    #[error("{0}")]
    BadRoot(#[from] RootRefused),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("{0} already exists")]
    Exists(String),
    #[error("{0} is not a folder")]
    NotAFolder(String),
    #[error("the shared folder itself cannot be changed")]
    Root,
    #[error("a folder cannot be copied or moved into itself")]
    IntoItself,
    #[error("{0} is a symbolic link; it is not followed")]
    Link(String),
    #[error("permission denied: {0}")]
    Denied(String),
    #[error("this computer shares no files")]
    Unavailable,
    #[error("{0}")]
    Io(String),
}

impl FsError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsafe(_) => "unsafe_name",
            Self::Protected(why) => why.code(),
            Self::BadRoot(why) => why.code(),
            Self::NotFound(_) => "not_found",
            Self::Exists(_) => "already_exists",
            Self::NotAFolder(_) => "not_a_folder",
            Self::Root => "root",
            Self::IntoItself => "into_itself",
            Self::Link(_) => "symlink",
            Self::Denied(_) => "permission_denied",
            Self::Unavailable => "no_shared_folder",
            Self::Io(_) => "io_error",
        }
    }

    fn io(error: io::Error, path: &str) -> Self {
        match error.kind() {
            io::ErrorKind::NotFound => Self::NotFound(path.to_owned()),
            io::ErrorKind::AlreadyExists => Self::Exists(path.to_owned()),
            io::ErrorKind::PermissionDenied => Self::Denied(error.to_string()),
            io::ErrorKind::NotADirectory => Self::NotAFolder(path.to_owned()),
            _ => Self::Io(error.to_string()),
        }
    }
}

/// The shared folder.
#[derive(Debug, Clone)]
pub struct RemoteFs {
    root: PathBuf,
}

impl RemoteFs {
    /// Any folder, for this computer's own use (the expert's local pane).
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The folder the client shares with the expert, made if missing:
    /// refused if it is `/`, the home folder or above it, or inside a
    /// protected place. Checked before it is made and again after, with
    /// links and `..` resolved, so another spelling cannot pass.
    pub fn shared(root: PathBuf, home: Option<&Path>) -> Result<Self, FsError> {
        let home = home.and_then(|home| fs::canonicalize(home).ok());
        let planned = resolved(&root);
        protected::check_root(&planned, home.as_deref())?;
        fs::create_dir_all(&planned).map_err(|e| FsError::io(e, ""))?;
        let root = fs::canonicalize(&planned).map_err(|e| FsError::io(e, ""))?;
        protected::check_root(&root, home.as_deref())?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder's entries, folders first, then by name.
    pub fn list(&self, path: &str) -> Result<Listing, FsError> {
        let folder = self.folder(path)?;
        let mut entries = Vec::new();
        let mut truncated = false;
        for child in fs::read_dir(&folder).map_err(|e| FsError::io(e, path))? {
            let Ok(child) = child else { continue };
            let name = child.file_name().to_string_lossy().into_owned();
            if protected::check_name(&name).is_err() {
                continue; // not the expert's to see or touch
            }
            if entries.len() == MAX_ENTRIES {
                truncated = true;
                break;
            }
            let Ok(meta) = child.path().symlink_metadata() else {
                continue; // vanished while listing
            };
            let kind = if meta.file_type().is_symlink() {
                EntryKind::Link
            } else if meta.is_dir() {
                EntryKind::Folder
            } else if meta.is_file() {
                EntryKind::File
            } else {
                EntryKind::Other
            };
            entries.push(Entry {
                name,
                kind,
                size: if kind == EntryKind::File {
                    meta.len()
                } else {
                    0
                },
                modified_ms: modified_ms(&meta),
            });
        }
        entries.sort_by(|a, b| {
            (a.kind != EntryKind::Folder, a.name.to_lowercase())
                .cmp(&(b.kind != EntryKind::Folder, b.name.to_lowercase()))
        });
        Ok(Listing {
            path: path.to_owned(),
            entries,
            truncated,
        })
    }

    /// An existing folder under the root (`""` is the root itself).
    pub fn folder(&self, path: &str) -> Result<PathBuf, FsError> {
        if path.is_empty() {
            return Ok(self.root.clone());
        }
        let (folder, meta) = self.real(path)?;
        if !meta.is_dir() {
            return Err(FsError::NotAFolder(path.to_owned()));
        }
        Ok(folder)
    }

    pub fn mkdir(&self, path: &str) -> Result<(), FsError> {
        let target = self.target(path)?;
        fs::create_dir(&target).map_err(|e| FsError::io(e, path))
    }

    /// Renames or moves `from` to `to`, which must not exist yet. A link
    /// is not moved: in a place the receiver writes to it could stand in
    /// for a file about to be written.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), FsError> {
        let (source, _) = self.real(from)?;
        let target = self.target(to)?;
        if target.starts_with(&source) {
            return Err(FsError::IntoItself);
        }
        if target.symlink_metadata().is_ok() {
            return Err(FsError::Exists(to.to_owned()));
        }
        fs::rename(&source, &target).map_err(|e| FsError::io(e, from))
    }

    /// Copies `from` (a file or a whole folder) to `to`; if `to` is taken
    /// the copy gets the next free `name (1).ext`. Returns the name used.
    pub fn copy(&self, from: &str, to: &str) -> Result<String, FsError> {
        let (source, _) = self.real(from)?;
        let mut target = self.target(to)?;
        if target.symlink_metadata().is_ok() {
            let folder = target.parent().unwrap_or(&self.root).to_path_buf();
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            target = folder.join(unique_name(&name, |n| {
                folder.join(n).symlink_metadata().is_ok()
            }));
        }
        if target.starts_with(&source) {
            return Err(FsError::IntoItself);
        }
        copy_tree(&source, &target).map_err(|e| FsError::io(e, from))?;
        Ok(target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default())
    }

    /// Deletes a file, a link (not what it points to) or a whole folder.
    pub fn delete(&self, path: &str) -> Result<(), FsError> {
        let target = self.existing(path)?;
        let meta = target
            .symlink_metadata()
            .map_err(|e| FsError::io(e, path))?;
        if meta.is_dir() {
            // `remove_dir_all` removes links inside without following them.
            fs::remove_dir_all(&target)
        } else {
            fs::remove_file(&target)
        }
        .map_err(|e| FsError::io(e, path))
    }

    /// The file or folder to send when the expert downloads `path`.
    pub fn source(&self, path: &str) -> Result<PathBuf, FsError> {
        self.real(path).map(|(source, _)| source)
    }

    /// Like [`Self::existing`], and not a symbolic link.
    fn real(&self, path: &str) -> Result<(PathBuf, fs::Metadata), FsError> {
        let entry = self.existing(path)?;
        let meta = entry.symlink_metadata().map_err(|e| FsError::io(e, path))?;
        if meta.file_type().is_symlink() {
            return Err(FsError::Link(path.to_owned()));
        }
        Ok((entry, meta))
    }

    /// `path` under the root, not the root itself, every existing component
    /// a real folder or the final entry.
    fn target(&self, path: &str) -> Result<PathBuf, FsError> {
        if path.is_empty() {
            return Err(FsError::Root);
        }
        let safe = SafeRelativePath::parse(path)?;
        protected::check(safe.components())?;
        match resolve_within(&self.root, &safe) {
            Ok(resolved) => Ok(resolved),
            Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
                Err(FsError::Link(path.to_owned()))
            }
            Err(error) => Err(FsError::io(error, path)),
        }
    }

    /// Like [`Self::target`], and it exists. A final symbolic link is
    /// accepted as the entry itself (to delete or rename the link).
    fn existing(&self, path: &str) -> Result<PathBuf, FsError> {
        let safe = match path {
            "" => return Err(FsError::Root),
            raw => SafeRelativePath::parse(raw)?,
        };
        protected::check(safe.components())?;
        let (last, parents) = safe
            .components()
            .split_last()
            .expect("a parsed path has a component");
        let parent = if parents.is_empty() {
            self.root.clone()
        } else {
            self.target(&parents.join("/"))?
        };
        if !parent.is_dir() {
            return Err(FsError::NotFound(path.to_owned()));
        }
        let entry = parent.join(last);
        entry.symlink_metadata().map_err(|e| FsError::io(e, path))?;
        Ok(entry)
    }
}

/// `path` with its longest existing ancestor canonicalized (links and `..`
/// resolved there), and the missing rest appended as written.
pub fn resolved(path: &Path) -> PathBuf {
    let mut missing = Vec::new();
    let mut existing = path;
    loop {
        if let Ok(canonical) = fs::canonicalize(existing) {
            return missing.iter().rev().fold(canonical, |p, name| p.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_owned());
                existing = parent;
            }
            _ => return path.to_owned(),
        }
    }
}

fn copy_tree(source: &Path, target: &Path) -> io::Result<()> {
    let meta = source.symlink_metadata()?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    if meta.is_dir() {
        fs::create_dir(target)?;
        for child in fs::read_dir(source)? {
            let child = child?;
            if protected::check_name(&child.file_name().to_string_lossy()).is_err() {
                continue;
            }
            copy_tree(&child.path(), &target.join(child.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(source, target).map(drop)
    }
}

fn modified_ms(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> (tempfile::TempDir, RemoteFs) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("home");
        fs::create_dir_all(root.join("Documents/old")).unwrap();
        fs::write(root.join("Documents/report.txt"), b"quarterly").unwrap();
        fs::write(root.join("notes.md"), b"hi").unwrap();
        fs::write(dir.path().join("secret"), b"outside").unwrap();
        (dir, RemoteFs::new(root))
    }

    fn names(listing: &Listing) -> Vec<(&str, EntryKind)> {
        listing
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.kind))
            .collect()
    }

    #[test]
    fn lists_folders_first_with_sizes() {
        let (_dir, fs) = shared();
        let root = fs.list("").unwrap();
        assert_eq!(
            names(&root),
            [
                ("Documents", EntryKind::Folder),
                ("notes.md", EntryKind::File)
            ]
        );
        assert_eq!(root.entries[1].size, 2);
        let docs = fs.list("Documents").unwrap();
        assert_eq!(docs.path, "Documents");
        assert_eq!(
            names(&docs),
            [("old", EntryKind::Folder), ("report.txt", EntryKind::File)]
        );
        assert_eq!(fs.list("notes.md").unwrap_err().code(), "not_a_folder");
        assert_eq!(fs.list("nope").unwrap_err().code(), "not_found");
    }

    #[test]
    fn mkdir_rename_copy_delete() {
        let (_dir, fs) = shared();
        fs.mkdir("Documents/new").unwrap();
        assert_eq!(
            fs.mkdir("Documents/new").unwrap_err().code(),
            "already_exists"
        );
        assert_eq!(fs.mkdir("no/such/parent").unwrap_err().code(), "not_found");

        fs.rename("notes.md", "Documents/new/notes.md").unwrap();
        assert!(fs.root().join("Documents/new/notes.md").is_file());
        assert_eq!(
            fs.rename("Documents/report.txt", "Documents/new/notes.md")
                .unwrap_err()
                .code(),
            "already_exists"
        );

        assert_eq!(
            fs.copy("Documents", "Documents/old/again")
                .unwrap_err()
                .code(),
            "into_itself"
        );
        assert_eq!(fs.copy("Documents", "Docs").unwrap(), "Docs");
        assert_eq!(
            fs::read(fs.root().join("Docs/new/notes.md")).unwrap(),
            b"hi"
        );
        assert_eq!(
            fs.copy("Documents/report.txt", "Documents/report.txt")
                .unwrap(),
            "report (1).txt"
        );

        fs.delete("Docs").unwrap();
        assert!(!fs.root().join("Docs").exists());
        fs.delete("Documents/report (1).txt").unwrap();
        assert_eq!(
            fs.delete("Documents/report (1).txt").unwrap_err().code(),
            "not_found"
        );
    }

    #[test]
    fn the_root_cannot_be_deleted_renamed_or_escaped() {
        let (_dir, fs) = shared();
        assert_eq!(fs.delete("").unwrap_err().code(), "root");
        assert_eq!(fs.rename("", "x").unwrap_err().code(), "root");
        assert_eq!(fs.mkdir("").unwrap_err().code(), "root");
        for hostile in [
            "../secret",
            "/etc/passwd",
            "Documents/../../secret",
            "a\0b",
            "C:\\x",
        ] {
            for result in [
                fs.list(hostile).map(drop),
                fs.delete(hostile),
                fs.mkdir(hostile),
                fs.source(hostile).map(drop),
                fs.rename("notes.md", hostile),
                fs.copy(hostile, "copy").map(drop),
            ] {
                assert_eq!(result.unwrap_err().code(), "unsafe_name", "{hostile:?}");
            }
        }
        assert!(fs.root().parent().unwrap().join("secret").exists());
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_listed_and_deleted_but_never_followed() {
        let (dir, fs) = shared();
        std::os::unix::fs::symlink(dir.path(), fs.root().join("escape")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), fs.root().join("link")).unwrap();

        assert!(names(&fs.list("").unwrap()).contains(&("escape", EntryKind::Link)));
        assert_eq!(fs.list("escape").unwrap_err().code(), "symlink");
        assert_eq!(fs.source("link").unwrap_err().code(), "symlink");
        assert_eq!(fs.copy("escape", "copied").unwrap_err().code(), "symlink");
        assert_eq!(fs.delete("escape/secret").unwrap_err().code(), "symlink");
        assert_eq!(fs.mkdir("escape/x").unwrap_err().code(), "symlink");
        assert_eq!(
            fs.rename("notes.md", "escape/notes.md").unwrap_err().code(),
            "symlink"
        );

        // Copying a folder that holds a link copies no link and no target.
        fs::create_dir(fs.root().join("box")).unwrap();
        std::os::unix::fs::symlink(dir.path(), fs.root().join("box/out")).unwrap();
        fs.copy("box", "box2").unwrap();
        assert!(fs.root().join("box2").is_dir());
        assert!(fs.root().join("box2/out").symlink_metadata().is_err());

        // Deleting removes the links, not what they point to.
        fs.delete("link").unwrap();
        fs.delete("box").unwrap();
        fs.delete("escape").unwrap();
        assert_eq!(fs::read(dir.path().join("secret")).unwrap(), b"outside");
        assert!(dir.path().join("home").is_dir());
    }

    #[test]
    fn hidden_and_protected_entries_are_neither_listed_nor_touched() {
        let (_dir, fs) = shared();
        let root = fs.root().to_owned();
        fs::create_dir_all(root.join(".ssh")).unwrap();
        fs::write(root.join(".ssh/id_ed25519"), b"key").unwrap();
        fs::create_dir_all(root.join(".config/autostart")).unwrap();
        fs::write(root.join(".bashrc"), b"rc").unwrap();
        fs::write(root.join("authorized_keys"), b"keys").unwrap();
        fs::write(root.join("Documents/.hidden"), b"h").unwrap();

        assert_eq!(
            names(&fs.list("").unwrap()),
            [
                ("Documents", EntryKind::Folder),
                ("notes.md", EntryKind::File)
            ]
        );
        let refused = [
            fs.list(".ssh").map(drop),
            fs.source(".ssh/id_ed25519").map(drop),
            fs.source(".bashrc").map(drop),
            fs.mkdir(".ssh2"),
            fs.mkdir(".config/autostart/x"),
            fs.mkdir("Documents/.git"),
            fs.rename("notes.md", ".bashrc"),
            fs.rename("notes.md", ".profile"),
            fs.rename("notes.md", ".config/autostart/evil.desktop"),
            fs.rename(".bashrc", "bashrc.txt"),
            fs.rename("authorized_keys", "keys.txt"),
            fs.rename("Documents", ".ssh"),
            fs.copy("notes.md", ".pam_environment").map(drop),
            fs.copy("notes.md", "Documents/authorized_keys").map(drop),
            fs.copy(".ssh", "keys").map(drop),
            fs.delete(".bashrc"),
            fs.delete(".ssh/id_ed25519"),
            fs.delete("Documents/.hidden"),
        ];
        for (n, result) in refused.into_iter().enumerate() {
            assert_eq!(result.unwrap_err().code(), "protected_path", "case {n}");
        }
        // A copied folder leaves its hidden entries behind.
        fs.copy("Documents", "Docs").unwrap();
        assert!(!root.join("Docs/.hidden").exists());

        assert_eq!(fs::read(root.join(".bashrc")).unwrap(), b"rc");
        assert_eq!(fs::read(root.join(".ssh/id_ed25519")).unwrap(), b"key");
        assert_eq!(fs::read(root.join("notes.md")).unwrap(), b"hi");
        assert!(!root.join(".ssh2").exists() && !root.join(".profile").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_never_renamed_or_moved() {
        let (dir, fs) = shared();
        std::os::unix::fs::symlink(dir.path().join("secret"), fs.root().join("link")).unwrap();
        for to in ["x.part", "Documents/report.txt.part", "Documents/moved"] {
            assert_eq!(fs.rename("link", to).unwrap_err().code(), "symlink", "{to}");
        }
        assert!(
            fs.root()
                .join("link")
                .symlink_metadata()
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs.root().join("x.part").symlink_metadata().is_err());
        assert_eq!(fs::read(dir.path().join("secret")).unwrap(), b"outside");
    }

    #[test]
    fn the_home_folder_and_what_holds_it_cannot_be_shared() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home/anna");
        fs::create_dir_all(home.join("Downloads")).unwrap();
        fs::create_dir_all(home.join(".config/autostart")).unwrap();
        let spelled_otherwise = home.join("Downloads/..");
        for root in [
            home.clone(),
            spelled_otherwise,
            dir.path().join("home"),
            "/".into(),
        ] {
            let refused = RemoteFs::shared(root.clone(), Some(&home)).unwrap_err();
            assert_eq!(
                refused.code(),
                "shared_folder_too_wide",
                "{}",
                root.display()
            );
        }
        for root in [
            home.join(".config/autostart"),
            home.join(".config/autostart/x"),
        ] {
            let refused = RemoteFs::shared(root, Some(&home)).unwrap_err();
            assert_eq!(refused.code(), "protected_path");
        }
        assert!(!home.join(".config/autostart/x").exists());
        let fine = RemoteFs::shared(home.join("Downloads"), Some(&home)).unwrap();
        assert_eq!(fine.list("").unwrap().entries, []);
        let made = RemoteFs::shared(home.join("Shared/new"), Some(&home)).unwrap();
        assert!(made.root().is_dir(), "a missing shared folder is made");
    }

    #[test]
    fn large_folders_are_cut_short_and_say_so() {
        let (_dir, fs) = shared();
        fs.mkdir("many").unwrap();
        for n in 0..MAX_ENTRIES + 3 {
            fs::write(fs.root().join(format!("many/{n}")), b"").unwrap();
        }
        let listing = fs.list("many").unwrap();
        assert_eq!(listing.entries.len(), MAX_ENTRIES);
        assert!(listing.truncated);
    }
}
