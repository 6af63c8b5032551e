//! The client's pointer on X11, on its own X connection (pure Rust over the
//! protocol, `x11rb`): XFixes tells when the cursor's image changes and
//! gives the image; XInput 2 raw motion tells when the pointer moves, and
//! one `QueryPointer` after a burst of motion says where it is. Nothing
//! is polled while the pointer rests. Without XInput 2 the position is
//! asked for every [`FALLBACK_POLL`] instead.
//!
//! Raw motion is what input devices report, whatever window the pointer is
//! over. A pointer moved by a program (xdotool, measured on Xvfb) makes no
//! raw motion, only XInput 2 motion events, which reach the root window's
//! listeners when no window under the pointer takes them: so the watcher
//! selects both. A program's move over another client's window that takes
//! XInput 2 motion shows up with the next real move or cursor change.

// `poll(2)` on the connection's socket waits for events with a timeout,
// which x11rb does not offer; each unsafe block says why it is sound.
#![allow(unsafe_code)]

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xfixes::{self, ConnectionExt as _};
use x11rb::protocol::xinput::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{ConnectionExt as _, Window};
use x11rb::rust_connection::RustConnection;

use super::source::{CursorImage, PointerError, PointerEvent, PointerSource};

/// How often the position is asked for when the server lacks XInput 2.
pub const FALLBACK_POLL: Duration = Duration::from_millis(33);

pub struct X11Pointer {
    conn: RustConnection,
    root: Window,
    raw_motion: bool,
    /// Events found and not yet reported, oldest first.
    ready: std::collections::VecDeque<PointerEvent>,
    last_position: Option<(i32, i32)>,
}

impl std::fmt::Debug for X11Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Pointer")
            .field("raw_motion", &self.raw_motion)
            .finish_non_exhaustive()
    }
}

fn unavailable(error: impl std::fmt::Display) -> PointerError {
    PointerError::Unavailable(error.to_string())
}

fn failed(error: impl std::fmt::Display) -> PointerError {
    PointerError::Failed(error.to_string())
}

impl X11Pointer {
    /// Connects to `$DISPLAY` and reports the current shape and position
    /// first.
    pub fn open() -> Result<Self, PointerError> {
        let (conn, screen) = x11rb::connect(None).map_err(unavailable)?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .ok_or_else(|| unavailable("no such X screen"))?
            .root;
        conn.xfixes_query_version(5, 0)
            .map_err(unavailable)?
            .reply()
            .map_err(unavailable)?;
        conn.xfixes_select_cursor_input(root, xfixes::CursorNotifyMask::DISPLAY_CURSOR)
            .map_err(unavailable)?;
        let raw_motion = conn
            .xinput_xi_query_version(2, 2)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some_and(|v| v.major_version >= 2)
            && conn
                .xinput_xi_select_events(
                    root,
                    &[xinput::EventMask {
                        deviceid: xinput::Device::ALL.into(),
                        mask: vec![xinput::XIEventMask::RAW_MOTION | xinput::XIEventMask::MOTION],
                    }],
                )
                .ok()
                .and_then(|cookie| cookie.check().ok())
                .is_some();
        if !raw_motion {
            tracing::info!("no XInput 2: the pointer's position is polled");
        }
        conn.flush().map_err(unavailable)?;
        let mut pointer = Self {
            conn,
            root,
            raw_motion,
            ready: Default::default(),
            last_position: None,
        };
        pointer.read_shape()?;
        pointer.read_position()?;
        Ok(pointer)
    }

    /// A factory for the session engine.
    pub fn boxed() -> Result<Box<dyn PointerSource>, PointerError> {
        Ok(Box::new(Self::open()?))
    }

    fn read_shape(&mut self) -> Result<(), PointerError> {
        let image = self
            .conn
            .xfixes_get_cursor_image()
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        let (width, height) = (image.width, image.height);
        let pixels = usize::from(width) * usize::from(height);
        if image.cursor_image.len() != pixels || pixels == 0 {
            return Ok(());
        }
        self.ready.push_back(PointerEvent::Shape(CursorImage {
            width,
            height,
            hot_x: image.xhot.min(width - 1),
            hot_y: image.yhot.min(height - 1),
            rgba: straight_rgba(&image.cursor_image),
        }));
        Ok(())
    }

    fn read_position(&mut self) -> Result<(), PointerError> {
        let reply = self
            .conn
            .query_pointer(self.root)
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        let at = (i32::from(reply.root_x), i32::from(reply.root_y));
        if self.last_position != Some(at) {
            self.last_position = Some(at);
            self.ready
                .push_back(PointerEvent::Moved { x: at.0, y: at.1 });
        }
        Ok(())
    }

    /// Handles every event already here; true if any came.
    fn drain_events(&mut self) -> Result<bool, PointerError> {
        let (mut moved, mut shape, mut any) = (false, false, false);
        while let Some(event) = self.conn.poll_for_event().map_err(failed)? {
            any = true;
            match event {
                Event::XinputRawMotion(_) | Event::XinputMotion(_) => moved = true,
                Event::XfixesCursorNotify(_) => shape = true,
                _ => {}
            }
        }
        if shape {
            self.read_shape()?;
        }
        if moved {
            self.read_position()?;
        }
        Ok(any)
    }

    /// Waits until the X socket has data or `timeout` passes.
    fn wait_readable(&self, timeout: Duration) -> Result<(), PointerError> {
        let mut fd = libc::pollfd {
            fd: self.conn.stream().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fd` is one valid, initialised pollfd that lives across
        // the call, and the count passed is 1; the descriptor belongs to the
        // connection, which outlives the call.
        let result = unsafe { libc::poll(&mut fd, 1, millis) };
        if result < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(failed(error));
            }
        }
        Ok(())
    }
}

impl PointerSource for X11Pointer {
    fn next(&mut self, timeout: Duration) -> Result<Option<PointerEvent>, PointerError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            self.drain_events()?;
            if !self.raw_motion {
                self.read_position()?;
            }
            if !self.ready.is_empty() {
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let wait = if self.raw_motion {
                left
            } else {
                left.min(FALLBACK_POLL)
            };
            self.wait_readable(wait)?;
        }
    }
}

/// XFixes gives premultiplied ARGB, one u32 a pixel; the view wants
/// straight-alpha RGBA bytes.
pub fn straight_rgba(argb: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(argb.len() * 4);
    for &pixel in argb {
        let [a, r, g, b] = pixel.to_be_bytes();
        let unmultiply = |c: u8| {
            if a == 0 {
                0
            } else {
                ((u32::from(c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8
            }
        };
        out.extend_from_slice(&[unmultiply(r), unmultiply(g), unmultiply(b), a]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premultiplied_argb_becomes_straight_rgba() {
        assert_eq!(
            straight_rgba(&[0xff10_2030, 0x8040_0000, 0x0000_0000]),
            [0x10, 0x20, 0x30, 0xff, 0x80, 0, 0, 0x80, 0, 0, 0, 0]
        );
    }
}
