//! The webrtc-rs event handler. Its callbacks run inside the connection's
//! driver loop (which also keeps ICE, DTLS and SCTP alive), so they only
//! forward events into a bounded channel and return.
//!
//! No event is dropped: when the owner falls behind, the callback waits for
//! room, which holds this connection's driver back (backpressure on the
//! one peer that floods, nobody else). A peer can open channels without
//! end, so past [`MAX_CHANNELS`] they are closed instead of forwarded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc;
use webrtc::data_channel::DataChannel;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState,
};

use super::video::{ExtensionIds, Tapped, VideoReceiver};
use super::{Channel, ConnectionState, PeerEvent, Signal};

/// The data channels a peer may open in one connection; Lifeline's expert
/// opens four.
pub(super) const MAX_CHANNELS: usize = 16;

pub(super) struct Forwarder {
    pub(super) events: mpsc::Sender<PeerEvent>,
    /// The video extensions' ids, set once the remote description is.
    pub(super) extension_ids: Arc<OnceLock<ExtensionIds>>,
    /// The screen's packets from the interceptor chain, for the one track.
    pub(super) tapped: std::sync::Mutex<Option<Tapped>>,
    /// The data channels the other peer has opened so far.
    pub(super) channels: AtomicUsize,
}

impl Forwarder {
    /// Hands `event` to the owner, waiting for room. Only a closed receiver
    /// (the session is over) loses it.
    async fn forward(&self, event: PeerEvent) {
        if self.events.send(event).await.is_err() {
            tracing::debug!("peer event after the session ended");
        }
    }
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Forwarder {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        match event.candidate.to_json() {
            Ok(init) => {
                self.forward(PeerEvent::LocalSignal(Signal::Ice {
                    candidate: init.candidate,
                    sdp_mid: init.sdp_mid,
                    sdp_mline_index: init.sdp_mline_index,
                }))
                .await
            }
            Err(error) => tracing::warn!(%error, "could not serialise a local candidate"),
        }
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.forward(PeerEvent::GatheringComplete).await;
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
        self.forward(PeerEvent::State(state)).await;
    }

    async fn on_data_channel(&self, channel: Arc<dyn DataChannel>) {
        let channel = Channel::new(channel);
        if self.channels.fetch_add(1, Ordering::Relaxed) >= MAX_CHANNELS {
            tracing::warn!(?channel, "the peer opened too many data channels; closed");
            return channel.close().await;
        }
        self.forward(PeerEvent::DataChannel(channel)).await;
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let ids = self.extension_ids.get().copied().unwrap_or_default();
        let tapped = self
            .tapped
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        self.forward(PeerEvent::Video(VideoReceiver::new(track, ids, tapped)))
            .await;
    }
}
