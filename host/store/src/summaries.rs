//! Daily summaries, kept for ever: each counter's first and last reading of each UTC day
//! (pages per day and per billing period are their differences, worked out by
//! `quire-usage`), and each supply position's levels over the day (what a level graph
//! over months draws). Ingest maintains them in the batch's transaction, so they never
//! disagree with the readings, and a reading filed late or twice changes a day only
//! where it is earlier than its first or later than its last.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use chrono::{DateTime, NaiveDate, Utc};
use quire_model::{Reading, Supply, SupplyState};

use crate::Store;
use crate::error::Result;
use crate::types::{DeviceId, ReadingId};

/// A counter's value as one reading saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterMark {
    /// The counter's value.
    pub value: u64,
    /// When the reading was taken.
    pub taken_at: DateTime<Utc>,
    /// The reading.
    pub reading_id: ReadingId,
}

/// One counter of one device over one UTC day: the day's first and last reading of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyMeter {
    /// The device.
    pub device_id: DeviceId,
    /// The UTC day.
    pub day: NaiveDate,
    /// The counter's name (`total`, `print.color`, …).
    pub counter: String,
    /// The day's earliest reading of it.
    pub first: MeterMark,
    /// The day's latest reading of it.
    pub last: MeterMark,
}

/// One supply position of one device over one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyLevel {
    /// The device.
    pub device_id: DeviceId,
    /// The UTC day.
    pub day: NaiveDate,
    /// The device's row index of the supply.
    pub index: u32,
    /// The kind (`toner`, `opc`, …), as the day's last reading said.
    pub kind: String,
    /// The colorant, as the day's last reading said.
    pub color: Option<String>,
    /// The device's description, as the day's last reading said.
    pub description: String,
    /// When the day's first reading of it was taken.
    pub first_at: DateTime<Utc>,
    /// The percent of the day's first reading.
    pub first_percent: Option<u8>,
    /// When the day's last reading of it was taken.
    pub last_at: DateTime<Utc>,
    /// The percent of the day's last reading.
    pub last_percent: Option<u8>,
    /// The lowest percent of the day.
    pub min_percent: Option<u8>,
    /// The level in words in the day's last reading.
    pub last_state: SupplyState,
    /// The cartridge serial in the day's last reading: a change between days is a new cartridge.
    pub last_serial: Option<String>,
    /// The part number in the day's last reading.
    pub last_part_number: Option<String>,
}

impl Store {
    /// The daily meters of `devices` over `days` (UTC), in one query: by device, day
    /// and counter name.
    pub async fn daily_meters(
        &self,
        devices: &[DeviceId],
        days: RangeInclusive<NaiveDate>,
    ) -> Result<Vec<DailyMeter>> {
        dispatch!(self.daily_meters(devices, days))
    }

    /// The daily supply levels of `devices` over `days` (UTC), in one query: by device,
    /// day and supply index.
    pub async fn daily_levels(
        &self,
        devices: &[DeviceId],
        days: RangeInclusive<NaiveDate>,
    ) -> Result<Vec<DailyLevel>> {
        dispatch!(self.daily_levels(devices, days))
    }
}

/// Devices asked for in one statement: far below both backends' bind limits.
pub(crate) const DEVICES_PER_QUERY: usize = 10_000;

/// Where a reading stands in a day: by time, then by id for readings taken at the same instant.
type Order = (DateTime<Utc>, i64);

/// A counter's first or last value of a day, as a batch saw it.
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    pub(crate) at: DateTime<Utc>,
    pub(crate) reading: i64,
    pub(crate) value: i64,
}

impl Mark {
    fn order(&self) -> Order {
        (self.at, self.reading)
    }
}

/// A supply position's day, as a batch saw it.
pub(crate) struct LevelDay<'r> {
    pub(crate) first: (Order, Option<u8>),
    pub(crate) last: (Order, &'r Supply),
    pub(crate) min_percent: Option<u8>,
}

