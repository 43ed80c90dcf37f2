//! The Brother strategy over the recorded Brothers and the derived counter
//! blob. Expected values are read off the recordings (and the peers'
//! expected files), never off Quire's output.

use quire_plugins_sdk::harness::{assert_counters, identity, read, read_alert_cycle, read_for};
use quire_plugins_sdk::{Cycle, ErrorInput, Strategy, SupplyState};
use quire_strategy_brother::Brother;

#[test]
fn mfc_l2710dw_takes_its_model_from_the_mdns_name_not_the_stale_device_id() {
    let r = read::<Brother>("../../fixtures/recorded/librenms/brother.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Brother"),
            Some("MFC-L2710DW"),
            Some("000A5J431816"),
            Some("Q")
        )
    );
    // No prtMarkerLifeCount and no brInfoCounter in the recording.
    assert!(r.counters.is_empty(), "{:?}", r.counters);
    // Toner -3 (some remaining) has no amount; the drum is 11501 of 12000.
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(percents, [None, Some(96)]);
    assert_eq!(r.supplies[0].state, SupplyState::SomeRemaining);
}

#[test]
fn hl_5370dw_reads_status_code_zero_as_toner_present() {
    let r = read::<Brother>("../../fixtures/recorded/librenms/brother_hl5370dw.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Brother"),
            Some("HL-5370DW"),
            Some("B9J154306"),
            Some("1.01")
        )
    );
    assert_eq!(r.counter("total"), Some(7_792));
    let states: Vec<_> = r.supplies.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [SupplyState::Ok, SupplyState::SomeRemaining, SupplyState::Ok]
    );
    // Level 0 of capacity -2 is a status code, not an empty cartridge.
    assert_eq!(r.supplies[0].percent, None);
    assert_eq!(r.supplies[2].percent, Some(69));
}

#[test]
fn counters_come_from_the_brinfocounter_blob() {
    let r = read::<Brother>("../../fixtures/derived/brother_counters.snmprec");
    assert_counters(&r, &[("total", 12_000), ("mono", 8_000), ("color", 4_000)]);
    assert_eq!(
        identity(&r),
        (
            Some("Brother"),
            Some("MFC-L8690CDW"),
            Some("E78123A9N123456"),
            Some("ZC")
        )
    );
}

#[test]
fn status_codes_apply_only_where_capacity_is_unknown() {
    let r = read_for::<Brother>(
        "../../fixtures/derived/brother_counters.snmprec",
        Cycle::MetersAndSupplies,
    );
    let states: Vec<_> = r.supplies.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            SupplyState::Ok,
            SupplyState::Low,
            SupplyState::Empty,
            SupplyState::Low,
            SupplyState::Ok,
        ]
    );
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(percents, [None, None, Some(0), None, Some(50)]);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_alert_cycle::<Brother>("../../fixtures/derived/brother_counters.snmprec");
    assert_eq!(r.alerts.len(), 1);
}

#[test]
fn print_unable_is_a_service_call() {
    let r = read::<Brother>("../../fixtures/derived/brother_counters.snmprec");
    let a = Brother::map_error(&ErrorInput::Alert(r.alerts[0].clone()));
    assert_eq!(a.state, "service-call");
    assert!(a.field_service);
}
