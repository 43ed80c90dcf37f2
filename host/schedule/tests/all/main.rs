//! The schedules as a dealer checks them: the local times at which runs happen.

mod config;
mod dst;
mod next_after;
mod properties;

use chrono::{NaiveDateTime, TimeZone as _, Utc};
use quire_schedule::{Schedule, Timestamp, Tz};

/// The site's zone, from the bundled database.
fn zone(name: &str) -> Tz {
    name.parse().unwrap()
}

/// An unambiguous local wall-clock time in `tz`, such as `2026-03-02T09:30` (seconds optional).
fn at(tz: &Tz, local: &str) -> Timestamp {
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M"))
        .unwrap();
    tz.from_local_datetime(&local)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// The next `count` runs after `from`, as local times with their UTC offset, so a test shows
/// both the wall clock a dealer reads and which of two repeated hours was meant.
fn runs(schedule: &Schedule, tz: &Tz, from: Timestamp, count: usize) -> Vec<String> {
    let mut after = from;
    let mut out = Vec::new();
    for _ in 0..count {
        let Some(next) = schedule.next_after(after, tz) else {
            break;
        };
        out.push(
            next.with_timezone(tz)
                .format("%a %Y-%m-%d %H:%M %:z")
                .to_string(),
        );
        after = next;
    }
    out
}
