//! A stand-in named `printer-mib` with no match rules, so the registry's
//! fallback tests do not depend on the real generic strategy's progress.

use quire_plugins_sdk::{
    Cycle, Device, Probe, Reading, Strategy, StrategyError, StrategyInfo, register_strategy,
};

/// The stand-in.
pub struct Generic;

impl Strategy for Generic {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "printer-mib".into(),
            version: "0.0.1".into(),
            vendor: "Quire tests".into(),
            description: "Stands in for the generic Printer-MIB strategy.".into(),
            match_rules: Vec::new(),
        }
    }

    fn identify(_device: &Device<'_>, _probe: &Probe) -> Option<u32> {
        Some(1)
    }

    fn collect(_device: &Device<'_>, _cycle: Cycle) -> Result<Reading, StrategyError> {
        let mut reading = Reading::default();
        reading.identity.model = Some("generic".into());
        Ok(reading)
    }
}

register_strategy!(Generic);
