//! The screen through X11 with MIT-SHM and DAMAGE: the X server writes the
//! image straight into a shared-memory segment kept for the whole share
//! (nothing crosses the socket but a 32-byte request and its reply), and it
//! tells us which rectangles changed, so a still screen costs one blocked
//! `poll` and no capture at all.
//!
//! The capture thread owns the [`ShmCapturer`]: its X connection, the
//! segment, the server-side damage object and the [`Damage`] region of
//! changes not captured yet. Damage arrives as `DeltaRectangles` events on
//! the root window; before each capture the server's region is emptied
//! (`Subtract`) and then only the damaged rows are fetched, as full-width
//! bands written at their own offset in the segment, so the segment always
//! holds the whole monitor. Anything drawn after the `Subtract` is reported
//! again, so no change is missed.
//!
//! Monitor geometry comes from xcap (RandR), once, and again when a
//! capture fails or a damage report shows the root window resized. [`system_capturer`](super::capture_x11::system_capturer)
//! falls back to GetImage or xcap when the server lacks either extension
//! or shared memory cannot be attached (a remote X server).

// SysV shared memory and poll(2) are C calls; each unsafe block says why
// it is sound.
#![allow(unsafe_code)]

use std::ops::Range;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use xcb::{Xid, damage, shm, x, xfixes};

use super::capture::{CaptureError, Captured, Capturer, Change, MonitorInfo, XcapCapturer};
use super::damage::{Damage, Rect};
use super::frame::{PixelOrder, RgbaFrame};
use super::wake::Wakeup;

fn backend(error: impl std::fmt::Display) -> CaptureError {
    CaptureError::Backend(error.to_string())
}

/// A SysV shared-memory segment, attached here and in the X server.
struct Segment {
    seg: shm::Seg,
    addr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; it is only read
// through `&self`/`&mut self` on the thread that owns the capturer, and the
// X server writes it only while a GetImage request of ours is in flight.
unsafe impl Send for Segment {}

impl Segment {
    /// A new private segment of `len` bytes, attached in the server and
    /// already marked for removal (it goes away when both sides detach,
    /// even if this process dies).
    fn new(conn: &xcb::Connection, len: usize) -> Result<Self, CaptureError> {
        // SAFETY: plain system call; no memory is passed.
        let id = unsafe { libc::shmget(libc::IPC_PRIVATE, len, libc::IPC_CREAT | 0o600) };
        if id < 0 {
            return Err(backend(format!(
                "shmget: {}",
                std::io::Error::last_os_error()
            )));
        }
        // SAFETY: attaches the segment just created at an address the
        // kernel picks; the result is checked before use.
        let addr = unsafe { libc::shmat(id, std::ptr::null(), 0) };
        let attached = addr as isize != -1;
        let seg: shm::Seg = conn.generate_id();
        let shared = attached
            && conn
                .send_and_check_request(&shm::Attach {
                    shmseg: seg,
                    shmid: id as u32,
                    read_only: false,
                })
                .is_ok();
        // SAFETY: marks our own segment for removal; attachments stay valid
        // until detached. Done after the server attached (the checked
        // request above was a round trip), or at once on failure.
        unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        if !shared {
            if attached {
                // SAFETY: `addr` came from the successful shmat above.
                unsafe { libc::shmdt(addr) };
            }
            return Err(backend("the X server cannot attach shared memory"));
        }
        Ok(Self {
            seg,
            addr: addr.cast(),
            len,
        })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `addr` maps `len` bytes for as long as `self` lives; the
        // server writes them only during a GetImage whose reply we have
        // already waited for, so nothing changes them under this borrow.
        unsafe { std::slice::from_raw_parts(self.addr, self.len) }
    }

