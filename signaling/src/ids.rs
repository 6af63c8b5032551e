//! One-time client IDs: six digits, valid for one hour, good for one session.
//!
//! [`IdRegistry`] is a synchronous state machine: every call takes `now`, so
//! tests move time forward instead of sleeping, and its owner (the hub) is the
//! only one that touches it. It follows the seeds' rules:
//! - an ID is drawn from a CSPRNG ([`IdSource`], `ring` in production);
//! - it expires one hour after it was issued;
//! - it is used up by the first session it starts;
//! - asking again supersedes the client's previous ID, and so does the client
//!   leaving or staying disconnected past a grace period;
//! - an ID is never handed out while live, nor within an hour of its end, so a
//!   stale ID read over the phone can never reach a different person.
//!
//! A client that reconnects within the grace period reclaims its ID with the
//! secret it received when the ID was issued.
//!
//! Time passes through a deadline-ordered index: each state that will
//! change by itself (an ID expiring, a grace period ending, a spent ID
//! leaving the hour it is held back) puts its deadline on a min-heap, and
//! [`IdRegistry::advance`] pops only what is due. Nothing scans the table,
//! so a desk holding 100,000 IDs issues and looks up as fast as an empty
//! one, and the table has a hard cap ([`IssueError::Full`]).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

use ring::digest;

use crate::random;

/// How long an ID stays valid, and how long a spent ID is kept from reuse
/// (the seeds' rule; configurable only so tests can shorten it).
pub const ID_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// A six-digit client ID, such as `048213`. Parsing validates the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(u32);

impl ClientId {
    pub const SPACE: u32 = 1_000_000;

    /// Wraps a number below one million.
    pub fn new(value: u32) -> Option<Self> {
        (value < Self::SPACE).then_some(Self(value))
    }

    /// The six-digit number.
    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// Why a typed ID is not even a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdFormatError {
    #[error("no client ID was entered")]
    Empty,
    #[error("a client ID is exactly six digits")]
    NotSixDigits,
}

impl TryFrom<&str> for ClientId {
    type Error = IdFormatError;

    /// Accepts six digits, ignoring the spaces people type between groups.
    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.is_empty() {
            return Err(IdFormatError::Empty);
        }
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdFormatError::NotSixDigits);
        }
        // Six ASCII digits always parse and are below one million.
        Ok(Self(digits.parse().expect("six digits")))
    }
}

/// Random numbers for IDs and reclaim secrets.
pub trait IdSource {
    /// A uniformly random ID number below [`ClientId::SPACE`].
    fn id_number(&mut self) -> u32;
    /// A random secret the client proves ownership with.
    fn secret(&mut self) -> [u8; 16];
}

/// The production source: `ring`'s system CSPRNG.
#[derive(Debug, Default)]
pub struct SystemIdSource;

impl IdSource for SystemIdSource {
    fn id_number(&mut self) -> u32 {
        // Rejection sampling: the largest multiple of a million below 2^32
        // keeps every ID equally likely.
        const LIMIT: u32 = u32::MAX - (u32::MAX % ClientId::SPACE);
        loop {
            let value = u32::from_be_bytes(random::bytes());
            if value < LIMIT {
                return value % ClientId::SPACE;
            }
        }
    }

    fn secret(&mut self) -> [u8; 16] {
        random::bytes()
    }
}

/// A uniformly random ID number, from the system's CSPRNG.
pub fn random_number() -> u32 {
    SystemIdSource.id_number()
}

/// A number and secret chosen before the registry sees them: in a
/// cluster, reserved in Redis first so that no other node takes them.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub number: u32,
    pub secret: [u8; 16],
}

impl IdSource for Preset {
    fn id_number(&mut self) -> u32 {
        self.number
    }

    fn secret(&mut self) -> [u8; 16] {
        self.secret
    }
}

/// What an expert learns when looking an ID up; each has its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("no client has this ID")]
    Unknown,
    #[error("this ID was already used for a session")]
    Used,
    #[error("the client has a newer ID")]
    Superseded,
    #[error("this ID has expired")]
    Expired,
    #[error("the client is offline")]
    Offline,
}

