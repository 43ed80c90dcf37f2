//! Alert-logic plugins: the built-in maintenance kit judges a real Kyocera reading in
//! the sandbox, describes the devices it is for, and is not mixed up with the other
//! worlds.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use quire_model::Cycle;
use quire_plugins::bindings::VERSION;
use quire_plugins::{DeviceFacts, PluginError, SupplyChange, Trigger};
use quire_snmp::Recording;
use quire_transport::ReplayTransport;

use crate::{guest, host};

fn maintenance_kit() -> &'static [u8] {
    quire_builtin::ALERT_LOGIC
        .iter()
        .find(|(name, _)| *name == "quire-alert-logic-maintenance-kit")
        .expect("the maintenance kit is built in")
        .1
}

#[tokio::test]
async fn the_maintenance_kit_counts_a_kyocera_kit_from_its_installation() {
    let host = host();
    let kit = host.load_alert_logic(maintenance_kit()).await.unwrap();
    assert_eq!(kit.info().name, "maintenance-kit");
    assert!(kit.judges(Some("kyocera")));
    assert!(!kit.judges(Some("hp")), "HP reports its kits");
    assert!(!kit.judges(None));

    // The recorded ECOSYS P2040dn, read by the built-in Kyocera strategy: its supplies
    // are a toner and a waste toner box, its total 7432 (prtMarkerLifeCount).
    let registry = quire_builtin::registry(&host).await.unwrap();
    let kyocera = registry.get("kyocera").unwrap();
    let recording = Recording::load(std::path::Path::new(
        "../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec",
    ))
    .unwrap();
    let reading = kyocera
        .collect(
            Arc::new(ReplayTransport::new(Arc::new(recording))),
            Cycle::MetersAndSupplies,
        )
        .await
        .unwrap();
    assert_eq!(reading.counters.get("total"), Some(&7432));

    let installed_at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    let facts = DeviceFacts {
        family: Some("kyocera".into()),
        reading,
        read_at: Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap(),
        daily_average_volume: None,
        monthly_average_volume: None,
        supply_changes: vec![SupplyChange {
            position: "maintenance-kit".into(),
            event: "installed".into(),
            part_number: Some("MK-1150".into()),
            at: installed_at,
            total_pages: Some(2432),
        }],
        rated_yields: vec![("MK-1150".into(), 10_000)],
    };
    let triggers = kit.evaluate(&facts).await.unwrap();
    // 5000 of 10000 pages since the kit went in.
    assert_eq!(
        triggers,
        [Trigger::Consumable {
            name: "maintenance-kit".into(),
            description: "Maintenance kit MK-1150: 5000 of its 10000 rated pages printed since it was installed on 2026-01-05T09:00:00Z".into(),
            remaining_percent: 50,
        }]
    );

    let unrated = DeviceFacts {
        rated_yields: Vec::new(),
        ..facts
    };
    assert_eq!(kit.evaluate(&unrated).await.unwrap(), []);
}

#[tokio::test]
async fn an_alert_logic_plugin_is_not_a_strategy_and_a_strategy_is_not_alert_logic() {
    let host = host();
    let err = host.load(maintenance_kit()).await.unwrap_err();
    assert!(
        matches!(&err, PluginError::Invalid { reason, .. } if reason.contains("it is an alert-logic plugin")),
        "{err}"
    );
    let err = host
        .load_alert_logic(&guest("quire_guest_hostile"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("it is a strategy")
            && err.to_string().contains("not an alert-logic plugin"),
        "{err}"
    );
}

#[tokio::test]
async fn alert_logic_gets_no_device_even_when_it_asks_for_one() {
    // Strategies import SNMP from the same linker; an alert-logic component that
    // imports it is refused at load, before it can run.
    let bytes = wat::parse_str(format!(
        r#"(component
            (import "quire:device/snmp@{VERSION}" (instance))
            (instance $api)
            (export "quire:device/alert-logic-api@{VERSION}" (instance $api)))"#,
    ))
    .unwrap();
    let err = host().load_alert_logic(&bytes).await.unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "imports quire:device/snmp@{VERSION}, which Quire does not provide to an alert-logic plugin"
        )),
        "{err}"
    );
}
