//! What a dealer records about a device's supplies: orders and shipments per position,
//! and the rated yields of part numbers per account.

use chrono::{DateTime, TimeZone, Utc};
use quire_model::Cycle;
use quire_store::{NewSupplyEvent, Page, RatedYield, SupplyEventKind};

use crate::support::{Acme, at, backends};

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
