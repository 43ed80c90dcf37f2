//! Pages printed, from the page counters of one device's readings.
//!
//! Dealers bill by the page, but a device reports meters, not pages: the pages
//! between two readings are the difference of a counter, and that difference
//! lies whenever the counter did not simply go up. Each way it can lie is told
//! apart here and recorded as a [`PageEvent`] with its evidence (the counter, its
//! value, time and reading before and after), so a dealer can check what was
//! billed:
//!
//! - **32-bit rollover.** SNMP meters such as `prtMarkerLifeCount` (RFC 3805) are
//!   `Counter32`, which RFC 2578 section 7.1.6 defines as increasing "until it
//!   reaches a maximum value of 2^32-1 (4294967295 decimal), when it wraps around
//!   and starts increasing again from zero". A drop from below 2^32 counts
//!   `2^32 - before + after` pages when that many could have been printed in the
//!   time between ([`PageEventKind::Rollover`]); no other test of "near 2^32" is
//!   needed, since a plausible wrapped count only exists near the top.
//! - **Reset of one counter.** The counter starts again from zero, so the pages
//!   since are its new value, counted when plausible for the time between, else
//!   nothing is counted and the event says so ([`PageEventKind::Reset`]).
//! - **Controller-board swap.** A new board brings new meters: when at least two
//!   counters and more than half of those the reading shares with earlier ones
//!   drop in the same reading, that is one [`PageEventKind::BoardSwap`] for the
//!   device, and each dropped counter's new value counts as above.
//! - **A counter missing for a while.** The difference spans the readings that
//!   lacked it, so nothing is lost or counted twice; when such an interval is
//!   longer than [`PageRules::long_gap`] it is a [`PageEventKind::Gap`], because
//!   the pages per day over it are spread evenly rather than known.
//! - **A device read twice in a minute**, or at the same instant. Each interval
//!   is counted once, and elapsed time shorter than [`PageRules::repeat_window`]
//!   counts as that window, so nothing divides by zero and clock granularity never
//!   makes honest pages implausible. A lower value within the window is a stale
//!   or duplicated answer, not a reset: it is set aside ([`PageEventKind::StaleRead`])
//!   and the next reading is compared with the one before it.
//! - **An implausible jump** up, more than the fastest printer could print in the
//!   time between: nothing is counted ([`PageEventKind::Implausible`]) and the new
//!   value becomes the base. If the counter later comes back to where it was
//!   before the jump, the jump was a glitch and the pages since the value before
//!   it are counted then ([`PageEventKind::JumpReverted`]).
//!
//! **Plausibility.** The fastest cut-sheet production printers print about 300
//! pages a minute: Xerox's twin-engine Nuvera prints 288 sides a minute
//! (<http://www.tcpblogal.com/news/twin-engine-parallel-printing-%e2%80%93-xerox-sees-double/>).
//! [`DEFAULT_MAX_PAGES_PER_MINUTE`] allows three times that, so no real device is
//! ever judged implausible, while a counter that jumped by millions in an hour
//! still is. Continuous-feed presses are faster; a dealer monitoring one raises
//! [`PageRules::max_pages_per_minute`].
//!
//! **Pages per day** ([`daily_pages`]) spread each interval's pages over the
//! calendar days it spans in the dealer's time zone, in proportion to time (a
//! 23-hour DST day gets 23 hours' share), rounded by largest remainder so the days
//! sum exactly to the interval. A day no interval covers is absent rather than
//! zero, so a chart tells "no data" from "no printing".
//!
//! **Billing periods** ([`billing_period`]) give the meter-read export row per
//! counter: the start and end readings and the pages between them as the sum of
//! the corrected intervals, which differs from `end - start` whenever an event
//! happened in the period.
//!
//! **Cost.** With S samples of K counters each, N counter names, I intervals and
//! D days spanned: [`device_pages`] is O(S·K + N) after an O(S log S) sort that
//! only runs when the samples are out of order, and allocates per counter and per
//! event, never per sample; [`daily_pages`] is O(I + D) plus one time-zone search
//! per day; [`billing_period`] is O(N·(log I + E)) for E events plus the
//! intervals it sums.

use std::sync::Arc;

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

/// A `Counter32` wraps at 2^32 (RFC 2578 section 7.1.6).
pub const COUNTER32_MODULUS: u64 = 1 << 32;

/// The fastest cut-sheet production printers' rate (Xerox's twin-engine Nuvera:
/// 288 sides a minute), the figure the default plausibility is built on.
pub const FASTEST_PRINTER_PAGES_PER_MINUTE: u64 = 288;

/// About three times [`FASTEST_PRINTER_PAGES_PER_MINUTE`]: generous enough that a
/// real device is never judged implausible.
pub const DEFAULT_MAX_PAGES_PER_MINUTE: u64 = 1_000;

/// One reading of the device as the page arithmetic needs it; it borrows the
/// reading's counters, so the store hands over what it already parsed.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// The reading's row id, quoted in events as evidence.
    pub reading_id: i64,
    /// When the device was read.
    pub taken_at: DateTime<Utc>,
    /// Page counters by name (`total`, `print.mono`, …), sorted by name, each once.
    /// A pair each rather than a map: the hourly recompute reads a device's whole
    /// history, and a map per sample (a node and a string per counter) was a fifth of
    /// its reading's time, most of it the kernel zeroing the pages they took.
    pub counters: &'a [(Arc<str>, u64)],
}

/// The thresholds the page arithmetic judges counters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRules {
    /// More pages than this per minute between two readings are implausible.
    pub max_pages_per_minute: u64,
    /// A counter absent from readings for longer than this is reported as a gap.
    pub long_gap: TimeDelta,
    /// Two readings closer than this are the same moment to the arithmetic: the
    /// shortest time judged for plausibility, and the window in which a lower
    /// value is a stale answer rather than a reset.
    pub repeat_window: TimeDelta,
}

impl Default for PageRules {
    fn default() -> Self {
        PageRules {
            max_pages_per_minute: DEFAULT_MAX_PAGES_PER_MINUTE,
            long_gap: TimeDelta::days(2),
            repeat_window: TimeDelta::minutes(1),
        }
    }
}

