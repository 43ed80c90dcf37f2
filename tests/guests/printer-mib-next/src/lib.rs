//! `printer-mib@0.2.0`: the built-in generic strategy under a newer version, reading
//! exactly as it does. Publishing it to a server is an upgrade of a built-in strategy;
//! the version stamped on each reading shows which one read the device.
//!
//! The strategy's source is compiled in as a module rather than depended on as a crate:
//! a crate that is both a component (cdylib) and a dependency cannot be linked into
//! another component with LTO. Its `component` feature is off here, so only this
//! crate's entry points are exported.

#[path = "../../../../strategies/printer-mib/src/lib.rs"]
mod printer_mib;

use printer_mib::PrinterMib;
use quire_plugins_sdk::{
    Cycle, Device, Probe, Reading, Strategy, StrategyError, StrategyInfo, register_strategy,
};

/// printer-mib, one version on.
pub struct PrinterMibNext;

impl Strategy for PrinterMibNext {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            version: "0.2.0".into(),
            ..PrinterMib::describe()
        }
    }

    fn identify(device: &Device<'_>, probe: &Probe) -> Option<u32> {
        PrinterMib::identify(device, probe)
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        PrinterMib::collect(device, cycle)
    }
}

register_strategy!(PrinterMibNext);
