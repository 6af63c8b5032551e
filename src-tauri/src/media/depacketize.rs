//! VP8 frames from RTP packets (RFC 7741), completed on the RTP marker bit.
//!
//! A frame is handed on the moment its packets from the start (S bit) to the
//! marker are all there, with no added delay: webrtc-rs's `SampleBuilder`
//! would hold every frame until the next one starts, a whole frame interval.
//!
//! Packets may arrive out of order, twice, or late after a NACK
//! retransmission: they wait in a small buffer keyed by sequence number, and
//! duplicates and stale packets are ignored. Frames leave strictly in order,
//! because each VP8 delta depends on the one before. When a gap has not
//! filled within [`GIVE_UP_AFTER_TICKS`] of RTP time, the frames behind it
//! are useless: the assembler drops them, waits for a keyframe, and tells
//! the caller to ask for one.

use std::collections::BTreeMap;

use super::sink::FrameTimes;

/// A complete encoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Vp8Frame {
    pub data: Vec<u8>,
    pub keyframe: bool,
    /// RTP timestamp (90 kHz).
    pub timestamp: u32,
    /// Its packets' times folded together (the sink time is not set yet).
    pub times: FrameTimes,
}

/// One received RTP packet of the VP8 track.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub sequence: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: &'a [u8],
    /// What the sender's extensions said, and when it arrived (as both the
    /// first and the last packet).
    pub times: FrameTimes,
}

/// The largest frame accepted; a 4K keyframe is well under this.
const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;
/// The most packets held while waiting for a gap to fill.
const MAX_BUFFERED: usize = 4096;
/// How much newer (in 90 kHz RTP time) the newest packet may be than the
/// oldest waiting one before the gap is given up: 400 ms, enough for NACK
/// retransmission on a long path.
pub const GIVE_UP_AFTER_TICKS: u32 = 36_000;

#[derive(Debug)]
struct Stored {
    timestamp: u32,
    marker: bool,
    /// First packet of a frame (S bit set, partition 0).
    start: bool,
    /// First packet of a keyframe.
    keyframe: bool,
    body: Vec<u8>,
    times: FrameTimes,
}

#[derive(Debug)]
pub struct Vp8Assembler {
    /// Waiting packets by extended sequence number.
    packets: BTreeMap<u64, Stored>,
    /// The highest extended sequence number seen.
    highest: Option<u64>,
    /// The last packet of the last frame handed on.
    delivered: Option<u64>,
    /// Deltas are useless until the next keyframe.
    waiting_for_keyframe: bool,
}

