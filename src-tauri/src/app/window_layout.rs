//! The client's window during a session: a small control bar that stays on
//! top of everything, at the top centre of the screen where it covers as
//! little as possible, and that the person can drag elsewhere. It grows
//! downwards into a panel for the chat or the permission switches, and the
//! window comes back as it was when the session ends.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Deserialize;
use tauri::{LogicalPosition, LogicalSize, PhysicalPosition, PhysicalSize, WebviewWindow};

/// The bar, in logical pixels: one line of controls.
const BAR: LogicalSize<f64> = LogicalSize::new(720.0, 60.0);
/// The bar with its panel open below it.
const BAR_OPEN: LogicalSize<f64> = LogicalSize::new(720.0, 460.0);
/// The window's smallest size outside a session (tauri.conf.json).
const NORMAL_MIN: LogicalSize<f64> = LogicalSize::new(640.0, 480.0);
/// The bar's distance from the top of the screen.
const TOP_MARGIN: f64 = 8.0;
/// How often, and how many times, the restored window's size is checked
/// before its smallest size comes back.
const SETTLE_STEP: Duration = Duration::from_millis(100);
const SETTLE_STEPS: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Layout {
    /// The app's own window, as the person left it.
    Normal,
    /// The session's control bar.
    Bar,
    /// The control bar with its panel open.
    BarOpen,
}

/// The window's place and size from before the session: its one owner.
#[derive(Debug, Default)]
pub struct WindowLayouts {
    saved: Arc<Mutex<Saved>>,
}

#[derive(Debug, Default)]
struct Saved {
    normal: Option<(PhysicalPosition<i32>, PhysicalSize<u32>)>,
    /// Counts the layouts applied, so a restore still settling gives way
    /// to the next session's bar.
    generation: u64,
}

impl WindowLayouts {
    pub fn apply(&self, window: &WebviewWindow, layout: Layout) -> tauri::Result<()> {
        let mut saved = lock(&self.saved);
        saved.generation += 1;
        let normal = &mut saved.normal;
        match layout {
            Layout::Normal => {
                let Some((position, size)) = normal.take() else {
                    return Ok(());
                };
                tracing::info!(?position, ?size, "window back as it was");
                window.set_always_on_top(false)?;
                window.set_decorations(true)?;
                window.set_size(size)?;
                window.set_position(position)?;
                tauri::async_runtime::spawn(settle(
                    window.clone(),
                    size,
                    Arc::clone(&self.saved),
                    saved.generation,
                ));
                Ok(())
            }
            Layout::Bar | Layout::BarOpen => {
                let entering = normal.is_none();
                if entering {
                    let (position, size) = (window.outer_position()?, window.inner_size()?);
                    tracing::info!(?position, ?size, "window becomes the session's bar");
                    *normal = Some((position, size));
                    window.set_decorations(false)?;
                    window.set_min_size(None::<LogicalSize<f64>>)?;
                }
                let size = if layout == Layout::Bar { BAR } else { BAR_OPEN };
                window.set_size(size)?;
                window.set_always_on_top(true)?;
                if entering {
                    window.set_position(top_centre(window, size)?)?;
                }
                Ok(())
            }
        }
    }
}

/// Sees the restored window reach its `size`, then gives it back its
/// smallest size. Set together with the resize, that smallest size can be
/// applied by the window manager to the bar after the resize, which is then
/// lost (seen with openbox: a 720×480 window). A resize the window manager
/// lost all the same is asked for again. Stops if another layout comes.
async fn settle(
    window: WebviewWindow,
    size: PhysicalSize<u32>,
    saved: Arc<Mutex<Saved>>,
    mine: u64,
) {
    for step in 1..=SETTLE_STEPS {
        tokio::time::sleep(SETTLE_STEP).await;
        if lock(&saved).generation != mine {
            return;
        }
        let Ok(now) = window.inner_size() else {
            return;
        };
        if close_to(now, size) {
            break;
        }
        if step % 3 == 0 {
            tracing::warn!(
                ?now,
                ?size,
                "the window kept another size; resizing it again"
            );
            if window.set_size(size).is_err() {
                return;
            }
        }
    }
    // Under the lock (held to the end of the function, not only for the
    // comparison), so a bar applied meanwhile never gets this minimum.
    let saved = lock(&saved);
    if saved.generation == mine {
        let _ = window.set_min_size(Some(NORMAL_MIN));
    }
}

fn lock(saved: &Mutex<Saved>) -> MutexGuard<'_, Saved> {
    saved.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether two sizes match, but for the rounding of a fractional scale.
fn close_to(a: PhysicalSize<u32>, b: PhysicalSize<u32>) -> bool {
    a.width.abs_diff(b.width) <= 2 && a.height.abs_diff(b.height) <= 2
}

/// Where a window of `size` sits at the top centre of its monitor.
fn top_centre(
    window: &WebviewWindow,
    size: LogicalSize<f64>,
) -> tauri::Result<LogicalPosition<f64>> {
    let Some(monitor) = window.current_monitor()? else {
        return Ok(LogicalPosition::new(0.0, TOP_MARGIN));
    };
    let scale = monitor.scale_factor();
    let origin = monitor.position().to_logical::<f64>(scale);
    let screen = monitor.size().to_logical::<f64>(scale);
    let x = origin.x + ((screen.width - size.width) / 2.0).max(0.0);
    Ok(LogicalPosition::new(x, origin.y + TOP_MARGIN))
}
