//! Calculated values: a device's average daily and monthly volume, which ASM
//! filters devices by ("Daily Average Volume", "Monthly Average Volume").
//!
//! FMAudit's ASM help names these filters and recommends running its Calculated
//! Values task hourly when alerts use them, but does not define them. Quire's rule:
//!
//! - **Window**: the 30 whole local days before `today`; today is left out because
//!   it is not over, and an hourly run would otherwise see a low morning.
//! - **Pages**: of the `total` counter, or `mono` + `color` when the device has no
//!   `total` day in the window (many devices report only the split).
//! - **Observed days**: the days in the window that [`crate::pages::daily_pages`]
//!   has for those counters, a day with no printing included, a day without data
//!   not: a device read only for the last week averages over that week, not over
//!   30 days of which 23 are unknown.
//! - **Daily** = pages ÷ observed days; **monthly** = daily × 30.4375 (365.25 / 12,
//!   the average month).
//!
//! A day the device was first or last seen on counts whole though only part of
//! it was observed; over a 30-day window that bias is at most a day at each end.
//!
//! Cost: one pass over the basis counters' days, O(D) for D days.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::pages::{CounterDays, DayPages};

/// The days before today that the averages look at.
pub const WINDOW_DAYS: u64 = 30;

/// The average month, in days (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// Which counters the volume was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VolumeBasis {
    /// The `total` counter.
    Total,
    /// `mono` and `color` added, for a device without `total`.
    MonoPlusColor,
}

/// A device's average volumes, with what they were computed from so a dealer can
/// check a filter's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct VolumeAverages {
    /// The counters the pages came from.
    pub basis: VolumeBasis,
    /// The window's first day.
    pub first_day: NaiveDate,
    /// The window's last day (the day before `today`).
    pub last_day: NaiveDate,
    /// Days in the window with data.
    pub observed_days: u32,
    /// Pages on those days.
    pub pages: u64,
    /// Average pages per observed day.
    pub daily: f64,
    /// `daily` × [`DAYS_PER_MONTH`].
    pub monthly: f64,
}

/// The device's average volumes over the [`WINDOW_DAYS`] days before `today`, from
/// its pages per day; `None` when no day in the window has data.
pub fn volume_averages(daily: &[CounterDays], today: NaiveDate) -> Option<VolumeAverages> {
    let first_day = today - Days::new(WINDOW_DAYS);
    let in_window = |counter: &str| -> &[DayPages] {
        daily
            .iter()
            .find(|days| days.counter == counter)
            .map_or(&[], |days| {
                let from = days.days.partition_point(|day| day.day < first_day);
                let to = days.days.partition_point(|day| day.day < today);
                &days.days[from..to]
            })
    };
    let total = in_window("total");
    let (basis, observed_days, pages) = if !total.is_empty() {
        let pages = total.iter().map(|day| day.pages).sum();
        (VolumeBasis::Total, total.len(), pages)
    } else {
        let (observed, pages) = union_of_days(in_window("mono"), in_window("color"));
        (VolumeBasis::MonoPlusColor, observed, pages)
    };
    if observed_days == 0 {
        return None;
    }
    let observed_days = u32::try_from(observed_days).unwrap_or(u32::MAX);
    let daily = pages as f64 / f64::from(observed_days);
    Some(VolumeAverages {
        basis,
        first_day,
        last_day: today - Days::new(1),
        observed_days,
        pages,
        daily,
        monthly: daily * DAYS_PER_MONTH,
    })
}

/// The distinct days of two day lists in order, and their pages added up.
fn union_of_days(left: &[DayPages], right: &[DayPages]) -> (usize, u64) {
    let pages = left.iter().chain(right).map(|day| day.pages).sum();
    let (mut observed, mut l, mut r) = (0, 0, 0);
    while l < left.len() || r < right.len() {
        match (left.get(l), right.get(r)) {
            (Some(a), Some(b)) if a.day == b.day => (l, r) = (l + 1, r + 1),
            (Some(a), Some(b)) if a.day < b.day => l += 1,
            (Some(_), None) => l += 1,
            _ => r += 1,
        }
        observed += 1;
    }
    (observed, pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn counter(name: &str, days: &[(&str, u64)]) -> CounterDays {
        CounterDays {
            counter: name.into(),
            days: days
                .iter()
                .map(|(text, pages)| DayPages {
                    day: day(text),
                    pages: *pages,
                })
                .collect(),
        }
    }

    #[test]
    fn averages_follow_the_rule() {
        struct Case<'a> {
            name: &'a str,
            daily: Vec<CounterDays>,
            expected: Option<(VolumeBasis, u32, u64)>,
        }
        // Today is 5 March 2024, so the window is 4 February to 4 March (2024 is a
        // leap year: 5 March - 30 days = 4 February).
        let cases = [
            Case {
                name: "total over the observed days; before the window and today left out",
                daily: vec![counter(
                    "total",
                    &[
                        ("2024-02-03", 10_000),
                        ("2024-02-27", 100),
                        ("2024-02-28", 200),
                        ("2024-03-01", 300),
                        ("2024-03-05", 5_000),
                    ],
                )],
                expected: Some((VolumeBasis::Total, 3, 100 + 200 + 300)),
            },
            Case {
                name: "a day without printing is observed",
                daily: vec![counter(
                    "total",
                    &[("2024-02-27", 0), ("2024-02-28", 0), ("2024-03-04", 300)],
                )],
                expected: Some((VolumeBasis::Total, 3, 300)),
            },
            Case {
                name: "mono and color when there is no total; their days united",
                daily: vec![
                    counter("color", &[("2024-02-28", 20), ("2024-03-01", 40)]),
                    counter("mono", &[("2024-02-27", 60), ("2024-02-28", 80)]),
                ],
                expected: Some((VolumeBasis::MonoPlusColor, 3, 60 + 80 + 20 + 40)),
            },
            Case {
                name: "a total with no day in the window gives way to mono and color",
                daily: vec![
                    counter("mono", &[("2024-03-02", 70)]),
                    counter("total", &[("2024-01-02", 900)]),
                ],
                expected: Some((VolumeBasis::MonoPlusColor, 1, 70)),
            },
            Case {
                name: "no day in the window",
                daily: vec![counter("total", &[("2024-01-02", 900)])],
                expected: None,
            },
            Case {
                name: "no counters at all",
                daily: vec![],
                expected: None,
            },
        ];
        for case in cases {
            let averages = volume_averages(&case.daily, day("2024-03-05"));
            let Some((basis, observed_days, pages)) = case.expected else {
                assert_eq!(averages, None, "{}", case.name);
                continue;
            };
            let daily = pages as f64 / f64::from(observed_days);
            assert_eq!(
                averages,
                Some(VolumeAverages {
                    basis,
                    first_day: day("2024-02-04"),
                    last_day: day("2024-03-04"),
                    observed_days,
                    pages,
                    daily,
                    monthly: daily * 30.4375,
                }),
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn the_first_case_in_figures() {
        let averages = volume_averages(
            &[counter(
                "total",
                &[
                    ("2024-02-27", 100),
                    ("2024-02-28", 200),
                    ("2024-03-01", 300),
                ],
            )],
            day("2024-03-05"),
        )
        .expect("observed");
        assert_eq!(averages.daily, 200.0);
        assert_eq!(averages.monthly, 6_087.5);
    }
}
