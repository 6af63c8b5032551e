//! The screen's video track: VP8 at 90 kHz with NACK, PLI and FIR feedback.
//! The client sends encoded frames as samples; webrtc-rs packetizes them.
//! The expert reads the raw packets and reassembles frames itself.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::MIME_TYPE_VP8;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp::extension::HeaderExtension;
use rtc::rtp_transceiver::PayloadType;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::PeerConnection;
use webrtc::rtp_transceiver::RtpSender;

use super::PeerError;
use super::capture_time::{self, AbsCaptureTime};
use super::sender_feedback;
pub use super::sender_feedback::Feedback;

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
    track: Arc<TrackLocalStaticSample>,
    sender: Arc<dyn RtpSender>,
    ssrc: u32,
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
        let track = Arc::new(TrackLocalStaticSample::new(
            Instant::now(),
            MediaStreamTrack::new(
                "lifeline-screen".into(),
                "screen".into(),
                "screen".into(),
                RtpCodecKind::Video,
                vec![RTCRtpEncodingParameters {
                    rtp_coding_parameters: RTCRtpCodingParameters {
                        ssrc: Some(ssrc),
                        ..Default::default()
                    },
                    codec: vp8_codec().rtp_codec,
                    ..Default::default()
                }],
            ),
        )?);
        let sender = pc
            .add_track(Arc::clone(&track) as Arc<dyn TrackLocal>)
            .await?;
        Ok(Self {
            track,
            sender,
            ssrc,
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

    /// Sends one encoded frame lasting `duration` (which sets the RTP
    /// timestamp step), stamped with its capture time.
    pub async fn send(
        &self,
        payload_type: PayloadType,
        frame: Bytes,
        duration: Duration,
        captured_at_ms: u64,
    ) -> Result<(), PeerError> {
        self.track
            .sample_writer(self.ssrc, payload_type)
            .with_extension(HeaderExtension::Custom {
                uri: Cow::Borrowed(capture_time::URI),
                extension: Box::new(AbsCaptureTime {
                    unix_ms: captured_at_ms,
                }),
            })
            .write_sample(&Sample {
                data: frame,
                duration,
                ..Sample::new(Instant::now())
            })
            .await?;
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

/// One received RTP packet of the screen track, as the depacketizer needs it.
#[derive(Debug, Clone)]
pub struct VideoPacket {
    pub sequence: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Bytes,
    /// From the `abs-capture-time` extension, when present.
    pub captured_at_ms: Option<u64>,
}

/// The receiving side of the screen track (the expert).
pub struct VideoReceiver {
    track: Arc<dyn TrackRemote>,
    capture_time_id: Option<u8>,
    media_ssrc: Option<u32>,
}

impl std::fmt::Debug for VideoReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoReceiver")
            .field("capture_time_id", &self.capture_time_id)
            .finish_non_exhaustive()
    }
}

impl VideoReceiver {
    pub(super) fn new(track: Arc<dyn TrackRemote>, capture_time_id: Option<u8>) -> Self {
        Self {
            track,
            capture_time_id,
            media_ssrc: None,
        }
    }

    /// The next packet; `None` once the track has ended.
    pub async fn next_packet(&mut self) -> Option<VideoPacket> {
        loop {
            match self.track.poll().await? {
                TrackRemoteEvent::OnRtpPacket(packet) => {
                    self.media_ssrc = Some(packet.header.ssrc);
                    let captured_at_ms = self
                        .capture_time_id
                        .and_then(|id| packet.header.get_extension(id))
                        .and_then(|payload| AbsCaptureTime::parse(&payload))
                        .map(|t| t.unix_ms);
                    return Some(VideoPacket {
                        sequence: packet.header.sequence_number,
                        timestamp: packet.header.timestamp,
                        marker: packet.header.marker,
                        payload: packet.payload,
                        captured_at_ms,
                    });
                }
                TrackRemoteEvent::OnEnded => return None,
                _ => {}
            }
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
