//! Session records: the desk's Session Usage Report.
//!
//! Every connect request becomes one row, written by one task in the order
//! the hub reports events, so a row is always created before it is updated.
//! Reads (`GET /api/sessions`) go to the database directly.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::db;
use crate::metrics::Metrics;
use crate::protocol::{ComputerInfo, Role, Scopes};

/// How a request ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    Declined,
    Timeout,
    Cancelled,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Declined => "declined",
            Outcome::Timeout => "timeout",
            Outcome::Cancelled => "cancelled",
            Outcome::Error => "error",
        }
    }
}

/// A new request, as the hub knows it when the expert connects.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub session: String,
    pub client_id: String,
    pub description: String,
    pub computer: ComputerInfo,
    pub expert: String,
    pub notes: String,
    pub reason: Option<String>,
    pub requested: Scopes,
    pub at_ms: i64,
}

#[derive(Debug)]
pub enum RecordEvent {
    Requested(NewRecord),
    /// The client answered, or the request ended without an answer.
    Answered {
        session: String,
        at_ms: i64,
        outcome: Outcome,
        granted: Option<Scopes>,
    },
    /// The peers reported their connection up.
    Started {
        session: String,
        at_ms: i64,
    },
    Ended {
        session: String,
        at_ms: i64,
        reason: &'static str,
    },
    /// One side's path (`direct/udp`, `relay/tcp`, ...); the latest wins.
    Path {
        session: String,
        role: Role,
        path: String,
    },
    /// What captures the client's screen (`x11`, `wayland`).
    ScreenBackend {
        session: String,
        backend: &'static str,
    },
    /// What the client grants now, after withdrawing or granting again.
    Grants {
        session: String,
        now: Scopes,
    },
    /// A recording the expert saved, by name (a plain `.webm` name).
    Recorded {
        session: String,
        file: String,
    },
    /// `expert` ended a session the desk no longer pairs (it restarted
    /// since); answers whether an open row of theirs was ended.
    EndedByExpert {
        session: String,
        expert: String,
        at_ms: i64,
        reply: oneshot::Sender<Result<bool, sqlx::Error>>,
    },
    /// Notes amended by `expert`; answers whether the row was theirs.
    SetNotes {
        session: String,
        expert: String,
        notes: String,
        reply: oneshot::Sender<Result<bool, sqlx::Error>>,
    },
}

/// Events waiting for the writer. Each session makes a handful, and new
/// sessions are rate-limited, so only a database that stopped answering
/// fills it; then new events are refused (and counted) rather than held in
/// memory without end.
const RECORD_QUEUE: usize = 4096;

/// The hub's and connections' way to the writer task.
#[derive(Debug, Clone)]
pub struct RecordsHandle {
    events: mpsc::Sender<RecordEvent>,
    metrics: Arc<Metrics>,
}

impl RecordsHandle {
    pub fn send(&self, event: RecordEvent) {
        match self.events.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                let lost = self.metrics.records_lost.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::error!(
                    lost,
                    "the session records writer is behind; an event was lost"
                );
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("the session records writer has stopped; an event was lost");
            }
        }
    }

    /// `expert` ended `session`, which the desk no longer pairs: its row
    /// ends now if it is theirs and still open.
    pub async fn ended_by_expert(
        &self,
        session: String,
        expert: String,
        at_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        self.send(RecordEvent::EndedByExpert {
            session,
            expert,
            at_ms,
            reply,
        });
        answer.await.unwrap_or(Err(sqlx::Error::PoolClosed))
    }

    pub async fn set_notes(
        &self,
        session: String,
        expert: String,
        notes: String,
    ) -> Result<bool, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        self.send(RecordEvent::SetNotes {
            session,
            expert,
            notes,
            reply,
        });
        answer.await.unwrap_or(Err(sqlx::Error::PoolClosed))
    }
}

/// Starts the writer task; it ends when every handle is dropped, after
/// writing what was queued.
pub fn spawn_writer(pool: AnyPool, metrics: Arc<Metrics>) -> RecordsHandle {
    let (events, mut inbox) = mpsc::channel(RECORD_QUEUE);
    tokio::spawn(async move {
        while let Some(event) = inbox.recv().await {
            if let Err(error) = apply(&pool, event).await {
                tracing::error!(%error, "cannot write a session record");
            }
        }
    });
    RecordsHandle { events, metrics }
}

