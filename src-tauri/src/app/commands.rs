//! Tauri commands: each one line into managed state. Arguments and results
//! are camelCase JSON; errors are `{code, message}` (see [`super::error`]).

use tauri::State;

use super::{AppError, AppState, state::AppInfo};
use crate::settings::{Mode, Settings};

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    state.info()
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    state.settings.get()
}

#[tauri::command]
pub fn set_mode(state: State<'_, AppState>, mode: Option<Mode>) -> Result<Settings, AppError> {
    Ok(state.settings.set_mode(mode)?)
}

#[tauri::command]
pub fn set_language(state: State<'_, AppState>, language: String) -> Result<Settings, AppError> {
    Ok(state.settings.set_language(&language)?)
}
