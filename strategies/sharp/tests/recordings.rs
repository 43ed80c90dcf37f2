//! The Sharp strategy over the recorded MX-3570N and a derived recording of
//! odd counter rows. Expected values are read off the recordings and the
//! peer's expected file (`sharp.json`), never off Quire's output.

use quire_plugins_sdk::harness::{assert_counters, identity, read, read_alert_cycle};
use quire_plugins_sdk::{ErrorInput, Strategy};
use quire_strategy_sharp::Sharp;

#[test]
fn mx_3570n_reads_identity_and_supplies() {
    let r = read::<Sharp>("../../fixtures/recorded/librenms/sharp.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Sharp"),
            Some("MX-3570N"),
            Some("6509415X00"),
            Some("1.04")
        )
    );
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    // Index 5, the waste toner, is level 100 over an unknown (-2) capacity:
    // no percentage, where LibreNMS assumes a capacity of 100. Index 14, the
    // fusing unit, is -2 over -2: no percentage (LibreNMS drops the row).
    assert_eq!(
        percents,
        [
            Some(55),
            Some(19),
            Some(40),
            Some(34),
            None,
            Some(81),
            Some(81),
            Some(81),
            Some(95),
            Some(91),
            Some(91),
            Some(91),
            Some(74),
            None
        ]
    );
}

#[test]
fn mx_3570n_counters_by_function_and_colour() {
    let r = read::<Sharp>("../../fixtures/recorded/librenms/sharp.snmprec");
    // Values as sharp.json states them for each OID.
    assert_counters(
        &r,
        &[
            ("total", 121_104),
            ("print", 82_214),
            ("print.mono", 53_631),
            ("print.color", 28_583),
            ("duplex", 41_020),
            ("copy", 38_804),
            ("copy.mono", 37_485),
            ("copy.color", 1_319), // full colour; two and single colour are 0
            ("mono", 91_164),
            ("color", 29_940), // full colour; two and single colour are 0
            ("feeder", 12_441),
            ("scan", 13_534 + 6),
            ("scan.mono", 6_170 + 6),
            ("scan.color", 7_364), // e-mail/FTP; filing adds 0 and 0
        ],
    );
    // The life count is the black & white and full colour totals together.
    assert_eq!(91_164 + 29_940, 121_104);
}

#[test]
fn odd_counter_rows_are_skipped() {
    let r = read::<Sharp>("../../fixtures/derived/sharp_counters_odd.snmprec");
    assert_counters(
        &r,
        &[
            ("total", 3_000),
            ("print", 2_000),
            ("print.mono", 1_500),
            ("copy.mono", 1_000),
            ("mono", 2_500),
            ("color", 500),
        ],
    );
    // The recording names no model, serial or firmware.
    assert_eq!(identity(&r), (Some("Sharp"), None, None, None));
}

#[test]
fn a_service_code_in_an_alert_is_a_technician_visit() {
    let r = read::<Sharp>("../../fixtures/derived/sharp_counters_odd.snmprec");
    let alert = &r.alerts[0];
    assert_eq!(
        alert.description.as_deref(),
        Some("Call for service. H3-00")
    );
    let assessment = Sharp::map_error(&ErrorInput::Alert(alert.clone()));
    assert_eq!(assessment.state, "service-call");
    assert!(assessment.field_service);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    read_alert_cycle::<Sharp>("../../fixtures/recorded/librenms/sharp.snmprec");
}