impl PageRules {
    /// The most pages any device could have printed in `elapsed` (never less than
    /// one [`PageRules::repeat_window`]'s worth), rounded up.
    pub fn plausible_pages(&self, elapsed: TimeDelta) -> u64 {
        let millis = elapsed
            .num_milliseconds()
            .max(self.repeat_window.num_milliseconds())
            .max(1) as u128;
        match u64::try_from(millis)
            .ok()
            .and_then(|millis| millis.checked_mul(self.max_pages_per_minute))
        {
            Some(product) => product.div_ceil(60_000),
            None => {
                let pages = (u128::from(self.max_pages_per_minute) * millis).div_ceil(60_000);
                u64::try_from(pages).unwrap_or(u64::MAX)
            }
        }
    }
}

/// A counter's value in one reading: the evidence an event or a meter read quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CounterPoint {
    /// The reading's row id.
    pub reading_id: i64,
    /// When the device was read.
    pub taken_at: DateTime<Utc>,
    /// The counter's value then.
    pub value: u64,
}

/// The pages one counter moved between two consecutive readings that have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Interval {
    /// Where the interval starts.
    pub before: CounterPoint,
    /// Where it ends.
    pub after: CounterPoint,
    /// The pages printed in between, corrected for rollovers and resets; `None`
    /// when they cannot be told (more than any device could print), which the
    /// events explain.
    pub pages: Option<u64>,
}

/// One counter's history: where it was first seen and each interval since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CounterSeries {
    /// The counter's name (`total`, `print.color`, …).
    pub counter: String,
    /// Its first value, so a counter read only once still has a meter read.
    pub first: CounterPoint,
    /// Consecutive intervals in time order; each starts where the previous ended.
    pub intervals: Vec<Interval>,
}

impl CounterSeries {
    /// The counter's latest value.
    pub fn last(&self) -> CounterPoint {
        self.intervals
            .last()
            .map_or(self.first, |interval| interval.after)
    }

    fn point_count(&self) -> usize {
        self.intervals.len() + 1
    }

    fn point(&self, index: usize) -> CounterPoint {
        match index {
            0 => self.first,
            _ => self.intervals[index - 1].after,
        }
    }

    /// How many points satisfy `pred`, which holds for a prefix of them.
    fn partition_point(&self, pred: impl Fn(&CounterPoint) -> bool) -> usize {
        let (mut low, mut high) = (0, self.point_count());
        while low < high {
            let mid = low + (high - low) / 2;
            if pred(&self.point(mid)) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }
}

/// What happened to the counters that a plain difference would have got wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PageEventKind {
    /// A 32-bit counter wrapped past 2^32; the wrapped pages were counted.
    Rollover,
    /// One counter dropped; its new value was counted when plausible.
    Reset,
    /// Most counters dropped in the same reading: a new controller board.
    BoardSwap,
    /// The counter rose by more than any device could print; nothing was counted.
    Implausible,
    /// The counter came back after an implausible jump; the pages since the
    /// value before the jump were counted.
    JumpReverted,
    /// A lower value within the repeat window: a stale or duplicated answer, set
    /// aside; its pages show in the next interval.
    StaleRead,
    /// The counter was missing from readings over a long interval; its pages
    /// were counted across it, but how they fall on days is an estimate.
    Gap,
}

/// One counter's part in an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CounterChange {
    /// The counter's name.
    pub counter: String,
    /// Its value before.
    pub before: CounterPoint,
    /// Its value in the reading that shows the event.
    pub after: CounterPoint,
    /// The pages counted for this change; `None` when none could be.
    pub pages: Option<u64>,
    /// Readings of the device in between that did not have this counter.
    pub missed_readings: u32,
}

/// Something the counters did that a dealer should be able to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PageEvent {
    /// What happened.
    pub kind: PageEventKind,
    /// The reading that shows it.
    pub reading_id: i64,
    /// When that reading was taken.
    pub taken_at: DateTime<Utc>,
    /// The evidence: one change per counter, several for a board swap.
    pub changes: Vec<CounterChange>,
}

/// Everything the counters of one device say about pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DevicePages {
    /// The device's id, carried into meter reads.
    pub device: i64,
    /// One series per counter name, by name.
    pub counters: Vec<CounterSeries>,
    /// Events in reading order.
    pub events: Vec<PageEvent>,
}

/// How one counter moved from its last point to a new value.
#[derive(Debug, Clone, Copy)]
enum Move {
    Rise(u64),
    Implausible,
    Rollover(u64),
    Reverted(u64),
    Stale,
    Drop(Option<u64>),
}

/// One counter of the reading being walked: which, its new point, and how it moved
/// (`None` when this is its first).
#[derive(Debug, Clone, Copy)]
struct Judged {
    index: usize,
    point: CounterPoint,
    judged: Option<(CounterPoint, Move)>,
}

/// The value a counter had before an implausible jump, in case it comes back.
#[derive(Debug, Clone, Copy)]
struct Glitch {
    base: CounterPoint,
    counted_since: u64,
}

/// Where one counter stands while the readings are walked.
#[derive(Debug, Clone, Copy, Default)]
struct Track {
    last: Option<CounterPoint>,
    last_position: usize,
    stale_since: u32,
    glitch: Option<Glitch>,
}

impl Track {
    /// How the counter moved since its last point; `None` for its first.
    fn judge(&self, point: CounterPoint, rules: &PageRules) -> Option<(CounterPoint, Move)> {
        let last = self.last?;
        Some((last, self.judge_from(last, point, rules)))
    }

    fn judge_from(&self, last: CounterPoint, point: CounterPoint, rules: &PageRules) -> Move {
        let elapsed = point.taken_at - last.taken_at;
        let allowed = rules.plausible_pages(elapsed);
        if point.value >= last.value {
            let rise = point.value - last.value;
            return if rise <= allowed {
                Move::Rise(rise)
            } else {
                Move::Implausible
            };
        }
        if last.value < COUNTER32_MODULUS {
            let wrapped = COUNTER32_MODULUS - last.value + point.value;
            if wrapped <= allowed {
                return Move::Rollover(wrapped);
            }
        }
        if let Some(glitch) = self.glitch
            && point.value >= glitch.base.value
        {
            let since_base = point.value - glitch.base.value;
            if since_base <= rules.plausible_pages(point.taken_at - glitch.base.taken_at) {
                return Move::Reverted(since_base.saturating_sub(glitch.counted_since));
            }
        }
        if elapsed < rules.repeat_window {
            return Move::Stale;
        }
        Move::Drop((point.value <= allowed).then_some(point.value))
    }
}

