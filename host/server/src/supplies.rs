//! A device's supplies as the person who buys them sees them, worked out from what the
//! store keeps: each position's cartridges with the pages they printed and their yield
//! beside the rated one, and when each current cartridge runs out. The REST API answers
//! these for one device as asked; the calculated-values job works out the forecasts of
//! every device and files them, so "what runs out this fortnight" is one query.
//!
//! The arithmetic is `quire-usage`'s ([`supply_history`], [`forecast`]); this module
//! reads its inputs, for a page of devices in five queries. Levels come from the daily
//! level summaries, kept for ever, not from the readings: a year of hourly readings is
//! one or two samples a day. Each UTC day of a position gives its first reading's level
//! and its last reading's (one sample when they are the same reading). Only the last
//! reading's serial, part number and state are summarised, so the first sample carries
//! the serial only where the day before ended on the same one (the cartridge did not
//! change overnight), and otherwise none, which lets a level jump at the first reading
//! still show an overnight replacement. A day's lowest level has no time and is not a
//! sample. An agent's reported replacement is placed at the day's sample at or after
//! its reading. Pages are the daily meters' (see `meter-reads`), corrected for resets
//! and rollovers.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use quire_model::{Supply, SupplyState};
use quire_store::{DailyLevel, DeviceId, ReplacementRecord, Store};
use quire_usage::{
    CumulativePages, HistoryInput, LevelSample, Positions, ReportedReplacement, SuppliesRead,
    SupplyEvent, SupplyEventKind, SupplyForecast, SupplyHistory, SupplyPosition, forecast,
    supply_history,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::pages::pages_by_device;
use quire_usage::pages::DevicePages;

/// How far back a history reaches: the summaries are kept for ever, but a year and a
/// bit holds every cartridge still in question (the longest-lived drums last about
/// that), while one call cannot read a decade.
const HISTORY_DAYS: i64 = 400;

/// Where one position's current cartridge runs out, or why that cannot be said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PositionForecast {
    /// The position.
    pub position: SupplyPosition,
    /// Its row index in the latest reading.
    pub index: u32,
    /// Its description in the latest reading.
    pub description: String,
    /// When the cartridge forecast was installed, or first seen.
    pub cartridge_since: DateTime<Utc>,
    /// That cartridge's part number, where known.
    pub part_number: Option<String>,
    /// The forecast, or the refusal with its reason.
    pub forecast: SupplyForecast,
}

/// When each of a device's supplies runs out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SupplyForecasts {
    /// The device.
    pub device_id: i64,
    /// When it was worked out: only what was known then was used.
    pub at: DateTime<Utc>,
    /// One per position, in position order.
    pub positions: Vec<PositionForecast>,
}

/// Everything one device's supply history is built from.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    /// The daily levels as readings, in time order.
    reads: Vec<(DateTime<Utc>, Vec<Supply>)>,
    events: Vec<SupplyEvent>,
    reported: Vec<ReportedReplacement>,
    pages: CumulativePages,
    rated_yields: BTreeMap<String, u64>,
}

impl Inputs {
    /// The inputs of each of `devices` (ascending, as given) over the last
    /// [`HISTORY_DAYS`] before `now`, in five queries however many devices. Not bounded
    /// by a device's `first-seen`: that is its first reading filed, and an agent's queue
    /// may file older ones after it; no summary predates the device's oldest reading.
    pub(crate) async fn load(
        store: &Store,
        devices: &[DeviceId],
        now: DateTime<Utc>,
    ) -> quire_store::Result<Vec<Inputs>> {
        let samples = store
            .counter_samples(devices, history_start(now), now)
            .await?;
        let pages = pages_by_device(devices, &samples);
        Ok(InputRows::load(store, devices, now)
            .await?
            .into_iter()
            .zip(&pages)
            .map(|(rows, pages)| Inputs::of(rows, pages))
            .collect())
    }

    /// One device's inputs from its rows and pages.
    pub(crate) fn of(rows: InputRows, pages: &DevicePages) -> Inputs {
        let InputRows {
            levels,
            reported,
            events,
            rated_yields,
        } = rows;
        Inputs {
            reported: reported.iter().map(|r| placed(r, &levels)).collect(),
            events: events
                .into_iter()
                .map(|e| SupplyEvent {
                    position: SupplyPosition {
                        kind: e.supply_kind,
                        color: e.supply_color,
                        rank: e.supply_rank,
                    },
                    at: e.at,
                    kind: event_kind(e.kind),
                    part_number: Some(e.part_number),
                })
                .collect(),
            pages: CumulativePages::counted(pages),
            rated_yields: rated_yields
                .into_iter()
                .map(|y| (y.part_number, y.rated_pages))
                .collect(),
            reads: day_reads(levels),
        }
    }

