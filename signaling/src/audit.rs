//! The audit log: who tried what, when, from where. Written by one task in
//! the order events happen; read by `GET /api/audit`.
//!
//! Events: `sign_in` (detail `ok`, `bad_credentials`, `rate_limited`),
//! `connect` (the ID asked for, then `located` or the refusal's code),
//! `consent` (`accepted <scopes>` or `declined`) and `scopes` (the
//! permissions a client keeps after withdrawing or re-granting some).

use std::net::IpAddr;

use serde::Serialize;
use sqlx::{AnyPool, Row};
use tokio::sync::mpsc;

use crate::db::now_ms;

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
    entries: mpsc::UnboundedSender<AuditEntry>,
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
            event: event.to_owned(),
            actor: actor.to_owned(),
            ip: ip.to_string(),
            session_id: session.map(str::to_owned),
            detail: detail.into(),
        };
        if self.entries.send(entry).is_err() {
            tracing::error!("the audit writer has stopped; an entry was lost");
        }
    }
}

/// Starts the writer task; it ends when every handle is dropped, after
/// writing what was queued.
pub fn spawn_writer(pool: AnyPool) -> AuditHandle {
    let (entries, mut inbox) = mpsc::unbounded_channel::<AuditEntry>();
    tokio::spawn(async move {
        while let Some(entry) = inbox.recv().await {
            let written = sqlx::query(
                "INSERT INTO audit (at, event, actor, ip, session_id, detail)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(entry.at_ms)
            .bind(&entry.event)
            .bind(&entry.actor)
            .bind(&entry.ip)
            .bind(&entry.session_id)
            .bind(&entry.detail)
            .execute(&pool)
            .await;
            if let Err(error) = written {
                tracing::error!(%error, ?entry, "cannot write an audit entry");
            }
        }
    });
    AuditHandle { entries }
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
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                at_ms: row.try_get("at")?,
                event: row.try_get("event")?,
                actor: row.try_get("actor")?,
                ip: row.try_get("ip")?,
                session_id: row.try_get("session_id")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
