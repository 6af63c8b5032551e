//! Where the client's pointer comes from: a [`PointerSource`] reports the
//! pointer's moves and shape changes as they happen (no busy polling). The
//! X11 backend is in [`super::x11`]; [`FakePointer`] is driven by tests.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// A cursor image: straight-alpha RGBA, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorImage {
    pub width: u16,
    pub height: u16,
    pub hot_x: u16,
    pub hot_y: u16,
    pub rgba: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointerEvent {
    /// The pointer is at this point of the whole X screen.
    Moved { x: i32, y: i32 },
    /// It looks like this from now on.
    Shape(CursorImage),
}

#[derive(Debug, thiserror::Error)]
pub enum PointerError {
    /// No pointer to watch here (no X server, no XFixes): the share goes
    /// on without one.
    #[error("the pointer cannot be watched: {0}")]
    Unavailable(String),
    /// The connection broke; the watcher stops.
    #[error("the pointer's source failed: {0}")]
    Failed(String),
}

pub trait PointerSource: Send {
    /// The next change, waiting at most `timeout` for one (`Ok(None)`: none
    /// came). The first calls report the current shape and position.
    fn next(&mut self, timeout: Duration) -> Result<Option<PointerEvent>, PointerError>;
}

/// Opens a source for each share.
pub type PointerSourceFactory =
    Arc<dyn Fn() -> Result<Box<dyn PointerSource>, PointerError> + Send + Sync>;

/// A source that reports what its [`FakePointerHandle`] sends.
#[derive(Debug)]
pub struct FakePointer {
    events: mpsc::Receiver<PointerEvent>,
}

/// Moves a [`FakePointer`]; dropping it ends the source with an error.
#[derive(Debug, Clone)]
pub struct FakePointerHandle {
    events: mpsc::Sender<PointerEvent>,
}

impl FakePointer {
    pub fn new() -> (Self, FakePointerHandle) {
        let (events, receiver) = mpsc::channel();
        (Self { events: receiver }, FakePointerHandle { events })
    }
}

impl FakePointerHandle {
    /// Reports `event`; false once the source is gone.
    pub fn send(&self, event: PointerEvent) -> bool {
        self.events.send(event).is_ok()
    }
}

impl PointerSource for FakePointer {
    fn next(&mut self, timeout: Duration) -> Result<Option<PointerEvent>, PointerError> {
        match self.events.recv_timeout(timeout) {
            Ok(event) => Ok(Some(event)),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(PointerError::Failed("the fake's handle was dropped".into()))
            }
        }
    }
}