    /// Each position's cartridges as of `now`.
    pub(crate) fn history(&self, now: DateTime<Utc>) -> SupplyHistory {
        let reads: Vec<SuppliesRead<'_>> = self
            .reads
            .iter()
            .map(|(taken_at, supplies)| SuppliesRead {
                taken_at: *taken_at,
                supplies,
            })
            .collect();
        supply_history(
            &HistoryInput {
                readings: &reads,
                events: &self.events,
                reported: &self.reported,
                pages: &self.pages,
                rated_yields: &self.rated_yields,
            },
            now,
        )
    }

    /// When each position's current cartridge runs out, or why that cannot be said, as
    /// of `now`, in position order.
    pub(crate) fn forecasts(&self, now: DateTime<Utc>) -> Vec<PositionForecast> {
        self.history(now)
            .positions
            .into_iter()
            .filter_map(|position| {
                let current = position.cartridges.last()?;
                let levels = self.levels(&position.position, current.since);
                let usage = self.pages.series(current.counter);
                let usage = (!usage.is_empty()).then_some(usage);
                Some(PositionForecast {
                    forecast: forecast(&levels, usage, now),
                    cartridge_since: current.since,
                    part_number: current.part_number.clone(),
                    position: position.position,
                    index: position.index,
                    description: position.description,
                })
            })
            .collect()
    }

    /// The levels of `position` read from `since` on.
    fn levels(&self, position: &SupplyPosition, since: DateTime<Utc>) -> Vec<LevelSample> {
        let mut positions = Positions::default();
        self.reads
            .iter()
            .filter(|(taken_at, _)| *taken_at >= since)
            .filter_map(|(taken_at, supplies)| {
                let at = positions.of(supplies).iter().position(|p| p == position)?;
                Some(LevelSample::of(*taken_at, &supplies[at]))
            })
            .collect()
    }
}

/// One device's rows of its supply inputs but its pages, as read: building its
/// [`Inputs`] is arithmetic, which the recompute does on other threads than the reads.
#[derive(Debug, Default)]
pub(crate) struct InputRows {
    levels: Vec<DailyLevel>,
    reported: Vec<ReplacementRecord>,
    events: Vec<quire_store::SupplyEvent>,
    rated_yields: Vec<quire_store::RatedYield>,
}

impl InputRows {
    /// The rows of each of `devices` (ascending, as given) over the last
    /// [`HISTORY_DAYS`] before `now`, in four queries however many devices.
    pub(crate) async fn load(
        store: &Store,
        devices: &[DeviceId],
        now: DateTime<Utc>,
    ) -> quire_store::Result<Vec<InputRows>> {
        let first_day = history_start(now).date_naive();
        let mut levels = by_device(
            store
                .daily_levels(devices, first_day..=now.date_naive())
                .await?
                .into_iter()
                .map(|level| (level.device_id, level)),
        );
        let mut reported = by_device(
            store
                .supply_replacements_of(devices, first_day.and_time(NaiveTime::MIN).and_utc())
                .await?,
        );
        let mut events = by_device(
            store
                .supply_events_of(devices)
                .await?
                .into_iter()
                .map(|e| (e.device_id, e)),
        );
        let mut rated_yields = by_device(store.rated_yields_of(devices).await?);
        Ok(devices
            .iter()
            .map(|device| InputRows {
                levels: levels.remove(device).unwrap_or_default(),
                reported: reported.remove(device).unwrap_or_default(),
                events: events.remove(device).unwrap_or_default(),
                rated_yields: rated_yields.remove(device).unwrap_or_default(),
            })
            .collect())
    }
}

/// Where a supply history starts, asked at `now`.
pub(crate) fn history_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - TimeDelta::days(HISTORY_DAYS)
}

/// `rows` grouped by device, each group in the order given.
pub(crate) fn by_device<T>(
    rows: impl IntoIterator<Item = (DeviceId, T)>,
) -> HashMap<DeviceId, Vec<T>> {
    let mut groups: HashMap<DeviceId, Vec<T>> = HashMap::new();
    for (device, row) in rows {
        groups.entry(device).or_default().push(row);
    }
    groups
}

/// A stored supply event's kind in the lifecycle's words.
pub(crate) fn event_kind(kind: quire_store::SupplyEventKind) -> SupplyEventKind {
    match kind {
        quire_store::SupplyEventKind::Ordered => SupplyEventKind::Ordered,
        quire_store::SupplyEventKind::Shipped => SupplyEventKind::Shipped,
        quire_store::SupplyEventKind::Installed => SupplyEventKind::Installed,
    }
}