/// A batch's readings folded into the days they touch, one row per day and counter or
/// supply, for one multi-row upsert each (PostgreSQL refuses to update one row twice
/// in a statement).
#[derive(Default)]
pub(crate) struct DaySummaries<'r> {
    /// (device, day, counter) → (first, last).
    pub(crate) meters: BTreeMap<(i64, NaiveDate, &'r str), (Mark, Mark)>,
    /// (device, day, supply index) → the day.
    pub(crate) levels: BTreeMap<(i64, NaiveDate, u32), LevelDay<'r>>,
}

impl<'r> DaySummaries<'r> {
    /// Folds in reading `id` of `device`. A counter beyond 2^63 (no device prints that
    /// many pages: a broken counter) is left out of the summary; the reading keeps it.
    pub(crate) fn add(&mut self, device: i64, id: i64, at: DateTime<Utc>, reading: &'r Reading) {
        let day = at.date_naive();
        let order = (at, id);
        for (name, &value) in &reading.counters {
            let Ok(value) = i64::try_from(value) else {
                continue;
            };
            let mark = Mark {
                at,
                reading: id,
                value,
            };
            let (first, last) = self
                .meters
                .entry((device, day, name.as_str()))
                .or_insert((mark, mark));
            if order < first.order() {
                *first = mark;
            }
            if order > last.order() {
                *last = mark;
            }
        }
        for supply in &reading.supplies {
            let level = self
                .levels
                .entry((device, day, supply.index))
                .or_insert(LevelDay {
                    first: (order, supply.percent),
                    last: (order, supply),
                    min_percent: supply.percent,
                });
            if order < level.first.0 {
                level.first = (order, supply.percent);
            }
            if order > level.last.0 {
                level.last = (order, supply);
            }
            level.min_percent = match (level.min_percent, supply.percent) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
}

/// The columns of a `daily_meters` row as ingest writes it.
const METER_COLUMNS: &str = "INSERT INTO daily_meters (device_id, day, counter, first_value, first_at, \
     first_reading_id, last_value, last_at, last_reading_id) ";

/// The columns of a `daily_levels` row as ingest writes it.
const LEVEL_COLUMNS: &str = "INSERT INTO daily_levels (device_id, day, idx, kind, color, description, \
     first_at, first_percent, last_at, last_percent, min_percent, last_state, \
     last_serial, last_part_number) ";

/// The day's first kept unless the row is earlier, the last unless it is as late or later.
const UPSERT_METERS: &str = " ON CONFLICT (device_id, day, counter) DO UPDATE SET \
     first_value = CASE WHEN excluded.first_at < daily_meters.first_at \
     THEN excluded.first_value ELSE daily_meters.first_value END, \
     first_reading_id = CASE WHEN excluded.first_at < daily_meters.first_at \
     THEN excluded.first_reading_id ELSE daily_meters.first_reading_id END, \
     first_at = CASE WHEN excluded.first_at < daily_meters.first_at \
     THEN excluded.first_at ELSE daily_meters.first_at END, \
     last_value = CASE WHEN excluded.last_at >= daily_meters.last_at \
     THEN excluded.last_value ELSE daily_meters.last_value END, \
     last_reading_id = CASE WHEN excluded.last_at >= daily_meters.last_at \
     THEN excluded.last_reading_id ELSE daily_meters.last_reading_id END, \
     last_at = CASE WHEN excluded.last_at >= daily_meters.last_at \
     THEN excluded.last_at ELSE daily_meters.last_at END";

/// As [`UPSERT_METERS`]; the lowest percent is the lower of two known ones.
const UPSERT_LEVELS: &str = " ON CONFLICT (device_id, day, idx) DO UPDATE SET \
     first_percent = CASE WHEN excluded.first_at < daily_levels.first_at \
     THEN excluded.first_percent ELSE daily_levels.first_percent END, \
     first_at = CASE WHEN excluded.first_at < daily_levels.first_at \
     THEN excluded.first_at ELSE daily_levels.first_at END, \
     kind = CASE WHEN excluded.last_at >= daily_levels.last_at \
     THEN excluded.kind ELSE daily_levels.kind END, \
     color = CASE WHEN excluded.last_at >= daily_levels.last_at \
     THEN excluded.color ELSE daily_levels.color END, \
     description = CASE WHEN excluded.last_at >= daily_levels.last_at \
     THEN excluded.description ELSE daily_levels.description END, \
     last_percent = CASE WHEN excluded.last_at >= daily_levels.last_at \
     THEN excluded.last_percent ELSE daily_levels.last_percent END, \
     last_state = CASE WHEN excluded.last_at >= daily_levels.last_at \
     THEN excluded.last_state ELSE daily_levels.last_state END, \
     last_serial = CASE WHEN excluded.last_at >= daily_levels.last_at \
     THEN excluded.last_serial ELSE daily_levels.last_serial END, \
     last_part_number = CASE WHEN excluded.last_at >= daily_levels.last_at \
     THEN excluded.last_part_number ELSE daily_levels.last_part_number END, \
     last_at = CASE WHEN excluded.last_at >= daily_levels.last_at \
     THEN excluded.last_at ELSE daily_levels.last_at END, \
     min_percent = CASE WHEN daily_levels.min_percent IS NULL \
     OR excluded.min_percent < daily_levels.min_percent \
     THEN excluded.min_percent ELSE daily_levels.min_percent END";

/// A stored percent back as the model's `u8`.
fn stored_percent(column: &'static str, value: Option<i32>) -> Result<Option<u8>> {
    value
        .map(|p| {
            u8::try_from(p).map_err(|e| crate::Error::Corrupt {
                column,
                value: p.to_string(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// Daily levels as both backends return them: by device, day and index. Sorted here, not
/// by the query: PostgreSQL's sort of a page of 2,000 devices' year spills to disk at the
/// default `work_mem` and took 43 % of the query (230 ms against 132 for 180,000 rows),
/// while the rows mostly arrive in this order already, which a stable sort checks in one
/// pass.
fn sort_levels(levels: &mut [DailyLevel]) {
    levels.sort_by_key(|l| (l.device_id, l.day, l.index));
}

/// What [`Store::daily_levels`] was doing, for its errors.
fn levels_context(devices: usize, days: &RangeInclusive<NaiveDate>) -> String {
    format!(
        "reading the daily levels of {devices} devices from {} to {}",
        days.start(),
        days.end()
    )
}

/// A stored counter back as the model's `u64`.
fn stored_counter(column: &'static str, value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|e| crate::Error::Corrupt {
        column,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

macro_rules! summary_queries {
    ($db:ty) => {
        use std::ops::RangeInclusive;

        use chrono::NaiveDate;
        use sqlx::{Pool, QueryBuilder, Row, Transaction};

        use super::{
            DEVICES_PER_QUERY, DailyLevel, DailyMeter, DaySummaries, MeterMark, UPSERT_LEVELS,
            UPSERT_METERS, stored_counter, stored_percent,
        };
        use crate::backend::{stored_u32, word};
        use crate::error::{Context, Result};
        use crate::types::{DeviceId, ReadingId};

        type Db = $db;

        /// `SELECT … FROM table WHERE device_id IN (chunk) AND day BETWEEN …`, for the caller to order.
        fn select_days(
            select: &str,
            chunk: &[DeviceId],
            days: &RangeInclusive<NaiveDate>,
        ) -> QueryBuilder<Db> {
            let mut query = QueryBuilder::<Db>::new(select);
            query.push(" WHERE device_id IN (");
            let mut ids = query.separated(", ");
            for device in chunk {
                ids.push_bind(device.0);
            }
            query
                .push(") AND day >= ")
                .push_bind(*days.start())
                .push(" AND day <= ")
                .push_bind(*days.end());
            query
        }

        pub(crate) async fn daily_meters(
            pool: &Pool<Db>,
            devices: &[DeviceId],
            days: RangeInclusive<NaiveDate>,
        ) -> Result<Vec<DailyMeter>> {
            let context = || {
                format!(
                    "reading the daily meters of {} devices from {} to {}",
                    devices.len(),
                    days.start(),
                    days.end()
                )
            };
            let mut meters = Vec::new();
            for chunk in devices.chunks(DEVICES_PER_QUERY) {
                let mut query = select_days(
                    "SELECT device_id, day, counter, first_value, first_at, first_reading_id, \
                     last_value, last_at, last_reading_id FROM daily_meters",
                    chunk,
                    &days,
                );
                query.push(" ORDER BY device_id, day, counter");
                for row in query.build().fetch_all(pool).await.context(context)? {
                    meters.push(DailyMeter {
                        device_id: DeviceId(row.try_get("device_id").context(context)?),
                        day: row.try_get("day").context(context)?,
                        counter: row.try_get("counter").context(context)?,
                        first: MeterMark {
                            value: stored_counter(
                                "daily_meters.first_value",
                                row.try_get("first_value").context(context)?,
                            )?,
                            taken_at: row.try_get("first_at").context(context)?,
                            reading_id: ReadingId(
                                row.try_get("first_reading_id").context(context)?,
                            ),
                        },
                        last: MeterMark {
                            value: stored_counter(
                                "daily_meters.last_value",
                                row.try_get("last_value").context(context)?,
                            )?,
                            taken_at: row.try_get("last_at").context(context)?,
                            reading_id: ReadingId(row.try_get("last_reading_id").context(context)?),
                        },
                    });
                }
            }
            Ok(meters)
        }
    };
}

/// SQLite: a multi-row `VALUES` per [`ROWS_PER_STATEMENT`](crate::backend::ROWS_PER_STATEMENT) rows.
pub(crate) mod sqlite {
    summary_queries!(sqlx::Sqlite);

    use futures_util::TryStreamExt;

    use super::{LEVEL_COLUMNS, METER_COLUMNS};
    use crate::backend::{ROWS_PER_STATEMENT, parse_word};

    pub(crate) async fn daily_levels(
        pool: &Pool<Db>,
        devices: &[DeviceId],
        days: RangeInclusive<NaiveDate>,
    ) -> Result<Vec<DailyLevel>> {
        let context = || super::levels_context(devices.len(), &days);
        let mut levels = Vec::new();
        for chunk in devices.chunks(DEVICES_PER_QUERY) {
            let mut query = select_days(
                "SELECT device_id, day, idx, kind, color, description, first_at, first_percent, \
                 last_at, last_percent, min_percent, last_state, last_serial, last_part_number \
                 FROM daily_levels",
                chunk,
                &days,
            );
            // By position: a name is looked up per row and column.
            let mut rows = query.build().fetch(pool);
            while let Some(row) = rows.try_next().await.context(context)? {
                let state: String = row.try_get(11).context(context)?;
                levels.push(DailyLevel {
                    device_id: DeviceId(row.try_get(0).context(context)?),
                    day: row.try_get(1).context(context)?,
                    index: stored_u32("daily_levels.idx", row.try_get(2).context(context)?)?,
                    kind: row.try_get(3).context(context)?,
                    color: row.try_get(4).context(context)?,
                    description: row.try_get(5).context(context)?,
                    first_at: row.try_get(6).context(context)?,
                    first_percent: stored_percent(
                        "daily_levels.first_percent",
                        row.try_get(7).context(context)?,
                    )?,
                    last_at: row.try_get(8).context(context)?,
                    last_percent: stored_percent(
                        "daily_levels.last_percent",
                        row.try_get(9).context(context)?,
                    )?,
                    min_percent: stored_percent(
                        "daily_levels.min_percent",
                        row.try_get(10).context(context)?,
                    )?,
                    last_state: parse_word("daily_levels.last_state", state)?,
                    last_serial: row.try_get(12).context(context)?,
                    last_part_number: row.try_get(13).context(context)?,
                });
            }
        }
        super::sort_levels(&mut levels);
        Ok(levels)
    }

    /// Upserts the days a batch touched, in its transaction.
    pub(crate) async fn file(
        tx: &mut Transaction<'static, Db>,
        days: &DaySummaries<'_>,
    ) -> std::result::Result<(), sqlx::Error> {
        let meters: Vec<_> = days.meters.iter().collect();
        for chunk in meters.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::<Db>::new(METER_COLUMNS);
            insert.push_values(chunk, |mut row, ((device, day, counter), (first, last))| {
                row.push_bind(*device)
                    .push_bind(*day)
                    .push_bind(*counter)
                    .push_bind(first.value)
                    .push_bind(first.at)
                    .push_bind(first.reading)
                    .push_bind(last.value)
                    .push_bind(last.at)
                    .push_bind(last.reading);
            });
            insert.push(UPSERT_METERS);
            insert.build().execute(&mut **tx).await?;
        }
        let levels: Vec<_> = days.levels.iter().collect();
        for chunk in levels.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::<Db>::new(LEVEL_COLUMNS);
            insert.push_values(chunk, |mut row, ((device, day, index), level)| {
                let ((last_at, _), supply) = level.last;
                row.push_bind(*device)
                    .push_bind(*day)
                    .push_bind(i64::from(*index))
                    .push_bind(&supply.kind)
                    .push_bind(supply.color.as_deref())
                    .push_bind(&supply.description)
                    .push_bind(level.first.0.0)
                    .push_bind(level.first.1.map(i32::from))
                    .push_bind(last_at)
                    .push_bind(supply.percent.map(i32::from))
                    .push_bind(level.min_percent.map(i32::from))
                    .push_bind(word(&supply.state))
                    .push_bind(supply.serial.as_deref())
                    .push_bind(supply.part_number.as_deref());
            });
            insert.push(UPSERT_LEVELS);
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// PostgreSQL: each column bound as one array and the rows `UNNEST`ed from them, so a
/// statement is the same few parameters however many rows it upserts: a multi-row
/// `VALUES` of a batch's 1,000 levels bound 14,000 parameters, and PostgreSQL planned
/// and set up each of its expressions on every execution (see `ingest::postgres`).
pub(crate) mod postgres {
    summary_queries!(sqlx::Postgres);

    use sqlx::postgres::PgBindIterExt as _;

    use super::{LEVEL_COLUMNS, METER_COLUMNS};
    use crate::backend::parse_word_in;
    use crate::copy_out::{CopyOut, id_list};

    /// The columns [`daily_levels`] reads, as its errors name them.
    const READ_LEVEL_COLUMNS: &[&str] = &[
        "daily_levels.device_id",
        "daily_levels.day",
        "daily_levels.idx",
        "daily_levels.kind",
        "daily_levels.color",
        "daily_levels.description",
        "daily_levels.first_at",
        "daily_levels.first_percent",
        "daily_levels.last_at",
        "daily_levels.last_percent",
        "daily_levels.min_percent",
        "daily_levels.last_state",
        "daily_levels.last_serial",
        "daily_levels.last_part_number",
    ];

    /// SQLite's query, read as a binary COPY: a recompute reads a year of levels of every
    /// device this way (see `copy_out`).
    pub(crate) async fn daily_levels(
        pool: &Pool<Db>,
        devices: &[DeviceId],
        days: RangeInclusive<NaiveDate>,
    ) -> Result<Vec<DailyLevel>> {
        let mut levels = Vec::new();
        for chunk in devices.chunks(DEVICES_PER_QUERY) {
            let select = format!(
                "SELECT device_id, day, idx, kind, color, description, first_at, first_percent, \
                 last_at, last_percent, min_percent, last_state, last_serial, last_part_number \
                 FROM daily_levels WHERE device_id IN ({}) AND day >= DATE '{}' AND day <= DATE '{}'",
                id_list(chunk),
                days.start(),
                days.end()
            );
            let context = super::levels_context(devices.len(), &days);
            let mut rows = CopyOut::start(pool, &select, READ_LEVEL_COLUMNS, context).await?;
            while let Some(mut row) = rows.next().await? {
                levels.push(DailyLevel {
                    device_id: DeviceId(row.int8()?),
                    day: row.date()?,
                    index: stored_u32("daily_levels.idx", row.int8()?)?,
                    kind: row.text()?.to_owned(),
                    color: row.text_or_null()?.map(str::to_owned),
                    description: row.text()?.to_owned(),
                    first_at: row.timestamptz()?,
                    first_percent: stored_percent(
                        "daily_levels.first_percent",
                        row.int4_or_null()?,
                    )?,
                    last_at: row.timestamptz()?,
                    last_percent: stored_percent("daily_levels.last_percent", row.int4_or_null()?)?,
                    min_percent: stored_percent("daily_levels.min_percent", row.int4_or_null()?)?,
                    last_state: parse_word_in("daily_levels.last_state", row.text()?)?,
                    last_serial: row.text_or_null()?.map(str::to_owned),
                    last_part_number: row.text_or_null()?.map(str::to_owned),
                });
            }
        }
        super::sort_levels(&mut levels);
        Ok(levels)
    }

    /// Upserts the days a batch touched, in its transaction.
    pub(crate) async fn file(
        tx: &mut Transaction<'static, Db>,
        days: &DaySummaries<'_>,
    ) -> std::result::Result<(), sqlx::Error> {
        if !days.meters.is_empty() {
            let meters = || days.meters.iter();
            let mut upsert = QueryBuilder::<Db>::new(METER_COLUMNS);
            upsert
                .push("SELECT * FROM UNNEST($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .push(UPSERT_METERS);
            upsert
                .build()
                .bind(meters().map(|((device, _, _), _)| *device).bind_iter())
                .bind(meters().map(|((_, day, _), _)| *day).bind_iter())
                .bind(meters().map(|((_, _, counter), _)| *counter).bind_iter())
                .bind(meters().map(|(_, (first, _))| first.value).bind_iter())
                .bind(meters().map(|(_, (first, _))| first.at).bind_iter())
                .bind(meters().map(|(_, (first, _))| first.reading).bind_iter())
                .bind(meters().map(|(_, (_, last))| last.value).bind_iter())
                .bind(meters().map(|(_, (_, last))| last.at).bind_iter())
                .bind(meters().map(|(_, (_, last))| last.reading).bind_iter())
                .execute(&mut **tx)
                .await?;
        }
        if !days.levels.is_empty() {
            let levels = || days.levels.values();
            let mut upsert = QueryBuilder::<Db>::new(LEVEL_COLUMNS);
            upsert
                .push("SELECT * FROM UNNEST($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
                .push(UPSERT_LEVELS);
            upsert
                .build()
                .bind(days.levels.keys().map(|(device, _, _)| *device).bind_iter())
                .bind(days.levels.keys().map(|(_, day, _)| *day).bind_iter())
                .bind(
                    days.levels
                        .keys()
                        .map(|(_, _, index)| i64::from(*index))
                        .bind_iter(),
                )
                .bind(levels().map(|l| l.last.1.kind.as_str()).bind_iter())
                .bind(levels().map(|l| l.last.1.color.as_deref()).bind_iter())
                .bind(levels().map(|l| l.last.1.description.as_str()).bind_iter())
                .bind(levels().map(|l| l.first.0.0).bind_iter())
                .bind(levels().map(|l| l.first.1.map(i32::from)).bind_iter())
                .bind(levels().map(|l| l.last.0.0).bind_iter())
                .bind(
                    levels()
                        .map(|l| l.last.1.percent.map(i32::from))
                        .bind_iter(),
                )
                .bind(levels().map(|l| l.min_percent.map(i32::from)).bind_iter())
                .bind(levels().map(|l| word(&l.last.1.state)).bind_iter())
                .bind(levels().map(|l| l.last.1.serial.as_deref()).bind_iter())
                .bind(
                    levels()
                        .map(|l| l.last.1.part_number.as_deref())
                        .bind_iter(),
                )
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}