impl Default for Vp8Assembler {
    fn default() -> Self {
        Self {
            packets: BTreeMap::new(),
            highest: None,
            delivered: None,
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

/// `a` is later than `b` in RTP time, by how much (0 if not later).
fn ticks_after(a: u32, b: u32) -> u32 {
    let d = a.wrapping_sub(b);
    if d < u32::MAX / 2 { d } else { 0 }
}

impl Vp8Assembler {
    /// Takes one packet. Returns `true` when the caller should ask the sender
    /// for a keyframe (data was lost, or the stream started mid-way). Then
    /// call [`Self::next_frame`] until it returns `None`.
    pub fn push(&mut self, packet: Packet<'_>) -> bool {
        let seq = self.extend(packet.sequence);
        let stale = self.delivered.is_some_and(|d| seq <= d)
            || self.highest.is_some_and(|h| seq + MAX_BUFFERED as u64 <= h);
        if stale || self.packets.contains_key(&seq) {
            return false; // a duplicate, or too late to matter
        }
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        let Some((skip, start)) = descriptor(packet.payload) else {
            // Malformed: treated as lost; the gap decides what follows.
            return false;
        };
        let body = &packet.payload[skip..];
        // The VP8 frame tag's lowest bit is 0 for keyframes.
        let keyframe = start && body.first().is_some_and(|tag| tag & 0x01 == 0);
        self.packets.insert(
            seq,
            Stored {
                timestamp: packet.timestamp,
                marker: packet.marker,
                start,
                keyframe,
                body: body.to_vec(),
                times: packet.times,
            },
        );
        if self.waiting_for_keyframe {
            return start && !keyframe;
        }
        self.give_up_if_stuck(packet.timestamp)
    }

    /// The next complete frame, in order, if there is one.
    pub fn next_frame(&mut self) -> Option<Vp8Frame> {
        if self.waiting_for_keyframe {
            self.skip_to_keyframe()?;
        }
        let mut first = *self.packets.keys().next()?;
        if self.delivered.is_some_and(|d| first != d + 1) {
            // The gap before it may still fill, unless a whole keyframe
            // waits behind it: that needs nothing from before, and on a
            // still screen no later packet would come to give the gap up.
            first = self.complete_keyframe()?;
            self.packets = self.packets.split_off(&first);
            self.delivered = Some(first - 1);
        }
        let head = &self.packets[&first];
        if !head.start {
            return None;
        }
        let timestamp = head.timestamp;
        let mut last = first;
        loop {
            let stored = self.packets.get(&last)?;
            if stored.timestamp != timestamp || (last != first && stored.start) {
                // A packet of another frame where this one should go on:
                // this frame is corrupt.
                self.lose();
                return None;
            }
            if stored.marker {
                break;
            }
            last += 1;
        }
        let packets: Vec<Stored> = (first..=last)
            .filter_map(|seq| self.packets.remove(&seq))
            .collect();
        self.delivered = Some(last);
        let size: usize = packets.iter().map(|p| p.body.len()).sum();
        if size == 0 || size > MAX_FRAME_BYTES {
            self.waiting_for_keyframe = true;
            return None;
        }
        let mut data = Vec::with_capacity(size);
        for p in &packets {
            data.extend_from_slice(&p.body);
        }
        Some(Vp8Frame {
            data,
            keyframe: packets[0].keyframe,
            timestamp,
            times: packets
                .iter()
                .map(|p| p.times)
                .fold(FrameTimes::default(), FrameTimes::merge),
        })
    }

    /// Sequence numbers extended past 16 bits, relative to the highest seen.
    fn extend(&self, seq: u16) -> u64 {
        match self.highest {
            // Far from zero, so that early reordering cannot go negative.
            None => (1 << 32) + u64::from(seq),
            Some(highest) => {
                let delta = seq.wrapping_sub(highest as u16) as i16;
                highest.saturating_add_signed(i64::from(delta))
            }
        }
    }

    /// The first packet of the first keyframe all of whose packets are
    /// here, up to its marker.
    fn complete_keyframe(&self) -> Option<u64> {
        self.packets
            .iter()
            .filter(|(_, p)| p.keyframe)
            .map(|(&key, _)| key)
            .find(|&key| self.is_complete(key))
    }

    /// Whether the frame starting at `first` has all its packets here.
    fn is_complete(&self, first: u64) -> bool {
        let Some(head) = self.packets.get(&first) else {
            return false;
        };
        let mut seq = first;
        while let Some(stored) = self.packets.get(&seq) {
            if stored.timestamp != head.timestamp || (seq != first && stored.start) {
                return false;
            }
            if stored.marker {
                return true;
            }
            seq += 1;
        }
        false
    }

    /// The keyframe to start again from: the first whole one, or else the
    /// newest, which may still be arriving. An older keyframe still
    /// missing a packet must not hold a newer one up: its retransmission
    /// may never come.
    fn keyframe_to_start_from(&self) -> Option<u64> {
        self.complete_keyframe().or_else(|| {
            let mut keyframes = self.packets.iter().filter(|(_, p)| p.keyframe);
            keyframes.next_back().map(|(&key, _)| key)
        })
    }

    /// Drops everything before the keyframe to start again from.
    fn skip_to_keyframe(&mut self) -> Option<()> {
        let key = self.keyframe_to_start_from()?;
        self.packets = self.packets.split_off(&key);
        self.delivered = Some(key - 1);
        self.waiting_for_keyframe = false;
        Some(())
    }

    /// A gap that has lasted too long (or a buffer too full) is loss. The
    /// caller drains complete frames after every packet, so whatever still
    /// waits is blocked behind a gap.
    fn give_up_if_stuck(&mut self, newest: u32) -> bool {
        let Some(oldest) = self.packets.values().next() else {
            return false;
        };
        if ticks_after(newest, oldest.timestamp) > GIVE_UP_AFTER_TICKS
            || self.packets.len() > MAX_BUFFERED
        {
            self.lose();
            return true;
        }
        false
    }

    fn lose(&mut self) {
        self.waiting_for_keyframe = true;
        // Keep packets from a keyframe on, if one is already here.
        match self.keyframe_to_start_from() {
            Some(key) => self.packets = self.packets.split_off(&key),
            None => self.packets.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 4] = [0x50, 0x01, 0x00, 0x9d];
    const DELTA: [u8; 4] = [0x51, 0x01, 0x00, 0x11];
    /// 30 fps in 90 kHz ticks.
    const TICK: u32 = 3000;

    /// A packet with a minimal descriptor: S bit on a frame's first packet.
    struct P {
        seq: u16,
        ts: u32,
        marker: bool,
        payload: Vec<u8>,
    }

    fn first(seq: u16, ts: u32, marker: bool, tag: &[u8]) -> P {
        let mut payload = vec![0x10];
        payload.extend_from_slice(tag);
        P {
            seq,
            ts,
            marker,
            payload,
        }
    }

    fn more(seq: u16, ts: u32, marker: bool, body: &[u8]) -> P {
        let mut payload = vec![0x00];
        payload.extend_from_slice(body);
        P {
            seq,
            ts,
            marker,
            payload,
        }
    }

    /// Pushes packets; returns the frames that came out and whether a
    /// keyframe was asked for.
    fn feed(a: &mut Vp8Assembler, packets: &[P]) -> (Vec<Vp8Frame>, bool) {
        let mut frames = Vec::new();
        let mut asked = false;
        for p in packets {
            asked |= a.push(Packet {
                sequence: p.seq,
                timestamp: p.ts,
                marker: p.marker,
                payload: &p.payload,
                times: FrameTimes {
                    captured: Some(f64::from(p.ts)),
                    first_packet: Some(f64::from(p.seq)),
                    last_packet: Some(f64::from(p.seq)),
                    ..FrameTimes::default()
                },
            });
            while let Some(frame) = a.next_frame() {
                frames.push(frame);
            }
        }
        (frames, asked)
    }

    #[test]
    fn reassembles_on_the_marker_bit() {
        let mut a = Vp8Assembler::default();
        let (frames, asked) = feed(
            &mut a,
            &[
                first(10, 900, false, &KEY),
                more(11, 900, false, b"ab"),
                more(12, 900, true, b"cd"),
                first(13, 900 + TICK, true, &DELTA),
            ],
        );
        assert!(!asked);
        assert_eq!(frames.len(), 2);
        assert!(frames[0].keyframe);
        assert_eq!(frames[0].data, [&KEY[..], b"abcd"].concat());
        assert_eq!(frames[0].timestamp, 900);
        assert_eq!(frames[0].times.captured, Some(900.0));
        // `feed` stamps each packet's arrival with its sequence number.
        assert_eq!(frames[0].times.first_packet, Some(10.0));
        assert_eq!(frames[0].times.last_packet, Some(12.0));
        assert!(!frames[1].keyframe);
    }

    #[test]
    fn a_frame_leaves_the_moment_its_last_packet_arrives() {
        let mut a = Vp8Assembler::default();
        let (frames, _) = feed(&mut a, &[first(1, 0, false, &KEY)]);
        assert!(frames.is_empty());
        let (frames, _) = feed(&mut a, &[more(2, 0, true, b"z")]);
        assert_eq!(frames.len(), 1, "no waiting for the next frame");
    }

    #[test]
    fn reordered_packets_are_put_back_in_order() {
        let mut a = Vp8Assembler::default();
        let (frames, asked) = feed(
            &mut a,
            &[
                more(3, 0, true, b"3"),
                first(1, 0, false, &KEY),
                first(4, TICK, true, &DELTA),
                more(2, 0, false, b"2"),
            ],
        );
        assert!(!asked);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].data, [&KEY[..], b"23"].concat());
        assert_eq!(frames[1].data, DELTA);
    }

    #[test]
    fn duplicates_are_ignored() {
        let mut a = Vp8Assembler::default();
        let (frames, asked) = feed(
            &mut a,
            &[
                first(1, 0, false, &KEY),
                first(1, 0, false, &KEY),
                more(2, 0, true, b"x"),
                more(2, 0, true, b"x"),
                first(3, TICK, true, &DELTA),
                first(3, TICK, true, &DELTA),
            ],
        );
        assert!(!asked);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].data, [&KEY[..], b"x"].concat());
    }

