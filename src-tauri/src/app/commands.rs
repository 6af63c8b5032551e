//! Tauri commands: each one line into managed state. Arguments and results
//! are camelCase JSON; errors are `{code, message}` (see [`super::error`]).

use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::{AppHandle, State};

use super::{AppError, AppState, state::AppInfo};
use crate::desk::{DeskStatus, IssuedId};
use crate::media::quality::Quality;
use crate::session::engine::Command;
use crate::session::pin;
use crate::session::scopes::Scopes;
use crate::session::tabs::{TabId, TabsSnapshot};
use crate::settings::{Mode, PreferencesUpdate, SettingsView};

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    state.info()
}

/// Asks the waiting link's desk who it is, over TLS to the link's key.
#[tauri::command]
pub async fn link_check(state: State<'_, AppState>) -> Result<DeskCard, AppError> {
    let route = state.desk_route();
    let brand = state.held.check(&route).await?;
    Ok(DeskCard {
        name: brand.name,
        logo: brand.logo,
    })
}

/// The user trusts the checked link's desk.
#[tauri::command]
pub fn link_trust(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    state.trust_link()
}

/// The user does not follow the link.
#[tauri::command]
pub fn link_dismiss(state: State<'_, AppState>) -> AppInfo {
    state.held.dismiss();
    state.info()
}

