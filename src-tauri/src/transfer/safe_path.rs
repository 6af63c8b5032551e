//! Safe names for files that arrive from the other peer.
//!
//! A received path is untrusted input. [`SafeRelativePath::parse`] accepts
//! only plain relative names (`folder/sub/file.txt`) and rejects everything
//! that could escape the destination or deceive the user: absolute paths,
//! drive letters, `..`, backslashes, NUL and control characters, Windows
//! device names, names Windows would silently alias, bidirectional-text
//! tricks, look-alikes of `/`, `\\` and `..`, invisible characters
//! ([`super::lookalike`]) and over-long names. [`resolve_within`] then refuses to follow a
//! symlink that already exists under the destination, and [`unique_name`]
//! picks `name (1).ext` when the name is taken.

use std::io;
use std::path::{Path, PathBuf};

use super::lookalike;

/// Longest single name, in bytes (the common file-system limit).
pub const MAX_COMPONENT_BYTES: usize = 255;
/// Longest whole relative path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;
/// Deepest folder nesting accepted.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafePath {
    #[error("the name is empty")]
    Empty,
    #[error("absolute paths are not accepted")]
    Absolute,
    #[error("\"..\" and \".\" are not accepted in names")]
    DotSegment,
    #[error("empty folder names are not accepted")]
    EmptySegment,
    #[error("backslashes are not accepted in names")]
    Backslash,
    #[error("the name contains a control character")]
    ControlCharacter,
    #[error("the name contains {0:?}, which is not accepted")]
    ForbiddenCharacter(char),
    #[error("the name contains U+{:04X}, which looks like a slash", u32::from(*.0))]
    LookAlikeSlash(char),
    #[error("the name contains U+{:04X}, which shows as nothing", u32::from(*.0))]
    InvisibleCharacter(char),
    #[error("a name made only of dot-like characters reads as \".\" or \"..\"")]
    LookAlikeDots,
    #[error("\"{0}\" is a reserved device name")]
    DeviceName(String),
    #[error("names may not end with a dot or a space")]
    TrailingDotOrSpace,
    #[error("a name is longer than {MAX_COMPONENT_BYTES} bytes")]
    ComponentTooLong,
    #[error("the path is longer than {MAX_PATH_BYTES} bytes")]
    PathTooLong,
    #[error("the path is nested deeper than {MAX_DEPTH} folders")]
    TooDeep,
}

/// A relative path whose every component passed the checks above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeRelativePath {
    components: Vec<String>,
}

impl SafeRelativePath {
    /// Validates a `/`-separated relative path received from a peer.
    pub fn parse(raw: &str) -> Result<Self, UnsafePath> {
        if raw.is_empty() {
            return Err(UnsafePath::Empty);
        }
        if raw.len() > MAX_PATH_BYTES {
            return Err(UnsafePath::PathTooLong);
        }
        if raw.starts_with('/') || raw.starts_with('\\') || has_drive_prefix(raw) {
            return Err(UnsafePath::Absolute);
        }
        let components: Vec<String> = raw
            .split('/')
            .map(|c| check_component(c).map(str::to_owned))
            .collect::<Result<_, _>>()?;
        if components.len() > MAX_DEPTH {
            return Err(UnsafePath::TooDeep);
        }
        Ok(Self { components })
    }

    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The last component: the file or folder's own name.
    pub fn file_name(&self) -> &str {
        // parse() never returns an empty list: "" is rejected and split
        // yields at least one component.
        self.components
            .last()
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub fn to_path_buf(&self) -> PathBuf {
        self.components.iter().collect()
    }
}

impl std::fmt::Display for SafeRelativePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.components.join("/"))
    }
}