    #[test]
    fn a_retransmission_fills_the_gap_and_frames_flow_in_order() {
        let mut a = Vp8Assembler::default();
        let (frames, _) = feed(
            &mut a,
            &[
                first(1, 0, true, &KEY),
                first(2, TICK, false, &DELTA),
                // 3 is lost for now.
                first(4, 2 * TICK, true, &DELTA),
            ],
        );
        assert_eq!(frames.len(), 1, "frames wait behind the gap");
        let (frames, asked) = feed(&mut a, &[more(3, TICK, true, b"late")]);
        assert!(!asked);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].timestamp, TICK);
        assert_eq!(frames[1].timestamp, 2 * TICK);
    }

    #[test]
    fn a_gap_that_never_fills_asks_for_a_keyframe() {
        let mut a = Vp8Assembler::default();
        let (_, _) = feed(
            &mut a,
            &[first(1, 0, true, &KEY), first(2, TICK, false, &DELTA)],
        );
        // 3 never comes; deltas pile up behind it until time runs out.
        let mut asked = false;
        let mut seq = 4;
        let mut ts = 2 * TICK;
        while ts <= TICK + GIVE_UP_AFTER_TICKS + TICK {
            let (frames, a_asked) = feed(&mut a, &[first(seq, ts, true, &DELTA)]);
            assert!(frames.is_empty(), "no delta after a loss");
            asked |= a_asked;
            seq += 1;
            ts += TICK;
        }
        assert!(asked, "the loss was reported");
        let (frames, _) = feed(&mut a, &[first(seq, ts, true, &DELTA)]);
        assert!(frames.is_empty(), "deltas wait for a keyframe");
        let (frames, _) = feed(
            &mut a,
            &[
                first(seq + 1, ts + TICK, false, &KEY),
                more(seq + 2, ts + TICK, true, b"k"),
            ],
        );
        assert_eq!(frames.len(), 1);
        assert!(frames[0].keyframe);
        let (frames, _) = feed(&mut a, &[first(seq + 3, ts + 2 * TICK, true, &DELTA)]);
        assert_eq!(frames.len(), 1, "deltas flow again");
    }

    #[test]
    fn a_stream_joined_mid_way_starts_at_a_keyframe() {
        let mut a = Vp8Assembler::default();
        let (frames, asked) = feed(
            &mut a,
            &[more(7, 0, true, b"tail"), first(8, TICK, true, &DELTA)],
        );
        assert!(frames.is_empty());
        assert!(asked, "a delta first: ask for a keyframe");
        let (frames, _) = feed(&mut a, &[first(9, 2 * TICK, true, &KEY)]);
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut a = Vp8Assembler::default();
        let (frames, asked) = feed(
            &mut a,
            &[
                first(65534, 0, false, &KEY),
                more(65535, 0, false, b"a"),
                more(0, 0, true, b"b"),
                first(1, TICK, true, &DELTA),
            ],
        );
        assert!(!asked);
        assert_eq!(frames.len(), 2);
    }

    #[test]
    fn garbage_is_survived() {
        let mut a = Vp8Assembler::default();
        for (seq, payload) in [
            (1u16, vec![]),
            (2, vec![0x80]),
            (3, vec![0x90, 0x80, 0x80]),
            (4, vec![0x10]),
        ] {
            a.push(Packet {
                sequence: seq,
                timestamp: 0,
                marker: true,
                payload: &payload,
                times: FrameTimes::default(),
            });
            assert!(a.next_frame().is_none());
        }
        // Extended descriptor with a two-byte PictureID, then a keyframe.
        let mut p = vec![0x90, 0x80, 0x80, 0x05];
        p.extend_from_slice(&KEY);
        a.push(Packet {
            sequence: 5,
            timestamp: TICK,
            marker: true,
            payload: &p,
            times: FrameTimes::default(),
        });
        assert_eq!(a.next_frame().map(|f| f.data), Some(KEY.to_vec()));
    }

    #[test]
    fn a_whole_keyframe_behind_a_gap_goes_at_once() {
        // Deltas flow; a burst is lost; the keyframe asked for arrives
        // whole, and the screen is still: no later packet comes.
        let mut a = Vp8Assembler::default();
        let (frames, _) = feed(
            &mut a,
            &[
                first(10, 900, true, &KEY),
                first(11, 900 + TICK, true, &DELTA),
            ],
        );
        assert_eq!(frames.len(), 2);
        let later = 900 + 150 * TICK;
        let (frames, asked) = feed(
            &mut a,
            &[
                first(200, later, false, &KEY),
                more(201, later, true, b"ab"),
            ],
        );
        assert!(!asked);
        assert_eq!(frames.len(), 1, "{frames:?}");
        assert!(frames[0].keyframe);
        // A late packet from before the keyframe changes nothing.
        let (frames, _) = feed(&mut a, &[first(12, 900 + 2 * TICK, true, &DELTA)]);
        assert!(frames.is_empty());

        // Half a keyframe behind a gap still waits for the rest.
        let (frames, _) = feed(
            &mut a,
            &[
                first(300, later + 9 * TICK, false, &KEY),
                more(302, later + 9 * TICK, true, b"cd"),
            ],
        );
        assert!(frames.is_empty());
        let (frames, _) = feed(&mut a, &[more(301, later + 9 * TICK, false, b"x")]);
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn a_keyframe_that_never_completes_does_not_block_the_next() {
        // A burst: deltas are lost, and so is a packet of the keyframe
        // asked for; its retransmission never comes.
        let mut a = Vp8Assembler::default();
        feed(
            &mut a,
            &[first(1, 0, true, &KEY), first(2, TICK, true, &DELTA)],
        );
        let broken = 10 * TICK;
        let (frames, _) = feed(
            &mut a,
            &[
                first(5, broken, false, &KEY),
                more(7, broken, true, b"z"),
                first(8, broken + TICK, true, &DELTA),
            ],
        );
        assert!(frames.is_empty());
        // The screen is still; the next keyframe (the client's refresh, or
        // the one the loss asked for) comes whole, long after.
        let refresh = broken + 300 * TICK;
        let (frames, asked) = feed(
            &mut a,
            &[
                first(9, refresh, false, &KEY),
                more(10, refresh, true, b"r"),
            ],
        );
        assert_eq!(frames.len(), 1, "the whole keyframe is shown: {frames:?}");
        assert_eq!(frames[0].timestamp, refresh);
        let (frames, _) = feed(&mut a, &[first(11, refresh + TICK, true, &DELTA)]);
        assert_eq!(frames.len(), 1, "deltas flow again (asked {asked})");
    }
}
