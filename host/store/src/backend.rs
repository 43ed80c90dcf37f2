//! The queries, written once and instantiated per backend.
//!
//! SQLite and PostgreSQL accept the same SQL here (`$n` binds, `ON CONFLICT`,
//! `RETURNING`), and sqlx maps `DateTime<Utc>` and `Json` to each backend's own
//! column types, so one text serves both; a macro instantiates it for each pool
//! type because sqlx's generic executor bounds would cost more words than the queries.

use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer};

use crate::error::{Error, Result};

/// The device's identity key; the rule is documented in the crate doc.
pub(crate) fn identity_key(serial: Option<&str>, mac: Option<&str>, address: &str) -> String {
    fn present(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let mac = present(mac).map(|m| {
        m.chars()
            .filter(char::is_ascii_hexdigit)
            .collect::<String>()
            .to_ascii_lowercase()
    });
    match (present(serial), mac) {
        (Some(serial), Some(mac)) => format!("serial:{serial}/mac:{mac}"),
        (Some(serial), None) => format!("serial:{serial}"),
        (None, Some(mac)) => format!("mac:{mac}"),
        (None, None) => format!("address:{}", address.trim()),
    }
}

/// A model enum as the kebab-case word its serde form uses, so the column reads like the JSON.
pub(crate) fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(word)) => word,
        other => unreachable!("model enums serialise to a string, got {other:?}"),
    }
}

/// The inverse of [`word`], naming the column when the stored word is unknown. The word
/// is deserialised as it is, not through a JSON value: a recompute parses a supply state
/// per daily level row, and the copy and value were most of that.
pub(crate) fn parse_word<T: DeserializeOwned>(column: &'static str, value: String) -> Result<T> {
    let parsed: std::result::Result<T, serde::de::value::Error> =
        T::deserialize(value.as_str().into_deserializer());
    parsed.map_err(|e| Error::Corrupt {
        column,
        value,
        reason: e.to_string(),
    })
}

/// A stored row index back as the device's `u32`.
pub(crate) fn stored_u32(column: &'static str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|e| Error::Corrupt {
        column,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

/// Where an agent's reading came from: what places its device and what the agent saw replaced.
pub(crate) struct Origin<'a> {
    pub(crate) site: Option<crate::types::SiteId>,
    pub(crate) replaced: &'a [quire_protocol::SupplyReplacement],
}

/// What a batch writes besides each reading's own row, gathered while filing them: the
/// days they touch, written after them in a few multi-row statements (with SQLite every
/// statement is a hop to sqlx's worker thread, and two more per reading nearly halved
/// ingest), and the keyframes they were compressed against, remembered once committed.
#[derive(Default)]
pub(crate) struct BatchRows<'r> {
    /// Agents' readings with what their strategies made of them.
    pub(crate) assessed: Vec<crate::malfunctions::Assessed<'r>>,
    pub(crate) days: crate::summaries::DaySummaries<'r>,
    pub(crate) keyframes: std::collections::HashMap<
        crate::series::SeriesKey,
        std::sync::Arc<crate::series::Keyframe>,
    >,
}

/// The runs of consecutive numbers in `seqs` (sorted, distinct), as `(first, last)`.
pub(crate) fn runs(seqs: &[i64]) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &seq in seqs {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == seq => *last = seq,
            _ => runs.push((seq, seq)),
        }
    }
    runs
}

/// The reading's hrDeviceStatus as the `devices.status` word the device list filters on.
pub(crate) fn status(reading: &quire_model::Reading) -> Option<String> {
    reading.status.device.as_ref().map(word)
}

/// Rows per multi-row INSERT: the 14 binds of a daily level row keep a statement far below
/// SQLite's 32,766 and PostgreSQL's 65,535 bind limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 1_000;

/// An agent's sequence number as the BIGINT column holds it.
pub(crate) fn stored_seq(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::Invalid {
        field: "seq".into(),
        message: format!("sequence number {seq} is beyond 2^63"),
    })
}

