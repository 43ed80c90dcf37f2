//! Calculated values (volumes and supply forecasts): written, read back and replaced per
//! device page, on both backends.

use chrono::Duration;
use quire_model::Cycle;
use quire_store::{DeviceId, DeviceVolume, NewForecast, Page, Visibility};
use serde_json::json;

use crate::kyocera::kyocera;
use crate::support::{Acme, at, backends};

#[tokio::test]
async fn a_recompute_replaces_each_devices_volume_and_removes_those_without_one() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        let mut devices = Vec::new();
        for n in 1..=3 {
            let reading = kyocera(
                &format!("VD3000000{n}"),
                &format!("00:17:c8:00:01:0{n}"),
                1_000,
                5_000,
            );
            let filed = acme
                .file(
                    &format!("10.0.1.{n}"),
                    at(9, 0),
                    Cycle::MetersAndSupplies,
                    &reading,
                )
                .await;
            devices.push(filed.device_id);
        }
        // Walked in pages of two, in id order.
        let store = &acme.store;
        let first_page = store.device_ids_after(None, 2).await.unwrap();
        assert_eq!(first_page, devices[..2], "{backend}");
        let rest = store.device_ids_after(Some(devices[1]), 2).await.unwrap();
        assert_eq!(rest, devices[2..], "{backend}");

        let volume = |device: DeviceId, daily: f64| DeviceVolume {
            device_id: device,
            computed_at: at(10, 0),
            daily,
            monthly: daily * 30.4375,
            detail: json!({"basis": "total", "daily": daily}),
        };
        store
            .replace_volumes(
                &devices,
                &[volume(devices[0], 120.5), volume(devices[1], 8.0)],
            )
            .await
            .unwrap();
        assert_eq!(
            store.volume(devices[0]).await.unwrap(),
            Some(volume(devices[0], 120.5)),
            "{backend}"
        );
        assert_eq!(store.volume(devices[2]).await.unwrap(), None, "{backend}");

        // The next pass finds no data for the first device: its volume goes, not stays stale.
        store
            .replace_volumes(&devices[..2], &[volume(devices[1], 9.0)])
            .await
            .unwrap();
        assert_eq!(store.volume(devices[0]).await.unwrap(), None, "{backend}");
        assert_eq!(
            store.volume(devices[1]).await.unwrap(),
            Some(volume(devices[1], 9.0)),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_recompute_replaces_each_devices_forecasts_and_lists_those_running_out_soonest_first() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        let mut devices = Vec::new();
        for n in 1..=2 {
            let reading = kyocera(
                &format!("VF3000000{n}"),
                &format!("00:17:c8:00:02:0{n}"),
                1_000,
                5_000,
            );
            let filed = acme
                .file(
                    &format!("10.0.2.{n}"),
                    at(9, 0),
                    Cycle::MetersAndSupplies,
                    &reading,
                )
                .await;
            devices.push(filed.device_id);
        }
        let store = &acme.store;
        let forecast = |device: DeviceId, index: u32, days: Option<i64>| NewForecast {
            device_id: device,
            index,
            empty_on: days.map(|d| at(9, 0) + Duration::days(d)),
            detail: json!({"index": index, "days": days}),
        };
        store
            .replace_forecasts(
                &devices,
                &[
                    forecast(devices[0], 1, Some(20)),
                    forecast(devices[0], 2, None),
                    forecast(devices[1], 1, Some(5)),
                ],
                at(10, 0),
            )
            .await
            .unwrap();
        let within = |days: i64| at(9, 0) + Duration::days(days);
        let soon = store
            .running_out(Visibility::All, within(30), Page::ALL)
            .await
            .unwrap();
        let listed: Vec<(DeviceId, u32)> = soon.iter().map(|f| (f.device_id, f.index)).collect();
        assert_eq!(listed, [(devices[1], 1), (devices[0], 1)], "{backend}");
        assert_eq!(soon[0].account_id, acme.account, "{backend}");
        assert_eq!(soon[0].computed_at, at(10, 0), "{backend}");
        assert_eq!(soon[0].detail, json!({"index": 1, "days": 5}), "{backend}");
        let first_week = store
            .running_out(Visibility::All, within(7), Page::ALL)
            .await
            .unwrap();
        assert_eq!(first_week.len(), 1, "{backend}");
        // A refusal is kept beside the forecasts, with no date.
        let first = store.forecasts(devices[0]).await.unwrap();
        assert_eq!(
            first
                .iter()
                .map(|f| (f.index, f.empty_on))
                .collect::<Vec<_>>(),
            [(1, Some(within(20))), (2, None)],
            "{backend}"
        );

        // The next pass of the first device's page finds one supply: the other goes.
        store
            .replace_forecasts(
                &devices[..1],
                &[forecast(devices[0], 1, Some(18))],
                at(11, 0),
            )
            .await
            .unwrap();
        let first = store.forecasts(devices[0]).await.unwrap();
        assert_eq!(
            first
                .iter()
                .map(|f| (f.index, f.empty_on, f.computed_at))
                .collect::<Vec<_>>(),
            [(1, Some(within(18)), at(11, 0))],
            "{backend}"
        );
        assert_eq!(
            store.forecasts(devices[1]).await.unwrap().len(),
            1,
            "{backend}"
        );
    }
}
