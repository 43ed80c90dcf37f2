//! The Dell strategy over the recorded Dells and the derived Fuji Xerox-built
//! one. Expected values are read off the recordings (and the peers' expected
//! files), never off Quire's output.

use quire_plugins_sdk::SupplyState;
use quire_plugins_sdk::harness::{assert_counters, identity, read, read_alert_cycle};
use quire_strategy_dell::Dell;

#[test]
fn s5830dn_reads_its_dell_device_id_firmware_and_serial() {
    let r = read::<Dell>("../../fixtures/recorded/librenms/dell-laser_s5830dn.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Dell"),
            Some("S5830dn"),
            Some("7XQ1R92-132-13"),
            Some("NH62.YS.N636")
        )
    );
    assert!(
        r.counters.is_empty(),
        "no prtMarkerLifeCount in the recording"
    );
    let percents: Vec<_> = r.supplies.iter().map(|s| (s.index, s.percent)).collect();
    assert_eq!(
        percents,
        [(1, Some(49)), (2, Some(72)), (3, Some(83)), (4, Some(89))]
    );
}

#[test]
fn mfp_3115cn_reads_model_and_engine_version_from_sysdescr() {
    let r = read::<Dell>("../../fixtures/recorded/librenms/dell-laser_mfp.snmprec");
    // The recording holds no serial.
    assert_eq!(
        identity(&r),
        (
            Some("Dell"),
            Some("MFP Laser 3115cn"),
            None,
            Some("05.09.00")
        )
    );
}

#[test]
fn fuji_xerox_built_dell_takes_its_model_from_that_device_id() {
    let r = read::<Dell>("../../fixtures/derived/dell_fuji_xerox_made.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Dell"),
            Some("Laser Printer 3100cn"),
            Some("CN0000000001"),
            Some("03.02.00")
        )
    );
    assert_counters(&r, &[("total", 12_345)]);
    assert_eq!(r.supplies[0].state, SupplyState::SomeRemaining);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    read_alert_cycle::<Dell>("../../fixtures/derived/dell_fuji_xerox_made.snmprec");
}
