//! The Samsung strategy over the recorded M4080FX. Expected values are read
//! off the recording and the peer's expected file, never off Quire's output.

use quire_plugins_sdk::harness::{self, identity, read, read_alert_cycle};
use quire_plugins_sdk::{ErrorInput, Strategy};
use quire_strategy_samsung::Samsung;

const M4080FX: &str = "../../fixtures/recorded/librenms/samsungprinter_m4080fx.snmprec";

#[test]
fn m4080fx_reads_model_and_firmware_from_sysdescr_and_no_serial() {
    let r = read::<Samsung>(M4080FX);
    assert_eq!(
        identity(&r),
        (
            Some("Samsung"),
            Some("M4080FX"),
            None,
            Some("V11.01.03.04_02-27-2017")
        )
    );
    assert_eq!(r.counter("total"), Some(22_934));
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(
        percents,
        [
            Some(88),
            Some(75),
            Some(85),
            Some(96),
            Some(100),
            Some(91),
            Some(91)
        ]
    );
    // "S/N:CRUM-" and "S/N:" carry no serial.
    assert!(r.supplies.iter().all(|s| s.serial.is_none()));
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    read_alert_cycle::<Samsung>(M4080FX);
}

#[test]
fn fuser_and_motor_codes_are_service_calls() {
    let alert = |description: &str| ErrorInput::Alert(harness::alert(description));
    let fuser = Samsung::map_error(&alert("U1-2320 Fuser error. Call for service."));
    assert_eq!(fuser.state, "service-call");
    assert!(fuser.field_service);
    assert_eq!(
        Samsung::map_error(&alert("A1-1110 Motor failure")).state,
        "service-call"
    );
    assert_eq!(Samsung::map_error(&alert("Paper low")).state, "other");
}
