//! What a dealer records about a device's supplies: orders, shipments and installs per
//! position, each with the device's page counter when it happened, and the rated yields
//! of part numbers per account.

use chrono::{DateTime, Duration, TimeZone, Utc};
use quire_model::Cycle;
use quire_store::{NewSupplyEvent, Page, RatedYield, SupplyEventKind};

use crate::support::{Acme, at, backends, printer};

/// `2026-11-dd 10:00 UTC`.
fn november(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 10, 0, 0).unwrap()
}

#[tokio::test]
async fn orders_and_shipments_come_back_by_when_they_happened() {
    for db in backends().await {
        let backend = db.backend;
        let (acme, filed) = Acme::with_printer_filed(&db, Cycle::MetersAndSupplies).await;
        let device = filed.device_id;
        let black = |kind, part_number, quantity, day, note| NewSupplyEvent {
            supply_kind: "toner",
            supply_color: Some("black"),
            supply_rank: 1,
            kind,
            part_number,
            quantity,
            at: november(day),
            note,
        };
        // Filed shipment first, order second: listed by when they happened.
        let shipped = acme
            .store
            .add_supply_event(
                device,
                &black(SupplyEventKind::Shipped, "TK-1162", 2, 12, None),
                at(9, 30),
            )
            .await
            .unwrap();
        assert_eq!(
            (shipped.device_id, shipped.quantity, shipped.recorded_at),
            (device, 2, at(9, 30)),
            "{backend}"
        );
        let ordered = acme
            .store
            .add_supply_event(
                device,
                &black(SupplyEventKind::Ordered, "TK-1162", 2, 10, Some("PO 4471")),
                at(9, 31),
            )
            .await
            .unwrap();
        let events = acme.store.supply_events(device, Page::ALL).await.unwrap();
        assert_eq!(events, [ordered.clone(), shipped.clone()], "{backend}");
        assert_eq!(
            (
                events[0].kind,
                events[0].at,
                events[0].note.as_deref(),
                events[0].supply_color.as_deref(),
                events[0].supply_rank
            ),
            (
                SupplyEventKind::Ordered,
                november(10),
                Some("PO 4471"),
                Some("black"),
                1
            ),
            "{backend}"
        );
        let second = acme
            .store
            .supply_events(
                device,
                Page {
                    offset: 1,
                    limit: 5,
                },
            )
            .await
            .unwrap();
        assert_eq!(second, [shipped], "{backend}");
    }
}

#[tokio::test]
async fn rated_yields_are_replaced_whole_and_kept_per_account() {
    for db in backends().await {
        let backend = db.backend;
        let acme = Acme::open(&db).await;
        let other = acme
            .store
            .create_account("Globex", None, false)
            .await
            .unwrap();
        let rated = |part: &str, pages| RatedYield {
            part_number: part.into(),
            rated_pages: pages,
        };
        acme.store
            .set_rated_yields(
                acme.account,
                &[rated("TK-1162", 7_200), rated("CF410A", 2_300)],
            )
            .await
            .unwrap();
        acme.store
            .set_rated_yields(other, &[rated("TK-1162", 6_000)])
            .await
            .unwrap();
        assert_eq!(
            acme.store.rated_yields(acme.account).await.unwrap(),
            [rated("CF410A", 2_300), rated("TK-1162", 7_200)],
            "{backend}: by part number"
        );
        // A new list replaces the old one; the other account keeps its own.
        acme.store
            .set_rated_yields(acme.account, &[rated("CF410X", 6_500)])
            .await
            .unwrap();
        assert_eq!(
            acme.store.rated_yields(acme.account).await.unwrap(),
            [rated("CF410X", 6_500)],
            "{backend}"
        );
        assert_eq!(
            acme.store.rated_yields(other).await.unwrap(),
            [rated("TK-1162", 6_000)],
            "{backend}"
        );
        acme.store
            .set_rated_yields(acme.account, &[])
            .await
            .unwrap();
        assert!(
            acme.store
                .rated_yields(acme.account)
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn each_event_comes_with_the_counter_of_the_last_reading_at_or_before_it() {
    for db in backends().await {
        let backend = db.backend;
        // Read at 09:00 (7432 pages) and 18:00 (7500) on the 23rd, 09:00 (7600) on the
        // 24th: the daily meters keep each day's first and last.
        let (acme, filed) = Acme::with_printer_filed(&db, Cycle::MetersAndSupplies).await;
        let device = filed.device_id;
        for (taken_at, total) in [(at(18, 0), 7_500), (at(9, 0) + Duration::days(1), 7_600)] {
            acme.file(
                "10.0.0.5",
                taken_at,
                Cycle::MetersAndSupplies,
                &printer(total, 7_000),
            )
            .await;
        }
        let kit = |kind, at| NewSupplyEvent {
            supply_kind: "maintenance-kit",
            supply_color: None,
            supply_rank: 1,
            kind,
            part_number: "MK-1150",
            quantity: 1,
            at,
            note: None,
        };
        for (kind, happened) in [
            (SupplyEventKind::Ordered, at(8, 0) - Duration::days(1)),
            (SupplyEventKind::Installed, at(12, 0)),
            (SupplyEventKind::Shipped, at(19, 0)),
            (SupplyEventKind::Installed, at(8, 0) + Duration::days(1)),
            (SupplyEventKind::Installed, at(9, 0) + Duration::days(1)),
        ] {
            acme.store
                .add_supply_event(device, &kit(kind, happened), at(20, 0) + Duration::days(1))
                .await
                .unwrap();
        }
        let events = acme
            .store
            .supply_events_with_counter_of(&[device], "total")
            .await
            .unwrap();
        let seen: Vec<_> = events
            .iter()
            .map(|(e, then)| (e.kind, e.at, *then))
            .collect();
        assert_eq!(
            seen,
            [
                (SupplyEventKind::Ordered, at(8, 0) - Duration::days(1), None),
                // 12:00 is after the day's first reading and before its last.
                (SupplyEventKind::Installed, at(12, 0), Some(7_432)),
                (SupplyEventKind::Shipped, at(19, 0), Some(7_500)),
                // Before the 24th's first reading: the 23rd's last.
                (
                    SupplyEventKind::Installed,
                    at(8, 0) + Duration::days(1),
                    Some(7_500)
                ),
                (
                    SupplyEventKind::Installed,
                    at(9, 0) + Duration::days(1),
                    Some(7_600)
                ),
            ],
            "{backend}"
        );
        assert_eq!(
            acme.store
                .supply_events_with_counter_of(&[device], "color")
                .await
                .unwrap()
                .iter()
                .map(|(_, then)| *then)
                .collect::<Vec<_>>(),
            [None; 5],
            "{backend}: a counter the device does not have"
        );
    }
}
