//! The console's reports, a page at a time: session records and audit
//! entries, newest first, filtered by date range, person and text.
//!
//! Pages are keyset pages (the last row's sort key, not an offset), so
//! the hundredth page costs what the first does: sessions by
//! `(requested_at, session_id)`, through the `requested_at` and
//! `(expert, requested_at)` indexes; audit entries, which have no key of
//! their own, by `at` and how many rows at that same millisecond were
//! already shown. The text filter matches a case-folded substring.

use std::future::Future;

use futures_util::TryStreamExt;
use sqlx::AnyPool;
use sqlx::any::AnyRow;

use crate::audit::{AuditEntry, entry_from_row};
use crate::records::{RECORD_COLUMNS, SessionRecord, record_from_row};

/// Rows on a page.
pub const PAGE_ROWS: i64 = 50;

/// What a report shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `[from, to)` in Unix ms.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Only this expert's sessions (or this actor's entries).
    pub who: Option<String>,
    /// A substring, matched case-insensitively.
    pub text: Option<String>,
}

/// Where a page starts: after this row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Session {
        requested_at: i64,
        session_id: String,
    },
    Audit {
        at: i64,
        seen_at_that_ms: i64,
    },
}

impl Cursor {
    /// As a link carries it: `<ms>.<session or count>`.
    pub fn to_param(&self) -> String {
        match self {
            Cursor::Session {
                requested_at,
                session_id,
            } => format!("{requested_at}.{session_id}"),
            Cursor::Audit {
                at,
                seen_at_that_ms,
            } => format!("{at}.{seen_at_that_ms}"),
        }
    }

    pub fn session_from_param(text: &str) -> Option<Self> {
        let (ms, id) = text.split_once('.')?;
        (id.len() <= 64).then_some(())?;
        Some(Cursor::Session {
            requested_at: ms.parse().ok()?,
            session_id: id.to_owned(),
        })
    }

    pub fn audit_from_param(text: &str) -> Option<Self> {
        let (ms, seen) = text.split_once('.')?;
        Some(Cursor::Audit {
            at: ms.parse().ok()?,
            seen_at_that_ms: seen.parse().ok().filter(|n: &i64| *n >= 0)?,
        })
    }
}

/// `%`, `_` and `\` match themselves.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The WHERE clause for sessions, its parameters from `$1`.
fn session_where(filter: &Filter) -> (String, Vec<String>) {
    let mut sql = String::from("requested_at >= $1 AND requested_at < $2");
    let mut binds = Vec::new();
    if let Some(who) = &filter.who {
        binds.push(who.clone());
        sql += &format!(" AND expert = ${}", binds.len() + 2);
    }
    if let Some(text) = &filter.text {
        binds.push(like_pattern(text));
        let n = binds.len() + 2;
        let columns = [
            "session_id",
            "client_id",
            "description",
            "computer_name",
            "computer_user",
            "expert",
            "notes",
            "reason",
            "recordings",
        ];
        let tests: Vec<String> = columns
            .iter()
            .map(|c| format!("LOWER(COALESCE({c}, '')) LIKE ${n} ESCAPE '\\'"))
            .collect();
        sql += &format!(" AND ({})", tests.join(" OR "));
    }
    (sql, binds)
}

/// One page of sessions, newest first, starting after `cursor`, and the
/// cursor of the next page when there is one.
pub async fn sessions(
    pool: &AnyPool,
    filter: &Filter,
    cursor: Option<&Cursor>,
) -> Result<(Vec<SessionRecord>, Option<Cursor>), sqlx::Error> {
    sessions_by(pool, filter, cursor, PAGE_ROWS).await
}