fn has_drive_prefix(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

fn check_component(component: &str) -> Result<&str, UnsafePath> {
    match component {
        "" => return Err(UnsafePath::EmptySegment),
        "." | ".." => return Err(UnsafePath::DotSegment),
        _ => {}
    }
    if component.len() > MAX_COMPONENT_BYTES {
        return Err(UnsafePath::ComponentTooLong);
    }
    for c in component.chars() {
        match c {
            '\\' => return Err(UnsafePath::Backslash),
            c if c.is_control() => return Err(UnsafePath::ControlCharacter),
            // Windows-reserved (":" also names NTFS alternate data streams).
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => {
                return Err(UnsafePath::ForbiddenCharacter(c));
            }
            // Bidirectional overrides and isolates can disguise an extension
            // ("invoice\u{202E}fdp.exe" displays as "invoiceexe.pdf").
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => {
                return Err(UnsafePath::ForbiddenCharacter(c));
            }
            c if lookalike::is_slash_like(c) => return Err(UnsafePath::LookAlikeSlash(c)),
            c if lookalike::is_invisible(c) => return Err(UnsafePath::InvisibleCharacter(c)),
            _ => {}
        }
    }
    if lookalike::is_dots_only(component) {
        return Err(UnsafePath::LookAlikeDots);
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Err(UnsafePath::TrailingDotOrSpace);
    }
    if is_device_name(component) {
        return Err(UnsafePath::DeviceName(component.to_owned()));
    }
    Ok(component)
}

/// CON, PRN, AUX, NUL, COM1–9, LPT1–9 (any case, with any extension), and
/// their superscript-digit variants, which Windows also treats as devices.
fn is_device_name(component: &str) -> bool {
    let stem = component.split('.').next().unwrap_or(component).trim_end();
    let upper = stem.to_ascii_uppercase();
    if matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let mut chars = stem.chars();
    let prefix: String = chars
        .by_ref()
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase();
    let rest: String = chars.collect();
    (prefix == "COM" || prefix == "LPT")
        && matches!(
            rest.as_str(),
            "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
        )
}

/// Joins `path` under `root`, refusing if any component that already exists
/// is a symlink (which could point outside `root`) or a non-directory where a
/// folder is needed. Components that do not exist yet are fine.
pub fn resolve_within(root: &Path, path: &SafeRelativePath) -> io::Result<PathBuf> {
    let mut current = root.to_path_buf();
    let last = path.components().len().saturating_sub(1);
    for (index, component) in path.components().iter().enumerate() {
        current.push(component);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{} is a symbolic link; not following it", current.display()),
                ));
            }
            Ok(meta) if index < last && !meta.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} is not a folder", current.display()),
                ));
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(current)
}

