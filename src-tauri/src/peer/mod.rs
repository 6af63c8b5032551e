//! The WebRTC peer: the only module that imports `webrtc`.
//!
//! A [`Peer`] wraps one webrtc-rs `PeerConnection`. The expert's app is the
//! [`Role::Offerer`] and the client's the [`Role::Answerer`], so a client
//! never has to take an offer it did not ask for: the session layer only hands
//! it one after the client accepted. Events (local candidates, state changes,
//! incoming channels and tracks) come out of the bounded receiver returned by
//! [`Peer::new`]; its owner — the session actor — is the only reader.
//!
//! Signals to and from the other peer are [`Signal`]s, relayed opaquely by
//! the signaling server. Remote candidates that arrive before the remote
//! description are queued, since webrtc-rs rejects them until then.

pub mod capture_time;
mod channel;
mod handler;
pub mod pacer;
pub mod path;
mod round_trip;
mod rtp_tap;
mod runtime;
pub mod safety;
mod sender_feedback;
pub mod sender_times;
mod turn_tcp;
pub mod video;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rtc::interceptor::{Registry, Slot};
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::MediaEngine;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpHeaderExtensionCapability, RtpCodecKind};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use tokio::sync::{Mutex, mpsc};
use webrtc::data_channel::RTCDataChannelInit;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, RTCConfigurationBuilder, RTCIceCandidateInit,
    RTCIceServer, RTCIceTransportPolicy, RTCSessionDescription, SettingEngine,
    SettingEngineBuilder,
};

pub use self::channel::{Channel, ChannelError, Incoming};
pub use self::round_trip::RoundTrip;
pub use lifeline_signaling::protocol::signal::{Signal, SignalError};

/// How long the controlling agent (the expert) waits before it may
/// nominate a pair whose remote end it learnt from a connectivity check
/// (peer-reflexive). The client's checks reach the expert directly, before
/// its candidates have made their way through the desk, so on every path
/// the first working pair is peer-reflexive; webrtc-rs's default of 1 s
/// held every session that long after the first successful check
/// (Accept → first frame 1,097 ms on loopback; Chromium, which does not
/// wait, took about 140 ms). The pair is the path the client's packets
/// really took, so nominating it at once loses nothing on loopback or a
/// LAN; relayed pairs keep their own, longer wait.
const PRFLX_ACCEPTANCE_WAIT: Duration = Duration::ZERO;

/// The same wait for a relayed pair: half of webrtc-rs's 2 s. A punched
/// path, when there is one, is found well within it (both sides'
/// candidates cross the desk and their checks cross each other: a few
/// round trips), so the relay still loses to it; a session that can only
/// be relayed (a corporate proxy) starts a second sooner. A pair with a server-reflexive
/// end keeps webrtc-rs's 500 ms: at zero, two homes 100 ms apart connected
/// about 270 ms sooner, but one session in nineteen at 5 % loss then never
/// nominated a pair within 15 s, which is not explained yet.
const RELAY_ACCEPTANCE_WAIT: Duration = Duration::from_secs(1);

/// ICE's liveness timers. A keepalive each second, and a path silent for
/// 3 s is disconnected (webrtc-rs: 2 s and 5 s), so an app that died is
/// noticed in about 3 s once the desk has also lost it (see the session's
/// negotiation). A disconnected path comes back by itself when packets
/// flow again; one silent for 12 s more has failed and ends the session
/// (webrtc-rs: 25 s), which a 3 s burst of loss never reaches.
const ICE_KEEPALIVE: Duration = Duration::from_secs(1);
const ICE_DISCONNECTED_AFTER: Duration = Duration::from_secs(3);
const ICE_FAILED_AFTER: Duration = Duration::from_secs(12);

/// How long ICE keeps checking a candidate pair that has not answered.
/// webrtc-rs gives up after a fixed count of checks (7), so with our fast
/// check interval a pair failed 140 ms after its first check: too soon
/// for a real network's round trip, a hole punched from both sides or a
/// TURN permission installed. The count now follows the interval, so
/// checks go on for 5 s.
const ICE_CHECK_WINDOW: Duration = Duration::from_secs(5);

