//! A stand-in named `printer-mib` with no match rules, so the registry's
//! fallback tests do not depend on the real generic strategy's progress.

use exports::quire::device::strategy_api::Guest;
use quire::device::types::{
    Assessment, AssessmentSeverity, Cycle, ErrorGroup, ErrorInput, Identity, Probe, Reading,
    SkillLevel, Status, StrategyError, StrategyInfo,
};

wit_bindgen::generate!({ path: "../../../plugins-sdk/wit", world: "strategy" });

struct Generic;

impl Guest for Generic {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "printer-mib".into(),
            version: "0.0.1".into(),
            vendor: "Quire tests".into(),
            description: "Stands in for the generic Printer-MIB strategy.".into(),
            match_rules: Vec::new(),
        }
    }

    fn identify(_probe: Probe) -> Option<u32> {
        Some(1)
    }

    fn collect(_cycle: Cycle) -> Result<Reading, StrategyError> {
        Ok(Reading {
            identity: Identity {
                manufacturer: None,
                model: Some("generic".into()),
                serial: None,
                mac: None,
                firmware: None,
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

export!(Generic);
