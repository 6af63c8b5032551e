//! What two peers say to each other through the signaling server: the SDP
//! offer and answer and trickled ICE candidates. The server relays these
//! opaquely; only the peers parse them, here, with size limits.

use serde::{Deserialize, Serialize};

/// The largest SDP we accept from the other peer. Ours are a few KiB.
pub const MAX_SDP_LEN: usize = 64 * 1024;
/// The largest ICE candidate line we accept.
pub const MAX_CANDIDATE_LEN: usize = 1024;
/// The longest PIN-check message (hex of a SPAKE2 message or a MAC).
pub const MAX_PIN_MESSAGE_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    Offer {
        sdp: String,
    },
    Answer {
        sdp: String,
    },
    /// One trickled candidate, in the browser's `RTCIceCandidateInit` shape.
    Ice {
        candidate: String,
        #[serde(default, rename = "sdpMid")]
        sdp_mid: Option<String>,
        #[serde(default, rename = "sdpMLineIndex")]
        sdp_mline_index: Option<u16>,
    },
    /// The PIN check, either way: this peer's SPAKE2 message (hex). The
    /// server sees it but cannot learn the PIN or the key from it.
    Pake {
        message: String,
    },
    /// The PIN check, either way: an HMAC (hex), under the key both peers
    /// derived from the PIN, over the DTLS fingerprints this peer sees.
    PinProof {
        proof: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    #[error("the peer's signal is not valid JSON of a known kind: {0}")]
    Malformed(String),
    #[error("the peer's {kind} is {len} bytes, over the {max}-byte limit")]
    TooLarge {
        kind: &'static str,
        len: usize,
        max: usize,
    },
}

impl Signal {
    /// Parses and bounds a signal received from the other peer.
    pub fn from_json(json: &str) -> Result<Self, SignalError> {
        let signal: Signal =
            serde_json::from_str(json).map_err(|e| SignalError::Malformed(e.to_string()))?;
        signal.check_size()?;
        Ok(signal)
    }

    pub fn to_json(&self) -> String {
        // A struct of strings and integers always serialises.
        serde_json::to_string(self).expect("signal serialises")
    }

    pub fn check_size(&self) -> Result<(), SignalError> {
        let (kind, len, max) = match self {
            Signal::Offer { sdp } => ("offer", sdp.len(), MAX_SDP_LEN),
            Signal::Answer { sdp } => ("answer", sdp.len(), MAX_SDP_LEN),
            Signal::Ice { candidate, .. } => ("candidate", candidate.len(), MAX_CANDIDATE_LEN),
            Signal::Pake { message } => ("PIN message", message.len(), MAX_PIN_MESSAGE_LEN),
            Signal::PinProof { proof } => ("PIN proof", proof.len(), MAX_PIN_MESSAGE_LEN),
        };
        if len > max {
            return Err(SignalError::TooLarge { kind, len, max });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_json() {
        assert_eq!(
            Signal::Offer { sdp: "v=0".into() }.to_json(),
            r#"{"kind":"offer","sdp":"v=0"}"#
        );
        assert_eq!(
            Signal::Answer { sdp: "v=0".into() }.to_json(),
            r#"{"kind":"answer","sdp":"v=0"}"#
        );
        let ice = Signal::Ice {
            candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        };
        let json = ice.to_json();
        assert_eq!(
            json,
            r#"{"kind":"ice","candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}"#
        );
        assert_eq!(Signal::from_json(&json).unwrap(), ice);
    }

    #[test]
    fn rejects_unknown_kinds_and_garbage() {
        assert!(matches!(
            Signal::from_json(r#"{"kind":"reboot"}"#),
            Err(SignalError::Malformed(_))
        ));
        assert!(matches!(
            Signal::from_json("\u{0}"),
            Err(SignalError::Malformed(_))
        ));
        assert!(matches!(
            Signal::from_json(r#"{"kind":"offer"}"#),
            Err(SignalError::Malformed(_))
        ));
    }

    #[test]
    fn rejects_oversized_sdp() {
        let sdp = "a".repeat(MAX_SDP_LEN + 1);
        let json = Signal::Offer { sdp }.to_json();
        assert_eq!(
            Signal::from_json(&json),
            Err(SignalError::TooLarge {
                kind: "offer",
                len: MAX_SDP_LEN + 1,
                max: MAX_SDP_LEN
            })
        );
    }
}
