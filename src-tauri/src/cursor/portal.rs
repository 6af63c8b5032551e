//! The client's pointer on a Wayland desktop whose portal sends it apart
//! from the picture (cursor mode "metadata": GNOME, KDE): the screen cast's
//! stream puts each change in the process's feed
//! (`media::portal::cursor`), and this source reports them. On a desktop
//! that draws the pointer into the picture (wlroots), nothing comes, and
//! the source reports nothing.

use std::collections::VecDeque;
use std::time::Duration;

use super::source::{CursorImage, PointerError, PointerEvent, PointerSource};
use crate::media::portal::cursor::{CursorFeed, feed};

pub struct PortalPointer {
    feed: &'static CursorFeed,
    /// Changes of the feed already reported.
    seen: u64,
    position: Option<(i32, i32)>,
    shape: Option<CursorImage>,
    ready: VecDeque<PointerEvent>,
}

impl std::fmt::Debug for PortalPointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalPointer")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

impl PortalPointer {
    pub fn boxed() -> Box<dyn PointerSource> {
        Box::new(Self::with_feed(feed()))
    }

    fn with_feed(feed: &'static CursorFeed) -> Self {
        Self {
            feed,
            seen: 0,
            position: None,
            shape: None,
            ready: VecDeque::new(),
        }
    }
}

impl PointerSource for PortalPointer {
    /// The first call reports the pointer as the feed last heard it (a
    /// new share of the same cast starts where the pointer is).
    fn next(&mut self, timeout: Duration) -> Result<Option<PointerEvent>, PointerError> {
        if let Some(event) = self.ready.pop_front() {
            return Ok(Some(event));
        }
        let Some(pointer) = self.feed.newer_than(self.seen, timeout) else {
            return Ok(None);
        };
        self.seen = pointer.changes;
        if pointer.shape.is_some() && pointer.shape != self.shape {
            self.shape.clone_from(&pointer.shape);
            self.ready.extend(pointer.shape.map(PointerEvent::Shape));
        }
        if let Some((x, y)) = pointer.position
            && self.position != pointer.position
        {
            self.position = pointer.position;
            self.ready.push_back(PointerEvent::Moved { x, y });
        }
        Ok(self.ready.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_s_changes_come_as_shape_then_moves() {
        let feed: &'static CursorFeed = Box::leak(Box::default());
        let mut pointer = PortalPointer::with_feed(feed);
        assert!(pointer.next(Duration::ZERO).unwrap().is_none());
        let arrow = CursorImage {
            width: 1,
            height: 1,
            hot_x: 0,
            hot_y: 0,
            rgba: vec![0, 0, 0, 255],
        };
        feed.report((5, 6), Some(arrow.clone()));
        let next = |p: &mut PortalPointer| p.next(Duration::ZERO).unwrap();
        assert_eq!(next(&mut pointer), Some(PointerEvent::Shape(arrow)));
        assert_eq!(next(&mut pointer), Some(PointerEvent::Moved { x: 5, y: 6 }));
        assert_eq!(next(&mut pointer), None);
        feed.report((7, 6), None);
        assert_eq!(next(&mut pointer), Some(PointerEvent::Moved { x: 7, y: 6 }));
    }
}
