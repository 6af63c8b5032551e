//! Where screen images come from: a [`Capturer`] trait with the real
//! backend (xcap: X11 here, also Wayland, Windows and macOS) and a test
//! pattern for unit tests.
//!
//! A backend that hears about changes (X11 with DAMAGE,
//! `capture_shm.rs`) says so from [`Capturer::wait_for_change`] and
//! refreshes only the changed rows in [`Capturer::capture_changes`]; the
//! others keep the defaults, which report [`Change::Unknown`] and capture
//! the whole monitor, and the pipeline compares images instead. Each
//! capturer belongs to the one capture thread that uses it.

use std::time::Duration;

use super::damage::Rows;
use super::frame::RgbaFrame;
use super::wake::Wakeup;

/// One monitor, as the expert picks it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorInfo {
    pub index: usize,
    pub name: String,
    /// Position on the whole desktop, where remote input is aimed.
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("no monitor {0}")]
    NoSuchMonitor(usize),
    #[error("screen capture failed: {0}")]
    Backend(String),
    /// The backend has no picture yet (a portal's cast sends its first
    /// when the screen changes): tried again, and no problem to report.
    #[error("no picture yet: {0}")]
    NotYet(String),
    /// The share was ended on this computer, outside Lifeline (the
    /// desktop's own sharing indicator): it is not asked for again.
    #[error("sharing stopped: {0}")]
    Stopped(String),
}

impl CaptureError {
    /// Why, in words a person reads after "the screen cannot be shown:".
    pub fn reason(&self) -> String {
        match self {
            CaptureError::Backend(why) | CaptureError::NotYet(why) | CaptureError::Stopped(why) => {
                why.clone()
            }
            other => other.to_string(),
        }
    }
}

/// Why a share shows no picture, as its pipeline reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureProblem {
    /// In words a person reads after "the screen cannot be shown:".
    pub reason: String,
    /// The person stopped sharing from their desktop: the share is over,
    /// not retried.
    pub stopped: bool,
}

impl From<&CaptureError> for CaptureProblem {
    fn from(error: &CaptureError) -> Self {
        Self {
            reason: error.reason(),
            stopped: matches!(error, CaptureError::Stopped(_)),
        }
    }
}

/// What [`Capturer::wait_for_change`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Part of the monitor changed; [`Capturer::capture_changes`] has work.
    Damaged,
    /// Nothing changed before the timeout, or the [`Wakeup`] fired.
    Nothing,
    /// This backend cannot tell: capture and compare.
    Unknown,
}

/// What [`Capturer::capture_changes`] refreshed in the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Captured {
    /// The whole monitor (a new image, maybe identical to the last one).
    Whole,
    /// Only these rows changed; the rest of the frame is as it was.
    Rows(Vec<Rows>),
}

pub trait Capturer: Send {
    /// What captures, as the expert's view and the logs name it.
    fn backend(&self) -> &'static str {
        "x11"
    }

    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError>;
    /// The current image of monitor `index`.
    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError>;

    /// Waits up to `timeout` (`None`: no limit) for monitor `index` to
    /// change, returning early when `wake` fires. Backends without change
    /// reports return [`Change::Unknown`] at once.
    fn wait_for_change(
        &mut self,
        index: usize,
        timeout: Option<Duration>,
        wake: &Wakeup,
    ) -> Result<Change, CaptureError> {
        let _ = (index, timeout, wake);
        Ok(Change::Unknown)
    }

    /// Brings `frame` up to date with monitor `index`. `frame` is the one
    /// the previous call filled (the caller keeps it for the whole share);
    /// a backend that knows what changed refreshes only that and may
    /// return `Rows(vec![])` when nothing did. The default captures it all.
    fn capture_changes(
        &mut self,
        index: usize,
        frame: &mut RgbaFrame,
    ) -> Result<Captured, CaptureError> {
        *frame = self.capture(index)?;
        Ok(Captured::Whole)
    }
}

