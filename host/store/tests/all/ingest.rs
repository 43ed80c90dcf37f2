//! Ingest: device identity, history order, and readings that say little.

use quire_model::{
    AlertSeverity, Cycle, DeviceAlert, DeviceStatus, Identity, Reading, StrategyRef, Supply,
    SupplyState,
};
use quire_store::{AccountId, DeviceId, Ingest, Page, RawExchange};

use crate::kyocera::kyocera;
use crate::support::{Acme, at, backends, file, printer, printer_mib};

#[tokio::test]
async fn one_printer_seen_on_two_addresses_is_one_device_with_two_addresses() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        let store = &acme.store;
        let other = store.create_account("Other", None, false).await.unwrap();
        let printer = printer(7432, 7056);
        // Some strategies report the MAC in capitals with dashes: still the same device.
        let mut same_printer = kyocera("VD21457943", "00-17-C8-B9-02-DE", 7440, 7050);
        same_printer.identity.model = None;
        let neighbour = kyocera("VD21457944", "00:17:c8:b9:02:df", 120, 7200);

        let meters = Cycle::MetersAndSupplies;
        let first = acme.file("10.0.0.5", at(9, 0), meters, &printer).await;
        let moved = acme
            .file("10.0.0.77", at(10, 0), meters, &same_printer)
            .await;
        let second = acme.file("10.0.0.6", at(10, 0), meters, &neighbour).await;
        let elsewhere = file(store, other, "10.0.0.5", at(10, 0), meters, &printer).await;

        assert!(first.new_device, "{backend}");
        assert!(!moved.new_device, "{backend}");
        assert_eq!(moved.device_id, first.device_id, "{backend}");
        assert!(
            second.new_device && second.device_id != first.device_id,
            "{backend}"
        );
        assert!(
            elsewhere.new_device,
            "another account's printer is its own: {backend}"
        );

        let devices = store.devices(acme.account).await.unwrap();
        assert_eq!(devices.len(), 2, "{backend}");
        let device = &devices[0];
        assert_eq!(device.id, first.device_id);
        let addresses: Vec<_> = device
            .addresses
            .iter()
            .map(|a| a.address.as_str())
            .collect();
        assert_eq!(addresses, ["10.0.0.5", "10.0.0.77"], "{backend}");
        assert_eq!(device.first_seen, at(9, 0), "{backend}");
        assert_eq!(device.last_seen, at(10, 0), "{backend}");
        assert_eq!(
            device.model.as_deref(),
            Some("ECOSYS P2040dw"),
            "a missing model keeps the known one: {backend}"
        );
        assert_eq!(device.strategy, Some(printer_mib()), "{backend}");
        assert_eq!(
            store.device(first.device_id).await.unwrap(),
            *device,
            "{backend}"
        );
        assert_eq!(store.devices(other).await.unwrap().len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn readings_and_supply_history_come_back_in_order() {
    for db in backends().await {
        let backend = db.backend;
        let Acme { store, account } = Acme::open(&db).await;
        let strategy = printer_mib();
        let raw = "1.3.6.1.2.1.43.11.1.1.9.1.1|2|7056\n";
        let morning = printer(7432, 7056);
        let noon = printer(7690, 6800);
        let evening = printer(8012, 500);
        let item = |taken_at, reading| Ingest {
            account,
            address: "10.0.0.5",
            taken_at,
            cycle: Cycle::MetersAndSupplies,
            strategy: &strategy,
            reading,
            raw: Some(raw),
            exchanges: None,
        };
        // The evening reading arrives before noon's (an agent's queue flushed late).
        let outcomes = store
            .ingest_batch(&[
                item(at(8, 0), &morning),
                item(at(18, 0), &evening),
                item(at(12, 0), &noon),
            ])
            .await
            .unwrap();
        let device = outcomes[0].device_id;
        assert!(outcomes.iter().all(|o| o.device_id == device), "{backend}");
        assert_eq!(
            outcomes.iter().map(|o| o.new_device).collect::<Vec<_>>(),
            [true, false, false],
            "{backend}"
        );

        let readings = store.readings(device, 10).await.unwrap();
        let totals: Vec<_> = readings
            .iter()
            .map(|r| r.reading.counters["total"])
            .collect();
        assert_eq!(totals, [8012, 7690, 7432], "newest first: {backend}");
        assert_eq!(readings[0].taken_at, at(18, 0), "{backend}");
        assert_eq!(readings[0].reading, evening, "{backend}");
        assert_eq!(readings[0].cycle, Cycle::MetersAndSupplies, "{backend}");
        assert_eq!(readings[0].strategy, strategy, "{backend}");
        assert!(readings[0].has_raw, "{backend}");
        assert_eq!(
            store.reading_raw(readings[0].id).await.unwrap(),
            RawExchange {
                snmprec: Some(raw.to_owned()),
                exchanges: None,
                removed_after_days: None,
            },
            "{backend}"
        );
        assert_eq!(
            store.readings(device, 2).await.unwrap().len(),
            2,
            "{backend}"
        );

        let toner = store.supply_history(device, 1, Page::ALL).await.unwrap();
        let levels: Vec<_> = toner
            .iter()
            .map(|s| (s.taken_at, s.level, s.percent, s.state))
            .collect();
        assert_eq!(
            levels,
            [
                (at(8, 0), Some(7056), Some(98), SupplyState::Ok),
                (at(12, 0), Some(6800), Some(94), SupplyState::Ok),
                (at(18, 0), Some(500), Some(6), SupplyState::Low),
            ],
            "oldest first: {backend}"
        );
        assert_eq!(toner[0].description, "TK-1162", "{backend}");
        assert_eq!(toner[0].color.as_deref(), Some("black"), "{backend}");
        let waste = store.supply_history(device, 2, Page::ALL).await.unwrap();
        assert_eq!(waste.len(), 3, "{backend}");
        assert_eq!(
            (waste[0].level, waste[0].max, waste[0].percent),
            (Some(-3), Some(-2), None)
        );
        assert_eq!(waste[0].state, SupplyState::SomeRemaining, "{backend}");

        let alerts = store.alert_history(device, Page::ALL).await.unwrap();
        let seen: Vec<_> = alerts
            .iter()
            .map(|a| (a.taken_at, a.code, a.severity))
            .collect();
        assert_eq!(
            seen,
            [
                (at(8, 0), 503, AlertSeverity::Warning),
                (at(12, 0), 503, AlertSeverity::Warning),
                (at(18, 0), 503, AlertSeverity::Warning),
            ],
            "{backend}"
        );
        assert_eq!(
            alerts[0].group.as_deref(),
            Some("general-printer"),
            "{backend}"
        );
        assert_eq!(alerts[0].reading_id, outcomes[0].reading_id, "{backend}");

        // The late noon reading did not move the device's last sighting back.
        assert_eq!(
            store.device(device).await.unwrap().last_seen,
            at(18, 0),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_reading_with_nulls_round_trips_and_is_keyed_by_its_address() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        // A device that gives neither serial nor MAC, a supply with no level, no counters.
        let reading = Reading {
            identity: Identity {
                sys_descr: Some("Generic printer".into()),
                ..Identity::default()
            },
            supplies: vec![Supply {
                index: 1,
                description: "Toner".into(),
                kind: "toner".into(),
                color: None,
                unit: None,
                level: None,
                max: None,
                percent: None,
                state: SupplyState::Unknown,
                serial: None,
                part_number: None,
            }],
            ..Reading::default()
        };
        let first = acme
            .file("192.168.1.20", at(9, 0), Cycle::Alerts, &reading)
            .await;
        let again = acme
            .file("192.168.1.20", at(10, 0), Cycle::Alerts, &reading)
            .await;
        let elsewhere = acme
            .file("192.168.1.21", at(10, 0), Cycle::Alerts, &reading)
            .await;
        let store = &acme.store;
        assert_eq!(again.device_id, first.device_id, "{backend}");
        assert_ne!(elsewhere.device_id, first.device_id, "{backend}");

        let stored = store.readings(first.device_id, 1).await.unwrap();
        assert_eq!(stored[0].reading, reading, "{backend}");
        assert!(!stored[0].has_raw, "{backend}");
        assert!(
            store.reading_raw(stored[0].id).await.unwrap().is_empty(),
            "{backend}"
        );
        assert_eq!(stored[0].cycle, Cycle::Alerts, "{backend}");
        let device = store.device(first.device_id).await.unwrap();
        assert_eq!(
            (device.serial, device.mac, device.model),
            (None, None, None),
            "{backend}"
        );
        let supply = store
            .supply_history(first.device_id, 1, Page::ALL)
            .await
            .unwrap();
        assert_eq!(
            (supply[0].level, supply[0].state),
            (None, SupplyState::Unknown),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_new_printer_uploaded_by_several_requests_at_once_is_one_device() {
    for db in backends().await {
        let backend = db.backend;
        let store = db.open().await;
        let account = store.create_account("Acme", None, false).await.unwrap();
        let uploads = (0..8).map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let reading = printer(7432 + n, 7056);
                let address = format!("10.0.0.{}", 5 + n);
                store
                    .ingest(
                        account,
                        &address,
                        at(9, 0),
                        Cycle::Discovery,
                        &printer_mib(),
                        &reading,
                        None,
                    )
                    .await
            })
        });
        let mut outcomes = Vec::new();
        for upload in uploads.collect::<Vec<_>>() {
            outcomes.push(
                upload
                    .await
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{backend}: {e}")),
            );
        }
        assert_eq!(
            outcomes.iter().filter(|o| o.new_device).count(),
            1,
            "{backend}"
        );
        let devices = store.devices(account).await.unwrap();
        assert_eq!(devices.len(), 1, "{backend}");
        assert_eq!(devices[0].addresses.len(), 8, "{backend}");
        assert_eq!(
            store.readings(devices[0].id, 100).await.unwrap().len(),
            8,
            "{backend}"
        );
    }
}

/// A batch that reads printers several times — a late reading older than the device's
/// latest, a fact left out, two addresses, two strategies, a reading that drifts out of
/// its series — leaves every device, address, reading and daily meter as filing the
/// same readings one at a time, in the same order, does.
#[tokio::test]
async fn a_batch_files_what_its_readings_filed_one_at_a_time_would() {
    for db in backends().await {
        let backend = db.backend;
        let store = db.open().await;
        let kyocera_strategy = StrategyRef {
            name: "kyocera".into(),
            version: "0.2.0".into(),
        };
        let mib = printer_mib();
        let a = printer(7432, 7056);
        let mut a_later = printer(7690, 6800);
        a_later.identity.model = None;
        a_later.status.device = Some(DeviceStatus::Warning);
        let mut a_late = printer(7500, 7000);
        a_late.status.device = Some(DeviceStatus::Down);
        a_late.identity.manufacturer = Some("KYOCERA".into());
        let mut a_again = printer(7700, 6790);
        a_again.identity.manufacturer = None;
        let b = kyocera("VD21457944", "00:17:c8:b9:02:df", 120, 7200);
        let mut b_jammed = kyocera("VD21457944", "00:17:c8:b9:02:df", 180, 7100);
        b_jammed.alerts = (0..30)
            .map(|n| DeviceAlert {
                index: n,
                severity: AlertSeverity::Critical,
                training_level: None,
                group: Some("media-path".into()),
                group_index: Some(1),
                location: Some(n as i32),
                code: 8,
                code_name: Some("jam".into()),
                description: Some(format!("Paper jam {n} in tray {}", n % 4)),
                time: Some(n * 1_000),
            })
            .collect();
        let reads = [
            ("10.0.0.5", at(9, 0), &mib, &a),
            ("10.0.0.6", at(9, 0), &mib, &b),
            ("10.0.0.77", at(11, 0), &kyocera_strategy, &a_later),
            ("10.0.0.5", at(10, 0), &mib, &a_late),
            ("10.0.0.6", at(11, 0), &mib, &b_jammed),
            ("10.0.0.6", at(12, 0), &mib, &b),
            ("10.0.0.5", at(11, 0), &mib, &a_again),
        ];
        let mut filed = Vec::new();
        for batched in [false, true] {
            let account = store
                .create_account(if batched { "Batched" } else { "One by one" }, None, false)
                .await
                .unwrap();
            let items: Vec<Ingest<'_>> = reads
                .iter()
                .map(|&(address, taken_at, strategy, reading)| Ingest {
                    account,
                    address,
                    taken_at,
                    cycle: Cycle::MetersAndSupplies,
                    strategy,
                    reading,
                    raw: None,
                    exchanges: None,
                })
                .collect();
            let outcomes = if batched {
                store.ingest_batch(&items).await.unwrap()
            } else {
                let mut outcomes = Vec::new();
                for item in &items {
                    outcomes.extend(
                        store
                            .ingest_batch(std::slice::from_ref(item))
                            .await
                            .unwrap(),
                    );
                }
                outcomes
            };
            let new: Vec<bool> = outcomes.iter().map(|o| o.new_device).collect();
            assert_eq!(
                new,
                [true, true, false, false, false, false, false],
                "{backend}"
            );
            let mut devices = store.devices(account).await.unwrap();
            let mut kept = Vec::new();
            for device in &mut devices {
                let readings: Vec<_> = store
                    .readings(device.id, Page::ALL)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| (r.taken_at, r.strategy, r.reading))
                    .collect();
                let meters = store
                    .daily_meters(&[device.id], at(0, 0).date_naive()..=at(0, 0).date_naive())
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|m| {
                        (
                            m.first.value,
                            m.first.taken_at,
                            m.last.value,
                            m.last.taken_at,
                        )
                    })
                    .collect::<Vec<_>>();
                (device.id, device.account_id) = (DeviceId(0), AccountId(0));
                kept.push((readings, meters));
            }
            filed.push((devices, kept));
        }
        assert_eq!(filed[1], filed[0], "{backend}");
        let (devices, _) = &filed[1];
        let a = &devices[0];
        assert_eq!(
            (a.status, a.strategy.as_ref(), a.manufacturer.as_deref()),
            (Some(DeviceStatus::Running), Some(&mib), Some("KYOCERA")),
            "the status and strategy of the last of the latest readings; the manufacturer \
             of the last reading that gave one: {backend}"
        );
        assert_eq!(
            (a.first_seen, a.last_seen),
            (at(9, 0), at(11, 0)),
            "{backend}"
        );
    }
}

