//! The Ricoh strategy over the recorded Ricoh-family devices and the derived
//! counter table. Expected values are read off the recordings (and the
//! peers' expected files), never off Quire's output.

use quire_plugins_sdk::harness::{read, read_for};
use quire_plugins_sdk::{Cycle, SupplyState};
use quire_strategy_ricoh::Ricoh;

#[test]
fn aficio_mp_c3002_reads_its_private_model_serial_and_firmware() {
    let r = read::<Ricoh>("../../fixtures/recorded/librenms/ricoh_mpc3002.snmprec");
    assert_eq!(r.identity.manufacturer.as_deref(), Some("Ricoh"));
    assert_eq!(r.identity.model.as_deref(), Some("Aficio MP C3002"));
    assert_eq!(r.identity.serial.as_deref(), Some("W492KB03439"));
    assert_eq!(r.identity.firmware.as_deref(), Some("2.20"));
    assert_eq!(r.counter("total"), Some(271_871));
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(
        percents,
        [Some(40), Some(100), Some(20), Some(50), Some(50)]
    );
}

#[test]
fn brands_on_ricoh_engines_keep_their_name() {
    let lanier = read::<Ricoh>("../../fixtures/recorded/librenms/lanier.snmprec");
    assert_eq!(lanier.identity.manufacturer.as_deref(), Some("Lanier"));
    assert_eq!(lanier.identity.model.as_deref(), Some("MP C3501/LD635C"));
    assert_eq!(lanier.identity.firmware.as_deref(), Some("2.01"));

    let savin = read::<Ricoh>("../../fixtures/recorded/librenms/savin_c4503.snmprec");
    assert_eq!(savin.identity.manufacturer.as_deref(), Some("Savin"));
    assert_eq!(savin.identity.model.as_deref(), Some("MP C4503"));

    let gestetner = read::<Ricoh>("../../fixtures/recorded/librenms/gestetner.snmprec");
    assert_eq!(
        gestetner.identity.manufacturer.as_deref(),
        Some("Gestetner")
    );
    assert_eq!(gestetner.identity.model.as_deref(), Some("MPC2500/DSc525"));
    assert_eq!(gestetner.identity.serial.as_deref(), Some("M6394300657"));
    assert_eq!(gestetner.identity.firmware.as_deref(), Some("1.71"));
}

#[test]
fn counters_come_by_type_and_types_sharing_a_name_add_up() {
    let r = read::<Ricoh>("../../fixtures/derived/ricoh_counters.snmprec");
    let expected = [
        ("total", 121_000),
        ("scan", 300 + 450),
        ("print.mono", 40_000),
        ("copy.mono", 30_000),
        ("print.color", 25_000 + 2_000),
        ("copy.color", 15_000 + 1_000),
        ("fax", 8_000),
        ("print", 67_000),
        ("copy", 46_000),
    ];
    for (name, value) in expected {
        assert_eq!(r.counter(name), Some(value), "{name}");
    }
    assert_eq!(r.counters.len(), expected.len(), "{:?}", r.counters);
    assert_eq!(r.identity.serial.as_deref(), Some("C0000000001"));
}

#[test]
fn minus_one_hundred_is_an_empty_cartridge() {
    let r = read::<Ricoh>("../../fixtures/derived/ricoh_counters.snmprec");
    let black = &r.supplies[0];
    assert_eq!(black.level, Some(-100));
    assert_eq!(black.percent, Some(0));
    assert_eq!(black.state, SupplyState::Empty);
    assert_eq!(r.supplies[1].percent, Some(60));
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_for::<Ricoh>(
        "../../fixtures/derived/ricoh_counters.snmprec",
        Cycle::Alerts,
    );
    assert!(r.counters.is_empty());
    assert!(r.supplies.is_empty());
}
