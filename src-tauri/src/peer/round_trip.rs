//! The connection's round trip on its chosen path, as ICE's consent
//! checks last measured it (every few seconds). A file transfer sizes
//! what it keeps queued in the connection by it.

use std::sync::Arc;
use std::time::Duration;

use webrtc::peer_connection::{PeerConnection, StatsSelector};

/// Reads the round trip of one connection; clones share it.
#[derive(Clone, Default)]
pub struct RoundTrip(Option<Arc<dyn PeerConnection>>);

impl std::fmt::Debug for RoundTrip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RoundTrip")
            .field(&self.0.as_ref().map(|_| "connection"))
            .finish()
    }
}

impl RoundTrip {
    pub(super) fn of(pc: &Arc<dyn PeerConnection>) -> Self {
        Self(Some(Arc::clone(pc)))
    }

    /// One that never knows (a channel with no connection to ask).
    pub fn unknown() -> Self {
        Self(None)
    }

    /// The last round trip measured on the chosen candidate pair; `None`
    /// before one is chosen and measured.
    pub async fn read(&self) -> Option<Duration> {
        let pc = self.0.as_ref()?;
        let report = pc
            .get_stats(std::time::Instant::now(), StatsSelector::None)
            .await;
        let seconds = super::path::chosen_pair(&report)?.current_round_trip_time;
        (seconds.is_finite() && seconds > 0.0).then(|| Duration::from_secs_f64(seconds))
    }
}
