//! How {{name}} devices are read.
//!
//! Everything a standard printer shows comes from `standard::reading`; this
//! strategy adds the maker's own print counters. Replace the example
//! enterprise number 32473 (reserved for documentation by RFC 5612) with your
//! IANA number, and the counter OIDs with your MIB's.

use quire_plugins_sdk::counters::{PRINT_COLOR, PRINT_MONO};
use quire_plugins_sdk::standard::{self, set_counter};
use quire_plugins_sdk::{
    Cycle, Device, MatchRule, Reading, Strategy, StrategyError, StrategyInfo, register_strategy,
};

/// The brand on the devices, which the standard MIBs do not carry for a
/// maker Quire does not know.
const MAKER: &str = "Example";

/// The maker's private counters: (OID, counter name). Names come from the
/// SDK's vocabulary, so Quire shows them beside every other maker's.
const COUNTERS: &[(&[u32], &str)] = &[
    (&[1, 3, 6, 1, 4, 1, 32473, 2, 1, 0], PRINT_MONO),
    (&[1, 3, 6, 1, 4, 1, 32473, 2, 2, 0], PRINT_COLOR),
];

/// The {{name}} strategy.
pub struct {{type}};

impl Strategy for {{type}} {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "{{name}}".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            vendor: "{{name}}".into(),
            description: "{{name}} devices: the standard MIBs plus the maker's print counters.".into(),
            // The host asks this strategy only about devices these rules match.
            match_rules: vec![MatchRule::SysObjectIdPrefix("1.3.6.1.4.1.32473".into())],
        }
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let mut reading = standard::reading(device, cycle)?;
        reading.identity.manufacturer.get_or_insert_with(|| MAKER.into());
        if cycle != Cycle::Alerts {
            for (oid, name) in COUNTERS {
                if let Some(value) = device.get_value(oid)?.and_then(|v| v.as_u64()) {
                    set_counter(&mut reading, name, value);
                }
            }
        }
        Ok(reading)
    }
}

register_strategy!({{type}});
