//! When a supply runs out, from its level history on the current cartridge and the
//! device's usage, with an 80 % interval; or, where the history cannot say, a refusal
//! with its reason.
//!
//! # Method: the device's own recent weeks, replayed
//!
//! Office printing is not a straight line in time: weekdays print, weekends and
//! holidays do not, and one bulk job can print a week's pages in an afternoon. A line
//! through the last two readings (or any least-squares line in time) takes one of those
//! for the rule. This module splits the question in two:
//!
//! 1. **How much is left**, in the unit the device's usage is counted in. With a page
//!    counter ([`ForecastMethod::LevelPerPage`]): the level falls in a straight line
//!    against pages printed, weekends and bulk jobs included (a bulk job is just many
//!    pages on the same line). Its slope is the Theil–Sen estimate (the median of the
//!    slopes between every pair of points, robust to a third of them being wrong) over
//!    the points where the level first reached each new low, and the pages left are the
//!    fitted level now over that slope, the fit kept within the reading's own rounding
//!    (±half a step). Without a usable counter ([`ForecastMethod::LevelHistory`]): the
//!    level itself is what is left, and the usage is the level's own fall.
//! 2. **How long the device takes to use it**: its last whole weeks of usage (up to
//!    [`MAX_REPLAY_WEEKS`], at least one), read on an hourly grid ending at the last
//!    reading, are replayed from the same hour of each of those weeks, wrapping around
//!    whole weeks so weekdays stay weekdays (asked on a Friday evening, the weekend
//!    comes first), until what is left is used. The median of those durations is the
//!    forecast. Weeks unlike the others are left out of it (from three weeks on): under
//!    a quarter of the median week (the office closed) or over twice it (a bulk job).
//! 3. **The interval**: 400 paths of whole weeks drawn at random, with replacement,
//!    from all those weeks, unusual ones included, since they may come again; the 10th
//!    percentile of the paths for the least that can be left (the slope's 80 % interval
//!    after Sen, from Kendall's variance, or the level's rounding, half a step) and the
//!    90th for the most. The draws are seeded, so one history always gets one answer.
//!
//! The interval says how the device's own recent weeks vary; a holiday or a bulk job
//! that is not among them is outside what any history can show, and the evidence below
//! counts it apart.
//!
//! # Evidence
//!
//! `quire-bench forecast` replays 500 simulated cartridges (office weekdays with noise,
//! weekends near zero, one two-week holiday and one bulk job each, hourly readings with
//! misses, whole-percent levels and some devices in 5 % or 10 % steps; see
//! `quire_usage::simulate`) and asks this forecast and the naive extrapolation of the
//! last two readings at the hour the true level crosses 30 % and 10 %. With seed 15
//! the median absolute error is 1.9 days at 30 % left and 0.85 at 10 %, against 11.0
//! and 3.8 for the line through the last two readings of different levels (the line
//! through the last two readings themselves answers only where they differ, one case
//! in ten, and is then 8.0 and 2.8 days off). The 89 read in 10 % steps are refused,
//! and only they. The 80 % interval holds the true date in 79 % (at 30 %) and
//! 82 % (at 10 %) of the cases where neither the holiday nor the bulk job falls
//! between the question and the empty date, and in 60 % and 76 % of all cases. Without
//! the page counter ([`ForecastMethod::LevelHistory`]) the errors are 2.5 and 0.9 days.
//! A unit test (`simulate::tests`) repeats the comparison on 120 cartridges.
//!
//! # Refusals
//!
//! No forecast is better than a wrong one. It refuses ([`RefusalReason`]) when the
//! device gives no level (only ok/low/empty or Printer-MIB -3), when its levels move in
//! steps coarser than [`MAX_STEP_PERCENT`] (a 10 % step is a week of office use), with
//! fewer than [`MIN_DISTINCT_LEVELS`] distinct levels or less than [`MIN_HISTORY_DAYS`]
//! days of history on the cartridge (less than a week cannot tell weekdays from the
//! weekend), when the level has not fallen over the weeks replayed, and when the supply
//! is already empty.

use chrono::{DateTime, Duration, Utc};
#[cfg(test)]
use chrono::{Datelike, Timelike};
use quire_model::{Supply, SupplyState};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::lifecycle::PageSample;

