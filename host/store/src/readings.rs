//! A reading kept for years: its JSON as a body compressed against its series' keyframe
//! (`series.rs`), read back whole by every query here — one reading, a device's page, the
//! supply and alert histories — and, until retention removes it, every exchange its read
//! made, compressed; the versions later strategies made of it on the server.
//!
//! The exchange is what `quire record` writes — the SNMP part as `.snmprec`, the web,
//! NPAP and IPP part as `.exchanges.jsonl` — each zlib-compressed in its own column
//! against the series' keyframe. Readings filed before the exchange was kept whole hold
//! their `.snmprec` as plain text, and read back the same way.
//!
//! Re-reading never rewrites history: the row in `readings` is version 1, each stored
//! re-read adds the next version beside it naming the strategy that made it, and the
//! highest version is the one a reading is shown as. The supply and alert histories are
//! version 1's, as the agent read them.

use std::io::{Read as _, Write as _};

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use quire_model::{Cycle, Reading, StrategyRef};

use crate::error::{Error, Result};
use crate::types::{AlertRecord, DeviceId, Page, StoredReading, SupplyRecord};
use crate::{ReadingId, Store};

/// Everything a read asked the device, as `quire replay` reads it back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawExchange {
    /// The SNMP exchange as `.snmprec`.
    pub snmprec: Option<String>,
    /// The web, NPAP and IPP exchanges as `.exchanges.jsonl`.
    pub exchanges: Option<String>,
    /// Set when retention removed the exchange: the days it was kept, so a re-read can
    /// say why there is nothing to read.
    pub removed_after_days: Option<u32>,
}

impl RawExchange {
    /// Whether nothing of the read is kept (never, or no longer).
    pub fn is_empty(&self) -> bool {
        self.snmprec.is_none() && self.exchanges.is_none()
    }
}

/// One version of a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingVersion {
    /// 1 as the agent read it, one more for each stored re-read.
    pub version: u32,
    /// The strategy, and its version, that made it.
    pub strategy: StrategyRef,
    /// What it reads.
    pub reading: Reading,
    /// When it was made: the reading's time for version 1, the re-read's after.
    pub made_at: DateTime<Utc>,
}

/// A column's text as stored, compressed.
pub(crate) fn compress(text: &str) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(text.as_bytes())
        .expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}

/// The inverse of [`compress`], naming the column when the bytes are not what it wrote.
pub(crate) fn decompress(column: &'static str, bytes: &[u8]) -> Result<String> {
    let mut text = String::new();
    ZlibDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|e| Error::Corrupt {
            column,
            value: format!("{} compressed bytes", bytes.len()),
            reason: e.to_string(),
        })?;
    Ok(text)
}

/// What a reading query selects: each reading in its highest version (a macro, so the
/// SQL stays a literal); the caller appends `WHERE`, `ORDER BY`, `LIMIT`. Version 1 is
/// the row's body, decoded with its series' keyframe; a re-read's is its own JSON.
macro_rules! latest_reading {
    () => {
        "SELECT r.id, r.device_id, r.taken_at, s.cycle, \
         COALESCE(v.strategy_name, s.strategy_name) AS strategy_name, \
         COALESCE(v.strategy_version, s.strategy_version) AS strategy_version, \
         v.reading AS reread, r.series_id, r.body, COALESCE(v.version, 1) AS version, \
         (r.snmprec_z IS NOT NULL OR r.exchanges_z IS NOT NULL) AS has_raw \
         FROM readings r JOIN reading_series s ON s.id = r.series_id \
         LEFT JOIN reading_versions v ON v.reading_id = r.id \
         AND v.version = (SELECT MAX(version) FROM reading_versions WHERE reading_id = r.id) "
    };
}

pub(crate) use latest_reading;

/// Readings a history decodes per query, walking a device's readings oldest first.
const READINGS_PER_CHUNK: i64 = 512;

/// The part of a reading's JSON a supply history reads.
#[derive(serde::Deserialize)]
struct Supplies {
    #[serde(default)]
    supplies: Vec<quire_model::Supply>,
}

/// The part of a reading's JSON an alert history reads.
#[derive(serde::Deserialize)]
struct Alerts {
    #[serde(default)]
    alerts: Vec<quire_model::DeviceAlert>,
}

/// Rows of a history kept while walking readings: `offset` skipped, then up to `limit`.
struct PageFill<T> {
    skip: u64,
    limit: u64,
    rows: Vec<T>,
}

