//! Keeping it for years: a job one server process runs at a time, and a reading whose raw
//! exchange retention removed, which re-reading and the download explain.

use chrono::{Duration, Utc};
use quire_model::Cycle;
use quire_server::periodic::{Attempt, Periodic};
use quire_server::retention::{RawRetention, remove_old_raw};
use quire_store::{Error, Store};

use crate::kyocera::kyocera;
use crate::support::TestServer;

const JOB: Periodic = Periodic {
    name: "test-job",
    every: std::time::Duration::from_secs(3600),
};

#[tokio::test]
async fn a_job_runs_in_one_server_process_at_a_time_on_postgres() {
    let db = quire_testdb::postgres().await;
    // Two processes' stores: each its own pool, as two servers over one database.
    let first = db.open().await;
    let second = Store::open(&db.url).await.unwrap();
    let (started, running) = tokio::sync::oneshot::channel();
    let (finish, finished) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(async move {
        JOB.run_once(&first, || async move {
            started.send(()).unwrap();
            finished.await.unwrap();
            Ok::<_, Error>("first")
        })
        .await
    });
    running.await.unwrap();
    // The first is mid-run: the second's tick leaves it the job, and does no work.
    let mut worked = false;
    let attempt = JOB
        .run_once(&second, || async {
            worked = true;
            Ok::<_, Error>("second")
        })
        .await
        .unwrap();
    assert_eq!(attempt, Attempt::HeldElsewhere);
    assert!(!worked);
    finish.send(()).unwrap();
    assert_eq!(run.await.unwrap().unwrap(), Attempt::Ran("first"));
    // Done: the next tick of either process runs it.
    let attempt = JOB
        .run_once(&second, || async { Ok::<_, Error>("second") })
        .await
        .unwrap();
    assert_eq!(attempt, Attempt::Ran("second"));
}

#[tokio::test]
async fn a_failed_run_frees_the_job_for_the_next_tick() {
    let db = quire_testdb::postgres().await;
    let store = db.open().await;
    let failed = JOB
        .run_once(&store, || async {
            Err::<(), _>(Error::Invalid {
                field: "work".into(),
                message: "failed on purpose".into(),
            })
        })
        .await;
    assert!(failed.is_err());
    let attempt = JOB
        .run_once(&store, || async { Ok::<_, Error>(()) })
        .await
        .unwrap();
    assert_eq!(attempt, Attempt::Ran(()));
}

#[tokio::test]
async fn a_reading_whose_exchange_retention_removed_says_so_when_re_read() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let store = &server.running.store;
        let account = store.create_account("Acme", None, false).await.unwrap();
        let strategy = quire_model::StrategyRef {
            name: "printer-mib".into(),
            version: "0.1.0".into(),
        };
        let filed = store
            .ingest(
                account,
                "10.0.0.5",
                Utc::now() - Duration::days(45),
                Cycle::MetersAndSupplies,
                &strategy,
                &kyocera("VD1", "00:17:c8:b9:02:de", 7432, 7056),
                Some("1.3.6.1.2.1.1.1.0|4|printer\n"),
            )
            .await
            .unwrap();
        let removed = remove_old_raw(store, RawRetention::Days(30), Utc::now())
            .await
            .unwrap();
        assert_eq!(removed.readings, 1, "{backend}");

        let reading = format!(
            "/api/v1/devices/{}/readings/{}",
            filed.device_id.0, filed.reading_id.0
        );
        let admin = server.admin.clone();
        let reread = server
            .call(
                "POST",
                &format!("{reading}/reinterpret"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(reread.status, 409, "{backend}: {}", reread.text());
        assert_eq!(
            reread.json()["message"],
            format!(
                "the exchange of reading {} was removed when it passed the raw retention period (30 days), so there is nothing to re-read",
                filed.reading_id.0
            ),
            "{backend}"
        );
        let download = server
            .call("GET", &format!("{reading}/raw.snmprec"), Some(&admin), None)
            .await;
        assert_eq!(download.status, 404, "{backend}");
        assert!(
            download.text().contains("raw retention period (30 days)"),
            "{backend}: {}",
            download.text()
        );
        // The reading itself is all there.
        let readings = format!("/api/v1/devices/{}/readings", filed.device_id.0);
        let shown = server.admin("GET", &readings, None).await;
        assert_eq!(shown[0]["reading"]["counters"]["total"], 7432, "{backend}");
        assert_eq!(shown[0]["has-raw"], false, "{backend}");
    }
}

#[tokio::test]
async fn never_removes_nothing() {
    let db = quire_testdb::sqlite();
    let store = db.open().await;
    let account = store.create_account("Acme", None, false).await.unwrap();
    let strategy = quire_model::StrategyRef {
        name: "printer-mib".into(),
        version: "0.1.0".into(),
    };
    let filed = store
        .ingest(
            account,
            "10.0.0.5",
            Utc::now() - Duration::days(4_000),
            Cycle::Alerts,
            &strategy,
            &kyocera("VD1", "00:17:c8:b9:02:de", 7432, 7056),
            Some("1.3.6.1.2.1.1.1.0|4|printer\n"),
        )
        .await
        .unwrap();
    let removed = remove_old_raw(&store, RawRetention::Never, Utc::now())
        .await
        .unwrap();
    assert_eq!(removed.readings, 0);
    assert!(store.reading(filed.reading_id).await.unwrap().has_raw);
}
