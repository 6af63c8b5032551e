//! The frames since the newest keyframe, kept by the expert's screen task
//! so that a view that opens (or a decoder that restarts) gets a picture
//! at once from what already arrived, instead of waiting for a keyframe
//! the client has yet to capture, encode and send.
//!
//! Bounded: past [`MAX_FRAMES`] frames or [`MAX_BYTES`] bytes since the
//! keyframe the run is dropped and nothing is kept until the next
//! keyframe (the encoder makes keyframes only when asked, so a run can
//! grow for ever). Owned by one session's screen task and dropped with it:
//! no picture outlives its session. Pure, unit-tested.

/// Frames kept after a keyframe (three seconds at 30 fps).
pub const MAX_FRAMES: usize = 90;
/// Bytes kept in all.
pub const MAX_BYTES: usize = 8 << 20;

/// One kept frame: its encoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub data: Vec<u8>,
    pub keyframe: bool,
}

#[derive(Debug, Default)]
pub struct Replay {
    frames: Vec<Kept>,
    bytes: usize,
}

impl Replay {
    /// Remembers a frame that went to the sink.
    pub fn push(&mut self, data: &[u8], keyframe: bool) {
        if keyframe {
            self.frames.clear();
            self.bytes = 0;
        } else if self.frames.is_empty() {
            // No keyframe to decode it from.
            return;
        }
        if self.frames.len() >= MAX_FRAMES || self.bytes + data.len() > MAX_BYTES {
            self.frames.clear();
            self.bytes = 0;
            return;
        }
        self.bytes += data.len();
        self.frames.push(Kept {
            data: data.to_vec(),
            keyframe,
        });
    }

    /// The newest keyframe and every frame since, oldest first; empty when
    /// there is none to start from.
    pub fn frames(&self) -> &[Kept] {
        &self.frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_run_from_the_newest_keyframe() {
        let mut replay = Replay::default();
        replay.push(b"d0", false);
        assert!(
            replay.frames().is_empty(),
            "a delta alone cannot be decoded"
        );
        replay.push(b"k1", true);
        replay.push(b"d1", false);
        replay.push(b"k2", true);
        replay.push(b"d2", false);
        let kept: Vec<&[u8]> = replay.frames().iter().map(|k| &k.data[..]).collect();
        assert_eq!(kept, [&b"k2"[..], b"d2"]);
        assert!(replay.frames()[0].keyframe);
    }

    #[test]
    fn a_run_too_long_is_dropped_until_the_next_keyframe() {
        let mut replay = Replay::default();
        replay.push(b"k", true);
        for _ in 0..MAX_FRAMES {
            replay.push(b"d", false);
        }
        assert!(replay.frames().is_empty());
        replay.push(b"d", false);
        assert!(replay.frames().is_empty(), "nothing without a keyframe");
        replay.push(b"k", true);
        assert_eq!(replay.frames().len(), 1);

        let mut big = Replay::default();
        big.push(&vec![0; MAX_BYTES], true);
        big.push(b"d", false);
        assert!(big.frames().is_empty(), "bounded in bytes too");
    }
}
