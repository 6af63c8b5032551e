//! "Restart and reconnect" on the client's side: what it keeps through
//! the restart its expert asked for. Before the restart, the desk's
//! single-use token, who the expert is, what the person allowed and the
//! session it resumes go to a file (readable by this user only), and the
//! app registers to start at login; after it, the app sends the token to
//! the desk and accepts that expert's request for those permissions (and
//! no other) by itself, then forgets both.

use std::path::PathBuf;
use std::sync::Arc;

use lifeline_signaling::protocol::{Scopes, SessionId};
use serde::{Deserialize, Serialize};

use crate::platform::autostart::Autostart;

/// What the client agreed to come back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconnectGrant {
    pub token: String,
    /// The expert's name, as the person saw it.
    pub expert: String,
    /// What the person allowed.
    pub scopes: Scopes,
    /// The session this resumes.
    pub previous: SessionId,
    pub expires_at_ms: u64,
}

impl ReconnectGrant {
    /// Whether `expert`'s request for `scopes`, resuming `previous`, is
    /// the one agreed to.
    pub fn covers(&self, expert: &str, scopes: Scopes, previous: &SessionId) -> bool {
        self.expert == expert
            && self.previous == *previous
            && self.scopes.intersect(scopes) == scopes
    }
}

/// Where the grant is kept, and the app's start at login.
pub struct ReconnectStore {
    path: PathBuf,
    autostart: Arc<dyn Autostart>,
}

impl std::fmt::Debug for ReconnectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconnectStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ReconnectStore {
    pub fn new(path: PathBuf, autostart: Arc<dyn Autostart>) -> Self {
        Self { path, autostart }
    }

    /// Keeps `grant` and starts the app at the next login.
    pub fn save(&self, grant: &ReconnectGrant) -> std::io::Result<()> {
        if let Some(folder) = self.path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let json = serde_json::to_vec(grant).map_err(std::io::Error::other)?;
        write_private(&self.path, &json)?;
        self.autostart.enable()
    }

    /// The grant kept, unless it has expired at `now_ms` (then it goes).
    pub fn load(&self, now_ms: u64) -> Option<ReconnectGrant> {
        let bytes = std::fs::read(&self.path).ok()?;
        match serde_json::from_slice::<ReconnectGrant>(&bytes) {
            Ok(grant) if grant.expires_at_ms > now_ms => Some(grant),
            _ => {
                self.clear();
                None
            }
        }
    }

    /// Forgets the grant, and the start at login.
    pub fn clear(&self) {
        if let Err(error) = std::fs::remove_file(&self.path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%error, "cannot remove the reconnect grant");
        }
        if let Err(error) = self.autostart.disable() {
            tracing::warn!(%error, "cannot remove the start at login");
        }
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::session::scopes::Scope;

    /// Counts what the store asked of the platform.
    #[derive(Default)]
    struct Recorded(Mutex<Vec<&'static str>>);

    impl Autostart for Recorded {
        fn enable(&self) -> std::io::Result<()> {
            self.0.lock().unwrap().push("enable");
            Ok(())
        }
        fn disable(&self) -> std::io::Result<()> {
            self.0.lock().unwrap().push("disable");
            Ok(())
        }
    }

    fn grant() -> ReconnectGrant {
        ReconnectGrant {
            token: "t".into(),
            expert: "Ann".into(),
            scopes: [Scope::View, Scope::Control].into_iter().collect(),
            previous: SessionId::parse("s1").unwrap(),
            expires_at_ms: 1_000,
        }
    }

    #[test]
    fn a_grant_is_kept_until_it_expires_or_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let recorded = Arc::new(Recorded::default());
        let store = ReconnectStore::new(dir.path().join("reconnect.json"), recorded.clone());
        store.save(&grant()).unwrap();
        assert_eq!(store.load(999), Some(grant()));
        assert_eq!(store.load(1_000), None, "expired");
        assert_eq!(store.load(0), None, "an expired grant is gone");
        assert_eq!(*recorded.0.lock().unwrap(), ["enable", "disable"]);
    }

    #[test]
    fn a_grant_covers_its_expert_session_and_permissions_only() {
        let g = grant();
        let s1 = SessionId::parse("s1").unwrap();
        let view: Scopes = [Scope::View].into_iter().collect();
        assert!(g.covers("Ann", view, &s1));
        assert!(g.covers("Ann", g.scopes, &s1));
        assert!(!g.covers("Mallory", view, &s1));
        assert!(!g.covers("Ann", view, &SessionId::parse("s2").unwrap()));
        let more = g.scopes.with(Scope::Files);
        assert!(!g.covers("Ann", more, &s1));
    }
}
