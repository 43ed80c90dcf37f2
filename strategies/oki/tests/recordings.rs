//! The OKI strategy over the recorded OkiLAN 9450g (an MC873). Expected
//! values are read off the recording and the peer's expected file, never off
//! Quire's output.

use quire_plugins_sdk::harness::{identity, read, read_alert_cycle};
use quire_strategy_oki::Oki;

const MC873: &str = "../../fixtures/recorded/librenms/okilan_9450g.snmprec";

#[test]
fn mc873_reads_its_model_from_the_device_id_and_firmware_from_sysdescr() {
    let r = read::<Oki>(MC873);
    // The recording has no serial and no prtMarkerLifeCount.
    assert_eq!(
        identity(&r),
        (Some("OKI"), Some("MC873"), None, Some("07.87"))
    );
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
    let r = read_alert_cycle::<Oki>(MC873);
    assert_eq!(r.identity.model.as_deref(), Some("MC873"));
}
