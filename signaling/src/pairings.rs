//! Who is paired with whom: requests waiting for the client's answer, and
//! accepted sessions. A pure table owned by the hub; it decides which
//! connection may do what to a session, and the hub acts on its answers.
//!
//! A client's connection takes part in at most one pairing at a time; an
//! expert's in up to [`MAX_PER_EXPERT`], so one expert can help several
//! clients at once, each in a session of its own. Only the two
//! connections of an accepted pairing may relay signals, and a stranger
//! learns nothing from a refusal: it gets the same answer for a session
//! that does not exist as for one that is not theirs.

use std::collections::HashMap;
use std::time::Instant;

use crate::hub::ConnId;
use crate::ids::ClientId;
use crate::protocol::{Role, Scopes, SessionId};

pub use crate::protocol::MAX_SESSIONS_PER_EXPERT as MAX_PER_EXPERT;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the client until `deadline`.
    Pending { deadline: Instant },
    /// Accepted with these scopes.
    Active { granted: Scopes },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    pub expert: ConnId,
    /// The expert's account and the name the client saw.
    pub expert_user: String,
    pub expert_name: String,
    pub client: ConnId,
    pub client_id: ClientId,
    pub requested: Scopes,
    pub stage: Stage,
}

impl Pairing {
    /// The other side's connection, and which side `conn` is, if it is one.
    pub fn side_of(&self, conn: ConnId) -> Option<(Role, ConnId)> {
        if conn == self.expert {
            Some((Role::Expert, self.client))
        } else if conn == self.client {
            Some((Role::Client, self.expert))
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    #[error("this connection already has as many requests and sessions open as it may")]
    Busy,
    #[error("the client is already answering another request or in a session")]
    ClientBusy,
    #[error("no such session on this connection")]
    NoSuchSession,
    #[error("the session is still waiting for the client's answer")]
    NotAccepted,
    #[error("only the client can answer a request")]
    NotTheClient,
    #[error("the request has already been answered")]
    AlreadyAnswered,
}

#[derive(Debug, Default)]
pub struct Pairings {
    sessions: HashMap<SessionId, Pairing>,
    /// The sessions each connection takes part in, oldest first.
    by_conn: HashMap<ConnId, Vec<SessionId>>,
}

impl Pairings {
    pub fn open(&mut self, session: SessionId, pairing: Pairing) -> Result<(), PairingError> {
        self.can_open(pairing.expert, pairing.client)?;
        for conn in [pairing.expert, pairing.client] {
            self.by_conn.entry(conn).or_default().push(session.clone());
        }
        self.sessions.insert(session, pairing);
        Ok(())
    }

    /// Whether `expert` has room and `client` is free for a new request.
    pub fn can_open(&self, expert: ConnId, client: ConnId) -> Result<(), PairingError> {
        if self.sessions_of(expert).len() >= MAX_PER_EXPERT {
            return Err(PairingError::Busy);
        }
        if !self.sessions_of(client).is_empty() {
            return Err(PairingError::ClientBusy);
        }
        Ok(())
    }

    /// The pairing `conn` belongs to under `session`.
    pub fn get(&self, conn: ConnId, session: &str) -> Result<&Pairing, PairingError> {
        self.sessions
            .get(session)
            .filter(|p| p.side_of(conn).is_some())
            .ok_or(PairingError::NoSuchSession)
    }

    /// The sessions `conn` takes part in, oldest first.
    pub fn sessions_of(&self, conn: ConnId) -> &[SessionId] {
        self.by_conn.get(&conn).map_or(&[], Vec::as_slice)
    }

    /// The client accepts: the pairing becomes active with `granted`,
    /// limited to what was requested. Returns the effective grant.
    pub fn accept(
        &mut self,
        conn: ConnId,
        session: &str,
        granted: Scopes,
    ) -> Result<Scopes, PairingError> {
        let pairing = self.pending_for_client(conn, session)?;
        let granted = pairing.requested.intersect(granted);
        pairing.stage = Stage::Active { granted };
        Ok(granted)
    }

    /// Checks that `conn` is the client of a pending `session`.
    pub fn check_answer(&mut self, conn: ConnId, session: &str) -> Result<(), PairingError> {
        self.pending_for_client(conn, session).map(|_| ())
    }

    /// Where a signal from `conn` for `session` goes.
    pub fn relay_target(
        &self,
        conn: ConnId,
        session: &str,
    ) -> Result<(Role, ConnId), PairingError> {
        let pairing = self.get(conn, session)?;
        let side = pairing.side_of(conn).ok_or(PairingError::NoSuchSession)?;
        match pairing.stage {
            Stage::Active { .. } => Ok(side),
            Stage::Pending { .. } => Err(PairingError::NotAccepted),
        }
    }

    pub fn close(&mut self, session: &str) -> Option<Pairing> {
        let pairing = self.sessions.remove(session)?;
        for conn in [pairing.expert, pairing.client] {
            if let Some(sessions) = self.by_conn.get_mut(&conn) {
                sessions.retain(|s| *s != *session);
                if sessions.is_empty() {
                    self.by_conn.remove(&conn);
                }
            }
        }
        Some(pairing)
    }

    /// Pending requests whose deadline has passed.
    pub fn overdue(&self, now: Instant) -> Vec<SessionId> {
        self.sessions
            .iter()
            .filter(|(_, p)| matches!(p.stage, Stage::Pending { deadline } if deadline <= now))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The earliest pending deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.sessions
            .values()
            .filter_map(|p| match p.stage {
                Stage::Pending { deadline } => Some(deadline),
                Stage::Active { .. } => None,
            })
            .min()
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    fn pending_for_client(
        &mut self,
        conn: ConnId,
        session: &str,
    ) -> Result<&mut Pairing, PairingError> {
        let pairing = self
            .sessions
            .get_mut(session)
            .filter(|p| p.side_of(conn).is_some())
            .ok_or(PairingError::NoSuchSession)?;
        if pairing.client != conn {
            return Err(PairingError::NotTheClient);
        }
        match pairing.stage {
            Stage::Pending { .. } => Ok(pairing),
            Stage::Active { .. } => Err(PairingError::AlreadyAnswered),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::protocol::Scope;

    fn sid(name: &str) -> crate::protocol::SessionId {
        crate::protocol::SessionId::parse(name).unwrap()
    }

    const EXPERT: ConnId = ConnId(1);
    const CLIENT: ConnId = ConnId(2);
    const STRANGER: ConnId = ConnId(3);

    fn pending(now: Instant) -> Pairing {
        Pairing {
            expert: EXPERT,
            expert_user: "ann".into(),
            expert_name: "Ann".into(),
            client: CLIENT,
            client_id: ClientId::try_from("123456").unwrap(),
            requested: [Scope::View, Scope::Control].into_iter().collect(),
            stage: Stage::Pending {
                deadline: now + Duration::from_secs(300),
            },
        }
    }

    #[test]
    fn relay_only_between_the_accepted_pair() {
        let now = Instant::now();
        let mut table = Pairings::default();
        table.open(sid("s1"), pending(now)).unwrap();
        assert_eq!(
            table.relay_target(EXPERT, "s1"),
            Err(PairingError::NotAccepted)
        );
        assert_eq!(
            table.accept(EXPERT, "s1", Scopes::NONE),
            Err(PairingError::NotTheClient)
        );
        let granted = table
            .accept(CLIENT, "s1", Scope::ALL.into_iter().collect())
            .unwrap();
        assert_eq!(
            granted,
            [Scope::View, Scope::Control].into_iter().collect(),
            "a client cannot grant more than was asked"
        );
        assert_eq!(table.relay_target(EXPERT, "s1"), Ok((Role::Expert, CLIENT)));
        assert_eq!(table.relay_target(CLIENT, "s1"), Ok((Role::Client, EXPERT)));
        assert_eq!(
            table.relay_target(STRANGER, "s1"),
            Err(PairingError::NoSuchSession)
        );
        assert_eq!(
            table.relay_target(STRANGER, "nope"),
            Err(PairingError::NoSuchSession)
        );
        assert_eq!(
            table.accept(CLIENT, "s1", Scopes::NONE),
            Err(PairingError::AlreadyAnswered)
        );
    }

    #[test]
    fn one_pairing_per_client_and_a_few_per_expert() {
        let now = Instant::now();
        let mut table = Pairings::default();
        table.open(sid("s1"), pending(now)).unwrap();
        let mut other = pending(now);
        other.expert = STRANGER;
        assert_eq!(
            table.open(sid("s2"), other.clone()),
            Err(PairingError::ClientBusy)
        );
        other.expert = EXPERT;
        for n in 1..MAX_PER_EXPERT {
            other.client = ConnId(100 + n as u64);
            table.open(sid(&format!("more{n}")), other.clone()).unwrap();
        }
        other.client = ConnId(99);
        assert_eq!(table.open(sid("s2"), other), Err(PairingError::Busy));
        assert_eq!(table.sessions_of(EXPERT).len(), MAX_PER_EXPERT);
        assert_eq!(table.sessions_of(EXPERT)[0], "s1");

        assert!(table.close("s1").is_some());
        assert!(table.sessions_of(CLIENT).is_empty());
        assert_eq!(table.sessions_of(EXPERT).len(), MAX_PER_EXPERT - 1);
        for n in 1..MAX_PER_EXPERT {
            assert!(table.close(&format!("more{n}")).is_some());
        }
        assert!(table.sessions_of(EXPERT).is_empty());
        assert!(table.is_empty());
    }

    #[test]
    fn deadlines() {
        let now = Instant::now();
        let mut table = Pairings::default();
        table.open(sid("s1"), pending(now)).unwrap();
        assert_eq!(table.next_deadline(), Some(now + Duration::from_secs(300)));
        assert!(table.overdue(now).is_empty());
        assert_eq!(table.overdue(now + Duration::from_secs(300)), ["s1"]);
        table.accept(CLIENT, "s1", Scopes::NONE).unwrap();
        assert_eq!(table.next_deadline(), None);
        assert!(table.overdue(now + Duration::from_secs(900)).is_empty());
    }
}