/// The daily levels (by day, then index) as readings: each day's first and last sample
/// of each supply, those taken at one instant together (see the module doc).
fn day_reads(levels: Vec<DailyLevel>) -> Vec<(DateTime<Utc>, Vec<Supply>)> {
    let mut reads: BTreeMap<DateTime<Utc>, Vec<Supply>> = BTreeMap::new();
    let mut ended_on: HashMap<u32, Option<String>> = HashMap::new();
    for level in levels {
        let ended = ended_on.entry(level.index).or_default();
        if level.first_at < level.last_at {
            let overnight_same = level.last_serial.is_some() && *ended == level.last_serial;
            let state = match level.first_percent {
                Some(0) => SupplyState::Empty,
                Some(_) => SupplyState::Ok,
                None => SupplyState::Unknown,
            };
            reads.entry(level.first_at).or_default().push(Supply {
                index: level.index,
                description: level.description.clone(),
                kind: level.kind.clone(),
                color: level.color.clone(),
                unit: None,
                level: None,
                max: None,
                percent: level.first_percent,
                state,
                serial: level.last_serial.clone().filter(|_| overnight_same),
                part_number: None,
            });
        }
        if *ended != level.last_serial {
            ended.clone_from(&level.last_serial);
        }
        // The last sample takes the row's own text: the row is not needed after it.
        reads.entry(level.last_at).or_default().push(Supply {
            index: level.index,
            description: level.description,
            kind: level.kind,
            color: level.color,
            unit: None,
            level: None,
            max: None,
            percent: level.last_percent,
            state: level.last_state,
            serial: level.last_serial,
            part_number: level.last_part_number,
        });
    }
    reads.into_iter().collect()
}

/// A reported replacement at the sample of its day that stands for its reading: the
/// first where it is the day's first reading, else the last. A report whose day has no
/// summary of its supply is passed as it was, and the history names it as an issue.
fn placed(report: &ReplacementRecord, levels: &[DailyLevel]) -> ReportedReplacement {
    let day = levels
        .iter()
        .find(|l| l.index == report.index && l.day == report.taken_at.date_naive());
    ReportedReplacement {
        taken_at: match day {
            Some(day) if report.taken_at <= day.first_at => day.first_at,
            Some(day) => day.last_at,
            None => report.taken_at,
        },
        index: report.index,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use quire_store::DeviceId;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn level(
        day: u32,
        (first_hour, first): (u32, u8),
        (last_hour, last): (u32, u8),
        serial: &str,
    ) -> DailyLevel {
        DailyLevel {
            device_id: DeviceId(1),
            day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            index: 1,
            kind: "toner".into(),
            color: Some("black".into()),
            description: "TK-5240K".into(),
            first_at: at(day, first_hour),
            first_percent: Some(first),
            last_at: at(day, last_hour),
            last_percent: Some(last),
            min_percent: Some(last),
            last_state: SupplyState::Ok,
            last_serial: Some(serial.into()),
            last_part_number: None,
        }
    }

    #[test]
    fn a_first_sample_keeps_the_serial_only_where_the_night_did_not_change_it() {
        // Day 2 starts on the same cartridge as day 1 ended; day 3 starts on a new one
        // (a jump from 40 to 100 overnight), whose serial the first sample cannot know.
        let reads = day_reads(vec![
            level(1, (8, 45), (18, 42), "A"),
            level(2, (8, 42), (18, 40), "A"),
            level(3, (8, 100), (18, 98), "B"),
        ]);
        let serials: Vec<(DateTime<Utc>, Option<&str>)> = reads
            .iter()
            .map(|(t, s)| (*t, s[0].serial.as_deref()))
            .collect();
        assert_eq!(
            serials,
            [
                (at(1, 8), None),
                (at(1, 18), Some("A")),
                (at(2, 8), Some("A")),
                (at(2, 18), Some("A")),
                (at(3, 8), None),
                (at(3, 18), Some("B")),
            ]
        );
    }

    #[test]
    fn a_reported_replacement_is_placed_at_its_days_sample() {
        let levels = [level(1, (8, 45), (18, 42), "A")];
        let report = |hour| ReplacementRecord {
            reading_id: quire_store::ReadingId(1),
            taken_at: at(1, hour),
            index: 1,
            description: "TK-5240K".into(),
            evidence: quire_protocol::ReplacementEvidence::LevelJump {
                before: 5,
                after: 100,
            },
        };
        let placed_at = |hour| placed(&report(hour), &levels).taken_at;
        assert_eq!(placed_at(8), at(1, 8), "the day's first reading");
        assert_eq!(placed_at(12), at(1, 18), "a reading in the day");
        let other_day = ReplacementRecord {
            taken_at: at(2, 9),
            ..report(8)
        };
        assert_eq!(
            placed(&other_day, &levels).taken_at,
            at(2, 9),
            "no summary: as reported"
        );
    }
}
