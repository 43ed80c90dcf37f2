//! What readings mean to a dealer, as pure logic over a clock: the pages printed
//! between readings (with counter resets, controller-board swaps, 32-bit rollovers
//! and gaps told apart from printing), what those pages cost, each supply's life
//! from order to replacement, and when it will run out.
//!
//! It does no I/O and reads no clock: the store feeds it rows, the caller passes
//! the instant, and the server stores what it returns. That keeps every rule
//! testable from a table of readings.
#![deny(missing_docs)]

pub mod calculated;
pub mod costs;
pub mod forecast;
pub mod lifecycle;
pub mod pages;
#[cfg(any(test, feature = "simulate"))]
pub mod simulate;

pub use forecast::{
    Forecast, ForecastMethod, LevelSample, Refusal, RefusalReason, SupplyForecast, forecast,
};
pub use lifecycle::{
    Cartridge, CartridgeStage, CartridgeYield, CumulativePages, HistoryInput, HistoryIssue,
    InstallEvidence, OnOrder, PageCounter, PageSample, PositionHistory, Positions,
    ReportedReplacement, SuppliesRead, SupplyEvent, SupplyEventKind, SupplyHistory, SupplyPosition,
    YieldBasis, supply_history,
};
