//! The expert's side panel popped out into a window of its own, for a
//! second monitor: the remote screen then has the whole main window. The
//! panel window loads the same UI with `?panel=<tab>`; the main window
//! hears which tab it shows (or that it closed) through `panel-window`.

use serde::Deserialize;
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// The window's label, named in the capability that lets its UI call the
/// app's commands.
pub const LABEL: &str = "panel";
/// The tab the panel window shows, or `null` once it closed.
pub const PANEL_WINDOW: &str = "panel-window";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PanelTab {
    Chat,
    Files,
    Shell,
    System,
    Notes,
    Log,
}

impl PanelTab {
    fn as_str(self) -> &'static str {
        match self {
            PanelTab::Chat => "chat",
            PanelTab::Files => "files",
            PanelTab::Shell => "shell",
            PanelTab::System => "system",
            PanelTab::Notes => "notes",
            PanelTab::Log => "log",
        }
    }
}

/// Shows `tab` in the panel window, opening the window if needed.
pub fn show(app: &AppHandle, tab: PanelTab) -> tauri::Result<()> {
    let window = match app.get_webview_window(LABEL) {
        Some(window) => window,
        None => open(app, tab)?,
    };
    app.emit(PANEL_WINDOW, Some(tab))?;
    window.set_focus()
}

/// Closes the panel window, if it is open.
pub fn close(app: &AppHandle) -> tauri::Result<()> {
    match app.get_webview_window(LABEL) {
        Some(window) => window.close(),
        None => Ok(()),
    }
}

fn open(app: &AppHandle, tab: PanelTab) -> tauri::Result<WebviewWindow> {
    let url = WebviewUrl::App(format!("index.html?panel={}", tab.as_str()).into());
    let window = WebviewWindowBuilder::new(app, LABEL, url)
        .title("Lifeline")
        .inner_size(420.0, 640.0)
        .min_inner_size(300.0, 320.0)
        .build()?;
    let handle = app.clone();
    window.on_window_event(move |event| {
        if let tauri::WindowEvent::Destroyed = event
            && let Err(error) = handle.emit(PANEL_WINDOW, None::<PanelTab>)
        {
            tracing::warn!(%error, "could not tell the UI the panel window closed");
        }
    });
    Ok(window)
}
