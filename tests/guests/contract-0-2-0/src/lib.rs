//! A strategy built against contract 0.2.0 as frozen under `wit/since_v0.2.0/`,
//! the last release before `snmp.walk`: it walks the supplies table itself by
//! GETBULK, as every 0.2.0 plugin did, so the host's tests can prove such a
//! plugin still loads and reads once the live contract has moved on. It binds
//! the WIT directly, not through the SDK, which follows the live contract.

use exports::quire::device::strategy_api::Guest;
use quire::device::snmp;
use quire::device::types::{
    Assessment, AssessmentSeverity, Collected, Cycle, ErrorGroup, ErrorInput, Identity, MatchRule,
    Probe, Reading, SkillLevel, SnmpValue, Status, StrategyError, StrategyInfo, Supply,
    SupplyState,
};

wit_bindgen::generate!({ path: "../../../wit/since_v0.2.0", world: "strategy" });

/// sysDescr.0.
const SYS_DESCR: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 1, 0];
/// prtMarkerSuppliesDescription (RFC 3805).
const SUPPLY_DESCRIPTION: [u32; 11] = [1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6];

/// The strategy.
pub struct Contract020;

impl Guest for Contract020 {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "contract-0-2-0".into(),
            version: "1.0.0".into(),
            vendor: "Quire tests".into(),
            description: "Reads supply names the way a 0.2.0 plugin walks.".into(),
            match_rules: vec![MatchRule::SysDescrContains("printer".into())],
        }
    }

    fn identify(_probe: Probe) -> Option<u32> {
        Some(1)
    }

    fn collect(_cycle: Cycle) -> Result<Collected, StrategyError> {
        let unreachable = |e| StrategyError::Unreachable(format!("{e:?}"));
        let descr = snmp::get(&[SYS_DESCR.to_vec()]).map_err(unreachable)?;
        let model = descr.into_iter().next().and_then(|vb| text(vb.value));
        let mut supplies = Vec::new();
        let mut cursor = SUPPLY_DESCRIPTION.to_vec();
        'walk: loop {
            let answer = snmp::get_bulk(0, 10, &[cursor.clone()]).map_err(unreachable)?;
            if answer.is_empty() {
                break;
            }
            for vb in answer {
                if !vb.oid.starts_with(&SUPPLY_DESCRIPTION) || vb.oid <= cursor {
                    break 'walk;
                }
                let Some(description) = text(vb.value) else {
                    break 'walk;
                };
                supplies.push(supply(vb.oid.last().copied().unwrap_or(0), description));
                cursor = vb.oid;
            }
        }
        Ok(Collected {
            reading: Reading {
                identity: Identity {
                    manufacturer: None,
                    model,
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
                supplies,
                alerts: Vec::new(),
            },
            notes: vec!["supplies walked by GETBULK from the plugin (contract 0.2.0)".into()],
        })
    }

    fn map_error(_input: ErrorInput) -> Assessment {
        Assessment {
            state: "other".into(),
            group: ErrorGroup::Device,
            severity: AssessmentSeverity::Warning,
            skill: SkillLevel::KeyOperator,
            field_service: false,
            estimated_minutes: 0,
        }
    }
}

fn text(value: SnmpValue) -> Option<String> {
    match value {
        SnmpValue::Octets(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        _ => None,
    }
}

fn supply(index: u32, description: String) -> Supply {
    Supply {
        index,
        description,
        kind: "other".into(),
        color: None,
        unit: None,
        level: None,
        max: None,
        percent: None,
        state: SupplyState::Unknown,
        serial: None,
        part_number: None,
    }
}

export!(Contract020);
