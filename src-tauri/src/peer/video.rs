//! The screen's video track: VP8 at 90 kHz with NACK, PLI and FIR feedback.
//! The client packetizes each encoded frame itself and lets the packets
//! out through a [`Pacer`], each stamped with the frame's capture time and
//! its [`SenderTimes`]. The expert reads the raw packets, notes when each
//! arrived, and reassembles frames itself.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::MIME_TYPE_VP8;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp::extension::HeaderExtension;
use rtc::rtp::packetizer::{Packetizer, new_packetizer};
use rtc::rtp::sequence::new_random_sequencer;
use rtc::rtp_transceiver::PayloadType;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::{Mutex, mpsc};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::PeerConnection;
use webrtc::rtp_transceiver::RtpSender;

use super::PeerError;
use super::capture_time::{self, AbsCaptureTime};
use super::pacer::Pacer;
use super::sender_feedback;
pub use super::sender_feedback::Feedback;
use super::sender_times::{self, SenderTimes};
use crate::clock::unix_ms_f64;
use crate::media::sink::FrameTimes;

/// The largest RTP payload, as webrtc-rs's own sample track uses.
const RTP_MTU: usize = 1200;
/// RTP's fixed header, counted with each payload by the pacer.
const RTP_HEADER_BYTES: usize = 12;
/// Shorter waits are not slept (a timer cannot wait less than a
/// millisecond): the packets go at once and the next wait is longer.
const MIN_SLEEP: Duration = Duration::from_millis(1);

/// The payload type offered for VP8.
const VP8_PAYLOAD_TYPE: PayloadType = 96;

pub fn vp8_codec() -> RTCRtpCodecParameters {
    let feedback = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.into(),
        parameter: parameter.into(),
    };
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_VP8.to_owned(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![
                feedback("nack", ""),
                feedback("nack", "pli"),
                feedback("ccm", "fir"),
            ],
        },
        payload_type: VP8_PAYLOAD_TYPE,
    }
}

/// The sending side of the screen track.
pub struct VideoSender {
    track: Arc<TrackLocalStaticRTP>,
    sender: Arc<dyn RtpSender>,
    ssrc: u32,
    /// One frame at a time: a tokio Mutex because it is held while the
    /// frame's packets are paced out.
    out: Mutex<Outgoing>,
}

/// What numbers and spaces the packets: sequence numbers and RTP time
/// run on across frames.
struct Outgoing {
    packetizer: Box<dyn Packetizer>,
    pacer: Pacer,
    /// Frames sent so far: the next frame's number (wrapping).
    frames_sent: u32,
}

/// One encoded frame for [`VideoSender::send`].
#[derive(Debug, Clone)]
pub struct VideoFrame {
    pub data: Bytes,
    /// How long it stands for (sets the RTP timestamp step).
    pub duration: Duration,
    /// Capture started, Unix ms.
    pub captured_at_ms: u64,
    /// The encoder put it out, Unix ms.
    pub encoded_at_ms: f64,
}

impl std::fmt::Debug for VideoSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoSender")
            .field("ssrc", &self.ssrc)
            .finish()
    }
}

