//! Fixed times and strategies the store's tests share.

use chrono::{DateTime, TimeZone, Utc};
use quire_model::StrategyRef;

pub use quire_testdb::{backends, postgres, sqlite};

/// `2026-11-23 hh:mm:00 UTC`.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, hour, minute, 0).unwrap()
}

/// The strategy that read these devices.
pub fn printer_mib() -> StrategyRef {
    StrategyRef {
        name: "printer-mib".into(),
        version: "0.1.0".into(),
    }
}