    fn release(&mut self, conn: &xcb::Connection) {
        let _ = conn.send_and_check_request(&shm::Detach { shmseg: self.seg });
        // SAFETY: `addr` came from shmat and is detached once, here.
        unsafe { libc::shmdt(self.addr.cast()) };
        self.len = 0;
    }
}

/// Captures through MIT-SHM, only what DAMAGE reported.
pub struct ShmCapturer {
    conn: xcb::Connection,
    root: x::Window,
    damage_id: damage::Damage,
    monitors: XcapCapturer,
    segment: Option<Segment>,
    /// Changes not captured yet, on the monitor being captured.
    damage: Damage,
    /// The monitor `damage` is about; another one starts over whole.
    monitor: Option<usize>,
    /// The root window's size in the last damage report.
    root_size: Option<(u16, u16)>,
    /// Rounds of GetImage requests sent: the proof that a still screen
    /// costs no capture.
    captures: u64,
}

impl std::fmt::Debug for ShmCapturer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShmCapturer")
            .field("captures", &self.captures)
            .finish_non_exhaustive()
    }
}

impl ShmCapturer {
    /// Connects to `$DISPLAY` and sets up damage reports on the root
    /// window. Fails without MIT-SHM or DAMAGE, or with big-endian images.
    pub fn connect() -> Result<Self, CaptureError> {
        let (conn, screen) = xcb::Connection::connect_with_extensions(
            None,
            &[
                xcb::Extension::Shm,
                xcb::Extension::Damage,
                xcb::Extension::XFixes,
            ],
            &[],
        )
        .map_err(backend)?;
        let setup = conn.get_setup();
        if setup.image_byte_order() != x::ImageOrder::LsbFirst {
            return Err(backend("the X server's images are big-endian"));
        }
        let root = setup
            .roots()
            .nth(usize::try_from(screen).unwrap_or(0))
            .ok_or_else(|| backend("the X server has no such screen"))?
            .root();
        // Both extensions want the client's version before anything else.
        let xfixes = conn.send_request(&xfixes::QueryVersion {
            client_major_version: 5,
            client_minor_version: 0,
        });
        let version = conn.send_request(&damage::QueryVersion {
            client_major_version: 1,
            client_minor_version: 1,
        });
        conn.wait_for_reply(xfixes).map_err(backend)?;
        conn.wait_for_reply(version).map_err(backend)?;
        let damage_id: damage::Damage = conn.generate_id();
        conn.send_and_check_request(&damage::Create {
            damage: damage_id,
            drawable: x::Drawable::Window(root),
            level: damage::ReportLevel::DeltaRectangles,
        })
        .map_err(backend)?;
        let mut capturer = Self {
            conn,
            root,
            damage_id,
            monitors: XcapCapturer::new(),
            segment: None,
            damage: Damage::new(Rect::default()),
            monitor: None,
            root_size: None,
            captures: 0,
        };
        // Prove shared memory works here (a remote server cannot attach).
        capturer.segment = Some(Segment::new(&capturer.conn, 4096)?);
        Ok(capturer)
    }

    /// How many times this capturer fetched pixels from the server.
    pub fn captures(&self) -> u64 {
        self.captures
    }

    /// Points the damage region at monitor `index`; a different monitor
    /// (or one that moved or changed size) is damaged whole.
    fn aim(&mut self, index: usize) -> Result<Rect, CaptureError> {
        let (left, top, width, height) = self.monitors.geometry(index)?;
        let monitor = Rect::new(left, top, width, height);
        if self.monitor != Some(index) || self.damage.monitor() != monitor {
            self.damage.reset(monitor);
            self.damage.add_everything();
            self.monitor = Some(index);
        }
        Ok(monitor)
    }

    /// Takes every event already received (or readable without waiting)
    /// into the damage region.
    fn read_events(&mut self) -> Result<(), CaptureError> {
        loop {
            match self.conn.poll_for_event() {
                Ok(Some(xcb::Event::Damage(damage::Event::Notify(event)))) => {
                    let root = event.geometry();
                    let size = (root.width, root.height);
                    if self.root_size.is_some_and(|known| known != size) {
                        // The screen was resized: monitors may have moved.
                        self.monitors.forget();
                        self.monitor = None;
                    }
                    self.root_size = Some(size);
                    let area = event.area();
                    self.damage.add(Rect::new(
                        i32::from(area.x),
                        i32::from(area.y),
                        u32::from(area.width),
                        u32::from(area.height),
                    ));
                }
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(xcb::Error::Protocol(error)) => {
                    tracing::debug!(?error, "X error on the capture connection");
                }
                Err(error) => return Err(backend(error)),
            }
        }
    }