macro_rules! queries {
    ($db:ty) => {
        use sqlx::types::Json;
        use sqlx::{Pool, QueryBuilder, Transaction};

        use crate::backend::{BatchRows, Origin, identity_key, runs, status, stored_seq, word};
        use crate::error::{Context, Error, Result};
        use crate::series::{Filed, Keyframe, Keyframes, SeriesKey, StoredKeyframe};
        use crate::types::*;

        type Db = $db;
        type Args = <Db as sqlx::Database>::Arguments;

        /// Runs an UPDATE of one row by its key: matching no row means there is no such
        /// row, which is [`Error::NotFound`] naming `what`.
        pub(crate) async fn update_one(
            pool: &Pool<Db>,
            update: sqlx::query::Query<'_, Db, Args>,
            what: impl std::fmt::Display,
            doing: impl FnOnce() -> String,
        ) -> Result<()> {
            let done = update.execute(pool).await.context(doing)?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: what.to_string() });
            }
            Ok(())
        }

        /// The row a lookup by key selects, or [`Error::NotFound`] naming `what`.
        pub(crate) async fn one_row(
            pool: &Pool<Db>,
            select: sqlx::query::Query<'_, Db, Args>,
            what: impl std::fmt::Display,
            doing: impl FnOnce() -> String,
        ) -> Result<<Db as sqlx::Database>::Row> {
            select
                .fetch_optional(pool)
                .await
                .context(doing)?
                .ok_or_else(|| Error::NotFound { what: what.to_string() })
        }

        /// One page of the rows `select` reads, its last two binds (`LIMIT`, `OFFSET`)
        /// bound here after the caller's own.
        pub(crate) async fn page_of(
            pool: &Pool<Db>,
            select: sqlx::query::Query<'_, Db, Args>,
            page: Page,
            doing: impl FnOnce() -> String,
        ) -> Result<Vec<<Db as sqlx::Database>::Row>> {
            let (limit, offset) = page.binds();
            select.bind(limit).bind(offset).fetch_all(pool).await.context(doing)
        }

        pub(crate) async fn migrate(pool: &Pool<Db>) -> Result<(), sqlx::migrate::MigrateError> {
            MIGRATOR.run(pool).await
        }

        pub(crate) async fn create_account(
            pool: &Pool<Db>,
            name: &str,
            parent: Option<AccountId>,
            is_dealer: bool,
        ) -> Result<AccountId> {
            sqlx::query_scalar(
                "INSERT INTO accounts (parent_id, name, is_dealer) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(parent.map(|p| p.0))
            .bind(name)
            .bind(is_dealer)
            .fetch_one(pool)
            .await
            .map(AccountId)
            .context(|| format!("creating account `{name}`"))
        }

        pub(crate) async fn create_site(
            pool: &Pool<Db>,
            account: AccountId,
            name: &str,
        ) -> Result<SiteId> {
            sqlx::query_scalar(
                "INSERT INTO sites (account_id, name) VALUES ($1, $2) RETURNING id",
            )
            .bind(account.0)
            .bind(name)
            .fetch_one(pool)
            .await
            .map(SiteId)
            .context(|| format!("creating site `{name}` in {account}"))
        }

        pub(crate) async fn ingest_batch(
            pool: &Pool<Db>,
            items: &[Ingest<'_>],
            keyframes: &Keyframes,
        ) -> Result<Vec<IngestOutcome>> {
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(|| "starting ingest".into())?;
            let mut outcomes = Vec::with_capacity(items.len());
            let mut rows = BatchRows::default();
            for item in items {
                outcomes.push(ingest_one(&mut tx, item, None, keyframes, &mut rows).await?);
            }
            summaries::file(&mut tx, &rows.days).await.context(|| format!("filing the daily summaries of {} readings", items.len()))?;
            tx.commit().await.context(|| format!("committing {} readings", items.len()))?;
            keyframes.remember_latest(rows.keyframes);
            Ok(outcomes)
        }

        pub(crate) async fn ingest_upload(
            pool: &Pool<Db>,
            agent: &str,
            items: &[AgentIngest<'_>],
            keyframes: &Keyframes,
        ) -> Result<UploadOutcome> {
            let context = || format!("filing an upload of {} readings from agent {agent}", items.len());
            let mut outcome = UploadOutcome::default();
            let (Some(first), Some(last)) = (
                items.iter().map(|i| i.seq).min(),
                items.iter().map(|i| i.seq).max(),
            ) else {
                return Ok(outcome);
            };
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            // Taken inside the write transaction, with the agent's uploads serialised, so no
            // concurrent retry of the same upload can file a sequence number between this
            // look and the inserts.
            sqlx::query(LOCK_AGENT_UPLOADS).bind(agent).execute(&mut *tx).await.context(context)?;
            let filed: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT first_seq, last_seq FROM agent_seq_runs \
                 WHERE agent_id = $1 AND last_seq >= $2 AND first_seq <= $3",
            )
            .bind(agent)
            .bind(stored_seq(first)?)
            .bind(stored_seq(last)?)
            .fetch_all(&mut *tx)
            .await
            .context(context)?;
            let mut seen = std::collections::BTreeSet::new();
            let mut rows = BatchRows::default();
            for item in items {
                let seq = stored_seq(item.seq)?;
                if filed.iter().any(|&(a, b)| (a..=b).contains(&seq)) || !seen.insert(seq) {
                    outcome.duplicates += 1;
                    continue;
                }
                let origin = Origin { site: item.site, replaced: item.replaced };
                let filed = ingest_one(&mut tx, &item.ingest, Some(&origin), keyframes, &mut rows).await?;
                rows.assessed.push(crate::malfunctions::Assessed::of(&item.ingest, filed, item.assessments));
                outcome.filed += 1;
            }
            summaries::file(&mut tx, &rows.days).await.context(context)?;
            malfunctions::file(&mut tx, &rows.assessed).await?;
            let seqs: Vec<i64> = seen.into_iter().collect();
            for (first, last) in runs(&seqs) {
                file_seq_run(&mut tx, agent, first, last).await.context(context)?;
            }
            tx.commit().await.context(context)?;
            keyframes.remember_latest(rows.keyframes);
            Ok(outcome)
        }

        /// Adds `first..=last` to the agent's filed runs, merged with the runs it touches.
        async fn file_seq_run(
            tx: &mut Transaction<'static, Db>,
            agent: &str,
            first: i64,
            last: i64,
        ) -> std::result::Result<(), sqlx::Error> {
            let touching: Vec<(i64, i64)> = sqlx::query_as(
                "DELETE FROM agent_seq_runs WHERE agent_id = $1 AND last_seq >= $2 AND first_seq <= $3 \
                 RETURNING first_seq, last_seq",
            )
            .bind(agent)
            .bind(first - 1)
            .bind(last + 1)
            .fetch_all(&mut **tx)
            .await?;
            let first = touching.iter().map(|r| r.0).fold(first, i64::min);
            let last = touching.iter().map(|r| r.1).fold(last, i64::max);
            sqlx::query("INSERT INTO agent_seq_runs (agent_id, first_seq, last_seq) VALUES ($1, $2, $3)")
                .bind(agent)
                .bind(first)
                .bind(last)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        /// Device, address, reading and its series: the caller's transaction makes them one.
        async fn ingest_one<'r>(
            tx: &mut Transaction<'static, Db>,
            item: &Ingest<'r>,
            origin: Option<&Origin<'_>>,
            keyframes: &Keyframes,
            rows: &mut BatchRows<'r>,
        ) -> Result<IngestOutcome> {
            let identity = &item.reading.identity;
            let key = identity_key(identity.serial.as_deref(), identity.mac.as_deref(), item.address);
            let context = || format!("ingesting the reading of `{}` at {}", key, item.address);

            // Known devices are the common case, so try the update first; insert only
            // when it matched nothing, and update again if a concurrent ingest won the insert.
            let mut new_device = false;
            let site = origin.and_then(|o| o.site).map(|s| s.0);
            let mut device = write_device(tx, UPDATE_DEVICE, item, &key, site).await.context(context)?;
            if device.is_none() {
                device = write_device(tx, INSERT_DEVICE, item, &key, site).await.context(context)?;
                new_device = device.is_some();
            }
            let device = match device {
                Some(id) => id,
                None => write_device(tx, UPDATE_DEVICE, item, &key, site)
                    .await
                    .context(context)?
                    .ok_or_else(|| Error::NotFound { what: format!("device `{key}` after insert") })?,
            };

            sqlx::query(
                "INSERT INTO device_addresses (device_id, address, first_seen, last_seen) \
                 VALUES ($1, $2, $3, $3) ON CONFLICT (device_id, address) DO UPDATE SET \
                 last_seen = CASE WHEN excluded.last_seen > device_addresses.last_seen \
                 THEN excluded.last_seen ELSE device_addresses.last_seen END",
            )
            .bind(device)
            .bind(item.address)
            .bind(item.taken_at)
            .execute(&mut **tx)
            .await
            .context(context)?;

            let json = serde_json::to_string(item.reading).expect("a reading serialises to JSON");
            let series = SeriesKey { device, cycle: item.cycle, strategy: item.strategy.clone() };
            let (series, filed) = series_body(tx, series, item, &json, keyframes, rows).await?;
            let reading: i64 = sqlx::query_scalar(
                "INSERT INTO readings (device_id, taken_at, series_id, body, snmprec_z, exchanges_z) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(device)
            .bind(item.taken_at)
            .bind(series)
            .bind(filed.body)
            .bind(filed.snmprec)
            .bind(filed.exchanges)
            .fetch_one(&mut **tx)
            .await
            .context(context)?;

            rows.days.add(device, reading, item.taken_at, item.reading);
            if let Some(origin) = origin.filter(|o| !o.replaced.is_empty()) {
                let mut insert = QueryBuilder::<Db>::new(
                    "INSERT INTO supply_replacements (device_id, reading_id, idx, description, evidence) ",
                );
                insert.push_values(origin.replaced, |mut row, r| {
                    row.push_bind(device)
                        .push_bind(reading)
                        .push_bind(i64::from(r.index))
                        .push_bind(&r.description)
                        .push_bind(Json(&r.evidence));
                });
                insert.build().execute(&mut **tx).await.context(context)?;
            }
            Ok(IngestOutcome {
                device_id: DeviceId(device),
                reading_id: ReadingId(reading),
                new_device,
            })
        }

        /// The series a reading joins and what it files there: the latest series of its
        /// key (from this batch, this process, or the database) when the reading fits its
        /// keyframe, else a new series it opens.
        async fn series_body(
            tx: &mut Transaction<'static, Db>,
            key: SeriesKey,
            item: &Ingest<'_>,
            json: &str,
            keyframes: &Keyframes,
            rows: &mut BatchRows<'_>,
        ) -> Result<(i64, Filed)> {
            let context = || format!("finding the reading series of device {}", key.device);
            let mut latest = rows.keyframes.get(&key).cloned().or_else(|| keyframes.latest(&key));
            if latest.is_none() {
                let stored: Option<(i64, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>)> = sqlx::query_as(
                    "SELECT id, keyframe, snmprec_keyframe, exchanges_keyframe FROM reading_series \
                     WHERE device_id = $1 AND cycle = $2 AND strategy_name = $3 \
                     AND strategy_version = $4 AND keyframe IS NOT NULL ORDER BY id DESC LIMIT 1",
                )
                .bind(key.device)
                .bind(word(&key.cycle))
                .bind(&key.strategy.name)
                .bind(&key.strategy.version)
                .fetch_optional(&mut **tx)
                .await
                .context(context)?;
                latest = stored
                    .map(|(id, json, snmprec, exchanges)| {
                        Keyframe::from_stored(id, StoredKeyframe { json, snmprec, exchanges })
                    })
                    .transpose()?
                    .map(std::sync::Arc::new);
            }
            if let Some(keyframe) = latest {
                if let Some(filed) = keyframe.file(json, item.raw, item.exchanges) {
                    rows.keyframes.insert(key, keyframe.clone());
                    return Ok((keyframe.id, filed));
                }
            }
            let stored = StoredKeyframe::of(json, item.raw, item.exchanges);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO reading_series (device_id, cycle, strategy_name, strategy_version, \
                 keyframe, snmprec_keyframe, exchanges_keyframe) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(key.device)
            .bind(word(&key.cycle))
            .bind(&key.strategy.name)
            .bind(&key.strategy.version)
            .bind(&stored.json)
            .bind(stored.snmprec.as_deref())
            .bind(stored.exchanges.as_deref())
            .fetch_one(&mut **tx)
            .await
            .context(context)?;
            let keyframe = std::sync::Arc::new(Keyframe::from_stored(id, stored)?);
            let (filed, _) = keyframe.encode(json, item.raw, item.exchanges);
            rows.keyframes.insert(key, keyframe);
            Ok((id, filed))
        }

        /// Files a device first seen; nothing when a concurrent ingest filed it meanwhile.
        const INSERT_DEVICE: &str = "INSERT INTO devices (account_id, identity, serial, mac, manufacturer, model, \
             first_seen, last_seen, strategy_name, strategy_version, site_id, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11) \
             ON CONFLICT (account_id, identity) DO NOTHING RETURNING id";

        /// Refreshes a known device from a reading; what the reading does not say is kept,
        /// and an older reading delivered late does not move `last_seen` or the strategy back.
        const UPDATE_DEVICE: &str = "UPDATE devices SET serial = COALESCE($3, serial), mac = COALESCE($4, mac), \
             manufacturer = COALESCE($5, manufacturer), model = COALESCE($6, model), \
             strategy_name = CASE WHEN $7 >= last_seen THEN $8 ELSE strategy_name END, \
             strategy_version = CASE WHEN $7 >= last_seen THEN $9 ELSE strategy_version END, \
             last_seen = CASE WHEN $7 > last_seen THEN $7 ELSE last_seen END, \
             status = CASE WHEN $7 >= last_seen THEN $11 ELSE status END, \
             site_id = COALESCE($10, site_id) \
             WHERE account_id = $1 AND identity = $2 RETURNING id";

        /// Runs [`INSERT_DEVICE`] or [`UPDATE_DEVICE`], which number the reading's facts
        /// alike, and returns the device's id unless it matched nothing.
        async fn write_device(
            tx: &mut Transaction<'static, Db>,
            sql: &'static str,
            item: &Ingest<'_>,
            key: &str,
            site: Option<i64>,
        ) -> Result<Option<i64>, sqlx::Error> {
            let identity = &item.reading.identity;
            sqlx::query_scalar(sql)
                .bind(item.account.0)
                .bind(key)
                .bind(identity.serial.as_deref())
                .bind(identity.mac.as_deref())
                .bind(identity.manufacturer.as_deref())
                .bind(identity.model.as_deref())
                .bind(item.taken_at)
                .bind(&item.strategy.name)
                .bind(&item.strategy.version)
                .bind(site)
                .bind(status(item.reading))
                .fetch_optional(&mut **tx)
                .await
        }
    };
}

pub(crate) use queries;

/// SQLite: one file, WAL mode.
pub(crate) mod sqlite {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    /// Takes the write lock at once: a transaction that reads first could not upgrade
    /// when another writer committed meanwhile, and would fail instead of waiting.
    pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
    /// `BEGIN IMMEDIATE` serialises every writer already; this only reads the agent.
    const LOCK_AGENT_UPLOADS: &str = "SELECT id FROM agents WHERE id = $1";
    use crate::malfunctions::sqlite as malfunctions;
    use crate::summaries::sqlite as summaries;
    super::queries!(sqlx::Sqlite);
}

/// PostgreSQL: for installations beyond one process.
pub(crate) mod postgres {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    pub(crate) const BEGIN_WRITE: &str = "BEGIN";
    /// Serialises one agent's uploads (a retry can arrive while the first is being
    /// filed): the second waits, then finds the first's numbers filed.
    const LOCK_AGENT_UPLOADS: &str = "SELECT id FROM agents WHERE id = $1 FOR UPDATE";
    use crate::malfunctions::postgres as malfunctions;
    use crate::summaries::postgres as summaries;
    super::queries!(sqlx::Postgres);
}

#[cfg(test)]
mod tests {
    use quire_model::SupplyState;

    use super::*;

    #[test]
    fn a_stored_word_reads_back_and_an_unknown_one_names_its_column() {
        assert_eq!(
            parse_word::<SupplyState>("daily_levels.last_state", word(&SupplyState::Low)).unwrap(),
            SupplyState::Low
        );
        match parse_word::<SupplyState>("daily_levels.last_state", "sideways".into()) {
            Err(Error::Corrupt {
                column,
                value,
                reason,
            }) => {
                assert_eq!(
                    (column, value.as_str()),
                    ("daily_levels.last_state", "sideways")
                );
                assert!(reason.contains("unknown variant `sideways`"), "{reason}");
            }
            other => panic!("expected a corrupt column, got {other:?}"),
        }
    }
}
