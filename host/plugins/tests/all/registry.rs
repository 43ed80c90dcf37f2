//! Choosing a strategy for a device, and swapping strategies while reads run.

use std::sync::Arc;
use std::time::Duration;

use quire_model::Cycle;
use quire_plugins::{PluginError, Probe, Reason, Registry, Verdict};
use quire_transport::ReplayTransport;

use crate::{SlowDevice, device, guest, host, hostile, recording};

fn hostile_probe() -> Probe {
    Probe {
        sys_object_id: "1.3.6.1.4.1.99999.1".into(),
        sys_descr: "Hostile Test Printer".into(),
    }
}

fn other_probe() -> Probe {
    Probe {
        sys_object_id: "1.3.6.1.4.1.1347.41".into(),
        sys_descr: "KYOCERA Document Solutions Printing System".into(),
    }
}

#[tokio::test]
async fn a_read_in_flight_finishes_on_the_version_it_started_with() {
    let host = host();
    let registry = Registry::new();
    registry.insert(hostile(&host).await).unwrap();

    let slow: Arc<SlowDevice> = Arc::new(SlowDevice {
        inner: ReplayTransport::new(Arc::new(recording("ok"))),
        delay: Duration::from_millis(300),
    });
    let chosen = registry
        .select(&hostile_probe(), device("ok"))
        .await
        .unwrap();
    assert_eq!(chosen.plugin.strategy_ref().to_string(), "hostile@1.0.0");
    let in_flight =
        tokio::spawn(async move { chosen.plugin.collect(slow, Cycle::MetersAndSupplies).await });
    tokio::time::sleep(Duration::from_millis(50)).await;

    let v2 = host.load(&guest("quire_guest_reformed")).await.unwrap();
    let replaced = registry.insert(v2).unwrap().unwrap();
    assert_eq!(replaced.strategy_ref().to_string(), "hostile@1.0.0");

    let old = in_flight.await.unwrap().unwrap();
    assert_eq!(old.identity.firmware.as_deref(), Some("1.0.0"));

    let next = registry
        .select(&hostile_probe(), device("ok"))
        .await
        .unwrap();
    assert_eq!(next.plugin.strategy_ref().to_string(), "hostile@2.0.0");
    let new = next
        .plugin
        .collect(device("ok"), Cycle::MetersAndSupplies)
        .await
        .unwrap();
    assert_eq!(new.identity.firmware.as_deref(), Some("2.0.0"));
}

#[tokio::test]
async fn install_puts_back_an_older_version_as_a_rollback_does() {
    let host = host();
    let registry = Registry::new();
    registry
        .insert(host.load(&guest("quire_guest_reformed")).await.unwrap())
        .unwrap();
    let replaced = registry.install(hostile(&host).await).unwrap();
    assert_eq!(replaced.version().to_string(), "2.0.0");
    assert_eq!(
        registry.get("hostile").unwrap().version().to_string(),
        "1.0.0"
    );
}

#[tokio::test]
async fn an_older_version_does_not_replace_a_newer_one() {
    let host = host();
    let registry = Registry::new();
    registry
        .insert(host.load(&guest("quire_guest_reformed")).await.unwrap())
        .unwrap();
    let err = registry.insert(hostile(&host).await).unwrap_err();
    assert!(matches!(err, PluginError::NotNewer { .. }));
    assert_eq!(
        err.to_string(),
        "hostile@1.0.0 is not newer than the loaded hostile@2.0.0; remove it first to go back"
    );
    assert_eq!(
        registry.get("hostile").unwrap().version().to_string(),
        "2.0.0"
    );
}

#[tokio::test]
async fn the_claiming_strategy_is_chosen_and_the_reason_explains_it() {
    let host = host();
    let registry = Registry::new();
    registry.insert(hostile(&host).await).unwrap();
    registry
        .insert(host.load(&guest("quire_guest_generic")).await.unwrap())
        .unwrap();

    let chosen = registry
        .select(&hostile_probe(), device("ok"))
        .await
        .unwrap();
    assert_eq!(chosen.plugin.name(), "hostile");
    let Reason::Identified {
        score, considered, ..
    } = &chosen.reason
    else {
        panic!("{:?}", chosen.reason)
    };
    assert_eq!(*score, 10);
    // The generic strategy has no match rules: it is never asked, only fallen back to.
    assert_eq!(considered.len(), 1);
    assert_eq!(considered[0].verdict, Verdict::Score(10));
    assert_eq!(
        chosen.reason.to_string(),
        "chosen because sysObjectID starts with 1.3.6.1.4.1.99999 and it scored 10\n  hostile@1.0.0 (sysObjectID starts with 1.3.6.1.4.1.99999): scored 10\n"
    );
}

#[tokio::test]
async fn an_unclaimed_device_falls_back_to_printer_mib_and_then_to_an_error() {
    let host = host();
    let registry = Registry::new();
    registry.insert(hostile(&host).await).unwrap();
    registry
        .insert(host.load(&guest("quire_guest_generic")).await.unwrap())
        .unwrap();

    let chosen = registry.select(&other_probe(), device("ok")).await.unwrap();
    assert_eq!(
        chosen.plugin.strategy_ref().to_string(),
        "printer-mib@0.0.1"
    );
    assert_eq!(chosen.reason, Reason::Fallback { considered: vec![] });
    let reading = chosen
        .plugin
        .collect(device("ok"), Cycle::Discovery)
        .await
        .unwrap();
    assert_eq!(reading.identity.model.as_deref(), Some("generic"));

    // Once the hostile strategy is removed, its devices fall back too.
    assert!(registry.remove("hostile").is_some());
    let chosen = registry
        .select(&hostile_probe(), device("ok"))
        .await
        .unwrap();
    assert_eq!(chosen.plugin.name(), "printer-mib");

    assert!(registry.remove("printer-mib").is_some());
    assert!(registry.remove("printer-mib").is_none());
    let err = registry
        .select(&other_probe(), device("ok"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no strategy claims the device (sysObjectID \"1.3.6.1.4.1.1347.41\", sysDescr \"KYOCERA Document Solutions Printing System\") and the fallback printer-mib is not loaded"
    );
}
