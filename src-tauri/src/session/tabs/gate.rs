//! The window shows one tab's remote screen at a time: each tab's frames
//! and pointer pass to the view only while that tab is the one shown. A
//! tab in the background keeps its session (and its transfers) going and
//! costs no decoding; when it is shown again, its view opens afresh and
//! asks for the frames since the newest keyframe (`screen_view.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::TabId;
use crate::cursor::{CursorMessage, CursorView};
use crate::media::sink::{FrameSink, ScreenFrame};

/// The tab shown now; written by the tabs' owner only.
#[derive(Debug, Default)]
pub struct Shown(AtomicU32);

impl Shown {
    pub fn get(&self) -> TabId {
        TabId(self.0.load(Ordering::Acquire))
    }

    pub(super) fn set(&self, tab: TabId) {
        self.0.store(tab.0, Ordering::Release);
    }

    fn is(&self, tab: TabId) -> bool {
        self.get() == tab
    }
}

/// A tab's way to the frame sink, open while the tab is shown.
pub struct GatedSink {
    pub tab: TabId,
    pub shown: Arc<Shown>,
    pub sink: Arc<dyn FrameSink>,
}

impl FrameSink for GatedSink {
    fn deliver(&self, frame: ScreenFrame) {
        if self.shown.is(self.tab) {
            self.sink.deliver(frame);
        }
    }
}

/// A tab's way to the pointer's view, open while the tab is shown.
pub struct GatedCursor {
    pub tab: TabId,
    pub shown: Arc<Shown>,
    pub view: Arc<dyn CursorView>,
}

impl CursorView for GatedCursor {
    fn show(&self, message: &CursorMessage) {
        if self.shown.is(self.tab) {
            self.view.show(message);
        }
    }

    fn forget(&self) {
        if self.shown.is(self.tab) {
            self.view.forget();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::sink::{CollectingSink, FrameTimes};

    fn frame() -> ScreenFrame {
        ScreenFrame {
            data: vec![1, 2, 3],
            keyframe: true,
            replayed: false,
            times: FrameTimes::default(),
        }
    }

    #[test]
    fn only_the_shown_tab_reaches_the_view() {
        let shown = Arc::new(Shown::default());
        shown.set(TabId(1));
        let sink = Arc::new(CollectingSink::default());
        let gated = |tab| GatedSink {
            tab: TabId(tab),
            shown: Arc::clone(&shown),
            sink: Arc::clone(&sink) as _,
        };
        let (one, two) = (gated(1), gated(2));
        one.deliver(frame());
        two.deliver(frame());
        assert_eq!(sink.frames.lock().unwrap().len(), 1);
        shown.set(TabId(2));
        one.deliver(frame());
        two.deliver(frame());
        two.deliver(frame());
        assert_eq!(sink.frames.lock().unwrap().len(), 3);
    }
}
