//! The Zebra strategy over the recorded ZebraNet Wired PS (LibreNMS's
//! `zebra.snmprec`), and over derived recordings (`fixtures/derived/`) for
//! the sources that one does not hold. Expected values are read off the
//! recordings, never off Quire's output.

use quire_plugins_sdk::harness::{identity, notes, read, read_alert_cycle};
use quire_strategy_zebra::Zebra;

const ZEBRANET: &str = "../../fixtures/recorded/librenms/zebra.snmprec";

#[test]
fn a_zebranet_print_server_reads_the_printer_behind_it() {
    let r = read::<Zebra>(ZEBRANET);
    // 10642.1.1.0 `ZTC 140Xi4-203dpi ZPL`, 10642.1.2.0 `V53.17.22Z`; no
    // serial object is recorded.
    assert_eq!(
        identity(&r),
        (
            Some("Zebra"),
            Some("140Xi4-203dpi ZPL"),
            None,
            Some("V53.17.22Z")
        )
    );
    assert!(r.counters.is_empty(), "{:?}", r.counters);
    assert!(r.supplies.is_empty(), "{:?}", r.supplies);
}

#[test]
fn the_alert_cycle_reads_the_identity_too() {
    let r = read_alert_cycle::<Zebra>(ZEBRANET);
    assert_eq!(r.identity.firmware.as_deref(), Some("V53.17.22Z"));
}

#[test]
fn esi_and_zebra_ql_objects_stand_in_for_the_zebra_mib() {
    let r = read::<Zebra>("../../fixtures/derived/zebra_ql_esi.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Zebra"),
            Some("QLn320"),
            Some("XXQLJ2219301"),
            Some("V2.5.1")
        )
    );
}

#[test]
fn an_esi_print_server_without_zebra_objects_keeps_the_printers_own_maker() {
    let path = "../../fixtures/derived/esi_print_server_printronix.snmprec";
    let r = read::<Zebra>(path);
    assert_eq!(
        identity(&r),
        (Some("Printronix"), Some("P8000"), None, None)
    );
    assert_eq!(
        notes::<Zebra>(path),
        [
            "maker Printronix from the printer's description; the SNMP agent's sysObjectID has enterprise 683, Extended Systems, Inc."
        ]
    );
}
