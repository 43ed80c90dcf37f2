//! The recorded ippeveprinter answers (`fixtures/ipp`, see SOURCES.md there)
//! decoded and read. Expected values are what `ipptool -tv` showed for the
//! same printer state, written in SOURCES.md when the answers were recorded.

use std::path::Path;

use quire_ipp::{decode, reading};
use quire_model::{AlertSeverity, DeviceStatus, ErrorState, PrinterStatus, Reading, SupplyState};

fn read(name: &str) -> Reading {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/ipp")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    let message = decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(message.successful(), "status {:#06x}", message.status);
    reading(&message)
}

#[test]
fn an_idle_ippeveprinter() {
    let r = read("ippeveprinter-idle.ipp");
    assert_eq!(r.identity.manufacturer.as_deref(), Some("Quire"));
    assert_eq!(r.identity.model.as_deref(), Some("Test Laser"));
    assert_eq!(
        r.identity.uuid.as_deref(),
        Some("urn:uuid:db24b7f7-c124-3c7d-580c-a82a03ce3fef"),
        "the printer-uuid the answer holds"
    );
    assert_eq!(
        r.identity.serial, None,
        "ippeveprinter's device ID has no SN field"
    );
    assert_eq!(r.status.printer, Some(PrinterStatus::Idle));
    assert_eq!(r.status.device, Some(DeviceStatus::Running));
    assert!(r.status.errors.is_empty());
    assert!(r.alerts.is_empty());
    assert!(r.counters.is_empty(), "ippeveprinter offers no counters");

    let supplies: Vec<_> = r
        .supplies
        .iter()
        .map(|s| {
            (
                s.index,
                s.description.as_str(),
                s.kind.as_str(),
                s.color.as_deref(),
                s.percent,
            )
        })
        .collect();
    assert_eq!(
        supplies,
        [
            (1, "Toner Waste Tank", "waste-toner", None, Some(25)),
            (2, "Black Toner", "toner", Some("black"), Some(75)),
        ]
    );
    assert!(
        r.supplies
            .iter()
            .all(|s| s.unit.as_deref() == Some("percent") && s.max == Some(100))
    );
}

#[test]
fn toner_low_shows_in_levels_bits_and_alerts() {
    let r = read("ippeveprinter-toner-low.ipp");
    let black = r.supplies.iter().find(|s| s.kind == "toner").unwrap();
    assert_eq!(black.percent, Some(4));
    assert_eq!(black.state, SupplyState::Low);
    let waste = r.supplies.iter().find(|s| s.kind == "waste-toner").unwrap();
    assert_eq!(waste.percent, Some(96));
    assert_eq!(r.status.errors, [ErrorState::LowToner]);
    assert_eq!(r.status.console.as_deref(), Some("Idle."));
    let alerts: Vec<_> = r
        .alerts
        .iter()
        .map(|a| (a.code, a.description.as_deref(), a.severity))
        .collect();
    assert_eq!(
        alerts,
        [
            (
                1107,
                Some("marker-waste-almost-full-report"),
                AlertSeverity::Other
            ),
            (1104, Some("toner-low-report"), AlertSeverity::Other),
        ]
    );
}

#[test]
fn a_cut_recording_is_an_error_naming_the_byte() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ipp/ippeveprinter-idle.ipp");
    let bytes = std::fs::read(path).unwrap();
    let error = decode(&bytes[..1000]).unwrap_err();
    assert!(error.offset <= 1000, "{error}");
    assert!(
        error.to_string().starts_with("IPP response byte "),
        "{error}"
    );
}
