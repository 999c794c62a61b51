//! A fresh, empty database per test: a SQLite file by default, or — when
//! `VITRINE_TEST_DATABASE_URL` names a PostgreSQL server (`postgres://user@host:port/db`) — a
//! database of its own created there (`CREATE DATABASE`), so tests stay parallel and isolated
//! on either backend. Dropped (files removed, database dropped) with the value.

use std::path::PathBuf;

/// The variable naming the PostgreSQL server the integration tests run against.
pub const PG_ENV: &str = "VITRINE_TEST_DATABASE_URL";

pub struct TestDb {
    /// What `DATABASE_URL` would be set to.
    pub url: String,
    /// A directory of this test's own for files next to the database (the server's data
    /// directory, configuration files); removed on drop.
    pub dir: PathBuf,
    /// PostgreSQL: the server's URL and this database's name, to drop it.
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn fresh() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("vitrine-test-{id}"));
        std::fs::create_dir_all(&dir).expect("test dir");
        match pg_server() {
            Some(server) => {
                let name = format!("vt_{id}");
                admin(&server, &format!("CREATE DATABASE {name}")).await;
                TestDb {
                    url: with_database(&server, &name),
                    dir,
                    pg: Some((server, name)),
                }
            }
            None => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("vitrine.db").display()),
                dir,
                pg: None,
            },
        }
    }

    /// The data directory a `vitrine` process of this test keeps its files in.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

/// Whether this run's integration tests use PostgreSQL.
pub fn on_postgres() -> bool {
    pg_server().is_some()
}

fn pg_server() -> Option<String> {
    std::env::var(PG_ENV)
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// `server` with its database path replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

async fn admin(server: &str, sql: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(
        sea_orm::ConnectOptions::new(server)
            .sqlx_logging(false)
            .to_owned(),
    )
    .await
    .unwrap_or_else(|e| panic!("{PG_ENV}={server}: {e}"));
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = db.close().await;
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = self.pg.take() {
            // Drop runs inside the test's runtime, so the database is dropped from a thread
            // with a runtime of its own; FORCE ends the test's pool connections still open.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(admin(
                    &server,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ));
            })
            .join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
