//! `hp-ews@0.2.0`: the built-in web-server strategy under a newer version that reads one
//! field more — the printer's paper jam count (`JamEvents` of the LEDM usage page's
//! printer subunit), as counter `jams`. Publishing it to a server and re-reading stored
//! readings shows the new field in the new version while the old version stays.
//!
//! The strategy's source is compiled in as a module rather than depended on as a crate:
//! a crate that is both a component (cdylib) and a dependency cannot be linked into
//! another component with LTO. Its `component` feature is off here, so only this
//! crate's entry points are exported.

#[path = "../../../../strategies/hp-ews/src/lib.rs"]
#[allow(unused_imports)] // hp-ews's own re-exports, which this crate does not all use.
mod hp_ews;

use hp_ews::{HpEws, PRODUCT_USAGE};
use quire_plugins_sdk::standard::set_counter;
use quire_plugins_sdk::{
    Cycle, Device, HttpMethod, HttpRequest, Probe, Reading, Strategy, StrategyError, StrategyInfo,
    register_strategy,
};

/// hp-ews, one version on, reading the jam count too.
pub struct HpEwsNext;

impl Strategy for HpEwsNext {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            version: "0.2.0".into(),
            ..HpEws::describe()
        }
    }

    fn identify(device: &Device<'_>, probe: &Probe) -> Option<u32> {
        HpEws::identify(device, probe)
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let mut reading = HpEws::collect(device, cycle)?;
        if cycle != Cycle::Alerts
            && let Some(jams) = jam_events(device)
        {
            set_counter(&mut reading, "jams", jams);
        }
        Ok(reading)
    }
}

/// The first `JamEvents` after the usage page's `PrinterSubunit` opens: the print
/// engine's, not the scanner's further down.
fn jam_events(device: &Device<'_>) -> Option<u64> {
    let page = device
        .http(&HttpRequest {
            method: HttpMethod::Get,
            tls: false,
            port: None,
            path: PRODUCT_USAGE.into(),
            headers: Vec::new(),
            body: None,
        })
        .ok()?;
    let body = String::from_utf8_lossy(&page.body);
    let printer = &body[body.find("PrinterSubunit>")?..];
    let element = &printer[printer.find("JamEvents")?..];
    let value = &element[element.find('>')? + 1..];
    value[..value.find('<')?].trim().parse().ok()
}

register_strategy!(HpEwsNext);