/// Writes one event to the database.
async fn apply(pool: &AnyPool, event: RecordEvent) -> Result<(), sqlx::Error> {
    match event {
        RecordEvent::Requested(r) => requested(pool, r).await?,
        RecordEvent::Answered {
            session,
            at_ms,
            outcome,
            granted,
        } => answered(pool, session, at_ms, outcome, granted).await?,
        RecordEvent::Started { session, at_ms } => started(pool, session, at_ms).await?,
        RecordEvent::Ended {
            session,
            at_ms,
            reason,
        } => ended(pool, session, at_ms, reason).await?,
        RecordEvent::Path {
            session,
            role,
            path,
        } => {
            let column = match role {
                Role::Expert => "UPDATE sessions SET expert_path = $1 WHERE session_id = $2",
                Role::Client => "UPDATE sessions SET client_path = $1 WHERE session_id = $2",
            };
            sqlx::query(column)
                .bind(path)
                .bind(session)
                .execute(pool)
                .await?;
        }
        RecordEvent::ScreenBackend { session, backend } => {
            sqlx::query("UPDATE sessions SET client_screen = $1 WHERE session_id = $2")
                .bind(backend)
                .bind(session)
                .execute(pool)
                .await?;
        }
        RecordEvent::Grants { session, now } => withdrawn(pool, session, now).await?,
        RecordEvent::Recorded { session, file } => {
            // Space-separated, in order; a row keeps at most 4 KiB of names.
            sqlx::query(
                "UPDATE sessions SET recordings = CASE WHEN recordings IS NULL THEN $1
                                                  ELSE recordings || ' ' || $1 END
                 WHERE session_id = $2
                   AND (recordings IS NULL OR length(recordings) < 4096)",
            )
            .bind(file)
            .bind(session)
            .execute(pool)
            .await?;
        }
        RecordEvent::EndedByExpert {
            session,
            expert,
            at_ms,
            reply,
        } => {
            let _ = reply.send(end_expert_row(pool, session, expert, at_ms).await);
        }
        RecordEvent::SetNotes {
            session,
            expert,
            notes,
            reply,
        } => {
            let result = save_notes(pool, session, expert, notes).await;
            let _ = reply.send(result);
        }
    }
    Ok(())
}

/// Creates the row for a new request.
async fn requested(pool: &AnyPool, r: NewRecord) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (session_id, client_id, description, computer_name,
             computer_os, computer_user, expert, notes, scopes_requested, requested_at, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.session)
    .bind(r.client_id)
    .bind(db::text(&r.description))
    .bind(db::text(&r.computer.name))
    .bind(db::text(&r.computer.os))
    .bind(db::text(&r.computer.user))
    .bind(r.expert)
    .bind(db::text(&r.notes))
    .bind(scopes_text(r.requested))
    .bind(r.at_ms)
    .bind(r.reason.as_deref().map(db::text))
    .execute(pool)
    .await?;
    Ok(())
}

/// Records the client's answer, or how the request ended without one.
async fn answered(
    pool: &AnyPool,
    session: String,
    at_ms: i64,
    outcome: Outcome,
    granted: Option<Scopes>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sessions SET answered_at = $1, outcome = $2, scopes_granted = $3
         WHERE session_id = $4",
    )
    .bind(at_ms)
    .bind(outcome.as_str())
    .bind(granted.map(scopes_text))
    .bind(session)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records when the peers' connection came up; only the first report counts.
async fn started(pool: &AnyPool, session: String, at_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET started_at = $1 WHERE session_id = $2 AND started_at IS NULL")
        .bind(at_ms)
        .bind(session)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records when and why the session ended; only the first end counts.
async fn ended(
    pool: &AnyPool,
    session: String,
    at_ms: i64,
    reason: &'static str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sessions SET ended_at = $1, end_reason = $2
         WHERE session_id = $3 AND ended_at IS NULL",
    )
    .bind(at_ms)
    .bind(reason)
    .bind(session)
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends `expert`'s open row for an accepted `session` (its start may not
/// have reached the desk before it went down); answers whether there was
/// one.
async fn end_expert_row(
    pool: &AnyPool,
    session: String,
    expert: String,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE sessions SET ended_at = $1, end_reason = 'expert_bye'
         WHERE session_id = $2 AND expert = $3 AND outcome = 'accepted' AND ended_at IS NULL",
    )
    .bind(at_ms)
    .bind(session)
    .bind(expert)
    .execute(pool)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Replaces the notes of `expert`'s row; answers whether there was one.
async fn save_notes(
    pool: &AnyPool,
    session: String,
    expert: String,
    notes: String,
) -> Result<bool, sqlx::Error> {
    sqlx::query("UPDATE sessions SET notes = $1 WHERE session_id = $2 AND expert = $3")
        .bind(db::text(&notes))
        .bind(session)
        .bind(expert)
        .execute(pool)
        .await
        .map(|done| done.rows_affected() == 1)
}

/// Adds what the first grant held and `now` lacks to the row's withdrawn
/// permissions. The writer is the rows' only writer, so reading first
/// races nothing.
async fn withdrawn(pool: &AnyPool, session: String, now: Scopes) -> Result<(), sqlx::Error> {
    let Some(row) =
        sqlx::query("SELECT scopes_granted, scopes_withdrawn FROM sessions WHERE session_id = $1")
            .bind(&session)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(());
    };
    let parse = |text: Option<String>| -> Scopes {
        text.unwrap_or_default()
            .split_whitespace()
            .filter_map(|s| serde_json::from_value(serde_json::Value::from(s)).ok())
            .collect()
    };
    let granted = parse(row.try_get("scopes_granted")?);
    let before = parse(row.try_get("scopes_withdrawn")?);
    let after: Scopes = before
        .iter()
        .chain(granted.iter().filter(|s| !now.contains(*s)))
        .collect();
    if after != before {
        sqlx::query("UPDATE sessions SET scopes_withdrawn = $1 WHERE session_id = $2")
            .bind(scopes_text(after))
            .bind(session)
            .execute(pool)
            .await?;
    }
    Ok(())
}

