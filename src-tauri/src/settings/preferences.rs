//! The choices on the Settings screen: which desk to use, the proxy, where
//! received files go, which folder the client shares with the expert's
//! file browser, and the screen quality an expert starts with. Each is
//! checked here before anything is saved, so a mistyped value is refused
//! with the field it belongs to and the old settings stay.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::media::quality::Quality;
use crate::transfer::{protected, remote_fs};

/// The longest value any text field takes; more is a paste gone wrong.
const MAX_FIELD_CHARS: usize = 512;

/// What the Settings screen edits, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Preferences {
    /// The support desk's WebSocket URL; `None` uses the installation's
    /// default (`LIFELINE_SIGNALING_URL`, else the local one `make run`
    /// starts).
    pub signaling_url: Option<String>,
    pub proxy: Proxy,
    /// Where received files are saved; `None` uses the default
    /// (`LIFELINE_DOWNLOAD_DIR`, else Downloads).
    pub download_dir: Option<PathBuf>,
    /// The folder the expert's file browser may work in; `None` uses the
    /// default (`LIFELINE_SHARED_DIR`, else the download folder). Never
    /// the home folder or a folder holding it.
    pub shared_dir: Option<PathBuf>,
    /// The quality an expert's view of a client starts with.
    pub default_quality: Quality,
}

/// The proxy in PRISMAprepare's terms: host, port, and for an
/// authenticating proxy the user, password and Windows domain. The desk
/// link goes through it (`desk/proxy/`); the domain is NTLM's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Proxy {
    pub host: String,
    pub port: Option<u16>,
    pub user: String,
    pub password: String,
    pub domain: String,
}

/// What the UI sends on Save. The proxy password is only replaced when
/// one is given, so the UI never needs to read it back.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PreferencesUpdate {
    pub signaling_url: String,
    pub proxy_host: String,
    pub proxy_port: String,
    pub proxy_user: String,
    pub proxy_password: Option<String>,
    pub proxy_domain: String,
    pub download_dir: String,
    pub shared_dir: String,
    pub default_quality: Quality,
}

/// A value the Settings screen must not save. `code` names the field
/// (`bad_proxy_port`, ...), so the UI can say which and mark it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct BadPreference {
    pub code: &'static str,
    pub reason: String,
}

fn bad(code: &'static str, reason: impl Into<String>) -> BadPreference {
    BadPreference {
        code,
        reason: reason.into(),
    }
}

impl PreferencesUpdate {
    /// Checks every field and builds what is stored, keeping the stored
    /// proxy password unless a new one was typed.
    pub fn apply_to(self, current: &Preferences) -> Result<Preferences, BadPreference> {
        let fields = [
            ("bad_signaling_url", &self.signaling_url),
            ("bad_proxy_host", &self.proxy_host),
            ("bad_proxy_user", &self.proxy_user),
            ("bad_proxy_domain", &self.proxy_domain),
            ("bad_download_dir", &self.download_dir),
            ("bad_shared_dir", &self.shared_dir),
        ];
        for (code, value) in fields {
            if value.chars().count() > MAX_FIELD_CHARS || value.contains(char::is_control) {
                return Err(bad(code, "too long, or holds control characters"));
            }
        }
        let password = match self.proxy_password {
            Some(password) if password.chars().count() > MAX_FIELD_CHARS => {
                return Err(bad("bad_proxy_password", "too long"));
            }
            Some(password) => password,
            None => current.proxy.password.clone(),
        };
        Ok(Preferences {
            signaling_url: signaling_url(&self.signaling_url)?,
            proxy: proxy(
                &self.proxy_host,
                &self.proxy_port,
                &self.proxy_user,
                password,
                &self.proxy_domain,
            )?,
            download_dir: download_dir(&self.download_dir)?,
            shared_dir: shared_dir(&self.shared_dir, dirs::home_dir().as_deref())?,
            default_quality: self.default_quality,
        })
    }
}

