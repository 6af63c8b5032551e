//! VP8 frames from RTP packets (RFC 7741), on the RTP marker bit: a frame
//! is handed on the moment its last packet arrives, with no jitter buffer
//! (webrtc-rs's `SampleBuilder` would hold every frame back until the next
//! one starts).
//!
//! A gap in sequence numbers spoils the frame being built; from then on only
//! a keyframe is passed on, and the caller is told to ask for one.

/// A complete encoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vp8Frame {
    pub data: Vec<u8>,
    pub keyframe: bool,
    /// RTP timestamp (90 kHz).
    pub timestamp: u32,
}

/// What one packet led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    /// Nothing yet: the frame continues.
    Pending,
    Frame(Vp8Frame),
    /// Data was lost; ask the sender for a keyframe.
    NeedKeyframe,
}

/// The largest frame accepted; a 4K keyframe is well under this.
const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct Vp8Assembler {
    buffer: Vec<u8>,
    timestamp: u32,
    next_seq: Option<u16>,
    /// The frame in `buffer` lost a packet.
    broken: bool,
    /// Deltas are useless until the next keyframe.
    waiting_for_keyframe: bool,
}

impl Default for Vp8Assembler {
    fn default() -> Self {
        Self {
            buffer: Vec::new(),
            timestamp: 0,
            next_seq: None,
            broken: false,
            waiting_for_keyframe: true,
        }
    }
}

/// The VP8 payload descriptor's length and whether this packet starts a
/// frame (S bit set, partition 0). `None` for a malformed descriptor.
fn descriptor(payload: &[u8]) -> Option<(usize, bool)> {
    let first = *payload.first()?;
    let start = first & 0x10 != 0 && first & 0x07 == 0;
    let mut len = 1;
    if first & 0x80 != 0 {
        let x = *payload.get(1)?;
        len += 1;
        if x & 0x80 != 0 {
            // PictureID: one byte, or two when its M bit is set.
            len += if *payload.get(len)? & 0x80 != 0 { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            len += 1; // TL0PICIDX
        }
        if x & 0x30 != 0 {
            len += 1; // TID / KEYIDX
        }
    }
    (len <= payload.len()).then_some((len, start))
}

impl Vp8Assembler {
    pub fn push(&mut self, seq: u16, timestamp: u32, marker: bool, payload: &[u8]) -> Assembled {
        let in_order = self.next_seq.is_none_or(|next| next == seq);
        self.next_seq = Some(seq.wrapping_add(1));
        let Some((skip, start)) = descriptor(payload) else {
            self.broken = true;
            return self.lost();
        };
        if start {
            if !self.buffer.is_empty() {
                // The previous frame never saw its marker.
                self.buffer.clear();
                self.waiting_for_keyframe = true;
            }
            self.broken = false;
            self.timestamp = timestamp;
        } else if !in_order || self.buffer.is_empty() || timestamp != self.timestamp {
            self.broken = true;
        }
        if !self.broken {
            if self.buffer.len() + payload.len() - skip > MAX_FRAME_BYTES {
                self.broken = true;
            } else {
                self.buffer.extend_from_slice(&payload[skip..]);
            }
        }
        if !marker {
            return if self.broken && !self.buffer.is_empty() {
                self.buffer.clear();
                self.lost()
            } else {
                Assembled::Pending
            };
        }
        let data = std::mem::take(&mut self.buffer);
        if self.broken || data.is_empty() {
            self.broken = false;
            return self.lost();
        }
        // The frame tag's lowest bit is 0 for keyframes.
        let keyframe = data[0] & 0x01 == 0;
        if self.waiting_for_keyframe && !keyframe {
            return Assembled::NeedKeyframe;
        }
        self.waiting_for_keyframe = false;
        Assembled::Frame(Vp8Frame {
            data,
            keyframe,
            timestamp,
        })
    }

    fn lost(&mut self) -> Assembled {
        self.waiting_for_keyframe = true;
        Assembled::NeedKeyframe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal descriptor: S bit on the first packet, partition 0.
    fn packet(start: bool, body: &[u8]) -> Vec<u8> {
        let mut p = vec![if start { 0x10 } else { 0x00 }];
        p.extend_from_slice(body);
        p
    }

    const KEY: [u8; 4] = [0x50, 0x01, 0x00, 0x9d];
    const DELTA: [u8; 4] = [0x51, 0x01, 0x00, 0x11];

    #[test]
    fn reassembles_on_the_marker_bit() {
        let mut a = Vp8Assembler::default();
        assert_eq!(
            a.push(10, 900, false, &packet(true, &KEY)),
            Assembled::Pending
        );
        assert_eq!(
            a.push(11, 900, false, &packet(false, b"ab")),
            Assembled::Pending
        );
        let Assembled::Frame(frame) = a.push(12, 900, true, &packet(false, b"cd")) else {
            panic!("a frame on the marker");
        };
        assert!(frame.keyframe);
        assert_eq!(frame.data, [&KEY[..], b"abcd"].concat());
        assert_eq!(frame.timestamp, 900);
        let Assembled::Frame(delta) = a.push(13, 3900, true, &packet(true, &DELTA)) else {
            panic!("a one-packet delta frame");
        };
        assert!(!delta.keyframe);
    }

    #[test]
    fn a_gap_drops_deltas_until_a_keyframe() {
        let mut a = Vp8Assembler::default();
        assert!(matches!(
            a.push(1, 0, true, &packet(true, &KEY)),
            Assembled::Frame(_)
        ));
        assert_eq!(
            a.push(2, 10, false, &packet(true, &DELTA)),
            Assembled::Pending
        );
        // Packet 3 is lost.
        assert_eq!(
            a.push(4, 10, true, &packet(false, b"x")),
            Assembled::NeedKeyframe
        );
        assert_eq!(
            a.push(5, 20, true, &packet(true, &DELTA)),
            Assembled::NeedKeyframe
        );
        assert!(
            matches!(a.push(6, 30, true, &packet(true, &KEY)), Assembled::Frame(f) if f.keyframe)
        );
        assert!(matches!(
            a.push(7, 40, true, &packet(true, &DELTA)),
            Assembled::Frame(_)
        ));
    }

    #[test]
    fn starts_with_a_keyframe_and_survives_garbage() {
        let mut a = Vp8Assembler::default();
        assert_eq!(
            a.push(1, 0, true, &packet(true, &DELTA)),
            Assembled::NeedKeyframe
        );
        assert_eq!(a.push(2, 0, true, &[]), Assembled::NeedKeyframe);
        assert_eq!(a.push(3, 0, true, &[0x80]), Assembled::NeedKeyframe);
        assert_eq!(
            a.push(4, 0, true, &[0x90, 0x80, 0x80]),
            Assembled::NeedKeyframe
        );
        // Extended descriptor with a two-byte PictureID.
        let mut p = vec![0x90, 0x80, 0x80, 0x05];
        p.extend_from_slice(&KEY);
        assert!(matches!(a.push(5, 0, true, &p), Assembled::Frame(f) if f.data == KEY));
    }
}
