//! The client's window during a session: a small control bar that stays on
//! top of everything, at the top centre of the screen where it covers as
//! little as possible, and that the person can drag elsewhere. It grows
//! downwards into a panel for the chat or the permission switches, and the
//! window comes back as it was when the session ends.

use std::sync::Mutex;

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
    normal: Mutex<Option<(PhysicalPosition<i32>, PhysicalSize<u32>)>>,
}

impl WindowLayouts {
    pub fn apply(&self, window: &WebviewWindow, layout: Layout) -> tauri::Result<()> {
        let mut normal = self.normal.lock().unwrap_or_else(|e| e.into_inner());
        match layout {
            Layout::Normal => {
                let Some((position, size)) = normal.take() else {
                    return Ok(());
                };
                tracing::info!(?position, ?size, "window back as it was");
                window.set_always_on_top(false)?;
                window.set_decorations(true)?;
                window.set_min_size(Some(NORMAL_MIN))?;
                window.set_size(size)?;
                window.set_position(position)
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
