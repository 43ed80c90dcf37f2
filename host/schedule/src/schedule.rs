//! One schedule and when it next fires, in the site's local time.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone as _, Timelike,
    Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::{MIN_LOCAL_MINUTES, Timestamp};

/// Hour slots looked at before a schedule is declared never to fire again: eight days cover
/// every weekly pattern and every daily `EveryHours` pattern from any starting hour.
const HOUR_SLOTS_SEARCHED: usize = 8 * 24;

/// When a cycle runs, as a dealer sets it in the console.
///
/// # Rules, in the site's local time
///
/// * A schedule names wall-clock hours (`Weekly`, `EveryHours`, `Once`); each fires at minute 0.
/// * A local hour that does not exist (spring forward, such as 02:00 on the last Sunday of
///   March in Europe/Berlin) fires at the first instant after the gap (03:00 local), once: if
///   the schedule also names 03:00, the two are one run.
/// * A local hour that occurs twice (fall back, such as 01:00 on the first Sunday of November
///   in America/New_York) fires once, at its first occurrence; the repeated hour is not a slot.
/// * `EveryMinutes` is the exception: it counts real elapsed time, because a locally attached
///   device read every 30 minutes should not go an hour unread when clocks fall back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
// Each variant names its own fields in kebab-case (not `rename_all_fields`, which the
// OpenAPI document's generator does not read).
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Schedule {
    /// On these days of the week, at these hours of each of them.
    #[serde(rename_all = "kebab-case")]
    Weekly {
        /// The days; at least one.
        days: BTreeSet<Day>,
        /// The hours, 0..=23; at least one.
        hours: BTreeSet<u8>,
    },
    /// Every `n` wall-clock hours from `starting_at`, the same hours every day:
    /// "every 4 hours from 00:00" is 00, 04, 08, 12, 16, 20. When `n` does not divide 24 the
    /// pattern restarts at midnight (every 5 hours from 00:00 is 00, 05, 10, 15, 20, then 00),
    /// so the hours a dealer reads in the console are the hours of every day, and the hours
    /// before `starting_at` that fit the pattern run too (every 6 from 03:00 includes 21:00).
    /// Across daylight-saving changes the named rules of [`Schedule`] apply, so on those
    /// nights the real interval is one hour shorter or longer.
    #[serde(rename_all = "kebab-case")]
    EveryHours {
        /// The interval in hours, 1..=24.
        n: u8,
        /// The hour the pattern is aligned to, 0..=23.
        starting_at: u8,
    },
    /// Every `n` minutes of real time, at instants that are a multiple of `n` minutes since the
    /// Unix epoch (so on :00 and :30 local in every zone whose offset is whole or half hours).
    /// Only locally attached devices may run this often; see [`crate::ScheduleConfig`].
    #[serde(rename_all = "kebab-case")]
    EveryMinutes {
        /// The interval in minutes; divides 60 and is at least [`MIN_LOCAL_MINUTES`].
        n: u8,
    },
    /// Once, at this hour of this local day, and never again.
    #[serde(rename_all = "kebab-case")]
    Once {
        /// The local day.
        date: NaiveDate,
        /// The hour, 0..=23.
        hour: u8,
    },
    /// Never.
    Disabled,
}

/// A day of the week, spelled out in configuration (`"monday"`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)] // the names are the documentation
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Day {
    /// Every day of the week, Monday first: the days of a schedule that runs daily.
    pub const ALL: [Day; 7] = [
        Day::Monday,
        Day::Tuesday,
        Day::Wednesday,
        Day::Thursday,
        Day::Friday,
        Day::Saturday,
        Day::Sunday,
    ];
}

impl From<Day> for Weekday {
    fn from(day: Day) -> Self {
        match day {
            Day::Monday => Weekday::Mon,
            Day::Tuesday => Weekday::Tue,
            Day::Wednesday => Weekday::Wed,
            Day::Thursday => Weekday::Thu,
            Day::Friday => Weekday::Fri,
            Day::Saturday => Weekday::Sat,
            Day::Sunday => Weekday::Sun,
        }
    }
}

