//! The Lexmark strategy over the recorded Lexmark (and the Lexmark-built
//! Toshiba and Dell it must leave alone) and the derived private-MIB
//! recording. Expected values are read off the recordings, never off Quire's
//! output.

use quire_plugins_sdk::harness::{Silent, assert_counters, identity, read, read_alert_cycle};
use quire_plugins_sdk::{Device, Probe, Strategy};
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
    let r = read::<Lexmark>("../../fixtures/recorded/librenms/lexmarkprinter.snmprec");
    assert_eq!(
        identity(&r),
        (Some("Lexmark"), Some("T640"), None, Some("NS.NP.N219"))
    );
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
    let r = read::<Lexmark>("../../fixtures/derived/lexmark_private.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Lexmark"),
            Some("MS610de"),
            Some("4514000000AB"),
            Some("LW61.PR2.P631")
        )
    );
    assert_counters(&r, &[("total", 48_210)]);
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(percents, [Some(25), Some(80)]);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    read_alert_cycle::<Lexmark>("../../fixtures/derived/lexmark_private.snmprec");
}
