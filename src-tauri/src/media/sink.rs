//! Where the expert's received frames go: a [`FrameSink`]. The app's sink
//! passes each encoded frame to the webview, which decodes it with
//! WebCodecs; tests collect them. A platform whose webview lacks VP8
//! decoding would plug in a sink that decodes with libvpx instead, so the
//! choice is made in one place.

use std::sync::Mutex;

/// One complete encoded VP8 frame from the client's screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
    /// When the client captured it (the client's clock), Unix ms.
    pub captured_at_ms: Option<u64>,
    /// When its last packet arrived here, Unix ms.
    pub received_at_ms: u64,
}

/// The bytes before the VP8 data on the wire to the webview.
pub const HEADER_BYTES: usize = 17;

impl ScreenFrame {
    /// The frame as the webview reads it: a flags byte (bit 0: keyframe,
    /// bit 1: capture time known), the capture time and the receive time as
    /// big-endian u64 milliseconds, then the VP8 frame.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + self.data.len());
        let flags = u8::from(self.keyframe) | (u8::from(self.captured_at_ms.is_some()) << 1);
        out.push(flags);
        out.extend_from_slice(&self.captured_at_ms.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&self.received_at_ms.to_be_bytes());
        out.extend_from_slice(&self.data);
        out
    }
}

pub trait FrameSink: Send + Sync {
    /// A frame to show. Called on the track's reader task; must not block.
    fn deliver(&self, frame: ScreenFrame);
}

/// Keeps every frame, for tests.
#[derive(Debug, Default)]
pub struct CollectingSink {
    pub frames: Mutex<Vec<ScreenFrame>>,
}

impl FrameSink for CollectingSink {
    fn deliver(&self, frame: ScreenFrame) {
        self.frames
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(frame);
    }
}

/// Drops every frame (the client, which never views).
#[derive(Debug, Default)]
pub struct NoSink;

impl FrameSink for NoSink {
    fn deliver(&self, _frame: ScreenFrame) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_header_is_flags_then_two_times() {
        let frame = ScreenFrame {
            data: vec![0xaa, 0xbb],
            keyframe: true,
            captured_at_ms: Some(0x0102),
            received_at_ms: 0x0304,
        };
        let wire = frame.to_wire();
        assert_eq!(wire.len(), HEADER_BYTES + 2);
        assert_eq!(wire[0], 0b11);
        assert_eq!(&wire[1..9], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&wire[9..17], &[0, 0, 0, 0, 0, 0, 3, 4]);
        assert_eq!(&wire[17..], &[0xaa, 0xbb]);
        let delta = ScreenFrame {
            keyframe: false,
            captured_at_ms: None,
            ..frame
        };
        assert_eq!(delta.to_wire()[0], 0);
    }
}