impl VideoSender {
    pub(super) async fn add_to(pc: &dyn PeerConnection) -> Result<Self, PeerError> {
        let ssrc = u32::from_be_bytes(
            ring::rand::generate::<[u8; 4]>(&ring::rand::SystemRandom::new())
                .map(|r| r.expose())
                .unwrap_or([0x4c, 0x49, 0x46, 0x45]),
        );
        let codec = vp8_codec().rtp_codec;
        let packetizer = new_packetizer(
            Instant::now(),
            RTP_MTU,
            0, // set per packet, once negotiated
            ssrc,
            codec.payloader()?,
            Box::new(new_random_sequencer()),
            codec.clock_rate,
        );
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "lifeline-screen".into(),
            "screen".into(),
            "screen".into(),
            RtpCodecKind::Video,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec,
                ..Default::default()
            }],
        )));
        let sender = pc
            .add_track(Arc::clone(&track) as Arc<dyn TrackLocal>)
            .await?;
        Ok(Self {
            track,
            sender,
            ssrc,
            out: Mutex::new(Outgoing {
                packetizer: Box::new(packetizer),
                pacer: Pacer::new(Instant::now()),
                frames_sent: 0,
            }),
        })
    }

    /// The payload type negotiated for VP8 (known once the answer is set).
    pub async fn payload_type(&self) -> Result<PayloadType, PeerError> {
        Ok(self
            .sender
            .get_parameters()
            .await?
            .rtp_parameters
            .codecs
            .first()
            .map_or(VP8_PAYLOAD_TYPE, |c| c.payload_type))
    }

    /// Sends one encoded frame, its packets paced (see [`Pacer`]); returns
    /// once the last one is handed to the transport. Fails before the
    /// connection is up.
    pub async fn send(
        &self,
        payload_type: PayloadType,
        frame: &VideoFrame,
    ) -> Result<(), PeerError> {
        let mut out = self.out.lock().await;
        let samples = (frame.duration.as_secs_f64() * 90_000.0) as u32;
        let packets = out
            .packetizer
            .packetize(Instant::now(), &frame.data, samples)?;
        let mut extensions = None;
        let number = out.frames_sent;
        for mut packet in packets {
            let wait = out
                .pacer
                .delay(Instant::now(), packet.payload.len() + RTP_HEADER_BYTES);
            if wait >= MIN_SLEEP {
                tokio::time::sleep(wait).await;
            }
            // Stamped as the first packet leaves, after any wait for it.
            let extensions = extensions.get_or_insert_with(|| stamps(frame, unix_ms_f64(), number));
            packet.header.payload_type = payload_type;
            self.track
                .write_rtp_with_extensions(packet, extensions.as_slice())
                .await?;
        }
        out.frames_sent = out.frames_sent.wrapping_add(1);
        Ok(())
    }

    /// Waits for the viewer's next keyframe request or loss report (a
    /// keyframe request first when one packet carries both); `None` once the
    /// track ends.
    pub async fn next_feedback(&self) -> Option<Feedback> {
        loop {
            if let TrackLocalEvent::OnRtcpPacket(packets) = self.track.poll().await? {
                let found: Vec<Feedback> = packets
                    .iter()
                    .filter_map(|p| sender_feedback::feedback(p.as_ref(), self.ssrc))
                    .collect();
                if found.contains(&Feedback::Keyframe) {
                    return Some(Feedback::Keyframe);
                }
                if let Some(&first) = found.first() {
                    return Some(first);
                }
            }
        }
    }
}

/// The extensions every packet of `frame`, the sender's frame `number`,
/// carries, its first packet leaving at `sent_ms`.
fn stamps(frame: &VideoFrame, sent_ms: f64, number: u32) -> [HeaderExtension; 2] {
    let times = SenderTimes::from_times(
        frame.captured_at_ms as f64,
        frame.encoded_at_ms,
        sent_ms,
        number,
    );
    [
        HeaderExtension::Custom {
            uri: Cow::Borrowed(capture_time::URI),
            extension: Box::new(AbsCaptureTime {
                unix_ms: frame.captured_at_ms,
            }),
        },
        HeaderExtension::Custom {
            uri: Cow::Borrowed(sender_times::URI),
            extension: Box::new(times),
        },
    ]
}

/// One received RTP packet of the screen track, as the depacketizer needs it.
#[derive(Debug, Clone)]
pub struct VideoPacket {
    pub sequence: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Bytes,
    /// The sender's times from the extensions, when present, and its
    /// arrival here as both the first and the last packet.
    pub times: FrameTimes,
}

/// The negotiated ids of the extensions the receiver reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtensionIds {
    pub capture_time: Option<u8>,
    pub sender_times: Option<u8>,
}

impl ExtensionIds {
    /// From the remote description's `a=extmap` lines.
    pub fn from_sdp(sdp: &str) -> Self {
        Self {
            capture_time: capture_time::negotiated_id(sdp, capture_time::URI),
            sender_times: capture_time::negotiated_id(sdp, sender_times::URI),
        }
    }
}

/// The times a packet's extensions carry, with `arrived_ms` as both its
/// first- and last-packet time.
fn packet_times(
    ids: ExtensionIds,
    extension: impl Fn(u8) -> Option<Bytes>,
    arrived_ms: f64,
) -> FrameTimes {
    let captured = ids
        .capture_time
        .and_then(&extension)
        .and_then(|payload| AbsCaptureTime::parse(&payload))
        .map(|t| t.unix_ms as f64);
    let sender = ids
        .sender_times
        .and_then(&extension)
        .and_then(|payload| SenderTimes::parse(&payload));
    let after_capture =
        |us: fn(&SenderTimes) -> u32| Some(captured? + f64::from(us(sender.as_ref()?)) / 1000.0);
    FrameTimes {
        captured,
        encoded: after_capture(|s| s.encoded_us),
        sent: after_capture(|s| s.sent_us),
        first_packet: Some(arrived_ms),
        last_packet: Some(arrived_ms),
        sink: None,
        number: sender.and_then(|s| s.frame),
    }
}

/// The screen's packets as `rtp_tap` copies them from the interceptor
/// chain, and how many it had to drop.
pub struct Tapped {
    pub(super) packets: mpsc::Receiver<rtc::rtp::Packet>,
    pub(super) dropped: Arc<AtomicU64>,
}

