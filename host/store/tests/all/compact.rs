//! Readings kept compact (a body compressed against its series' keyframe) read back
//! whole, through every query, however far they drift from the reading that opened their
//! series; and readings filed before, by the schema as it was, still read back after the
//! migration, with their summaries and their agent's filed numbers.

use std::borrow::Cow;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use quire_model::{AlertSeverity, Cycle, DeviceAlert, DeviceStatus, Reading, Supply, SupplyState};
use quire_store::{AgentIngest, Ingest, Page, Store};
use sqlx::Connection as _;

use crate::support::{Acme, backends, printer, printer_mib};

fn hour(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::hours(n)
}

/// The printer's reading at hour `n`: pages every hour, the toner draining and replaced,
/// a jam now and then, a firmware update halfway, a colour cartridge fitted late on.
fn drifting(n: u32) -> Reading {
    let toner = 7_200 - i32::try_from(n * 97 % 7_000).unwrap();
    let mut reading = printer(10_000 + u64::from(n) * 37, toner);
    if n % 40 == 7 {
        reading.alerts.push(DeviceAlert {
            index: 9,
            severity: AlertSeverity::Critical,
            training_level: Some("untrained".into()),
            group: Some("media-path".into()),
            group_index: Some(1),
            location: Some(n as i32),
            code: 8,
            code_name: Some("jam".into()),
            description: Some(format!("Paper jam in tray {}", n % 3)),
            time: Some(n * 360_000),
        });
        reading.status.device = Some(DeviceStatus::Down);
    }
    if n > 100 {
        reading.identity.firmware = Some("2RX_4000.001.100".into());
    }
    if n > 180 {
        reading.supplies.push(Supply {
            index: 3,
            description: format!("Cyan Cartridge {}", n / 10),
            kind: "toner".into(),
            color: Some("cyan".into()),
            unit: Some("percent".into()),
            level: Some(i32::try_from(200 - n).unwrap()),
            max: Some(100),
            percent: Some(u8::try_from(200 - n).unwrap()),
            state: SupplyState::Low,
            serial: Some(format!("CY{n}")),
            part_number: Some("TK-5240C".into()),
        });
    }
    reading
}

