//! The webrtc-rs event handler. Its callbacks run inside the connection's
//! driver loop (which also keeps ICE, DTLS and SCTP alive), so they only
//! forward events into a bounded channel and return.

use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc;
use webrtc::data_channel::DataChannel;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState,
};

use super::video::{ExtensionIds, Tapped, VideoReceiver};
use super::{ConnectionState, PeerEvent, Signal};

pub(super) struct Forwarder {
    pub(super) events: mpsc::Sender<PeerEvent>,
    /// The video extensions' ids, set once the remote description is.
    pub(super) extension_ids: Arc<OnceLock<ExtensionIds>>,
    /// The screen's packets from the interceptor chain, for the one track.
    pub(super) tapped: std::sync::Mutex<Option<Tapped>>,
}

impl Forwarder {
    fn forward(&self, event: PeerEvent) {
        // The owner drains this channel promptly; if it is full or gone the
        // session is ending or stuck, and blocking the driver would only make
        // it worse, so the event is dropped with a log line.
        if let Err(error) = self.events.try_send(event) {
            tracing::warn!(%error, "peer event dropped");
        }
    }
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Forwarder {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        match event.candidate.to_json() {
            Ok(init) => self.forward(PeerEvent::LocalSignal(Signal::Ice {
                candidate: init.candidate,
                sdp_mid: init.sdp_mid,
                sdp_mline_index: init.sdp_mline_index,
            })),
            Err(error) => tracing::warn!(%error, "could not serialise a local candidate"),
        }
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.forward(PeerEvent::GatheringComplete);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let state = match state {
            RTCPeerConnectionState::Connected => ConnectionState::Connected,
            RTCPeerConnectionState::Disconnected => ConnectionState::Disconnected,
            RTCPeerConnectionState::Failed => ConnectionState::Failed,
            RTCPeerConnectionState::Closed => ConnectionState::Closed,
            _ => ConnectionState::Connecting,
        };
        self.forward(PeerEvent::State(state));
    }

    async fn on_data_channel(&self, channel: Arc<dyn DataChannel>) {
        self.forward(PeerEvent::DataChannel(channel));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let ids = self.extension_ids.get().copied().unwrap_or_default();
        let tapped = self
            .tapped
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        self.forward(PeerEvent::Video(VideoReceiver::new(track, ids, tapped)));
    }
}