    /// A segment of at least `len` bytes.
    fn segment(&mut self, len: usize) -> Result<&Segment, CaptureError> {
        if self.segment.as_ref().is_none_or(|s| s.len < len) {
            if let Some(mut old) = self.segment.take() {
                old.release(&self.conn);
            }
            self.segment = Some(Segment::new(&self.conn, len)?);
        }
        self.segment
            .as_ref()
            .ok_or_else(|| backend("no shared memory"))
    }

    /// Fetches rows `bands` of `monitor` into the segment, each band at its
    /// own offset, all requests sent before the first reply is awaited.
    fn fetch(&mut self, monitor: Rect, bands: &[std::ops::Range<u32>]) -> Result<(), CaptureError> {
        let stride = monitor.width as usize * 4;
        let seg = self.segment(stride * monitor.height as usize)?.seg;
        let (x, width) = (
            i16::try_from(monitor.x).map_err(backend)?,
            u16::try_from(monitor.width).map_err(backend)?,
        );
        let mut cookies = Vec::with_capacity(bands.len());
        for band in bands {
            cookies.push(self.conn.send_request(&shm::GetImage {
                drawable: x::Drawable::Window(self.root),
                x,
                y: i16::try_from(i64::from(monitor.y) + i64::from(band.start)).map_err(backend)?,
                width,
                height: u16::try_from(band.end - band.start).map_err(backend)?,
                plane_mask: u32::MAX,
                format: x::ImageFormat::ZPixmap as u8,
                shmseg: seg,
                offset: u32::try_from(band.start as usize * stride).map_err(backend)?,
            }));
        }
        self.captures += 1;
        let mut failure = None;
        for cookie in cookies {
            match self.conn.wait_for_reply(cookie) {
                Ok(reply) if matches!(reply.depth(), 24 | 32) => {}
                Ok(reply) => {
                    failure.get_or_insert(backend(format!(
                        "unsupported X image depth {}",
                        reply.depth()
                    )));
                }
                Err(error) => {
                    failure.get_or_insert(backend(error));
                }
            }
        }
        match failure {
            None => Ok(()),
            Some(error) => {
                self.monitors.forget(); // a monitor may have gone
                self.monitor = None;
                Err(error)
            }
        }
    }
}

impl Capturer for ShmCapturer {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        self.monitors.monitors()
    }

    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
        let mut frame = RgbaFrame::default();
        self.monitor = None; // a fresh frame needs every row
        self.capture_changes(index, &mut frame)?;
        Ok(frame)
    }

    fn wait_for_change(
        &mut self,
        index: usize,
        timeout: Option<Duration>,
        wake: &Wakeup,
    ) -> Result<Change, CaptureError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        self.aim(index)?;
        loop {
            self.read_events()?;
            if !self.damage.is_empty() {
                return Ok(Change::Damaged);
            }
            if wake.drain() {
                return Ok(Change::Nothing);
            }
            let wait_ms = match deadline {
                None => -1,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(Change::Nothing);
                    }
                    // Rounded up, so a short wait does not spin at 0 ms.
                    i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
                }
            };
            self.conn.flush().map_err(backend)?;
            let mut fds = [
                libc::pollfd {
                    fd: self.conn.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: wake.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: `fds` is a valid array of two pollfd for the call's
            // duration, and its length is passed with it.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
            if ready < 0 {
                let error = std::io::Error::last_os_error();
                if error.kind() != std::io::ErrorKind::Interrupted {
                    return Err(backend(format!("poll: {error}")));
                }
            }
        }
    }

    fn capture_changes(
        &mut self,
        index: usize,
        frame: &mut RgbaFrame,
    ) -> Result<Captured, CaptureError> {
        let monitor = self.aim(index)?;
        let len = monitor.width as usize * monitor.height as usize * 4;
        let fresh = (frame.width, frame.height, frame.order, frame.data.len())
            != (monitor.width, monitor.height, PixelOrder::Bgrx, len);
        if fresh {
            // The caller's frame is new or of another size: all of it.
            *frame = RgbaFrame {
                width: monitor.width,
                height: monitor.height,
                data: vec![0; len],
                order: PixelOrder::Bgrx,
            };
            self.damage.add_everything();
        }
        self.read_events()?;
        let bands = self.damage.take_rows();
        if bands.is_empty() {
            return Ok(Captured::Rows(bands));
        }
        // Empty the server's region first: whatever is drawn from now on
        // is reported again, even if this capture already sees it.
        self.conn.send_request(&damage::Subtract {
            damage: self.damage_id,
            repair: xfixes::Region::none(),
            parts: xfixes::Region::none(),
        });
        if let Err(error) = self.fetch(monitor, &bands) {
            self.damage.add_everything(); // try it all again next time
            return Err(error);
        }
        let stride = monitor.width as usize * 4;
        let shared = self.segment(len)?.bytes();
        if fresh {
            frame.data.copy_from_slice(&shared[..len]);
            return Ok(Captured::Whole);
        }
        Ok(Captured::Rows(copy_changed_rows(
            &shared[..len],
            &mut frame.data,
            stride,
            &bands,
        )))
    }
}

