//! The state Tauri manages for the app's lifetime. Each field has one owner;
//! commands borrow it through `tauri::State`.

use serde::Serialize;

use crate::config::AppConfig;
use crate::settings::SettingsStore;

#[derive(Debug)]
pub struct AppState {
    pub config: AppConfig,
    pub settings: SettingsStore,
}

/// What the UI shows about this installation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: &'static str,
    pub signaling_url: String,
    pub data_dir: String,
}

impl AppState {
    pub fn new(config: AppConfig) -> Self {
        let settings = SettingsStore::load(config.settings_path());
        Self { config, settings }
    }

    pub fn info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            signaling_url: self.config.signaling_url.clone(),
            data_dir: self.config.data_dir().display().to_string(),
        }
    }
}