/// Turns one device's readings into per-counter intervals of pages and the events
/// that explain every correction. Samples should come in time order; they are
/// sorted (stably) when they do not.
pub fn device_pages(device: i64, samples: &[Sample<'_>], rules: &PageRules) -> DevicePages {
    let mut ordered: Vec<&Sample<'_>> = samples.iter().collect();
    if !ordered.is_sorted_by_key(|sample| sample.taken_at) {
        ordered.sort_by_key(|sample| sample.taken_at);
    }
    let names = counter_names(&ordered);
    let mut tracks = vec![Track::default(); names.len()];
    let mut series: Vec<Option<CounterSeries>> = vec![None; names.len()];
    let mut events = Vec::new();
    let mut moves: Vec<Judged> = Vec::new();

    for (position, sample) in ordered.iter().enumerate() {
        moves.clear();
        let (mut compared, mut drops) = (0usize, 0usize);
        // Both the sample's counters and `names` are sorted, so one cursor finds each.
        let mut cursor = 0;
        for (name, value) in sample.counters {
            let value = *value;
            while names[cursor] != &**name {
                cursor += 1;
            }
            let point = CounterPoint {
                reading_id: sample.reading_id,
                taken_at: sample.taken_at,
                value,
            };
            let judged = tracks[cursor].judge(point, rules);
            match judged {
                None => {}
                Some((_, Move::Drop(_))) => {
                    compared += 1;
                    drops += 1;
                }
                Some(_) => compared += 1,
            }
            moves.push(Judged {
                index: cursor,
                point,
                judged,
            });
        }
        let board_swap = drops >= 2 && drops * 2 > compared;
        let mut swapped = Vec::new();

        for &Judged {
            index,
            point,
            judged,
        } in &moves
        {
            let track = &mut tracks[index];
            let name = names[index];
            let Some((last, judged)) = judged else {
                series[index] = Some(CounterSeries {
                    counter: name.to_owned(),
                    first: point,
                    // Most counters are in most readings: one allocation, not a dozen.
                    intervals: Vec::with_capacity(ordered.len() - position - 1),
                });
                track.last = Some(point);
                track.last_position = position;
                continue;
            };
            let missed_readings = u32::try_from(position - track.last_position - 1)
                .unwrap_or(u32::MAX)
                .saturating_sub(track.stale_since);
            let change = |pages| CounterChange {
                counter: name.to_owned(),
                before: last,
                after: point,
                pages,
                missed_readings,
            };
            let pages = match judged {
                Move::Stale => {
                    events.push(event(PageEventKind::StaleRead, change(Some(0))));
                    track.stale_since += 1;
                    continue;
                }
                Move::Rise(rise) => {
                    if let Some(glitch) = &mut track.glitch {
                        glitch.counted_since = glitch.counted_since.saturating_add(rise);
                    }
                    Some(rise)
                }
                Move::Implausible => {
                    events.push(event(PageEventKind::Implausible, change(None)));
                    track.glitch.get_or_insert(Glitch {
                        base: last,
                        counted_since: 0,
                    });
                    None
                }
                Move::Rollover(pages) => {
                    events.push(event(PageEventKind::Rollover, change(Some(pages))));
                    track.glitch = None;
                    Some(pages)
                }
                Move::Reverted(pages) => {
                    events.push(event(PageEventKind::JumpReverted, change(Some(pages))));
                    track.glitch = None;
                    Some(pages)
                }
                Move::Drop(pages) => {
                    if board_swap {
                        swapped.push(change(pages));
                    } else {
                        events.push(event(PageEventKind::Reset, change(pages)));
                    }
                    track.glitch = None;
                    pages
                }
            };
            if missed_readings > 0 && point.taken_at - last.taken_at > rules.long_gap {
                events.push(event(PageEventKind::Gap, change(pages)));
            }
            if let Some(counter) = &mut series[index] {
                counter.intervals.push(Interval {
                    before: last,
                    after: point,
                    pages,
                });
            }
            track.last = Some(point);
            track.last_position = position;
            track.stale_since = 0;
        }
        if !swapped.is_empty() {
            events.push(PageEvent {
                kind: PageEventKind::BoardSwap,
                reading_id: sample.reading_id,
                taken_at: sample.taken_at,
                changes: swapped,
            });
        }
    }

    DevicePages {
        device,
        counters: series.into_iter().flatten().collect(),
        events,
    }
}

/// Every counter name of the samples, sorted. Readings of one device mostly have
/// the same counters, so each is merged in with one cursor and inserts are rare.
fn counter_names<'a>(samples: &[&'a Sample<'_>]) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for sample in samples {
        let mut cursor = 0;
        for (name, _) in sample.counters {
            while cursor < names.len() && names[cursor] < &**name {
                cursor += 1;
            }
            if names.get(cursor) != Some(&&**name) {
                names.insert(cursor, name);
            }
            cursor += 1;
        }
    }
    names
}

fn event(kind: PageEventKind, change: CounterChange) -> PageEvent {
    PageEvent {
        kind,
        reading_id: change.after.reading_id,
        taken_at: change.after.taken_at,
        changes: vec![change],
    }
}

/// Pages of one counter on one local calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DayPages {
    /// The day, in the time zone the pages were split in.
    pub day: NaiveDate,
    /// The day's share of the intervals that cover it.
    pub pages: u64,
}

/// One counter's pages per day, days in order; a day no counted interval covers
/// is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CounterDays {
    /// The counter's name.
    pub counter: String,
    /// Its days, in order.
    pub days: Vec<DayPages>,
}

/// Splits each counted interval's pages over the local days of `zone` it spans, in
/// proportion to time, so each interval's days sum to its pages exactly.
pub fn daily_pages(pages: &DevicePages, zone: Tz) -> Vec<CounterDays> {
    let span = pages
        .counters
        .iter()
        .map(|series| (series.first.taken_at, series.last().taken_at))
        .reduce(|(first, last), (start, end)| (first.min(start), last.max(end)));
    let Some((first, last)) = span else {
        return Vec::new();
    };
    let calendar = Calendar::new(zone, first, last);
    let mut shares = Vec::new();
    pages
        .counters
        .iter()
        .map(|series| {
            let mut days = Vec::new();
            for interval in &series.intervals {
                if let Some(count) = interval.pages {
                    calendar.split(
                        interval.before.taken_at,
                        interval.after.taken_at,
                        count,
                        &mut shares,
                        &mut days,
                    );
                }
            }
            CounterDays {
                counter: series.counter.clone(),
                days,
            }
        })
        .collect()
}

