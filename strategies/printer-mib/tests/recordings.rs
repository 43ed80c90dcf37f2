//! Replays the recorded devices in `fixtures/recorded` through the
//! native harness. Expected values come from the recordings themselves and
//! from the peers' expected files beside them, never from our own output.

use std::path::Path;

use quire_plugins_sdk::harness::{Recorded, assert_counters, identity, notes, read, replay};
use quire_plugins_sdk::{AlertSeverity, Cycle, Device, ErrorState, Probe, Strategy, SupplyState};
use quire_strategy_printer_mib::PrinterMib;

const FIXTURES: &str = "../../fixtures/recorded";

fn load(relative: &str) -> Recorded {
    Recorded::load(&Path::new(FIXTURES).join(relative)).unwrap_or_else(|e| panic!("{e}"))
}

/// The one fixture with a corrupt line: line 23 holds the Counter32
/// `6git3159` (ifOutUcastPkts), corrupt in the upstream file. It is read
/// without that varbind, like every other recording.
const CORRUPT_LINE: &str = "librenms/okilan_9450g.snmprec";

#[test]
fn every_recording_reads_in_every_cycle() {
    let mut files = Vec::new();
    for set in ["librenms", "printmaster"] {
        for entry in std::fs::read_dir(Path::new(FIXTURES).join(set)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "snmprec") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 30, "fixtures missing: {}", files.len());
    for path in files {
        let recorded = Recorded::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<&str> = recorded
            .problems()
            .iter()
            .filter_map(|p| p.split(".snmprec:").nth(1)?.split(':').next())
            .collect();
        let expected: &[&str] = if path.ends_with(CORRUPT_LINE) {
            &["23"]
        } else {
            &[]
        };
        assert_eq!(lines, expected, "{}", path.display());
        for cycle in [Cycle::Discovery, Cycle::MetersAndSupplies, Cycle::Alerts] {
            if let Err(e) = replay::<PrinterMib>(&recorded, cycle) {
                panic!("{} ({cycle:?}): {e}", path.display());
            }
        }
    }
}

#[test]
fn jetdirect_m452nw() {
    let r = read::<PrinterMib>("../../fixtures/recorded/librenms/jetdirect.snmprec");
    assert_eq!(r.identity.manufacturer.as_deref(), Some("HP"));
    assert_eq!(r.identity.model.as_deref(), Some("Color LaserJet M452nw"));
    assert_eq!(r.identity.mac.as_deref(), Some("94:57:a5:34:df:33"));
    assert_eq!(
        r.identity.sys_object_id.as_deref(),
        Some("1.3.6.1.4.1.11.2.3.9.1")
    );
    assert_eq!(r.supplies.len(), 4);
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(percents, [Some(54), Some(44), Some(76), Some(71)]);
    assert_eq!(r.supplies[0].description, "Black Cartridge HP CF410A");
    assert_eq!(
        r.supplies[0].kind, "unknown",
        "the recording has no type column"
    );
    assert_eq!(
        r.status.device,
        Some(quire_plugins_sdk::DeviceStatus::Running)
    );
}

#[test]
fn kyocera_p2040_supplies_counter_and_alerts() {
    let r = read::<PrinterMib>("../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec");
    // No standard MIB carries firmware (see the crate doc).
    assert_eq!(
        identity(&r),
        (
            Some("Kyocera"),
            Some("ECOSYS P2040dw"),
            Some("VD21457943"),
            None
        )
    );
    assert_eq!(r.identity.mac.as_deref(), Some("00:17:c8:b9:02:de"));

    let toner = &r.supplies[0];
    assert_eq!(toner.description, "TK-1162");
    assert_eq!(
        (toner.level, toner.max, toner.percent),
        (Some(7056), Some(7200), Some(98))
    );
    assert_eq!(toner.kind, "toner");
    assert_eq!(toner.color.as_deref(), Some("black"));
    assert_eq!(toner.unit.as_deref(), Some("impressions"));
    assert_eq!(toner.state, SupplyState::Ok);
    let waste = &r.supplies[1];
    assert_eq!(waste.kind, "waste-toner");
    assert_eq!(
        (waste.level, waste.max, waste.percent),
        (Some(-3), Some(-2), None)
    );
    assert_eq!(waste.state, SupplyState::SomeRemaining);
    assert_eq!(waste.color, None, "colorant index 0 means none");

    assert_counters(&r, &[("total", 7432)]);

    let codes: Vec<_> = r.alerts.iter().map(|a| a.code).collect();
    assert_eq!(codes, [503, 1001, 1001]);
    assert!(r.alerts.iter().all(|a| a.description.is_none()));
    assert_eq!(r.alerts[0].code_name.as_deref(), Some("power-up"));
    assert_eq!(r.alerts[0].severity, AlertSeverity::Warning);
    assert_eq!(r.alerts[0].group.as_deref(), Some("general-printer"));
    assert_eq!(r.alerts[1].index, 23);
    assert_eq!(r.alerts[1].time, Some(50719374));
}

