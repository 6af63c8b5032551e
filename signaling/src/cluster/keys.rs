//! The names of this desk's keys and channels in Redis, all under one
//! prefix.

use std::net::IpAddr;

use crate::ids::ClientId;

#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// A client ID's record: its home node, the reclaim secret's hash,
    /// whether it is live, and when it expires.
    pub fn id(&self, id: ClientId) -> String {
        format!("{}:id:{id}", self.prefix)
    }

    /// Which node holds a request or session.
    pub fn session(&self, session: &str) -> String {
        format!("{}:session:{session}", self.prefix)
    }

    /// Which node holds a client's reconnect token (by the token's hash).
    pub fn rejoin(&self, token_hash: &str) -> String {
        format!("{}:rejoin:{token_hash}", self.prefix)
    }

    /// Exists while `node` is alive: it renews it every second.
    pub fn alive(&self, node: &str) -> String {
        format!("{}:alive:{node}", self.prefix)
    }

    /// The channel `node` listens on.
    pub fn inbox(&self, node: &str) -> String {
        format!("{}:node:{node}", self.prefix)
    }

    /// The channel every node listens on.
    pub fn everyone(&self) -> String {
        format!("{}:all", self.prefix)
    }

    /// An expert account's streak of misses.
    pub fn account_misses(&self, account: &str) -> String {
        format!("{}:gate:account:{account}", self.prefix)
    }

    /// An address's streak of misses.
    pub fn address_misses(&self, ip: IpAddr) -> String {
        format!("{}:gate:ip:{}", self.prefix, ip.to_canonical())
    }

    /// The desk's misses in the last hour.
    pub fn desk_misses(&self) -> String {
        format!("{}:gate:desk", self.prefix)
    }
}