/// What a link's desk says of itself.
#[derive(Debug, serde::Serialize)]
pub struct DeskCard {
    name: String,
    logo: Option<String>,
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> SettingsView {
    SettingsView::from(&state.settings.get())
}

#[tauri::command]
pub fn set_mode(state: State<'_, AppState>, mode: Option<Mode>) -> Result<SettingsView, AppError> {
    Ok(SettingsView::from(&state.settings.set_mode(mode)?))
}

#[tauri::command]
pub fn set_language(
    state: State<'_, AppState>,
    language: String,
) -> Result<SettingsView, AppError> {
    Ok(SettingsView::from(&state.settings.set_language(&language)?))
}

/// The Settings screen's Save. Async: relinking to a new desk starts the
/// link's task on the runtime.
#[tauri::command]
pub async fn save_preferences(
    app: AppHandle,
    state: State<'_, AppState>,
    preferences: PreferencesUpdate,
) -> Result<SettingsView, AppError> {
    state.save_preferences(&app, preferences).await
}

/// The tray icon's words in the UI's language. Async, so it runs off the
/// main thread: relabelling a shown icon waits for the main thread.
#[tauri::command]
pub async fn tray_labels(
    tray: State<'_, super::tray::SessionTray>,
    labels: super::tray::TrayLabels,
) -> Result<(), AppError> {
    tray.set_labels(labels);
    Ok(())
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

/// A new ID, and the PIN to read out with it when PIN binding is on.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewId {
    #[serde(flatten)]
    issued: IssuedId,
    pin: Option<String>,
}

/// Client mode: asks the desk for a new one-time ID. The previous one, if
/// any, stops working. With PIN binding on, a new PIN is made here, locally;
/// it never goes to the desk.
#[tauri::command]
pub async fn client_get_id(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    description: String,
) -> Result<NewId, AppError> {
    let desk = state.desk_client(Mode::Client.into())?;
    let issued = desk.request_id(description).await?;
    // The desk's policy can ask for PIN binding; it cannot turn off what
    // this installation requires.
    let desk_wants_pin = desk.policy().is_some_and(|p| p.require_pin);
    let pin = (state.config.require_pin || desk_wants_pin).then(pin::new_pin);
    state
        .session(tab)?
        .command(Command::UsePin(pin.clone()))
        .await?;
    Ok(NewId { issued, pin })
}

/// Every session tab's view and the one shown (`null` before the app is
/// linked to a desk); changes come as `session` and `session-tabs` events.
#[tauri::command]
pub fn session_tabs(state: State<'_, AppState>) -> Option<TabsSnapshot> {
    state.session_tabs()
}

/// Expert: a new session tab, shown at once. Async: its engine starts on
/// the async runtime.
#[tauri::command]
pub async fn session_open_tab(state: State<'_, AppState>) -> Result<TabId, AppError> {
    Ok(state.tabs()?.open()?)
}

/// Expert: closes a tab, ending its request or session.
#[tauri::command]
pub async fn session_close_tab(state: State<'_, AppState>, tab: TabId) -> Result<(), AppError> {
    Ok(state.tabs()?.close(tab)?)
}

/// Expert: shows another tab's screen and tools.
#[tauri::command]
pub fn session_show_tab(state: State<'_, AppState>, tab: TabId) -> Result<(), AppError> {
    Ok(state.tabs()?.show(tab)?)
}

#[tauri::command]
pub async fn expert_login(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    user: String,
    password: String,
    code: Option<String>,
) -> Result<(), AppError> {
    let code = code.filter(|c| !c.trim().is_empty());
    Ok(state
        .session(tab)?
        .command(Command::Login {
            user,
            password,
            code,
        })
        .await?)
}

#[tauri::command]
pub async fn expert_logout(state: State<'_, AppState>, tab: Option<TabId>) -> Result<(), AppError> {
    Ok(state.session(tab)?.command(Command::Logout).await?)
}

/// Expert mode: asks to reach the client holding `id`.
#[tauri::command]
pub async fn expert_connect(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    id: String,
    notes: String,
    reason: Option<String>,
    scopes: Scopes,
    pin: Option<String>,
) -> Result<(), AppError> {
    let pin = match pin.filter(|p| !p.trim().is_empty()) {
        Some(typed) => Some(pin::parse_pin(&typed)?),
        None => None,
    };
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let command = Command::Connect {
        id,
        notes,
        reason,
        scopes,
        pin,
    };
    Ok(state.tabs()?.connect(tab, command).await?)
}

/// Withdraws a pending request (expert) or dismisses it (client).
#[tauri::command]
pub async fn session_cancel(
    state: State<'_, AppState>,
    tab: Option<TabId>,
) -> Result<(), AppError> {
    Ok(state.session(tab)?.command(Command::Cancel).await?)
}

/// Client mode: accepts the request for `session` (the one on screen) with
/// the ticked scopes; `request_changed` when another has taken its place.
#[tauri::command]
pub async fn client_accept(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    session: String,
    scopes: Scopes,
) -> Result<(), AppError> {
    Ok(state.session(tab)?.accept(&session, scopes).await?)
}

/// Client mode: declines the request for `session`; `request_changed` when
/// another has taken its place.
#[tauri::command]
pub async fn client_decline(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    session: String,
) -> Result<(), AppError> {
    Ok(state.session(tab)?.decline(&session).await?)
}

/// Ends the running session, from either side.
#[tauri::command]
pub async fn session_stop(state: State<'_, AppState>, tab: Option<TabId>) -> Result<(), AppError> {
    Ok(state.session(tab)?.command(Command::Stop).await?)
}

/// Expert mode: the remote-screen view opens. Returns the URL of the
/// loopback socket it reads frames and the pointer from (a fresh secret in
/// its path), or `None` when frames come on `frames` instead; the view asks
/// for a keyframe once it is connected.
#[tauri::command]
pub async fn screen_attach(
    state: State<'_, AppState>,
    frames: Channel<InvokeResponseBody>,
) -> Result<Option<String>, AppError> {
    state.attach_screen(frames).await
}

/// The view that attached (with `url`, the socket's address it was given)
/// closed.
#[tauri::command]
pub fn screen_detach(state: State<'_, AppState>, url: Option<String>) {
    state.detach_screen(url.as_deref());
}

/// Expert mode: the remote screen took the keyboard (`hold`) or gave it
/// back; while held, the desktop's own shortcuts reach the remote screen.
/// Returns whether the keyboard is held now (a grab can be refused).
#[tauri::command]
pub fn screen_hold_keyboard(window: tauri::WebviewWindow, hold: bool) -> Result<bool, AppError> {
    super::keyboard_grab::hold(&window, hold).map_err(AppError::from)
}

/// Client mode: the window as the session needs it (its control bar, on
/// top of everything) or, after the session, as it was.
#[tauri::command]
pub fn window_layout(
    window: tauri::WebviewWindow,
    layouts: State<'_, super::window_layout::WindowLayouts>,
    layout: super::window_layout::Layout,
) -> Result<(), AppError> {
    layouts.apply(&window, layout).map_err(AppError::from)
}

/// Expert mode: shows the side panel's `tab` in a window of its own, or
/// (`None`) closes that window. Async: a window built inside a synchronous
/// command deadlocks on Windows.
#[tauri::command]
pub async fn panel_window(
    app: tauri::AppHandle,
    tab: Option<super::panel_window::PanelTab>,
) -> Result<(), AppError> {
    match tab {
        Some(tab) => super::panel_window::show(&app, tab),
        None => super::panel_window::close(&app),
    }
    .map_err(AppError::from)
}

/// Client mode: opens (`open`) or closes the window with the expert's own
/// screen (reverse view). Async, as for the panel window.
#[tauri::command]
pub async fn reverse_window(app: tauri::AppHandle, open: bool) -> Result<(), AppError> {
    if open {
        super::reverse_window::open(&app)
    } else {
        super::reverse_window::close(&app)
    }
    .map_err(AppError::from)
}

/// Expert mode: the webview's decoder needs a keyframe; `catch_up`: the
/// view just opened and wants the frames kept since the newest keyframe
/// first.
#[tauri::command]
pub async fn screen_keyframe(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    catch_up: bool,
) -> Result<(), AppError> {
    let command = if catch_up {
        Command::CatchUp
    } else {
        Command::RequestKeyframe
    };
    Ok(state.session(tab)?.command(command).await?)
}

#[tauri::command]
pub async fn screen_select_monitor(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    monitor: usize,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::SelectMonitor(monitor))
        .await?)
}

#[tauri::command]
pub async fn screen_set_quality(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    quality: Quality,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::SetQuality(quality))
        .await?)
}
