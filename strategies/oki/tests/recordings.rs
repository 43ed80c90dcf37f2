//! The OKI strategy over the recorded OkiLAN 9450g (an MC873). Expected
//! values are read off the recording and the peer's expected file, never off
//! Quire's output.

use quire_plugins_sdk::Cycle;
use quire_plugins_sdk::harness::read_for;
use quire_strategy_oki::Oki;

const MC873: &str = "../../fixtures/recorded/librenms/okilan_9450g.snmprec";

#[test]
fn mc873_reads_its_model_from_the_device_id_and_firmware_from_sysdescr() {
    let r = read_for::<Oki>(MC873, Cycle::Discovery);
    assert_eq!(r.identity.manufacturer.as_deref(), Some("OKI"));
    assert_eq!(r.identity.model.as_deref(), Some("MC873"));
    assert_eq!(r.identity.firmware.as_deref(), Some("07.87"));
    // The recording has no serial and no prtMarkerLifeCount.
    assert_eq!(r.identity.serial, None);
    assert!(r.counters.is_empty(), "{:?}", r.counters);
    // The corrupt line 23 costs only its own varbind: the MAC is still read.
    assert_eq!(r.identity.mac.as_deref(), Some("00:25:36:d1:a6:5e"));
    let percents: Vec<_> = r.supplies.iter().map(|s| s.percent).collect();
    assert_eq!(
        percents,
        [
            Some(59),
            Some(69),
            Some(69),
            Some(69),
            Some(95),
            Some(96),
            Some(96),
            Some(96),
            Some(98),
            Some(99)
        ]
    );
    assert_eq!(r.supplies[8].kind, "transfer-unit");
    assert_eq!(r.supplies[9].kind, "fuser");
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_for::<Oki>(MC873, Cycle::Alerts);
    assert!(r.counters.is_empty());
    assert!(r.supplies.is_empty());
    assert_eq!(r.identity.model.as_deref(), Some("MC873"));
}
