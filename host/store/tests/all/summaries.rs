//! Daily summaries: each counter's first and last reading of each UTC day, and each
//! supply's levels over the day, kept right across days, late readings and retried uploads.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use quire_model::{Cycle, Reading, SupplyState};
use quire_store::{
    AgentIngest, DailyLevel, DailyMeter, DeviceId, Ingest, MeterMark, NewAgent, ReadingId,
};

use crate::kyocera::kyocera;
use crate::support::{Acme, backends, printer, printer_mib};

fn on(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
}

fn day(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

/// Acme with an enrolled agent `ag-1`.
async fn with_agent(db: &quire_testdb::TestDb) -> Acme {
    let acme = Acme::open(db).await;
    let now = Utc::now();
    acme.store
        .issue_enrollment_key(acme.account, "key", now, now + chrono::Duration::hours(1))
        .await
        .unwrap();
    let agent = NewAgent {
        id: "ag-1",
        secret_hash: "secret",
        hostname: "site",
        version: "0.1.0",
    };
    acme.store.enroll("key", agent, now).await.unwrap().unwrap();
    acme
}

#[tokio::test]
async fn a_day_keeps_its_first_and_last_reading_across_midnight_late_readings_and_a_retried_upload()
{
    for db in backends().await {
        let backend = db.backend;
        let acme = with_agent(&db).await;
        let strategy = printer_mib();
        // (taken at, total pages, toner level of 7200): two days, sent out of order.
        let reads = [
            (on(23, 12, 0), 1_200, 3_600),  // 50 %
            (on(23, 23, 59), 1_500, 1_440), // 20 %: the 23rd's last
            (on(23, 0, 1), 1_000, 7_200),   // 100 %: late, but the 23rd's first
            (on(24, 0, 0), 1_510, 700),     // 9 %: the 24th starts at midnight UTC
            (on(24, 9, 0), 1_800, 7_200),   // a new cartridge: the 24th's last
        ];
        let readings: Vec<Reading> = reads
            .iter()
            .map(|&(_, total, toner)| printer(total, toner))
            .collect();
        let items: Vec<AgentIngest<'_>> = reads
            .iter()
            .zip(&readings)
            .enumerate()
            .map(|(i, (&(taken_at, _, _), reading))| AgentIngest {
                seq: i as u64 + 1,
                site: None,
                ingest: Ingest {
                    account: acme.account,
                    address: "10.0.0.5",
                    taken_at,
                    cycle: Cycle::MetersAndSupplies,
                    strategy: &strategy,
                    reading,
                    raw: None,
                    exchanges: None,
                },
                replaced: &[],
                assessments: &[],
            })
            .collect();
        // The first three in one upload, then all five again, as an agent retrying.
        let first = acme.store.ingest_upload("ag-1", &items[..3]).await.unwrap();
        assert_eq!((first.filed, first.duplicates), (3, 0), "{backend}");
        let retried = acme.store.ingest_upload("ag-1", &items).await.unwrap();
        assert_eq!((retried.filed, retried.duplicates), (2, 3), "{backend}");

        let device = acme.store.devices(acme.account).await.unwrap()[0].id;
        let ids: Vec<ReadingId> = {
            let mut stored = acme.store.readings(device, 10).await.unwrap();
            stored.sort_by_key(|r| r.taken_at);
            stored.iter().map(|r| r.id).collect()
        };
        // By time: 23rd 00:01, 12:00, 23:59; 24th 00:00, 09:00.
        let mark = |i: usize, value| MeterMark {
            value,
            taken_at: [
                on(23, 0, 1),
                on(23, 12, 0),
                on(23, 23, 59),
                on(24, 0, 0),
                on(24, 9, 0),
            ][i],
            reading_id: ids[i],
        };
        let meters = acme
            .store
            .daily_meters(&[device], day(22)..=day(24))
            .await
            .unwrap();
        assert_eq!(
            meters,
            [
                DailyMeter {
                    device_id: device,
                    day: day(23),
                    counter: "total".into(),
                    first: mark(0, 1_000),
                    last: mark(2, 1_500),
                },
                DailyMeter {
                    device_id: device,
                    day: day(24),
                    counter: "total".into(),
                    first: mark(3, 1_510),
                    last: mark(4, 1_800),
                },
            ],
            "{backend}"
        );

        let levels = acme
            .store
            .daily_levels(&[device], day(23)..=day(24))
            .await
            .unwrap();
        let toner: Vec<_> = levels.iter().filter(|l| l.index == 1).collect();
        let expected = |d, (first_at, first), (last_at, last), min, state| DailyLevel {
            device_id: device,
            day: day(d),
            first_at,
            last_at,
            index: 1,
            kind: "toner".into(),
            color: Some("black".into()),
            description: "TK-1162".into(),
            first_percent: Some(first),
            last_percent: Some(last),
            min_percent: Some(min),
            last_state: state,
            last_serial: None,
            last_part_number: None,
        };
        assert_eq!(
            toner,
            [
                &expected(
                    23,
                    (on(23, 0, 1), 100),
                    (on(23, 23, 59), 20),
                    20,
                    SupplyState::Ok
                ),
                &expected(
                    24,
                    (on(24, 0, 0), 9),
                    (on(24, 9, 0), 100),
                    9,
                    SupplyState::Ok
                ),
            ],
            "{backend}"
        );
        // The waste box reports no percent: none is made up.
        let waste = levels
            .iter()
            .find(|l| l.index == 2 && l.day == day(23))
            .unwrap();
        assert_eq!(
            (
                waste.first_percent,
                waste.last_percent,
                waste.min_percent,
                waste.last_state
            ),
            (None, None, None, SupplyState::SomeRemaining),
            "{backend}"
        );
        // Outside the days asked, nothing.
        assert!(
            acme.store
                .daily_meters(&[device], day(25)..=day(30))
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_same_reading_filed_twice_leaves_its_days_figures_as_they_were() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        let reading = printer(2_000, 3_600);
        let first = acme
            .file("10.0.0.5", on(23, 9, 0), Cycle::MetersAndSupplies, &reading)
            .await;
        let before = acme
            .store
            .daily_meters(&[first.device_id], day(23)..=day(23))
            .await
            .unwrap();
        // Not through an agent's upload, so nothing knows it is the same reading.
        acme.file("10.0.0.5", on(23, 9, 0), Cycle::MetersAndSupplies, &reading)
            .await;
        let after = acme
            .store
            .daily_meters(&[first.device_id], day(23)..=day(23))
            .await
            .unwrap();
        // The second is a reading of its own (another id, the later by id at the same
        // instant), but the day's figures are the same.
        let figures = |days: &[DailyMeter]| {
            days.iter()
                .map(|d| {
                    (
                        d.day,
                        d.counter.clone(),
                        d.first.value,
                        d.first.taken_at,
                        d.last.value,
                        d.last.taken_at,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(figures(&after), figures(&before), "{backend}");
        assert_eq!(after[0].first.reading_id, first.reading_id, "{backend}");
    }
}

#[tokio::test]
async fn the_days_of_many_devices_come_in_one_answer_by_device_day_and_counter() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        let mut devices = Vec::new();
        for n in 0..3u64 {
            let mut reading = kyocera(
                &format!("SN{n}"),
                &format!("00:17:c8:b9:02:0{n}"),
                100 * (n + 1),
                7_000,
            );
            reading.counters.insert("print.color".into(), 10 * (n + 1));
            for (d, extra) in [(23, 0), (24, 50)] {
                reading
                    .counters
                    .insert("total".into(), 100 * (n + 1) + extra);
                let filed = acme
                    .file("10.0.0.5", on(d, 10, 0), Cycle::MetersAndSupplies, &reading)
                    .await;
                if d == 23 {
                    devices.push(filed.device_id);
                }
            }
        }
        let asked: Vec<DeviceId> = vec![devices[2], devices[0]];
        let meters = acme
            .store
            .daily_meters(&asked, day(23)..=day(24))
            .await
            .unwrap();
        let seen: Vec<_> = meters
            .iter()
            .map(|m| (m.device_id, m.day, m.counter.as_str(), m.last.value))
            .collect();
        assert_eq!(
            seen,
            [
                (devices[0], day(23), "print.color", 10),
                (devices[0], day(23), "total", 100),
                (devices[0], day(24), "print.color", 10),
                (devices[0], day(24), "total", 150),
                (devices[2], day(23), "print.color", 30),
                (devices[2], day(23), "total", 300),
                (devices[2], day(24), "print.color", 30),
                (devices[2], day(24), "total", 350),
            ],
            "{backend}"
        );
        let levels = acme
            .store
            .daily_levels(&asked, day(24)..=day(24))
            .await
            .unwrap();
        assert_eq!(
            levels
                .iter()
                .map(|l| (l.device_id, l.index))
                .collect::<Vec<_>>(),
            [
                (devices[0], 1),
                (devices[0], 2),
                (devices[2], 1),
                (devices[2], 2)
            ],
            "{backend}"
        );
        assert!(
            acme.store
                .daily_levels(&[], day(1)..=day(30))
                .await
                .unwrap()
                .is_empty()
        );
    }
}
