//! A reading kept whole: its exchange comes back as it was sent, re-reads file new
//! versions beside it, and readings filed before the exchange was kept whole still read.

use quire_model::{Cycle, StrategyRef};
use quire_store::{Ingest, RawExchange};
use sqlx::Connection as _;

use crate::support::{Acme, at, backends, printer, printer_mib};

const SNMPREC: &str = "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11.2.3.9.1\n";
const EXCHANGES: &str = "{\"kind\":\"http\",\"method\":\"GET\",\"tls\":false,\"port\":null,\"path\":\"/DevMgmt/ProductUsageDyn.xml\",\"status\":200,\"headers\":[],\"body_b64\":\"PHgvPg==\"}\n";

#[tokio::test]
async fn a_reread_is_a_new_version_and_the_first_stays() {
    for db in backends().await {
        let backend = db.backend;
        let Acme { store, account } = Acme::open(&db).await;
        let strategy = printer_mib();
        let first = printer(7432, 7056);
        let filed = store
            .ingest_batch(&[Ingest {
                account,
                address: "10.0.0.5",
                taken_at: at(9, 0),
                cycle: Cycle::MetersAndSupplies,
                strategy: &strategy,
                reading: &first,
                raw: Some(SNMPREC),
                exchanges: Some(EXCHANGES),
            }])
            .await
            .unwrap()
            .remove(0);
        let id = filed.reading_id;
        assert_eq!(
            store.reading_raw(id).await.unwrap(),
            RawExchange {
                snmprec: Some(SNMPREC.into()),
                exchanges: Some(EXCHANGES.into()),
                removed_after_days: None,
            },
            "{backend}"
        );

        let newer = StrategyRef {
            name: "printer-mib".into(),
            version: "0.2.0".into(),
        };
        let mut reread = first.clone();
        reread.counters.insert("jams".into(), 11);
        let version = store
            .add_reading_version(id, &newer, &reread, at(12, 0))
            .await
            .unwrap();
        assert_eq!(version, 2, "{backend}");

        let shown = store.readings(filed.device_id, 1).await.unwrap().remove(0);
        assert_eq!(
            (
                shown.version,
                &shown.strategy,
                &shown.reading,
                shown.taken_at
            ),
            (2, &newer, &reread, at(9, 0)),
            "{backend}: the latest version is shown, at the time it was read"
        );
        assert_eq!(store.reading(id).await.unwrap(), shown, "{backend}");
        let versions = store.reading_versions(id).await.unwrap();
        let summary: Vec<_> = versions
            .iter()
            .map(|v| (v.version, v.strategy.to_string(), v.made_at))
            .collect();
        assert_eq!(
            summary,
            [
                (1, "printer-mib@0.1.0".to_owned(), at(9, 0)),
                (2, "printer-mib@0.2.0".to_owned(), at(12, 0)),
            ],
            "{backend}"
        );
        assert_eq!(versions[0].reading, first, "{backend}: history kept");
        assert_eq!(
            store.reading_raw(id).await.unwrap().snmprec.as_deref(),
            Some(SNMPREC),
            "{backend}: the exchange is untouched"
        );
        assert!(
            store
                .reading_versions(quire_store::ReadingId(id.0 + 100))
                .await
                .is_err(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_reading_filed_with_its_snmprec_uncompressed_reads_back() {
    for db in backends().await {
        let backend = db.backend;
        let (Acme { store, .. }, filed) = Acme::with_printer_filed(&db, Cycle::Alerts).await;
        // As the schema before the exchange was kept whole wrote it, where migrating put it.
        let update = "UPDATE readings SET snmprec_z = $1 WHERE id = $2";
        if db.url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let q = sqlx::query(update)
                .bind(SNMPREC.as_bytes())
                .bind(filed.reading_id.0);
            q.execute(&mut c).await.unwrap();
        } else {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let q = sqlx::query(update)
                .bind(SNMPREC.as_bytes())
                .bind(filed.reading_id.0);
            q.execute(&mut c).await.unwrap();
        }
        let shown = store.reading(filed.reading_id).await.unwrap();
        assert!(shown.has_raw && shown.version == 1, "{backend}");
        assert_eq!(
            store.reading_raw(filed.reading_id).await.unwrap(),
            RawExchange {
                snmprec: Some(SNMPREC.into()),
                exchanges: None,
                removed_after_days: None,
            },
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_latest_reading_of_a_cycle_is_read_for_many_devices_at_once() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        let meters = acme
            .file(
                "10.0.0.5",
                at(9, 0),
                Cycle::MetersAndSupplies,
                &printer(7432, 7056),
            )
            .await;
        acme.file(
            "10.0.0.5",
            at(11, 0),
            Cycle::MetersAndSupplies,
            &printer(7500, 7000),
        )
        .await;
        // An alerts read after it is not a meters reading.
        acme.file("10.0.0.5", at(12, 0), Cycle::Alerts, &printer(7500, 7000))
            .await;
        let alerts_only = acme
            .file(
                "10.0.0.6",
                at(10, 0),
                Cycle::Alerts,
                &crate::kyocera::kyocera("VD20000002", "00:17:c8:00:00:02", 100, 7000),
            )
            .await;
        let devices = [meters.device_id, alerts_only.device_id];
        let latest = acme
            .store
            .latest_readings_of(&devices, Cycle::MetersAndSupplies)
            .await
            .unwrap();
        let seen: Vec<_> = latest
            .iter()
            .map(|r| {
                (
                    r.device_id,
                    r.taken_at,
                    r.reading.counters.get("total").copied(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [(meters.device_id, at(11, 0), Some(7500))],
            "{backend}"
        );
        let latest = acme
            .store
            .latest_readings_of(&devices, Cycle::Alerts)
            .await
            .unwrap();
        let seen: Vec<_> = latest.iter().map(|r| (r.device_id, r.taken_at)).collect();
        assert_eq!(
            seen,
            [
                (meters.device_id, at(12, 0)),
                (alerts_only.device_id, at(10, 0))
            ],
            "{backend}"
        );
    }
}
