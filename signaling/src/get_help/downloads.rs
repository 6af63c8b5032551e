//! The installers a desk offers on `/get-help`, from one folder, served
//! by name at `/downloads/{name}`. Only plain files with plain names: no
//! path, no hidden file, nothing a link points elsewhere with.

use std::path::{Path, PathBuf};

/// An installer, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installer {
    pub name: String,
    pub bytes: u64,
    /// Who it is for ("Debian, Ubuntu").
    pub platform: &'static str,
}

/// The platforms by file ending, in the order the page lists them.
const KINDS: &[(&str, &str)] = &[
    (".deb", "Debian, Ubuntu and their kin (.deb)"),
    (".rpm", "Fedora, openSUSE, RHEL (.rpm)"),
    (".AppImage", "Any Linux (AppImage)"),
    (".msi", "Windows (.msi)"),
    (".exe", "Windows (.exe)"),
    (".dmg", "macOS (.dmg)"),
];

/// The installers in `dir`, by platform then name; none if it is unreadable.
pub fn list(dir: &Path) -> Vec<Installer> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(usize, Installer)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let rank = KINDS.iter().position(|(end, _)| name.ends_with(end))?;
            let meta = entry.metadata().ok().filter(|m| m.is_file())?;
            is_plain_name(&name).then(|| {
                let installer = Installer {
                    platform: KINDS[rank].1,
                    bytes: meta.len(),
                    name,
                };
                (rank, installer)
            })
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    found.into_iter().map(|(_, installer)| installer).collect()
}

/// The file `/downloads/{name}` serves, if `name` is one of [`list`]'s.
pub fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    list(dir)
        .into_iter()
        .any(|installer| installer.name == name)
        .then(|| dir.join(name))
}

/// Letters, digits and `._+~-`, not starting with a dot.
fn is_plain_name(name: &str) -> bool {
    name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '~' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_installers_are_offered() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "lifeline_0.1.0_amd64.deb",
            "lifeline-0.1.0-1.x86_64.rpm",
            ".hidden.deb",
            "notes.txt",
            "a b.deb",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("folder.deb")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd.deb")).unwrap();
        let names: Vec<String> = list(dir.path()).into_iter().map(|i| i.name).collect();
        assert_eq!(
            names,
            ["lifeline_0.1.0_amd64.deb", "lifeline-0.1.0-1.x86_64.rpm"]
        );
        assert!(find(dir.path(), "lifeline_0.1.0_amd64.deb").is_some());
        for name in [
            "../etc/passwd",
            ".hidden.deb",
            "notes.txt",
            "passwd.deb",
            "folder.deb",
        ] {
            assert_eq!(find(dir.path(), name), None, "{name}");
        }
        assert!(list(&dir.path().join("missing")).is_empty());
    }
}
