//! "Restart and reconnect": the tokens a client takes through its restart
//! to come back to the same expert. A pure table owned by the hub; each
//! token works once, for [`LIFETIME`], and only while the expert's
//! connection that held the session is still there.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::hub::ConnId;
use crate::ids::ClientId;
use crate::protocol::{ComputerInfo, Scopes, SessionId};

/// How long a client has to come back (BeyondTrust and Techinline allow
/// a restart a similar while).
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Who the client comes back to, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconnect {
    pub expert: ConnId,
    /// The expert's account and the name the client saw.
    pub expert_user: String,
    pub expert_name: String,
    pub client_id: ClientId,
    pub scopes: Scopes,
    pub previous: SessionId,
    /// What the client said of itself before the restart (its request's
    /// description and computer), for the expert's view and the record.
    pub about: Option<(String, ComputerInfo)>,
}

#[derive(Debug, Default)]
pub struct Reconnects {
    tokens: HashMap<String, (Reconnect, Instant)>,
}

impl Reconnects {
    /// Keeps `reconnect` under `token` until `now + LIFETIME`.
    pub fn hold(&mut self, now: Instant, token: String, reconnect: Reconnect) {
        self.tokens.retain(|_, (_, expires)| *expires > now);
        self.tokens.insert(token, (reconnect, now + LIFETIME));
    }

    /// The reconnect `token` stands for, once, if it has not expired.
    pub fn redeem(&mut self, now: Instant, token: &str) -> Option<Reconnect> {
        let (reconnect, expires) = self.tokens.remove(token)?;
        (expires > now).then_some(reconnect)
    }

    /// The expert's connection went: nobody is there to come back to.
    pub fn forget_expert(&mut self, expert: ConnId) {
        self.tokens.retain(|_, (r, _)| r.expert != expert);
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconnect(expert: u64) -> Reconnect {
        Reconnect {
            expert: ConnId(expert),
            expert_user: "ann".into(),
            expert_name: "Ann".into(),
            client_id: ClientId::new(123_456).unwrap(),
            scopes: Scopes::NONE,
            previous: SessionId::parse("s1").unwrap(),
            about: None,
        }
    }

    #[test]
    fn a_token_works_once_and_not_after_its_lifetime() {
        let now = Instant::now();
        let mut table = Reconnects::default();
        table.hold(now, "t1".into(), reconnect(1));
        assert_eq!(table.redeem(now, "t1"), Some(reconnect(1)));
        assert_eq!(table.redeem(now, "t1"), None);
        table.hold(now, "t2".into(), reconnect(1));
        assert_eq!(table.redeem(now + LIFETIME, "t2"), None);
        assert!(table.is_empty());
    }

    #[test]
    fn a_token_dies_with_its_experts_connection() {
        let now = Instant::now();
        let mut table = Reconnects::default();
        table.hold(now, "t1".into(), reconnect(1));
        table.hold(now, "t2".into(), reconnect(2));
        table.forget_expert(ConnId(1));
        assert_eq!(table.redeem(now, "t1"), None);
        assert_eq!(table.redeem(now, "t2"), Some(reconnect(2)));
    }
}
