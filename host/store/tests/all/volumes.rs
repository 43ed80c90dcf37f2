//! Calculated volumes: written, read back and replaced per device page, on both backends.

use quire_model::Cycle;
use quire_store::{DeviceId, DeviceVolume};
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
