//! The Konica Minolta strategy over the recorded Konica Minolta and Develop
//! devices and the derived counter recording. Expected values are read off
//! the recordings (and the peers' expected files), never off Quire's output.

use quire_plugins_sdk::harness::{assert_counters, identity, read, read_alert_cycle};
use quire_plugins_sdk::{ErrorInput, Strategy, SupplyState};
use quire_strategy_konica_minolta::KonicaMinolta;

#[test]
fn bizhub_c3110_takes_the_private_model_and_firmware() {
    let r = read::<KonicaMinolta>("../../fixtures/recorded/librenms/konica.snmprec");
    // 18334.1.1.1.1.6.2.1.0, the model LibreNMS reports, over hrDeviceDescr
    // `Generic 28C-1`. The recording holds no serial.
    assert_eq!(
        identity(&r),
        (
            Some("Konica Minolta"),
            Some("Develop ineo+ 280"),
            None,
            Some("1.80")
        )
    );
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
    assert_eq!(
        identity(&r),
        (Some("Konica Minolta"), Some("bizhub 25e"), None, None)
    );
    assert!(r.counters.is_empty(), "{:?}", r.counters);
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(percents, [8, 99, 58, 58].map(Some));
}

#[test]
fn develop_keeps_its_brand() {
    let r = read::<KonicaMinolta>("../../fixtures/recorded/librenms/developprinter.snmprec");
    // sysDescr and sysObjectID are all the recording holds.
    assert_eq!(
        identity(&r),
        (Some("Develop"), Some("ineo 280"), None, None)
    );
}

#[test]
fn counters_by_function_and_colour_and_the_device_total() {
    let r = read::<KonicaMinolta>("../../fixtures/derived/konica_minolta_counters.snmprec");
    assert_counters(
        &r,
        &[
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
        ],
    );
    // The scan count is -1: skipped, not wrapped.
    assert_eq!(r.counter("scan"), None);
    assert_eq!(
        identity(&r),
        (
            Some("Konica Minolta"),
            Some("bizhub C300i"),
            None,
            Some("G00-R9")
        )
    );
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
    let r =
        read_alert_cycle::<KonicaMinolta>("../../fixtures/derived/konica_minolta_counters.snmprec");
    assert_eq!(r.alerts.len(), 1);
}
