//! Which way a session's packets go: the ICE candidate pair the
//! connection chose, as the expert's statistics and the session log show
//! it (direct on the LAN, through a NAT, or relayed by the desk's TURN
//! server, over UDP, TCP or TLS).

use std::sync::Arc;
use std::time::Duration;

use lifeline_signaling::protocol::{SessionPath, Transport};
use rtc::peer_connection::transport::RTCIceCandidateType;
use rtc::statistics::stats::ice_candidate_pair::RTCIceCandidatePairStats;
use serde::{Deserialize, Serialize};
use webrtc::peer_connection::{PeerConnection, RTCStatsReport, RTCStatsReportEntry, StatsSelector};

/// How often the statistics are looked at while the path is not in them.
pub(super) const POLL: Duration = Duration::from_millis(100);

/// How one end of the chosen pair was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// An address of the computer itself.
    Host,
    /// The address a NAT showed the STUN server.
    ServerReflexive,
    /// The address a NAT showed the other peer.
    PeerReflexive,
    /// An address on the TURN server, which relays every packet.
    Relay,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPath {
    pub local: Reach,
    pub remote: Reach,
    /// "udp" or "tcp", between this computer and the first hop.
    pub protocol: String,
    /// For a relayed path: how this side reaches the TURN server ("udp",
    /// "tcp" or "tls").
    pub relay_protocol: Option<String>,
}

impl NetworkPath {
    /// Whether a TURN server carries the session on either side.
    pub fn relayed(&self) -> bool {
        self.local == Reach::Relay || self.remote == Reach::Relay
    }

    /// The path with the other side's word for its own end: a relayed
    /// candidate the other side had not yet signalled when its checks
    /// arrived looks peer-reflexive from here, and only the other side
    /// knows it is the TURN server's. (A peer-reflexive end whose side
    /// says "host" is that host behind a NAT, and stays as it is.)
    pub fn seen_with(mut self, peer_end: Option<Reach>) -> Self {
        if (self.remote, peer_end) == (Reach::PeerReflexive, Some(Reach::Relay)) {
            self.remote = Reach::Relay;
        }
        self
    }

    /// As the desk's session record keeps it: relayed or not, and the
    /// transport (for this side's relay, how it reaches the TURN server).
    pub fn report(&self) -> SessionPath {
        let transport = match &self.relay_protocol {
            Some(relay) if self.local == Reach::Relay => relay.as_str(),
            _ => self.protocol.as_str(),
        };
        SessionPath {
            relayed: self.relayed(),
            transport: match transport {
                "tcp" => Transport::Tcp,
                "tls" => Transport::Tls,
                _ => Transport::Udp,
            },
        }
    }
}

impl std::fmt::Display for NetworkPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.relayed() { "relayed" } else { "direct" };
        write!(
            f,
            "{how} ({:?}/{:?}, {}",
            self.local, self.remote, self.protocol
        )?;
        if let Some(relay) = &self.relay_protocol {
            write!(f, ", TURN over {relay}")?;
        }
        f.write_str(")")
    }
}

fn reach(kind: RTCIceCandidateType) -> Option<Reach> {
    match kind {
        RTCIceCandidateType::Host => Some(Reach::Host),
        RTCIceCandidateType::Srflx => Some(Reach::ServerReflexive),
        RTCIceCandidateType::Prflx => Some(Reach::PeerReflexive),
        RTCIceCandidateType::Relay => Some(Reach::Relay),
        _ => None,
    }
}

/// The chosen path, from the connection's statistics now.
pub(super) async fn read(pc: &Arc<dyn PeerConnection>, bridged: &[Bridged]) -> Option<NetworkPath> {
    let report = pc
        .get_stats(std::time::Instant::now(), StatsSelector::None)
        .await;
    chosen(&report, bridged)
}

/// A TURN server reached over TCP or TLS through a bridge on loopback
/// (`turn_tcp.rs`): the bridge's address, and the real leg's protocol.
pub(super) type Bridged = (std::net::SocketAddr, &'static str);

/// Whether `entry` is the candidate a pair names. webrtc-rs 0.21 names it
/// `candidate:…` in the pair and `RTCLocalIceCandidate_candidate:…` (or
/// `RTCRemoteIceCandidate_…`) in the report; either form is taken.
fn names(entry: &RTCStatsReportEntry, candidate: &str) -> bool {
    let id = entry.id();
    id == candidate
        || id
            .strip_suffix(candidate)
            .is_some_and(|prefix| prefix.ends_with('_'))
}

/// The candidate pair ICE chose, in a stats report, once it has chosen.
pub(super) fn chosen_pair(report: &RTCStatsReport) -> Option<&RTCIceCandidatePairStats> {
    let pair_id = &report.transport()?.selected_candidate_pair_id;
    report
        .candidate_pairs()
        .find(|pair| &pair.stats.id == pair_id)
}

/// The chosen pair in a stats report, if one is chosen yet.
pub(super) fn chosen(report: &RTCStatsReport, bridged: &[Bridged]) -> Option<NetworkPath> {
    let pair = chosen_pair(report)?;
    let local = report.iter().find_map(|entry| match entry {
        RTCStatsReportEntry::LocalCandidate(c) if names(entry, &pair.local_candidate_id) => Some(c),
        _ => None,
    })?;
    // A candidate never signalled (learned from the other peer's checks)
    // is not in the report: by ICE's definition it is peer-reflexive. A
    // relayed or server-reflexive one is always signalled.
    let remote = report.iter().find_map(|entry| match entry {
        RTCStatsReportEntry::RemoteCandidate(c) if names(entry, &pair.remote_candidate_id) => {
            reach(c.candidate_type)
        }
        _ => None,
    });
    let local_reach = reach(local.candidate_type)?;
    // webrtc-rs's own TURN client speaks UDP only, and leaves the
    // protocol unspecified in its statistics; a bridged server's leg is
    // the bridge's.
    let bridge = bridged
        .iter()
        .find(|(at, _)| local.url.contains(&at.to_string()))
        .map(|(_, protocol)| (*protocol).to_owned());
    let relay_protocol = (local_reach == Reach::Relay)
        .then(|| serde_json::to_value(local.relay_protocol).ok())
        .flatten()
        .and_then(|value| value.as_str().map(str::to_lowercase))
        .map(|protocol| match protocol.as_str() {
            "tcp" | "tls" => protocol,
            _ => bridge.unwrap_or_else(|| "udp".to_owned()),
        });
    Some(NetworkPath {
        local: local_reach,
        remote: remote.unwrap_or(Reach::PeerReflexive),
        protocol: local.protocol.to_lowercase(),
        relay_protocol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(local: Reach, remote: Reach) -> NetworkPath {
        NetworkPath {
            local,
            remote,
            protocol: "udp".into(),
            relay_protocol: None,
        }
    }

    #[test]
    fn the_peers_word_names_an_end_learned_from_its_checks() {
        let seen = path(Reach::Host, Reach::PeerReflexive);
        assert!(!seen.clone().relayed());
        let told = seen.clone().seen_with(Some(Reach::Relay));
        assert_eq!(told.remote, Reach::Relay);
        assert!(told.relayed());
        assert!(told.report().relayed);
        // A signalled end keeps its own type; no word changes nothing.
        let direct = path(Reach::Host, Reach::ServerReflexive);
        assert_eq!(direct.clone().seen_with(Some(Reach::Relay)), direct);
        assert_eq!(seen.clone().seen_with(None), seen);
        assert_eq!(seen.clone().seen_with(Some(Reach::Host)), seen);
    }
}
