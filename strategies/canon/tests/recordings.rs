//! The Canon strategy over the recorded Canon devices and the derived
//! counter table. Expected values are read off the recordings (and the
//! peers' expected files), never off Quire's output.

use quire_plugins_sdk::harness::{
    alert, assert_counters, identity, percents, read, read_alert_cycle, read_for,
};
use quire_plugins_sdk::{
    AlertSeverity, Cycle, DeviceAlert, ErrorInput, SkillLevel, Strategy, SupplyState,
};
use quire_strategy_canon::Canon;

#[test]
fn lbp6670_reads_its_private_model_and_firmware_and_the_standard_serial() {
    let r = read::<Canon>("../../fixtures/recorded/librenms/canonprinter_lbp.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Canon"),
            Some("LBP6670"),
            Some("MKRA012345"),
            Some("R7.21")
        )
    );
    // No prtMarkerLifeCount and no Canon counter table in the recording.
    assert!(r.counters.is_empty(), "{:?}", r.counters);
    assert_eq!(percents(&r), [(1, Some(70))]);
}

#[test]
fn tm5300_large_format_reads_its_inks_and_life_count() {
    let r = read::<Canon>("../../fixtures/recorded/librenms/canonprinter_tm.snmprec");
    assert_eq!(
        identity(&r),
        (Some("Canon"), Some("TM-5300"), None, Some("01.21"))
    );
    assert_eq!(r.counter("total"), Some(21_588));
    assert_eq!(
        percents(&r),
        [
            (1, Some(80)),
            (2, Some(100)),
            (3, Some(60)),
            (4, Some(80)),
            (5, Some(70)),
            (6, Some(90))
        ]
    );
    assert_eq!(r.supplies[5].kind, "waste-ink");
}

#[test]
fn ir_adv_with_only_sysdescr_takes_the_model_from_it() {
    let r = read::<Canon>("../../fixtures/recorded/librenms/canonprinter_ir-adv.snmprec");
    // sysDescr and sysObjectID are all the recording holds: no serial either.
    assert_eq!(
        identity(&r),
        (Some("Canon"), Some("iR-ADV C5235"), None, None)
    );
}

#[test]
fn counters_come_by_counter_id() {
    let r = read::<Canon>("../../fixtures/derived/canon_counters.snmprec");
    // Id 102 is not one Quire names; the generic life count (48000) is replaced.
    assert_counters(
        &r,
        &[
            ("total", 50_000),
            ("color", 20_000),
            ("mono", 30_000),
            ("large.mono", 5_000),
            ("small.mono", 25_000),
            ("large.color", 4_000),
            ("small.color", 16_000),
            ("print", 35_000),
            ("scan", 7_000),
        ],
    );
    assert_eq!(
        identity(&r),
        (
            Some("Canon"),
            Some("iR-ADV C5235"),
            Some("2SX01234"),
            Some("46.05")
        )
    );
}

#[test]
fn three_step_toners_step_down_by_their_alerts() {
    for cycle in [Cycle::Discovery, Cycle::MetersAndSupplies] {
        let r = read_for::<Canon>("../../fixtures/derived/canon_counters.snmprec", cycle);
        let states: Vec<_> = r.supplies.iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            [
                SupplyState::SomeRemaining,
                SupplyState::Low,
                SupplyState::Empty,
                SupplyState::SomeRemaining,
                SupplyState::Ok,
            ],
            "{cycle:?}"
        );
        assert_eq!(
            percents(&r),
            [(1, None), (2, None), (3, Some(0)), (4, None), (5, Some(80))],
            "{cycle:?}"
        );
    }
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_alert_cycle::<Canon>("../../fixtures/derived/canon_counters.snmprec");
    assert_eq!(r.alerts.len(), 3);
}

#[test]
fn an_e_code_in_an_alert_is_a_service_call() {
    let r = read::<Canon>("../../fixtures/derived/canon_counters.snmprec");
    let e_code = r.alerts.iter().find(|a| a.index == 3).unwrap().clone();
    let assessment = Canon::map_error(&ErrorInput::Alert(e_code));
    assert_eq!(assessment.state, "service-call");
    assert!(assessment.field_service);
    assert_eq!(assessment.skill, SkillLevel::Technician);

    let low = r.alerts.iter().find(|a| a.index == 1).unwrap().clone();
    assert_eq!(Canon::map_error(&ErrorInput::Alert(low)).state, "toner-low");

    let plain = DeviceAlert {
        index: 9,
        severity: AlertSeverity::Warning,
        group: None,
        code: 8,
        code_name: Some("jam".into()),
        ..alert("Paper jam in E-tray")
    };
    assert_eq!(
        Canon::map_error(&ErrorInput::Alert(plain)).state,
        "paper-jam"
    );
}