/// The share of outcomes the interval is meant to hold.
pub const CONFIDENCE_PERCENT: u8 = 80;
/// The fewest distinct levels a cartridge must have shown: two falls, so one odd reading
/// is not a trend.
pub const MIN_DISTINCT_LEVELS: usize = 3;
/// The least history on the cartridge, in days: a full week, so the usage replayed has
/// its weekend.
pub const MIN_HISTORY_DAYS: i64 = 7;
/// The coarsest step between the levels a device reports that still gives a forecast: a
/// 5 % step is a few days of office use; a 10 % step is a week or more, as long as a
/// forecast would be wrong by.
pub const MAX_STEP_PERCENT: u8 = 5;
/// The most weeks of usage replayed: two months is recent enough to follow a change of
/// habits and long enough for one holiday to be a minority.
pub const MAX_REPLAY_WEEKS: i64 = 8;
/// Past this, the level falls too slowly for its fall to say anything.
const MAX_HORIZON_DAYS: f64 = 3.0 * 365.0;
/// The normal quantile of a two-sided 80 % interval.
const Z_80: f64 = 1.281_551_565_545;
/// A week using more than this many times the median week is a bulk job's.
const BUSY_WEEK: f64 = 2.0;
/// Paths drawn for the interval: enough for its 10th and 90th percentiles to move by
/// well under an hour between seeds.
const RESAMPLED_PATHS: usize = 400;
/// A fixed seed, so one history always gets one answer.
const RESAMPLING_SEED: u64 = 15;

/// A supply's level at one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LevelSample {
    /// When it was read.
    pub taken_at: DateTime<Utc>,
    /// Its level in percent, where the device gave one.
    pub percent: Option<u8>,
    /// Its level in words.
    pub state: SupplyState,
}

impl LevelSample {
    /// The level of `supply` as read at `taken_at`.
    pub fn of(taken_at: DateTime<Utc>, supply: &Supply) -> Self {
        Self {
            taken_at,
            percent: supply.percent,
            state: supply.state,
        }
    }
}

/// A forecast, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum SupplyForecast {
    /// When it runs out.
    Forecast(Forecast),
    /// Why that cannot be said.
    Refusal(Refusal),
}

/// When a supply runs out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Forecast {
    /// The most likely instant it is empty.
    pub empty_on: DateTime<Utc>,
    /// The interval's start: it is empty before this in one case in ten.
    pub earliest: DateTime<Utc>,
    /// The interval's end: it is empty after this in one case in ten.
    pub latest: DateTime<Utc>,
    /// The share of outcomes the interval is meant to hold, in percent.
    pub confidence_percent: u8,
    /// How it was worked out.
    pub method: ForecastMethod,
    /// The distinct levels of the cartridge it rests on.
    pub based_on_points: usize,
    /// The days of usage replayed.
    pub based_on_days: u32,
    /// The latest level, in percent.
    pub level_percent: u8,
    /// The step between the levels the device reports, in percent.
    pub step_percent: u8,
}

/// How a forecast was worked out (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ForecastMethod {
    /// Pages left from the level's robust slope against pages, then the device's recent
    /// weeks of pages replayed.
    LevelPerPage,
    /// The level left, then the cartridge's recent weeks of level replayed, where no
    /// page counter could be used.
    LevelHistory,
}

/// Why there is no forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Refusal {
    /// The reason, typed.
    pub reason: RefusalReason,
    /// The reason in words, for a dealer.
    pub message: String,
}

impl From<RefusalReason> for Refusal {
    fn from(reason: RefusalReason) -> Self {
        Self {
            message: reason.to_string(),
            reason,
        }
    }
}

/// Why the history cannot say when a supply runs out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RefusalReason {
    /// No reading of this cartridge at or before the instant asked.
    NoReadings,
    /// The device reports the level only in words (ok, low, empty, or Printer-MIB -3
    /// "some remaining").
    LevelNotReported {
        /// What it last said.
        state: SupplyState,
    },
    /// It is empty already.
    AlreadyEmpty {
        /// The first reading that found it empty.
        since: DateTime<Utc>,
    },
    /// The device reports levels in steps too coarse to extrapolate.
    StepsTooCoarse {
        /// The step, in percent.
        step_percent: u8,
    },
    /// Too few distinct levels yet.
    TooFewLevels {
        /// How many it has shown.
        distinct: usize,
        /// How many are needed.
        needed: usize,
    },
    /// Too short a history on this cartridge yet.
    TooShort {
        /// Whole days of history.
        days: u32,
        /// Days needed.
        needed: u32,
    },
    /// The level has not fallen (enough) over the weeks replayed.
    NotFalling {
        /// The days looked at.
        days: u32,
    },
}

