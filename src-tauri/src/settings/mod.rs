//! The user's remembered choices (mode, language and the Settings screen's
//! preferences), persisted as JSON in the config dir. [`SettingsStore`] is
//! the one owner: commands go through it, and every change is written to
//! disk before it is reported back.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

pub mod preferences;

pub use preferences::{BadPreference, Preferences, PreferencesUpdate, PreferencesView};

/// Which side of a support session this user plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Client,
    Expert,
}

impl From<Mode> for lifeline_signaling::protocol::Role {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Client => lifeline_signaling::protocol::Role::Client,
            Mode::Expert => lifeline_signaling::protocol::Role::Expert,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// The last mode chosen on the start screen; `None` shows the start screen.
    pub mode: Option<Mode>,
    /// A UI language code such as `en` or `it`; `None` follows the system.
    pub language: Option<String>,
    pub preferences: Preferences,
}

/// The settings as the UI reads them: the proxy password stays here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub mode: Option<Mode>,
    pub language: Option<String>,
    pub preferences: PreferencesView,
}

impl From<&Settings> for SettingsView {
    fn from(settings: &Settings) -> Self {
        Self {
            mode: settings.mode,
            language: settings.language.clone(),
            preferences: PreferencesView::from(&settings.preferences),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("could not save settings to {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("unsupported language {0:?}")]
    UnknownLanguage(String),
    #[error(transparent)]
    Preference(#[from] BadPreference),
}

/// Languages the UI has catalogs for.
pub const LANGUAGES: &[&str] = &["en", "it"];

#[derive(Debug)]
pub struct SettingsStore {
    path: PathBuf,
    // A std Mutex, not tokio's: critical sections are short, never await,
    // and commands call this from Tauri's thread pool.
    current: Mutex<Settings>,
}

impl SettingsStore {
    /// Loads settings from `path`. A missing file means defaults. A corrupt
    /// file is set aside as `settings.json.corrupt` so nothing is lost, and
    /// defaults are used.
    pub fn load(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let current = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(settings) => settings,
                Err(error) => {
                    let aside = path.with_extension("json.corrupt");
                    tracing::warn!(%error, path = %path.display(), "settings unreadable; keeping a copy and using defaults");
                    if let Err(error) = std::fs::rename(&path, &aside) {
                        tracing::warn!(%error, "could not set the corrupt settings file aside");
                    }
                    Settings::default()
                }
            },
            Err(error) if error.kind() == io::ErrorKind::NotFound => Settings::default(),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "cannot read settings; using defaults");
                Settings::default()
            }
        };
        Self {
            path,
            current: Mutex::new(current),
        }
    }

    pub fn get(&self) -> Settings {
        self.lock().clone()
    }

    pub fn set_mode(&self, mode: Option<Mode>) -> Result<Settings, SettingsError> {
        self.update(|s| s.mode = mode)
    }

    pub fn set_language(&self, language: &str) -> Result<Settings, SettingsError> {
        if !LANGUAGES.contains(&language) {
            return Err(SettingsError::UnknownLanguage(language.to_owned()));
        }
        self.update(|s| s.language = Some(language.to_owned()))
    }

    /// Checks what the Settings screen sends against the stored values,
    /// without saving anything.
    pub fn check(&self, update: PreferencesUpdate) -> Result<Preferences, SettingsError> {
        Ok(update.apply_to(&self.get().preferences)?)
    }

    pub fn set_preferences(&self, preferences: Preferences) -> Result<Settings, SettingsError> {
        self.update(|s| s.preferences = preferences)
    }

    /// Applies `change`, writes the result, and only then makes it current:
    /// a failed write leaves memory and disk agreeing on the old settings.
    fn update(&self, change: impl FnOnce(&mut Settings)) -> Result<Settings, SettingsError> {
        let mut current = self.lock();
        let mut next = current.clone();
        change(&mut next);
        write_atomically(&self.path, &next).map_err(|source| SettingsError::Write {
            path: self.path.clone(),
            source,
        })?;
        *current = next.clone();
        Ok(next)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Settings> {
        // A panic while holding this lock cannot leave Settings half-written
        // (updates swap a fully built value), so a poisoned lock is still valid.
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn write_atomically(path: &Path, settings: &Settings) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    // Serialising a struct of plain fields to JSON cannot fail.
    let json = serde_json::to_vec_pretty(settings).expect("settings serialise");
    // Only this user may read it: it can hold the proxy password.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(&tmp)?, &json)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_mode_across_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/settings.json");
        let store = SettingsStore::load(&path);
        assert_eq!(store.get(), Settings::default());
        store.set_mode(Some(Mode::Expert)).unwrap();
        store.set_language("it").unwrap();

        let again = SettingsStore::load(&path);
        assert_eq!(again.get().mode, Some(Mode::Expert));
        assert_eq!(again.get().language.as_deref(), Some("it"));
    }

    #[test]
    fn rejects_unknown_languages_without_changing_anything() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::load(dir.path().join("settings.json"));
        let err = store.set_language("xx").unwrap_err();
        assert!(matches!(err, SettingsError::UnknownLanguage(ref l) if l == "xx"));
        assert_eq!(store.get().language, None);
    }

    #[test]
    fn a_corrupt_file_is_kept_aside_and_defaults_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, b"{not json").unwrap();
        let store = SettingsStore::load(&path);
        assert_eq!(store.get(), Settings::default());
        let aside = std::fs::read(dir.path().join("settings.json.corrupt")).unwrap();
        assert_eq!(aside, b"{not json");
    }

    #[test]
    fn a_failed_write_keeps_the_old_settings() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be makes the rename fail.
        let path = dir.path().join("settings.json");
        std::fs::create_dir_all(path.join("blocker")).unwrap();
        let store = SettingsStore::load(&path);
        assert!(store.set_mode(Some(Mode::Client)).is_err());
        assert_eq!(store.get().mode, None);
    }

    #[test]
    fn serialises_mode_in_snake_case() {
        let settings = Settings {
            mode: Some(Mode::Client),
            ..Settings::default()
        };
        let json = serde_json::to_value(&settings).unwrap();
        assert_eq!(json["mode"], "client");
    }

    #[test]
    fn an_older_file_without_preferences_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, br#"{"mode":"expert","language":"it"}"#).unwrap();
        let store = SettingsStore::load(&path);
        assert_eq!(store.get().mode, Some(Mode::Expert));
        assert_eq!(store.get().preferences, Preferences::default());
    }

    #[test]
    fn preferences_are_saved_privately_and_a_bad_one_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let store = SettingsStore::load(&path);
        let checked = store
            .check(PreferencesUpdate {
                proxy_host: "proxy.corp".into(),
                proxy_port: "3128".into(),
                proxy_password: Some("s3cret".into()),
                ..PreferencesUpdate::default()
            })
            .unwrap();
        assert_eq!(
            store.get().preferences,
            Preferences::default(),
            "not saved yet"
        );
        store.set_preferences(checked).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let error = store
            .check(PreferencesUpdate {
                proxy_host: "proxy.corp".into(),
                proxy_port: "none".into(),
                ..PreferencesUpdate::default()
            })
            .unwrap_err();
        assert!(matches!(error, SettingsError::Preference(ref e) if e.code == "bad_proxy_port"));
        let again = SettingsStore::load(&path).get().preferences;
        assert_eq!(again.proxy.port, Some(3128));
        assert_eq!(again.proxy.password, "s3cret");
    }
}
