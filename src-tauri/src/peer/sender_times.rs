//! Lifeline's own RTP header extension: when the client encoded a frame
//! and when its first packet left, as offsets from the capture time that
//! `abs-capture-time` ([`super::capture_time`]) carries beside it. With
//! these the expert can split a frame's latency into its stages on the
//! client (capture → encoded → sent) and on the way (sent → packets here).
//!
//! The payload is 8 bytes: two big-endian u32 microsecond offsets, encoded
//! then sent (71 minutes at most; larger values are clamped).

use rtc::shared::error::Result;
use rtc::shared::marshal::{Marshal, MarshalSize};

pub const URI: &str = "urn:x-lifeline:rtp-hdrext:sender-times";

const LEN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderTimes {
    /// Capture → encoder output, µs.
    pub encoded_us: u32,
    /// Capture → first packet handed to the transport, µs.
    pub sent_us: u32,
}

impl SenderTimes {
    /// The offsets of `encoded_ms` and `sent_ms` from `captured_ms` (all
    /// Unix ms), clamped to the payload's range; a time before the capture
    /// counts as 0.
    pub fn from_times(captured_ms: f64, encoded_ms: f64, sent_ms: f64) -> Self {
        let offset = |at: f64| ((at - captured_ms) * 1000.0).clamp(0.0, f64::from(u32::MAX)) as u32;
        Self {
            encoded_us: offset(encoded_ms),
            sent_us: offset(sent_ms),
        }
    }

    /// Reads the extension's payload; `None` if it is too short.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let encoded = payload.get(..4)?.try_into().ok()?;
        let sent = payload.get(4..LEN)?.try_into().ok()?;
        Some(Self {
            encoded_us: u32::from_be_bytes(encoded),
            sent_us: u32::from_be_bytes(sent),
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
        out[4..].copy_from_slice(&self.sent_us.to_be_bytes());
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
        };
        let mut buf = [0u8; 8];
        assert_eq!(times.marshal_to(&mut buf).unwrap(), 8);
        assert_eq!(&buf[4..], &[1, 2, 3, 4]);
        assert_eq!(SenderTimes::parse(&buf), Some(times));
        assert_eq!(SenderTimes::parse(&buf[..7]), None);
        assert!(times.marshal_to(&mut [0u8; 7]).is_err());
    }

    #[test]
    fn offsets_are_microseconds_from_the_capture() {
        let times = SenderTimes::from_times(1_000.0, 1_004.5, 1_010.25);
        assert_eq!(times.encoded_us, 4_500);
        assert_eq!(times.sent_us, 10_250);
        // A clock step backwards, or a frame from next week, stays in range.
        let odd = SenderTimes::from_times(1_000.0, 999.0, 1e13);
        assert_eq!(odd.encoded_us, 0);
        assert_eq!(odd.sent_us, u32::MAX);
    }
}