/// Empty means the default; otherwise a `ws://` or `wss://` URL with a host.
fn signaling_url(text: &str) -> Result<Option<String>, BadPreference> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let url = url::Url::parse(text).map_err(|e| bad("bad_signaling_url", e.to_string()))?;
    if !matches!(url.scheme(), "ws" | "wss") {
        return Err(bad("bad_signaling_url", "must start with ws:// or wss://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("bad_signaling_url", "has no host"));
    }
    Ok(Some(text.to_owned()))
}

/// No host means no proxy; a host needs a port. The rest is free text.
fn proxy(
    host: &str,
    port: &str,
    user: &str,
    password: String,
    domain: &str,
) -> Result<Proxy, BadPreference> {
    let host = host.trim();
    if host.contains(|c: char| c.is_whitespace() || "/@?#".contains(c)) {
        return Err(bad(
            "bad_proxy_host",
            "a host name or address only, without a scheme or path",
        ));
    }
    let port = port.trim();
    let port = match (host.is_empty(), port.is_empty()) {
        (_, false) => Some(
            port.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("bad_proxy_port", "a number from 1 to 65535"))?,
        ),
        (false, true) => return Err(bad("bad_proxy_port", "a proxy host needs a port")),
        (true, true) => None,
    };
    Ok(Proxy {
        host: host.to_owned(),
        port,
        user: user.trim().to_owned(),
        password,
        domain: domain.trim().to_owned(),
    })
}

/// Empty means the default; otherwise an absolute folder, made if missing.
fn download_dir(text: &str) -> Result<Option<PathBuf>, BadPreference> {
    folder("bad_download_dir", text)
}

/// Like [`download_dir`], and not the home folder, a folder holding it or
/// one inside a protected place (`~/.config`): the expert may change
/// anything in this folder. Checked before the folder is made, with links
/// resolved in the part that exists.
fn shared_dir(text: &str, home: Option<&Path>) -> Result<Option<PathBuf>, BadPreference> {
    let path = Path::new(text.trim());
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(bad("bad_shared_dir", "a full path without \"..\""));
    }
    if path.is_absolute() {
        let home = home.and_then(|home| std::fs::canonicalize(home).ok());
        protected::check_root(&remote_fs::resolved(path), home.as_deref())
            .map_err(|refused| bad("bad_shared_dir", refused.to_string()))?;
    }
    folder("bad_shared_dir", text)
}

/// Empty is `None`; otherwise an absolute folder, made if missing.
fn folder(code: &'static str, text: &str) -> Result<Option<PathBuf>, BadPreference> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let path = Path::new(text);
    if !path.is_absolute() {
        return Err(bad(
            code,
            "a full path, starting with / (or a drive on Windows)",
        ));
    }
    std::fs::create_dir_all(path).map_err(|e| bad(code, e.to_string()))?;
    if !path.is_dir() {
        return Err(bad(code, "not a folder"));
    }
    Ok(Some(path.to_owned()))
}

/// The preferences as the UI reads them: everything but the proxy
/// password, of which it learns only whether one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreferencesView {
    pub signaling_url: Option<String>,
    pub proxy_host: String,
    pub proxy_port: Option<u16>,
    pub proxy_user: String,
    pub proxy_password_set: bool,
    pub proxy_domain: String,
    pub download_dir: Option<PathBuf>,
    pub shared_dir: Option<PathBuf>,
    pub default_quality: Quality,
}