/// `name`, or `name (1).ext`, `name (2).ext`… — the first that `taken` says
/// is free. The extension is the part after the last dot, unless the name
/// starts with its only dot (`.bashrc` has none).
pub fn unique_name(name: &str, mut taken: impl FnMut(&str) -> bool) -> String {
    if !taken(name) {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    };
    (1u32..)
        .map(|n| format!("{stem} ({n}){ext}"))
        .find(|candidate| !taken(candidate))
        // The range is unbounded and `taken` can only refuse finitely many
        // names in practice; u32 exhaustion would take years of refusals.
        .expect("a free name exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_relative_names() {
        for ok in [
            "report.pdf",
            "folder/sub/file.txt",
            ".bashrc",
            "naïve café.txt",
            "日本語のファイル.doc",
            "a b c",
            "file.tar.gz",
            "CONTRACT.pdf",
            "com10.txt",
            "lpt.txt",
            "nul-terminated.md",
            "x..y",
            "..hidden",
        ] {
            assert!(
                SafeRelativePath::parse(ok).is_ok(),
                "{ok:?} should be accepted"
            );
        }
        let p = SafeRelativePath::parse("folder/sub/file.txt").unwrap();
        assert_eq!(p.file_name(), "file.txt");
        assert_eq!(p.to_path_buf(), PathBuf::from("folder/sub/file.txt"));
    }

    #[test]
    fn rejects_hostile_names() {
        use UnsafePath::*;
        let long = "a".repeat(MAX_COMPONENT_BYTES + 1);
        let long_path = vec!["abcdefgh"; 600].join("/");
        let deep = vec!["d"; MAX_DEPTH + 1].join("/");
        let cases: Vec<(&str, UnsafePath)> = vec![
            ("", Empty),
            ("/etc/passwd", Absolute),
            ("//server/share/x", Absolute),
            ("\\windows\\system32", Absolute),
            ("\\\\?\\C:\\x", Absolute),
            ("C:\\Windows\\x", Absolute),
            ("c:/x", Absolute),
            ("C:", Absolute),
            ("..", DotSegment),
            (".", DotSegment),
            ("../x", DotSegment),
            ("a/../../x", DotSegment),
            ("a/./b", DotSegment),
            ("a/..", DotSegment),
            ("a//b", EmptySegment),
            ("a/", EmptySegment),
            ("a/b/", EmptySegment),
            ("..\\..\\x", Backslash),
            ("a\\b", Backslash),
            ("a\0b", ControlCharacter),
            ("\0", ControlCharacter),
            ("a\nb", ControlCharacter),
            ("a\rb", ControlCharacter),
            ("a\tb", ControlCharacter),
            ("\u{1b}[31mred", ControlCharacter),
            ("del\u{7f}", ControlCharacter),
            ("bell\u{7}", ControlCharacter),
            ("c1\u{85}next", ControlCharacter),
            ("file:stream", ForbiddenCharacter(':')),
            ("what?.txt", ForbiddenCharacter('?')),
            ("star*.txt", ForbiddenCharacter('*')),
            ("pipe|x", ForbiddenCharacter('|')),
            ("<x>", ForbiddenCharacter('<')),
            ("q\"uote", ForbiddenCharacter('"')),
            ("invoice\u{202E}fdp.exe", ForbiddenCharacter('\u{202E}')),
            ("a\u{2066}b", ForbiddenCharacter('\u{2066}')),
            ("rlm\u{200F}.txt", ForbiddenCharacter('\u{200F}')),
            ("CON", DeviceName("CON".into())),
            ("con.txt", DeviceName("con.txt".into())),
            ("Prn", DeviceName("Prn".into())),
            ("aux.tar.gz", DeviceName("aux.tar.gz".into())),
            ("NUL", DeviceName("NUL".into())),
            ("com1", DeviceName("com1".into())),
            ("COM9.log", DeviceName("COM9.log".into())),
            ("lpt1", DeviceName("lpt1".into())),
            ("LPT9.txt", DeviceName("LPT9.txt".into())),
            ("COM¹", DeviceName("COM¹".into())),
            ("conin$", DeviceName("conin$".into())),
            ("folder/nul", DeviceName("nul".into())),
            ("trailing.", TrailingDotOrSpace),
            ("trailing ", TrailingDotOrSpace),
            ("...", TrailingDotOrSpace),
            ("dir./x", TrailingDotOrSpace),
            (long.as_str(), ComponentTooLong),
            (long_path.as_str(), PathTooLong),
            (deep.as_str(), TooDeep),
        ];
        assert!(cases.len() >= 50, "{} cases", cases.len());
        for (raw, expected) in cases {
            assert_eq!(SafeRelativePath::parse(raw), Err(expected), "{raw:?}");
        }
    }

    #[test]
    fn rejects_names_that_look_like_something_else() {
        use UnsafePath::*;
        let cases: Vec<(&str, UnsafePath)> = vec![
            // Renders as "etc/passwd" or "a\\b".
            ("etc\u{2044}passwd", LookAlikeSlash('\u{2044}')),
            ("etc\u{2215}passwd", LookAlikeSlash('\u{2215}')),
            ("etc\u{FF0F}passwd", LookAlikeSlash('\u{FF0F}')),
            ("etc\u{29F8}passwd", LookAlikeSlash('\u{29F8}')),
            ("a\u{FF3C}b", LookAlikeSlash('\u{FF3C}')),
            ("a\u{2216}b", LookAlikeSlash('\u{2216}')),
            ("ok/..\u{2215}..\u{2215}x", LookAlikeSlash('\u{2215}')),
            // Shows nothing: two names that look the same on screen.
            ("report\u{200B}.pdf", InvisibleCharacter('\u{200B}')),
            ("re\u{00AD}port.pdf", InvisibleCharacter('\u{00AD}')),
            ("\u{FEFF}notes.txt", InvisibleCharacter('\u{FEFF}')),
            ("a\u{2060}b", InvisibleCharacter('\u{2060}')),
            ("tag\u{E0041}", InvisibleCharacter('\u{E0041}')),
            ("line\u{2028}break", InvisibleCharacter('\u{2028}')),
            ("\u{3164}", InvisibleCharacter('\u{3164}')),
            // Reads as "." or "..".
            ("\u{2024}", LookAlikeDots),
            ("\u{2024}\u{2024}", LookAlikeDots),
            ("a/\u{FE52}\u{FE52}/x", LookAlikeDots),
            ("\u{FF0E}\u{FF0E}", LookAlikeDots),
            (".\u{FF0E}", LookAlikeDots),
        ];
        for (raw, expected) in cases {
            assert_eq!(SafeRelativePath::parse(raw), Err(expected), "{raw:?}");
        }
        // Dot look-alikes inside an ordinary name are only punctuation.
        for ok in ["wait\u{2026}.txt", "v1\u{00B7}2.pdf", "ノート.txt"] {
            assert!(SafeRelativePath::parse(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn never_panics_on_odd_unicode() {
        for raw in ["\u{FEFF}", "🙂/🙂", "\u{10FFFF}", "é\u{301}", "a/\u{0}/"] {
            let _ = SafeRelativePath::parse(raw);
        }
    }

    #[test]
    fn refuses_to_follow_symlinks_under_the_destination() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
        let path = SafeRelativePath::parse("escape/payload.sh").unwrap();
        let err = resolve_within(root.path(), &path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);

        std::fs::write(root.path().join("file"), b"x").unwrap();
        let through_file = SafeRelativePath::parse("file/child").unwrap();
        assert!(resolve_within(root.path(), &through_file).is_err());

        let fine = SafeRelativePath::parse("new/dir/file.txt").unwrap();
        assert_eq!(
            resolve_within(root.path(), &fine).unwrap(),
            root.path().join("new/dir/file.txt")
        );
    }

    #[test]
    fn picks_the_next_free_name() {
        let taken = ["report.pdf", "report (1).pdf"];
        assert_eq!(
            unique_name("report.pdf", |n| taken.contains(&n)),
            "report (2).pdf"
        );
        assert_eq!(
            unique_name("fresh.pdf", |n| taken.contains(&n)),
            "fresh.pdf"
        );
        assert_eq!(unique_name(".bashrc", |n| n == ".bashrc"), ".bashrc (1)");
        assert_eq!(
            unique_name("archive.tar.gz", |n| n == "archive.tar.gz"),
            "archive.tar (1).gz"
        );
        assert_eq!(unique_name("Makefile", |n| n == "Makefile"), "Makefile (1)");
    }
}
