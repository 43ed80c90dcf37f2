//! The Xerox strategy over the recorded Xerox, Fuji Xerox and FUJIFILM
//! devices and the derived counter recording. Expected values are read off
//! the recordings (and the peers' expected files), never off Quire's output.

use quire_plugins_sdk::harness::{assert_counters, identity, percents, read, read_alert_cycle};
use quire_strategy_xerox::Xerox;

#[test]
fn altalink_model_from_the_device_id_and_supplies_split() {
    let r = read::<Xerox>("../../fixtures/recorded/librenms/xerox.snmprec");
    // No family firmware is read (see the crate doc).
    assert_eq!(
        identity(&r),
        (Some("Xerox"), Some("AltaLink C8045"), None, None)
    );
    assert_eq!(
        percents(&r),
        [
            (1, Some(20)),
            (2, Some(66)),
            (3, Some(72)),
            (4, Some(60)),
            (5, Some(50)),
            (6, Some(92)),
            (7, Some(93)),
            (8, Some(93)),
            (9, Some(90)),
            (10, Some(5)),
            (11, Some(65)),
            (12, Some(86)),
        ]
    );
    let black = &r.supplies[0];
    assert_eq!(black.description, "Black Toner");
    assert_eq!(black.part_number.as_deref(), Some("006R01509"));
    assert_eq!(black.serial.as_deref(), Some("48178080E0000481"));
    let fuser = &r.supplies[8];
    assert_eq!(fuser.description, "Fuser");
    assert_eq!(
        (fuser.part_number.as_deref(), fuser.serial.as_deref()),
        (None, None)
    );
    let waste = &r.supplies[9];
    assert_eq!(waste.description, "Waste Toner Container");
    assert_eq!(waste.part_number.as_deref(), Some("008R13061"));
    assert_eq!(waste.serial, None);
}

#[test]
fn apeosport_is_fuji_xerox_with_its_printer_mib_serial() {
    let r = read::<Xerox>("../../fixtures/recorded/librenms/xerox_apeosport.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Fuji Xerox"),
            Some("ApeosPort-VI C4471"),
            Some("TC101180620073"),
            None
        )
    );
}

#[test]
fn apeos_c7580_is_fujifilm() {
    let r = read::<Xerox>("../../fixtures/recorded/librenms/fujifilmprinter_c7580.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Fujifilm"),
            Some("Apeos C7580"),
            Some("TC101642170085"),
            None
        )
    );
    // Index 5 is at -3 ("some remaining"), which the peer shows as 50 by its own policy.
    assert_eq!(
        percents(&r),
        [
            (2, Some(100)),
            (3, Some(100)),
            (4, Some(100)),
            (5, None),
            (6, Some(99)),
            (7, Some(100)),
            (8, Some(100)),
            (9, Some(100)),
            (30, Some(100)),
            (31, Some(90)),
        ]
    );
}

#[test]
fn glpi_counters_add_up_and_odd_values_are_skipped() {
    let r = read::<Xerox>("../../fixtures/derived/xerox_counters.snmprec");
    assert_counters(
        &r,
        &[
            ("total", 36_000),
            ("print", 30_000),
            ("print.color", 12_000),
            ("print.mono", 18_000),
            ("scan", 700 + 300),
            ("copy.mono", 6_000),
            ("copy", 6_000),
        ],
    );
    assert_eq!(
        identity(&r),
        (
            Some("Xerox"),
            Some("VersaLink C405"),
            Some("3390000001"),
            None
        )
    );
    assert_eq!(r.supplies[0].part_number.as_deref(), Some("106R03500"));
    assert_eq!(r.supplies[0].serial.as_deref(), Some("1A2B3C4D5E6F0001"));
    assert_eq!(percents(&r), [(1, Some(80)), (2, Some(70))]);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    read_alert_cycle::<Xerox>("../../fixtures/derived/xerox_counters.snmprec");
}
