//! Hands every inbound RTP packet to the screen's reader through a queue of
//! our own, straight from the interceptor chain.
//!
//! webrtc-rs passes a remote track's packets to its reader through a queue
//! of 256 and drops what does not fit, after its NACK generator has seen
//! them, so nothing asks for them again. A 1080p keyframe is hundreds of
//! packets, and on a busy 2-core machine the reader is not always
//! scheduled in time: under load, 98 of 120 frames arrived in
//! `tests/screen_every_frame.rs`, the rest dropped there. This interceptor,
//! after every built-in one (so NACK and receiver reports see everything as
//! before), copies each RTP packet into [`TAP_QUEUE`] packets' room, which
//! the [`super::video::VideoReceiver`] reads instead. It runs inside the
//! connection's driver and never blocks: a full queue drops and counts.
//! The peer has only the screen's track, so every RTP packet is the screen's.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use tokio::sync::mpsc;

/// Where it sits in the chain: after every built-in interceptor and after
/// `sender_feedback`.
pub(super) const SLOT: usize = 14_100;

/// About 10 MB of packets: seconds of video, far more than any keyframe.
pub const TAP_QUEUE: usize = 8192;

pub(super) struct RtpTap {
    packets: mpsc::Sender<rtc::rtp::Packet>,
    dropped: Arc<AtomicU64>,
    inbound: VecDeque<TaggedPacket>,
    outbound: VecDeque<TaggedPacket>,
}

impl RtpTap {
    /// The tap, the reader's end, and the count of packets dropped because
    /// the reader had fallen [`TAP_QUEUE`] behind.
    pub(super) fn new() -> (Self, mpsc::Receiver<rtc::rtp::Packet>, Arc<AtomicU64>) {
        let (packets, receiver) = mpsc::channel(TAP_QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let tap = Self {
            packets,
            dropped: Arc::clone(&dropped),
            inbound: VecDeque::new(),
            outbound: VecDeque::new(),
        };
        (tap, receiver, dropped)
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for RtpTap {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, message: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtp(packet) = &message.message.packet
            && self.packets.try_send(packet.clone()).is_err()
            // Closed means no reader any more (no view): nothing to count.
            && !self.packets.is_closed()
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.inbound.push_back(message);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.inbound.pop_front()
    }

    fn handle_write(&mut self, message: TaggedPacket) -> Result<(), Self::Error> {
        self.outbound.push_back(message);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.outbound.pop_front()
    }
}

impl Interceptor for RtpTap {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
