//! The desk file, `desk.toml`: an installation's "this computer asks this
//! desk for help". A desk hands it out (its `/client-config?format=toml`),
//! and an administrator puts it beside the app's executable or in the
//! system's place for it (`platform::system_desk_file`).
//!
//! ```toml
//! name = "Acme Help Desk"
//! desk = "https://help.acme.example"
//! pin = "3f9a…"          # the desk's verification code; optional with a public CA
//! logo = "acme.png"      # optional: PNG, JPEG or SVG, beside this file, or a data: URL
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::brand::{self, Brand};
use super::{DeskSource, LaunchDesk};
use crate::desk::tls::ServerPin;

/// The file's name, beside the executable and in the system's place.
pub const FILE_NAME: &str = "desk.toml";

/// The largest desk file read.
const MAX_FILE: u64 = 64 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeskFile {
    name: String,
    desk: String,
    pin: Option<String>,
    logo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the desk file {path} cannot be used: {why}")]
pub struct BadDeskFile {
    pub path: PathBuf,
    pub why: String,
}

/// The first desk file of `candidates` that exists, read. `None` when
/// there is none: the app behaves as it always has.
pub fn find(candidates: &[PathBuf]) -> Option<Result<LaunchDesk, BadDeskFile>> {
    let path = candidates.iter().find(|path| path.is_file())?;
    Some(load(path))
}

/// Where desk files are looked for, in order: beside the executable (a
/// copy of the app that carries its desk), then the system's place.
pub fn candidates() -> Vec<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(FILE_NAME)));
    beside
        .into_iter()
        .chain(crate::platform::system_desk_file())
        .collect()
}

pub fn load(path: &Path) -> Result<LaunchDesk, BadDeskFile> {
    let bad = |why: String| BadDeskFile {
        path: path.to_owned(),
        why,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| bad(e.to_string()))?
        .len();
    if size > MAX_FILE {
        return Err(bad(format!("it is larger than {MAX_FILE} bytes")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let file: DeskFile = toml::from_str(&text).map_err(|e| bad(e.message().to_owned()))?;
    let address = file.desk.parse().map_err(|e| bad(format!("{e}")))?;
    let pin = match file.pin.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(code.parse::<ServerPin>().map_err(|e| bad(e.to_string()))?),
    };
    let logo = match file.logo {
        None => None,
        Some(logo) if logo.starts_with("data:") => Some(logo),
        Some(name) => {
            let logo_path = path.parent().unwrap_or(Path::new(".")).join(name);
            let bytes =
                read_logo(&logo_path).map_err(|e| bad(format!("{}: {e}", logo_path.display())))?;
            Some(brand::logo_data_url(&bytes).map_err(|e| bad(e.to_string()))?)
        }
    };
    let brand = Brand::new(&file.name, logo).map_err(|e| bad(e.to_string()))?;
    Ok(LaunchDesk {
        address,
        pin,
        brand: Some(brand),
        source: DeskSource::File(path.to_owned()),
    })
}

fn read_logo(path: &Path) -> std::io::Result<Vec<u8>> {
    let size = std::fs::metadata(path)?.len();
    if size > brand::MAX_LOGO_BYTES as u64 {
        return Err(std::io::Error::other("the logo is larger than 256 KiB"));
    }
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &str = "6d6f6e6b657973206f6e206120747970657772697465722c2062792074686521";

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_first_file_found_names_the_desk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("acme.png"), b"\x89PNG\r\n\x1a\n\0\0").unwrap();
        let text = format!(
            "name = \"Acme Help Desk\"\ndesk = \"https://help.acme.example\"\npin = \"{PIN}\"\nlogo = \"acme.png\"\n"
        );
        let file = write(dir.path(), "desk.toml", &text);
        let missing = dir.path().join("nowhere/desk.toml");
        let desk = find(&[missing.clone(), file.clone()]).unwrap().unwrap();
        assert_eq!(desk.address.websocket(), "wss://help.acme.example/ws");
        assert_eq!(desk.pin.unwrap().to_string(), PIN);
        let brand = desk.brand.unwrap();
        assert_eq!(brand.name, "Acme Help Desk");
        assert!(brand.logo.unwrap().starts_with("data:image/png;base64,"));
        assert_eq!(desk.source, DeskSource::File(file));
        assert!(find(&[missing]).is_none());
    }

    #[test]
    fn a_flawed_file_says_what_is_wrong_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("name = \"Acme\"\n", "missing field `desk`"),
            (
                "name = \"Acme\"\ndesk = \"ftp://x\"\n",
                "is not a desk address",
            ),
            (
                "name = \"Acme\"\ndesk = \"https://x\"\npin = \"12\"\n",
                "64 hexadecimal digits",
            ),
            (
                "name = \"Acme\"\ndesk = \"https://x\"\nlogo = \"gone.png\"\n",
                "gone.png",
            ),
            ("name = \"\"\ndesk = \"https://x\"\n", "name is empty"),
            (
                "name = \"Acme\"\ndesk = \"https://x\"\ncolour = 1\n",
                "unknown field",
            ),
            ("name = ", "expected"),
        ];
        for (text, says) in cases {
            let path = write(dir.path(), "desk.toml", text);
            let error = load(&path).unwrap_err();
            assert_eq!(error.path, path);
            assert!(error.to_string().contains(says), "{text:?}: {error}");
        }
    }
}
