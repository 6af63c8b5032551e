//! Where screen images come from: a [`Capturer`] trait with the real
//! backend (xcap: X11 here, also Wayland, Windows and macOS) and a test
//! pattern for unit tests.

use super::frame::RgbaFrame;

/// One monitor, as the expert picks it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorInfo {
    pub index: usize,
    pub name: String,
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
}

pub trait Capturer: Send {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError>;
    /// The current image of monitor `index`.
    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError>;
}

/// The real screen, through xcap.
#[derive(Debug, Default)]
pub struct XcapCapturer;

impl Capturer for XcapCapturer {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        let monitors = xcap::Monitor::all().map_err(|e| CaptureError::Backend(e.to_string()))?;
        Ok(monitors
            .iter()
            .enumerate()
            .map(|(index, m)| MonitorInfo {
                index,
                name: m
                    .name()
                    .unwrap_or_else(|_| format!("Monitor {}", index + 1)),
                width: m.width().unwrap_or(0),
                height: m.height().unwrap_or(0),
                primary: m.is_primary().unwrap_or(false),
            })
            .collect())
    }

    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
        let monitors = xcap::Monitor::all().map_err(|e| CaptureError::Backend(e.to_string()))?;
        let monitor = monitors
            .get(index)
            .ok_or(CaptureError::NoSuchMonitor(index))?;
        let image = monitor
            .capture_image()
            .map_err(|e| CaptureError::Backend(e.to_string()))?;
        Ok(RgbaFrame {
            width: image.width(),
            height: image.height(),
            data: image.into_raw(),
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
        })
    }
}