#[test]
fn cycles_read_only_what_they_need() {
    let recording = load("printmaster/kyocera_p2040_snmp.snmprec");
    let meters = replay::<PrinterMib>(&recording, Cycle::MetersAndSupplies).unwrap();
    assert!(meters.alerts.is_empty() && !meters.supplies.is_empty());
    let alerts = replay::<PrinterMib>(&recording, Cycle::Alerts).unwrap();
    assert!(alerts.supplies.is_empty() && alerts.counters.is_empty());
    assert_eq!(alerts.alerts.len(), 3);
}

#[test]
fn epson_sc_t3405() {
    let r = read::<PrinterMib>("../../fixtures/recorded/printmaster/epson_sc_snmp.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Epson"),
            Some("SC-T3405 Series"),
            Some("X8G9000415"),
            None
        )
    );
    assert_eq!(r.supplies.len(), 5);
    assert_eq!(r.counters[0].value, 145);
    assert_eq!(
        r.status.printer,
        Some(quire_plugins_sdk::PrinterStatus::Idle)
    );
}

#[test]
fn samsung_m4080fx_reports_low_paper() {
    let r = read::<PrinterMib>("../../fixtures/recorded/librenms/samsungprinter_m4080fx.snmprec");
    assert_eq!(r.status.errors, [ErrorState::LowPaper]);
    assert_eq!(r.identity.manufacturer.as_deref(), Some("Samsung"));
    assert_eq!(r.supplies[0].percent, Some(88));
    assert_eq!(r.supplies[0].kind, "toner");
}

#[test]
fn epson_with_an_empty_error_state_has_no_errors() {
    let r = read::<PrinterMib>("../../fixtures/recorded/librenms/epson.snmprec");
    assert!(r.status.errors.is_empty());
    assert_eq!(r.supplies.len(), 4);
}

#[test]
fn identify_is_low_for_printers_and_none_without_printer_mib() {
    let probe = Probe {
        sys_object_id: String::new(),
        sys_descr: String::new(),
    };
    let kyocera = load("printmaster/kyocera_p2040_snmp.snmprec");
    assert_eq!(
        PrinterMib::identify(&Device::new(&kyocera), &probe),
        Some(1)
    );
    // Detection-only recording: sysDescr and sysObjectID, no Printer-MIB.
    let lexmark = load("librenms/lexmarkprinter.snmprec");
    assert_eq!(PrinterMib::identify(&Device::new(&lexmark), &probe), None);
}

#[test]
fn a_level_in_the_unit_percent_is_a_percentage_whatever_the_maximum_says() {
    let path = "../../fixtures/derived/percent_unit_unknown_max.snmprec";
    let r = read::<PrinterMib>(path);
    let levels: Vec<_> = r
        .supplies
        .iter()
        .map(|s| (s.description.as_str(), s.percent, s.state))
        .collect();
    assert_eq!(
        levels,
        [
            ("Black Toner", Some(60), SupplyState::Ok),
            ("Drum Unit", Some(9), SupplyState::Low),
            ("Waste Toner Box", None, SupplyState::SomeRemaining),
            ("Fuser Unit", None, SupplyState::SomeRemaining),
        ]
    );
    assert_eq!(identity(&r).0, Some("Océ"));
    assert_eq!(
        notes::<PrinterMib>(path),
        [
            "supply 1 (Black Toner): 60 % from its level in the unit percent; its maximum is unknown",
            "supply 2 (Drum Unit): 9 % from its level in the unit percent; its maximum is unknown",
        ]
    );
}
