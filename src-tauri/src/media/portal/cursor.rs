//! The pointer as the desktop reports it beside the picture: with the
//! portal's cursor mode "metadata" (GNOME and KDE offer it), each PipeWire
//! buffer may say where the pointer is and, when it changed, what it looks
//! like, and the pointer is not drawn into the picture. The stream's
//! thread puts what it reads here; the share's pointer watcher
//! ([`crate::cursor::portal::PortalPointer`]) waits for it. One feed for
//! the process, as there is one cast.

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::cursor::source::CursorImage;

/// What the desktop said last, and a count that grows with each change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pointer {
    pub changes: u64,
    /// On the desktop, where the monitors are.
    pub position: Option<(i32, i32)>,
    pub shape: Option<CursorImage>,
}

#[derive(Debug, Default)]
pub struct CursorFeed {
    pointer: Mutex<Pointer>,
    changed: Condvar,
}

/// The process's feed.
pub fn feed() -> &'static CursorFeed {
    static FEED: OnceLock<CursorFeed> = OnceLock::new();
    FEED.get_or_init(CursorFeed::default)
}

impl CursorFeed {
    fn lock(&self) -> MutexGuard<'_, Pointer> {
        self.pointer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stream's side: the pointer is at `position`, and looks like
    /// `shape` when that changed.
    pub fn report(&self, position: (i32, i32), shape: Option<CursorImage>) {
        let mut pointer = self.lock();
        let moved = pointer.position != Some(position);
        let reshaped = shape.is_some() && pointer.shape != shape;
        if !moved && !reshaped {
            return;
        }
        pointer.position = Some(position);
        if reshaped {
            pointer.shape = shape;
        }
        pointer.changes += 1;
        drop(pointer);
        self.changed.notify_all();
    }

    /// The pointer once it has changed more than `seen` times, waiting up
    /// to `timeout`; `None` when it did not.
    pub fn newer_than(&self, seen: u64, timeout: Duration) -> Option<Pointer> {
        let pointer = self.lock();
        let (pointer, _) = self
            .changed
            .wait_timeout_while(pointer, timeout, |p| p.changes <= seen)
            .unwrap_or_else(|p| p.into_inner());
        (pointer.changes > seen).then(|| pointer.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow() -> CursorImage {
        CursorImage {
            width: 1,
            height: 1,
            hot_x: 0,
            hot_y: 0,
            rgba: vec![255; 4],
        }
    }

    #[test]
    fn a_change_wakes_the_watcher_and_the_same_report_does_not() {
        let feed = CursorFeed::default();
        assert_eq!(feed.newer_than(0, Duration::ZERO), None);
        feed.report((10, 20), Some(arrow()));
        let seen = feed.newer_than(0, Duration::ZERO).unwrap();
        assert_eq!((seen.position, seen.shape), (Some((10, 20)), Some(arrow())));
        feed.report((10, 20), None);
        feed.report((10, 20), Some(arrow()));
        assert_eq!(feed.newer_than(seen.changes, Duration::ZERO), None);
        feed.report((11, 20), None);
        let moved = feed.newer_than(seen.changes, Duration::ZERO).unwrap();
        assert_eq!(moved.position, Some((11, 20)));
        assert_eq!(moved.shape, Some(arrow()), "the shape is kept");
    }
}