impl From<&Preferences> for PreferencesView {
    fn from(p: &Preferences) -> Self {
        Self {
            signaling_url: p.signaling_url.clone(),
            proxy_host: p.proxy.host.clone(),
            proxy_port: p.proxy.port,
            proxy_user: p.proxy.user.clone(),
            proxy_password_set: !p.proxy.password.is_empty(),
            proxy_domain: p.proxy.domain.clone(),
            download_dir: p.download_dir.clone(),
            shared_dir: p.shared_dir.clone(),
            default_quality: p.default_quality,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> PreferencesUpdate {
        PreferencesUpdate::default()
    }

    #[test]
    fn empty_fields_mean_the_defaults() {
        let saved = update().apply_to(&Preferences::default()).unwrap();
        assert_eq!(saved, Preferences::default());
    }

    #[test]
    fn a_full_update_is_stored_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let downloads = dir.path().join("Received");
        let saved = PreferencesUpdate {
            signaling_url: " wss://desk.example.com/ws ".into(),
            proxy_host: "proxy.corp".into(),
            proxy_port: "8080".into(),
            proxy_user: "anna".into(),
            proxy_password: Some("s3cret".into()),
            proxy_domain: "CORP".into(),
            download_dir: downloads.display().to_string(),
            shared_dir: dir.path().join("Shared").display().to_string(),
            default_quality: Quality::Best,
        }
        .apply_to(&Preferences::default())
        .unwrap();
        assert_eq!(
            saved.signaling_url.as_deref(),
            Some("wss://desk.example.com/ws")
        );
        assert_eq!(saved.proxy.port, Some(8080));
        assert_eq!(saved.proxy.password, "s3cret");
        assert_eq!(saved.download_dir.as_deref(), Some(downloads.as_path()));
        assert!(downloads.is_dir(), "the folder is made when missing");
        assert_eq!(saved.shared_dir, Some(dir.path().join("Shared")));
        assert_eq!(saved.default_quality, Quality::Best);
        let view = PreferencesView::from(&saved);
        assert!(view.proxy_password_set);
        let json = serde_json::to_string(&view).unwrap();
        assert!(!json.contains("s3cret"), "the UI never reads the password");
    }

    #[test]
    fn the_password_stays_unless_a_new_one_is_typed() {
        let current = Preferences {
            proxy: Proxy {
                password: "kept".into(),
                ..Proxy::default()
            },
            ..Preferences::default()
        };
        assert_eq!(update().apply_to(&current).unwrap().proxy.password, "kept");
        let cleared = PreferencesUpdate {
            proxy_password: Some(String::new()),
            ..update()
        };
        assert_eq!(cleared.apply_to(&current).unwrap().proxy.password, "");
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            (
                PreferencesUpdate {
                    signaling_url: "http://desk.example.com".into(),
                    ..update()
                },
                "bad_signaling_url",
            ),
            (
                PreferencesUpdate {
                    signaling_url: "desk.example.com".into(),
                    ..update()
                },
                "bad_signaling_url",
            ),
            (
                PreferencesUpdate {
                    proxy_host: "proxy.corp".into(),
                    ..update()
                },
                "bad_proxy_port",
            ),
            (
                PreferencesUpdate {
                    proxy_host: "http://proxy.corp".into(),
                    proxy_port: "8080".into(),
                    ..update()
                },
                "bad_proxy_host",
            ),
            (
                PreferencesUpdate {
                    proxy_host: "proxy".into(),
                    proxy_port: "70000".into(),
                    ..update()
                },
                "bad_proxy_port",
            ),
            (
                PreferencesUpdate {
                    download_dir: "Downloads".into(),
                    ..update()
                },
                "bad_download_dir",
            ),
            (
                PreferencesUpdate {
                    proxy_user: "a\u{0}b".into(),
                    ..update()
                },
                "bad_proxy_user",
            ),
            (
                PreferencesUpdate {
                    proxy_domain: "x".repeat(MAX_FIELD_CHARS + 1),
                    ..update()
                },
                "bad_proxy_domain",
            ),
        ];
        for (case, code) in cases {
            let error = case.apply_to(&Preferences::default()).unwrap_err();
            assert_eq!(error.code, code, "{error}");
        }
    }

    #[test]
    fn the_home_folder_cannot_be_the_shared_folder() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("anna");
        std::fs::create_dir_all(home.join(".config")).unwrap();
        for refused in [
            home.clone(),
            home.join("Documents/.."),
            dir.path().to_owned(),
            "/".into(),
            home.join(".config/autostart"),
            home.join(".ssh"),
        ] {
            let error = shared_dir(&refused.display().to_string(), Some(&home)).unwrap_err();
            assert_eq!(error.code, "bad_shared_dir", "{}", refused.display());
        }
        assert_eq!(
            shared_dir("relative/x", Some(&home)).unwrap_err().code,
            "bad_shared_dir"
        );
        let fine = home.join("Shared with the expert");
        assert_eq!(
            shared_dir(&fine.display().to_string(), Some(&home)).unwrap(),
            Some(fine.clone())
        );
        assert!(fine.is_dir());
        assert_eq!(shared_dir(" ", Some(&home)).unwrap(), None);
        assert!(!home.join(".ssh").exists(), "a refused folder is not made");
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("taken");
        std::fs::write(&file, b"x").unwrap();
        let error = PreferencesUpdate {
            download_dir: file.display().to_string(),
            ..update()
        }
        .apply_to(&Preferences::default())
        .unwrap_err();
        assert_eq!(error.code, "bad_download_dir");
    }
}