/// How many events may wait for the session actor.
const EVENT_QUEUE: usize = 256;

/// Which side of the offer/answer exchange this peer plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The expert: creates the offer and the data channels.
    Offerer,
    /// The client: answers, after its user accepted the request.
    Answerer,
}

/// A STUN or TURN server, as the signaling server hands them out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: String,
    pub credential: String,
}

#[derive(Debug, Clone)]
pub struct PeerSettings {
    pub ice_servers: Vec<IceServer>,
    /// Local UDP addresses to bind. `0.0.0.0:0` binds every interface on an
    /// ephemeral port; tests use `127.0.0.1:0`.
    pub udp_addrs: Vec<String>,
    /// How often ICE retries connectivity checks; shorter connects sooner.
    pub ice_check_interval: Duration,
    /// The answerer adds the screen's video track to its answer (the
    /// client granted `view`).
    pub share_screen: bool,
    /// Only relayed candidates (through the TURN server): no direct path,
    /// and no address of this computer reaches the other side.
    pub relay_only: bool,
    /// How TURN servers over TCP and TLS are reached: the proxy, and TLS
    /// checked as the desk's is.
    pub turn_route: crate::desk::proxy::Route,
    pub turn_tls: Arc<rustls::ClientConfig>,
}

impl Default for PeerSettings {
    fn default() -> Self {
        Self {
            ice_servers: Vec::new(),
            udp_addrs: vec!["0.0.0.0:0".into()],
            ice_check_interval: Duration::from_millis(20),
            share_screen: false,
            relay_only: false,
            turn_route: crate::desk::proxy::Route::System,
            turn_tls: crate::desk::tls::client_config(None),
        }
    }
}

/// The connection's state as the session layer cares about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    Connected,
    Disconnected,
    Failed,
    Closed,
}

pub enum PeerEvent {
    /// A signal to send to the other peer (a trickled local candidate).
    LocalSignal(Signal),
    GatheringComplete,
    State(ConnectionState),
    /// A data channel the other peer opened.
    DataChannel(Channel),
    /// The screen track the other peer sends.
    Video(video::VideoReceiver),
}

