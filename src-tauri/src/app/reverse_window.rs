//! Client mode: the expert's own screen (reverse view) in a window of its
//! own, which the person can close at any time. The window loads the same
//! UI with `?reverse=1` and reads frames from the app's view socket, as
//! the expert's remote-screen view does. However it closes (its close
//! button, the window manager, the session ending), the session is told,
//! and the expert stops sending.

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

use super::state::AppState;
use crate::session::engine::Command;

/// The window's label, named in the capability that lets its UI call the
/// app's commands.
pub const LABEL: &str = "reverse";

/// Opens the window (or brings it forward).
pub fn open(app: &AppHandle) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(LABEL) {
        return window.set_focus();
    }
    let url = WebviewUrl::App("index.html?reverse=1".into());
    let window = WebviewWindowBuilder::new(app, LABEL, url)
        .title("Lifeline – the expert's screen")
        .inner_size(960.0, 600.0)
        .min_inner_size(320.0, 200.0)
        .build()?;
    let handle = app.clone();
    window.on_window_event(move |event| {
        if let tauri::WindowEvent::Destroyed = event {
            let handle = handle.clone();
            tauri::async_runtime::spawn(async move { closed(&handle).await });
        }
    });
    Ok(())
}

/// Closes the window, if it is open.
pub fn close(app: &AppHandle) -> tauri::Result<()> {
    match app.get_webview_window(LABEL) {
        Some(window) => window.close(),
        None => Ok(()),
    }
}

async fn closed(app: &AppHandle) {
    let state = app.state::<AppState>();
    let Ok(session) = state.session(None) else {
        return;
    };
    if let Err(error) = session.command(Command::CloseExpertScreen).await {
        tracing::debug!(%error, "the session was gone when the expert's screen closed");
    }
}
