//! The Tauri layer: the only module that imports `tauri`. It turns the
//! engine's state into managed state, exposes it through one-line commands,
//! and maps errors to `{code, message}` for the UI.

mod commands;
pub mod error;
mod events;
mod keyboard_grab;
mod local_clipboard;
mod panel_window;
mod reverse_window;
mod screen;
mod session_commands;
mod state;
mod tray;
mod window_layout;

pub use error::AppError;
pub use state::AppState;

use crate::config::AppConfig;

/// Builds the Tauri app with its state and commands, and runs its event loop.
pub fn run(config: AppConfig) {
    let state = AppState::new(config);
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_deep_link::init())
        .setup(|app| {
            follow_links(app.handle());
            Ok(())
        })
        .manage(state)
        .manage(tray::SessionTray::default())
        .manage(window_layout::WindowLayouts::default())
        .manage(local_clipboard::LocalClipboard::default())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::link_check,
            commands::link_trust,
            commands::link_dismiss,
            commands::get_settings,
            commands::set_mode,
            commands::set_language,
            commands::save_preferences,
            commands::tray_labels,
            commands::desk_connect,
            commands::desk_disconnect,
            commands::desk_status,
            commands::client_get_id,
            commands::session_tabs,
            commands::session_open_tab,
            commands::session_close_tab,
            commands::session_show_tab,
            commands::expert_login,
            commands::expert_logout,
            commands::expert_connect,
            commands::session_cancel,
            commands::client_accept,
            commands::client_decline,
            commands::session_stop,
            commands::screen_attach,
            commands::screen_detach,
            commands::screen_keyframe,
            commands::screen_hold_keyboard,
            commands::screen_select_monitor,
            commands::screen_set_quality,
            commands::window_layout,
            commands::panel_window,
            commands::reverse_window,
            local_clipboard::local_clipboard_write,
            session_commands::session_chat,
            session_commands::session_set_grants,
            session_commands::session_set_notes,
            session_commands::remote_input,
            session_commands::session_log,
            session_commands::clipboard_send,
            session_commands::system_info_ask,
            session_commands::session_end_with,
            session_commands::session_show_my_screen,
            session_commands::session_record,
            session_commands::recordings,
            session_commands::recording,
            session_commands::shell_open,
            session_commands::shell_input,
            session_commands::shell_resize,
            session_commands::shell_close,
            session_commands::clipboard_sync,
            session_commands::reboot_request,
            session_commands::reboot_cancel,
            session_commands::files_send,
            session_commands::files_browse,
            session_commands::files_local,
            session_commands::transfer_cancel,
            session_commands::transcripts,
            session_commands::transcript,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "the app could not start");
        std::process::exit(1);
    }
}

/// A `lifeline://` link the desktop hands the running app (macOS sends
/// even the first one this way): it waits for the user's word, and the UI
/// is told to show it.
fn follow_links(app: &tauri::AppHandle) {
    use tauri::{Emitter, Manager};
    use tauri_plugin_deep_link::DeepLinkExt;
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        let Some(url) = event
            .urls()
            .into_iter()
            .find(|u| crate::launch::link::is_link(u.as_str()))
        else {
            return;
        };
        if !handle.state::<AppState>().held.offer(url.as_str()) {
            return;
        }
        if let Err(error) = handle.emit(events::LAUNCH_LINK, ()) {
            tracing::warn!(%error, "could not tell the UI of a link");
        }
    });
}
