//! The screen through X11 directly: one X connection kept for the whole
//! share, and the image taken in the server's own byte order (BGRX), so
//! the only conversion is the SIMD one to I420.
//!
//! xcap opens two new X connections for every capture and converts each
//! pixel through a function pointer; on this path that measured as most of
//! the capture thread's CPU. Monitor enumeration still goes through xcap
//! (RandR), once, and again when a capture fails.
//!
//! This is the fallback for X servers without MIT-SHM or DAMAGE (or a
//! remote one): it cannot tell when the screen changed, so the pipeline
//! captures at the frame rate and compares images.

use xcb::x;

use super::capture::{CaptureError, Capturer, MonitorInfo, XcapCapturer};
use super::capture_shm::ShmCapturer;
use super::frame::{PixelOrder, RgbaFrame};

pub struct X11Capturer {
    conn: xcb::Connection,
    root: x::Window,
    monitors: XcapCapturer,
}

impl std::fmt::Debug for X11Capturer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Capturer").finish_non_exhaustive()
    }
}

fn backend(error: impl std::fmt::Display) -> CaptureError {
    CaptureError::Backend(error.to_string())
}

impl X11Capturer {
    /// Connects to `$DISPLAY`. Fails without an X server, or when the
    /// server's pixels are not 32-bit little-endian (then use xcap).
    pub fn connect() -> Result<Self, CaptureError> {
        let (conn, screen) = xcb::Connection::connect(None).map_err(backend)?;
        let setup = conn.get_setup();
        if setup.image_byte_order() != x::ImageOrder::LsbFirst {
            return Err(backend("the X server's images are big-endian"));
        }
        let root = setup
            .roots()
            .nth(usize::try_from(screen).unwrap_or(0))
            .ok_or_else(|| backend("the X server has no such screen"))?
            .root();
        Ok(Self {
            conn,
            root,
            monitors: XcapCapturer::new(),
        })
    }
}

impl Capturer for X11Capturer {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        self.monitors.monitors()
    }

    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
        let (left, top, width, height) = self.monitors.geometry(index)?;
        let cookie = self.conn.send_request(&x::GetImage {
            format: x::ImageFormat::ZPixmap,
            drawable: x::Drawable::Window(self.root),
            x: i16::try_from(left).map_err(backend)?,
            y: i16::try_from(top).map_err(backend)?,
            width: u16::try_from(width).map_err(backend)?,
            height: u16::try_from(height).map_err(backend)?,
            plane_mask: u32::MAX,
        });
        let reply = match self.conn.wait_for_reply(cookie) {
            Ok(reply) => reply,
            Err(error) => {
                self.monitors.forget(); // a monitor may have gone
                return Err(backend(error));
            }
        };
        let data = reply.data();
        let need = width as usize * height as usize * 4;
        if !matches!(reply.depth(), 24 | 32) || data.len() != need {
            return Err(backend(format!(
                "unsupported X image: depth {}, {} bytes for {width}×{height}",
                reply.depth(),
                data.len()
            )));
        }
        Ok(RgbaFrame {
            width,
            height,
            data: data.to_vec(),
            order: PixelOrder::Bgrx,
        })
    }
}

/// The best capturer this system offers, chosen once at the start of a
/// share: MIT-SHM with DAMAGE, else GetImage on one X connection, else
/// xcap.
pub fn system_capturer() -> Box<dyn Capturer> {
    match ShmCapturer::connect() {
        Ok(capturer) => return Box::new(capturer),
        Err(error) => tracing::info!(%error, "no MIT-SHM with DAMAGE; capturing with GetImage"),
    }
    match X11Capturer::connect() {
        Ok(capturer) => Box::new(capturer),
        Err(error) => {
            tracing::info!(%error, "capturing through xcap");
            Box::new(XcapCapturer::new())
        }
    }
}
