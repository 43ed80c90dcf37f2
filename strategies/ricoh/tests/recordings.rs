//! The Ricoh strategy over the recorded Ricoh-family devices and the derived
//! counter table. Expected values are read off the recordings (and the
//! peers' expected files), never off Quire's output.

use quire_plugins_sdk::SupplyState;
use quire_plugins_sdk::harness::{assert_counters, identity, read, read_alert_cycle};
use quire_strategy_ricoh::Ricoh;

#[test]
fn aficio_mp_c3002_reads_its_private_model_serial_and_firmware() {
    let r = read::<Ricoh>("../../fixtures/recorded/librenms/ricoh_mpc3002.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Ricoh"),
            Some("Aficio MP C3002"),
            Some("W492KB03439"),
            Some("2.20")
        )
    );
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
    // The Lanier and the Savin recordings hold no serial.
    assert_eq!(
        identity(&lanier),
        (Some("Lanier"), Some("MP C3501/LD635C"), None, Some("2.01"))
    );

    let savin = read::<Ricoh>("../../fixtures/recorded/librenms/savin_c4503.snmprec");
    assert_eq!(
        identity(&savin),
        (Some("Savin"), Some("MP C4503"), None, Some("1.18"))
    );

    let gestetner = read::<Ricoh>("../../fixtures/recorded/librenms/gestetner.snmprec");
    assert_eq!(
        identity(&gestetner),
        (
            Some("Gestetner"),
            Some("MPC2500/DSc525"),
            Some("M6394300657"),
            Some("1.71")
        )
    );
}

#[test]
fn counters_come_by_type_and_types_sharing_a_name_add_up() {
    let r = read::<Ricoh>("../../fixtures/derived/ricoh_counters.snmprec");
    assert_counters(
        &r,
        &[
            ("total", 121_000),
            ("scan", 300 + 450),
            ("print.mono", 40_000),
            ("copy.mono", 30_000),
            ("print.color", 25_000 + 2_000),
            ("copy.color", 15_000 + 1_000),
            ("fax", 8_000),
            ("print", 67_000),
            ("copy", 46_000),
        ],
    );
    assert_eq!(
        identity(&r),
        (
            Some("Ricoh"),
            Some("MP C4504ex"),
            Some("C0000000001"),
            Some("1.07")
        )
    );
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
    read_alert_cycle::<Ricoh>("../../fixtures/derived/ricoh_counters.snmprec");
}