impl Schedule {
    /// Checks the schedule's own fields; `field` is its path, prefixed to each error.
    /// Whether a minute interval is allowed at all depends on the cycle and is checked by
    /// [`crate::ScheduleConfig::build`].
    pub fn validate(&self, field: &str) -> Result<()> {
        let hour = |name: &str, hour: u8| {
            if hour > 23 {
                Err(Error::HourOutOfRange {
                    field: format!("{field}.{name}"),
                    hour,
                })
            } else {
                Ok(())
            }
        };
        match self {
            Schedule::Weekly { days, hours } => {
                if days.is_empty() {
                    return Err(Error::NoDays {
                        field: format!("{field}.days"),
                    });
                }
                if hours.is_empty() {
                    return Err(Error::NoHours {
                        field: format!("{field}.hours"),
                    });
                }
                hours.iter().try_for_each(|&h| hour("hours", h))
            }
            Schedule::EveryHours { n, starting_at } => {
                if !(1..=24).contains(n) {
                    return Err(Error::IntervalOutOfRange {
                        field: format!("{field}.n"),
                        n: *n,
                    });
                }
                hour("starting-at", *starting_at)
            }
            Schedule::EveryMinutes { n } => {
                if *n < MIN_LOCAL_MINUTES || 60 % n != 0 {
                    return Err(Error::MinutesInvalid {
                        field: format!("{field}.n"),
                        n: *n,
                    });
                }
                Ok(())
            }
            Schedule::Once { hour: h, .. } => hour("hour", *h),
            Schedule::Disabled => Ok(()),
        }
    }

    /// The next run strictly after `after`, or `None` if the schedule never fires again
    /// (disabled, a past `Once`, or a schedule that [`Schedule::validate`] would refuse).
    pub fn next_after(&self, after: Timestamp, tz: &Tz) -> Option<Timestamp> {
        match self {
            Schedule::Weekly { days, hours } => next_hour_slot(after, tz, |slot| {
                let hour = u8::try_from(slot.hour()).ok();
                days.iter().any(|&d| Weekday::from(d) == slot.weekday())
                    && hour.is_some_and(|h| hours.contains(&h))
            }),
            Schedule::EveryHours { n, starting_at } => next_hour_slot(after, tz, |slot| {
                let hour = i16::try_from(slot.hour()).unwrap_or(i16::MAX);
                let since_start = hour - i16::from(*starting_at);
                *n > 0 && since_start.rem_euclid(i16::from(*n)) == 0
            }),
            Schedule::EveryMinutes { n } => {
                let period = i64::from(*n) * 60;
                (period > 0)
                    .then(|| (after.timestamp().div_euclid(period) + 1) * period)
                    .and_then(|second| DateTime::from_timestamp(second, 0))
            }
            Schedule::Once { date, hour } => {
                let when = local_to_instant(date.and_hms_opt(u32::from(*hour), 0, 0)?, tz)?;
                (when > after).then_some(when)
            }
            Schedule::Disabled => None,
        }
    }
}

/// The first whole local hour, from the one containing `after`, that `matches` and maps to an
/// instant strictly after `after`. Slots are mapped by [`local_to_instant`], which never moves a
/// later slot before an earlier one, so the first such slot is the next run.
fn next_hour_slot(
    after: Timestamp,
    tz: &Tz,
    matches: impl Fn(NaiveDateTime) -> bool,
) -> Option<Timestamp> {
    let local = after.with_timezone(tz).naive_local();
    let mut slot = local.date().and_hms_opt(local.hour(), 0, 0)?;
    for _ in 0..=HOUR_SLOTS_SEARCHED {
        if matches(slot) {
            match local_to_instant(slot, tz) {
                Some(when) if when > after => return Some(when),
                _ => {}
            }
        }
        slot = slot.checked_add_signed(TimeDelta::hours(1))?;
    }
    None
}

/// The instant a local wall-clock time means for a schedule: itself when it exists once, its
/// first occurrence when clocks fall back over it, and the end of the gap (the transition
/// itself) when clocks spring forward over it.
fn local_to_instant(local: NaiveDateTime, tz: &Tz) -> Option<Timestamp> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(when) | LocalResult::Ambiguous(when, _) => {
            Some(when.with_timezone(&Utc))
        }
        LocalResult::None => transition_over(local, tz),
    }
}

/// The transition that skips the local time `local`: the first instant whose local time is
/// at or past it. chrono-tz does not list transitions, so it is found by bisecting the
/// seconds around `local` read as UTC; every offset is under a day, so the transition lies
/// within a day either side, and the tz database's transitions fall on whole seconds.
fn transition_over(local: NaiveDateTime, tz: &Tz) -> Option<Timestamp> {
    let reached = |second: i64| {
        DateTime::from_timestamp(second, 0)
            .is_some_and(|instant| instant.with_timezone(tz).naive_local() >= local)
    };
    let as_utc = local.and_utc().timestamp();
    let (mut before, mut reached_at) = (as_utc - SECONDS_PER_DAY, as_utc + SECONDS_PER_DAY);
    while reached_at - before > 1 {
        let middle = before + (reached_at - before) / 2;
        if reached(middle) {
            reached_at = middle;
        } else {
            before = middle;
        }
    }
    DateTime::from_timestamp(reached_at, 0)
}

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;