impl std::fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoReadings => f.write_str("no reading of this cartridge yet"),
            Self::LevelNotReported { state } => write!(
                f,
                "the device reports this supply's level only in words ({}), not in percent",
                state_words(*state)
            ),
            Self::AlreadyEmpty { since } => {
                write!(
                    f,
                    "already empty since {}",
                    since.format("%Y-%m-%d %H:%M UTC")
                )
            }
            Self::StepsTooCoarse { step_percent } => write!(
                f,
                "the device reports the level in steps of {step_percent} %, too coarse to \
                 forecast (at most {MAX_STEP_PERCENT} %)"
            ),
            Self::TooFewLevels { distinct, needed } => write!(
                f,
                "the cartridge has shown {distinct} distinct level(s), {needed} are needed"
            ),
            Self::TooShort { days, needed } => write!(
                f,
                "the cartridge has {days} day(s) of history, {needed} are needed"
            ),
            Self::NotFalling { days } => write!(
                f,
                "the level has not fallen enough over the last {days} days to forecast"
            ),
        }
    }
}

fn state_words(state: SupplyState) -> &'static str {
    match state {
        SupplyState::Ok => "ok",
        SupplyState::Low => "low",
        SupplyState::Empty => "empty",
        SupplyState::SomeRemaining => "some remaining",
        SupplyState::Unknown => "unknown",
    }
}

/// When the supply whose current cartridge read `levels` runs out (its samples from the
/// last [`crate::Cartridge::since`] of its [`crate::PositionHistory`] on), given the
/// device's cumulative page series `usage` where there is one (already corrected; the
/// counter that measures this supply, see [`crate::SupplyPosition::counter`]). Only
/// samples at or before `now` are used, so a history can be replayed as it was known.
pub fn forecast(
    levels: &[LevelSample],
    usage: Option<&[PageSample]>,
    now: DateTime<Utc>,
) -> SupplyForecast {
    match try_forecast(levels, usage, now) {
        Ok(forecast) => SupplyForecast::Forecast(forecast),
        Err(reason) => SupplyForecast::Refusal(reason.into()),
    }
}

