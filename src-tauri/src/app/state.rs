//! The state Tauri manages for the app's lifetime. Each field has one owner;
//! commands borrow it through `tauri::State`.

use std::sync::Mutex;

use lifeline_signaling::protocol::Role;
use serde::Serialize;
use tauri::AppHandle;

use crate::config::AppConfig;
use crate::desk::link::{self, DeskClient, DeskLink};
use crate::desk::{DeskError, DeskStatus};
use crate::settings::SettingsStore;

#[derive(Debug)]
pub struct AppState {
    pub config: AppConfig,
    pub settings: SettingsStore,
    // A std Mutex: held only to swap the handle, never across an await.
    desk: Mutex<Option<(Role, DeskLink)>>,
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
        Self {
            config,
            settings,
            desk: Mutex::new(None),
        }
    }

    pub fn info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            signaling_url: self.config.signaling_url.clone(),
            data_dir: self.config.data_dir().display().to_string(),
        }
    }

    /// Links to the desk as `role`, keeping an existing link of that role.
    /// Must run inside the async runtime (async commands do).
    pub fn connect_desk(&self, app: &AppHandle, role: Role) -> DeskStatus {
        let mut desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        match desk.as_ref() {
            Some((current, link)) if *current == role => link.status(),
            _ => {
                let link = link::spawn(self.config.signaling_url.clone(), role);
                super::events::forward_desk_status(app.clone(), link.subscribe());
                let status = link.status();
                // Replacing the old link drops it, which stops its task.
                *desk = Some((role, link));
                status
            }
        }
    }

    pub fn disconnect_desk(&self) {
        self.desk.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// The link's request side, if linked as `role`.
    pub fn desk_client(&self, role: Role) -> Result<DeskClient, DeskError> {
        let desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        match desk.as_ref() {
            Some((current, link)) if *current == role => Ok(link.client()),
            _ => Err(DeskError::NotLinked),
        }
    }

    pub fn desk_status(&self) -> DeskStatus {
        let desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        desk.as_ref()
            .map_or(DeskStatus::Idle, |(_, link)| link.status())
    }
}
