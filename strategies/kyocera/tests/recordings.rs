//! The Kyocera strategy over the recorded Kyocera-family devices and the
//! derived counter recording. Expected values are read off the recordings
//! (and the peers' expected files), never off Quire's output.

use quire_plugins_sdk::harness::{self, assert_counters, identity, read, read_alert_cycle};
use quire_plugins_sdk::{
    AlertSeverity, DeviceAlert, ErrorInput, SkillLevel, Strategy, SupplyState,
};
use quire_strategy_kyocera::Kyocera;

#[test]
fn fs_1028mfp_reads_its_private_model_serial_and_firmware() {
    let r = read::<Kyocera>("../../fixtures/recorded/librenms/kyocera.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Kyocera"),
            Some("FS-1028MFP"),
            Some("QUV9600664"),
            Some("2H9_2F00.002.002")
        )
    );
}

#[test]
fn utax_keeps_its_brand_on_a_kyocera_engine() {
    let r = read::<Kyocera>("../../fixtures/recorded/librenms/utax.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("UTAX"),
            Some("P-4532DN"),
            Some("R9L0309954"),
            Some("2TP_S000.003.402")
        )
    );
    assert_eq!(r.counter("total"), Some(427));
    // PK-3010S 5340 of 6000 is 89 %; the waste box's -3 is "some remaining".
    assert_eq!(r.supplies[0].percent, Some(89));
    assert_eq!(r.supplies[1].state, SupplyState::SomeRemaining);
}

#[test]
fn ecosys_p2040dw_reads_identity_total_and_supplies() {
    let r = read::<Kyocera>("../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Kyocera"),
            Some("ECOSYS P2040dw"),
            Some("VD21457943"),
            Some("2RX_3000.002.503")
        )
    );
    // No 1347.42.3 subtree on this model: only the life count.
    assert_counters(&r, &[("total", 7432)]);
    // TK-1162 7056 of 7200 is 98 %.
    assert_eq!(r.supplies[0].percent, Some(98));
    assert_eq!(r.supplies[1].state, SupplyState::SomeRemaining);
    let codes: Vec<_> = r.alerts.iter().map(|a| a.code).collect();
    assert_eq!(codes, [503, 1001, 1001]);
}

#[test]
fn empty_alert_descriptions_take_the_standard_reading() {
    let r = read::<Kyocera>("../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec");
    let warming = r.alerts.iter().find(|a| a.code == 1001).unwrap();
    assert_eq!(warming.description, None);
    let assessment = Kyocera::map_error(&ErrorInput::Alert(warming.clone()));
    assert_eq!(assessment.state, "warming-up");
    assert!(!assessment.field_service);
}

#[test]
fn counters_come_by_function_and_colour_and_add_up() {
    let r = read::<Kyocera>("../../fixtures/derived/kyocera_counters.snmprec");
    assert_counters(
        &r,
        &[
            ("total", 19_900),
            ("print.mono", 10_000),
            ("print.color", 500 + 4_000),
            ("print", 14_500),
            ("copy.mono", 3_000),
            ("copy.color", 100 + 1_500),
            ("copy", 4_600),
            ("fax.mono", 800),
            ("fax", 800),
            ("mono", 10_000 + 3_000 + 800),
            ("color", 500 + 4_000 + 100 + 1_500),
            ("scan", 2_500 + 600 + 1_200),
        ],
    );
    assert_eq!(
        identity(&r),
        (
            Some("Kyocera"),
            Some("TASKalfa 2552ci"),
            Some("LVX0000001"),
            Some("2TH_S000.001.000")
        )
    );
    assert_eq!(r.supplies[0].percent, Some(50));
}

#[test]
fn a_c_code_in_an_alert_is_a_service_call() {
    let r = read::<Kyocera>("../../fixtures/derived/kyocera_counters.snmprec");
    let alert = &r.alerts[0];
    assert_eq!(
        alert.description.as_deref(),
        Some("Call service 0100:C6000")
    );
    let assessment = Kyocera::map_error(&ErrorInput::Alert(alert.clone()));
    assert_eq!(assessment.state, "service-call");
    assert!(assessment.field_service);
    assert_eq!(assessment.skill, SkillLevel::Technician);

    let paper = DeviceAlert {
        index: 2,
        severity: AlertSeverity::Warning,
        group: Some("input".into()),
        code: 808,
        code_name: None,
        ..harness::alert("Add paper in Cassette 1")
    };
    assert_eq!(
        Kyocera::map_error(&ErrorInput::Alert(paper)).state,
        "paper-out"
    );
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_alert_cycle::<Kyocera>("../../fixtures/derived/kyocera_counters.snmprec");
    assert_eq!(r.alerts.len(), 1);
}
