//! Database connection and migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Connects to SQLite (`sqlite:…`, the embedded default) or PostgreSQL (`postgres://…`).
/// SQLite: creates the file's directory if needed and tunes it for a server: WAL (readers
/// never wait for the writer), a busy timeout, foreign keys on. PostgreSQL: a pool of 16
/// connections per process (several replicas may share one database).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // An in-memory database lives in one connection; keep exactly one.
        let (min, max) = if in_memory { (1, 1) } else { (1, 8) };
        // A connection to a local file does not go stale: no ping (a round trip to the
        // connection's worker thread) before every query.
        opts.min_connections(min)
            .max_connections(max)
            .test_before_acquire(false)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
            });
        if in_memory {
            opts.idle_timeout(None::<Duration>)
                .max_lifetime(None::<Duration>);
        }
    } else if is_postgres_url(url) {
        opts.min_connections(1).max_connections(16);
    } else {
        return Err(DbErr::Custom(format!(
            "unsupported DATABASE_URL {:?}: use sqlite://FILE or postgres://USER@HOST/DB",
            redact(url)
        )));
    }
    let db = Database::connect(opts).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    }
    Ok(db)
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Connects and migrates: what every subcommand needs first.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Whether `e` is the database refusing a writer that lost a race it may simply run again:
/// SQLite's lock (busy, locked, or a read snapshot gone stale before its first write), or
/// PostgreSQL's serialization failure (40001) or deadlock victim (40P01).
pub fn is_busy(e: &DbErr) -> bool {
    let msg = e.to_string();
    msg.contains("database is locked")
        || msg.contains("SQLITE_BUSY")
        || msg.contains("(code: 5)")
        || msg.contains("40001")
        || msg.contains("40P01")
        || msg.contains("could not serialize access")
        || msg.contains("deadlock detected")
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unsupported_url_is_a_clear_error_that_hides_the_password() {
        let err = connect("mysql://root:hunter2@db/vitrine")
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unsupported DATABASE_URL"), "{msg}");
        assert!(msg.contains("postgres://"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn postgres_urls_are_recognised() {
        assert!(is_postgres_url("postgres://u@h/db"));
        assert!(is_postgres_url("postgresql://u@h/db"));
        assert!(!is_postgres_url("sqlite://data/v.db"));
    }
}
