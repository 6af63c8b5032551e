//! What waits for the expert's view: frames in order, the pointer's newest
//! position, shape changes, and a gap marker when frames had to go.
//!
//! The view's socket owns one [`Outbox`]; the frame sink and the cursor
//! relay push into it, the socket's writer drains it. A view that stops
//! reading (its page is busy) must not make the app hoard frames: past
//! [`MAX_FRAMES`] waiting frames every one of them is dropped, a
//! [`Outgoing::Gap`] tells the view, and frames are skipped until the next
//! keyframe, which the view asks for (a delta frame without the frames
//! before it cannot be decoded). Pointer positions never queue: only the
//! newest waits.

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
    queue: VecDeque<Outgoing>,
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

    /// Queues the pointer's position, replacing one still waiting.
    pub fn push_position(&mut self, json: String) {
        if let Some(waiting) = self
            .queue
            .iter_mut()
            .find(|m| matches!(m, Outgoing::Position(_)))
        {
            *waiting = Outgoing::Position(json);
        } else {
            self.queue.push_back(Outgoing::Position(json));
        }
    }

    pub fn push_shape(&mut self, json: String) {
        self.queue.push_back(Outgoing::Shape(json));
    }

    /// Everything waiting, oldest first.
    pub fn drain(&mut self) -> Vec<Outgoing> {
        self.frames = 0;
        self.queue.drain(..).collect()
    }

    /// Forgets what waits (a new view starts from a keyframe).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.frames = 0;
        self.skipping = false;
    }

    /// Frames dropped here since the app started.
    pub fn dropped(&self) -> u64 {
        self.dropped
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
    fn only_the_newest_position_waits_and_shapes_keep_their_place() {
        let mut outbox = Outbox::default();
        outbox.push_position("a".into());
        outbox.push_shape("s".into());
        outbox.push_position("b".into());
        assert_eq!(
            outbox.drain(),
            [Outgoing::Position("b".into()), Outgoing::Shape("s".into())]
        );
    }
}
