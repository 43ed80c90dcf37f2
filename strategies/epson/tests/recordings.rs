//! The Epson strategy over the recorded Epsons. Expected values are read off
//! the recordings (and the peers' expected files), never off Quire's output.

use quire_plugins_sdk::harness::{self, identity, percents, read, read_alert_cycle};
use quire_plugins_sdk::{AssessmentSeverity, ErrorInput, SkillLevel, Strategy};
use quire_strategy_epson::Epson;

fn alert(description: &str) -> ErrorInput {
    ErrorInput::Alert(harness::alert(description))
}

#[test]
fn wf_c5790ba_reads_the_standard_serial_and_its_model_from_hr_device_descr() {
    let r = read::<Epson>("../../fixtures/recorded/librenms/epson.snmprec");
    assert_eq!(
        identity(&r),
        (Some("Epson"), Some("WF-C5790BA"), Some("X3B8022793"), None)
    );
    // No prtMarkerLifeCount in the recording.
    assert!(r.counters.is_empty(), "{:?}", r.counters);
    assert_eq!(
        percents(&r),
        [(1, Some(1)), (2, Some(1)), (3, Some(1)), (4, Some(1))]
    );
}

#[test]
fn sc_t3405_reads_its_private_model_serial_and_printer_firmware() {
    let r = read::<Epson>("../../fixtures/recorded/printmaster/epson_sc_snmp.snmprec");
    // Row 1 of the firmware table is named "Printer FW"; row 3 is the network's 16.52.
    assert_eq!(
        identity(&r),
        (
            Some("Epson"),
            Some("SC-T3405"),
            Some("X8G9000415"),
            Some("EQ22M3")
        )
    );
    assert_eq!(r.counter("total"), Some(145));
    assert_eq!(
        percents(&r),
        [
            (1, Some(83)),
            (2, Some(84)),
            (3, Some(84)),
            (4, Some(82)),
            (5, Some(67))
        ]
    );
    assert_eq!(r.supplies[4].description, "Maintenance Box");
    assert_eq!(r.supplies[4].kind, "waste-ink");
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_alert_cycle::<Epson>("../../fixtures/recorded/printmaster/epson_sc_snmp.snmprec");
    assert_eq!(r.alerts.len(), 1);
    assert_eq!(r.alerts[0].description.as_deref(), Some("Ready"));
}

#[test]
fn service_required_is_a_technician_visit() {
    let a = Epson::map_error(&alert("Service Required. Contact Epson support."));
    assert_eq!(a.state, "service-call");
    assert!(a.field_service);
    assert_eq!(a.skill, SkillLevel::Technician);
}

#[test]
fn a_maintenance_box_is_the_key_operators_supply() {
    let full = Epson::map_error(&alert("Replace the Maintenance Box."));
    assert_eq!(full.state, "maintenance-box-full");
    assert_eq!(full.severity, AssessmentSeverity::Critical);
    assert_eq!(full.skill, SkillLevel::KeyOperator);
    assert!(!full.field_service);

    let near = Epson::map_error(&alert("Maintenance box is nearly full."));
    assert_eq!(near.state, "maintenance-box-near-full");
    assert_eq!(near.severity, AssessmentSeverity::Warning);

    assert_eq!(Epson::map_error(&alert("Ready")).state, "other");
}
