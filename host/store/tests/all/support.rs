//! Fresh databases per test, and readings as a Kyocera ECOSYS P2040dw reports them.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use quire_model::{
    AlertSeverity, DeviceAlert, DeviceStatus, Identity, PrinterStatus, Reading, Status,
    StrategyRef, Supply, SupplyState,
};
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

impl TestDb {
    /// Opens the store, panicking with the backend's name.
    pub async fn open(&self) -> Store {
        Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.backend))
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

/// `2026-11-23 hh:mm:00 UTC`.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, hour, minute, 0).unwrap()
}

/// The strategy that read these devices.
pub fn printer_mib() -> StrategyRef {
    StrategyRef {
        name: "printer-mib".into(),
        version: "0.1.0".into(),
    }
}

/// A meters-and-supplies reading of a Kyocera ECOSYS P2040dw (values from the
/// recorded `kyocera_p2040_snmp`), with its page count and toner level given.
pub fn kyocera(serial: &str, mac: &str, total: u64, toner: i32) -> Reading {
    Reading {
        identity: Identity {
            manufacturer: Some("Kyocera".into()),
            model: Some("ECOSYS P2040dw".into()),
            serial: Some(serial.into()),
            mac: Some(mac.into()),
            sys_object_id: Some("1.3.6.1.4.1.1347.41".into()),
            sys_descr: Some("KYOCERA Document Solutions Printing System".into()),
            ..Identity::default()
        },
        status: Status {
            device: Some(DeviceStatus::Running),
            printer: Some(PrinterStatus::Idle),
            errors: vec![],
            console: Some("Sleeping".into()),
        },
        counters: [("total".to_string(), total)].into(),
        supplies: vec![
            Supply {
                index: 1,
                description: "TK-1162".into(),
                kind: "toner".into(),
                color: Some("black".into()),
                unit: Some("impressions".into()),
                level: Some(toner),
                max: Some(7200),
                percent: Some(u8::try_from(toner * 100 / 7200).unwrap()),
                state: if toner * 100 / 7200 <= 10 {
                    SupplyState::Low
                } else {
                    SupplyState::Ok
                },
                serial: None,
                part_number: None,
            },
            Supply {
                index: 2,
                description: "Waste Toner Box".into(),
                kind: "waste-toner".into(),
                color: None,
                unit: Some("impressions".into()),
                level: Some(-3),
                max: Some(-2),
                percent: None,
                state: SupplyState::SomeRemaining,
                serial: None,
                part_number: None,
            },
        ],
        alerts: vec![DeviceAlert {
            index: 2,
            severity: AlertSeverity::Warning,
            training_level: Some("management".into()),
            group: Some("general-printer".into()),
            group_index: Some(1),
            location: Some(0),
            code: 503,
            code_name: Some("power-up".into()),
            description: None,
            time: Some(1507),
        }],
    }
}
