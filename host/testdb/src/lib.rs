//! Fresh databases for tests: a SQLite file in a temporary directory and a new database on
//! the PostgreSQL server at `postgres://postgres@127.0.0.1:5432/postgres` (override with
//! `QUIRE_TEST_POSTGRES_URL`), each gone when the test ends. Tests that touch the database run
//! on both, so a query one backend accepts and the other refuses fails a test.
//!
//! [`kyocera`] is the reading those tests and the ingest benchmark file.

pub mod kyocera;

use std::sync::atomic::{AtomicU32, Ordering};

use quire_store::Store;
use sqlx::Connection;

/// The server `.ci/run` starts (scripts/install-test-peers).
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// One database a test owns; dropped (PostgreSQL) or deleted (SQLite) with it.
pub struct TestDb {
    /// `sqlite` or `postgres`, for assertion messages.
    pub backend: &'static str,
    /// The URL to open.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

/// The text of every account's stored SNMP credential specs, as the database file holds them.
macro_rules! stored_credentials {
    ($connection:ty, $url:expr) => {{
        let mut conn = <$connection>::connect($url)
            .await
            .expect("a connection to the test database");
        sqlx::query_scalar::<_, String>(
            "SELECT CAST(spec AS TEXT) FROM account_credentials ORDER BY account_id, position",
        )
        .fetch_all(&mut conn)
        .await
        .expect("reading the stored credentials")
    }};
}

impl TestDb {
    /// Every stored SNMP credential spec as its column's text, read past the store: what
    /// someone holding a copy of the database would see.
    pub async fn stored_credentials(&self) -> Vec<String> {
        match self.backend {
            "sqlite" => stored_credentials!(sqlx::SqliteConnection, &self.url),
            _ => stored_credentials!(sqlx::PgConnection, &self.url),
        }
    }

    /// Opens the store, panicking with the backend's name.
    pub async fn open(&self) -> Store {
        Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.backend))
    }
}

/// Fills a site with `rows` discovery ranges, the last one unreadable (a span that ends
/// before it starts), and returns how many ranges the site holds then.
macro_rules! fill_site_ranges {
    ($connection:ty, $url:expr, $site:expr, $rows:expr) => {{
        let mut conn = <$connection>::connect($url)
            .await
            .expect("a connection to the test database");
        sqlx::query(
            "WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $2) \
             INSERT INTO site_ranges (site_id, position, range_text) \
             SELECT $1, i, CASE WHEN i = $2 THEN '10.0.0.9-10.0.0.1' \
             ELSE '10.' || (i / 65536) || '.' || ((i / 256) % 256) || '.' || (i % 256) END FROM n",
        )
        .bind($site)
        .bind($rows - 1)
        .execute(&mut conn)
        .await
        .expect("filling the site's ranges");
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM site_ranges WHERE site_id = $1")
            .bind($site)
            .fetch_one(&mut conn)
            .await
            .expect("counting the site's ranges")
    }};
}

impl TestDb {
    /// Fills `site` with `rows` discovery ranges straight in the database, as a customer
    /// trying to slow everyone else down would (through the API it would take hours); the
    /// last one is unreadable, so any query that parses them fails. How many the site holds.
    pub async fn fill_site_ranges(&self, site: i64, rows: i64) -> i64 {
        match self.backend {
            "sqlite" => fill_site_ranges!(sqlx::SqliteConnection, &self.url, site, rows),
            _ => fill_site_ranges!(sqlx::PgConnection, &self.url, site, rows),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside any runtime, so the clean-up brings its own.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for dropping the test database");
                runtime.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join()
            .expect("dropping the test database");
        }
    }
}

/// A fresh SQLite file and a fresh PostgreSQL database.
pub async fn backends() -> Vec<TestDb> {
    vec![sqlite(), postgres().await]
}

/// A SQLite file in a new temporary directory (the file itself does not exist yet).
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("quire.db").display());
    TestDb {
        backend: "sqlite",
        url,
        _dir: Some(dir),
        postgres: None,
    }
}

/// A new database `quire_test_<pid>_<n>` on the test server; fails, never skips,
/// when the server is not running.
pub async fn postgres() -> TestDb {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin =
        std::env::var("QUIRE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.into());
    let name = format!(
        "quire_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {} ({e}). Start it with `scripts/install-test-peers` \
             (CI's .ci/run does), or point QUIRE_TEST_POSTGRES_URL at a server where you may create databases.",
            quire_store::redact(&admin)
        )
    });
    let create = format!("CREATE DATABASE {name}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    TestDb {
        backend: "postgres",
        url: format!("{base}/{name}"),
        _dir: None,
        postgres: Some((admin, name)),
    }
}