/// The receiving side of the screen track (the expert). It reads the
/// tapped packets ([`super::rtp_tap`]); the track's own copies, which
/// webrtc-rs may have dropped, are only drained, and its end ends this.
pub struct VideoReceiver {
    track: Arc<dyn TrackRemote>,
    ids: ExtensionIds,
    tapped: Option<Tapped>,
    media_ssrc: Option<u32>,
}

impl std::fmt::Debug for VideoReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoReceiver")
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

impl Drop for VideoReceiver {
    fn drop(&mut self) {
        let dropped = self
            .tapped
            .as_ref()
            .map_or(0, |t| t.dropped.load(Ordering::Relaxed));
        if dropped > 0 {
            tracing::warn!(dropped, "screen packets dropped: the reader fell behind");
        }
    }
}

impl VideoReceiver {
    pub(super) fn new(
        track: Arc<dyn TrackRemote>,
        ids: ExtensionIds,
        tapped: Option<Tapped>,
    ) -> Self {
        Self {
            track,
            ids,
            tapped,
            media_ssrc: None,
        }
    }

    /// The next packet; `None` once the track has ended.
    pub async fn next_packet(&mut self) -> Option<VideoPacket> {
        loop {
            let tapped = async {
                match self.tapped.as_mut() {
                    Some(tapped) => tapped.packets.recv().await,
                    None => std::future::pending().await,
                }
            };
            let packet = tokio::select! {
                biased;
                packet = tapped => match packet {
                    Some(packet) => packet,
                    None => return None, // the connection is gone
                },
                event = self.track.poll() => match event? {
                    TrackRemoteEvent::OnRtpPacket(packet) if self.tapped.is_none() => packet,
                    TrackRemoteEvent::OnEnded => return None,
                    _ => continue,
                },
            };
            let arrived_ms = unix_ms_f64();
            self.media_ssrc = Some(packet.header.ssrc);
            let times = packet_times(self.ids, |id| packet.header.get_extension(id), arrived_ms);
            return Some(VideoPacket {
                sequence: packet.header.sequence_number,
                timestamp: packet.header.timestamp,
                marker: packet.header.marker,
                payload: packet.payload,
                times,
            });
        }
    }

    /// Asks the sender for a keyframe with a PLI.
    pub async fn request_keyframe(&self) -> Result<(), PeerError> {
        let Some(media_ssrc) = self.media_ssrc else {
            return Ok(()); // Nothing received yet: the first frame is a keyframe.
        };
        self.track
            .write_rtcp(vec![Box::new(PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc,
            })])
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::shared::marshal::Marshal;

    fn payload(extension: &dyn Marshal, len: usize) -> Bytes {
        let mut buf = vec![0u8; len];
        extension.marshal_to(&mut buf).unwrap();
        Bytes::from(buf)
    }

    #[test]
    fn a_packet_carries_the_senders_times_after_its_capture() {
        let ids = ExtensionIds {
            capture_time: Some(3),
            sender_times: Some(5),
        };
        let captured = payload(&AbsCaptureTime { unix_ms: 1_000 }, 8);
        let sender = payload(
            &SenderTimes {
                encoded_us: 4_500,
                sent_us: 6_000,
                frame: Some(41),
            },
            12,
        );
        let extension = |id: u8| match id {
            3 => Some(captured.clone()),
            5 => Some(sender.clone()),
            _ => None,
        };
        let times = packet_times(ids, extension, 2_000.5);
        assert_eq!(times.captured, Some(1_000.0));
        assert_eq!(times.encoded, Some(1_004.5));
        assert_eq!(times.sent, Some(1_006.0));
        assert_eq!(times.number, Some(41));
        assert_eq!(
            (times.first_packet, times.last_packet),
            (Some(2_000.5), Some(2_000.5))
        );

        // Without the capture time the offsets mean nothing.
        let no_capture = ExtensionIds {
            capture_time: None,
            ..ids
        };
        let times = packet_times(no_capture, extension, 7.0);
        assert_eq!(
            (times.captured, times.encoded, times.sent),
            (None, None, None)
        );
        assert_eq!(times.last_packet, Some(7.0));
    }

    #[test]
    fn finds_both_ids_in_the_description() {
        let sdp = "a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time\r\n\
                   a=extmap:9 urn:x-lifeline:rtp-hdrext:sender-times\r\n";
        assert_eq!(
            ExtensionIds::from_sdp(sdp),
            ExtensionIds {
                capture_time: Some(4),
                sender_times: Some(9),
            }
        );
    }
}