fn try_forecast(
    levels: &[LevelSample],
    usage: Option<&[PageSample]>,
    now: DateTime<Utc>,
) -> Result<Forecast, RefusalReason> {
    let mut samples: Vec<LevelSample> = levels
        .iter()
        .filter(|s| s.taken_at <= now)
        .copied()
        .collect();
    samples.sort_by_key(|s| s.taken_at);
    let last = samples.last().ok_or(RefusalReason::NoReadings)?;
    let known: Vec<(DateTime<Utc>, u8)> = samples
        .iter()
        .filter_map(|s| Some((s.taken_at, s.percent?)))
        .collect();
    let Some(&(anchor, level)) = known.last() else {
        return Err(RefusalReason::LevelNotReported { state: last.state });
    };
    if last.state == SupplyState::Empty || level == 0 {
        let since = samples
            .iter()
            .find(|s| s.state == SupplyState::Empty || s.percent == Some(0))
            .map_or(anchor, |s| s.taken_at);
        return Err(RefusalReason::AlreadyEmpty { since });
    }

    let mut distinct: Vec<u8> = known.iter().map(|&(_, p)| p).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Err(too_few(distinct.len()));
    }
    let step = distinct.windows(2).fold(0, |g, w| gcd(g, w[1] - w[0]));
    if step > MAX_STEP_PERCENT {
        return Err(RefusalReason::StepsTooCoarse { step_percent: step });
    }
    if distinct.len() < MIN_DISTINCT_LEVELS {
        return Err(too_few(distinct.len()));
    }
    let history = anchor - known[0].0;
    if history < Duration::days(MIN_HISTORY_DAYS) {
        return Err(RefusalReason::TooShort {
            days: u32::try_from(history.num_days()).unwrap_or(0),
            needed: MIN_HISTORY_DAYS as u32,
        });
    }

    // The level's own fall: cumulative points used, from the running minimum, so a
    // gauge that wanders back up uses nothing.
    let mut lowest = known[0].1;
    let mut used: Vec<(DateTime<Utc>, f64)> = Vec::with_capacity(known.len());
    let mut lows: Vec<(DateTime<Utc>, u8)> = Vec::new();
    for &(at, percent) in &known {
        if percent < lowest {
            lowest = percent;
            lows.push((at, percent));
        }
        used.push((at, f64::from(known[0].1 - lowest)));
    }
    let level_weeks = (history.num_hours() / (24 * 7)).min(MAX_REPLAY_WEEKS);
    let level_fell =
        interpolate(&used, anchor) - interpolate(&used, anchor - Duration::weeks(level_weeks));
    if level_fell <= 0.0 {
        return Err(RefusalReason::NotFalling {
            days: (level_weeks * 7) as u32,
        });
    }

    let half_step = f64::from(step) / 2.0;
    let level_f = f64::from(level);
    let (method, replay, left) =
        match usage.and_then(|u| per_page(u, &lows, anchor, level_f, half_step)) {
            Some((replay, left)) => (ForecastMethod::LevelPerPage, replay, left),
            None => (
                ForecastMethod::LevelHistory,
                Replay::new(&used, anchor, level_weeks),
                Left {
                    likely: level_f,
                    least: (level_f - half_step).max(0.0),
                    most: level_f + half_step,
                },
            ),
        };
    let likely = quantile(&replay.usual_weeks().durations(left.likely), 0.5);
    let earliest = quantile(&replay.resampled(left.least), 0.1);
    let latest = quantile(&replay.resampled(left.most), 0.9);
    if likely > MAX_HORIZON_DAYS * 24.0 {
        return Err(RefusalReason::NotFalling {
            days: (replay.weeks * 7) as u32,
        });
    }
    let at = |h: f64| {
        anchor + Duration::seconds((h.min(MAX_HORIZON_DAYS * 24.0) * 3600.0).round() as i64)
    };
    Ok(Forecast {
        empty_on: at(likely),
        earliest: at(earliest.min(likely)),
        latest: at(latest.max(likely)),
        confidence_percent: CONFIDENCE_PERCENT,
        method,
        based_on_points: distinct.len(),
        based_on_days: (replay.weeks * 7) as u32,
        level_percent: level,
        step_percent: step,
    })
}

fn too_few(distinct: usize) -> RefusalReason {
    RefusalReason::TooFewLevels {
        distinct,
        needed: MIN_DISTINCT_LEVELS,
    }
}

fn gcd(a: u8, b: u8) -> u8 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// What is left, in the replay's unit: the likeliest, and the least and most it can be.
struct Left {
    likely: f64,
    least: f64,
    most: f64,
}

/// The level-per-page estimate of the pages left and the device's pages to replay, or
/// `None` where the page series cannot carry it (too short, flat, not covering the
/// cartridge's lows).
fn per_page(
    usage: &[PageSample],
    lows: &[(DateTime<Utc>, u8)],
    anchor: DateTime<Utc>,
    level: f64,
    half_step: f64,
) -> Option<(Replay, Left)> {
    let mut series: Vec<(DateTime<Utc>, f64)> = usage
        .iter()
        .filter(|s| s.taken_at <= anchor)
        .map(|s| (s.taken_at, s.pages as f64))
        .collect();
    series.sort_by_key(|s| s.0);
    let (first, last) = (series.first()?.0, series.last()?.0);
    if last < anchor - Duration::days(1) {
        return None;
    }
    let weeks = ((anchor - first).num_hours() / (24 * 7)).min(MAX_REPLAY_WEEKS);
    if weeks < 1 {
        return None;
    }
    let points: Vec<(f64, f64)> = lows
        .iter()
        .filter(|(at, _)| *at >= first)
        .map(|&(at, percent)| (interpolate(&series, at), f64::from(percent)))
        .collect();
    let fit = theil_sen(&points)?;
    // Points are where the level first showed a new low: with levels rounded to the
    // step, the true level there is half a step above what is shown.
    let fitted = fit.intercept + half_step - fit.per_page * interpolate(&series, anchor);
    let now = fitted.clamp((level - half_step).max(0.0), level + half_step);
    let replay = Replay::new(&series, anchor, weeks);
    (replay.total > 0.0).then(|| {
        (
            replay,
            Left {
                likely: now / fit.per_page,
                least: now / fit.per_page_high,
                most: now / fit.per_page_low,
            },
        )
    })
}