#[tokio::test]
async fn drifting_readings_read_back_whole_through_every_query() {
    for db in backends().await {
        let backend = db.backend;
        let Acme { store, account } = Acme::open(&db).await;
        let strategy = printer_mib();
        let readings: Vec<Reading> = (0..200).map(drifting).collect();
        let items: Vec<Ingest<'_>> = readings
            .iter()
            .enumerate()
            .map(|(n, reading)| Ingest {
                account,
                address: "10.0.0.5",
                taken_at: hour(n as i64),
                cycle: Cycle::MetersAndSupplies,
                strategy: &strategy,
                reading,
                raw: None,
                exchanges: None,
            })
            .collect();
        // In batches, the last ones through a store that has seen none of the keyframes.
        for batch in items[..150].chunks(40) {
            store.ingest_batch(batch).await.unwrap();
        }
        let fresh = Store::open(&db.url).await.unwrap();
        fresh.ingest_batch(&items[150..]).await.unwrap();

        for store in [&store, &fresh] {
            let device = store.devices(account).await.unwrap()[0].id;
            let mut stored = store.readings(device, Page::ALL).await.unwrap();
            stored.reverse();
            assert_eq!(stored.len(), 200, "{backend}");
            for (n, (stored, filed)) in stored.iter().zip(&readings).enumerate() {
                assert_eq!(stored.reading, *filed, "{backend}: hour {n}");
                assert_eq!(stored.taken_at, hour(n as i64), "{backend}");
                assert_eq!(
                    store.reading(stored.id).await.unwrap().reading,
                    *filed,
                    "{backend}"
                );
            }
            let cyan = store.supply_history(device, 3, Page::ALL).await.unwrap();
            assert_eq!(
                cyan.iter()
                    .map(|s| (s.taken_at, s.percent, s.serial.clone()))
                    .collect::<Vec<_>>(),
                (181..200u32)
                    .map(|n| (
                        hour(i64::from(n)),
                        Some(u8::try_from(200 - n).unwrap()),
                        Some(format!("CY{n}"))
                    ))
                    .collect::<Vec<_>>(),
                "{backend}"
            );
            let page = store
                .supply_history(
                    device,
                    1,
                    Page {
                        offset: 50,
                        limit: 3,
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                page.iter().map(|s| s.level).collect::<Vec<_>>(),
                (50..53)
                    .map(|n| Some(7_200 - (n * 97 % 7_000)))
                    .collect::<Vec<_>>(),
                "{backend}"
            );
            // Every reading holds the power-up alert (index 2); every 40th from hour 7 a jam (9).
            let alerts = store.alert_history(device, Page::ALL).await.unwrap();
            let jams: Vec<_> = alerts
                .iter()
                .filter(|a| a.code == 8)
                .map(|a| a.taken_at)
                .collect();
            assert_eq!(jams, [7, 47, 87, 127, 167].map(hour), "{backend}");
            assert_eq!(alerts.len(), 205, "{backend}");
            let page = store
                .alert_history(
                    device,
                    Page {
                        offset: 8,
                        limit: 2,
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                page.iter()
                    .map(|a| (a.taken_at, a.index))
                    .collect::<Vec<_>>(),
                [(hour(7), 9), (hour(8), 2)],
                "{backend}: a reading's rows by index, a page across readings"
            );
        }
        // The drift opened more than one series, and far fewer than one per reading.
        let series = count(&db.url, "SELECT COUNT(*) FROM reading_series").await;
        assert!((2..50).contains(&series), "{backend}: {series} series");
    }
}

async fn count(url: &str, sql: &'static str) -> i64 {
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    }
}

/// The last migration before readings were kept compact.
const BEFORE_COMPACT: i64 = 20261205000002;

/// The schema as it was before readings were kept compact, with two readings filed by
/// agent `ag-1` (numbers 1 and 2) as its ingest wrote them: JSON, supply and alert rows.
macro_rules! legacy {
    ($connection:ty, $url:expr, $dir:literal, $readings:expr) => {{
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), $dir));
        let mut migrator = sqlx::migrate::Migrator::new(dir).await.unwrap();
        let old: Vec<_> = migrator.migrations.iter().filter(|m| m.version <= BEFORE_COMPACT).cloned().collect();
        migrator.migrations = Cow::Owned(old);
        let mut c = <$connection>::connect($url).await.unwrap();
        migrator.run(&mut c).await.unwrap();
        sqlx::query("INSERT INTO accounts (name, is_dealer) VALUES ('Acme', FALSE)").execute(&mut c).await.unwrap();
        sqlx::query("INSERT INTO agents (id, account_id, secret_hash, hostname, version, enrolled_at) VALUES ('ag-1', 1, 's', 'h', '0.1', $1)")
            .bind(Utc::now()).execute(&mut c).await.unwrap();
        sqlx::query("INSERT INTO devices (account_id, identity, serial, first_seen, last_seen) VALUES (1, 'serial:VD21457943', 'VD21457943', $1, $1)")
            .bind(hour(0)).execute(&mut c).await.unwrap();
        for (n, reading) in $readings.iter().enumerate() {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO readings (device_id, taken_at, cycle, strategy_name, strategy_version, reading, raw, agent_id, agent_seq) \
                 VALUES (1, $1, 'meters-and-supplies', 'printer-mib', '0.0.9', $2, $3, 'ag-1', $4) RETURNING id",
            )
            .bind(hour(n as i64 * 12))
            .bind(sqlx::types::Json(reading))
            .bind("1.3.6.1.2.1.1.1.0|4|printer\n")
            .bind(n as i64 + 1)
            .fetch_one(&mut c)
            .await
            .unwrap();
            let reading: &Reading = reading;
            for s in &reading.supplies {
                sqlx::query("INSERT INTO supplies (device_id, reading_id, idx, description, kind, level, max_level, percent, state) VALUES (1, $1, $2, $3, $4, $5, $6, $7, 'ok')")
                    .bind(id).bind(i64::from(s.index)).bind(&s.description).bind(&s.kind).bind(s.level).bind(s.max).bind(s.percent.map(i32::from))
                    .execute(&mut c).await.unwrap();
            }
        }
        c.close().await.unwrap();
    }};
}

