//! Hands the viewer's feedback to the sender: keyframe requests (PLI and
//! FIR) and receiver reports (loss).
//!
//! webrtc-rs ends every inbound RTCP packet at the last interceptor unless
//! one marks it for the application. NACKs are the interceptors' business;
//! a keyframe request can only be answered by the encoder, and loss changes
//! the encoder's bitrate, so this interceptor, placed after every built-in
//! one, marks those and lets the rest pass untouched. They then arrive as
//! `TrackLocalEvent::OnRtcpPacket` on the screen track.

use std::collections::VecDeque;
use std::time::Instant;

use rtc::interceptor::{Attribute, Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::sansio::Protocol;

/// Where it sits in the chain: after every built-in interceptor.
pub(super) const SLOT: usize = 14_000;

#[derive(Default)]
pub(super) struct SenderFeedback {
    inbound: VecDeque<TaggedPacket>,
    outbound: VecDeque<TaggedPacket>,
}

fn is_keyframe_request(packet: &dyn rtc::rtcp::Packet) -> bool {
    let any = packet.as_any();
    any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>()
}

/// What the sender learns from one RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// The viewer asks for a keyframe.
    Keyframe,
    /// The viewer's receiver report: `fraction_lost` of 256 since the last.
    Loss { fraction_lost: u8 },
}

pub(super) fn feedback(packet: &dyn rtc::rtcp::Packet, media_ssrc: u32) -> Option<Feedback> {
    let any = packet.as_any();
    if is_keyframe_request(packet) {
        return Some(Feedback::Keyframe);
    }
    let report = any.downcast_ref::<ReceiverReport>()?;
    report
        .reports
        .iter()
        .find(|r| r.ssrc == media_ssrc)
        .map(|r| Feedback::Loss {
            fraction_lost: r.fraction_lost,
        })
}

fn for_application(packet: &dyn rtc::rtcp::Packet) -> bool {
    is_keyframe_request(packet) || packet.as_any().is::<ReceiverReport>()
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for SenderFeedback {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, mut message: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtcp(packets) = &message.message.packet
            && packets.iter().any(|p| for_application(p.as_ref()))
        {
            message.message.add(Attribute::DeliverToApplication);
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

impl Interceptor for SenderFeedback {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