/// A robust line: level = intercept − per_page × pages.
struct Fit {
    intercept: f64,
    per_page: f64,
    per_page_low: f64,
    per_page_high: f64,
}

/// Theil–Sen over `(pages, level)`, with Sen's 80 % interval on the slope (from the
/// ranks of the pairwise slopes, Kendall's variance). `None` where fewer than two points
/// differ in pages or the level does not fall against pages.
fn theil_sen(points: &[(f64, f64)]) -> Option<Fit> {
    let mut slopes: Vec<f64> = Vec::new();
    for (i, &(x1, y1)) in points.iter().enumerate() {
        for &(x2, y2) in &points[i + 1..] {
            if x2 > x1 {
                slopes.push((y1 - y2) / (x2 - x1));
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    let per_page = quantile_of(&mut slopes, 0.5);
    if per_page <= 0.0 {
        return None;
    }
    let n = points.len() as f64;
    let spread = Z_80 * (n * (n - 1.0) * (2.0 * n + 5.0) / 18.0).sqrt();
    let count = slopes.len() as f64;
    let mut rank = |r: f64| order_statistic(&mut slopes, r.clamp(0.0, count - 1.0) as usize);
    let per_page_low = rank(((count - spread) / 2.0).floor()).clamp(f64::MIN_POSITIVE, per_page);
    let per_page_high = rank(((count + spread) / 2.0).ceil()).max(per_page);
    let mut intercepts: Vec<f64> = points.iter().map(|&(x, y)| y + per_page * x).collect();
    Some(Fit {
        intercept: quantile_of(&mut intercepts, 0.5),
        per_page,
        per_page_low,
        per_page_high,
    })
}

/// The last whole weeks of a cumulative usage series, on an hourly grid ending at the
/// anchor, replayed from each week at the anchor's hour of the week.
#[derive(Clone)]
struct Replay {
    /// Usage at each hour, `weeks × 168 + 1` values.
    grid: Vec<f64>,
    /// Usage over the whole grid.
    total: f64,
    weeks: i64,
}

impl Replay {
    /// The grid is read in one walk along the series: a search per hour was most of a
    /// forecast's time.
    fn new(series: &[(DateTime<Utc>, f64)], anchor: DateTime<Utc>, weeks: i64) -> Self {
        // In microseconds, the store's precision: chrono's arithmetic per hour of the
        // grid was most of what was left of a forecast's time.
        let times: Vec<i64> = series.iter().map(|s| s.0.timestamp_micros()).collect();
        let start = (anchor - Duration::weeks(weeks)).timestamp_micros();
        let mut after = times.partition_point(|&t| t <= start);
        let grid: Vec<f64> = (0..=weeks * 168)
            .map(|h| {
                let at = start + h * MICROS_PER_HOUR;
                while times.get(after).is_some_and(|&t| t <= at) {
                    after += 1;
                }
                let before = after.checked_sub(1).map(|i| (times[i], series[i].1));
                let next = times.get(after).map(|&t| (t, series[after].1));
                between(before, next, at)
            })
            .collect();
        let total = grid.last().copied().unwrap_or(0.0) - grid.first().copied().unwrap_or(0.0);
        Self { grid, total, weeks }
    }

    /// Hours to use `left`, from each week of the grid at the anchor's hour of the week
    /// (so a Friday evening replays weekends first), the grid wrapping around after its
    /// last hour.
    fn durations(&self, left: f64) -> Vec<f64> {
        let span = self.grid.len() - 1;
        let cycles = (left / self.total).floor();
        let rest = left - cycles * self.total;
        let at = |start: usize, k: usize| -> f64 {
            let j = start + k;
            if j <= span {
                self.grid[j] - self.grid[start]
            } else {
                self.total + self.grid[j - span] - self.grid[start]
            }
        };
        (0..span)
            .step_by(168)
            .map(|start| {
                // The first hour whose usage from `start` reaches `rest`, by bisection
                // (usage never falls), then linear within the hour.
                let (mut lo, mut hi) = (0, span);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if at(start, mid) >= rest {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                let within = if lo == 0 {
                    0.0
                } else {
                    let (before, after) = (at(start, lo - 1), at(start, lo));
                    (lo - 1) as f64 + (rest - before) / (after - before)
                };
                cycles * span as f64 + within
            })
            .collect()
    }
}

impl Replay {
    /// The same replay without the weeks unlike the others: a week with less than a
    /// quarter of the median week's usage (the office closed) or more than
    /// [`BUSY_WEEK`] times it (a bulk job). They say nothing about the usual weeks
    /// ahead; whether one comes again is the interval's business, which keeps them.
    /// With fewer than three weeks there is no telling what is usual, and all stay.
    fn usual_weeks(&self) -> Replay {
        let weeks = usize::try_from(self.weeks).unwrap_or(0);
        let used: Vec<f64> = (0..weeks)
            .map(|w| self.grid[(w + 1) * 168] - self.grid[w * 168])
            .collect();
        let median = quantile(&used, 0.5);
        let usual = |u: f64| u >= median / 4.0 && u <= median * BUSY_WEEK;
        if weeks < 3 || used.iter().all(|&u| usual(u)) {
            return self.clone();
        }
        let mut grid = vec![0.0];
        for (w, _) in used.iter().enumerate().filter(|(_, u)| usual(**u)) {
            let base = grid.last().copied().unwrap_or(0.0) - self.grid[w * 168];
            grid.extend(
                self.grid[w * 168 + 1..=(w + 1) * 168]
                    .iter()
                    .map(|v| v + base),
            );
        }
        let kept = (grid.len() - 1) / 168;
        Replay {
            total: grid.last().copied().unwrap_or(0.0),
            grid,
            weeks: kept as i64,
        }
    }

    /// Hours to use `left` from the anchor, over weeks drawn at random (with
    /// replacement) from the grid's, [`RESAMPLED_PATHS`] times: how much a few weeks
    /// vary from one another, which replaying them in their order averages away.
    fn resampled(&self, left: f64) -> Vec<f64> {
        let weeks = usize::try_from(self.weeks).unwrap_or(1).max(1);
        let week = |w: usize| &self.grid[w * 168..=(w + 1) * 168];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(RESAMPLING_SEED);
        let limit = MAX_HORIZON_DAYS * 24.0;
        (0..RESAMPLED_PATHS)
            .map(|_| {
                let mut rest = left;
                let mut hours = 0.0;
                while hours < limit {
                    let block = week(rng.random_range(0..weeks));
                    let used = block[168] - block[0];
                    if used < rest {
                        rest -= used;
                        hours += 168.0;
                        continue;
                    }
                    let k = block.partition_point(|v| v - block[0] < rest);
                    if k == 0 {
                        break;
                    }
                    let (before, after) = (block[k - 1] - block[0], block[k] - block[0]);
                    hours += (k - 1) as f64 + (rest - before) / (after - before);
                    break;
                }
                hours
            })
            .collect()
    }
}

/// The series' value at `at`, linear between samples and held beyond its ends.
fn interpolate(series: &[(DateTime<Utc>, f64)], at: DateTime<Utc>) -> f64 {
    interpolate_from(series, series.partition_point(|s| s.0 <= at), at)
}

/// [`interpolate`] where `after` is the first sample past `at`.
fn interpolate_from(series: &[(DateTime<Utc>, f64)], after: usize, at: DateTime<Utc>) -> f64 {
    let micros = |(t, v): (DateTime<Utc>, f64)| (t.timestamp_micros(), v);
    between(
        after.checked_sub(1).map(|i| micros(series[i])),
        series.get(after).copied().map(micros),
        at.timestamp_micros(),
    )
}

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// The value at `at` between the samples `before` and `next` (times in microseconds),
/// linear in whole seconds between them and held beyond either where the other is
/// missing.
fn between(before: Option<(i64, f64)>, next: Option<(i64, f64)>, at: i64) -> f64 {
    match (before, next) {
        (Some((t0, v0)), Some((t1, v1))) => {
            let seconds = |micros: i64| (micros / 1_000_000) as f64;
            v0 + (v1 - v0) * (seconds(at - t0) / seconds(t1 - t0))
        }
        (Some((_, v)), None) | (None, Some((_, v))) => v,
        (None, None) => 0.0,
    }
}

fn quantile(values: &[f64], q: f64) -> f64 {
    quantile_of(&mut values.to_vec(), q)
}

/// The `q` quantile of `values`, linear between order statistics, found by selection
/// rather than a sort (which leaves `values` reordered): Theil–Sen's slopes number in
/// the thousands for a cartridge's life, and sorting them was a tenth of a forecast.
fn quantile_of(values: &mut [f64], q: f64) -> f64 {
    let position = q * (values.len() - 1) as f64;
    let below = position.floor() as usize;
    let (_, &mut low, rest) = values.select_nth_unstable_by(below, f64::total_cmp);
    if position == below as f64 {
        return low;
    }
    let high = rest.iter().copied().min_by(f64::total_cmp).unwrap_or(low);
    low + (high - low) * (position - below as f64)
}

/// The `rank`th smallest of `values` (from 0), by selection.
fn order_statistic(values: &mut [f64], rank: usize) -> f64 {
    *values.select_nth_unstable_by(rank, f64::total_cmp).1
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// Noon on a day counted from Monday 3 March 2025.
    fn day(n: f64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap()
            + Duration::seconds((n * 86_400.0) as i64)
    }

    fn at(d: i64, percent: Option<u8>, state: SupplyState) -> LevelSample {
        LevelSample {
            taken_at: day(d as f64),
            percent,
            state,
        }
    }

    fn level(d: i64, percent: u8) -> LevelSample {
        let state = if percent == 0 {
            SupplyState::Empty
        } else {
            SupplyState::Ok
        };
        at(d, Some(percent), state)
    }

    fn refusal(levels: &[LevelSample]) -> RefusalReason {
        match forecast(levels, None, day(1_000.0)) {
            SupplyForecast::Refusal(refusal) => {
                assert_eq!(refusal.message, refusal.reason.to_string());
                refusal.reason
            }
            SupplyForecast::Forecast(f) => panic!("forecast where a refusal was due: {f:?}"),
        }
    }

    #[test]
    fn each_refusal_reason() {
        use RefusalReason::*;
        let flat_after_a_fall: Vec<LevelSample> = [(0, 60), (1, 55), (2, 50)]
            .into_iter()
            .chain((3..=20).map(|d| (d, 50)))
            .map(|(d, p)| level(d, p))
            .collect();
        let cases: Vec<(&str, Vec<LevelSample>, RefusalReason)> = vec![
            ("no reading", vec![], NoReadings),
            (
                "only words, the last -3",
                vec![
                    at(0, None, SupplyState::Ok),
                    at(9, None, SupplyState::SomeRemaining),
                ],
                LevelNotReported {
                    state: SupplyState::SomeRemaining,
                },
            ),
            (
                "empty since the first reading at 0 %",
                vec![level(0, 40), level(5, 0), level(6, 0)],
                AlreadyEmpty { since: day(5.0) },
            ),
            (
                "a state of empty after the last level",
                vec![level(0, 40), level(5, 2), at(6, None, SupplyState::Empty)],
                AlreadyEmpty { since: day(6.0) },
            ),
            (
                "10 % steps",
                vec![level(0, 100), level(5, 90), level(10, 80)],
                StepsTooCoarse { step_percent: 10 },
            ),
            (
                "20 % steps, two levels are enough to tell",
                vec![level(0, 100), level(9, 80)],
                StepsTooCoarse { step_percent: 20 },
            ),
            (
                "one level",
                vec![level(0, 50), level(10, 50)],
                TooFewLevels {
                    distinct: 1,
                    needed: 3,
                },
            ),
            (
                "two levels",
                vec![level(0, 50), level(10, 49)],
                TooFewLevels {
                    distinct: 2,
                    needed: 3,
                },
            ),
            (
                "three levels in three days",
                vec![level(0, 50), level(1, 49), level(3, 48)],
                TooShort { days: 3, needed: 7 },
            ),
            // 20 days of history replay the last 2 whole weeks (days 6 to 20), all at 50 %.
            (
                "flat for the last two weeks",
                flat_after_a_fall,
                NotFalling { days: 14 },
            ),
            (
                "rising",
                vec![level(0, 40), level(4, 41), level(8, 42)],
                NotFalling { days: 7 },
            ),
        ];
        for (what, levels, expected) in cases {
            assert_eq!(refusal(&levels), expected, "{what}");
        }
    }

    #[test]
    fn refusals_say_why_in_words() {
        assert_eq!(
            RefusalReason::StepsTooCoarse { step_percent: 10 }.to_string(),
            "the device reports the level in steps of 10 %, too coarse to forecast (at most 5 %)"
        );
        assert_eq!(
            RefusalReason::LevelNotReported {
                state: SupplyState::SomeRemaining
            }
            .to_string(),
            "the device reports this supply's level only in words (some remaining), not in percent"
        );
        let json = serde_json::to_value(SupplyForecast::Refusal(
            RefusalReason::TooShort { days: 3, needed: 7 }.into(),
        ))
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "outcome": "refusal",
                "reason": {"kind": "too-short", "days": 3, "needed": 7},
                "message": "the cartridge has 3 day(s) of history, 7 are needed",
            })
        );
    }

    /// A cartridge falling one point a day, every day, read daily at noon: 100 % on
    /// day 0 to 70 % on day 30.
    fn steady() -> Vec<LevelSample> {
        (0..=30).map(|d| level(d, 100 - d as u8)).collect()
    }

    #[test]
    fn a_steady_fall_from_the_level_alone() {
        // 70 points left at one a day: empty 70 days after day 30. Whole-percent levels
        // are ±half a point, so 69.5 to 70.5 days; every week replayed is alike.
        let SupplyForecast::Forecast(f) = forecast(&steady(), None, day(30.5)) else {
            panic!("no forecast")
        };
        assert_eq!(
            f,
            Forecast {
                empty_on: day(100.0),
                earliest: day(99.5),
                latest: day(100.5),
                confidence_percent: 80,
                method: ForecastMethod::LevelHistory,
                based_on_points: 31,
                based_on_days: 28,
                level_percent: 70,
                step_percent: 1,
            }
        );
    }

    #[test]
    fn a_steady_fall_against_pages() {
        // 100 pages a day from day -30 (counter 0), one point per 100 pages. The first
        // reading of each new low is taken as half a point above it, so the line is
        // level = 130.5 − pages / 100, at 6,000 pages on day 30: 70.5 points, 7,050
        // pages, 70.5 days. The slope is exact, so the interval is the point.
        let pages: Vec<PageSample> = (-30..=30)
            .map(|d| PageSample {
                taken_at: day(d as f64),
                pages: ((d + 30) * 100) as u64,
            })
            .collect();
        let SupplyForecast::Forecast(f) = forecast(&steady(), Some(&pages), day(30.0)) else {
            panic!("no forecast")
        };
        assert_eq!(f.method, ForecastMethod::LevelPerPage);
        assert_eq!(
            (f.empty_on, f.earliest, f.latest),
            (day(100.5), day(100.5), day(100.5))
        );
        assert_eq!(f.based_on_days, 56, "eight weeks of the device's pages");
    }

    #[test]
    fn weekends_and_a_bulk_job_do_not_bend_the_forecast() {
        // 10 pages an hour from 08:00 to 18:00 on weekdays (100 a day, 500 a week), none
        // at weekends, one point per 48.5 pages (4,850 in the cartridge); read hourly
        // from Monday 3 March 00:00 at 100 %. On Wednesday 19 March at 14:00 a bulk job
        // prints 1,000 pages (20 points) more.
        let bulk = Utc.with_ymd_and_hms(2025, 3, 19, 14, 0, 0).unwrap();
        let mut levels = Vec::new();
        let mut pages = Vec::new();
        let (mut counter, mut hour) = (0.0_f64, Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).unwrap());
        while hour <= day(35.0) {
            if hour.weekday().num_days_from_monday() < 5 && (8..18).contains(&hour.hour()) {
                counter += 10.0;
            }
            if hour == bulk {
                counter += 1_000.0;
            }
            pages.push(PageSample {
                taken_at: hour,
                pages: counter as u64,
            });
            levels.push(LevelSample {
                taken_at: hour,
                percent: Some((100.0 - counter / 48.5).round() as u8),
                state: SupplyState::Ok,
            });
            hour += Duration::hours(1);
        }
        // Asked on Monday 7 April (day 35) at noon: 5 weeks × 500 + 1,000 + 50 this
        // morning = 3,550 pages printed, 1,300 left: 50 this afternoon, 400 to Friday,
        // 500 the week after, 300 Monday to Wednesday, 50 on Thursday morning: empty on
        // Thursday 24 April at noon, day 52.
        let SupplyForecast::Forecast(f) = forecast(&levels, Some(&pages), day(35.0)) else {
            panic!("no forecast")
        };
        let error_hours = (f.empty_on - day(52.0)).num_minutes().abs() as f64 / 60.0;
        assert!(
            error_hours < 3.0,
            "forecast {} is {error_hours:.1} h off",
            f.empty_on
        );
        assert!(f.earliest <= day(52.0) && day(52.0) <= f.latest, "{f:?}");
    }
}
