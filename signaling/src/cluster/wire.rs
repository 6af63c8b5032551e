//! What nodes say to each other over Redis pub/sub, as JSON.
//!
//! Every message names the node it came from. A node's own channel
//! carries messages for its connections ([`Body::Deliver`]), requests
//! about the clients, requests and sessions it holds ([`Body::Call`]) and
//! their answers; the desk-wide channel carries what every node must
//! hear.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::hub::{Refusal, SessionOp};
use crate::protocol::{ErrorCode, Scopes, ServerMessage, SessionId};

#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    pub from: String,
    pub body: Body,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Body {
    /// For the connection `conn` of the receiving node.
    Deliver {
        conn: u64,
        message: Box<ServerMessage>,
    },
    /// The sender's connection `origin` asks the receiving node, which
    /// holds what `op` is about.
    Call {
        call: u64,
        origin: u64,
        op: RemoteOp,
    },
    /// The answer to the receiving node's call `call`.
    Reply {
        call: u64,
        refusal: Option<WireRefusal>,
    },
    /// The sender's connection `origin` ended.
    Gone { origin: u64 },
    /// An admin changed the desk's policy: read it again.
    PolicyChanged,
    /// Every sign-in of this account was revoked.
    Revoked { account: String },
}

/// What a connection on one node asks of the node holding its peer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoteOp {
    Connect {
        ip: IpAddr,
        username: String,
        display_name: String,
        id: u32,
        notes: String,
        reason: Option<String>,
        scopes: Scopes,
    },
    Answer {
        session: SessionId,
        accept: Option<Scopes>,
    },
    Session {
        session: SessionId,
        what: SessionOp,
    },
    Rejoin {
        token: String,
    },
    /// The client of `id` came back on another node: give the ID up if
    /// the secret is right and it is still live.
    Surrender {
        id: u32,
        secret: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireRefusal {
    pub code: ErrorCode,
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

impl From<&Refusal> for WireRefusal {
    fn from(refusal: &Refusal) -> Self {
        Self {
            code: refusal.code,
            message: refusal.message.clone(),
            retry_after_ms: refusal
                .retry_after
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

impl From<WireRefusal> for Refusal {
    fn from(wire: WireRefusal) -> Self {
        Refusal {
            code: wire.code,
            message: wire.message,
            retry_after: wire.retry_after_ms.map(std::time::Duration::from_millis),
        }
    }
}
