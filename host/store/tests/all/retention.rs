//! Retention: the raw exchanges older than the period go, nothing else does; and the
//! job it runs in is taken by one process at a time.

use chrono::{DateTime, Duration, TimeZone, Utc};
use quire_model::Cycle;
use quire_store::{Ingest, Page, RawExchange, ReadingId, Store};

use crate::support::{Acme, backends, printer, printer_mib};

const SNMPREC: &str = "1.3.6.1.2.1.1.1.0|4|KYOCERA Document Solutions Printing System\n";
const EXCHANGES: &str = "{\"protocol\":\"http\",\"request\":\"GET /\",\"response\":\"200\"}\n";

/// When the job runs in these tests.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 31, 12, 0, 0).unwrap()
}

/// Files a reading taken at `taken_at`, with its exchange when `raw`.
async fn file_at(acme: &Acme, taken_at: DateTime<Utc>, total: u64, raw: bool) -> ReadingId {
    let strategy = printer_mib();
    let reading = printer(total, 7000);
    let outcomes = acme
        .store
        .ingest_batch(&[Ingest {
            account: acme.account,
            address: "10.0.0.5",
            taken_at,
            cycle: Cycle::MetersAndSupplies,
            strategy: &strategy,
            reading: &reading,
            raw: raw.then_some(SNMPREC),
            exchanges: raw.then_some(EXCHANGES),
        }])
        .await
        .unwrap();
    outcomes[0].reading_id
}

#[tokio::test]
async fn retention_removes_exactly_the_raw_older_than_the_period() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        let store = &acme.store;
        let cutoff = now() - Duration::days(30);
        // (taken at, filed with its exchange, removed by a 30-day retention)
        let cases = [
            (cutoff - Duration::days(200), true, true),
            (cutoff - Duration::seconds(1), true, true),
            (cutoff, true, false),
            (cutoff + Duration::days(29), true, false),
            (cutoff - Duration::days(3), false, false),
        ];
        let mut filed = Vec::new();
        for (i, &(taken_at, raw, _)) in cases.iter().enumerate() {
            filed.push(file_at(&acme, taken_at, 1_000 + i as u64, raw).await);
        }
        let device = store.reading(filed[0]).await.unwrap().device_id;
        let readings_before = store.readings(device, Page::ALL).await.unwrap();
        let meters_before = store
            .daily_meters(
                &[device],
                cutoff.date_naive() - Duration::days(300)..=now().date_naive(),
            )
            .await
            .unwrap();
        let versions_before = store.reading_versions(filed[0]).await.unwrap();

        let removed = store.remove_raw_older_than(30, now()).await.unwrap();
        assert_eq!(removed.readings, 2, "{backend}");

        for (&(taken_at, raw, gone), &id) in cases.iter().zip(&filed) {
            let kept = store.reading_raw(id).await.unwrap();
            let expected = match (raw, gone) {
                (true, false) => RawExchange {
                    snmprec: Some(SNMPREC.into()),
                    exchanges: Some(EXCHANGES.into()),
                    removed_after_days: None,
                },
                (true, true) => RawExchange {
                    removed_after_days: Some(30),
                    ..RawExchange::default()
                },
                (false, _) => RawExchange::default(),
            };
            assert_eq!(kept, expected, "{backend}: reading taken {taken_at}");
            assert_eq!(
                store.reading(id).await.unwrap().has_raw,
                raw && !gone,
                "{backend}: {taken_at}"
            );
        }
        // Everything but the exchanges is as it was.
        let readings_after = store.readings(device, Page::ALL).await.unwrap();
        let without_raw = |r: &quire_store::StoredReading| {
            (
                r.id,
                r.taken_at,
                r.reading.clone(),
                r.strategy.clone(),
                r.version,
            )
        };
        assert_eq!(
            readings_after.iter().map(without_raw).collect::<Vec<_>>(),
            readings_before.iter().map(without_raw).collect::<Vec<_>>(),
            "{backend}"
        );
        assert_eq!(
            store
                .daily_meters(
                    &[device],
                    cutoff.date_naive() - Duration::days(300)..=now().date_naive()
                )
                .await
                .unwrap(),
            meters_before,
            "{backend}"
        );
        assert_eq!(
            store.reading_versions(filed[0]).await.unwrap(),
            versions_before,
            "{backend}"
        );

        // Run again: nothing left to remove; a shorter period removes the rest with its own mark.
        assert_eq!(
            store
                .remove_raw_older_than(30, now())
                .await
                .unwrap()
                .readings,
            0,
            "{backend}"
        );
        assert_eq!(
            store
                .remove_raw_older_than(0, now())
                .await
                .unwrap()
                .readings,
            2,
            "{backend}"
        );
        assert_eq!(
            store
                .reading_raw(filed[3])
                .await
                .unwrap()
                .removed_after_days,
            Some(0),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_period_beyond_what_a_reading_can_be_marked_with_is_refused() {
    let db = quire_testdb::sqlite();
    let store = db.open().await;
    let error = store
        .remove_raw_older_than(40_000, now())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "raw retention: 40000 days is more than the 32767 kept"
    );
}

#[tokio::test]
async fn a_job_is_held_by_one_store_at_a_time_on_postgres() {
    let db = quire_testdb::postgres().await;
    let first = db.open().await;
    let second = Store::open(&db.url).await.unwrap();

    let held = first
        .exclusive("raw-retention")
        .await
        .unwrap()
        .expect("free at first");
    assert!(
        second.exclusive("raw-retention").await.unwrap().is_none(),
        "held by the first"
    );
    assert!(
        first.exclusive("raw-retention").await.unwrap().is_none(),
        "held even for its own store's other connections"
    );
    let other = second
        .exclusive("calculated-values")
        .await
        .unwrap()
        .expect("another job is free");
    held.release().await.unwrap();
    let taken = second
        .exclusive("raw-retention")
        .await
        .unwrap()
        .expect("free once released");
    taken.release().await.unwrap();
    other.release().await.unwrap();
}

#[tokio::test]
async fn a_job_held_by_a_store_that_went_away_is_free_again() {
    let db = quire_testdb::postgres().await;
    let first = db.open().await;
    let second = Store::open(&db.url).await.unwrap();
    let held = first
        .exclusive("raw-retention")
        .await
        .unwrap()
        .expect("free at first");
    // A process that dies mid-run: its connection closes without unlocking.
    drop(held);
    let mut attempts = 0;
    let taken = loop {
        // The server notices the closed connection a moment later.
        if let Some(taken) = second.exclusive("raw-retention").await.unwrap() {
            break taken;
        }
        attempts += 1;
        assert!(
            attempts < 1_000,
            "the lock of a closed connection was never freed"
        );
        tokio::task::yield_now().await;
    };
    taken.release().await.unwrap();
}

#[tokio::test]
async fn on_sqlite_the_one_process_always_holds_the_job() {
    let db = quire_testdb::sqlite();
    let store = db.open().await;
    let held = store.exclusive("raw-retention").await.unwrap();
    assert!(held.is_some());
    assert!(store.exclusive("raw-retention").await.unwrap().is_some());
}
