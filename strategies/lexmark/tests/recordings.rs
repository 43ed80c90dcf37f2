//! The Lexmark strategy over the recorded Lexmark (and the Lexmark-built
//! Toshiba and Dell it must leave alone) and the derived private-MIB
//! recording. Expected values are read off the recordings, never off Quire's
//! output.

use quire_plugins_sdk::harness::{Silent, read_for};
use quire_plugins_sdk::{Cycle, Device, Probe, Strategy};
use quire_strategy_lexmark::Lexmark;

/// The score for a recording, probed with its own sysObjectID and sysDescr lines.
fn identify(path: &str) -> Option<u32> {
    let text = std::fs::read_to_string(path).unwrap();
    let field = |oid: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(oid))
            .unwrap_or_default()
            .to_owned()
    };
    let probe = Probe {
        sys_object_id: field("1.3.6.1.2.1.1.2.0|6|"),
        sys_descr: field("1.3.6.1.2.1.1.1.0|4|"),
    };
    Lexmark::identify(&Device::new(&Silent), &probe)
}

#[test]
fn t640_reads_model_and_firmware_from_sysdescr() {
    let r = read_for::<Lexmark>(
        "../../fixtures/recorded/librenms/lexmarkprinter.snmprec",
        Cycle::Discovery,
    );
    assert_eq!(r.identity.manufacturer.as_deref(), Some("Lexmark"));
    assert_eq!(r.identity.model.as_deref(), Some("T640"));
    assert_eq!(r.identity.firmware.as_deref(), Some("NS.NP.N219"));
    assert_eq!(r.identity.serial, None);
    assert!(r.counters.is_empty());
}

#[test]
fn lexmark_wins_its_own_and_leaves_the_toshiba_and_dell_it_built() {
    // sysObjectID 1.3.6.1.4.1.641 is seven arcs.
    assert_eq!(
        identify("../../fixtures/recorded/librenms/lexmarkprinter.snmprec"),
        Some(107)
    );
    assert_eq!(
        identify("../../fixtures/recorded/librenms/toshiba-tec_estudio305.snmprec"),
        None
    );
    assert_eq!(
        identify("../../fixtures/recorded/librenms/dell-laser_s5830dn.snmprec"),
        None
    );
}

#[test]
fn private_mps_objects_give_model_serial_and_firmware() {
    let r = read_for::<Lexmark>(
        "../../fixtures/derived/lexmark_private.snmprec",
        Cycle::Discovery,
    );
    assert_eq!(r.identity.manufacturer.as_deref(), Some("Lexmark"));
    assert_eq!(r.identity.model.as_deref(), Some("MS610de"));
    assert_eq!(r.identity.serial.as_deref(), Some("4514000000AB"));
    assert_eq!(r.identity.firmware.as_deref(), Some("LW61.PR2.P631"));
    let counters: Vec<_> = r
        .counters
        .iter()
        .map(|c| (c.name.as_str(), c.value))
        .collect();
    assert_eq!(counters, [("total", 48_210)]);
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(percents, [Some(25), Some(80)]);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_for::<Lexmark>(
        "../../fixtures/derived/lexmark_private.snmprec",
        Cycle::Alerts,
    );
    assert!(r.counters.is_empty());
    assert!(r.supplies.is_empty());
}