impl<T> PageFill<T> {
    fn new(page: crate::types::Page) -> PageFill<T> {
        PageFill {
            skip: page.offset,
            limit: page.limit,
            rows: Vec::new(),
        }
    }

    /// Takes `row` unless it is skipped; whether the page wants more.
    fn offer(&mut self, row: T) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
        } else if (self.rows.len() as u64) < self.limit {
            self.rows.push(row);
        }
        (self.rows.len() as u64) < self.limit
    }
}

macro_rules! reading_queries {
    ($db:ty, $backend:ident) => {
        use std::sync::Arc;

        use chrono::{DateTime, Utc};
        use quire_model::{Cycle, Reading, StrategyRef};
        use sqlx::types::Json;
        use sqlx::{Pool, QueryBuilder, Row};

        use crate::backend::$backend::{BEGIN_WRITE, one_row, page_of};
        use crate::backend::{parse_word, stored_u32, word};
        use crate::error::{Context, Result};
        use crate::readings::{Alerts, PageFill, RawExchange, ReadingVersion, Supplies};
        use crate::series::{Keyframe, Keyframes, StoredKeyframe, decode, inflate_exchange};
        use crate::types::{AlertRecord, DeviceId, Page, ReadingId, StoredReading, SupplyRecord};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        /// Series `id`'s keyframe (`None`: its bodies are plain JSON), from this process's
        /// memory or the database.
        pub(crate) async fn keyframe(
            pool: &Pool<Db>,
            keyframes: &Keyframes,
            id: i64,
        ) -> Result<Option<Arc<Keyframe>>> {
            if let Some(known) = keyframes.by_id(id) {
                return Ok(known);
            }
            let context = || format!("reading the keyframe of reading series {id}");
            let (json, snmprec, exchanges): (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>) = sqlx::query_as(
                "SELECT keyframe, snmprec_keyframe, exchanges_keyframe FROM reading_series WHERE id = $1",
            )
            .bind(id)
            .fetch_one(pool)
            .await
            .context(context)?;
            let keyframe = json
                .map(|json| Keyframe::from_stored(id, StoredKeyframe { json, snmprec, exchanges }))
                .transpose()?
                .map(Arc::new);
            keyframes.remember_id(id, keyframe.clone());
            Ok(keyframe)
        }

        /// A reading's version-1 JSON from its row's `id`, `series_id` and `body`, as `T`.
        async fn body<T: serde::de::DeserializeOwned>(
            pool: &Pool<Db>,
            keyframes: &Keyframes,
            row: &DbRow,
        ) -> Result<T> {
            let context = || "reading a stored reading's body".to_owned();
            let id: i64 = row.try_get("id").context(context)?;
            let series: i64 = row.try_get("series_id").context(context)?;
            let body: Vec<u8> = row.try_get("body").context(context)?;
            let keyframe = keyframe(pool, keyframes, series).await?;
            decode(id, keyframe.as_deref(), &body)
        }

        /// Rows of [`latest_reading`](crate::readings::latest_reading) as readings.
        pub(crate) async fn stored_readings(
            pool: &Pool<Db>,
            keyframes: &Keyframes,
            rows: &[DbRow],
        ) -> Result<Vec<StoredReading>> {
            let context = || "reading a stored reading".to_owned();
            let mut readings = Vec::with_capacity(rows.len());
            for row in rows {
                let cycle: String = row.try_get("cycle").context(context)?;
                let reread: Option<Json<Reading>> = row.try_get("reread").context(context)?;
                let reading = match reread {
                    Some(Json(reading)) => reading,
                    None => body(pool, keyframes, row).await?,
                };
                readings.push(StoredReading {
                    id: ReadingId(row.try_get("id").context(context)?),
                    device_id: DeviceId(row.try_get("device_id").context(context)?),
                    taken_at: row.try_get("taken_at").context(context)?,
                    cycle: parse_word("reading_series.cycle", cycle)?,
                    strategy: StrategyRef {
                        name: row.try_get("strategy_name").context(context)?,
                        version: row.try_get("strategy_version").context(context)?,
                    },
                    reading,
                    version: stored_u32("reading_versions.version", row.try_get("version").context(context)?)?,
                    has_raw: row.try_get("has_raw").context(context)?,
                });
            }
            Ok(readings)
        }

        pub(crate) async fn reading(pool: &Pool<Db>, id: ReadingId, keyframes: &Keyframes) -> Result<StoredReading> {
            let select = sqlx::query(concat!(crate::readings::latest_reading!(), "WHERE r.id = $1"));
            let row = one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?;
            Ok(stored_readings(pool, keyframes, std::slice::from_ref(&row)).await?.remove(0))
        }

        pub(crate) async fn readings(
            pool: &Pool<Db>,
            device: DeviceId,
            page: Page,
            keyframes: &Keyframes,
        ) -> Result<Vec<StoredReading>> {
            let select = sqlx::query(concat!(
                crate::readings::latest_reading!(),
                "WHERE r.device_id = $1 ORDER BY r.taken_at DESC, r.id DESC LIMIT $2 OFFSET $3"
            ));
            let rows = page_of(pool, select.bind(device.0), page, || format!("reading the readings of {device}")).await?;
            stored_readings(pool, keyframes, &rows).await
        }

        pub(crate) async fn latest_readings_of(
            pool: &Pool<Db>,
            devices: &[DeviceId],
            cycle: Cycle,
            keyframes: &Keyframes,
        ) -> Result<Vec<StoredReading>> {
            let mut readings = Vec::new();
            for chunk in devices.chunks(crate::summaries::DEVICES_PER_QUERY) {
                // Each device's newest reading of the cycle, found walking its readings'
                // (device, time) index back from the newest.
                let mut query = QueryBuilder::<Db>::new(concat!(
                    crate::readings::latest_reading!(),
                    "WHERE r.id IN (SELECT (SELECT l.id FROM readings l \
                     JOIN reading_series ls ON ls.id = l.series_id \
                     WHERE l.device_id = d.id AND ls.cycle = "
                ));
                query.push_bind(word(&cycle)).push(
                    " ORDER BY l.taken_at DESC, l.id DESC LIMIT 1) FROM devices d WHERE d.id IN (",
                );
                let mut ids = query.separated(", ");
                for device in chunk {
                    ids.push_bind(device.0);
                }
                query.push(")) ORDER BY r.device_id");
                let rows = query.build().fetch_all(pool).await.context(|| {
                    format!("reading the latest {} readings of {} devices", word(&cycle), chunk.len())
                })?;
                readings.extend(stored_readings(pool, keyframes, &rows).await?);
            }
            Ok(readings)
        }

        /// Walks `device`'s readings oldest first (by time, then id), a chunk per query,
        /// handing `visit` each one's id, time and version-1 JSON as `T` until it has enough.
        async fn walk<T: serde::de::DeserializeOwned>(
            pool: &Pool<Db>,
            keyframes: &Keyframes,
            device: DeviceId,
            mut visit: impl FnMut(ReadingId, DateTime<Utc>, T) -> bool,
        ) -> Result<()> {
            let context = || format!("walking the readings of {device}");
            let mut after: Option<(DateTime<Utc>, i64)> = None;
            loop {
                let select = match after {
                    None => sqlx::query(
                        "SELECT id, taken_at, series_id, body FROM readings WHERE device_id = $1 \
                         ORDER BY taken_at, id LIMIT $2",
                    )
                    .bind(device.0)
                    .bind(crate::readings::READINGS_PER_CHUNK),
                    Some((taken_at, id)) => sqlx::query(
                        "SELECT id, taken_at, series_id, body FROM readings WHERE device_id = $1 \
                         AND taken_at >= $2 AND (taken_at > $2 OR id > $3) \
                         ORDER BY taken_at, id LIMIT $4",
                    )
                    .bind(device.0)
                    .bind(taken_at)
                    .bind(id)
                    .bind(crate::readings::READINGS_PER_CHUNK),
                };
                let rows = select.fetch_all(pool).await.context(context)?;
                for row in &rows {
                    let id: i64 = row.try_get("id").context(context)?;
                    let taken_at: DateTime<Utc> = row.try_get("taken_at").context(context)?;
                    if !visit(ReadingId(id), taken_at, body(pool, keyframes, row).await?) {
                        return Ok(());
                    }
                    after = Some((taken_at, id));
                }
                if (rows.len() as i64) < crate::readings::READINGS_PER_CHUNK {
                    return Ok(());
                }
            }
        }

        pub(crate) async fn supply_history(
            pool: &Pool<Db>,
            device: DeviceId,
            index: u32,
            page: Page,
            keyframes: &Keyframes,
        ) -> Result<Vec<SupplyRecord>> {
            let mut fill = PageFill::new(page);
            if page.limit > 0 {
                walk(pool, keyframes, device, |reading_id, taken_at, read: Supplies| {
                    let Some(supply) = read.supplies.into_iter().find(|s| s.index == index) else {
                        return true;
                    };
                    fill.offer(SupplyRecord {
                        reading_id,
                        taken_at,
                        index,
                        description: supply.description,
                        kind: supply.kind,
                        color: supply.color,
                        level: supply.level,
                        max: supply.max,
                        percent: supply.percent,
                        state: supply.state,
                        serial: supply.serial,
                    })
                })
                .await?;
            }
            Ok(fill.rows)
        }

        pub(crate) async fn alert_history(
            pool: &Pool<Db>,
            device: DeviceId,
            page: Page,
            keyframes: &Keyframes,
        ) -> Result<Vec<AlertRecord>> {
            let mut fill = PageFill::new(page);
            if page.limit > 0 {
                walk(pool, keyframes, device, |reading_id, taken_at, mut read: Alerts| {
                    read.alerts.sort_by_key(|a| a.index);
                    read.alerts.into_iter().all(|alert| {
                        fill.offer(AlertRecord {
                            reading_id,
                            taken_at,
                            index: alert.index,
                            code: alert.code,
                            severity: alert.severity,
                            group: alert.group,
                            description: alert.description,
                        })
                    })
                })
                .await?;
            }
            Ok(fill.rows)
        }

        pub(crate) async fn reading_raw(pool: &Pool<Db>, id: ReadingId, keyframes: &Keyframes) -> Result<RawExchange> {
            let context = || format!("reading the exchange of {id}");
            let select = sqlx::query(
                "SELECT series_id, snmprec_z, exchanges_z, raw_kept_days FROM readings WHERE id = $1",
            );
            let row = one_row(pool, select.bind(id.0), id, context).await?;
            let snmprec: Option<Vec<u8>> = row.try_get("snmprec_z").context(context)?;
            let exchanges: Option<Vec<u8>> = row.try_get("exchanges_z").context(context)?;
            let kept_days: Option<i16> = row.try_get("raw_kept_days").context(context)?;
            let keyframe = match (&snmprec, &exchanges) {
                (None, None) => None,
                _ => keyframe(pool, keyframes, row.try_get("series_id").context(context)?).await?,
            };
            let keyframe = keyframe.as_deref();
            let inflate = |column, bytes: Option<Vec<u8>>, dictionary: Option<&[u8]>| {
                bytes.map(|bytes| inflate_exchange(column, &bytes, dictionary)).transpose()
            };
            Ok(RawExchange {
                snmprec: inflate("readings.snmprec_z", snmprec, keyframe.and_then(|k| k.snmprec.as_ref()).map(|e| e.stored.as_slice()))?,
                exchanges: inflate("readings.exchanges_z", exchanges, keyframe.and_then(|k| k.exchanges.as_ref()).map(|e| e.stored.as_slice()))?,
                removed_after_days: kept_days.map(|days| u32::from(days.unsigned_abs())),
            })
        }

        pub(crate) async fn add_reading_version(
            pool: &Pool<Db>,
            id: ReadingId,
            strategy: &StrategyRef,
            reading: &Reading,
            made_at: DateTime<Utc>,
        ) -> Result<u32> {
            let context = || format!("filing a new version of {id} by {strategy}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let version: i64 = sqlx::query_scalar(
                "INSERT INTO reading_versions (reading_id, version, strategy_name, \
                 strategy_version, reading, made_at) \
                 SELECT $1, COALESCE(MAX(version), 1) + 1, $2, $3, $4, $5 \
                 FROM reading_versions WHERE reading_id = $1 RETURNING version",
            )
            .bind(id.0)
            .bind(&strategy.name)
            .bind(&strategy.version)
            .bind(Json(reading))
            .bind(made_at)
            .fetch_one(&mut *tx)
            .await
            .context(context)?;
            // Pages are counted from the daily meters: where this reading is a day's first
            // or last mark of a counter, the mark now says what the new version read.
            let (device, taken_at): (i64, DateTime<Utc>) =
                sqlx::query_as("SELECT device_id, taken_at FROM readings WHERE id = $1")
                    .bind(id.0)
                    .fetch_one(&mut *tx)
                    .await
                    .context(context)?;
            for (counter, &value) in &reading.counters {
                let Ok(value) = i64::try_from(value) else { continue };
                for update in [
                    "UPDATE daily_meters SET first_value = $1 \
                     WHERE device_id = $2 AND day = $3 AND counter = $4 AND first_reading_id = $5",
                    "UPDATE daily_meters SET last_value = $1 \
                     WHERE device_id = $2 AND day = $3 AND counter = $4 AND last_reading_id = $5",
                ] {
                    sqlx::query(update)
                    .bind(value)
                    .bind(device)
                    .bind(taken_at.date_naive())
                    .bind(counter)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
                }
            }
            tx.commit().await.context(context)?;
            stored_u32("reading_versions.version", version)
        }

        pub(crate) async fn reading_versions(
            pool: &Pool<Db>,
            id: ReadingId,
            keyframes: &Keyframes,
        ) -> Result<Vec<ReadingVersion>> {
            let context = || format!("reading the versions of {id}");
            let first = sqlx::query(
                "SELECT r.id, r.taken_at, r.series_id, r.body, s.strategy_name, s.strategy_version \
                 FROM readings r JOIN reading_series s ON s.id = r.series_id WHERE r.id = $1",
            );
            let first = one_row(pool, first.bind(id.0), id, context).await?;
            let mut versions = vec![ReadingVersion {
                version: 1,
                strategy: StrategyRef {
                    name: first.try_get("strategy_name").context(context)?,
                    version: first.try_get("strategy_version").context(context)?,
                },
                reading: body(pool, keyframes, &first).await?,
                made_at: first.try_get("taken_at").context(context)?,
            }];
            let rows = sqlx::query(
                "SELECT version, strategy_name, strategy_version, reading, made_at \
                 FROM reading_versions WHERE reading_id = $1 ORDER BY version",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await
            .context(context)?;
            for row in &rows {
                let Json(reading): Json<Reading> = row.try_get("reading").context(context)?;
                versions.push(ReadingVersion {
                    version: stored_u32("reading_versions.version", row.try_get("version").context(context)?)?,
                    strategy: StrategyRef {
                        name: row.try_get("strategy_name").context(context)?,
                        version: row.try_get("strategy_version").context(context)?,
                    },
                    reading,
                    made_at: row.try_get("made_at").context(context)?,
                });
            }
            Ok(versions)
        }
    };
}

impl Store {
    /// One reading in its latest version, or [`Error::NotFound`].
    pub async fn reading(&self, id: ReadingId) -> Result<StoredReading> {
        dispatch!(self.reading(id, &self.keyframes))
    }

    /// A page of a device's readings, newest first (a `u32` is the latest that many).
    pub async fn readings(
        &self,
        device: DeviceId,
        page: impl Into<Page>,
    ) -> Result<Vec<StoredReading>> {
        dispatch!(self.readings(device, page.into(), &self.keyframes))
    }

    /// The newest reading `cycle` took of each of `devices` that has one, in its latest
    /// version, by device: one query per 10,000 devices, where a page of
    /// [`Store::readings`] per device would be one each.
    pub async fn latest_readings_of(
        &self,
        devices: &[DeviceId],
        cycle: Cycle,
    ) -> Result<Vec<StoredReading>> {
        dispatch!(self.latest_readings_of(devices, cycle, &self.keyframes))
    }

    /// A page of one supply's levels over time, one point per reading that holds it,
    /// oldest first, as a graph draws them. Each point is read from its reading, so a
    /// deep page reads every reading before it; months are drawn from
    /// [`Store::daily_levels`].
    pub async fn supply_history(
        &self,
        device: DeviceId,
        index: u32,
        page: Page,
    ) -> Result<Vec<SupplyRecord>> {
        dispatch!(self.supply_history(device, index, page, &self.keyframes))
    }

    /// A page of a device's alert rows over time, oldest first, each reading's by index;
    /// read from the readings as [`Store::supply_history`] is.
    pub async fn alert_history(&self, device: DeviceId, page: Page) -> Result<Vec<AlertRecord>> {
        dispatch!(self.alert_history(device, page, &self.keyframes))
    }

    /// Everything the read of a reading asked the device; empty when it was filed
    /// without its exchange or retention removed it (then `removed_after_days` says so).
    pub async fn reading_raw(&self, id: ReadingId) -> Result<RawExchange> {
        dispatch!(self.reading_raw(id, &self.keyframes))
    }

    /// Files what `strategy` reads now from a reading's exchange as its next version,
    /// leaving every earlier one as it was; returns the new version's number.
    pub async fn add_reading_version(
        &self,
        id: ReadingId,
        strategy: &StrategyRef,
        reading: &Reading,
        made_at: DateTime<Utc>,
    ) -> Result<u32> {
        dispatch!(self.add_reading_version(id, strategy, reading, made_at))
    }

    /// Every version of a reading, the agent's first.
    pub async fn reading_versions(&self, id: ReadingId) -> Result<Vec<ReadingVersion>> {
        dispatch!(self.reading_versions(id, &self.keyframes))
    }
}

pub(crate) mod sqlite {
    reading_queries!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    reading_queries!(sqlx::Postgres, postgres);
}
