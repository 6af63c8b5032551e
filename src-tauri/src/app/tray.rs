//! The tray icon that shows a session is running: it appears when a
//! session starts connecting and goes when it ends, whichever side ends it.
//! Its menu brings the window back or stops the session, so the client can
//! stop it even with the window hidden behind others.

use std::sync::Mutex;

use serde::Deserialize;
use tauri::menu::{Menu, MenuEvent, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};
use tokio::sync::watch;

use super::AppState;
use crate::session::engine::Command;
use crate::session::view::{Phase, SessionView};

const TRAY_ID: &str = "lifeline-session";
const MENU_SHOW: &str = "show";
const MENU_STOP: &str = "stop";

/// The tray's words, in the UI's language; `{name}` in `tooltip` becomes
/// the other side's name.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrayLabels {
    pub tooltip: String,
    pub show: String,
    pub stop: String,
}

impl Default for TrayLabels {
    fn default() -> Self {
        Self {
            tooltip: "Lifeline: session with {name}".into(),
            show: "Show Lifeline".into(),
            stop: "Stop the session".into(),
        }
    }
}

/// The one owner of the tray icon and its labels.
#[derive(Default)]
pub struct SessionTray {
    labels: Mutex<TrayLabels>,
    shown: Mutex<Option<Shown>>,
}

struct Shown {
    icon: TrayIcon,
    peer: String,
    show: MenuItem<tauri::Wry>,
    stop: MenuItem<tauri::Wry>,
}

impl SessionTray {
    /// New words (the UI's language changed); a shown icon takes them now.
    pub fn set_labels(&self, labels: TrayLabels) {
        let shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(shown) = shown.as_ref() {
            apply_labels(shown, &labels);
        }
        *self.labels.lock().unwrap_or_else(|p| p.into_inner()) = labels;
    }

    /// Shows the icon for a session with `peer`, or hides it (`None`).
    fn show(&self, app: &AppHandle, peer: Option<String>) {
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        match (peer, shown.as_mut()) {
            (None, Some(_)) => {
                shown.take();
                app.remove_tray_by_id(TRAY_ID);
                tracing::info!("session tray icon removed");
            }
            (Some(peer), Some(current)) if current.peer != peer => {
                current.peer = peer;
                let labels = self.labels.lock().unwrap_or_else(|p| p.into_inner());
                apply_labels(current, &labels);
            }
            (Some(peer), None) => {
                let labels = self
                    .labels
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                match build(app, peer, &labels) {
                    Ok(icon) => {
                        tracing::info!("session tray icon shown");
                        *shown = Some(icon);
                    }
                    // The banner in the window still says a session runs.
                    Err(error) => tracing::warn!(%error, "no tray icon for the session"),
                }
            }
            _ => {}
        }
    }
}

fn apply_labels(shown: &Shown, labels: &TrayLabels) {
    let tooltip = labels.tooltip.replace("{name}", &shown.peer);
    if let Err(error) = shown
        .icon
        .set_tooltip(Some(&tooltip))
        .and_then(|()| shown.show.set_text(&labels.show))
        .and_then(|()| shown.stop.set_text(&labels.stop))
    {
        tracing::warn!(%error, "cannot relabel the tray icon");
    }
}

fn build(app: &AppHandle, peer: String, labels: &TrayLabels) -> tauri::Result<Shown> {
    let show = MenuItem::with_id(app, MENU_SHOW, &labels.show, true, None::<&str>)?;
    let stop = MenuItem::with_id(app, MENU_STOP, &labels.stop, true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &stop])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(labels.tooltip.replace("{name}", &peer))
        .menu(&menu)
        .on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(app)?;
    Ok(Shown {
        icon,
        peer,
        show,
        stop,
    })
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        MENU_SHOW => {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }
        MENU_STOP => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                if let Ok(session) = state.session(None)
                    && let Err(error) = session.command(Command::Stop).await
                {
                    tracing::warn!(%error, "stop from the tray failed");
                }
            });
        }
        _ => {}
    }
}

/// Keeps the tray icon in step with the session until the engine stops.
/// The tray's state is only ever changed from here and from `tray_labels`,
/// never from the main thread, which building and relabelling wait for.
pub fn follow(app: AppHandle, mut view: watch::Receiver<SessionView>) {
    tauri::async_runtime::spawn(async move {
        // The view changes with every transfer's progress; the tray only
        // when the session starts, ends or changes hands.
        let mut shown_for: Option<Option<String>> = None;
        loop {
            let peer = match &view.borrow_and_update().phase {
                Phase::Connecting { peer, .. } | Phase::Active { peer, .. } => Some(peer.clone()),
                _ => None,
            };
            if shown_for.as_ref() != Some(&peer) {
                shown_for = Some(peer.clone());
                let tray_app = app.clone();
                // Building an icon blocks until the main thread has done
                // it: not on a runtime worker.
                let _ = tauri::async_runtime::spawn_blocking(move || {
                    tray_app.state::<SessionTray>().show(&tray_app, peer);
                })
                .await;
            }
            if view.changed().await.is_err() {
                break;
            }
        }
        let tray_app = app.clone();
        let _ = tauri::async_runtime::spawn_blocking(move || {
            tray_app.state::<SessionTray>().show(&tray_app, None);
        })
        .await;
    });
}
