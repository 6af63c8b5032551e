//! Which paths the other peer may never touch, even inside the folder it
//! was given: hidden (dot) files and folders, and the places a computer
//! starts programs from, reads shell settings from or keeps credentials in.
//! With `files` granted for one session, writing `.ssh/authorized_keys`,
//! `.config/autostart/x.desktop` or `.bashrc` would keep the expert's access
//! after the session; reading `.ssh/id_ed25519` or `.aws/credentials` would
//! take the keys away. So nothing named here is written, created, renamed
//! (from or to), copied (from or into), deleted or downloaded, and listings
//! leave it out.
//!
//! Also which folders may be shared at all ([`check_root`]): not `/`, not
//! the home folder or anything above it, and nothing inside a protected
//! place.
//!
//! Pure: it looks at names only. The callers ([`super::receive`],
//! [`super::remote_fs`], [`super::send`]) apply it to the components the
//! peer named, below the folder the client chose.

use std::path::{Path, PathBuf};

/// Names refused anywhere in a path (compared without regard to ASCII
/// case, as macOS and Windows file systems do). The dot names are hidden
/// anyway; they are listed so the error says why, and so that relaxing
/// the hidden rule one day cannot open them.
const SENSITIVE: &[&str] = &[
    // Remote access and credentials.
    ".ssh",
    "authorized_keys",
    "authorized_keys2",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".gnupg",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".password-store",
    ".mozilla",
    // Shell and session start-up files.
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    ".login",
    ".cshrc",
    ".tcshrc",
    ".kshrc",
    ".pam_environment",
    ".xprofile",
    ".xsession",
    ".xsessionrc",
    ".xinitrc",
    // Where programs start from (.config/autostart, .config/systemd,
    // .local/share/applications sit inside these).
    ".config",
    ".local",
    "LaunchAgents",
    "LaunchDaemons",
    "AppData",
    "autorun.inf",
];

/// Why a path may not be touched. Both show as `protected_path`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Protected {
    #[error("{0:?} is hidden; hidden files and folders are not shared")]
    Hidden(String),
    #[error(
        "{0:?} is where this computer keeps start-up programs, shell settings or credentials; it is not shared"
    )]
    Sensitive(String),
}

impl Protected {
    pub fn code(&self) -> &'static str {
        "protected_path"
    }
}

/// Refuses a path (its components, below the folder the client chose) if
/// any component is protected.
pub fn check<S: AsRef<str>>(components: &[S]) -> Result<(), Protected> {
    components
        .iter()
        .try_for_each(|component| check_name(component.as_ref()))
}

/// Refuses one name: a sensitive one, or any hidden (dot) one.
pub fn check_name(name: &str) -> Result<(), Protected> {
    if SENSITIVE.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        return Err(Protected::Sensitive(name.to_owned()));
    }
    if name.starts_with('.') {
        return Err(Protected::Hidden(name.to_owned()));
    }
    Ok(())
}

/// A folder that may not be shared, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RootRefused {
    #[error(
        "{} holds the whole home folder; share a folder inside it instead",
        .0.display()
    )]
    TooWide(PathBuf),
    #[error("{path} is inside a protected place: {why}", path = .0.display(), why = .1)]
    Protected(PathBuf, Protected),
}

impl RootRefused {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooWide(_) => "shared_folder_too_wide",
            Self::Protected(..) => "protected_path",
        }
    }
}

/// Whether `root` may be shared with the expert. Both paths should be
/// canonical (the caller resolves links and `..`): `/`, `home` itself and
/// any folder above it are refused, and so is any folder inside home whose
/// path below home has a protected component (`~/.config`, `~/AppData/…`).
pub fn check_root(root: &Path, home: Option<&Path>) -> Result<(), RootRefused> {
    if root.parent().is_none() {
        return Err(RootRefused::TooWide(root.to_owned()));
    }
    let Some(home) = home else { return Ok(()) };
    if home.starts_with(root) {
        return Err(RootRefused::TooWide(root.to_owned()));
    }
    if let Ok(below) = root.strip_prefix(home) {
        let names: Vec<String> = below
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        check(&names).map_err(|why| RootRefused::Protected(root.to_owned(), why))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> Vec<&str> {
        raw.split('/').collect()
    }

    #[test]
    fn hidden_and_well_known_places_are_refused_at_any_depth() {
        for raw in [
            ".ssh/authorized_keys",
            "project/.ssh/authorized_keys",
            "authorized_keys",
            "keys/AUTHORIZED_KEYS",
            ".gnupg/pubring.kbx",
            ".config/autostart/evil.desktop",
            ".config/systemd/user/evil.service",
            ".local/share/applications/evil.desktop",
            ".bashrc",
            ".profile",
            ".bash_profile",
            ".zshrc",
            ".pam_environment",
            ".xprofile",
            ".xsessionrc",
            ".netrc",
            ".pgpass",
            ".aws/credentials",
            ".kube/config",
            ".docker/config.json",
            "Library/LaunchAgents/evil.plist",
            "AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/x.lnk",
            "usb/autorun.inf",
            "backup/id_ed25519",
            ".hidden",
            "folder/.anything/file.txt",
            ".lifeline-0123456789abcdef.part",
        ] {
            assert!(check(&path(raw)).is_err(), "{raw:?} should be refused");
        }
        assert_eq!(
            check(&path("a/.bashrc")),
            Err(Protected::Sensitive(".bashrc".into()))
        );
        assert_eq!(
            check(&path("a/.cache/x")),
            Err(Protected::Hidden(".cache".into()))
        );
        assert_eq!(Protected::Hidden("x".into()).code(), "protected_path");
    }

    #[test]
    fn ordinary_names_pass() {
        for raw in [
            "report.pdf",
            "Documents/taxes 2024/form.pdf",
            "bashrc.txt",
            "my.profile.txt",
            "config/settings.ini",
            "Library/books.epub",
            "ssh-notes.md",
            "a..b",
        ] {
            assert_eq!(check(&path(raw)), Ok(()), "{raw:?}");
        }
    }

    #[test]
    fn the_home_folder_and_above_cannot_be_shared() {
        let home = Path::new("/home/anna");
        for root in ["/", "/home", "/home/anna"] {
            let refused = check_root(Path::new(root), Some(home)).unwrap_err();
            assert_eq!(refused.code(), "shared_folder_too_wide", "{root}");
        }
        assert_eq!(
            check_root(Path::new("/"), None).unwrap_err().code(),
            "shared_folder_too_wide"
        );
        for root in [
            "/home/anna/.config",
            "/home/anna/.config/autostart",
            "/home/anna/.ssh",
            "/home/anna/AppData/Roaming",
        ] {
            let refused = check_root(Path::new(root), Some(home)).unwrap_err();
            assert_eq!(refused.code(), "protected_path", "{root}");
        }
        for root in [
            "/home/anna/Downloads",
            "/home/anna/Documents/shared",
            "/srv/exchange",
            "/home/annabel",
        ] {
            assert_eq!(check_root(Path::new(root), Some(home)), Ok(()), "{root}");
        }
    }
}
