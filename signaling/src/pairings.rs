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
//!
//! A side of an accepted session whose connection drops is away, not
//! gone: until its grace ends it may come back on a new connection with
//! the secret it got when the session started (its network changed, and
//! an ICE restart needs the desk to carry the new offer and answer).

use std::collections::HashMap;
use std::time::Instant;

use ring::digest;

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
    /// When the request was made.
    pub opened: Instant,
    /// The desk records this session (its policy when it was asked).
    pub recorded: bool,
    /// Once accepted: each side's way back after its link drops.
    pub returns: Returns,
}

/// The ways back of an accepted session's two sides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Returns {
    expert: Return,
    client: Return,
}

/// One side's way back: the hash of its secret, and the end of its grace
/// while its link is down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Return {
    secret_hash: Option<Vec<u8>>,
    away_until: Option<Instant>,
}

impl Return {
    fn armed(secret: &str) -> Self {
        Return {
            secret_hash: Some(hash(secret)),
            away_until: None,
        }
    }

    fn opens_with(&self, secret: &str) -> bool {
        self.secret_hash.as_deref() == Some(hash(secret).as_slice())
    }
}

fn hash(secret: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, secret.as_bytes())
        .as_ref()
        .to_vec()
}

impl Returns {
    fn of(&self, role: Role) -> &Return {
        match role {
            Role::Expert => &self.expert,
            Role::Client => &self.client,
        }
    }

    fn of_mut(&mut self, role: Role) -> &mut Return {
        match role {
            Role::Expert => &mut self.expert,
            Role::Client => &mut self.client,
        }
    }

    /// The side whose grace ends first, and when.
    fn first_due(&self) -> Option<(Instant, Role)> {
        [(&self.expert, Role::Expert), (&self.client, Role::Client)]
            .into_iter()
            .filter_map(|(side, role)| side.away_until.map(|until| (until, role)))
            .min_by_key(|(until, _)| *until)
    }
}

impl Pairing {
    fn conn_of(&mut self, role: Role) -> &mut ConnId {
        match role {
            Role::Expert => &mut self.expert,
            Role::Client => &mut self.client,
        }
    }

    fn other_than(&self, role: Role) -> ConnId {
        match role {
            Role::Expert => self.client,
            Role::Client => self.expert,
        }
    }

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
    #[error("only the expert reports that")]
    NotTheExpert,
    #[error("the request has already been answered")]
    AlreadyAnswered,
    #[error("no running session of yours takes that secret")]
    NoWayBack,
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

    /// Arms the ways back of the active `session`, one secret per side.
    pub fn arm(&mut self, session: &str, expert_secret: &str, client_secret: &str) {
        if let Some(pairing) = self.sessions.get_mut(session) {
            pairing.returns = Returns {
                expert: Return::armed(expert_secret),
                client: Return::armed(client_secret),
            };
        }
    }

    /// `conn`'s link dropped: its side of the active `session` is away
    /// until `until`, and `conn` no longer takes part. Returns the side
    /// and the other side's connection; `None` (nothing changed) for a
    /// session that is not active or not `conn`'s.
    pub fn away(&mut self, conn: ConnId, session: &str, until: Instant) -> Option<(Role, ConnId)> {
        let pairing = self.sessions.get_mut(session)?;
        let (role, other) = pairing.side_of(conn)?;
        if !matches!(pairing.stage, Stage::Active { .. }) {
            return None;
        }
        pairing.returns.of_mut(role).away_until = Some(until);
        self.unindex(conn, session);
        Some((role, other))
    }

    /// `conn`, which speaks as `role`, takes its side of the active
    /// `session` back with `secret`, whether or not its old connection
    /// was seen to drop. Returns the old connection and the other side's.
    pub fn reattach(
        &mut self,
        conn: ConnId,
        role: Role,
        session: &SessionId,
        secret: &str,
    ) -> Result<(ConnId, ConnId), PairingError> {
        let pairing = self
            .sessions
            .get(session.as_str())
            .filter(|p| matches!(p.stage, Stage::Active { .. }))
            .filter(|p| p.returns.of(role).opens_with(secret))
            .ok_or(PairingError::NoWayBack)?;
        let old = match role {
            Role::Expert => pairing.expert,
            Role::Client => pairing.client,
        };
        if old != conn {
            match role {
                Role::Client if !self.sessions_of(conn).is_empty() => {
                    return Err(PairingError::ClientBusy);
                }
                Role::Expert if self.sessions_of(conn).len() >= MAX_PER_EXPERT => {
                    return Err(PairingError::Busy);
                }
                _ => {}
            }
        }
        let pairing = self
            .sessions
            .get_mut(session.as_str())
            .ok_or(PairingError::NoWayBack)?;
        *pairing.conn_of(role) = conn;
        pairing.returns.of_mut(role).away_until = None;
        let other = pairing.other_than(role);
        if old != conn {
            self.unindex(old, session);
            self.by_conn.entry(conn).or_default().push(session.clone());
        }
        Ok((old, other))
    }