/// Why no ID was issued; either way the desk is under a flood or
/// misconfigured, and the client should try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The table holds its maximum of live and held-back IDs.
    #[error("the desk holds as many client IDs as it may")]
    Full,
    /// Random draws kept landing on taken numbers.
    #[error("no free client ID could be found")]
    Exhausted,
}

/// The most IDs (live, or ended and held back for the hour) a registry
/// holds unless configured otherwise: a tenth of the space, so a free
/// number is found in a draw or two.
pub const DEFAULT_MAX_IDS: usize = 100_000;

/// A freshly issued ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub id: ClientId,
    pub expires_at: Instant,
    /// Hex secret for reclaiming the ID after a reconnect.
    pub secret: String,
}

#[derive(Debug, Clone)]
enum State<O> {
    Live {
        owner: O,
        expires_at: Instant,
        /// Set while the owner is disconnected: when its grace ends.
        offline_until: Option<Instant>,
        secret_hash: digest::Digest,
    },
    /// Ended (used, superseded or expired) at `since`; kept to answer
    /// lookups and to keep the number from being reissued for an hour.
    Ended { how: LookupError, since: Instant },
}

/// An ended ID is held for its lifetime, and never less than this: an ID
/// read out just before it expired is still being typed a little later,
/// and "expired" tells that person more than "no client has this ID"
/// (what a desk configured with IDs of a few seconds said after as many).
const HELD_AT_LEAST: Duration = Duration::from_secs(60);

impl<O> State<O> {
    /// A live ID of `owner`'s, whose client proves itself with `secret`.
    fn live(owner: O, expires_at: Instant, secret: &str) -> Self {
        State::Live {
            owner,
            expires_at,
            offline_until: None,
            secret_hash: digest::digest(&digest::SHA256, secret.as_bytes()),
        }
    }

    /// When this state changes by itself.
    fn due(&self, lifetime: Duration) -> Instant {
        match self {
            State::Live {
                expires_at,
                offline_until,
                ..
            } => offline_until.map_or(*expires_at, |until| until.min(*expires_at)),
            State::Ended { since, .. } => *since + lifetime.max(HELD_AT_LEAST),
        }
    }
}

#[derive(Debug)]
pub struct IdRegistry<O> {
    entries: HashMap<ClientId, State<O>>,
    by_owner: HashMap<O, ClientId>,
    /// Every deadline ever set, soonest first. An entry whose ID has since
    /// changed state is stale, and is dropped when it comes up.
    deadlines: BinaryHeap<Reverse<(Instant, ClientId)>>,
    grace: Duration,
    lifetime: Duration,
    max_entries: usize,
}

impl<O: Copy + Eq + Hash + fmt::Debug> IdRegistry<O> {
    /// `grace`: how long a disconnected client keeps its ID.
    pub fn new(grace: Duration) -> Self {
        Self::with_lifetime(grace, ID_LIFETIME)
    }

