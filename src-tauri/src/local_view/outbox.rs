//! What waits for the expert's view: frames in order, a gap marker when
//! frames had to go, and the client's pointer as last seen.
//!
//! The view's socket owns one [`Outbox`]; the frame sink and the cursor
//! relay push into it, the socket's writer drains it. A view that stops
//! reading (its page is busy) must not make the app hoard frames: past
//! [`MAX_FRAMES`] waiting frames every one of them is dropped, a
//! [`Outgoing::Gap`] tells the view, and frames are skipped until the next
//! keyframe, which the view asks for (a delta frame without the frames
//! before it cannot be decoded).
//!
//! The pointer never queues: the outbox keeps its newest shape and
//! position, and a drain sends whichever changed since the last one, ahead
//! of the frames. A new view gets both again ([`Outbox::clear`]): the
//! client sends its shape when it changes (and every few seconds while the
//! pointer moves), so a shape that came before the view opened would
//! otherwise not be drawn, or not soon.

use std::collections::VecDeque;

/// About half a second of frames at 30 fps.
pub const MAX_FRAMES: usize = 16;

/// One message for the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// An encoded frame, as `ScreenFrame::to_wire` lays it out (binary).
    Frame(Vec<u8>),
    /// Frames were dropped here: wait for a keyframe (text).
    Gap,
    /// The pointer moved (text, JSON); only the newest is kept.
    Position(String),
    /// The pointer's shape changed (text, JSON).
    Shape(String),
}

#[derive(Debug, Default)]
pub struct Outbox {
    /// Frames and gap markers.
    queue: VecDeque<Outgoing>,
    pointer: Pointer,
    frames: usize,
    /// Frames are dropped until a keyframe comes.
    skipping: bool,
    dropped: u64,
}

impl Outbox {
    /// Queues a frame; returns false when it was dropped.
    pub fn push_frame(&mut self, wire: Vec<u8>, keyframe: bool) -> bool {
        if self.frames >= MAX_FRAMES {
            let before = self.queue.len();
            self.queue.retain(|m| !matches!(m, Outgoing::Frame(_)));
            self.dropped += (before - self.queue.len()) as u64;
            self.frames = 0;
            self.queue.push_back(Outgoing::Gap);
            self.skipping = true;
        }
        if self.skipping && !keyframe {
            self.dropped += 1;
            return false;
        }
        self.skipping = false;
        self.queue.push_back(Outgoing::Frame(wire));
        self.frames += 1;
        true
    }

    /// The pointer's newest position; it replaces one still waiting.
    pub fn push_position(&mut self, json: String) {
        self.pointer.position.set(json);
    }

    /// The pointer's newest shape; the one the view has already is not
    /// sent again.
    pub fn push_shape(&mut self, json: String) {
        self.pointer.shape.set(json);
    }

    /// Everything waiting: the pointer's changes, then frames oldest first.
    pub fn drain(&mut self) -> Vec<Outgoing> {
        self.frames = 0;
        let shape = self.pointer.shape.take().map(Outgoing::Shape);
        let position = self.pointer.position.take().map(Outgoing::Position);
        shape
            .into_iter()
            .chain(position)
            .chain(self.queue.drain(..))
            .collect()
    }

    /// A new view: the frames waiting are forgotten (it starts from a
    /// keyframe), and the pointer as last seen waits for it.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.frames = 0;
        self.skipping = false;
        self.pointer.shape.resend();
        self.pointer.position.resend();
    }

    /// Another client's pointer: the last one is not shown again.
    pub fn forget_pointer(&mut self) {
        self.pointer = Pointer::default();
    }

    /// Frames dropped here since the app started.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The client's pointer as last seen.
#[derive(Debug, Default)]
struct Pointer {
    shape: Kept,
    position: Kept,
}

/// A message the view must have: the newest one, and whether the view
/// still needs it.
#[derive(Debug, Default)]
struct Kept {
    json: Option<String>,
    waiting: bool,
}

impl Kept {
    fn set(&mut self, json: String) {
        if self.json.as_deref() != Some(json.as_str()) {
            self.json = Some(json);
            self.waiting = true;
        }
    }

    fn take(&mut self) -> Option<String> {
        std::mem::take(&mut self.waiting)
            .then(|| self.json.clone())
            .flatten()
    }

    fn resend(&mut self) {
        self.waiting = self.json.is_some();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u8) -> Vec<u8> {
        vec![n]
    }

    #[test]
    fn frames_leave_in_order() {
        let mut outbox = Outbox::default();
        assert!(outbox.push_frame(frame(1), true));
        assert!(outbox.push_frame(frame(2), false));
        assert_eq!(
            outbox.drain(),
            [Outgoing::Frame(frame(1)), Outgoing::Frame(frame(2))]
        );
        assert!(outbox.drain().is_empty());
    }

    #[test]
    fn a_stalled_view_gets_a_gap_then_nothing_until_a_keyframe() {
        let mut outbox = Outbox::default();
        for n in 0..MAX_FRAMES as u8 {
            assert!(outbox.push_frame(frame(n), n == 0));
        }
        assert!(!outbox.push_frame(frame(100), false));
        assert!(!outbox.push_frame(frame(101), false));
        assert!(outbox.push_frame(frame(102), true));
        assert_eq!(outbox.drain(), [Outgoing::Gap, Outgoing::Frame(frame(102))]);
        assert_eq!(outbox.dropped(), MAX_FRAMES as u64 + 2);
        // Afterwards frames flow again.
        assert!(outbox.push_frame(frame(103), false));
    }

    #[test]
    fn a_drained_outbox_has_room_again() {
        let mut outbox = Outbox::default();
        for round in 0..3 {
            for n in 0..MAX_FRAMES as u8 {
                assert!(outbox.push_frame(frame(n), n == 0), "round {round}");
            }
            assert_eq!(outbox.drain().len(), MAX_FRAMES);
        }
        assert_eq!(outbox.dropped(), 0);
    }

    #[test]
    fn only_the_newest_pointer_waits_ahead_of_the_frames() {
        let mut outbox = Outbox::default();
        outbox.push_frame(frame(1), true);
        outbox.push_position("a".into());
        outbox.push_shape("s".into());
        outbox.push_position("b".into());
        outbox.push_shape("t".into());
        assert_eq!(
            outbox.drain(),
            [
                Outgoing::Shape("t".into()),
                Outgoing::Position("b".into()),
                Outgoing::Frame(frame(1))
            ]
        );
        // The same shape again is not sent again; a new position is.
        outbox.push_shape("t".into());
        outbox.push_position("b".into());
        outbox.push_position("c".into());
        assert_eq!(outbox.drain(), [Outgoing::Position("c".into())]);
    }

    #[test]
    fn a_new_view_gets_the_pointer_as_last_seen_and_another_client_none() {
        let mut outbox = Outbox::default();
        // Before any view: the client sends its shape once, at the start.
        outbox.push_shape("s".into());
        outbox.push_position("p".into());
        outbox.push_frame(frame(1), true);
        outbox.clear();
        assert_eq!(
            outbox.drain(),
            [Outgoing::Shape("s".into()), Outgoing::Position("p".into())]
        );
        outbox.clear();
        assert_eq!(outbox.drain().len(), 2, "every new view");
        outbox.forget_pointer();
        outbox.clear();
        assert!(outbox.drain().is_empty());
    }
}
