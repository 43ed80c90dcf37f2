//! `hostile@2.0.0`: the same name as the hostile test strategy, a newer version
//! that always reads cleanly, so the registry tests can swap one for the other
//! and see from the reading which version served it.

use quire_plugins_sdk::{
    Cycle, Device, MatchRule, Probe, Reading, Strategy, StrategyError, StrategyInfo,
    register_strategy,
};

const ENTERPRISE: &str = "1.3.6.1.4.1.99999";

/// The hostile strategy, one version on.
pub struct Reformed;

impl Strategy for Reformed {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "hostile".into(),
            version: "2.0.0".into(),
            vendor: "Quire tests".into(),
            description: "The hostile strategy, reformed.".into(),
            match_rules: vec![MatchRule::SysObjectIdPrefix(ENTERPRISE.into())],
        }
    }

    /// Scores as the hostile strategy does, so swapping one for the other
    /// changes only the version that reads.
    fn identify(_device: &Device<'_>, probe: &Probe) -> Option<u32> {
        probe.sys_object_id.starts_with(ENTERPRISE).then_some(10)
    }

    fn collect(_device: &Device<'_>, _cycle: Cycle) -> Result<Reading, StrategyError> {
        let mut reading = Reading::default();
        reading.identity.manufacturer = Some("Hostile".into());
        reading.identity.model = Some("ok".into());
        reading.identity.serial = Some("HOSTILE-1".into());
        reading.identity.firmware = Some("2.0.0".into());
        Ok(reading)
    }
}

register_strategy!(Reformed);