/// Where each local day of a span begins, computed once per device so splitting
/// an interval is integer arithmetic, not a time-zone lookup.
struct Calendar {
    /// `days[i]` is the local day that begins at `starts[i]`.
    days: Vec<NaiveDate>,
    /// Milliseconds since the epoch at which each day begins, and one more: where
    /// the day after the last begins.
    starts: Vec<i64>,
}

/// One day's part of an interval while it is split.
struct Share {
    day: usize,
    pages: u64,
    remainder: u128,
}

impl Calendar {
    fn new(zone: Tz, first: DateTime<Utc>, last: DateTime<Utc>) -> Self {
        let first_day = local_day(zone, first);
        let day_count = (local_day(zone, last) - first_day).num_days() as u64 + 2;
        let days: Vec<NaiveDate> = (0..day_count)
            .map(|offset| first_day + Days::new(offset))
            .collect();
        let starts = days
            .iter()
            .map(|&day| day_start(zone, day).timestamp_millis())
            .collect();
        Calendar { days, starts }
    }

    /// Adds the days of `[from, to)` to `days` with their largest-remainder share
    /// of `pages`.
    fn split(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        pages: u64,
        shares: &mut Vec<Share>,
        days: &mut Vec<DayPages>,
    ) {
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        // The day `from` falls on: the last that starts at or before it.
        let first_index = self.starts.partition_point(|&start| start <= from).max(1) - 1;
        shares.clear();
        let mut index = first_index;
        let mut span = 0u128;
        while index + 1 < self.starts.len() && self.starts[index] < to {
            let overlap = to.min(self.starts[index + 1]) - from.max(self.starts[index]);
            if overlap > 0 {
                span += overlap as u128;
                shares.push(Share {
                    day: index,
                    pages: 0,
                    remainder: overlap as u128,
                });
            }
            index += 1;
        }
        if shares.len() <= 1 {
            // Within one day, or read twice at the same instant: the day it fell on.
            let day = shares.first().map_or(first_index, |share| share.day);
            add_day(days, self.days[day], pages);
            return;
        }
        let mut given = 0u64;
        for share in shares.iter_mut() {
            let exact = u128::from(pages) * share.remainder;
            share.pages = (exact / span) as u64;
            share.remainder = exact % span;
            given += share.pages;
        }
        let leftover = (pages - given) as usize;
        if leftover > 0 {
            shares.sort_by(|a, b| b.remainder.cmp(&a.remainder).then(a.day.cmp(&b.day)));
            for share in &mut shares[..leftover] {
                share.pages += 1;
            }
            shares.sort_by_key(|share| share.day);
        }
        for share in shares.iter() {
            add_day(days, self.days[share.day], share.pages);
        }
    }
}

fn add_day(days: &mut Vec<DayPages>, day: NaiveDate, pages: u64) {
    match days.last_mut() {
        Some(last) if last.day == day => last.pages += pages,
        _ => days.push(DayPages { day, pages }),
    }
}

fn local_day(zone: Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// The first instant of `day` in `zone`: local midnight, or, where a DST change
/// skips midnight, the change itself (a day the zone skipped entirely starts
/// where the next one does, and so has no length).
fn day_start(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    match zone.from_local_datetime(&midnight) {
        LocalResult::Single(start) | LocalResult::Ambiguous(start, _) => start.with_timezone(&Utc),
        LocalResult::None => {
            // Offsets are within a day of UTC, so the start lies within these bounds.
            let guess = midnight.and_utc().timestamp();
            let (mut before, mut at_or_after) = (guess - 2 * 86_400, guess + 2 * 86_400);
            let day_of = |seconds| {
                DateTime::from_timestamp(seconds, 0).map(|instant| local_day(zone, instant))
            };
            while at_or_after - before > 1 {
                let mid = before + (at_or_after - before) / 2;
                if day_of(mid).is_some_and(|mid_day| mid_day >= day) {
                    at_or_after = mid;
                } else {
                    before = mid;
                }
            }
            DateTime::from_timestamp(at_or_after, 0).unwrap_or(midnight.and_utc())
        }
    }
}

/// One counter's row of a meter-read export for a billing period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MeterRead {
    /// The device.
    pub device: i64,
    /// The counter's name.
    pub counter: String,
    /// The start reading: the last at or before the period's start, else the
    /// first inside it.
    pub start: CounterPoint,
    /// The end reading: the last before the period's end.
    pub end: CounterPoint,
    /// Pages between the two readings: the sum of the corrected intervals, which
    /// is `end - start` only when no event happened in between.
    pub pages: u64,
    /// The events between the two readings that touched this counter.
    pub events: Vec<PageEvent>,
}

/// A billing period that ends where or before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the billing period from {start} to {end} is empty: its end must be after its start")]
pub struct EmptyPeriod {
    /// The period's start as given.
    pub start: DateTime<Utc>,
    /// The period's end as given.
    pub end: DateTime<Utc>,
}

