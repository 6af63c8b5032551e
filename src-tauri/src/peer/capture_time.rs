//! The `abs-capture-time` RTP header extension: every video packet carries
//! the wall-clock time its frame was captured, so the viewer can measure
//! capture → display latency. The 8-byte form holds an NTP timestamp
//! (seconds since 1900 as unsigned 32.32 fixed point); the optional clock
//! offset is not sent.

use rtc::shared::error::Result;
use rtc::shared::marshal::{Marshal, MarshalSize};

pub const URI: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";

/// Seconds from 1900 (NTP) to 1970 (Unix).
const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsCaptureTime {
    /// Unix time in milliseconds.
    pub unix_ms: u64,
}

impl AbsCaptureTime {
    fn ntp(self) -> u64 {
        let seconds = self.unix_ms / 1000 + NTP_UNIX_OFFSET_SECS;
        let fraction = ((self.unix_ms % 1000) << 32) / 1000;
        (seconds << 32) | fraction
    }

    /// Reads the extension's payload; `None` if it is too short.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let ntp = u64::from_be_bytes(payload.get(..8)?.try_into().ok()?);
        let seconds = (ntp >> 32).checked_sub(NTP_UNIX_OFFSET_SECS)?;
        let millis = ((ntp & 0xffff_ffff) * 1000 + (1 << 31)) >> 32;
        Some(Self {
            unix_ms: seconds * 1000 + millis,
        })
    }
}

impl MarshalSize for AbsCaptureTime {
    fn marshal_size(&self) -> usize {
        8
    }
}

impl Marshal for AbsCaptureTime {
    fn marshal_to(&self, buf: &mut [u8]) -> Result<usize> {
        let Some(out) = buf.get_mut(..8) else {
            return Err(rtc::shared::error::Error::BufferTooShort);
        };
        out.copy_from_slice(&self.ntp().to_be_bytes());
        Ok(8)
    }
}

/// This extension's negotiated id, from a session description's
/// `a=extmap:<id> <uri>` line.
pub fn extension_id(sdp: &str) -> Option<u8> {
    negotiated_id(sdp, URI)
}

/// The id negotiated for the extension `uri` in a session description.
pub fn negotiated_id(sdp: &str, uri: &str) -> Option<u8> {
    sdp.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("a=extmap:")?;
        let (id, found) = rest.split_once(' ')?;
        let id = id.split('/').next()?;
        (found.split_whitespace().next()? == uri).then(|| id.parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_to_the_millisecond() {
        for unix_ms in [0, 1, 999, 1_795_000_000_123, 1_795_000_000_999] {
            let time = AbsCaptureTime { unix_ms };
            let mut buf = [0u8; 8];
            assert_eq!(time.marshal_to(&mut buf).unwrap(), 8);
            assert_eq!(AbsCaptureTime::parse(&buf), Some(time));
        }
        assert_eq!(AbsCaptureTime::parse(&[1, 2, 3]), None);
        assert!(
            AbsCaptureTime { unix_ms: 5 }
                .marshal_to(&mut [0u8; 4])
                .is_err()
        );
    }

    #[test]
    fn finds_the_negotiated_id() {
        let sdp = "v=0\r\na=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
                   a=extmap:7/sendrecv http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time\r\n";
        assert_eq!(extension_id(sdp), Some(7));
        assert_eq!(extension_id("v=0\r\n"), None);
    }
}
