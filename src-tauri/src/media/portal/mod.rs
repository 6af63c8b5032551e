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
mod latest;
mod stream;

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use cast::Cast;
pub use cast::CastOptions;
use stream::Receiver;

use super::capture::{CaptureError, Captured, Capturer, Change, MonitorInfo};
use super::frame::RgbaFrame;
use super::wake::Wakeup;

/// How long a capture waits for the stream's first picture before it
/// fails (the pipeline tries again). A cast sends one when it starts, but
/// the wlroots portal 0.7 (Debian 12) sends none to a second cast of an
/// unchanged screen until something on it changes.
const FIRST_PICTURE_WITHIN: Duration = Duration::from_secs(2);

/// The cast of this process while any capturer holds it, and the bus it
/// is on.
static LIVE: Mutex<(Option<String>, Weak<Cast>)> = Mutex::new((None, Weak::new()));

/// The live cast, or a new one. The lock is held while the desktop asks
/// its user, so a second capturer waits for the first's cast and shares it.
fn shared_cast(options: &CastOptions) -> Result<Arc<Cast>, CaptureError> {
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    if live.0 == options.bus
        && let Some(cast) = live.1.upgrade()
    {
        return Ok(cast);
    }
    let cast = Arc::new(Cast::open(options).map_err(CaptureError::Backend)?);
    tracing::info!(version = cast.version(), streams = ?cast.streams, "screen cast started");
    *live = (options.bus.clone(), Arc::downgrade(&cast));
    Ok(cast)
}

pub struct PortalCapturer {
    options: CastOptions,
    /// The stream being received, and its monitor's index; dropped before
    /// the cast it receives.
    receiving: Option<(usize, Receiver)>,
    cast: Option<Arc<Cast>>,
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
        if self.cast.is_none() {
            self.cast = Some(shared_cast(&self.options)?);
        }
        self.cast
            .as_deref()
            .ok_or_else(|| CaptureError::Backend("no screen cast".into()))
    }

    /// The stream for monitor `index`, started on first use.
    fn receiver(&mut self, index: usize) -> Result<&Receiver, CaptureError> {
        if self.receiving.as_ref().is_none_or(|(at, _)| *at != index) {
            self.receiving = None;
            let cast = self.cast()?;
            let node = cast
                .streams
                .get(index)
                .ok_or(CaptureError::NoSuchMonitor(index))?
                .node;
            let remote = cast.remote().map_err(CaptureError::Backend)?;
            self.receiving = Some((index, Receiver::start(remote, node)));
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
        let receiver = self.receiver(index)?;
        let mut frame = RgbaFrame::default();
        match receiver.latest.take_into(&mut frame) {
            Ok(true) => Ok(frame),
            Ok(false) => receiver
                .latest
                .first(FIRST_PICTURE_WITHIN)
                .map_err(CaptureError::Backend),
            Err(ended) => Err(CaptureError::Backend(ended)),
        }
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
            Ok(true) => Ok(Captured::Whole),
            Ok(false) => Ok(Captured::Rows(Vec::new())),
            Err(ended) => Err(CaptureError::Backend(ended)),
        }
    }
}