    /// As [`IdRegistry::new`], with IDs living `lifetime` instead of an hour.
    pub fn with_lifetime(grace: Duration, lifetime: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            by_owner: HashMap::new(),
            deadlines: BinaryHeap::new(),
            grace,
            lifetime,
            max_entries: DEFAULT_MAX_IDS,
        }
    }

    /// Caps the table at `max` live and held-back IDs.
    pub fn with_max_entries(mut self, max: usize) -> Self {
        self.max_entries = max;
        self
    }

    /// Issues a new ID to `owner`, superseding any ID it held.
    pub fn issue(
        &mut self,
        now: Instant,
        owner: O,
        source: &mut impl IdSource,
    ) -> Result<Issued, IssueError> {
        self.advance(now);
        self.end_owner(now, owner, LookupError::Superseded);
        if self.entries.len() >= self.max_entries {
            return Err(IssueError::Full);
        }
        // With the table at most a tenth of the space, a collision is
        // rare; 64 draws failing means the space is nearly full.
        let id = (0..64)
            .map(|_| ClientId(source.id_number() % ClientId::SPACE))
            .find(|id| !self.entries.contains_key(id))
            .ok_or(IssueError::Exhausted)?;
        let secret = hex::encode(source.secret());
        let expires_at = now + self.lifetime;
        self.set(id, State::live(owner, expires_at, &secret));
        self.by_owner.insert(owner, id);
        Ok(Issued {
            id,
            expires_at,
            secret,
        })
    }

    /// Finds the client behind `id` for an expert's connect request.
    pub fn lookup(&mut self, now: Instant, id: ClientId) -> Result<O, LookupError> {
        self.advance(now);
        match self.entries.get(&id) {
            None => Err(LookupError::Unknown),
            Some(State::Ended { how, .. }) => Err(*how),
            Some(State::Live {
                offline_until: Some(_),
                ..
            }) => Err(LookupError::Offline),
            Some(State::Live { owner, .. }) => Ok(*owner),
        }
    }

    /// Marks `id` as spent by the session it just started.
    pub fn mark_used(&mut self, now: Instant, id: ClientId) {
        if let Some(State::Live { owner, .. }) = self.entries.get(&id) {
            let owner = *owner;
            self.by_owner.remove(&owner);
            self.set(
                id,
                State::Ended {
                    how: LookupError::Used,
                    since: now,
                },
            );
        }
    }

    /// The client asked to leave (pressed Exit): its ID ends now.
    pub fn owner_left(&mut self, now: Instant, owner: O) {
        self.end_owner(now, owner, LookupError::Superseded);
    }

    /// The owner's connection dropped: its ID survives the grace period.
    pub fn owner_disconnected(&mut self, now: Instant, owner: O) {
        let Some(id) = self.by_owner.get(&owner) else {
            return;
        };
        let id = *id;
        if let Some(State::Live { offline_until, .. }) = self.entries.get_mut(&id) {
            let until = now + self.grace;
            *offline_until = Some(until);
            self.deadlines.push(Reverse((until, id)));
        }
    }

    /// A reconnected client proves it owns `id` with its secret and takes it
    /// over on its new connection. Returns when the ID expires, or `None`
    /// (and changes nothing) if the ID is not live or the secret is wrong.
    pub fn reclaim(
        &mut self,
        now: Instant,
        id: ClientId,
        secret: &str,
        new_owner: O,
    ) -> Option<Instant> {
        self.advance(now);
        let presented = digest::digest(&digest::SHA256, secret.as_bytes());
        let Some(State::Live {
            owner,
            offline_until,
            secret_hash,
            expires_at,
        }) = self.entries.get_mut(&id)
        else {
            return None;
        };
        if presented.as_ref() != secret_hash.as_ref() {
            return None;
        }
        let old = std::mem::replace(owner, new_owner);
        *offline_until = None;
        self.by_owner.remove(&old);
        self.by_owner.insert(new_owner, id);
        Some(*expires_at)
    }

    /// Takes in `id`, issued by another node, for `owner`, who proved it
    /// with `secret` there. False (and nothing changes) if the ID is live
    /// here for someone else.
    pub fn adopt(
        &mut self,
        now: Instant,
        id: ClientId,
        secret: &str,
        owner: O,
        expires_at: Instant,
    ) -> bool {
        self.advance(now);
        if let Some(State::Live { owner: holder, .. }) = self.entries.get(&id)
            && *holder != owner
        {
            return false;
        }
        if self.by_owner.get(&owner) != Some(&id) {
            self.end_owner(now, owner, LookupError::Superseded);
        }
        self.set(id, State::live(owner, expires_at, secret));
        self.by_owner.insert(owner, id);
        true
    }

    /// Applies expiry, ends grace periods and forgets IDs that ended more
    /// than an hour ago: whatever is due by `now`, soonest first. Called by
    /// every entry point; the hub may also call it on a timer. Returns how
    /// many deadlines it visited.
    pub fn advance(&mut self, now: Instant) -> usize {
        let mut visited = 0;
        while let Some(&Reverse((at, id))) = self.deadlines.peek() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            visited += 1;
            let Some(state) = self.entries.get(&id) else {
                continue;
            };
            let due = state.due(self.lifetime);
            if due > now {
                // Stale: the ID changed state after this deadline was set,
                // and its real deadline is on the heap too.
                continue;
            }
            match *state {
                State::Live {
                    owner, expires_at, ..
                } => {
                    let how = if due == expires_at {
                        LookupError::Expired
                    } else {
                        LookupError::Superseded
                    };
                    self.by_owner.remove(&owner);
                    self.set(id, State::Ended { how, since: due });
                }
                State::Ended { .. } => {
                    self.entries.remove(&id);
                }
            }
        }
        // Stale deadlines are dropped as they come up; should they ever
        // outnumber the table, rebuild the heap from the table instead.
        if self.deadlines.len() > 4 * self.entries.len() + 64 {
            let lifetime = self.lifetime;
            self.deadlines = self
                .entries
                .iter()
                .map(|(id, state)| Reverse((state.due(lifetime), *id)))
                .collect();
        }
        visited
    }

    /// The live IDs: each with its owner, when it expires, and whether the
    /// owner is disconnected (within its grace).
    pub fn live(&self) -> impl Iterator<Item = (ClientId, O, Instant, bool)> + '_ {
        self.entries.iter().filter_map(|(id, state)| match state {
            State::Live {
                owner,
                expires_at,
                offline_until,
                ..
            } => Some((*id, *owner, *expires_at, offline_until.is_some())),
            State::Ended { .. } => None,
        })
    }

    /// The ID `owner` currently holds, if any.
    pub fn id_of(&self, owner: O) -> Option<ClientId> {
        self.by_owner.get(&owner).copied()
    }

    /// How many IDs are live or still held back from reuse.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn end_owner(&mut self, now: Instant, owner: O, how: LookupError) {
        if let Some(id) = self.by_owner.remove(&owner) {
            self.set(id, State::Ended { how, since: now });
        }
    }

    /// Puts `id` in `state` and its deadline on the index.
    fn set(&mut self, id: ClientId, state: State<O>) {
        self.deadlines.push(Reverse((state.due(self.lifetime), id)));
        self.entries.insert(id, state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adopted_id_is_found_and_reclaimable_but_never_taken_from_its_holder() {
        let t0 = Instant::now();
        let mut ids = IdRegistry::new(Duration::from_secs(30));
        let id = ClientId(123_456);
        assert!(ids.adopt(t0, id, "s3cret", 1u8, t0 + Duration::from_secs(600)));
        assert_eq!(ids.lookup(t0, id), Ok(1));
        ids.owner_disconnected(t0, 1);
        assert_eq!(ids.reclaim(t0, id, "wrong", 2), None);
        assert!(ids.reclaim(t0, id, "s3cret", 2).is_some());
        assert!(!ids.adopt(t0, id, "s3cret", 3, t0), "live for owner 2");
        assert_eq!(
            ids.lookup(t0 + Duration::from_secs(601), id),
            Err(LookupError::Expired),
            "it keeps the issuing node's expiry"
        );
    }

    /// Hands out a scripted sequence of numbers, then counts upwards.
    struct Scripted(Vec<u32>, u32);

    impl IdSource for Scripted {
        fn id_number(&mut self) -> u32 {
            if self.0.is_empty() {
                self.1 += 1;
                self.1
            } else {
                self.0.remove(0)
            }
        }
        fn secret(&mut self) -> [u8; 16] {
            [7; 16]
        }
    }

    const GRACE: Duration = Duration::from_secs(30);

    fn registry() -> IdRegistry<u64> {
        IdRegistry::new(GRACE)
    }

    #[test]
    fn parses_six_digits_with_spaces_and_rejects_the_rest() {
        assert_eq!(ClientId::try_from("482 913").unwrap().to_string(), "482913");
        assert_eq!(ClientId::try_from("048213").unwrap().to_string(), "048213");
        assert_eq!(ClientId::try_from("  "), Err(IdFormatError::Empty));
        assert_eq!(
            ClientId::try_from("48291"),
            Err(IdFormatError::NotSixDigits)
        );
        assert_eq!(
            ClientId::try_from("4829134"),
            Err(IdFormatError::NotSixDigits)
        );
        assert_eq!(
            ClientId::try_from("48a913"),
            Err(IdFormatError::NotSixDigits)
        );
        assert_eq!(
            ClientId::try_from("４８２９１３"),
            Err(IdFormatError::NotSixDigits)
        );
        assert!(ClientId::new(999_999).is_some());
        assert!(ClientId::new(1_000_000).is_none());
    }

    #[test]
    fn an_issued_id_finds_its_client_until_it_is_used() {
        let now = Instant::now();
        let mut ids = registry();
        let issued = ids.issue(now, 1, &mut Scripted(vec![482_913], 0)).unwrap();
        assert_eq!(issued.id.to_string(), "482913");
        assert_eq!(issued.expires_at, now + ID_LIFETIME);
        assert_eq!(ids.lookup(now, issued.id), Ok(1));
        ids.mark_used(now, issued.id);
        assert_eq!(ids.lookup(now, issued.id), Err(LookupError::Used));
        assert_eq!(ids.id_of(1), None);
    }

    #[test]
    fn a_short_lived_id_says_expired_for_a_minute_then_is_forgotten() {
        let now = Instant::now();
        let lifetime = Duration::from_secs(4);
        let mut ids = IdRegistry::with_lifetime(GRACE, lifetime);
        let issued = ids.issue(now, 1, &mut Scripted(vec![1], 0)).unwrap();
        let expired = now + lifetime;
        for later in [1, 10, 59] {
            let at = expired + Duration::from_secs(later);
            assert_eq!(ids.lookup(at, issued.id), Err(LookupError::Expired));
        }
        let at = expired + HELD_AT_LEAST;
        assert_eq!(ids.lookup(at, issued.id), Err(LookupError::Unknown));
    }

    #[test]
    fn unknown_ids_are_unknown() {
        let mut ids = registry();
        assert_eq!(
            ids.lookup(Instant::now(), ClientId(123_456)),
            Err(LookupError::Unknown)
        );
    }

    #[test]
    fn ids_expire_after_an_hour() {
        let now = Instant::now();
        let mut ids = registry();
        let issued = ids.issue(now, 1, &mut Scripted(vec![1], 0)).unwrap();
        assert_eq!(
            ids.lookup(now + ID_LIFETIME - Duration::from_secs(1), issued.id),
            Ok(1)
        );
        assert_eq!(
            ids.lookup(now + ID_LIFETIME, issued.id),
            Err(LookupError::Expired)
        );
    }

    #[test]
    fn asking_again_supersedes_the_old_id() {
        let now = Instant::now();
        let mut ids = registry();
        let mut source = Scripted(vec![111_111, 222_222], 0);
        let first = ids.issue(now, 1, &mut source).unwrap();
        let second = ids.issue(now, 1, &mut source).unwrap();
        assert_eq!(ids.lookup(now, first.id), Err(LookupError::Superseded));
        assert_eq!(ids.lookup(now, second.id), Ok(1));
    }

    #[test]
    fn leaving_supersedes_the_id() {
        let now = Instant::now();
        let mut ids = registry();
        let issued = ids.issue(now, 1, &mut Scripted(vec![5], 0)).unwrap();
        ids.owner_left(now, 1);
        assert_eq!(ids.lookup(now, issued.id), Err(LookupError::Superseded));
    }

    #[test]
    fn a_disconnected_client_is_offline_then_superseded_after_the_grace() {
        let now = Instant::now();
        let mut ids = registry();
        let issued = ids.issue(now, 1, &mut Scripted(vec![5], 0)).unwrap();
        ids.owner_disconnected(now, 1);
        assert_eq!(
            ids.lookup(now + GRACE / 2, issued.id),
            Err(LookupError::Offline)
        );
        assert_eq!(
            ids.lookup(now + GRACE, issued.id),
            Err(LookupError::Superseded)
        );
        assert_eq!(ids.id_of(1), None);
    }

    #[test]
    fn a_reconnecting_client_reclaims_its_id_only_with_the_secret() {
        let now = Instant::now();
        let mut ids = registry();
        let issued = ids.issue(now, 1, &mut Scripted(vec![5], 0)).unwrap();
        ids.owner_disconnected(now, 1);
        assert!(ids.reclaim(now, issued.id, "not the secret", 2).is_none());
        assert_eq!(ids.lookup(now, issued.id), Err(LookupError::Offline));
        assert_eq!(
            ids.reclaim(now, issued.id, &issued.secret, 2),
            Some(issued.expires_at)
        );
        assert_eq!(ids.lookup(now + GRACE * 2, issued.id), Ok(2));
        assert_eq!(ids.id_of(2), Some(issued.id));
        assert_eq!(ids.id_of(1), None);
    }

    #[test]
    fn a_spent_id_is_not_reissued_within_the_hour() {
        let now = Instant::now();
        let mut ids = registry();
        let first = ids.issue(now, 1, &mut Scripted(vec![42], 0)).unwrap();
        ids.mark_used(now, first.id);
        // The source offers 42 again first; the registry must skip it.
        let again = ids
            .issue(
                now + Duration::from_secs(60),
                2,
                &mut Scripted(vec![42, 43], 0),
            )
            .unwrap();
        assert_eq!(again.id, ClientId(43));
        // A live ID held by someone else is skipped too.
        let third = ids.issue(now, 3, &mut Scripted(vec![43, 44], 0)).unwrap();
        assert_eq!(third.id, ClientId(44));
        // An hour after it was spent, 42 may come back.
        let later = now + ID_LIFETIME + Duration::from_secs(1);
        let reissued = ids.issue(later, 4, &mut Scripted(vec![42], 0)).unwrap();
        assert_eq!(reissued.id, ClientId(42));
    }

    #[test]
    fn a_full_space_is_reported_not_looped_on() {
        let now = Instant::now();
        let mut ids = registry();
        ids.issue(now, 1, &mut Scripted(vec![9], 0)).unwrap();
        let mut always_nine = Scripted(vec![9; 64], 0);
        assert_eq!(
            ids.issue(now, 2, &mut always_nine),
            Err(IssueError::Exhausted)
        );
    }

    #[test]
    fn a_full_table_refuses_until_held_ids_age_out() {
        let now = Instant::now();
        let mut ids = registry().with_max_entries(3);
        let mut source = Scripted(vec![], 0);
        for owner in 1..=3 {
            ids.issue(now, owner, &mut source).unwrap();
        }
        assert_eq!(ids.issue(now, 4, &mut source), Err(IssueError::Full));
        // Asking again supersedes the owner's own ID, which stays held back.
        assert_eq!(ids.issue(now, 1, &mut source), Err(IssueError::Full));
        // An hour after they expired, the held IDs make room.
        let later = now + ID_LIFETIME * 2;
        assert!(ids.issue(later, 4, &mut source).is_ok());
        assert_eq!(ids.len(), 1);
    }

    /// Time passing visits only the deadlines that are due, however many
    /// IDs are held (the old registry scanned the whole table on every
    /// issue, lookup and reclaim), and a stale deadline (an ID that was
    /// reclaimed or re-ended since) never acts.
    #[test]
    fn expiry_visits_only_what_is_due() {
        let now = Instant::now();
        let mut ids = registry().with_max_entries(200_000);
        let mut source = Scripted(vec![], 0);
        for owner in 0..100_000u64 {
            ids.issue(now, owner, &mut source).unwrap();
            ids.owner_left(now, owner);
        }
        assert_eq!(ids.len(), 100_000);
        let soon = now + Duration::from_secs(1);
        assert_eq!(ids.advance(soon), 0, "nothing is due yet");
        let first = ids.issue(soon, 200_000, &mut source).unwrap();
        assert_eq!(ids.lookup(soon, first.id), Ok(200_000));
        // A reclaimed client's stale grace deadline does not end its ID.
        let issued = ids.issue(now, 7_000_000, &mut source).unwrap();
        ids.owner_disconnected(now, 7_000_000);
        assert!(
            ids.reclaim(now, issued.id, &issued.secret, 7_000_001)
                .is_some()
        );
        assert_eq!(ids.lookup(now + GRACE * 2, issued.id), Ok(7_000_001));
        // Everything held ages out on schedule.
        ids.advance(now + ID_LIFETIME * 2 + Duration::from_secs(1));
        assert!(ids.is_empty());
    }

    #[test]
    fn the_system_source_stays_in_range_and_varies() {
        let mut source = SystemIdSource;
        let draws: Vec<u32> = (0..200).map(|_| source.id_number()).collect();
        assert!(draws.iter().all(|&n| n < ClientId::SPACE));
        let mut distinct = draws.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 190, "{} distinct of 200", distinct.len());
        assert_ne!(source.secret(), source.secret());
    }
}