/// The real screen, through xcap. The monitor list is looked up once and
/// kept: enumerating monitors costs RandR round trips on every call, which
/// measured as much as the capture itself. It is refreshed when asked for
/// and when a capture fails (a monitor came or went). So is each monitor's
/// geometry: every one of xcap's getters opens a new X connection and asks
/// RandR again, which took about 100 ms a call against an X server busy
/// with a scrolling terminal.
#[derive(Default)]
pub struct XcapCapturer {
    monitors: Option<Vec<xcap::Monitor>>,
    geometry: std::collections::HashMap<usize, (i32, i32, u32, u32)>,
}

impl std::fmt::Debug for XcapCapturer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XcapCapturer").finish_non_exhaustive()
    }
}

impl XcapCapturer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Monitor `index`'s position and size on the X screen, looked up once
    /// (until [`XcapCapturer::forget`]).
    pub fn geometry(&mut self, index: usize) -> Result<(i32, i32, u32, u32), CaptureError> {
        if let Some(&kept) = self.geometry.get(&index) {
            return Ok(kept);
        }
        let monitors = match self.monitors.take() {
            Some(kept) => self.monitors.insert(kept),
            None => self.refresh()?,
        };
        let m = monitors
            .get(index)
            .ok_or(CaptureError::NoSuchMonitor(index))?;
        let geometry = (|| Ok::<_, xcap::XCapError>((m.x()?, m.y()?, m.width()?, m.height()?)))();
        let geometry = geometry.map_err(|e| CaptureError::Backend(e.to_string()))?;
        self.geometry.insert(index, geometry);
        Ok(geometry)
    }

    /// Looks the monitors and their geometry up again on the next call.
    pub fn forget(&mut self) {
        self.monitors = None;
        self.geometry.clear();
    }

    fn refresh(&mut self) -> Result<&[xcap::Monitor], CaptureError> {
        self.geometry.clear();
        let monitors = xcap::Monitor::all().map_err(|e| CaptureError::Backend(e.to_string()))?;
        Ok(self.monitors.insert(monitors))
    }
}

impl Capturer for XcapCapturer {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        Ok(self
            .refresh()?
            .iter()
            .enumerate()
            .map(|(index, m)| MonitorInfo {
                index,
                name: m
                    .name()
                    .unwrap_or_else(|_| format!("Monitor {}", index + 1)),
                x: m.x().unwrap_or(0),
                y: m.y().unwrap_or(0),
                width: m.width().unwrap_or(0),
                height: m.height().unwrap_or(0),
                primary: m.is_primary().unwrap_or(false),
            })
            .collect())
    }

    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
        let monitors = match self.monitors.take() {
            Some(kept) => self.monitors.insert(kept),
            None => self.refresh()?,
        };
        let monitor = monitors
            .get(index)
            .ok_or(CaptureError::NoSuchMonitor(index))?;
        let image = monitor
            .capture_image()
            .map_err(|e| CaptureError::Backend(e.to_string()));
        let image = match image {
            Ok(image) => image,
            Err(error) => {
                self.forget(); // look again next time
                return Err(error);
            }
        };
        Ok(RgbaFrame {
            width: image.width(),
            height: image.height(),
            data: image.into_raw(),
            ..Default::default()
        })
    }
}

/// A moving test pattern: a bar that advances one step per call while
/// `moving`, and a still image otherwise.
#[derive(Debug)]
pub struct TestPattern {
    pub width: u32,
    pub height: u32,
    pub moving: bool,
    step: u32,
}

impl TestPattern {
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            moving: true,
            step: 0,
        }
    }
}

impl Capturer for TestPattern {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        Ok(vec![MonitorInfo {
            index: 0,
            name: "Test pattern".into(),
            x: 0,
            y: 0,
            width: self.width,
            height: self.height,
            primary: true,
        }])
    }

    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
        if index != 0 {
            return Err(CaptureError::NoSuchMonitor(index));
        }
        if self.moving {
            self.step = self.step.wrapping_add(1);
        }
        let bar = self.step % self.width.max(1);
        let mut data = Vec::with_capacity((self.width * self.height * 4) as usize);
        for _ in 0..self.height {
            for x in 0..self.width {
                let pixel = if x.abs_diff(bar) < 8 {
                    [250, 250, 250, 255]
                } else {
                    [20, 60, 160, 255]
                };
                data.extend_from_slice(&pixel);
            }
        }
        Ok(RgbaFrame {
            width: self.width,
            height: self.height,
            data,
            ..Default::default()
        })
    }
}
