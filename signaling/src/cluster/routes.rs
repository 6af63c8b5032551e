//! Which other nodes this node's connections have business with: for
//! each connection, the nodes it has asked (told when it ends) and the
//! requests and sessions held there (ended when that node dies).
//!
//! A connection learns a session only from a message its home node sent
//! it, so the route is known before the connection can name the session.

use std::collections::{HashMap, HashSet};

use crate::hub::ConnId;
use crate::protocol::{ServerMessage, SessionId};

#[derive(Debug, Default)]
struct Remote {
    nodes: HashSet<String>,
    /// Each session's home node, and whether it is running (accepted).
    sessions: HashMap<SessionId, (String, bool)>,
}

#[derive(Debug, Default)]
pub struct Routes {
    by_conn: HashMap<ConnId, Remote>,
}

/// A request or session whose home node died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub conn: ConnId,
    pub session: SessionId,
    pub running: bool,
}

impl Routes {
    /// `conn` asked `node` something.
    pub fn asked(&mut self, conn: ConnId, node: &str) {
        let remote = self.by_conn.entry(conn).or_default();
        if !remote.nodes.contains(node) {
            remote.nodes.insert(node.to_owned());
        }
    }

    /// `conn` was sent `message` by `node`.
    pub fn heard(&mut self, conn: ConnId, node: &str, message: &ServerMessage) {
        let Some((session, change)) = session_change(message) else {
            return;
        };
        self.asked(conn, node);
        let sessions = &mut self.by_conn.entry(conn).or_default().sessions;
        match change {
            Change::Opened => {
                sessions
                    .entry(session.clone())
                    .or_insert_with(|| (node.to_owned(), false));
            }
            Change::Running => {
                sessions.insert(session.clone(), (node.to_owned(), true));
            }
            Change::Ended => {
                sessions.remove(session);
            }
        }
    }

    /// Where `conn`'s `session` is held, if on another node.
    pub fn home_of(&self, conn: ConnId, session: &str) -> Option<&str> {
        let (node, _) = self.by_conn.get(&conn)?.sessions.get(session)?;
        Some(node)
    }

    /// Records that `conn`'s `session` is held on `node`, found by asking
    /// Redis (after a reattach on a new connection).
    pub fn found(&mut self, conn: ConnId, session: &SessionId, node: &str) {
        self.asked(conn, node);
        if let Some(remote) = self.by_conn.get_mut(&conn) {
            remote
                .sessions
                .insert(session.clone(), (node.to_owned(), true));
        }
    }

    /// `conn` ended: the nodes that must be told.
    pub fn gone(&mut self, conn: ConnId) -> Vec<String> {
        self.by_conn
            .remove(&conn)
            .map(|remote| remote.nodes.into_iter().collect())
            .unwrap_or_default()
    }

    /// Every node some connection has business with.
    pub fn nodes(&self) -> HashSet<String> {
        self.by_conn
            .values()
            .flat_map(|remote| remote.nodes.iter().cloned())
            .collect()
    }

    /// `node` died: forgets it, and returns its requests and sessions.
    pub fn node_died(&mut self, node: &str) -> Vec<Orphan> {
        let mut orphans = Vec::new();
        for (conn, remote) in &mut self.by_conn {
            remote.nodes.remove(node);
            remote.sessions.retain(|session, (home, running)| {
                if home != node {
                    return true;
                }
                orphans.push(Orphan {
                    conn: *conn,
                    session: session.clone(),
                    running: *running,
                });
                false
            });
        }
        self.by_conn
            .retain(|_, remote| !remote.nodes.is_empty() || !remote.sessions.is_empty());
        orphans
    }
}

enum Change {
    Opened,
    Running,
    Ended,
}

/// The session a message is about, and what it says of it.
fn session_change(message: &ServerMessage) -> Option<(&SessionId, Change)> {
    use ServerMessage as M;
    Some(match message {
        M::Located { session, .. }
        | M::ConnectRequest { session, .. }
        | M::Reconnecting { session, .. } => (session, Change::Opened),
        M::SessionStarted { session, .. } | M::Reattached { session } => (session, Change::Running),
        M::Declined { session }
        | M::RequestTimedOut { session }
        | M::RequestCancelled { session }
        | M::PeerLeft {
            session,
            reason: crate::protocol::LeaveReason::Bye,
        } => (session, Change::Ended),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(name: &str) -> SessionId {
        SessionId::from_desk(name.to_owned())
    }

    #[test]
    fn a_session_is_routed_from_its_first_message_to_its_end() {
        let mut routes = Routes::default();
        let conn = ConnId(7);
        let s = session("s1");
        routes.heard(
            conn,
            "a",
            &ServerMessage::Located {
                session: s.clone(),
                expires_in_secs: 300,
            },
        );
        assert_eq!(routes.home_of(conn, "s1"), Some("a"));
        assert_eq!(routes.home_of(ConnId(8), "s1"), None, "only its own");
        routes.heard(conn, "a", &ServerMessage::Declined { session: s });
        assert_eq!(routes.home_of(conn, "s1"), None);
        assert_eq!(routes.gone(conn), vec!["a".to_owned()], "a is still told");
        assert!(routes.gone(conn).is_empty());
    }

    #[test]
    fn a_dead_node_leaves_its_pending_and_running_sessions() {
        let mut routes = Routes::default();
        let pending = session("p");
        let running = session("r");
        routes.heard(
            ConnId(1),
            "a",
            &ServerMessage::Located {
                session: pending.clone(),
                expires_in_secs: 300,
            },
        );
        routes.found(ConnId(2), &running, "a");
        routes.asked(ConnId(3), "b");
        let mut orphans = routes.node_died("a");
        orphans.sort_by_key(|o| o.conn.0);
        assert_eq!(
            orphans,
            vec![
                Orphan {
                    conn: ConnId(1),
                    session: pending,
                    running: false
                },
                Orphan {
                    conn: ConnId(2),
                    session: running,
                    running: true
                },
            ]
        );
        assert_eq!(routes.nodes(), HashSet::from(["b".to_owned()]));
    }
}