/// [`sessions`], `rows` at a time: the export's batches.
pub async fn sessions_by(
    pool: &AnyPool,
    filter: &Filter,
    cursor: Option<&Cursor>,
    rows: i64,
) -> Result<(Vec<SessionRecord>, Option<Cursor>), sqlx::Error> {
    let (mut clause, binds) = session_where(filter);
    let mut after = None;
    if let Some(Cursor::Session {
        requested_at,
        session_id,
    }) = cursor
    {
        let n = binds.len() + 3;
        clause += &format!(
            // The bound on `requested_at` alone is what an index range
            // can use (PostgreSQL cannot range-scan an OR); the second
            // test settles ties.
            " AND requested_at <= ${n} AND (requested_at < ${n} OR session_id < ${})",
            n + 1
        );
        after = Some((*requested_at, session_id.clone()));
    }
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM sessions WHERE {clause}
         ORDER BY requested_at DESC, session_id DESC LIMIT {}",
        rows + 1
    );
    let mut query = sqlx::query(&sql).bind(filter.from_ms).bind(filter.to_ms);
    for bind in binds {
        query = query.bind(bind);
    }
    if let Some((at, id)) = after {
        query = query.bind(at).bind(id);
    }
    let limit = rows;
    let mut rows: Vec<SessionRecord> = query
        .fetch_all(pool)
        .await?
        .iter()
        .map(record_from_row)
        .collect::<Result<_, _>>()?;
    let next = (rows.len() > limit as usize).then(|| {
        rows.truncate(limit as usize);
        let last = &rows[rows.len() - 1];
        Cursor::Session {
            requested_at: last.requested_at_ms,
            session_id: last.session_id.clone(),
        }
    });
    Ok((rows, next))
}

/// Every session the filter matches, newest first, read in one query and
/// handed to `emit` `batch` rows at a time; `emit` answers whether to go
/// on. The export: one query streams far faster than many pages.
pub async fn each_session<F, Fut>(
    pool: &AnyPool,
    filter: &Filter,
    batch: usize,
    emit: F,
) -> Result<(), sqlx::Error>
where
    F: FnMut(Vec<SessionRecord>) -> Fut,
    Fut: Future<Output = bool>,
{
    let (clause, binds) = session_where(filter);
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM sessions WHERE {clause}
         ORDER BY requested_at DESC, session_id DESC"
    );
    each_row(pool, &sql, filter, binds, record_from_row, (batch, emit)).await
}

/// Runs `sql` with the filter's dates and `binds`, and hands its rows to
/// `emit`, `batch` at a time, until the end or until `emit` says stop.
async fn each_row<T, F, Fut>(
    pool: &AnyPool,
    sql: &str,
    filter: &Filter,
    binds: Vec<String>,
    read: fn(&AnyRow) -> Result<T, sqlx::Error>,
    (batch, mut emit): (usize, F),
) -> Result<(), sqlx::Error>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut query = sqlx::query(sql).bind(filter.from_ms).bind(filter.to_ms);
    for bind in binds {
        query = query.bind(bind);
    }
    let mut rows = query.fetch(pool);
    let mut chunk = Vec::with_capacity(batch);
    while let Some(row) = rows.try_next().await? {
        chunk.push(read(&row)?);
        if chunk.len() == batch && !emit(std::mem::take(&mut chunk)).await {
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        emit(chunk).await;
    }
    Ok(())
}

/// The WHERE clause for audit entries, its parameters from `$1`.
fn audit_where(filter: &Filter) -> (String, Vec<String>) {
    let mut sql = String::from("at >= $1 AND at < $2");
    let mut binds = Vec::new();
    if let Some(who) = &filter.who {
        binds.push(who.clone());
        sql += &format!(" AND actor = ${}", binds.len() + 2);
    }
    if let Some(text) = &filter.text {
        binds.push(like_pattern(text));
        let n = binds.len() + 2;
        sql += &format!(
            " AND (LOWER(event) LIKE ${n} ESCAPE '\\' OR LOWER(actor) LIKE ${n} ESCAPE '\\'
                OR LOWER(detail) LIKE ${n} ESCAPE '\\' OR ip LIKE ${n} ESCAPE '\\'
                OR LOWER(COALESCE(session_id, '')) LIKE ${n} ESCAPE '\\')"
        );
    }
    (sql, binds)
}