/// New devices are numbered in the order a batch read them, whatever their identities
/// sort as: the printer at a site's first address is its first device, as it was when
/// readings were filed one by one.
#[tokio::test]
async fn a_batchs_new_devices_are_numbered_in_the_order_they_were_read() {
    for db in backends().await {
        let backend = db.backend;
        let store = db.open().await;
        let account = store.create_account("Acme", None, false).await.unwrap();
        let mib = printer_mib();
        // Read first, though its serial sorts last.
        let first = kyocera("VD21457999", "00:17:c8:b9:02:e0", 100, 7000);
        let second = kyocera("VD21457900", "00:17:c8:b9:02:e1", 200, 7000);
        let items: Vec<Ingest<'_>> = [("10.0.0.1", &first), ("10.0.0.2", &second)]
            .into_iter()
            .map(|(address, reading)| Ingest {
                account,
                address,
                taken_at: at(9, 0),
                cycle: Cycle::MetersAndSupplies,
                strategy: &mib,
                reading,
                raw: None,
                exchanges: None,
            })
            .collect();
        let outcomes = store.ingest_batch(&items).await.unwrap();
        assert!(
            outcomes[0].device_id.0 < outcomes[1].device_id.0,
            "{backend}: {:?} then {:?}",
            outcomes[0].device_id,
            outcomes[1].device_id
        );
    }
}
