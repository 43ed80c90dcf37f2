//! The HP strategy over the recorded JetDirects and the derived counter
//! recording. Expected values are read off the recordings (and the peers'
//! expected files), never off Quire's output.

use quire_plugins_sdk::SupplyState;
use quire_plugins_sdk::harness::{assert_counters, identity, percents, read, read_alert_cycle};
use quire_strategy_hp::Hp;

#[test]
fn m452nw_takes_its_model_from_the_device_id() {
    let r = read::<Hp>("../../fixtures/recorded/librenms/jetdirect.snmprec");
    // The recording's sysDescr carries LibreNMS's anonymised serial; the peer states none.
    assert_eq!(
        identity(&r),
        (
            Some("HP"),
            Some("Color LaserJet M452nw"),
            Some("AAA0A00000"),
            None
        )
    );
    assert_eq!(
        percents(&r),
        [(1, Some(54)), (2, Some(44)), (3, Some(76)), (4, Some(71))]
    );
    let parts: Vec<_> = r
        .supplies
        .iter()
        .map(|s| s.part_number.as_deref())
        .collect();
    assert_eq!(
        parts,
        [
            Some("CF410A"),
            Some("CF411A"),
            Some("CF413A"),
            Some("CF412A")
        ]
    );
}

#[test]
fn m130nw_reads_pml_serial_firmware_and_engine_counters() {
    let r = read::<Hp>("../../fixtures/recorded/librenms/jetdirect_m130nw.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("HP"),
            Some("LaserJet MFP M129-M134"),
            Some("VNCRC48198"),
            Some("20201023")
        )
    );
    assert_counters(
        &r,
        &[
            ("total", 15_232),
            ("mono", 15_232),
            ("duplex", 0),
            ("scan", 1_190),
        ],
    );
    assert_eq!(percents(&r), [(1, Some(28)), (5, Some(71))]);
    assert_eq!(r.supplies[1].part_number.as_deref(), Some("CF219A"));
}

#[test]
fn m252dw_without_private_counters_keeps_the_standard_reading() {
    let r = read::<Hp>("../../fixtures/recorded/librenms/jetdirect_m252dw.snmprec");
    // The recording holds no PML firmware object.
    assert_eq!(
        identity(&r),
        (
            Some("HP"),
            Some("Color LaserJet Pro M252dw"),
            Some("VNB3J99999"),
            None
        )
    );
    assert!(r.counters.is_empty(), "{:?}", r.counters);
    assert_eq!(
        percents(&r),
        [(1, Some(63)), (2, Some(63)), (3, Some(88)), (4, Some(36))]
    );
}

#[test]
fn engine_counts_replace_the_generic_total_and_odd_values_are_skipped() {
    let r = read::<Hp>("../../fixtures/derived/hp_counters.snmprec");
    assert_counters(
        &r,
        &[
            ("total", 5_000),
            ("mono", 3_000),
            ("color", 2_000),
            ("duplex", 1_200),
        ],
    );
    assert_eq!(
        identity(&r),
        (
            Some("HP"),
            Some("Color LaserJet MFP M577"),
            Some("JPBCS00001"),
            Some("2409081_000123")
        )
    );
    assert_eq!(r.supplies[1].level, Some(-3));
    assert_eq!(r.supplies[1].state, SupplyState::SomeRemaining);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_alert_cycle::<Hp>("../../fixtures/derived/hp_counters.snmprec");
    assert_eq!(r.identity.manufacturer.as_deref(), Some("HP"));
}

#[test]
fn jetdirect_probes_score_above_descr_only_matches() {
    use quire_plugins_sdk::{Probe, Strategy, score_by_rules};
    let probe = |oid: &str, descr: &str| Probe {
        sys_object_id: oid.into(),
        sys_descr: descr.into(),
    };
    let rules = Hp::describe().match_rules;
    let jetdirect = probe(
        "1.3.6.1.4.1.11.2.3.9.1",
        "HP ETHERNET MULTI-ENVIRONMENT,SN:VNCRC48198",
    );
    assert_eq!(score_by_rules(&rules, &jetdirect), Some(100 + 10));
    assert_eq!(
        score_by_rules(&rules, &probe("1.3.6.1.4.1.11.2.3.7.11", "ProCurve Switch")),
        None
    );
}
