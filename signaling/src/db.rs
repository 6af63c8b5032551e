//! The database: SQLite by default, PostgreSQL through the same code, both
//! through sqlx's `Any` driver. The schema lives in `migrations/` and is
//! applied at startup.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens the database at `url` (creating a SQLite file if needed, given
/// `?mode=rwc`) and applies pending migrations.
pub async fn open(url: &str) -> Result<AnyPool, DbError> {
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    // WAL with NORMAL sync: never corrupts, and a power cut
                    // can lose only the last moments of session records, in
                    // exchange for no fsync on every write.
                    sqlx::Executor::execute(&mut *conn, "PRAGMA journal_mode = WAL").await?;
                    sqlx::Executor::execute(&mut *conn, "PRAGMA synchronous = NORMAL").await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|source| DbError::Open {
            url: redact(url),
            source,
        })?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// The URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Wall-clock time as stored in the database: Unix milliseconds.
pub fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub fn now_ms() -> i64 {
    unix_ms(SystemTime::now())
}

/// Whether the database answers a trivial query within two seconds: the
/// desk's health, as `/healthz` reports it.
pub async fn healthy(pool: &AnyPool) -> bool {
    let ping = sqlx::query("SELECT 1").fetch_one(pool);
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(2), ping).await,
        Ok(Ok(_))
    )
}

/// Text as both databases store it. PostgreSQL refuses a NUL character in
/// `TEXT` (SQLite keeps it), so a client's description with one would lose
/// its whole row there: NUL becomes U+FFFD, as it shows anyway.
pub fn text(value: &str) -> String {
    value.replace('\0', "\u{FFFD}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://desk:s3cret@db:5432/lifeline"),
            "postgres://desk:***@db:5432/lifeline"
        );
        assert_eq!(redact("sqlite://x.db?mode=rwc"), "sqlite://x.db?mode=rwc");
    }

    #[tokio::test]
    async fn a_database_that_answers_is_healthy_and_a_closed_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("h.db").display());
        let pool = open(&url).await.unwrap();
        assert!(healthy(&pool).await);
        pool.close().await;
        assert!(!healthy(&pool).await);
    }
}
