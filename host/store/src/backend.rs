//! The queries, written once and instantiated per backend.
//!
//! SQLite and PostgreSQL accept the same SQL here (`$n` binds, `ON CONFLICT`,
//! `RETURNING`), and sqlx maps `DateTime<Utc>` and `Json` to each backend's own
//! column types, so one text serves both; a macro instantiates it for each pool
//! type because sqlx's generic executor bounds would cost more words than the queries.

use serde::{Serialize, de::DeserializeOwned};

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

/// The inverse of [`word`], naming the column when the stored word is unknown.
pub(crate) fn parse_word<T: DeserializeOwned>(column: &'static str, value: String) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(value.clone())).map_err(|e| Error::Corrupt {
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

/// Where an agent's reading came from: what makes its upload exactly-once and places its device.
pub(crate) struct Origin<'a> {
    pub(crate) agent: &'a str,
    pub(crate) seq: i64,
    pub(crate) site: Option<crate::types::SiteId>,
    pub(crate) replaced: &'a [quire_protocol::SupplyReplacement],
}

/// The supply and alert rows of a batch's readings, written after them in a few multi-row
/// statements: with SQLite every statement is a hop to sqlx's worker thread, and two more
/// per reading nearly halved ingest.
#[derive(Default)]
pub(crate) struct BatchRows<'r> {
    /// (device, reading, supply).
    pub(crate) supplies: Vec<(i64, i64, &'r quire_model::Supply)>,
    /// (device, reading, alert).
    pub(crate) alerts: Vec<(i64, i64, &'r quire_model::DeviceAlert)>,
    /// Agents' readings with what their strategies made of them.
    pub(crate) assessed: Vec<crate::malfunctions::Assessed<'r>>,
}

/// The reading's hrDeviceStatus as the `devices.status` word the device list filters on.
pub(crate) fn status(reading: &quire_model::Reading) -> Option<String> {
    reading.status.device.as_ref().map(word)
}

/// Rows per multi-row INSERT: 11 binds a supply row keeps a statement far below SQLite's
/// 32,766 and PostgreSQL's 65,535 bind limits.
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
        use sqlx::{Pool, QueryBuilder, Row, Transaction};

        use crate::backend::{
            BatchRows, Origin, ROWS_PER_STATEMENT, identity_key, parse_word, status, stored_seq, stored_u32, word,
        };
        use crate::error::{Context, Error, Result};
        use crate::readings::compress;
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
        ) -> Result<Vec<IngestOutcome>> {
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(|| "starting ingest".into())?;
            let mut outcomes = Vec::with_capacity(items.len());
            let mut rows = BatchRows::default();
            for item in items {
                outcomes.push(ingest_one(&mut tx, item, None, &mut rows).await?);
            }
            insert_rows(&mut tx, &rows).await.context(|| format!("filing the supplies and alerts of {} readings", items.len()))?;
            tx.commit().await.context(|| format!("committing {} readings", items.len()))?;
            Ok(outcomes)
        }

        pub(crate) async fn ingest_upload(
            pool: &Pool<Db>,
            agent: &str,
            items: &[AgentIngest<'_>],
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
            // Taken inside the write transaction, so no concurrent retry of the same
            // upload can file a sequence number between this look and the inserts.
            let filed: std::collections::HashSet<i64> = sqlx::query_scalar(
                "SELECT agent_seq FROM readings WHERE agent_id = $1 AND agent_seq >= $2 AND agent_seq <= $3",
            )
            .bind(agent)
            .bind(stored_seq(first)?)
            .bind(stored_seq(last)?)
            .fetch_all(&mut *tx)
            .await
            .context(context)?
            .into_iter()
            .collect();
            let mut seen = std::collections::HashSet::new();
            let mut rows = BatchRows::default();
            for item in items {
                let seq = stored_seq(item.seq)?;
                if filed.contains(&seq) || !seen.insert(seq) {
                    outcome.duplicates += 1;
                    continue;
                }
                let origin = Origin { agent, seq, site: item.site, replaced: item.replaced };
                let filed = ingest_one(&mut tx, &item.ingest, Some(&origin), &mut rows).await?;
                rows.assessed.push(crate::malfunctions::Assessed::of(&item.ingest, filed, item.assessments));
                outcome.filed += 1;
            }
            insert_rows(&mut tx, &rows).await.context(context)?;
            malfunctions::file(&mut tx, &rows.assessed).await?;
            tx.commit().await.context(context)?;
            Ok(outcome)
        }

        /// Device, address, reading, supplies, alerts: the caller's transaction makes them one.
        async fn ingest_one<'r>(
            tx: &mut Transaction<'static, Db>,
            item: &Ingest<'r>,
            origin: Option<&Origin<'_>>,
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

            let reading: i64 = sqlx::query_scalar(
                "INSERT INTO readings (device_id, taken_at, cycle, strategy_name, strategy_version, \
                 reading, snmprec_z, exchanges_z, agent_id, agent_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(device)
            .bind(item.taken_at)
            .bind(word(&item.cycle))
            .bind(&item.strategy.name)
            .bind(&item.strategy.version)
            .bind(Json(item.reading))
            .bind(item.raw.map(compress))
            .bind(item.exchanges.map(compress))
            .bind(origin.map(|o| o.agent))
            .bind(origin.map(|o| o.seq))
            .fetch_one(&mut **tx)
            .await
            .context(context)?;

            rows.supplies.extend(item.reading.supplies.iter().map(|s| (device, reading, s)));
            rows.alerts.extend(item.reading.alerts.iter().map(|a| (device, reading, a)));
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

        /// Writes a batch's supplies and alerts in a few multi-row statements.
        async fn insert_rows(
            tx: &mut Transaction<'static, Db>,
            rows: &BatchRows<'_>,
        ) -> std::result::Result<(), sqlx::Error> {
            let supplies = "INSERT INTO supplies (device_id, reading_id, idx, description, kind, color, \
                 level, max_level, percent, state, serial) ";
            insert_chunked(tx, supplies, &rows.supplies, |row, s| {
                row.push_bind(i64::from(s.index))
                    .push_bind(&s.description)
                    .push_bind(&s.kind)
                    .push_bind(s.color.as_deref())
                    .push_bind(s.level)
                    .push_bind(s.max)
                    .push_bind(s.percent.map(i32::from))
                    .push_bind(word(&s.state))
                    .push_bind(s.serial.as_deref());
            })
            .await?;
            let alerts = "INSERT INTO alerts (device_id, reading_id, idx, code, severity, alert_group, description) ";
            insert_chunked(tx, alerts, &rows.alerts, |row, a| {
                row.push_bind(i64::from(a.index))
                    .push_bind(a.code)
                    .push_bind(word(&a.severity))
                    .push_bind(a.group.as_deref())
                    .push_bind(a.description.as_deref());
            })
            .await
        }

        /// Inserts `(device, reading, item)` rows [`ROWS_PER_STATEMENT`] to a statement:
        /// `insert` names the columns, the two ids first, and `bind` binds the item's own.
        async fn insert_chunked<T>(
            tx: &mut Transaction<'static, Db>,
            insert: &'static str,
            rows: &[(i64, i64, &T)],
            bind: impl Fn(&mut sqlx::query_builder::Separated<'_, Db, &'static str>, &T),
        ) -> std::result::Result<(), sqlx::Error> {
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let mut query = QueryBuilder::<Db>::new(insert);
                query.push_values(chunk, |mut row, (device, reading, item)| {
                    row.push_bind(*device).push_bind(*reading);
                    bind(&mut row, item);
                });
                query.build().execute(&mut **tx).await?;
            }
            Ok(())
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

        pub(crate) async fn readings(
            pool: &Pool<Db>,
            device: DeviceId,
            page: Page,
        ) -> Result<Vec<StoredReading>> {
            let select = sqlx::query(concat!(
                crate::readings::latest_reading!(),
                "WHERE r.device_id = $1 ORDER BY r.taken_at DESC, r.id DESC LIMIT $2 OFFSET $3"
            ));
            let rows = page_of(pool, select.bind(device.0), page, || format!("reading the readings of {device}")).await?;
            rows.iter().map(readings::stored_reading).collect()
        }

        pub(crate) async fn alert_history(
            pool: &Pool<Db>,
            device: DeviceId,
            page: Page,
        ) -> Result<Vec<AlertRecord>> {
            let context = || format!("reading the alert history of {device}");
            let select = sqlx::query(
                "SELECT a.reading_id, r.taken_at, a.idx, a.code, a.severity, a.alert_group, \
                 a.description FROM alerts a JOIN readings r ON r.id = a.reading_id \
                 WHERE a.device_id = $1 ORDER BY r.taken_at, a.reading_id, a.idx LIMIT $2 OFFSET $3",
            );
            let rows = page_of(pool, select.bind(device.0), page, context).await?;
            rows.iter()
                .map(|row| {
                    let severity: String = row.try_get("severity").context(context)?;
                    let stored_index: i64 = row.try_get("idx").context(context)?;
                    Ok(AlertRecord {
                        reading_id: ReadingId(row.try_get("reading_id").context(context)?),
                        taken_at: row.try_get("taken_at").context(context)?,
                        index: stored_u32("alerts.idx", stored_index)?,
                        code: row.try_get("code").context(context)?,
                        severity: parse_word("alerts.severity", severity)?,
                        group: row.try_get("alert_group").context(context)?,
                        description: row.try_get("description").context(context)?,
                    })
                })
                .collect()
        }

        pub(crate) async fn supply_history(
            pool: &Pool<Db>,
            device: DeviceId,
            index: u32,
            page: Page,
        ) -> Result<Vec<SupplyRecord>> {
            let context = || format!("reading the history of supply {index} of {device}");
            let select = sqlx::query(
                "SELECT s.reading_id, r.taken_at, s.idx, s.description, s.kind, s.color, s.level, \
                 s.max_level, s.percent, s.state, s.serial FROM supplies s \
                 JOIN readings r ON r.id = s.reading_id \
                 WHERE s.device_id = $1 AND s.idx = $2 ORDER BY r.taken_at, s.reading_id LIMIT $3 OFFSET $4",
            );
            let rows = page_of(pool, select.bind(device.0).bind(i64::from(index)), page, context).await?;
            rows.iter()
                .map(|row| {
                    let state: String = row.try_get("state").context(context)?;
                    let percent: Option<i32> = row.try_get("percent").context(context)?;
                    let stored_index: i64 = row.try_get("idx").context(context)?;
                    Ok(SupplyRecord {
                        reading_id: ReadingId(row.try_get("reading_id").context(context)?),
                        taken_at: row.try_get("taken_at").context(context)?,
                        index: stored_u32("supplies.idx", stored_index)?,
                        description: row.try_get("description").context(context)?,
                        kind: row.try_get("kind").context(context)?,
                        color: row.try_get("color").context(context)?,
                        level: row.try_get("level").context(context)?,
                        max: row.try_get("max_level").context(context)?,
                        percent: percent
                            .map(|p| {
                                u8::try_from(p).map_err(|e| Error::Corrupt {
                                    column: "supplies.percent",
                                    value: p.to_string(),
                                    reason: e.to_string(),
                                })
                            })
                            .transpose()?,
                        state: parse_word("supplies.state", state)?,
                        serial: row.try_get("serial").context(context)?,
                    })
                })
                .collect()
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
    use crate::malfunctions::sqlite as malfunctions;
    use crate::readings::sqlite as readings;
    super::queries!(sqlx::Sqlite);
}

/// PostgreSQL: for installations beyond one process.
pub(crate) mod postgres {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    pub(crate) const BEGIN_WRITE: &str = "BEGIN";
    use crate::malfunctions::postgres as malfunctions;
    use crate::readings::postgres as readings;
    super::queries!(sqlx::Postgres);
}