fn scopes_text(scopes: Scopes) -> String {
    scopes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One row of the report, as `GET /api/sessions` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRecord {
    pub session_id: String,
    pub client_id: String,
    pub description: String,
    pub computer_name: String,
    pub computer_os: String,
    pub computer_user: String,
    pub expert: String,
    pub notes: String,
    pub scopes_requested: String,
    pub scopes_granted: Option<String>,
    pub requested_at_ms: i64,
    pub answered_at_ms: Option<i64>,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub outcome: Option<String>,
    pub end_reason: Option<String>,
    /// The path each side's connection chose: `direct/udp`, `relay/tcp`,
    /// ... (`None` until it reported one).
    pub expert_path: Option<String>,
    pub client_path: Option<String>,
    /// What captured the client's screen: `x11`, `wayland` (`None`: no
    /// screen was shared, or an app too old to say).
    pub client_screen: Option<String>,
    /// The recordings the expert saved, their names space-separated, in
    /// order (`None`: none).
    pub recordings: Option<String>,
    /// The reason or ticket number the expert gave (`None`: none).
    pub reason: Option<String>,
    /// Permissions the client granted and later withdrew, space-separated
    /// (`None`: none).
    pub scopes_withdrawn: Option<String>,
}

/// The columns a [`SessionRecord`] is read from, for every query that reads
/// one.
pub const RECORD_COLUMNS: &str = "session_id, client_id, description, computer_name, computer_os,
    computer_user, expert, notes, scopes_requested, scopes_granted, requested_at, answered_at,
    started_at, ended_at, outcome, end_reason, expert_path, client_path, client_screen,
    recordings, reason, scopes_withdrawn";

/// Rows requested in `[from_ms, to_ms)`, oldest first; only `expert`'s
/// when given.
pub async fn list(
    pool: &AnyPool,
    from_ms: i64,
    to_ms: i64,
    expert: Option<&str>,
) -> Result<Vec<SessionRecord>, sqlx::Error> {
    let only = if expert.is_some() {
        " AND expert = $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM sessions WHERE requested_at >= $1 AND requested_at < $2{only}
         ORDER BY requested_at, session_id"
    );
    let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms);
    if let Some(expert) = expert {
        query = query.bind(expert);
    }
    query
        .fetch_all(pool)
        .await?
        .iter()
        .map(record_from_row)
        .collect()
}

/// A row selected with [`RECORD_COLUMNS`].
pub fn record_from_row(row: &AnyRow) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        session_id: row.try_get("session_id")?,
        client_id: row.try_get("client_id")?,
        description: row.try_get("description")?,
        computer_name: row.try_get("computer_name")?,
        computer_os: row.try_get("computer_os")?,
        computer_user: row.try_get("computer_user")?,
        expert: row.try_get("expert")?,
        notes: row.try_get("notes")?,
        scopes_requested: row.try_get("scopes_requested")?,
        scopes_granted: row.try_get("scopes_granted")?,
        requested_at_ms: row.try_get("requested_at")?,
        answered_at_ms: row.try_get("answered_at")?,
        started_at_ms: row.try_get("started_at")?,
        ended_at_ms: row.try_get("ended_at")?,
        outcome: row.try_get("outcome")?,
        end_reason: row.try_get("end_reason")?,
        expert_path: row.try_get("expert_path")?,
        client_path: row.try_get("client_path")?,
        client_screen: row.try_get("client_screen")?,
        recordings: row.try_get("recordings")?,
        reason: row.try_get("reason")?,
        scopes_withdrawn: row.try_get("scopes_withdrawn")?,
    })
}