impl std::fmt::Debug for PeerEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerEvent::LocalSignal(signal) => f.debug_tuple("LocalSignal").field(signal).finish(),
            PeerEvent::GatheringComplete => f.write_str("GatheringComplete"),
            PeerEvent::State(state) => f.debug_tuple("State").field(state).finish(),
            PeerEvent::DataChannel(channel) => f.debug_tuple("DataChannel").field(channel).finish(),
            PeerEvent::Video(_) => f.write_str("Video"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("WebRTC: {0}")]
    WebRtc(#[from] webrtc::error::Error),
    #[error(transparent)]
    Signal(#[from] SignalError),
    #[error("a {role:?} peer does not accept a remote {kind}")]
    UnexpectedSignal { role: Role, kind: &'static str },
}

/// The most unacknowledged bytes one data channel may hold.
pub const DATA_CHANNEL_BUFFER: usize = 4 * 1024 * 1024;

/// How much the other peer may have in flight towards us on the data
/// channels (SCTP's a_rwnd). On loopback, with the socket buffers of
/// [`runtime`] in place, one channel moved 141–199 MB/s with webrtc-rs's
/// default of 1 MiB and 218–264 MB/s with 4 MiB; 8 MiB was no faster.
const SCTP_RECEIVE_WINDOW: u32 = 4 * 1024 * 1024;

/// How far back SRTP accepts a packet it has not seen (its replay
/// window), in packets. With webrtc-rs's default of 64, a retransmission
/// that came after 64 newer packets (a large keyframe's worth, or a round
/// trip of video) was refused as a replay: the NACK generator asked for it
/// every 100 ms and never got it, and the frame stayed incomplete. Twice
/// the NACK generator's log (512 packets), so whatever NACK asks for is
/// taken when it comes; a packet really seen before is still refused.
const SRTP_REPLAY_WINDOW: usize = 1024;

/// How a data channel delivers messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Reliable and ordered: control, chat, files, key and button events.
    Reliable,
    /// Unordered, never retransmitted: stale pointer moves are worthless.
    Latest,
}

pub struct Peer {
    role: Role,
    pc: Arc<dyn PeerConnection>,
    // Candidates that arrived before the remote description; a tokio Mutex
    // because it is held across `add_ice_candidate(..).await`.
    pending: Mutex<Option<Vec<RTCIceCandidateInit>>>,
    share_screen: bool,
    video: Mutex<Option<Arc<video::VideoSender>>>,
    extension_ids: Arc<OnceLock<video::ExtensionIds>>,
    /// The bridges to TURN servers over TCP or TLS, for the connection's
    /// life, and what the path reports of them.
    _bridges: Vec<turn_tcp::Bridge>,
    bridged: Vec<path::Bridged>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// Builds a connection and returns it with its event stream.
    pub async fn new(
        role: Role,
        settings: &PeerSettings,
    ) -> Result<(Self, mpsc::Receiver<PeerEvent>), PeerError> {
        let (events, receiver) = mpsc::channel(EVENT_QUEUE);
        let extension_ids = Arc::new(OnceLock::new());
        let (ice_servers, bridges) = bridge_turn(settings).await;
        let policy = if settings.relay_only {
            RTCIceTransportPolicy::Relay
        } else {
            RTCIceTransportPolicy::All
        };
        let configuration = RTCConfigurationBuilder::new()
            .with_ice_servers(ice_servers)
            .with_ice_transport_policy(policy)
            .build();
        let setting_engine = setting_engine(settings);
        let mut media_engine = MediaEngine::default();
        media_engine.register_codec(video::vp8_codec(), RtpCodecKind::Video)?;
        for uri in [capture_time::URI, sender_times::URI] {
            media_engine.register_header_extension(
                RTCRtpHeaderExtensionCapability {
                    uri: uri.to_owned(),
                },
                RtpCodecKind::Video,
                None,
            )?;
        }
        let (tap, tapped, dropped) = rtp_tap::RtpTap::new();
        let registry = register_default_interceptors(Registry::new(), &mut media_engine)?
            .with(
                Slot::from(sender_feedback::SLOT),
                sender_feedback::SenderFeedback::default(),
            )
            .with(Slot::from(rtp_tap::SLOT), tap);
        let pc = PeerConnectionBuilder::new()
            .with_configuration(configuration)
            .with_setting_engine(setting_engine)
            .with_media_engine(media_engine)
            .with_interceptor_registry(registry)
            .with_handler(Arc::new(handler::Forwarder {
                events,
                extension_ids: Arc::clone(&extension_ids),
                tapped: std::sync::Mutex::new(Some(video::Tapped {
                    packets: tapped,
                    dropped,
                })),
                channels: Default::default(),
            }))
            .with_udp_addrs(settings.udp_addrs.clone())
            .with_runtime(runtime::BufferedSockets::shared())
            // `send` waits while a channel has this much unacknowledged:
            // file transfers stream at the link's pace, not the disk's.
            .with_data_channel_send_buffer_limit(DATA_CHANNEL_BUFFER)
            .build()
            .await?;
        let peer = Self {
            role,
            bridged: bridges.iter().map(|b| (b.local, b.protocol)).collect(),
            _bridges: bridges,
            pc: Arc::new(pc),
            pending: Mutex::new(Some(Vec::new())),
            share_screen: settings.share_screen,
            video: Mutex::new(None),
            extension_ids,
        };
        Ok((peer, receiver))
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Opens a data channel (offerer only; the answerer receives them as
    /// [`PeerEvent::DataChannel`]).
    pub async fn create_data_channel(
        &self,
        label: &str,
        delivery: Delivery,
    ) -> Result<Channel, PeerError> {
        let init = match delivery {
            Delivery::Reliable => RTCDataChannelInit {
                ordered: true,
                ..Default::default()
            },
            Delivery::Latest => RTCDataChannelInit {
                ordered: false,
                max_retransmits: Some(0),
                ..Default::default()
            },
        };
        let channel = self.pc.create_data_channel(label, Some(init)).await?;
        Ok(Channel::new(channel))
    }

    /// Offers to receive one video track (the expert, before its offer).
    pub async fn receive_video(&self) -> Result<(), PeerError> {
        self.pc
            .add_transceiver_from_kind(
                RtpCodecKind::Video,
                Some(RTCRtpTransceiverInit {
                    direction: RTCRtpTransceiverDirection::Recvonly,
                    ..Default::default()
                }),
            )
            .await?;
        Ok(())
    }

    /// Offers one video track both ways (the expert, before its offer,
    /// when it may show its own screen): its own, and the client's screen
    /// on the same transceiver when the client shares it. Sends nothing
    /// until frames are given to the returned sender.
    pub async fn send_and_receive_video(&self) -> Result<Arc<video::VideoSender>, PeerError> {
        let sender = Arc::new(video::VideoSender::add_to(self.pc.as_ref()).await?);
        *self.video.lock().await = Some(Arc::clone(&sender));
        Ok(sender)
    }

    /// This side's video track: the client's screen, once the answer that
    /// carries it is made (answerer with `share_screen` only), or the
    /// expert's own screen ([`Self::send_and_receive_video`]).
    pub async fn video_sender(&self) -> Option<Arc<video::VideoSender>> {
        self.video.lock().await.clone()
    }

    /// Notes the video extensions' negotiated ids from the remote
    /// description, for the video receiver.
    fn learn_extension_ids(&self, remote_sdp: &str) {
        let _ = self
            .extension_ids
            .set(video::ExtensionIds::from_sdp(remote_sdp));
    }

    /// Creates the offer and sets it locally (offerer only).
    pub async fn create_offer(&self) -> Result<Signal, PeerError> {
        if self.role != Role::Offerer {
            return Err(PeerError::UnexpectedSignal {
                role: self.role,
                kind: "offer request",
            });
        }
        let offer = self.pc.create_offer(None).await?;
        self.pc.set_local_description(offer.clone()).await?;
        Ok(Signal::Offer { sdp: offer.sdp })
    }

    /// Offerer: an offer that restarts ICE (new credentials, and
    /// candidates gathered again from this computer's addresses now, on
    /// sockets bound anew), set locally. The channels and the video go on
    /// over whichever path the restart finds.
    pub async fn restart_offer(&self) -> Result<Signal, PeerError> {
        if self.role != Role::Offerer {
            return Err(PeerError::UnexpectedSignal {
                role: self.role,
                kind: "restart request",
            });
        }
        self.pc.restart_ice().await?;
        self.create_offer().await
    }

    /// Applies a signal from the other peer. An offer yields the answer to
    /// send back. Signals that do not fit this peer's role are refused.
    pub async fn handle_signal(&self, signal: Signal) -> Result<Option<Signal>, PeerError> {
        signal.check_size()?;
        match (self.role, signal) {
            (Role::Answerer, Signal::Offer { sdp }) => {
                self.learn_extension_ids(&sdp);
                self.pc
                    .set_remote_description(RTCSessionDescription::offer(sdp)?)
                    .await?;
                self.flush_pending().await;
                // A later offer (an ICE restart's) keeps the track it has.
                let mut video = self.video.lock().await;
                if self.share_screen && video.is_none() {
                    // Added after the offer is set, so the track takes the
                    // expert's receive-only video transceiver.
                    let sender = video::VideoSender::add_to(self.pc.as_ref()).await?;
                    *video = Some(Arc::new(sender));
                }
                drop(video);
                let answer = self.pc.create_answer(None).await?;
                self.pc.set_local_description(answer.clone()).await?;
                Ok(Some(Signal::Answer { sdp: answer.sdp }))
            }
            (Role::Offerer, Signal::Answer { sdp }) => {
                self.learn_extension_ids(&sdp);
                self.pc
                    .set_remote_description(RTCSessionDescription::answer(sdp)?)
                    .await?;
                self.flush_pending().await;
                Ok(None)
            }
            (
                _,
                Signal::Ice {
                    candidate,
                    sdp_mid,
                    sdp_mline_index,
                },
            ) => {
                let init = RTCIceCandidateInit {
                    candidate,
                    sdp_mid,
                    sdp_mline_index,
                    ..Default::default()
                };
                let mut pending = self.pending.lock().await;
                match pending.as_mut() {
                    Some(queue) => queue.push(init),
                    None => self.pc.add_ice_candidate(init).await?,
                }
                Ok(None)
            }
            (role, Signal::Offer { .. }) => Err(PeerError::UnexpectedSignal {
                role,
                kind: "offer",
            }),
            (role, Signal::Answer { .. }) => Err(PeerError::UnexpectedSignal {
                role,
                kind: "answer",
            }),
            // The PIN check is the session's business, not the connection's.
            (role, Signal::Pake { .. } | Signal::PinProof { .. }) => {
                Err(PeerError::UnexpectedSignal {
                    role,
                    kind: "PIN check",
                })
            }
        }
    }

    /// Adds the candidates that waited for the remote description. One
    /// that cannot be used is logged and skipped, as it would have been on
    /// arrival: the others may still connect.
    async fn flush_pending(&self) {
        let mut pending = self.pending.lock().await;
        for candidate in pending.take().unwrap_or_default() {
            if let Err(error) = self.pc.add_ice_candidate(candidate).await {
                tracing::warn!(%error, "a remote ICE candidate was refused");
            }
        }
    }

    /// The DTLS fingerprints this connection uses, its own and the one it
    /// checks the peer against, in an order that does not depend on role;
    /// `None` before both descriptions are set.
    pub async fn fingerprints(&self) -> Option<String> {
        let local = self.pc.local_description().await?;
        let remote = self.pc.remote_description().await?;
        safety::fingerprint_view(&local.sdp, &remote.sdp)
    }

    /// The 6-digit code both people compare, once both descriptions are set.
    pub async fn safety_code(&self) -> Option<String> {
        let local = self.pc.local_description().await?;
        let remote = self.pc.remote_description().await?;
        safety::safety_code(&local.sdp, &remote.sdp)
    }

    /// What the connection's round trip is, whenever it is asked.
    pub fn round_trip(&self) -> RoundTrip {
        RoundTrip::of(&self.pc)
    }

    /// The path the connection chose (`None` until it has chosen one).
    pub async fn path(&self) -> Option<path::NetworkPath> {
        path::read(&self.pc, &self.bridged).await
    }

    /// The path, once the statistics show it: they can lag the
    /// "connected" state by a moment. Owns what it needs, so it can run
    /// apart from the session; `None` if no path shows within `within`.
    pub fn path_when_chosen(
        &self,
        within: Duration,
    ) -> impl Future<Output = Option<path::NetworkPath>> + Send + 'static {
        let pc = Arc::clone(&self.pc);
        let bridged = self.bridged.clone();
        async move {
            let deadline = tokio::time::Instant::now() + within;
            loop {
                if let Some(path) = path::read(&pc, &bridged).await {
                    return Some(path);
                }
                if tokio::time::Instant::now() >= deadline {
                    return None;
                }
                tokio::time::sleep(path::POLL).await;
            }
        }
    }

    /// Closes the connection: ends every channel, track and event stream.
    pub async fn close(&self) {
        if let Err(error) = self.pc.close().await {
            tracing::debug!(%error, "closing the peer connection");
        }
    }
}

/// The ICE servers for webrtc-rs: a TURN server over TCP or TLS is
/// replaced by a bridge on loopback that webrtc-rs reaches over UDP.
async fn bridge_turn(settings: &PeerSettings) -> (Vec<RTCIceServer>, Vec<turn_tcp::Bridge>) {
    let mut bridges = Vec::new();
    let mut servers = Vec::new();
    for server in &settings.ice_servers {
        let mut urls = Vec::new();
        for url in &server.urls {
            let Some((host, port, tls)) = turn_over_tcp(url) else {
                urls.push(url.clone());
                continue;
            };
            let upstream = turn_tcp::Upstream {
                host,
                port,
                tls: tls.then(|| Arc::clone(&settings.turn_tls)),
                route: settings.turn_route.clone(),
            };
            match turn_tcp::Bridge::start(upstream).await {
                Ok(bridge) => {
                    urls.push(format!("turn:{}?transport=udp", bridge.local));
                    bridges.push(bridge);
                }
                Err(error) => tracing::warn!(%error, url, "no bridge for a TURN server over TCP"),
            }
        }
        servers.push(RTCIceServer {
            urls,
            username: server.username.clone(),
            credential: server.credential.clone(),
        });
    }
    (servers, bridges)
}

/// The host, port and TLS of a `turns:` URL or a `turn:…?transport=tcp`
/// one; `None` for TURN over UDP and STUN.
fn turn_over_tcp(url: &str) -> Option<(String, u16, bool)> {
    let (scheme, rest) = url.split_once(':')?;
    let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
    let tcp = query
        .split('&')
        .any(|q| q.eq_ignore_ascii_case("transport=tcp"));
    let (tls, default_port) = match scheme {
        "turns" => (true, 5349),
        "turn" if tcp => (false, 3478),
        _ => return None,
    };
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()?),
        _ => (address, default_port),
    };
    Some((host.trim_matches(['[', ']']).to_owned(), port, tls))
}

