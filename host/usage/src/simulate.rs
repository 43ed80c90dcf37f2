//! A simulated fleet of cartridges draining the way office printers drain, whose true
//! empty dates are known, and the replay that scores forecasts against them: the
//! evidence behind [`crate::forecast`]'s method. Built for the tests and for
//! `quire-bench forecast` (feature `simulate`), never into the shipped binary.
//!
//! Each cartridge sits in a device that prints a base number of pages each weekday
//! (log-uniform, 40 to 800) with day-to-day noise (log-normal, σ = 0.35), 2 % of that on
//! weekends, spread over office hours; once in its simulated span the office closes for
//! two weeks (3 % of the usual pages) and once a bulk job prints 3 to 15 % of a
//! cartridge in one afternoon. The toner used per page varies by day (log-normal, σ = 0.15) around a
//! yield that empties the cartridge in 20 to 100 days. The device is read hourly; 5 % of
//! readings are missed and a third of the devices lose one to three days in a row. The
//! level is reported rounded to whole percent (70 % of devices, whose gauge reads one
//! point high 2 % of the time), to 5 % (15 %) or to 10 % steps (15 %), and the page
//! counter from eight weeks before the cartridge went in.
//!
//! The generator is `rand`'s Xoshiro256++, which `rand` promises to keep reproducible,
//! seeded per cartridge, so the figures depend only on the seed and the locked `rand`.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use quire_model::SupplyState;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::forecast::{LevelSample, SupplyForecast, forecast};
use crate::lifecycle::PageSample;

/// The levels at which the replay asks for a forecast.
pub const ASKED_AT_PERCENT: [u8; 2] = [30, 10];

/// One simulated cartridge, from install to its true empty instant.
#[derive(Debug, Clone)]
pub struct SimulatedCartridge {
    /// Its readings, hourly from install, missed ones left out.
    pub levels: Vec<LevelSample>,
    /// The device's page counter at the same readings, from eight weeks before install.
    pub pages: Vec<PageSample>,
    /// The step the device reports levels in, in percent.
    pub step_percent: u8,
    /// When its true level reached 0.
    pub empty_at: DateTime<Utc>,
    /// For each of [`ASKED_AT_PERCENT`], the first reading hour (taken or missed) at which
    /// its true level was at or below it.
    pub crossed_at: [DateTime<Utc>; 2],
    /// The first day of its office's two-week holiday.
    pub holiday_from: DateTime<Utc>,
    /// The day of its bulk job.
    pub bulk_on: DateTime<Utc>,
}

impl SimulatedCartridge {
    /// Whether its holiday or its bulk job falls between `now` and its true empty
    /// instant: a change no history up to `now` can show.
    pub fn surprise_between(&self, now: DateTime<Utc>) -> bool {
        let ahead = |from: DateTime<Utc>, days: i64| {
            from + Duration::days(days) > now && from < self.empty_at
        };
        ahead(self.holiday_from, 14) || ahead(self.bulk_on, 1)
    }
}

/// `count` cartridges from `seed`.
pub fn fleet(seed: u64, count: usize) -> Vec<SimulatedCartridge> {
    (0..count as u64)
        .map(|i| cartridge(seed.wrapping_mul(1_000_003).wrapping_add(i)))
        .collect()
}

fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    // Box–Muller; 1 − u keeps the logarithm finite.
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random::<f64>();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// One cartridge from its own seed.
pub fn cartridge(seed: u64) -> SimulatedCartridge {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let history_days = 56;
    let first_monday = Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap();
    let device_start = first_monday + Duration::days(rng.random_range(0..365));
    let installed =
        device_start + Duration::days(history_days) + Duration::hours(rng.random_range(0..24));
    let weekday_pages = (40f64.ln() + rng.random::<f64>() * (800f64 / 40.0).ln()).exp();
    let life_days: f64 = rng.random_range(20.0..100.0);
    let per_calendar_day = weekday_pages * (5.0 + 2.0 * 0.02) / 7.0;
    let points_per_page = 100.0 / (per_calendar_day * life_days);
    let span_days = history_days + life_days as i64;
    let holiday_start = device_start + Duration::days(rng.random_range(0..span_days));
    let bulk_day = device_start + Duration::days(rng.random_range(0..span_days));
    // One run of 3 to 15 % of a cartridge (a few hundred to a few thousand pages).
    let bulk_pages = rng.random_range(3.0..15.0) / points_per_page;
    let step_percent = match rng.random_range(0..20) {
        0..14 => 1,
        14..17 => 5,
        _ => 10,
    };
    let outage = rng.random_bool(1.0 / 3.0).then(|| {
        let start = installed + Duration::hours(rng.random_range(0..(life_days as i64 * 24)));
        (start, start + Duration::hours(rng.random_range(24..72)))
    });

    let mut levels = Vec::new();
    let mut pages = Vec::new();
    let mut counter = 0.0_f64;
    let mut level = 100.0_f64;
    let mut day_pages = 0.0;
    let mut day_toner = 1.0;
    let mut crossed_at = [None, None];
    let mut empty_at = None;
    let mut hour = device_start;
    while empty_at.is_none() {
        if hour.hour() == 0 {
            let weekend = matches!(hour.weekday(), Weekday::Sat | Weekday::Sun);
            let on_holiday = hour >= holiday_start && hour < holiday_start + Duration::days(14);
            let factor = if on_holiday {
                0.03
            } else if weekend {
                0.02
            } else {
                1.0
            };
            day_pages = weekday_pages * factor * (0.35 * normal(&mut rng)).exp();
            if hour.date_naive() == bulk_day.date_naive() {
                day_pages += bulk_pages;
            }
            day_toner = (0.15 * normal(&mut rng)).exp();
        }
        // Office hours 08:00–18:00, the bulk job among them.
        let printed = if (8..18).contains(&hour.hour()) {
            day_pages / 10.0
        } else {
            0.0
        };
        let before = level;
        counter += printed;
        if hour >= installed {
            level -= printed * points_per_page * day_toner;
            for (slot, percent) in crossed_at.iter_mut().zip(ASKED_AT_PERCENT) {
                if slot.is_none() && level <= f64::from(percent) {
                    *slot = Some(hour);
                }
            }
            if level <= 0.0 {
                let within = before / (before - level);
                empty_at =
                    Some(hour - Duration::hours(1) + Duration::seconds((within * 3600.0) as i64));
            }
        }
        let missed =
            rng.random_bool(0.05) || outage.is_some_and(|(from, to)| hour >= from && hour < to);
        if !missed {
            pages.push(PageSample {
                taken_at: hour,
                pages: counter as u64,
            });
            if hour >= installed {
                let step = f64::from(step_percent);
                let mut shown = ((level.max(0.0) / step).round() * step).min(100.0) as u8;
                if step_percent == 1 && shown < 100 && rng.random_bool(0.02) {
                    shown += 1;
                }
                levels.push(LevelSample {
                    taken_at: hour,
                    percent: Some(shown),
                    state: match shown {
                        0 => SupplyState::Empty,
                        1..=10 => SupplyState::Low,
                        _ => SupplyState::Ok,
                    },
                });
            }
        }
        hour += Duration::hours(1);
    }
    SimulatedCartridge {
        levels,
        pages,
        step_percent,
        empty_at: empty_at.unwrap_or(hour),
        crossed_at: crossed_at.map(|at| at.unwrap_or(hour)),
        holiday_from: holiday_start,
        bulk_on: bulk_day,
    }
}

/// A way of forecasting, scored by [`replay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forecaster {
    /// [`forecast`] with the device's page counter.
    Quire,
    /// [`forecast`] with the level history alone.
    QuireLevelsOnly,
    /// The line through the last two readings; no answer where they are equal.
    NaiveLastTwoReadings,
    /// The line through the last reading and the last one before it at another level.
    NaiveLastTwoLevels,
}

impl Forecaster {
    /// Every forecaster, in the order a table shows them.
    pub const ALL: [Forecaster; 4] = [
        Forecaster::Quire,
        Forecaster::QuireLevelsOnly,
        Forecaster::NaiveLastTwoReadings,
        Forecaster::NaiveLastTwoLevels,
    ];

    /// Its name in a table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quire => "quire (level per page)",
            Self::QuireLevelsOnly => "quire (levels only)",
            Self::NaiveLastTwoReadings => "naive: last two readings",
            Self::NaiveLastTwoLevels => "naive: last two levels",
        }
    }

    /// Its answer at `now`, or `None` where it gives none.
    pub fn ask(self, cartridge: &SimulatedCartridge, now: DateTime<Utc>) -> Option<Answer> {
        let known = cartridge.levels.partition_point(|s| s.taken_at <= now);
        let levels = &cartridge.levels[..known];
        let quire = |usage: Option<&[PageSample]>| match forecast(levels, usage, now) {
            SupplyForecast::Forecast(f) => Some(Answer {
                empty_on: f.empty_on,
                interval: Some((f.earliest, f.latest)),
            }),
            SupplyForecast::Refusal(_) => None,
        };
        match self {
            Self::Quire => quire(Some(&cartridge.pages)),
            Self::QuireLevelsOnly => quire(None),
            Self::NaiveLastTwoReadings => {
                let [.., before, last] = levels else {
                    return None;
                };
                line(before, last).map(|empty_on| Answer {
                    empty_on,
                    interval: None,
                })
            }
            Self::NaiveLastTwoLevels => {
                let last = levels.last()?;
                let before = levels.iter().rev().find(|s| s.percent != last.percent)?;
                line(before, last).map(|empty_on| Answer {
                    empty_on,
                    interval: None,
                })
            }
        }
    }
}

/// A forecaster's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// When it says the supply is empty.
    pub empty_on: DateTime<Utc>,
    /// Its interval, where it gives one.
    pub interval: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Where the line through two readings reaches 0, if it falls.
