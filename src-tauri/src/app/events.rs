//! Events pushed to the webview. Status changes are rare, so Tauri events
//! suit them; video frames use `ipc::Channel` instead (see the media work).

use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter};
use tokio::sync::{broadcast, watch};

/// Every [`crate::desk::DeskStatus`] change.
pub const DESK_STATUS: &str = "desk-status";
/// Every change of a tab's [`crate::session::view::SessionView`], as a
/// [`crate::session::tabs::TabView`].
pub const SESSION: &str = "session";
/// Every new entry of a tab's session log (chat and events), as a
/// [`crate::session::tabs::TabLog`].
pub const SESSION_LOG: &str = "session-log";
/// What a tab's command shells print, as a
/// [`crate::session::tabs::TabShell`].
pub const SESSION_SHELL: &str = "session-shell";
/// The session tabs opened, closed or shown: a
/// [`crate::session::tabs::TabList`].
pub const SESSION_TABS: &str = "session-tabs";

/// A `lifeline://get-help` link arrived while the app runs.
pub const LAUNCH_LINK: &str = "launch-link";

/// Forwards each value a watch channel takes to the webview as `event`,
/// as `wrap` makes it, until the sender is dropped or the returned task is
/// aborted.
pub fn forward<T, U>(
    app: AppHandle,
    event: &'static str,
    mut values: watch::Receiver<T>,
    wrap: impl Fn(T) -> U + Send + 'static,
) -> JoinHandle<()>
where
    T: Clone + Send + Sync + 'static,
    U: Serialize + Send,
{
    tauri::async_runtime::spawn(async move {
        loop {
            let current = wrap(values.borrow_and_update().clone());
            if let Err(error) = app.emit(event, &current) {
                tracing::warn!(%error, event, "could not send an update to the UI");
            }
            if values.changed().await.is_err() {
                break;
            }
        }
    })
}

/// Forwards each value a broadcast channel carries to the webview as
/// `event`, as `wrap` makes it. A slow webview that falls behind skips
/// entries; the UI fetches the log again when it sees a gap in the
/// sequence numbers.
pub fn forward_each<T, U>(
    app: AppHandle,
    event: &'static str,
    mut values: broadcast::Receiver<T>,
    wrap: impl Fn(T) -> U + Send + 'static,
) -> JoinHandle<()>
where
    T: Clone + Send + 'static,
    U: Serialize + Send,
{
    tauri::async_runtime::spawn(async move {
        loop {
            match values.recv().await {
                Ok(value) => {
                    if let Err(error) = app.emit(event, &wrap(value)) {
                        tracing::warn!(%error, event, "could not send an update to the UI");
                    }
                }
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, event, "the UI fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}