    /// Active sessions a side of which stayed away past its grace, with
    /// that side.
    pub fn abandoned(&self, now: Instant) -> Vec<(SessionId, Role)> {
        self.sessions
            .iter()
            .filter_map(|(id, p)| match p.returns.first_due() {
                Some((until, role)) if until <= now => Some((id.clone(), role)),
                _ => None,
            })
            .collect()
    }

    pub fn close(&mut self, session: &str) -> Option<Pairing> {
        let pairing = self.sessions.remove(session)?;
        for conn in [pairing.expert, pairing.client] {
            self.unindex(conn, session);
        }
        Some(pairing)
    }

    /// `conn` no longer lists `session` among its own.
    fn unindex(&mut self, conn: ConnId, session: &str) {
        if let Some(sessions) = self.by_conn.get_mut(&conn) {
            sessions.retain(|s| *s != *session);
            if sessions.is_empty() {
                self.by_conn.remove(&conn);
            }
        }
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
                Stage::Active { .. } => p.returns.first_due().map(|(until, _)| until),
            })
            .min()
    }

    /// Every request and session.
    pub fn iter(&self) -> impl Iterator<Item = (&SessionId, &Pairing)> {
        self.sessions.iter()
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
            opened: now,
            recorded: false,
            returns: Returns::default(),
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

    #[test]
    fn an_away_side_comes_back_with_its_own_secret_within_its_grace() {
        let now = Instant::now();
        let grace = Duration::from_secs(30);
        let mut table = Pairings::default();
        table.open(sid("s1"), pending(now)).unwrap();
        assert_eq!(
            table.away(CLIENT, "s1", now + grace),
            None,
            "a request is not away"
        );
        table.accept(CLIENT, "s1", Scopes::NONE).unwrap();
        table.arm("s1", "e-secret", "c-secret");

        assert_eq!(
            table.away(CLIENT, "s1", now + grace),
            Some((Role::Client, EXPERT))
        );
        assert!(table.sessions_of(CLIENT).is_empty());
        assert_eq!(table.next_deadline(), Some(now + grace));
        let back = ConnId(9);
        for (role, secret) in [
            (Role::Client, "e-secret"),
            (Role::Expert, "c-secret"),
            (Role::Client, ""),
        ] {
            assert_eq!(
                table.reattach(back, role, &sid("s1"), secret),
                Err(PairingError::NoWayBack)
            );
        }
        assert_eq!(
            table.reattach(back, Role::Client, &sid("s1"), "c-secret"),
            Ok((CLIENT, EXPERT))
        );
        assert_eq!(table.relay_target(EXPERT, "s1"), Ok((Role::Expert, back)));
        assert_eq!(table.sessions_of(back), ["s1"]);
        assert_eq!(table.next_deadline(), None);
        assert!(table.abandoned(now + grace * 2).is_empty());

        // Away again, and this time for good.
        table.away(back, "s1", now + grace);
        assert!(table.abandoned(now).is_empty());
        assert_eq!(table.abandoned(now + grace), [(sid("s1"), Role::Client)]);
    }

    #[test]
    fn a_connection_back_takes_no_more_sessions_than_a_new_one_may() {
        let now = Instant::now();
        let mut table = Pairings::default();
        table.open(sid("s1"), pending(now)).unwrap();
        table.accept(CLIENT, "s1", Scopes::NONE).unwrap();
        table.arm("s1", "e", "c");
        let mut other = pending(now);
        other.client = ConnId(5);
        other.expert = ConnId(6);
        table.open(sid("s2"), other).unwrap();
        assert_eq!(
            table.reattach(ConnId(5), Role::Client, &sid("s1"), "c"),
            Err(PairingError::ClientBusy)
        );
        assert_eq!(table.relay_target(CLIENT, "s1"), Ok((Role::Client, EXPERT)));
    }
}
