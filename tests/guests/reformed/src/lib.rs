//! `hostile@2.0.0`: the same name as the hostile test strategy, a newer version
//! that always reads cleanly, so the registry tests can swap one for the other
//! and see from the reading which version served it.

use exports::quire::device::strategy_api::Guest;
use quire::device::types::{
    Assessment, AssessmentSeverity, Cycle, ErrorGroup, ErrorInput, Identity, MatchRule, Probe,
    Reading, SkillLevel, Status, StrategyError, StrategyInfo,
};

wit_bindgen::generate!({ path: "../../../plugins-sdk/wit", world: "strategy" });

const ENTERPRISE: &str = "1.3.6.1.4.1.99999";

struct Reformed;

impl Guest for Reformed {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "hostile".into(),
            version: "2.0.0".into(),
            vendor: "Quire tests".into(),
            description: "The hostile strategy, reformed.".into(),
            match_rules: vec![MatchRule::SysObjectIdPrefix(ENTERPRISE.into())],
        }
    }

    fn identify(probe: Probe) -> Option<u32> {
        probe.sys_object_id.starts_with(ENTERPRISE).then_some(10)
    }

    fn collect(_cycle: Cycle) -> Result<Reading, StrategyError> {
        Ok(Reading {
            identity: Identity {
                manufacturer: Some("Hostile".into()),
                model: Some("ok".into()),
                serial: Some("HOSTILE-1".into()),
                mac: None,
                firmware: Some("2.0.0".into()),
                hostname: None,
                sys_object_id: None,
                sys_descr: None,
                location: None,
                contact: None,
            },
            status: Status {
                device: None,
                printer: None,
                errors: Vec::new(),
                console: None,
            },
            counters: Vec::new(),
            supplies: Vec::new(),
            alerts: Vec::new(),
        })
    }

    fn map_error(_input: ErrorInput) -> Assessment {
        Assessment {
            state: "other".into(),
            group: ErrorGroup::Device,
            severity: AssessmentSeverity::Info,
            skill: SkillLevel::Anyone,
            field_service: false,
            estimated_minutes: 0,
        }
    }
}

export!(Reformed);