/// Copies the rows of `bands` that differ from what `kept` holds, and
/// returns them as bands. Damage that left the pixels as they were (a
/// window repainted alike, as WebKit does for seconds after a window opens
/// over it; the server's own pointer sprite) is no change, so costs no
/// conversion, encoding or bytes. A row compares until its first
/// difference, so a real change costs little more than its copy, and a
/// repaint alike about a millisecond per 1080p screen.
fn copy_changed_rows(
    shared: &[u8],
    kept: &mut [u8],
    stride: usize,
    bands: &[Range<u32>],
) -> Vec<Range<u32>> {
    let mut changed: Vec<Range<u32>> = Vec::new();
    for row in bands.iter().flat_map(|band| band.clone()) {
        let at = row as usize * stride..(row as usize + 1) * stride;
        let (now, was) = (&shared[at.clone()], &mut kept[at]);
        if now == &was[..] {
            continue;
        }
        was.copy_from_slice(now);
        match changed.last_mut() {
            Some(last) if last.end == row => last.end = row + 1,
            _ => changed.push(row..row + 1),
        }
    }
    changed
}

impl Drop for ShmCapturer {
    fn drop(&mut self) {
        let _ = self.conn.send_and_check_request(&damage::Destroy {
            damage: self.damage_id,
        });
        if let Some(mut segment) = self.segment.take() {
            segment.release(&self.conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::copy_changed_rows;

    /// A 4-pixel-wide image of `rows` rows, each row filled with its value.
    fn image(rows: &[u8]) -> Vec<u8> {
        rows.iter().flat_map(|&v| [v; 16]).collect()
    }

    #[test]
    fn only_rows_that_differ_are_copied_and_reported() {
        let mut kept = image(&[1, 2, 3, 4, 5, 6]);
        let mut now = kept.clone();
        now[16..32].fill(9); // row 1
        now[40] = 9; // one byte of row 2
        now[80..96].fill(9); // row 5
        let rows = copy_changed_rows(&now, &mut kept, 16, &[0..4, 5..6]);
        assert_eq!(rows, [1..3, 5..6]);
        assert_eq!(kept, now);
    }

    #[test]
    fn damage_that_repainted_alike_is_no_change() {
        let mut kept = image(&[7; 8]);
        let now = kept.clone();
        assert!(copy_changed_rows(&now, &mut kept, 16, std::slice::from_ref(&(0..8))).is_empty());
    }

    #[test]
    fn a_change_outside_the_damage_waits_for_its_own_damage() {
        let mut kept = image(&[1, 1, 1]);
        let mut now = kept.clone();
        now[40] = 2; // row 2, not damaged
        assert!(copy_changed_rows(&now, &mut kept, 16, std::slice::from_ref(&(0..2))).is_empty());
        assert_eq!(kept[40], 1);
    }
}
