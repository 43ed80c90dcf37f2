//! The generic strategy: any printer that implements the standard MIBs
//! (RFC 3805 Printer-MIB, RFC 2790 Host Resources, IF-MIB, ENTITY-MIB). It is
//! the fallback the host uses when no vendor strategy claims a device, so it
//! has no match rules and scores itself low.
//!
//! Firmware stays empty: no standard printer MIB carries it (vendors put it
//! in sysDescr in their own formats), and the model never invents a value.
//! Page counters are `prtMarkerLifeCount` only; the PWG Imaging System
//! Counter MIB is not read yet (see `quire_plugins_sdk::oids`).

use quire_plugins_sdk::oids::*;
use quire_plugins_sdk::standard;
use quire_plugins_sdk::{Cycle, Device, Probe, Reading, Strategy, StrategyError, StrategyInfo};

/// The generic Printer-MIB strategy.
pub struct PrinterMib;

impl Strategy for PrinterMib {
    fn describe() -> StrategyInfo {
        quire_plugins_sdk::quire_strategy_info!(
            "printer-mib",
            "Any printer with the standard Printer-MIB (RFC 3805) and Host Resources MIB (RFC 2790).",
            Vec::new(),
        )
    }

    /// A score of 1 (any vendor strategy wins) when the device shows any
    /// Printer-MIB object; `None` for a device that is no printer at all.
    fn identify(device: &Device<'_>, _probe: &Probe) -> Option<u32> {
        let printer = [
            PRT_GENERAL_PRINTER_NAME,
            HR_PRINTER_STATUS,
            PRT_MARKER_SUPPLIES_TABLE,
        ]
        .iter()
        .any(|root| device.has_subtree(root).unwrap_or(false));
        printer.then_some(1)
    }

    /// The standard reading ([`standard::reading`]), nothing more.
    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        Ok(standard::reading(device, cycle)?)
    }
}

#[cfg(feature = "component")]
quire_plugins_sdk::register_strategy!(PrinterMib);
