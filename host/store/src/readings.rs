//! A reading kept whole: every exchange its read made, compressed, and the versions
//! later strategies made of it on the server.
//!
//! The exchange is what `quire record` writes — the SNMP part as `.snmprec`, the web,
//! NPAP and IPP part as `.exchanges.jsonl` — each zlib-compressed in its own column
//! (text that repeats itself: a tenth of its size or less). Readings filed before the
//! exchange was kept whole hold their `.snmprec` text uncompressed in `raw`, and read
//! back the same way.
//!
//! Re-reading never rewrites history: the row in `readings` is version 1, each stored
//! re-read adds the next version beside it naming the strategy that made it, and the
//! highest version is the one a reading is shown as.

use std::io::{Read as _, Write as _};

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use quire_model::{Reading, StrategyRef};

use crate::error::{Error, Result};
use crate::types::StoredReading;
use crate::{ReadingId, Store};

/// Everything a read asked the device, as `quire replay` reads it back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawExchange {
    /// The SNMP exchange as `.snmprec`.
    pub snmprec: Option<String>,
    /// The web, NPAP and IPP exchanges as `.exchanges.jsonl`.
    pub exchanges: Option<String>,
}

impl RawExchange {
    /// Whether nothing of the read was kept.
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
/// SQL stays a literal); the caller appends `WHERE`, `ORDER BY`, `LIMIT`.
macro_rules! latest_reading {
    () => {
        "SELECT r.id, r.device_id, r.taken_at, r.cycle, \
         COALESCE(v.strategy_name, r.strategy_name) AS strategy_name, \
         COALESCE(v.strategy_version, r.strategy_version) AS strategy_version, \
         COALESCE(v.reading, r.reading) AS reading, COALESCE(v.version, 1) AS version, \
         (r.raw IS NOT NULL OR r.snmprec_z IS NOT NULL OR r.exchanges_z IS NOT NULL) AS has_raw \
         FROM readings r LEFT JOIN reading_versions v ON v.reading_id = r.id \
         AND v.version = (SELECT MAX(version) FROM reading_versions WHERE reading_id = r.id) "
    };
}

pub(crate) use latest_reading;

macro_rules! reading_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use quire_model::{Reading, StrategyRef};
        use sqlx::types::Json;
        use sqlx::{Pool, Row};

        use crate::backend::$backend::one_row;
        use crate::backend::{parse_word, stored_u32};
        use crate::error::{Context, Error, Result};
        use crate::readings::{RawExchange, ReadingVersion, decompress};
        use crate::types::{DeviceId, ReadingId, StoredReading};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        /// A row of [`latest_reading`](crate::readings::latest_reading).
        pub(crate) fn stored_reading(row: &DbRow) -> Result<StoredReading> {
            let context = || "reading a stored reading".to_owned();
            let cycle: String = row.try_get("cycle").context(context)?;
            let Json(reading): Json<Reading> = row.try_get("reading").context(context)?;
            Ok(StoredReading {
                id: ReadingId(row.try_get("id").context(context)?),
                device_id: DeviceId(row.try_get("device_id").context(context)?),
                taken_at: row.try_get("taken_at").context(context)?,
                cycle: parse_word("readings.cycle", cycle)?,
                strategy: StrategyRef {
                    name: row.try_get("strategy_name").context(context)?,
                    version: row.try_get("strategy_version").context(context)?,
                },
                reading,
                version: stored_u32("reading_versions.version", row.try_get("version").context(context)?)?,
                has_raw: row.try_get("has_raw").context(context)?,
            })
        }

        pub(crate) async fn reading(pool: &Pool<Db>, id: ReadingId) -> Result<StoredReading> {
            let select = sqlx::query(concat!(crate::readings::latest_reading!(), "WHERE r.id = $1"));
            stored_reading(&one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?)
        }

        pub(crate) async fn reading_raw(pool: &Pool<Db>, id: ReadingId) -> Result<RawExchange> {
            let context = || format!("reading the exchange of {id}");
            let select = sqlx::query("SELECT raw, snmprec_z, exchanges_z FROM readings WHERE id = $1");
            let row = one_row(pool, select.bind(id.0), id, context).await?;
            let raw: Option<String> = row.try_get("raw").context(context)?;
            let snmprec: Option<Vec<u8>> = row.try_get("snmprec_z").context(context)?;
            let exchanges: Option<Vec<u8>> = row.try_get("exchanges_z").context(context)?;
            Ok(RawExchange {
                snmprec: match snmprec {
                    Some(bytes) => Some(decompress("readings.snmprec_z", &bytes)?),
                    None => raw,
                },
                exchanges: exchanges
                    .map(|bytes| decompress("readings.exchanges_z", &bytes))
                    .transpose()?,
            })
        }

        pub(crate) async fn add_reading_version(
            pool: &Pool<Db>,
            id: ReadingId,
            strategy: &StrategyRef,
            reading: &Reading,
            made_at: DateTime<Utc>,
        ) -> Result<u32> {
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
            .fetch_one(pool)
            .await
            .context(|| format!("filing a new version of {id} by {strategy}"))?;
            stored_u32("reading_versions.version", version)
        }

        pub(crate) async fn reading_versions(
            pool: &Pool<Db>,
            id: ReadingId,
        ) -> Result<Vec<ReadingVersion>> {
            let context = || format!("reading the versions of {id}");
            let rows = sqlx::query(
                "SELECT 1 AS version, strategy_name, strategy_version, reading, taken_at AS made_at \
                 FROM readings WHERE id = $1 \
                 UNION ALL SELECT version, strategy_name, strategy_version, reading, made_at \
                 FROM reading_versions WHERE reading_id = $1 ORDER BY version",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await
            .context(context)?;
            if rows.is_empty() {
                return Err(Error::NotFound { what: id.to_string() });
            }
            rows.iter()
                .map(|row| {
                    let Json(reading): Json<Reading> = row.try_get("reading").context(context)?;
                    Ok(ReadingVersion {
                        version: stored_u32("reading_versions.version", row.try_get("version").context(context)?)?,
                        strategy: StrategyRef {
                            name: row.try_get("strategy_name").context(context)?,
                            version: row.try_get("strategy_version").context(context)?,
                        },
                        reading,
                        made_at: row.try_get("made_at").context(context)?,
                    })
                })
                .collect()
        }
    };
}

impl Store {
    /// One reading in its latest version, or [`Error::NotFound`].
    pub async fn reading(&self, id: ReadingId) -> Result<StoredReading> {
        dispatch!(self.reading(id))
    }

    /// Everything the read of a reading asked the device; empty when it was filed
    /// without its exchange.
    pub async fn reading_raw(&self, id: ReadingId) -> Result<RawExchange> {
        dispatch!(self.reading_raw(id))
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
        dispatch!(self.reading_versions(id))
    }
}

pub(crate) mod sqlite {
    reading_queries!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    reading_queries!(sqlx::Postgres, postgres);
}