fn line(before: &LevelSample, last: &LevelSample) -> Option<DateTime<Utc>> {
    let (from, to) = (f64::from(before.percent?), f64::from(last.percent?));
    let hours = (last.taken_at - before.taken_at).num_seconds() as f64 / 3600.0;
    if to >= from || hours <= 0.0 {
        return None;
    }
    let left = to / ((from - to) / hours);
    Some(last.taken_at + Duration::seconds((left.min(24.0 * 365.0 * 10.0) * 3600.0) as i64))
}

/// How a forecaster did when asked at one level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Times asked.
    pub asked: usize,
    /// Times it gave no answer.
    pub refused: usize,
    /// The median absolute error of its answers, in days.
    pub median_error_days: Option<f64>,
    /// Of its answers with an interval, the share whose interval held the true date.
    pub coverage: Option<f64>,
    /// The same share among the cases with neither the holiday nor the bulk job between
    /// the question and the true empty instant: where the weeks ahead are like the weeks
    /// replayed, which is all an interval from the past can promise.
    pub coverage_nothing_unforeseen: Option<f64>,
}

/// A forecaster's outcomes at each of [`ASKED_AT_PERCENT`].
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Who.
    pub forecaster: Forecaster,
    /// At 30 % and at 10 %.
    pub at: [Outcome; 2],
}

/// Asks every forecaster about every cartridge at the hours its true level crossed
/// [`ASKED_AT_PERCENT`], and scores them against its true empty instant.
pub fn replay(fleet: &[SimulatedCartridge]) -> Vec<Score> {
    Forecaster::ALL
        .iter()
        .map(|&forecaster| Score {
            forecaster,
            at: [0, 1].map(|which| {
                let mut errors = Vec::new();
                let (mut intervals, mut held) = (0, 0);
                let (mut foreseen, mut foreseen_held) = (0, 0);
                for cartridge in fleet {
                    let now = cartridge.crossed_at[which];
                    let Some(Answer {
                        empty_on: at,
                        interval,
                    }) = forecaster.ask(cartridge, now)
                    else {
                        continue;
                    };
                    errors.push((at - cartridge.empty_at).num_seconds().abs() as f64 / 86_400.0);
                    if let Some((earliest, latest)) = interval {
                        let inside = earliest <= cartridge.empty_at && cartridge.empty_at <= latest;
                        intervals += 1;
                        held += usize::from(inside);
                        if !cartridge.surprise_between(now) {
                            foreseen += 1;
                            foreseen_held += usize::from(inside);
                        }
                    }
                }
                errors.sort_by(f64::total_cmp);
                Outcome {
                    asked: fleet.len(),
                    refused: fleet.len() - errors.len(),
                    median_error_days: (!errors.is_empty())
                        .then(|| (errors[(errors.len() - 1) / 2] + errors[errors.len() / 2]) / 2.0),
                    coverage: (intervals > 0).then(|| held as f64 / intervals as f64),
                    coverage_nothing_unforeseen: (foreseen > 0)
                        .then(|| foreseen_held as f64 / foreseen as f64),
                }
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The behaviour the module doc of [`crate::forecast`] claims, on a smaller fleet
    /// than the benchmark's: closer than the naive line at both levels, and an 80 %
    /// interval that holds about 80 % of the cases its premise holds for.
    #[test]
    fn the_forecast_beats_the_naive_line_and_its_interval_holds() {
        let scores = replay(&fleet(15, 120));
        let score = |who| scores.iter().find(|s| s.forecaster == who).unwrap();
        let quire = score(Forecaster::Quire);
        for (at, percent) in ASKED_AT_PERCENT.iter().enumerate() {
            let ours = quire.at[at].median_error_days.unwrap();
            for naive in [
                Forecaster::NaiveLastTwoReadings,
                Forecaster::NaiveLastTwoLevels,
            ] {
                let theirs = score(naive).at[at].median_error_days.unwrap();
                assert!(
                    ours < theirs,
                    "at {percent} %: {ours:.2} days against {theirs:.2} for {naive:?}"
                );
            }
            // The 10 % steps (15 % of the fleet) are refused, little else.
            let refused = quire.at[at].refused as f64 / 120.0;
            assert!(
                (0.05..0.3).contains(&refused),
                "at {percent} %: {refused:.2} refused"
            );
            let held = quire.at[at].coverage_nothing_unforeseen.unwrap();
            assert!(
                (0.65..=0.95).contains(&held),
                "at {percent} %: the interval held {held:.2}"
            );
        }
        let overall = quire.at[1].coverage.unwrap();
        assert!(
            (0.6..=0.95).contains(&overall),
            "at 10 %: the interval held {overall:.2}"
        );
    }

    #[test]
    fn the_simulation_is_the_same_for_the_same_seed() {
        let (a, b) = (cartridge(7), cartridge(7));
        assert_eq!(a.levels, b.levels);
        assert_eq!(a.empty_at, b.empty_at);
        assert_ne!(cartridge(8).levels, a.levels);
        // Its true level crosses 30 % before 10 %, and 10 % before empty.
        assert!(a.crossed_at[0] < a.crossed_at[1] && a.crossed_at[1] < a.empty_at);
    }
}
