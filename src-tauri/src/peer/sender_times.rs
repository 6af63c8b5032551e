//! Lifeline's own RTP header extension: when the client encoded a frame
//! and when its first packet left, as offsets from the capture time that
//! `abs-capture-time` ([`super::capture_time`]) carries beside it, and the
//! frame's number. With these the expert can split a frame's latency into
//! its stages on the client (capture → encoded → sent) and on the way
//! (sent → packets here), and count the frames sent and lost.
//!
//! The payload is 12 bytes: two big-endian u32 microsecond offsets,
//! encoded then sent (71 minutes at most; larger values are clamped), then
//! the u32 number of the frame among those the sender sent (wrapping). An
//! 8-byte payload, without the number, is read too.

use rtc::shared::error::Result;
use rtc::shared::marshal::{Marshal, MarshalSize};

pub const URI: &str = "urn:x-lifeline:rtp-hdrext:sender-times";

const LEN: usize = 12;
/// The payload before the frame number was added.
const TIMES_LEN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderTimes {
    /// Capture → encoder output, µs.
    pub encoded_us: u32,
    /// Capture → first packet handed to the transport, µs.
    pub sent_us: u32,
    /// The frame's number among those the sender sent; `None` from a
    /// sender that does not say.
    pub frame: Option<u32>,
}

impl SenderTimes {
    /// The offsets of `encoded_ms` and `sent_ms` from `captured_ms` (all
    /// Unix ms), clamped to the payload's range (a time before the capture
    /// counts as 0), for frame number `frame`.
    pub fn from_times(captured_ms: f64, encoded_ms: f64, sent_ms: f64, frame: u32) -> Self {
        let offset = |at: f64| ((at - captured_ms) * 1000.0).clamp(0.0, f64::from(u32::MAX)) as u32;
        Self {
            encoded_us: offset(encoded_ms),
            sent_us: offset(sent_ms),
            frame: Some(frame),
        }
    }

    /// Reads the extension's payload; `None` if it is too short.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let word = |at: usize| {
            Some(u32::from_be_bytes(
                payload.get(at..at + 4)?.try_into().ok()?,
            ))
        };
        Some(Self {
            encoded_us: word(0)?,
            sent_us: word(4)?,
            frame: word(TIMES_LEN),
        })
    }
}

impl MarshalSize for SenderTimes {
    fn marshal_size(&self) -> usize {
        LEN
    }
}

impl Marshal for SenderTimes {
    fn marshal_to(&self, buf: &mut [u8]) -> Result<usize> {
        let Some(out) = buf.get_mut(..LEN) else {
            return Err(rtc::shared::error::Error::BufferTooShort);
        };
        out[..4].copy_from_slice(&self.encoded_us.to_be_bytes());
        out[4..TIMES_LEN].copy_from_slice(&self.sent_us.to_be_bytes());
        // A sender always numbers its frames; 0 stands in for none.
        out[TIMES_LEN..].copy_from_slice(&self.frame.unwrap_or_default().to_be_bytes());
        Ok(LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let times = SenderTimes {
            encoded_us: 12_345,
            sent_us: 0x0102_0304,
            frame: Some(0x0a0b_0c0d),
        };
        let mut buf = [0u8; 12];
        assert_eq!(times.marshal_to(&mut buf).unwrap(), 12);
        assert_eq!(&buf[4..8], &[1, 2, 3, 4]);
        assert_eq!(&buf[8..], &[10, 11, 12, 13]);
        assert_eq!(SenderTimes::parse(&buf), Some(times));
        assert!(times.marshal_to(&mut [0u8; 11]).is_err());
    }

    #[test]
    fn an_older_payload_has_times_but_no_number() {
        let buf = [0, 0, 0, 9, 0, 0, 0, 10];
        let times = SenderTimes::parse(&buf).unwrap();
        assert_eq!(
            (times.encoded_us, times.sent_us, times.frame),
            (9, 10, None)
        );
        assert_eq!(SenderTimes::parse(&buf[..7]), None);
    }

    #[test]
    fn offsets_are_microseconds_from_the_capture() {
        let times = SenderTimes::from_times(1_000.0, 1_004.5, 1_010.25, 7);
        assert_eq!(times.encoded_us, 4_500);
        assert_eq!(times.sent_us, 10_250);
        assert_eq!(times.frame, Some(7));
        // A clock step backwards, or a frame from next week, stays in range.
        let odd = SenderTimes::from_times(1_000.0, 999.0, 1e13, 0);
        assert_eq!(odd.encoded_us, 0);
        assert_eq!(odd.sent_us, u32::MAX);
    }
}
