//! The Konica Minolta strategy over the recorded Konica Minolta and Develop
//! devices and the derived counter recording. Expected values are read off
//! the recordings (and the peers' expected files), never off Quire's output.

use quire_plugins_sdk::harness::{read, read_for};
use quire_plugins_sdk::{Cycle, ErrorInput, Strategy, SupplyState};
use quire_strategy_konica_minolta::KonicaMinolta;

#[test]
fn bizhub_c3110_takes_the_private_model_and_firmware() {
    let r = read::<KonicaMinolta>("../../fixtures/recorded/librenms/konica.snmprec");
    assert_eq!(r.identity.manufacturer.as_deref(), Some("Konica Minolta"));
    // 18334.1.1.1.1.6.2.1.0, the model LibreNMS reports, over hrDeviceDescr
    // `Generic 28C-1`.
    assert_eq!(r.identity.model.as_deref(), Some("Develop ineo+ 280"));
    assert_eq!(r.identity.firmware.as_deref(), Some("1.80"));
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(
        percents[..12],
        [29, 31, 58, 83, 59, 79, 97, 78, 59, 78, 20, 71].map(Some)
    );
    let waste = &r.supplies[12];
    assert_eq!(waste.description, "Waste Toner Box");
    assert_eq!(waste.state, SupplyState::SomeRemaining);
    assert_eq!(
        percents[13..],
        [68, 41, 45, 45].map(Some),
        "fuser, belt, roller, filter"
    );
}

#[test]
fn bizhub_25e_has_no_private_objects_and_reads_the_standard_ones() {
    let r = read::<KonicaMinolta>("../../fixtures/recorded/librenms/konica_2.snmprec");
    assert_eq!(r.identity.manufacturer.as_deref(), Some("Konica Minolta"));
    assert_eq!(r.identity.model.as_deref(), Some("bizhub 25e"));
    assert_eq!(r.identity.firmware, None);
    assert!(r.counters.is_empty(), "{:?}", r.counters);
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(percents, [8, 99, 58, 58].map(Some));
}

#[test]
fn develop_keeps_its_brand() {
    let r = read::<KonicaMinolta>("../../fixtures/recorded/librenms/developprinter.snmprec");
    assert_eq!(r.identity.manufacturer.as_deref(), Some("Develop"));
    assert_eq!(r.identity.model.as_deref(), Some("ineo 280"));
}

#[test]
fn counters_by_function_and_colour_and_the_device_total() {
    let r = read::<KonicaMinolta>("../../fixtures/derived/konica_minolta_counters.snmprec");
    let expected = [
        ("total", 25_000),
        ("duplex", 4_000),
        ("copy.mono", 5_000),
        ("print.mono", 12_000),
        ("copy.color", 2_000),
        ("print.color", 6_000),
        ("copy", 7_000),
        ("print", 18_000),
        ("mono", 17_000),
        ("color", 8_000),
    ];
    for (name, value) in expected {
        assert_eq!(r.counter(name), Some(value), "{name}");
    }
    // The scan count is -1: skipped, not wrapped.
    assert_eq!(r.counter("scan"), None);
    assert_eq!(r.counters.len(), expected.len(), "{:?}", r.counters);
    assert_eq!(r.identity.model.as_deref(), Some("bizhub C300i"));
    assert_eq!(r.identity.firmware.as_deref(), Some("G00-R9"));
}

#[test]
fn a_trouble_code_is_a_service_call() {
    let r = read::<KonicaMinolta>("../../fixtures/derived/konica_minolta_counters.snmprec");
    let alert = &r.alerts[0];
    assert_eq!(alert.description.as_deref(), Some("Trouble code: C2152"));
    let assessment = KonicaMinolta::map_error(&ErrorInput::Alert(alert.clone()));
    assert_eq!(assessment.state, "service-call");
    assert!(assessment.field_service);

    let mut plain = alert.clone();
    plain.description = Some("bizhub C3110 ready".into());
    assert_ne!(
        KonicaMinolta::map_error(&ErrorInput::Alert(plain)).state,
        "service-call"
    );
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_for::<KonicaMinolta>(
        "../../fixtures/derived/konica_minolta_counters.snmprec",
        Cycle::Alerts,
    );
    assert!(r.counters.is_empty());
    assert!(r.supplies.is_empty());
    assert_eq!(r.alerts.len(), 1);
}
