//! Events pushed to the webview. Status changes are rare, so Tauri events
//! suit them; video frames use `ipc::Channel` instead (see the media work).

use tauri::{AppHandle, Emitter};
use tokio::sync::watch;

use crate::desk::DeskStatus;

/// The event that carries every [`DeskStatus`] change.
pub const DESK_STATUS: &str = "desk-status";

/// Forwards each status change of a desk link to the webview until the link
/// is dropped (its sender closes).
pub fn forward_desk_status(app: AppHandle, mut status: watch::Receiver<DeskStatus>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let current = status.borrow_and_update().clone();
            if let Err(error) = app.emit(DESK_STATUS, &current) {
                tracing::warn!(%error, "could not send the desk status to the UI");
            }
            if status.changed().await.is_err() {
                break;
            }
        }
    });
}
