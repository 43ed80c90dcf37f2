//! When the agent runs its cycles: discovery, meters & supplies, and alerts, per part of the
//! network, plus reads of locally attached devices.
//!
//! This crate owns the schedule types, their configuration and validation, and the one question
//! the agent asks: when does this schedule next fire after a given instant? It does no I/O and
//! keeps no clock; the agent passes the instant and sleeps until the answer.
//!
//! Schedules are written in the site's local wall-clock time, because that is how a dealer
//! thinks ("Mondays at 02:00"), and evaluated with the IANA database that `chrono-tz` compiles into
//! the binary, so the answer does not depend on the host's zoneinfo. chrono is the workspace's one
//! date-time library because the store reads and writes its times through sqlx, which has no
//! other. The daylight-saving rules are on [`Schedule`].
#![deny(missing_docs)]

/// The shortest interval for locally attached devices: a USB read occupies the printer's
/// controller for seconds, and the meters it returns change on the scale of minutes.
pub const MIN_LOCAL_MINUTES: u8 = 5;

mod config;
mod error;
mod schedule;

pub use config::{CycleConfig, ScheduleConfig, Schedules};
pub use error::{Error, Result};
pub use schedule::{Day, Schedule};

/// An instant, as the agent passes it in and gets its next run back.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// A site's time zone from the bundled database, as [`Schedules::time_zone`] gives it.
pub use chrono_tz::Tz;