/// The order among entries of one millisecond: every column, so a page
/// boundary inside one millisecond neither repeats nor skips a row.
const AUDIT_ORDER: &str = "at DESC, event, actor, ip, detail, session_id";

/// One page of audit entries, newest first.
pub async fn audit(
    pool: &AnyPool,
    filter: &Filter,
    cursor: Option<&Cursor>,
) -> Result<(Vec<AuditEntry>, Option<Cursor>), sqlx::Error> {
    audit_by(pool, filter, cursor, PAGE_ROWS).await
}

/// [`audit`], `rows` at a time: the export's batches.
pub async fn audit_by(
    pool: &AnyPool,
    filter: &Filter,
    cursor: Option<&Cursor>,
    rows: i64,
) -> Result<(Vec<AuditEntry>, Option<Cursor>), sqlx::Error> {
    let (mut clause, binds) = audit_where(filter);
    let (mut skip, mut at) = (0, None);
    if let Some(Cursor::Audit {
        at: last,
        seen_at_that_ms,
    }) = cursor
    {
        clause += &format!(" AND at <= ${}", binds.len() + 3);
        skip = *seen_at_that_ms;
        at = Some(*last);
    }
    let sql = format!(
        "SELECT at, event, actor, ip, session_id, detail FROM audit WHERE {clause}
         ORDER BY {AUDIT_ORDER} LIMIT {} OFFSET {skip}",
        rows + 1
    );
    let mut query = sqlx::query(&sql).bind(filter.from_ms).bind(filter.to_ms);
    for bind in binds {
        query = query.bind(bind);
    }
    if let Some(at) = at {
        query = query.bind(at);
    }
    let limit = rows;
    let mut rows: Vec<AuditEntry> = query
        .fetch_all(pool)
        .await?
        .iter()
        .map(entry_from_row)
        .collect::<Result<_, _>>()?;
    let next = (rows.len() > limit as usize).then(|| {
        rows.truncate(limit as usize);
        let last = rows[rows.len() - 1].at_ms;
        let same = rows.iter().filter(|r| r.at_ms == last).count() as i64;
        // Rows of that millisecond shown on earlier pages count too.
        let before = if at == Some(last) { skip } else { 0 };
        Cursor::Audit {
            at: last,
            seen_at_that_ms: before + same,
        }
    });
    Ok((rows, next))
}

/// Every audit entry the filter matches, as [`each_session`] does.
pub async fn each_audit<F, Fut>(
    pool: &AnyPool,
    filter: &Filter,
    batch: usize,
    emit: F,
) -> Result<(), sqlx::Error>
where
    F: FnMut(Vec<AuditEntry>) -> Fut,
    Fut: Future<Output = bool>,
{
    let (clause, binds) = audit_where(filter);
    let sql = format!(
        "SELECT at, event, actor, ip, session_id, detail FROM audit WHERE {clause}
         ORDER BY {AUDIT_ORDER}"
    );
    each_row(pool, &sql, filter, binds, entry_from_row, (batch, emit)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_their_text_only() {
        assert_eq!(like_pattern("Ab"), "%ab%");
        assert_eq!(like_pattern("50%_\\"), "%50\\%\\_\\\\%");
    }

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let c = Cursor::Session {
            requested_at: 17,
            session_id: "s-1.x".into(),
        };
        assert_eq!(Cursor::session_from_param(&c.to_param()), Some(c));
        assert_eq!(Cursor::session_from_param("x.y"), None);
        assert_eq!(Cursor::audit_from_param("5.-1"), None);
        let a = Cursor::Audit {
            at: 5,
            seen_at_that_ms: 3,
        };
        assert_eq!(Cursor::audit_from_param(&a.to_param()), Some(a));
    }
}
