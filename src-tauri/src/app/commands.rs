//! Tauri commands: each one line into managed state. Arguments and results
//! are camelCase JSON; errors are `{code, message}` (see [`super::error`]).

use tauri::{AppHandle, State};

use super::{AppError, AppState, state::AppInfo};
use crate::desk::{DeskStatus, IssuedId};
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

/// Links to the support desk in the given mode. Async so that it runs on
/// the runtime that will own the link's task.
#[tauri::command]
pub async fn desk_connect(
    app: AppHandle,
    state: State<'_, AppState>,
    mode: Mode,
) -> Result<DeskStatus, AppError> {
    Ok(state.connect_desk(&app, mode.into()))
}

#[tauri::command]
pub fn desk_disconnect(state: State<'_, AppState>) {
    state.disconnect_desk();
}

#[tauri::command]
pub fn desk_status(state: State<'_, AppState>) -> DeskStatus {
    state.desk_status()
}

/// Client mode: asks the desk for a new one-time ID. The previous one, if
/// any, stops working.
#[tauri::command]
pub async fn client_get_id(
    state: State<'_, AppState>,
    description: String,
) -> Result<IssuedId, AppError> {
    let desk = state.desk_client(Mode::Client.into())?;
    Ok(desk.request_id(description).await?)
}
