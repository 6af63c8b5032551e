//! Where the expert's received frames go: a [`FrameSink`]. The app's sink
//! passes each encoded frame to the webview, which decodes it with
//! WebCodecs; tests collect them. A platform whose webview lacks VP8
//! decoding would plug in a sink that decodes with libvpx instead, so the
//! choice is made in one place.
//!
//! Each frame carries its [`FrameTimes`]: when every stage on the way
//! handled it. The screen reader (`session/screen_view.rs`) fills them in
//! and owns them until the frame is handed to the sink.

use std::sync::Mutex;

/// When each stage handled one frame, Unix milliseconds (`None`: not
/// known). The first three are the client's clock, the rest the expert's;
/// across two computers they differ by the clocks' offset.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameTimes {
    /// The client started capturing it (`abs-capture-time`).
    pub captured: Option<f64>,
    /// The client's encoder put it out (`peer/sender_times.rs`).
    pub encoded: Option<f64>,
    /// Its first packet went to the client's transport.
    pub sent: Option<f64>,
    /// Its first packet reached the expert's app (the earliest, whatever
    /// the order on the wire).
    pub first_packet: Option<f64>,
    /// Its last packet reached the expert's app: the frame was complete.
    pub last_packet: Option<f64>,
    /// It was handed to the sink.
    pub sink: Option<f64>,
    /// Not a time: the frame's number among those the client sent
    /// (`peer/sender_times.rs`), carried with the times because it comes
    /// in the same extension. Gaps in it are frames lost on the way.
    pub number: Option<u32>,
}

impl FrameTimes {
    /// Folds in the times of another packet of the same frame: the
    /// earliest arrival, the latest arrival, and the sender's times from
    /// whichever packet carried them.
    pub fn merge(self, other: Self) -> Self {
        let min = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Self {
            captured: self.captured.or(other.captured),
            encoded: self.encoded.or(other.encoded),
            sent: self.sent.or(other.sent),
            first_packet: min(self.first_packet, other.first_packet),
            last_packet: max(self.last_packet, other.last_packet),
            sink: self.sink.or(other.sink),
            number: self.number.or(other.number),
        }
    }

    /// In wire order: captured, encoded, sent, first packet, last packet,
    /// sink.
    pub fn in_order(&self) -> [Option<f64>; 6] {
        [
            self.captured,
            self.encoded,
            self.sent,
            self.first_packet,
            self.last_packet,
            self.sink,
        ]
    }
}

/// One complete encoded VP8 frame from the client's screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
    /// Kept and sent again for a view that just opened: old, and part of
    /// a burst the decoder should take whole (`session/screen_view.rs`).
    pub replayed: bool,
    pub times: FrameTimes,
}

/// The bytes before the VP8 data on the wire to the webview: the flags,
/// six times of 8 bytes, the frame's number.
pub const HEADER_BYTES: usize = 1 + 6 * 8 + 4;

impl ScreenFrame {
    /// The frame as the webview reads it (`ui/src/lib/screen/wire.ts`): a
    /// flags byte (bit 0: keyframe, bit 1: capture time known, bit 2:
    /// replayed, bit 3: number known), the six [`FrameTimes`] in order as
    /// big-endian f64 Unix ms (NaN: unknown), the frame's number as a
    /// big-endian u32 (0 when unknown), then the VP8 frame.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + self.data.len());
        let flags = u8::from(self.keyframe)
            | (u8::from(self.times.captured.is_some()) << 1)
            | (u8::from(self.replayed) << 2)
            | (u8::from(self.times.number.is_some()) << 3);
        out.push(flags);
        for time in self.times.in_order() {
            out.extend_from_slice(&time.unwrap_or(f64::NAN).to_be_bytes());
        }
        out.extend_from_slice(&self.times.number.unwrap_or_default().to_be_bytes());
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
    fn the_wire_header_is_flags_then_six_times_then_the_number() {
        let frame = ScreenFrame {
            data: vec![0xaa, 0xbb],
            keyframe: true,
            replayed: false,
            times: FrameTimes {
                captured: Some(1.5),
                encoded: Some(2.0),
                sent: None,
                first_packet: Some(4.0),
                last_packet: Some(5.0),
                sink: Some(1_795_000_000_123.25),
                number: Some(0x0102_0304),
            },
        };
        let wire = frame.to_wire();
        assert_eq!(wire.len(), 53 + 2);
        assert_eq!(wire[0], 0b1011);
        let time = |i: usize| f64::from_be_bytes(wire[1 + 8 * i..9 + 8 * i].try_into().unwrap());
        assert_eq!(&wire[1..9], &1.5f64.to_be_bytes());
        assert_eq!(time(1), 2.0);
        assert!(time(2).is_nan(), "unknown is NaN");
        assert_eq!(time(3), 4.0);
        assert_eq!(time(4), 5.0);
        assert_eq!(time(5), 1_795_000_000_123.25);
        assert_eq!(&wire[49..53], &[1, 2, 3, 4]);
        assert_eq!(&wire[53..], &[0xaa, 0xbb]);
        let delta = ScreenFrame {
            keyframe: false,
            times: FrameTimes::default(),
            ..frame.clone()
        };
        assert_eq!(delta.to_wire()[0], 0);
        let replayed = ScreenFrame {
            replayed: true,
            times: FrameTimes::default(),
            ..frame
        };
        assert_eq!(replayed.to_wire()[0], 0b101);
    }

    #[test]
    fn packets_fold_into_the_frames_times() {
        let packet = |arrived: f64, sender: Option<f64>| FrameTimes {
            captured: sender,
            encoded: sender.map(|s| s + 1.0),
            sent: sender.map(|s| s + 2.0),
            first_packet: Some(arrived),
            last_packet: Some(arrived),
            sink: None,
            number: sender.map(|_| 3),
        };
        let times = [
            packet(12.0, None),
            packet(10.0, Some(1.0)),
            packet(11.0, None),
        ]
        .into_iter()
        .reduce(FrameTimes::merge)
        .unwrap();
        assert_eq!(times.first_packet, Some(10.0));
        assert_eq!(times.last_packet, Some(12.0));
        assert_eq!(
            (times.captured, times.encoded, times.sent),
            (Some(1.0), Some(2.0), Some(3.0))
        );
        assert_eq!(times.number, Some(3), "from the packet that carried it");
    }
}
