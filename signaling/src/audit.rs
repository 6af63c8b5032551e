//! The audit log: who tried what, when, from where. Written by one task in
//! the order events happen; read by `GET /api/audit`.
//!
//! Events: `sign_in` (detail `ok`, `bad_credentials`, `rate_limited`),
//! `connect` (the ID asked for, then `located` or the refusal's code),
//! `consent` (`accepted <scopes>` or `declined`), `scopes` (the
//! permissions a client keeps after withdrawing or re-granting some) and
//! `reattach` (a side taking its running session back on a new
//! connection: `ok` or the refusal's code).

//!
//! What is written is bounded three ways, since strangers cause most of it:
//! - every text field is escaped and cut short ([`crate::untrusted`]);
//! - an entry that repeats one written in the last minute (same event,
//!   address, detail and actor; for a refused sign-in whatever name it
//!   claimed: a flood of rate-limited sign-ins, say) is only counted, and
//!   one summary row per minute says how many there were;
//! - the queue to the writer is bounded: when it is full the entry is
//!   counted, and the next row written says how many were lost.
//!
//! Callers record only what was validated: a consent row is written after
//! the hub matched the answer to a request the client holds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use sqlx::{AnyPool, Row};
use tokio::sync::mpsc;

use crate::db::now_ms;
use crate::untrusted;

/// Entries waiting for the writer before new ones are counted and dropped.
const QUEUE: usize = 4096;
/// Repeats of one entry within this window are counted, not written.
const REPEAT_WINDOW_MS: i64 = 60_000;
/// The most distinct entries tracked for repeats at once.
const MAX_TRACKED: usize = 10_000;
/// How often the writer writes the summaries of closed windows.
const FLUSH_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub event: String,
    /// The expert's user name, or `client <ID>` / `client`.
    pub actor: String,
    pub ip: String,
    pub session_id: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct AuditHandle {
    entries: mpsc::Sender<AuditEntry>,
    dropped: Arc<AtomicU64>,
}

impl AuditHandle {
    pub fn record(
        &self,
        event: &str,
        actor: &str,
        ip: IpAddr,
        session: Option<&str>,
        detail: impl Into<String>,
    ) {
        let entry = AuditEntry {
            at_ms: now_ms(),
            event: untrusted::clean(event),
            actor: untrusted::clean(actor),
            ip: ip.to_string(),
            session_id: session.map(untrusted::clean),
            detail: untrusted::clean(&detail.into()),
        };
        match self.entries.try_send(entry) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("the audit writer has stopped; an entry was lost");
            }
        }
    }

    /// Entries lost to a full queue and not yet reported in the log.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// What makes two entries "the same" for counting repeats.
type RepeatKey = (String, String, Option<String>, String, Option<String>);

#[derive(Debug)]
struct Window {
    opened_ms: i64,
    /// The first entry, as written, for the summary's fields.
    first: AuditEntry,
    repeats: u64,
}

/// Decides which entries are written and which only counted. Pure: time
/// comes with each entry and each flush.
#[derive(Debug, Default)]
struct Repeats {
    windows: HashMap<RepeatKey, Window>,
}

impl Repeats {
    /// A refused sign-in is the same whoever it claimed to be, so a spray
    /// of names from one address is one row; anything else is also told
    /// apart by who did it (two colleagues behind one office address each
    /// sign in, each in the log).
    fn key(entry: &AuditEntry) -> RepeatKey {
        let refused_sign_in = entry.event == "sign_in" && !entry.detail.starts_with("ok");
        (
            entry.event.clone(),
            entry.ip.clone(),
            entry.session_id.clone(),
            entry.detail.clone(),
            (!refused_sign_in).then(|| entry.actor.clone()),
        )
    }

    /// `Some(entry)` to write it, `None` when it only counts as a repeat.
    /// A full tracker writes everything (the queue's bound still holds).
    fn admit(&mut self, entry: AuditEntry) -> Option<AuditEntry> {
        let key = Self::key(&entry);
        if let Some(window) = self.windows.get_mut(&key)
            && entry.at_ms - window.opened_ms < REPEAT_WINDOW_MS
        {
            window.repeats += 1;
            return None;
        }
        if self.windows.len() < MAX_TRACKED || self.windows.contains_key(&key) {
            self.windows.insert(
                key,
                Window {
                    opened_ms: entry.at_ms,
                    first: entry.clone(),
                    repeats: 0,
                },
            );
        }
        Some(entry)
    }

    /// Closes the windows that are over, returning one summary row for
    /// each that saw repeats.
    fn flush(&mut self, now_ms: i64) -> Vec<AuditEntry> {
        let mut summaries = Vec::new();
        self.windows.retain(|_, window| {
            if now_ms - window.opened_ms < REPEAT_WINDOW_MS {
                return true;
            }
            if window.repeats > 0 {
                summaries.push(AuditEntry {
                    at_ms: now_ms,
                    detail: format!(
                        "{} (repeated {} more times in {} s)",
                        window.first.detail,
                        window.repeats,
                        REPEAT_WINDOW_MS / 1000
                    ),
                    ..window.first.clone()
                });
            }
            false
        });
        summaries
    }
}

