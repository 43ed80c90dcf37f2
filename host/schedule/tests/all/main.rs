//! The schedules as a dealer checks them: the local times at which runs happen.

mod config;
mod dst;
mod next_after;
mod properties;

use quire_schedule::{Schedule, TimeZone, Timestamp};

/// The site's zone, from the bundled database.
fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

/// An unambiguous local wall-clock time in `tz`, such as `2026-03-02T09:30`.
fn at(tz: &TimeZone, local: &str) -> Timestamp {
    let local: jiff::civil::DateTime = local.parse().unwrap();
    tz.to_timestamp(local).unwrap()
}

/// The next `count` runs after `from`, as local times with their UTC offset, so a test shows
/// both the wall clock a dealer reads and which of two repeated hours was meant.
fn runs(schedule: &Schedule, tz: &TimeZone, from: Timestamp, count: usize) -> Vec<String> {
    let mut after = from;
    let mut out = Vec::new();
    for _ in 0..count {
        let Some(next) = schedule.next_after(after, tz) else {
            break;
        };
        out.push(
            next.to_zoned_datetime(tz.clone())
                .strftime("%a %Y-%m-%d %H:%M %:z")
                .to_string(),
        );
        after = next;
    }
    out
}
