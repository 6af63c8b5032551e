//! Which STUN and TURN servers the peers use, from the desk's config.
//!
//! TURN credentials follow coturn's `use-auth-secret` REST scheme: the
//! username is `<expiry unix seconds>:<user>` and the password is
//! base64(HMAC-SHA1(secret, username)). coturn checks both with the shared
//! secret, so the signaling server never stores per-user TURN passwords.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use ring::hmac;

use crate::protocol::IceServer;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceConfig {
    /// `stun:host:port` URLs, handed out as they are.
    pub stun_urls: Vec<String>,
    /// `turn:` / `turns:` URLs sharing one secret.
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret`; TURN is offered only when set.
    pub turn_secret: Option<String>,
    /// How long issued TURN credentials stay valid.
    pub turn_ttl: Duration,
}

impl IceConfig {
    /// The servers for one session, `user` naming it in TURN's logs.
    pub fn servers(&self, now: SystemTime, user: &str) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if !self.stun_urls.is_empty() {
            servers.push(IceServer {
                urls: self.stun_urls.clone(),
                username: None,
                credential: None,
            });
        }
        if let Some(secret) = self
            .turn_secret
            .as_deref()
            .filter(|_| !self.turn_urls.is_empty())
        {
            let (username, credential) = turn_credentials(secret, now + self.turn_ttl, user);
            servers.push(IceServer {
                urls: self.turn_urls.clone(),
                username: Some(username),
                credential: Some(credential),
            });
        }
        servers
    }
}

/// coturn REST credentials valid until `expires`.
pub fn turn_credentials(secret: &str, expires: SystemTime, user: &str) -> (String, String) {
    let expiry = expires
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let username = format!("{expiry}:{user}");
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    let tag = hmac::sign(&key, username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
    (username, credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_coturns_rest_scheme() {
        // Computed independently: printf '1700000000:alice' |
        //   openssl dgst -sha1 -hmac 'north' -binary | base64
        let expires = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let (user, password) = turn_credentials("north", expires, "alice");
        assert_eq!(user, "1700000000:alice");
        assert_eq!(password, "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
    }

    #[test]
    fn offers_turn_only_with_a_secret() {
        let mut config = IceConfig {
            stun_urls: vec!["stun:stun.example.org:3478".into()],
            turn_urls: vec!["turn:turn.example.org:3478".into()],
            turn_secret: None,
            turn_ttl: Duration::from_secs(3600),
        };
        let now = UNIX_EPOCH + Duration::from_secs(1000);
        assert_eq!(config.servers(now, "s").len(), 1);
        config.turn_secret = Some("north".into());
        let servers = config.servers(now, "s");
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[1].username.as_deref(), Some("4600:s"));
        assert!(servers[1].credential.is_some());
        assert!(IceConfig::default().servers(now, "s").is_empty());
    }
}