/// Starts the writer task; it ends when every handle is dropped, after
/// writing what was queued and the pending summaries.
pub fn spawn_writer(pool: AnyPool) -> AuditHandle {
    let (entries, mut inbox) = mpsc::channel::<AuditEntry>(QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    let lost = Arc::clone(&dropped);
    tokio::spawn(async move {
        let mut repeats = Repeats::default();
        let mut flush = tokio::time::interval(FLUSH_EVERY);
        loop {
            let mut batch = tokio::select! {
                entry = inbox.recv() => match entry {
                    Some(entry) => repeats.admit(entry).into_iter().collect(),
                    None => break,
                },
                _ = flush.tick() => repeats.flush(now_ms()),
            };
            let count = lost.swap(0, Ordering::Relaxed);
            if count > 0 {
                batch.push(AuditEntry {
                    at_ms: now_ms(),
                    event: "audit_overflow".into(),
                    actor: "desk".into(),
                    ip: String::new(),
                    session_id: None,
                    detail: format!("{count} entries lost to a full queue"),
                });
            }
            for entry in batch {
                write(&pool, &entry).await;
            }
        }
        for entry in repeats.flush(i64::MAX) {
            write(&pool, &entry).await;
        }
    });
    AuditHandle { entries, dropped }
}

async fn write(pool: &AnyPool, entry: &AuditEntry) {
    let written = sqlx::query(
        "INSERT INTO audit (at, event, actor, ip, session_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.at_ms)
    .bind(&entry.event)
    .bind(crate::db::text(&entry.actor))
    .bind(&entry.ip)
    .bind(entry.session_id.as_deref().map(crate::db::text))
    .bind(crate::db::text(&entry.detail))
    .execute(pool)
    .await;
    if let Err(error) = written {
        tracing::error!(%error, ?entry, "cannot write an audit entry");
    }
}

/// Entries in `[from_ms, to_ms)`, oldest first.
pub async fn list(
    pool: &AnyPool,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at, event, actor, ip, session_id, detail FROM audit
         WHERE at >= $1 AND at < $2 ORDER BY at",
    )
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

/// A row selected as `at, event, actor, ip, session_id, detail`.
pub fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        at_ms: row.try_get("at")?,
        event: row.try_get("event")?,
        actor: row.try_get("actor")?,
        ip: row.try_get("ip")?,
        session_id: row.try_get("session_id")?,
        detail: row.try_get("detail")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at_ms: i64, actor: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            at_ms,
            event: "sign_in".into(),
            actor: actor.into(),
            ip: "10.0.0.1".into(),
            session_id: None,
            detail: detail.into(),
        }
    }

    #[test]
    fn a_flood_of_one_refusal_is_one_row_and_one_summary_a_minute() {
        let mut repeats = Repeats::default();
        assert!(repeats.admit(entry(0, "ann", "rate_limited")).is_some());
        for n in 1..300 {
            assert!(repeats.admit(entry(n, "ann", "rate_limited")).is_none());
        }
        assert!(
            repeats.admit(entry(5, "ann", "ok")).is_some(),
            "another outcome is written"
        );
        assert!(repeats.flush(REPEAT_WINDOW_MS - 1).is_empty(), "still open");
        let summaries = repeats.flush(REPEAT_WINDOW_MS);
        assert_eq!(summaries.len(), 1, "no summary for an entry seen once");
        assert_eq!(
            summaries[0].detail,
            "rate_limited (repeated 299 more times in 60 s)"
        );
        assert!(
            repeats
                .admit(entry(REPEAT_WINDOW_MS + 1, "ann", "rate_limited"))
                .is_some(),
            "a new minute writes again"
        );
    }

    #[test]
    fn colleagues_behind_one_address_each_sign_in_but_a_spray_of_names_is_one_row() {
        let mut repeats = Repeats::default();
        assert!(repeats.admit(entry(0, "ann", "ok")).is_some());
        assert!(
            repeats.admit(entry(1, "bob", "ok")).is_some(),
            "another person"
        );
        assert!(
            repeats.admit(entry(2, "ann", "ok")).is_none(),
            "the same again"
        );
        assert!(repeats.admit(entry(3, "x1", "bad_credentials")).is_some());
        assert!(repeats.admit(entry(4, "x2", "bad_credentials")).is_none());
    }

    #[test]
    fn the_tracker_is_bounded() {
        let mut repeats = Repeats::default();
        for n in 0..(MAX_TRACKED as i64 + 100) {
            let detail = format!("d{n}");
            assert!(repeats.admit(entry(0, "x", &detail)).is_some());
        }
        assert_eq!(repeats.windows.len(), MAX_TRACKED);
    }
}
