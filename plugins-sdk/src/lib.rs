//! The crate a Quire strategy author depends on.
//!
//! A strategy reads one family of printing devices. Its author implements
//! [`Strategy`] (only [`Strategy::describe`] and [`Strategy::collect`] are
//! required), adds one `register_strategy!(MyStrategy);` line, and builds the
//! crate for `wasm32-wasip2`. Everything else a standard printer needs is here:
//! OID constants ([`oids`]), table walks ([`Device::walk`],
//! [`Device::walk_columns`]), and Printer-MIB decoding ([`printer_mib`]), so a
//! standard printer's strategy is about a page of code.
//!
//! # Example
//!
//! The whole of a strategy for a made-up maker (the README shows the same):
//!
//! ```
//! use quire_plugins_sdk::{printer_mib, register_strategy};
//! use quire_plugins_sdk::{Counter, Cycle, Device, MatchRule, Reading, Strategy, StrategyError, StrategyInfo};
//!
//! pub struct Acme;
//!
//! impl Strategy for Acme {
//!     fn describe() -> StrategyInfo {
//!         StrategyInfo {
//!             name: "acme".into(),
//!             version: env!("CARGO_PKG_VERSION").into(),
//!             vendor: "Acme".into(),
//!             description: "Acme LaserWriters".into(),
//!             // Lets the host choose candidates without instantiating every plugin.
//!             match_rules: vec![MatchRule::SysObjectIdPrefix("1.3.6.1.4.1.99999".into())],
//!         }
//!     }
//!
//!     fn collect(device: &Device<'_>, _cycle: Cycle) -> Result<Reading, StrategyError> {
//!         let mut reading = Reading::default();
//!         reading.supplies = printer_mib::supplies(device)?;          // the whole supplies table, decoded
//!         if let Some(value) = device.get_value(&[1, 3, 6, 1, 4, 1, 99999, 1, 0])?.and_then(|v| v.as_u64()) {
//!             reading.counters.push(Counter { name: "total".into(), value });
//!         }
//!         Ok(reading)
//!     }
//! }
//!
//! register_strategy!(Acme);
//! ```
//!
//! Key decisions:
//!
//! - **One code path, two transports.** A strategy talks to its device only
//!   through [`Device`], which wraps a [`Transport`]. Inside the component the
//!   transport is the WIT imports; natively (the `harness` feature) it is a recording. The
//!   strategy code between them is the same, so a native replay reads exactly
//!   what the component would, and a benchmark compares like with like.
//! - **Export only on wasm32.** [`register_strategy!`] exports the component
//!   under `#[cfg(target_arch = "wasm32")]` alone, so any number of strategies
//!   can be linked natively into one test or benchmark binary without clashing
//!   export symbols.
//! - **Chosen re-exports.** The WIT types an author needs are re-exported at the
//!   crate root; the raw generated module stays hidden so it can change with
//!   wit-bindgen without breaking strategies.
//! - **Choices are explained.** Where a strategy picks one source over another
//!   (a model from the device ID rather than `hrDeviceDescr`, toner rather than
//!   ink), [`Device::note`] says why; the component returns the notes beside the
//!   reading (contract 0.2.0), `quire replay --explain` prints them, and no
//!   stored reading keeps them.
//! - **The host walks tables.** Inside the component, [`Device::walk_columns`]
//!   hands the whole walk to the host in one call (`snmp.walk`, contract
//!   0.2.1), which returns the rows as a few flat lists instead of one guest
//!   allocation per OID and per string; natively the same rules ([`walk::Walk`])
//!   drive one GETBULK or GETNEXT at a time, so both read the same rows.
//! - **Odd device data never panics.** Every decoder takes what the device
//!   sent (missing rows, wrong types, negative or huge numbers) and returns
//!   `None` or `unknown` rather than failing the whole reading.

#![deny(missing_docs)]

/// Bindings generated from `wit/device.wit` (world `strategy`), the live
/// contract, which ships inside this crate so that a packaged SDK binds the
/// same WIT the host does. Hidden: authors use the re-exports at the crate
/// root; [`register_strategy!`] uses the export macro in here.
#[doc(hidden)]
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "strategy",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "quire_plugins_sdk::bindings",
        additional_derives: [PartialEq],
    });
}

/// The repository README's Rust examples, compiled as this crate's doctests so
/// the strategy a plugin author copies from it builds against the SDK as it is.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

mod assess;
pub mod counters;
mod device;
pub mod enterprises;
#[cfg(all(feature = "exchange-log", not(target_arch = "wasm32")))]
pub mod exchange_log;
#[cfg(all(feature = "harness", not(target_arch = "wasm32")))]
pub mod harness;
pub mod oids;
pub mod printer_mib;
pub mod standard;
mod strategy;
mod value;
pub mod walk;

pub use assess::{assessment_by_service_code, service_call_assessment, standard_assessment};
pub use bindings::quire::device::http::{
    Method as HttpMethod, Request as HttpRequest, Response as HttpResponse,
};
pub use bindings::quire::device::npap::NpapPort;
pub use bindings::quire::device::types::{
    AlertSeverity, Assessment, AssessmentSeverity, Collected, Counter, Cycle, DeviceAlert,
    DeviceStatus, ErrorGroup, ErrorInput, ErrorState, Identity, LogLevel, MatchRule, Oid,
    PrinterStatus, Probe, Reading, SkillLevel, SnmpValue, Status, StrategyError, StrategyInfo,
    Supply, SupplyState, TransportError, Varbind,
};
pub use device::{ColumnRows, Device, Row, Table, Transport};
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use strategy::Export;
pub use strategy::{Strategy, match_rules, score_by_rules};
