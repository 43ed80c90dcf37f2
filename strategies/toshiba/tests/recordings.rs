//! The Toshiba strategy over the recorded e-STUDIOs (one on Toshiba's
//! sysObjectID, one on Lexmark's) and the derived identity recording.
//! Expected values are read off the recordings, never off Quire's output.

use quire_plugins_sdk::harness::{Silent, assert_counters, identity, read, read_alert_cycle};
use quire_plugins_sdk::{Device, ErrorInput, MatchRule, Probe, Strategy, score_by_rules};
use quire_strategy_toshiba::{TOSHIBA_DESCR_SCORE, Toshiba};

fn identify(oid: &str, descr: &str) -> Option<u32> {
    let probe = Probe {
        sys_object_id: oid.into(),
        sys_descr: descr.into(),
    };
    Toshiba::identify(&Device::new(&Silent), &probe)
}

#[test]
fn estudio2505_reads_model_from_sysdescr() {
    let r = read::<Toshiba>("../../fixtures/recorded/librenms/toshiba-tec_estudio2505.snmprec");
    // sysDescr and sysObjectID are all the recording holds.
    assert_eq!(
        identity(&r),
        (Some("Toshiba"), Some("e-STUDIO2505AC"), None, None)
    );
}

#[test]
fn estudio305_on_a_lexmark_oid_is_a_toshiba() {
    let r = read::<Toshiba>("../../fixtures/recorded/librenms/toshiba-tec_estudio305.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Toshiba"),
            Some("e-STUDIO305CS"),
            None,
            Some("NH63.GM.N639")
        )
    );
}

#[test]
fn toshiba_outscores_a_lexmark_oid_prefix_on_its_own_sysdescr() {
    let lexmark_rule = [MatchRule::SysObjectIdPrefix("1.3.6.1.4.1.641".into())];
    let probe = Probe {
        sys_object_id: "1.3.6.1.4.1.641.2.71107164".into(),
        sys_descr: "TOSHIBA e-STUDIO305CS version NH63.GM.N639 kernel 3.0.0 All-N-1".into(),
    };
    let lexmark = score_by_rules(&lexmark_rule, &probe).unwrap();
    let toshiba = identify(&probe.sys_object_id, &probe.sys_descr).unwrap();
    assert_eq!(toshiba, TOSHIBA_DESCR_SCORE);
    assert!(toshiba > lexmark, "{toshiba} <= {lexmark}");

    // Its own OID scores by the rules; other makers' devices are not ours.
    assert_eq!(
        identify("1.3.6.1.4.1.1129.2.3.58.2", "TOSHIBA e-STUDIO2505AC"),
        Some(TOSHIBA_DESCR_SCORE)
    );
    assert_eq!(identify("1.3.6.1.4.1.1129.2.3.58.2", ""), Some(107));
    assert_eq!(
        identify(
            "1.3.6.1.4.1.641.2.1",
            "Lexmark T640 version NS.NP.N219 kernel 2.6.6 All-N-1"
        ),
        None
    );
}

#[test]
fn private_identity_objects_win_over_sysdescr() {
    let r = read::<Toshiba>("../../fixtures/derived/toshiba_identity.snmprec");
    assert_eq!(
        identity(&r),
        (
            Some("Toshiba"),
            Some("e-STUDIO5005AC"),
            Some("CVB000001"),
            Some("V1.10")
        )
    );
    assert_counters(&r, &[("total", 48_000)]);
}

#[test]
fn a_service_call_code_in_an_alert_is_a_technician_visit() {
    let r = read::<Toshiba>("../../fixtures/derived/toshiba_identity.snmprec");
    let alert = &r.alerts[0];
    assert_eq!(alert.description.as_deref(), Some("Call for service C44"));
    let assessment = Toshiba::map_error(&ErrorInput::Alert(alert.clone()));
    assert_eq!(assessment.state, "service-call");
    assert!(assessment.field_service);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let r = read_alert_cycle::<Toshiba>("../../fixtures/derived/toshiba_identity.snmprec");
    assert_eq!(r.alerts.len(), 1);
}
