//! The screen on Wayland, where no program may read another's pixels: the
//! desktop portal's ScreenCast ([`cast`]) asks the desktop to share, and
//! PipeWire ([`stream`]) brings the frames, each one a change.
//!
//! The cast opens at the first call that needs it and lasts while a
//! capturer holds it. Capturers alive at once share it ([`LIVE`]): a share
//! and the monitor list the expert asks for meanwhile are one cast, not two
//! desktop dialogs. The restore token kept in
//! [`CastOptions::token_file`] spares the user the desktop's dialog at the
//! next share. A desktop that refuses, or stops sharing from its own
//! indicator, gives a [`CaptureError`] that says so, never a black screen.

mod cast;
pub mod cursor;
mod cursor_image;
mod latest;
mod meta;
mod stream;

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

pub use cast::{Cast, CastOptions, CastStream};
use stream::Receiver;

use super::capture::{CaptureError, Captured, Capturer, Change, MonitorInfo};
use super::frame::RgbaFrame;
use super::wake::Wakeup;

/// How long a capture waits for the stream's first picture before it says
/// it has none yet (the pipeline tries again, and reports no problem). A
/// cast sends one when it starts, but the wlroots portal 0.7 (Debian 12)
/// may send none until something on the screen changes.
const FIRST_PICTURE_WITHIN: Duration = Duration::from_secs(2);

/// A cast that failed (declined, say) is not asked for again by a new
/// capturer within this time: the monitor list that follows a share's
/// start must not put a second dialog in front of a user who said no.
const FAILURE_HOLDS: Duration = Duration::from_secs(5);

/// The cast of this process while any capturer holds it, and the bus it
/// is on; or why the last one failed, and when.
struct Live {
    bus: Option<String>,
    cast: Weak<Cast>,
    failed: Option<(Instant, String)>,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    bus: None,
    cast: Weak::new(),
    failed: None,
});

/// The live cast, or a new one. The lock is held while the desktop asks
/// its user, so a second capturer waits for the first's cast and shares it
/// (or its failure).
fn shared_cast(options: &CastOptions) -> Result<Arc<Cast>, String> {
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    if live.bus != options.bus {
        *live = Live {
            bus: options.bus.clone(),
            cast: Weak::new(),
            failed: None,
        };
    }
    if let Some(cast) = live.cast.upgrade() {
        return Ok(cast);
    }
    if let Some((at, why)) = &live.failed
        && at.elapsed() < FAILURE_HOLDS
    {
        return Err(why.clone());
    }
    match Cast::open(options) {
        Ok(cast) => {
            let cast = Arc::new(cast);
            tracing::info!(version = cast.version(), streams = ?cast.streams, "screen cast started");
            live.cast = Arc::downgrade(&cast);
            live.failed = None;
            Ok(cast)
        }
        Err(why) => {
            live.failed = Some((Instant::now(), why.clone()));
            Err(why)
        }
    }
}

pub struct PortalCapturer {
    options: CastOptions,
    /// The stream being received, and its monitor's index; dropped before
    /// the cast it receives.
    receiving: Option<(usize, Receiver)>,
    /// The cast, or why it could not be had: a capturer asks the desktop
    /// once, and the pipeline's retries do not put a dialog up each time.
    cast: Option<Result<Arc<Cast>, String>>,
}

impl std::fmt::Debug for PortalCapturer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalCapturer")
            .field("cast", &self.cast)
            .finish_non_exhaustive()
    }
}

impl PortalCapturer {
    pub fn new(options: CastOptions) -> Self {
        Self {
            options,
            cast: None,
            receiving: None,
        }
    }

    fn cast(&mut self) -> Result<&Cast, CaptureError> {
        let cast = self.cast.get_or_insert_with(|| shared_cast(&self.options));
        match cast {
            Ok(cast) => Ok(cast),
            Err(why) => Err(CaptureError::Backend(why.clone())),
        }
    }

    /// The stream for monitor `index`, started on first use.
    fn receiver(&mut self, index: usize) -> Result<&Receiver, CaptureError> {
        if self.receiving.as_ref().is_none_or(|(at, _)| *at != index) {
            self.receiving = None;
            let cast = self.cast()?;
            let stream = cast
                .streams
                .get(index)
                .ok_or(CaptureError::NoSuchMonitor(index))?;
            let (node, origin) = (stream.node, (stream.monitor.x, stream.monitor.y));
            let remote = cast.remote().map_err(CaptureError::Backend)?;
            self.receiving = Some((index, Receiver::start(remote, node, origin)));
        }
        match &self.receiving {
            Some((_, receiver)) => Ok(receiver),
            None => Err(CaptureError::Backend("no screen cast stream".into())),
        }
    }
}

impl Capturer for PortalCapturer {
    fn backend(&self) -> &'static str {
        "wayland"
    }

    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        Ok(self
            .cast()?
            .streams
            .iter()
            .map(|s| s.monitor.clone())
            .collect())
    }

    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
        self.receiver(index)?
            .latest
            .first(FIRST_PICTURE_WITHIN)
            .map_err(|ended| match ended {
                Some(ended) => ended,
                None => CaptureError::NotYet(format!(
                    "the desktop sent none within {FIRST_PICTURE_WITHIN:?}"
                )),
            })
    }

    fn wait_for_change(
        &mut self,
        index: usize,
        timeout: Option<Duration>,
        wake: &Wakeup,
    ) -> Result<Change, CaptureError> {
        let latest = &self.receiver(index)?.latest;
        if latest.fresh_or_wake(&wake.waker()) {
            return Ok(Change::Damaged);
        }
        wake.wait(timeout);
        Ok(match latest.fresh_or_wake(&wake.waker()) {
            true => Change::Damaged,
            false => Change::Nothing,
        })
    }

    fn capture_changes(
        &mut self,
        index: usize,
        frame: &mut RgbaFrame,
    ) -> Result<Captured, CaptureError> {
        if frame.data.is_empty() {
            *frame = self.capture(index)?;
            return Ok(Captured::Whole);
        }
        let latest = &self.receiver(index)?.latest;
        match latest.take_into(frame) {
            Ok(Some(captured)) => Ok(captured),
            Ok(None) => Ok(Captured::Rows(Vec::new())),
            Err(ended) => Err(ended),
        }
    }
}