/// The meter reads of the period `[start, end)`: one row per counter that has an
/// end reading in it.
pub fn billing_period(
    pages: &DevicePages,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<MeterRead>, EmptyPeriod> {
    if end <= start {
        return Err(EmptyPeriod { start, end });
    }
    let mut reads = Vec::new();
    for series in &pages.counters {
        let at_or_before_start = series.partition_point(|point| point.taken_at <= start);
        // Readings sharing the start reading's instant all belong before the period.
        let start_index = match at_or_before_start {
            0 => series.partition_point(|point| point.taken_at <= series.first.taken_at) - 1,
            count => count - 1,
        };
        let before_end = series.partition_point(|point| point.taken_at < end);
        if before_end == 0 || before_end - 1 < start_index {
            continue;
        }
        let end_index = before_end - 1;
        let (start_point, end_point) = (series.point(start_index), series.point(end_index));
        let counted = series.intervals[start_index..end_index]
            .iter()
            .filter_map(|interval| interval.pages)
            .sum();
        let events = pages
            .events
            .iter()
            .filter(|event| {
                event.changes.iter().any(|change| {
                    change.counter == series.counter
                        && change.after.taken_at > start_point.taken_at
                        && change.after.taken_at <= end_point.taken_at
                })
            })
            .cloned()
            .collect();
        reads.push(MeterRead {
            device: pages.device,
            counter: series.counter.clone(),
            start: start_point,
            end: end_point,
            pages: counted,
            events,
        });
    }
    Ok(reads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("an RFC 3339 instant")
    }

    /// One reading in a test table: id, instant, counters.
    type Row<'a> = (i64, &'a str, &'a [(&'a str, u64)]);

    fn run(rows: &[Row<'_>]) -> DevicePages {
        let maps: Vec<Vec<(Arc<str>, u64)>> = rows
            .iter()
            .map(|(_, _, counters)| {
                let mut counters: Vec<(Arc<str>, u64)> = counters
                    .iter()
                    .map(|(name, value)| (Arc::from(*name), *value))
                    .collect();
                counters.sort();
                counters
            })
            .collect();
        let samples: Vec<Sample<'_>> = rows
            .iter()
            .zip(&maps)
            .map(|((id, taken_at, _), counters)| Sample {
                reading_id: *id,
                taken_at: at(taken_at),
                counters,
            })
            .collect();
        device_pages(7, &samples, &PageRules::default())
    }

    fn series<'a>(pages: &'a DevicePages, counter: &str) -> &'a CounterSeries {
        pages
            .counters
            .iter()
            .find(|series| series.counter == counter)
            .unwrap_or_else(|| panic!("no series for {counter}"))
    }

    fn interval_pages(pages: &DevicePages, counter: &str) -> Vec<Option<u64>> {
        series(pages, counter)
            .intervals
            .iter()
            .map(|interval| interval.pages)
            .collect()
    }

    /// An event as a table states it: its kind and each counter's pages.
    type EventSummary<'a> = (PageEventKind, Vec<(&'a str, Option<u64>)>);

    fn event_summary(pages: &DevicePages) -> Vec<EventSummary<'_>> {
        pages
            .events
            .iter()
            .map(|event| {
                let changes = event
                    .changes
                    .iter()
                    .map(|change| (change.counter.as_str(), change.pages))
                    .collect();
                (event.kind, changes)
            })
            .collect()
    }

    #[test]
    fn one_counter_is_corrected_for_what_it_did() {
        use PageEventKind::*;
        const WRAP: u64 = COUNTER32_MODULUS;
        struct Case<'a> {
            name: &'a str,
            values: &'a [(&'a str, u64)],
            pages: Vec<Option<u64>>,
            events: Vec<(PageEventKind, Option<u64>)>,
        }
        let cases = [
            Case {
                name: "plain increments",
                values: &[
                    ("2024-03-01T10:00:00Z", 100),
                    ("2024-03-01T11:00:00Z", 150),
                    ("2024-03-01T12:00:00Z", 175),
                ],
                pages: vec![Some(150 - 100), Some(175 - 150)],
                events: vec![],
            },
            Case {
                name: "a 32-bit counter wraps past 2^32 within an hour",
                values: &[
                    ("2024-03-01T10:00:00Z", 4_294_967_000),
                    ("2024-03-01T11:00:00Z", 500),
                ],
                pages: vec![Some(WRAP - 4_294_967_000 + 500)],
                events: vec![(Rollover, Some(WRAP - 4_294_967_000 + 500))],
            },
            Case {
                // Wrapping would mean 1,294,967,306 pages in a day, where 1,440,000 fit.
                name: "a drop from far below 2^32 is a reset, not a rollover",
                values: &[
                    ("2024-03-01T10:00:00Z", 3_000_000_000),
                    ("2024-03-02T10:00:00Z", 10),
                ],
                pages: vec![Some(10)],
                events: vec![(Reset, Some(10))],
            },
            Case {
                name: "a reset counts from zero",
                values: &[
                    ("2024-03-01T10:00:00Z", 50_000),
                    ("2024-03-02T10:00:00Z", 200),
                ],
                pages: vec![Some(200)],
                events: vec![(Reset, Some(200))],
            },
            Case {
                // Ten minutes allow 10 × 1,000 pages; 40,000 since a reset do not fit.
                name: "a reset to more than the time allows counts nothing",
                values: &[
                    ("2024-03-01T10:00:00Z", 50_000),
                    ("2024-03-01T10:10:00Z", 40_000),
                ],
                pages: vec![None],
                events: vec![(Reset, None)],
            },
            Case {
                name: "read twice in a minute, then a stale answer",
                values: &[
                    ("2024-03-01T10:00:00Z", 1_000),
                    ("2024-03-01T10:00:30Z", 1_002),
                    ("2024-03-01T10:00:30Z", 1_002),
                    ("2024-03-01T10:00:45Z", 1_000),
                    ("2024-03-01T11:00:00Z", 1_010),
                ],
                pages: vec![Some(2), Some(0), Some(1_010 - 1_002)],
                events: vec![(StaleRead, Some(0))],
            },
            Case {
                // An instant is judged as a minute: up to 1,000 pages.
                name: "two readings at the same instant",
                values: &[
                    ("2024-03-01T10:00:00Z", 1_000),
                    ("2024-03-01T10:00:00Z", 1_400),
                ],
                pages: vec![Some(400)],
                events: vec![],
            },
            Case {
                // An hour allows 60,000 pages; 4,900,000 do not fit.
                name: "an implausible jump becomes the new base",
                values: &[
                    ("2024-03-01T10:00:00Z", 100_000),
                    ("2024-03-01T11:00:00Z", 5_000_000),
                    ("2024-03-01T12:00:00Z", 5_000_100),
                ],
                pages: vec![None, Some(100)],
                events: vec![(Implausible, None)],
            },
            Case {
                name: "a glitch that comes back counts the pages since before it",
                values: &[
                    ("2024-03-01T10:00:00Z", 100_000),
                    ("2024-03-01T11:00:00Z", 4_000_000_000),
                    ("2024-03-01T12:00:00Z", 4_000_000_020),
                    ("2024-03-01T13:00:00Z", 100_050),
                ],
                // 50 pages since 100,000, of which 20 were already counted.
                pages: vec![None, Some(20), Some(50 - 20)],
                events: vec![(Implausible, None), (JumpReverted, Some(50 - 20))],
            },
        ];
        for case in cases {
            let rows: Vec<Vec<(&str, u64)>> = case
                .values
                .iter()
                .map(|(_, value)| vec![("total", *value)])
                .collect();
            let table: Vec<Row<'_>> = case
                .values
                .iter()
                .zip(&rows)
                .enumerate()
                .map(|(index, ((taken_at, _), counters))| {
                    (index as i64 + 1, *taken_at, counters.as_slice())
                })
                .collect();
            let pages = run(&table);
            assert_eq!(interval_pages(&pages, "total"), case.pages, "{}", case.name);
            let events: Vec<(PageEventKind, Option<u64>)> = event_summary(&pages)
                .into_iter()
                .map(|(kind, changes)| (kind, changes[0].1))
                .collect();
            assert_eq!(events, case.events, "{}", case.name);
        }
    }

    #[test]
    fn events_quote_the_readings_before_and_after() {
        let pages = run(&[
            (11, "2024-03-01T10:00:00Z", &[("total", 4_294_967_000)]),
            (12, "2024-03-01T11:00:00Z", &[("total", 500)]),
        ]);
        let rollover = &pages.events[0];
        assert_eq!(
            (rollover.kind, rollover.reading_id),
            (PageEventKind::Rollover, 12)
        );
        assert_eq!(
            rollover.changes,
            vec![CounterChange {
                counter: "total".into(),
                before: CounterPoint {
                    reading_id: 11,
                    taken_at: at("2024-03-01T10:00:00Z"),
                    value: 4_294_967_000,
                },
                after: CounterPoint {
                    reading_id: 12,
                    taken_at: at("2024-03-01T11:00:00Z"),
                    value: 500,
                },
                pages: Some(796),
                missed_readings: 0,
            }]
        );
    }

    #[test]
    fn most_counters_dropping_at_once_is_one_board_swap() {
        use PageEventKind::*;
        struct Case<'a> {
            name: &'a str,
            before: &'a [(&'a str, u64)],
            after: &'a [(&'a str, u64)],
            events: Vec<EventSummary<'a>>,
        }
        let cases = [
            Case {
                name: "every counter drops",
                before: &[("color", 20_000), ("mono", 30_000), ("total", 50_000)],
                after: &[("color", 100), ("mono", 200), ("total", 300)],
                events: vec![(
                    BoardSwap,
                    vec![
                        ("color", Some(100)),
                        ("mono", Some(200)),
                        ("total", Some(300)),
                    ],
                )],
            },
            Case {
                name: "three of four drop; the scanner's count goes on",
                before: &[
                    ("color", 20_000),
                    ("mono", 30_000),
                    ("scan", 500),
                    ("total", 50_000),
                ],
                after: &[("color", 100), ("mono", 200), ("scan", 520), ("total", 300)],
                events: vec![(
                    BoardSwap,
                    vec![
                        ("color", Some(100)),
                        ("mono", Some(200)),
                        ("total", Some(300)),
                    ],
                )],
            },
            Case {
                name: "one of three drops: a reset of that counter",
                before: &[("color", 20_000), ("mono", 30_000), ("total", 50_000)],
                after: &[("color", 100), ("mono", 30_050), ("total", 50_150)],
                events: vec![(Reset, vec![("color", Some(100))])],
            },
            Case {
                name: "one of two drops: a reset, not a swap",
                before: &[("color", 20_000), ("mono", 30_000)],
                after: &[("color", 20_010), ("mono", 20)],
                events: vec![(Reset, vec![("mono", Some(20))])],
            },
            Case {
                // A refurbished board that arrived with 900,000 on it.
                name: "a swap counts only the plausible new values",
                before: &[("mono", 3_000_000), ("total", 5_000_000)],
                after: &[("mono", 600), ("total", 900_000)],
                events: vec![(BoardSwap, vec![("mono", Some(600)), ("total", None)])],
            },
        ];
        for case in cases {
            // Ten minutes apart: up to 10,000 pages are plausible.
            let pages = run(&[
                (1, "2024-03-01T10:00:00Z", case.before),
                (2, "2024-03-01T10:10:00Z", case.after),
            ]);
            assert_eq!(event_summary(&pages), case.events, "{}", case.name);
        }
        let pages = run(&[
            (
                1,
                "2024-03-01T10:00:00Z",
                &[("scan", 500), ("total", 50_000)],
            ),
            (2, "2024-03-01T10:10:00Z", &[("scan", 520), ("total", 300)]),
        ]);
        assert_eq!(interval_pages(&pages, "scan"), vec![Some(20)]);
    }

    #[test]
    fn a_counter_missing_for_days_spans_the_gap_and_says_so() {
        let pages = run(&[
            (1, "2024-03-01T10:00:00Z", &[("color", 50), ("total", 100)]),
            (2, "2024-03-02T10:00:00Z", &[("total", 200)]),
            (3, "2024-03-03T10:00:00Z", &[("total", 300)]),
            (4, "2024-03-04T10:00:00Z", &[("total", 400)]),
            (5, "2024-03-05T10:00:00Z", &[("color", 90), ("total", 500)]),
            (6, "2024-03-05T12:00:00Z", &[("total", 510)]),
            (7, "2024-03-05T14:00:00Z", &[("color", 95), ("total", 520)]),
        ]);
        // Nothing lost, nothing doubled: 90 - 50 once, across the three readings without it.
        assert_eq!(interval_pages(&pages, "color"), vec![Some(40), Some(5)]);
        assert_eq!(pages.events.len(), 1, "{:?}", pages.events);
        let gap = &pages.events[0];
        assert_eq!((gap.kind, gap.reading_id), (PageEventKind::Gap, 5));
        assert_eq!(gap.changes[0].missed_readings, 3);
        assert_eq!(gap.changes[0].pages, Some(40));
        assert_eq!(
            (
                gap.changes[0].before.reading_id,
                gap.changes[0].after.reading_id
            ),
            (1, 5)
        );
    }

    #[test]
    fn a_device_not_read_for_days_is_no_gap_of_its_counters() {
        let pages = run(&[
            (1, "2024-03-01T10:00:00Z", &[("total", 100)]),
            (2, "2024-03-08T10:00:00Z", &[("total", 900)]),
        ]);
        assert_eq!(interval_pages(&pages, "total"), vec![Some(800)]);
        assert!(pages.events.is_empty(), "{:?}", pages.events);
    }

    #[test]
    fn readings_out_of_order_are_put_in_order() {
        let rows: [Row<'_>; 3] = [
            (1, "2024-03-01T10:00:00Z", &[("total", 100)]),
            (2, "2024-03-01T11:00:00Z", &[("total", 150)]),
            (3, "2024-03-01T12:00:00Z", &[("total", 175)]),
        ];
        let shuffled = [rows[2], rows[0], rows[1]];
        assert_eq!(run(&shuffled), run(&rows));
        assert_eq!(
            interval_pages(&run(&shuffled), "total"),
            vec![Some(50), Some(25)]
        );
    }

    #[test]
    fn pages_fall_on_the_days_of_the_time_zone() {
        let berlin = chrono_tz::Europe::Berlin;
        let santiago = chrono_tz::America::Santiago;
        struct Case<'a> {
            name: &'a str,
            zone: Tz,
            from: &'a str,
            to: &'a str,
            pages: u64,
            days: Vec<(&'a str, u64)>,
        }
        let cases = [
            Case {
                // 22:00 to 02:00 local: two hours each side of midnight.
                name: "across midnight",
                zone: berlin,
                from: "2024-01-10T21:00:00Z",
                to: "2024-01-11T01:00:00Z",
                pages: 40,
                days: vec![("2024-01-10", 20), ("2024-01-11", 20)],
            },
            Case {
                // 3.5 each: the one page left goes to the earlier of the tied days.
                name: "a tie in the remainders",
                zone: berlin,
                from: "2024-01-10T21:00:00Z",
                to: "2024-01-11T01:00:00Z",
                pages: 7,
                days: vec![("2024-01-10", 4), ("2024-01-11", 3)],
            },
            Case {
                // 33⅓ each: 99 by floor, the one left to the first.
                name: "three whole days",
                zone: berlin,
                from: "2024-01-09T23:00:00Z",
                to: "2024-01-12T23:00:00Z",
                pages: 100,
                days: vec![("2024-01-10", 34), ("2024-01-11", 33), ("2024-01-12", 33)],
            },
            Case {
                // Noon local on the 30th to midnight local on 1 April: 12 hours, then
                // the 23 hours of the day the clocks went forward. 350 × 12/35 = 120.
                name: "the day DST starts has 23 hours",
                zone: berlin,
                from: "2024-03-30T11:00:00Z",
                to: "2024-03-31T22:00:00Z",
                pages: 350,
                days: vec![("2024-03-30", 120), ("2024-03-31", 230)],
            },
            Case {
                // Midnight to midnight local on the 27th is 25 hours, then 12 hours
                // of the 28th. 370 × 25/37 = 250.
                name: "the day DST ends has 25 hours",
                zone: berlin,
                from: "2024-10-26T22:00:00Z",
                to: "2024-10-28T11:00:00Z",
                pages: 370,
                days: vec![("2024-10-27", 250), ("2024-10-28", 120)],
            },
            Case {
                // Chile moved its clocks from midnight to 01:00 on 8 September 2024:
                // the 7th has 24 hours (04:00Z to 04:00Z), the 8th 23 (to 03:00Z on
                // the 9th). 470 × 24/47 = 240.
                name: "a day whose midnight does not exist",
                zone: santiago,
                from: "2024-09-07T04:00:00Z",
                to: "2024-09-09T03:00:00Z",
                pages: 470,
                days: vec![("2024-09-07", 240), ("2024-09-08", 230)],
            },
            Case {
                name: "an instant falls on its day",
                zone: berlin,
                from: "2024-01-10T23:30:00Z",
                to: "2024-01-10T23:30:00Z",
                pages: 5,
                days: vec![("2024-01-11", 5)],
            },
        ];
        assert_eq!(
            santiago
                .from_local_datetime(&"2024-09-08T00:00:00".parse().expect("a local time"))
                .single(),
            None,
            "the Santiago case needs a midnight that does not exist"
        );
        for case in cases {
            let (from, to) = (at(case.from), at(case.to));
            let pages = DevicePages {
                device: 7,
                counters: vec![CounterSeries {
                    counter: "total".into(),
                    first: CounterPoint {
                        reading_id: 1,
                        taken_at: from,
                        value: 0,
                    },
                    intervals: vec![Interval {
                        before: CounterPoint {
                            reading_id: 1,
                            taken_at: from,
                            value: 0,
                        },
                        after: CounterPoint {
                            reading_id: 2,
                            taken_at: to,
                            value: case.pages,
                        },
                        pages: Some(case.pages),
                    }],
                }],
                events: vec![],
            };
            let expected: Vec<DayPages> = case
                .days
                .iter()
                .map(|(day, pages)| DayPages {
                    day: day.parse().expect("a date"),
                    pages: *pages,
                })
                .collect();
            let daily = daily_pages(&pages, case.zone);
            assert_eq!(daily[0].days, expected, "{}", case.name);
        }
    }

    #[test]
    fn days_without_a_counted_interval_are_absent_and_quiet_days_are_zero() {
        let pages = run(&[
            (1, "2024-01-10T08:00:00Z", &[("color", 10), ("total", 100)]),
            (2, "2024-01-10T18:00:00Z", &[("color", 10), ("total", 200)]),
            (3, "2024-01-11T18:00:00Z", &[("color", 10)]),
            // Three days allow 4,320,000 pages; this is more.
            (4, "2024-01-13T12:00:00Z", &[("total", 100_000_000)]),
        ]);
        let daily = daily_pages(&pages, chrono_tz::UTC);
        let days = |counter: &str| -> Vec<(String, u64)> {
            daily
                .iter()
                .find(|days| days.counter == counter)
                .expect("the counter")
                .days
                .iter()
                .map(|day| (day.day.to_string(), day.pages))
                .collect()
        };
        assert_eq!(days("total"), vec![("2024-01-10".to_string(), 100)]);
        assert_eq!(
            days("color"),
            vec![("2024-01-10".to_string(), 0), ("2024-01-11".to_string(), 0)]
        );
    }

    #[test]
    fn a_billing_period_sums_corrected_intervals_and_shows_its_events() {
        let pages = run(&[
            (1, "2024-01-31T22:00:00Z", &[("total", 1_000)]),
            (2, "2024-02-10T12:00:00Z", &[("total", 1_500)]),
            (3, "2024-02-15T12:00:00Z", &[("total", 200)]),
            (4, "2024-02-28T12:00:00Z", &[("total", 700)]),
            (5, "2024-03-01T01:00:00Z", &[("total", 750)]),
        ]);
        let reads = billing_period(
            &pages,
            at("2024-02-01T00:00:00Z"),
            at("2024-03-01T00:00:00Z"),
        )
        .expect("a period");
        assert_eq!(reads.len(), 1);
        let read = &reads[0];
        assert_eq!((read.device, read.counter.as_str()), (7, "total"));
        assert_eq!((read.start.reading_id, read.start.value), (1, 1_000));
        assert_eq!((read.end.reading_id, read.end.value), (4, 700));
        // 500 before the reset, 200 since it, 500 after: not 700 - 1,000.
        assert_eq!(read.pages, 500 + 200 + 500);
        assert_eq!(read.events.len(), 1);
        assert_eq!(
            (read.events[0].kind, read.events[0].reading_id),
            (PageEventKind::Reset, 3)
        );

        struct Case<'a> {
            name: &'a str,
            start: &'a str,
            end: &'a str,
            reads: Vec<(i64, i64, u64)>,
        }
        let cases = [
            Case {
                name: "no reading before the start: the first inside",
                start: "2024-01-01T00:00:00Z",
                end: "2024-02-12T00:00:00Z",
                reads: vec![(1, 2, 500)],
            },
            Case {
                name: "a period before any reading",
                start: "2023-12-01T00:00:00Z",
                end: "2024-01-01T00:00:00Z",
                reads: vec![],
            },
            Case {
                name: "a period after the last reading",
                start: "2024-04-01T00:00:00Z",
                end: "2024-05-01T00:00:00Z",
                reads: vec![(5, 5, 0)],
            },
            Case {
                name: "a period ending at a reading leaves it to the next",
                start: "2024-02-01T00:00:00Z",
                end: "2024-02-15T12:00:00Z",
                reads: vec![(1, 2, 500)],
            },
        ];
        for case in cases {
            let reads = billing_period(&pages, at(case.start), at(case.end)).expect("a period");
            let got: Vec<(i64, i64, u64)> = reads
                .iter()
                .map(|read| (read.start.reading_id, read.end.reading_id, read.pages))
                .collect();
            assert_eq!(got, case.reads, "{}", case.name);
        }
    }

    #[test]
    fn a_board_swap_shows_in_every_counter_it_touched() {
        let pages = run(&[
            (
                1,
                "2024-02-01T10:00:00Z",
                &[("color", 20_000), ("mono", 30_000)],
            ),
            (2, "2024-02-10T10:00:00Z", &[("color", 100), ("mono", 200)]),
            (3, "2024-02-20T10:00:00Z", &[("color", 150), ("mono", 260)]),
        ]);
        let reads = billing_period(
            &pages,
            at("2024-02-01T00:00:00Z"),
            at("2024-03-01T00:00:00Z"),
        )
        .expect("a period");
        let got: Vec<(&str, u64, Vec<PageEventKind>)> = reads
            .iter()
            .map(|read| {
                let kinds = read.events.iter().map(|event| event.kind).collect();
                (read.counter.as_str(), read.pages, kinds)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("color", 150, vec![PageEventKind::BoardSwap]),
                ("mono", 260, vec![PageEventKind::BoardSwap]),
            ]
        );
    }

    #[test]
    fn an_empty_period_is_refused_naming_it() {
        let pages = run(&[(1, "2024-01-31T22:00:00Z", &[("total", 1_000)])]);
        let start = at("2024-02-01T00:00:00Z");
        let error = billing_period(&pages, start, start).expect_err("empty");
        assert_eq!(error, EmptyPeriod { start, end: start });
        assert!(
            error.to_string().contains("2024-02-01 00:00:00 UTC"),
            "{error}"
        );
    }

    #[test]
    fn events_are_kebab_case_json() {
        let pages = run(&[
            (
                1,
                "2024-02-01T10:00:00Z",
                &[("color", 20_000), ("mono", 30_000)],
            ),
            (2, "2024-02-10T10:00:00Z", &[("color", 100), ("mono", 200)]),
        ]);
        let json = serde_json::to_value(&pages.events[0]).expect("JSON");
        assert_eq!(json["kind"], "board-swap");
        assert_eq!(json["reading-id"], 2);
        assert_eq!(
            json["changes"][0]["before"]["taken-at"],
            "2024-02-01T10:00:00Z"
        );
        assert_eq!(json["changes"][0]["missed-readings"], 0);
    }

    /// One step of a random counter: minutes since the last reading, pages
    /// printed since, and whether the counter was reset before printing them.
    fn steps() -> impl Strategy<Value = Vec<(i64, u64, bool)>> {
        prop::collection::vec(
            (1i64..=3 * 24 * 60)
                .prop_flat_map(|minutes| (Just(minutes), 0..=minutes as u64 * 300, any::<bool>())),
            1..60,
        )
    }

    proptest! {
        #[test]
        fn random_series_with_resets_count_every_page_once(
            start in 0u64..1_000_000_000,
            first_second in 1_704_067_200i64..1_735_689_600,
            zone in prop::sample::select(vec![
                chrono_tz::UTC,
                chrono_tz::Europe::Berlin,
                chrono_tz::America::New_York,
                chrono_tz::America::Santiago,
                chrono_tz::Australia::Lord_Howe,
            ]),
            steps in steps(),
        ) {
            let mut taken_at = DateTime::from_timestamp(first_second, 0).expect("an instant");
            let mut value = start;
            let mut printed = 0u64;
            let mut maps = vec![vec![(Arc::<str>::from("total"), value)]];
            let mut times = vec![taken_at];
            for &(minutes, pages, reset) in &steps {
                taken_at += TimeDelta::minutes(minutes);
                // A reset is only told from printing when the counter ends lower.
                value = if reset && pages < value { pages } else { value + pages };
                printed += pages;
                maps.push(vec![(Arc::from("total"), value)]);
                times.push(taken_at);
            }
            let samples: Vec<Sample<'_>> = maps
                .iter()
                .zip(&times)
                .enumerate()
                .map(|(index, (counters, taken_at))| Sample {
                    reading_id: index as i64,
                    taken_at: *taken_at,
                    counters,
                })
                .collect();
            let pages = device_pages(1, &samples, &PageRules::default());
            let counted: u64 = pages.counters[0]
                .intervals
                .iter()
                .map(|interval| interval.pages.expect("plausible by construction"))
                .sum();
            prop_assert_eq!(counted, printed);

            let calendar = Calendar::new(zone, times[0], *times.last().expect("a time"));
            let mut shares = Vec::new();
            for interval in &pages.counters[0].intervals {
                let mut days = Vec::new();
                let interval_pages = interval.pages.expect("plausible by construction");
                calendar.split(
                    interval.before.taken_at,
                    interval.after.taken_at,
                    interval_pages,
                    &mut shares,
                    &mut days,
                );
                prop_assert_eq!(days.iter().map(|day| day.pages).sum::<u64>(), interval_pages);
                prop_assert!(days.windows(2).all(|pair| pair[0].day < pair[1].day));
            }
            let daily = daily_pages(&pages, zone);
            let days = &daily[0].days;
            prop_assert_eq!(days.iter().map(|day| day.pages).sum::<u64>(), printed);
            prop_assert!(days.iter().all(|day| day.pages <= printed));
            prop_assert!(days.windows(2).all(|pair| pair[0].day < pair[1].day));
        }
    }
}