#[tokio::test]
async fn readings_filed_before_read_back_after_the_migration() {
    for db in backends().await {
        let backend = db.backend;
        let readings = [printer(7_432, 7_056), printer(7_690, 6_800)];
        if backend == "postgres" {
            legacy!(
                sqlx::PgConnection,
                &db.url,
                "/migrations/postgres",
                readings
            );
        } else {
            std::fs::File::create(db.url.trim_start_matches("sqlite://")).unwrap();
            legacy!(
                sqlx::SqliteConnection,
                &db.url,
                "/migrations/sqlite",
                readings
            );
        }
        let store = Store::open(&db.url).await.unwrap();
        let device = store.devices(quire_store::AccountId(1)).await.unwrap()[0].id;
        let mut stored = store.readings(device, Page::ALL).await.unwrap();
        stored.reverse();
        assert_eq!(
            stored
                .iter()
                .map(|r| (&r.reading, r.cycle, r.strategy.version.as_str(), r.has_raw))
                .collect::<Vec<_>>(),
            [
                (&readings[0], Cycle::MetersAndSupplies, "0.0.9", true),
                (&readings[1], Cycle::MetersAndSupplies, "0.0.9", true)
            ],
            "{backend}"
        );
        assert_eq!(
            store
                .reading_raw(stored[0].id)
                .await
                .unwrap()
                .snmprec
                .as_deref(),
            Some("1.3.6.1.2.1.1.1.0|4|printer\n"),
            "{backend}"
        );
        let toner = store.supply_history(device, 1, Page::ALL).await.unwrap();
        assert_eq!(
            toner.iter().map(|s| s.level).collect::<Vec<_>>(),
            [Some(7_056), Some(6_800)],
            "{backend}"
        );
        assert_eq!(
            store.alert_history(device, Page::ALL).await.unwrap().len(),
            2,
            "{backend}"
        );

        // The days those readings touch were summarised by the migration.
        let days = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
            ..=NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let meters = store.daily_meters(&[device], days.clone()).await.unwrap();
        assert_eq!(
            meters
                .iter()
                .map(|m| (
                    m.counter.as_str(),
                    m.first.value,
                    m.last.value,
                    m.first.reading_id,
                    m.last.reading_id
                ))
                .collect::<Vec<_>>(),
            [("total", 7_432, 7_690, stored[0].id, stored[1].id)],
            "{backend}"
        );
        let levels = store.daily_levels(&[device], days).await.unwrap();
        assert_eq!(
            levels
                .iter()
                .map(|l| (
                    l.index,
                    l.first_percent,
                    l.last_percent,
                    l.min_percent,
                    l.last_state
                ))
                .collect::<Vec<_>>(),
            [
                (1, Some(98), Some(94), Some(94), SupplyState::Ok),
                (2, None, None, None, SupplyState::SomeRemaining)
            ],
            "{backend}"
        );

        // The agent's numbers 1 and 2 are still filed: a retry counts them as duplicates.
        let strategy = printer_mib();
        let third = printer(8_000, 6_000);
        let items: Vec<_> = [1u64, 2, 3]
            .iter()
            .map(|&seq| AgentIngest {
                seq,
                site: None,
                ingest: Ingest {
                    account: quire_store::AccountId(1),
                    address: "10.0.0.5",
                    taken_at: hour(30),
                    cycle: Cycle::MetersAndSupplies,
                    strategy: &strategy,
                    reading: &third,
                    raw: None,
                    exchanges: None,
                },
                replaced: &[],
                assessments: &[],
            })
            .collect();
        let outcome = store.ingest_upload("ag-1", &items).await.unwrap();
        assert_eq!((outcome.filed, outcome.duplicates), (1, 2), "{backend}");
    }
}