/// The transport's tuning, the same for every peer connection.
/// How many checks at `interval` fill `window`.
fn checks_within(window: Duration, interval: Duration) -> u16 {
    let interval = interval.as_millis().max(1);
    u16::try_from(window.as_millis().div_ceil(interval)).unwrap_or(u16::MAX)
}

fn setting_engine(settings: &PeerSettings) -> SettingEngine {
    SettingEngineBuilder::new()
        // mDNS would bind UDP 5353 for every connection and leak nothing
        // we need: candidates go through the desk's signaling server.
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .with_ice_connection_attempts(
            Some(settings.ice_check_interval),
            Some(checks_within(ICE_CHECK_WINDOW, settings.ice_check_interval)),
        )
        // See PRFLX_ACCEPTANCE_WAIT and RELAY_ACCEPTANCE_WAIT.
        .with_prflx_acceptance_min_wait(Some(PRFLX_ACCEPTANCE_WAIT))
        .with_relay_acceptance_min_wait(Some(RELAY_ACCEPTANCE_WAIT))
        // See ICE_KEEPALIVE.
        .with_ice_timeouts(
            Some(ICE_DISCONNECTED_AFTER),
            Some(ICE_FAILED_AFTER),
            Some(ICE_KEEPALIVE),
        )
        // See SCTP_RECEIVE_WINDOW and SRTP_REPLAY_WINDOW.
        .with_sctp_max_receive_buffer_size(SCTP_RECEIVE_WINDOW)
        .with_srtp_replay_protection_window(SRTP_REPLAY_WINDOW)
        // An ICE restart follows a network change: the sockets bound to
        // the addresses this computer had are bound again to those it has.
        .with_discard_local_candidates_during_ice_restart(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_last_the_window_whatever_the_interval() {
        let ms = Duration::from_millis;
        assert_eq!(checks_within(ICE_CHECK_WINDOW, ms(20)), 250);
        assert_eq!(checks_within(ICE_CHECK_WINDOW, ms(200)), 25);
        assert_eq!(checks_within(ICE_CHECK_WINDOW, ms(3000)), 2);
        assert_eq!(checks_within(ICE_CHECK_WINDOW, Duration::ZERO), 5000);
        assert_eq!(checks_within(Duration::from_secs(3600), ms(1)), u16::MAX);
    }
}
