//! Filing readings: a whole batch in one transaction, with a few multi-row statements.
//!
//! Filed one by one, a reading cost three statements (refresh its device, record the
//! address, insert the reading) and a fourth when its series was not in memory; on
//! PostgreSQL each is a round trip, and ingest ran at 2,400 readings/s whatever the batch.
//! Here a batch is first folded in memory — one row per device, one per address a device
//! answered on, one per series looked up — then written table by table: on SQLite a
//! multi-row `VALUES` per [`ROWS_PER_STATEMENT`](crate::backend::ROWS_PER_STATEMENT) rows,
//! on PostgreSQL one statement per table, its columns bound as arrays and `UNNEST`ed (see
//! [`postgres`]). The fold leaves each row as filing the readings one at a time, in order,
//! did (see [`DeviceFacts`]).
//!
//! Inserted rows are matched to their readings by id: both backends number the rows of a
//! multi-row `INSERT` in the order its rows come (PostgreSQL evaluates the identity's
//! `nextval` row by row as the `VALUES` list or the arrays are scanned; SQLite gives each
//! row the largest rowid plus one, under the write lock), so the returned ids, sorted, are
//! the rows in order. Each returned row's device is checked against its place all the same.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use quire_model::StrategyRef;

use crate::backend::status;
use crate::series::{Filed, Keyframe};
use crate::types::Ingest;

/// Where an agent's reading came from: what places its device and what the agent saw replaced.
#[derive(Clone, Copy)]
pub(crate) struct Origin<'a> {
    pub(crate) site: Option<crate::types::SiteId>,
    pub(crate) replaced: &'a [quire_protocol::SupplyReplacement],
}

/// What a batch writes besides its readings' own rows, gathered while filing them: the
/// days they touch, written after them in a few multi-row statements, and the keyframes
/// they were compressed against, remembered once committed.
#[derive(Default)]
pub(crate) struct BatchRows<'r> {
    /// Agents' readings with what their strategies made of them.
    pub(crate) assessed: Vec<crate::malfunctions::Assessed<'r>>,
    pub(crate) days: crate::summaries::DaySummaries<'r>,
    pub(crate) keyframes: std::collections::HashMap<crate::series::SeriesKey, Arc<Keyframe>>,
}

/// What a batch's readings say of one device, folded in their order so that one statement
/// leaves its row as refreshing it once per reading did: a fact a reading leaves out keeps
/// the one before it; the strategy and status are the latest reading's (the last of those
/// taken at that instant), which the statement applies only if it is not older than the
/// row's `last_seen`.
pub(crate) struct DeviceFacts<'r> {
    pub(crate) account: i64,
    pub(crate) identity: String,
    pub(crate) serial: Option<&'r str>,
    pub(crate) mac: Option<&'r str>,
    pub(crate) manufacturer: Option<&'r str>,
    pub(crate) model: Option<&'r str>,
    /// The batch's first reading of it: a new device's `first_seen`.
    pub(crate) first_at: DateTime<Utc>,
    /// The batch's latest reading of it.
    pub(crate) latest_at: DateTime<Utc>,
    pub(crate) strategy: &'r StrategyRef,
    pub(crate) status: Option<String>,
    pub(crate) site: Option<i64>,
}

impl<'r> DeviceFacts<'r> {
    /// The device as the batch's first reading of it says.
    pub(crate) fn of(item: &Ingest<'r>, identity: String, site: Option<i64>) -> Self {
        let reading = item.reading;
        DeviceFacts {
            account: item.account.0,
            identity,
            serial: reading.identity.serial.as_deref(),
            mac: reading.identity.mac.as_deref(),
            manufacturer: reading.identity.manufacturer.as_deref(),
            model: reading.identity.model.as_deref(),
            first_at: item.taken_at,
            latest_at: item.taken_at,
            strategy: item.strategy,
            status: status(reading),
            site,
        }
    }

    /// Adds the batch's next reading of the device.
    pub(crate) fn fold(&mut self, item: &Ingest<'r>, site: Option<i64>) {
        let reading = item.reading;
        let identity = &reading.identity;
        self.serial = identity.serial.as_deref().or(self.serial);
        self.mac = identity.mac.as_deref().or(self.mac);
        self.manufacturer = identity.manufacturer.as_deref().or(self.manufacturer);
        self.model = identity.model.as_deref().or(self.model);
        if item.taken_at >= self.latest_at {
            self.latest_at = item.taken_at;
            self.strategy = item.strategy;
            self.status = status(reading);
        }
        self.site = site.or(self.site);
    }
}

/// Each address a batch saw a device on, with the first reading's time there (a new
/// address's `first_seen`) and the latest: one row each, as PostgreSQL updates a row at
/// most once per statement.
#[derive(Default)]
pub(crate) struct Addresses<'r>(pub(crate) BTreeMap<(i64, &'r str), FirstAndLast>);

/// The first reading's time and the latest.
pub(crate) type FirstAndLast = (DateTime<Utc>, DateTime<Utc>);

impl<'r> Addresses<'r> {
    /// Adds a reading of `device` taken at `address` at `at`.
    pub(crate) fn saw(&mut self, device: i64, address: &'r str, at: DateTime<Utc>) {
        let (_, last) = self.0.entry((device, address)).or_insert((at, at));
        *last = (*last).max(at);
    }
}

/// The series a key's next reading joins while a batch is folded: one this process or the
/// database knew, or one the batch opened (by its place in the batch's list of openings).
pub(crate) enum Latest {
    Known(Arc<Keyframe>),
    Opened(usize),
}

/// A reading's series while a batch is folded: a stored one, or one the batch opens,
/// which has no id until it is inserted.
#[derive(Clone, Copy)]
pub(crate) enum SeriesRef {
    Stored(i64),
    Opened(usize),
}

/// A series a batch opens: its key, its keyframe's JSON as stored, and the keyframe
/// (whose id is set once inserted).
pub(crate) struct Opening {
    pub(crate) key: crate::series::SeriesKey,
    pub(crate) json: Vec<u8>,
    pub(crate) keyframe: Keyframe,
}

/// A reading's row as filed: its device, time, series and what it stores.
pub(crate) struct NewReading<'a> {
    pub(crate) device: i64,
    pub(crate) taken_at: DateTime<Utc>,
    pub(crate) series: i64,
    pub(crate) body: &'a Filed,
}

/// An address a batch saw a device on (see [`Addresses`]).
pub(crate) type AddressSeen<'r> = ((i64, &'r str), FirstAndLast);

/// The columns of a `readings` row as ingest files it.
const INSERT_READINGS: &str =
    "INSERT INTO readings (device_id, taken_at, series_id, body, snmprec_z, exchanges_z) ";

/// The columns of a `device_addresses` row as ingest writes it.
const INSERT_ADDRESSES: &str =
    "INSERT INTO device_addresses (device_id, address, first_seen, last_seen) ";
/// A new address recorded; a known one's `last_seen` moved on unless the row's is later.
const UPSERT_ADDRESSES: &str = " ON CONFLICT (device_id, address) DO UPDATE SET \
     last_seen = CASE WHEN excluded.last_seen > device_addresses.last_seen \
     THEN excluded.last_seen ELSE device_addresses.last_seen END";

/// The columns of the rows `v` that `refresh_devices!` refreshes known devices from.
macro_rules! new_device_columns {
    () => {
        "new_account, new_identity, new_serial, new_mac, new_manufacturer, new_model, \
         new_first_seen, new_last_seen, new_strategy_name, new_strategy_version, new_site, new_status"
    };
}

/// Refreshes known devices from what the batch read of them (see [`DeviceFacts`]), the
/// rows `v` (`new_device_columns!`) that follow `FROM`: what it does not say is kept, and
/// readings older than the row's `last_seen` move neither it nor the strategy and status.
macro_rules! refresh_devices {
    () => {
        "UPDATE devices SET serial = COALESCE(new_serial, serial), mac = COALESCE(new_mac, mac), \
         manufacturer = COALESCE(new_manufacturer, manufacturer), model = COALESCE(new_model, model), \
         strategy_name = CASE WHEN new_last_seen >= last_seen THEN new_strategy_name ELSE strategy_name END, \
         strategy_version = CASE WHEN new_last_seen >= last_seen THEN new_strategy_version ELSE strategy_version END, \
         status = CASE WHEN new_last_seen >= last_seen THEN new_status ELSE status END, \
         last_seen = CASE WHEN new_last_seen > last_seen THEN new_last_seen ELSE last_seen END, \
         site_id = COALESCE(new_site, site_id) FROM "
    };
}

/// What `refresh_devices!` matches `v`'s rows by, and what it returns of each row.
const REFRESHED_DEVICES: &str = " WHERE account_id = new_account AND identity = new_identity RETURNING id, account_id, identity";

/// The columns of a `devices` row as ingest files it.
const INSERT_DEVICES: &str = "INSERT INTO devices (account_id, identity, serial, mac, manufacturer, model, \
     first_seen, last_seen, strategy_name, strategy_version, site_id, status) ";
/// Files devices first seen; none that a concurrent ingest filed meanwhile.
const INSERTED_DEVICES: &str =
    " ON CONFLICT (account_id, identity) DO NOTHING RETURNING id, account_id, identity";

macro_rules! ingest_queries {
    ($db:ty, $backend:ident) => {
        use std::collections::hash_map::Entry;
        use std::collections::{BTreeSet, HashMap, HashSet};
        use std::sync::Arc;

        use sqlx::types::Json;
        use sqlx::{Pool, QueryBuilder, Row, Transaction};

        use crate::backend::$backend::{BEGIN_WRITE, LOCK_AGENT_UPLOADS};
        use crate::backend::{ROWS_PER_STATEMENT, identity_key, parse_word, runs, stored_seq, word};
        use crate::error::{Context, Error, Result};
        use crate::ingest::{Addresses, BatchRows, DeviceFacts, Latest, NewReading, Opening, Origin, SeriesRef};
        use crate::malfunctions::$backend as malfunctions;
        use crate::series::{Filed, Keyframe, Keyframes, SeriesKey, StoredKeyframe};
        use crate::summaries::$backend as summaries;
        use crate::types::{AgentIngest, DeviceId, Ingest, IngestOutcome, ReadingId, UploadOutcome};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        pub(crate) async fn ingest_batch(
            pool: &Pool<Db>,
            items: &[Ingest<'_>],
            keyframes: &Keyframes,
        ) -> Result<Vec<IngestOutcome>> {
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(|| "starting ingest".into())?;
            let mut rows = BatchRows::default();
            let filings: Vec<_> = items.iter().map(|item| (*item, None)).collect();
            let outcomes = file_readings(&mut tx, &filings, keyframes, &mut rows).await?;
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
            let mut seen = BTreeSet::new();
            let mut new = Vec::with_capacity(items.len());
            for item in items {
                let seq = stored_seq(item.seq)?;
                if filed.iter().any(|&(a, b)| (a..=b).contains(&seq)) || !seen.insert(seq) {
                    outcome.duplicates += 1;
                } else {
                    new.push(item);
                }
            }
            let filings: Vec<_> = new
                .iter()
                .map(|item| (item.ingest, Some(Origin { site: item.site, replaced: item.replaced })))
                .collect();
            let mut rows = BatchRows::default();
            let outcomes = file_readings(&mut tx, &filings, keyframes, &mut rows).await?;
            for (item, filed) in new.iter().zip(outcomes) {
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

        /// Files `items` in order in the caller's transaction: their devices, addresses,
        /// series and readings, and the supplies their agents saw replaced. What is written
        /// after them (daily summaries, assessments) is gathered in `rows`.
        async fn file_readings<'r>(
            tx: &mut Transaction<'static, Db>,
            items: &[(Ingest<'r>, Option<Origin<'r>>)],
            keyframes: &Keyframes,
            rows: &mut BatchRows<'r>,
        ) -> Result<Vec<IngestOutcome>> {
            let mut devices: Vec<DeviceFacts<'r>> = Vec::new();
            let mut slots: HashMap<(i64, String), usize> = HashMap::new();
            let mut device_of = Vec::with_capacity(items.len());
            for (item, origin) in items {
                let identity = &item.reading.identity;
                let key = identity_key(identity.serial.as_deref(), identity.mac.as_deref(), item.address);
                let site = origin.and_then(|o| o.site).map(|s| s.0);
                let slot = match slots.entry((item.account.0, key)) {
                    Entry::Occupied(slot) => {
                        devices[*slot.get()].fold(item, site);
                        *slot.get()
                    }
                    Entry::Vacant(slot) => {
                        devices.push(DeviceFacts::of(item, slot.key().1.clone(), site));
                        *slot.insert(devices.len() - 1)
                    }
                };
                device_of.push(slot);
            }
            let (ids, new) = write_devices(tx, &devices, &slots).await?;
            let device_ids: Vec<i64> = device_of.iter().map(|&slot| ids[slot]).collect();

            let mut addresses = Addresses::default();
            for ((item, _), &device) in items.iter().zip(&device_ids) {
                addresses.saw(device, item.address, item.taken_at);
            }
            let addresses: Vec<_> = addresses.0.into_iter().collect();
            record_addresses(tx, &addresses).await.context(|| format!("recording {} addresses of devices", addresses.len()))?;

            let series: Vec<SeriesKey> = items
                .iter()
                .zip(&device_ids)
                .map(|((item, _), &device)| SeriesKey { device, cycle: item.cycle, strategy: item.strategy.clone() })
                .collect();
            let mut latest = latest_keyframes(tx, &series, keyframes).await?;
            let mut opened: Vec<Opening> = Vec::new();
            let mut filed: Vec<(SeriesRef, Filed)> = Vec::with_capacity(items.len());
            for ((item, _), key) in items.iter().zip(&series) {
                let json = serde_json::to_string(item.reading).expect("a reading serialises to JSON");
                let joined = match latest.get(key) {
                    Some(Latest::Known(keyframe)) => keyframe
                        .file(&json, item.raw, item.exchanges)
                        .map(|body| (SeriesRef::Stored(keyframe.id), body)),
                    Some(Latest::Opened(n)) => opened[*n]
                        .keyframe
                        .file(&json, item.raw, item.exchanges)
                        .map(|body| (SeriesRef::Opened(*n), body)),
                    None => None,
                };
                filed.push(match joined {
                    Some(joined) => joined,
                    None => {
                        let stored = StoredKeyframe::of(&json, item.raw, item.exchanges);
                        let stored_json = stored.json.clone();
                        let keyframe = Keyframe::from_stored(0, stored)?;
                        let (body, _) = keyframe.encode(&json, item.raw, item.exchanges);
                        latest.insert(key.clone(), Latest::Opened(opened.len()));
                        opened.push(Opening { key: key.clone(), json: stored_json, keyframe });
                        (SeriesRef::Opened(opened.len() - 1), body)
                    }
                });
            }
            let opened_ids = open_series(tx, &opened).await?;
            for (n, (mut opening, id)) in opened.into_iter().zip(&opened_ids).enumerate() {
                opening.keyframe.id = *id;
                if matches!(latest.get(&opening.key), Some(Latest::Opened(last)) if *last == n) {
                    latest.insert(opening.key.clone(), Latest::Known(Arc::new(opening.keyframe)));
                }
            }
            rows.keyframes.extend(latest.into_iter().filter_map(|(key, latest)| match latest {
                Latest::Known(keyframe) => Some((key, keyframe)),
                Latest::Opened(_) => None,
            }));

            let readings: Vec<NewReading<'_>> = items
                .iter()
                .zip(&device_ids)
                .zip(&filed)
                .map(|(((item, _), &device), (series, body))| NewReading {
                    device,
                    taken_at: item.taken_at,
                    series: match series {
                        SeriesRef::Stored(id) => *id,
                        SeriesRef::Opened(n) => opened_ids[*n],
                    },
                    body,
                })
                .collect();
            let returned = insert_readings(tx, &readings).await.context(|| format!("filing {} readings", readings.len()))?;
            let devices: Vec<i64> = readings.iter().map(|r| r.device).collect();
            let reading_ids = in_order("readings.id", &returned, &devices)?;

            let mut replaced = Vec::new();
            let mut outcomes = Vec::with_capacity(items.len());
            let mut announced = HashSet::new();
            for (((item, origin), &slot), &reading) in items.iter().zip(&device_of).zip(&reading_ids) {
                let device = ids[slot];
                rows.days.add(device, reading, item.taken_at, item.reading);
                if let Some(origin) = origin {
                    replaced.extend(origin.replaced.iter().map(|r| (device, reading, r)));
                }
                outcomes.push(IngestOutcome {
                    device_id: DeviceId(device),
                    reading_id: ReadingId(reading),
                    new_device: new[slot] && announced.insert(slot),
                });
            }
            for chunk in replaced.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::<Db>::new(
                    "INSERT INTO supply_replacements (device_id, reading_id, idx, description, evidence) ",
                );
                insert.push_values(chunk, |mut row, (device, reading, r)| {
                    row.push_bind(*device)
                        .push_bind(*reading)
                        .push_bind(i64::from(r.index))
                        .push_bind(&r.description)
                        .push_bind(Json(&r.evidence));
                });
                insert.build().execute(&mut **tx).await.context(|| format!("filing {} replaced supplies", replaced.len()))?;
            }
            Ok(outcomes)
        }

        /// The ids of the rows a multi-row `INSERT … RETURNING id, device_id` filed, in the
        /// order of its rows (see the module doc), checked against `devices`, theirs.
        fn in_order(column: &'static str, returned: &[DbRow], devices: &[i64]) -> Result<Vec<i64>> {
            let mut rows: Vec<(i64, i64)> = returned
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<std::result::Result<_, sqlx::Error>>()
                .context(|| format!("reading the ids filed in {column}"))?;
            rows.sort_unstable();
            if !rows.iter().map(|r| r.1).eq(devices.iter().copied()) {
                return Err(Error::Corrupt {
                    column,
                    value: format!("{} rows returned for {} inserted", rows.len(), devices.len()),
                    reason: "their devices are not those of the rows in the order they were sent".into(),
                });
            }
            Ok(rows.into_iter().map(|r| r.0).collect())
        }

        /// The series each key's readings join first: the keyframe this process used last,
        /// else the latest stored one, looked up for all of the batch's other keys in one
        /// statement; a key with neither opens a series.
        async fn latest_keyframes(
            tx: &mut Transaction<'static, Db>,
            series: &[SeriesKey],
            keyframes: &Keyframes,
        ) -> Result<HashMap<SeriesKey, Latest>> {
            let mut latest = HashMap::new();
            let mut unknown = HashSet::new();
            for key in series {
                if latest.contains_key(key) || unknown.contains(key) {
                    continue;
                }
                match keyframes.latest(key) {
                    Some(keyframe) => {
                        latest.insert(key.clone(), Latest::Known(keyframe));
                    }
                    None => {
                        unknown.insert(key);
                    }
                }
            }
            let unknown: Vec<&SeriesKey> = unknown.into_iter().collect();
            let context = || format!("finding the reading series of {} devices", unknown.len());
            for chunk in unknown.chunks(ROWS_PER_STATEMENT) {
                let mut select = QueryBuilder::<Db>::new("WITH k (device_id, cycle, strategy_name, strategy_version) AS (");
                select.push_values(chunk, |mut row, key| {
                    row.push_bind(key.device)
                        .push_bind(word(&key.cycle))
                        .push_bind(&key.strategy.name)
                        .push_bind(&key.strategy.version);
                });
                select.push(
                    ") SELECT s.id, s.device_id, s.cycle, s.strategy_name, s.strategy_version, \
                     s.keyframe, s.snmprec_keyframe, s.exchanges_keyframe FROM reading_series s \
                     WHERE s.id IN (SELECT (SELECT l.id FROM reading_series l \
                     WHERE l.device_id = k.device_id AND l.cycle = k.cycle \
                     AND l.strategy_name = k.strategy_name AND l.strategy_version = k.strategy_version \
                     AND l.keyframe IS NOT NULL ORDER BY l.id DESC LIMIT 1) FROM k)",
                );
                for row in select.build().fetch_all(&mut **tx).await.context(context)? {
                    let id: i64 = row.try_get("id").context(context)?;
                    let key = SeriesKey {
                        device: row.try_get("device_id").context(context)?,
                        cycle: parse_word("reading_series.cycle", row.try_get("cycle").context(context)?)?,
                        strategy: quire_model::StrategyRef {
                            name: row.try_get("strategy_name").context(context)?,
                            version: row.try_get("strategy_version").context(context)?,
                        },
                    };
                    let stored = StoredKeyframe {
                        json: row.try_get("keyframe").context(context)?,
                        snmprec: row.try_get("snmprec_keyframe").context(context)?,
                        exchanges: row.try_get("exchanges_keyframe").context(context)?,
                    };
                    latest.insert(key, Latest::Known(Arc::new(Keyframe::from_stored(id, stored)?)));
                }
            }
            Ok(latest)
        }

        /// Inserts the series a batch opens; their ids, in order.
        async fn open_series(tx: &mut Transaction<'static, Db>, opened: &[Opening]) -> Result<Vec<i64>> {
            let mut ids = Vec::with_capacity(opened.len());
            for chunk in opened.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::<Db>::new(
                    "INSERT INTO reading_series (device_id, cycle, strategy_name, strategy_version, \
                     keyframe, snmprec_keyframe, exchanges_keyframe) ",
                );
                insert.push_values(chunk, |mut row, opening| {
                    let keyframe = &opening.keyframe;
                    row.push_bind(opening.key.device)
                        .push_bind(word(&opening.key.cycle))
                        .push_bind(&opening.key.strategy.name)
                        .push_bind(&opening.key.strategy.version)
                        .push_bind(opening.json.as_slice())
                        .push_bind(keyframe.snmprec.as_ref().map(|e| e.stored.as_slice()))
                        .push_bind(keyframe.exchanges.as_ref().map(|e| e.stored.as_slice()));
                });
                insert.push(" RETURNING id, device_id");
                let returned = insert.build().fetch_all(&mut **tx).await.context(|| format!("opening {} reading series", chunk.len()))?;
                let devices: Vec<i64> = chunk.iter().map(|o| o.key.device).collect();
                ids.extend(in_order("reading_series.id", &returned, &devices)?);
            }
            Ok(ids)
        }

        /// Files the batch's devices (see [`DeviceFacts`]), placed in `devices` by `slots`
        /// (account and identity); each one's id and whether the batch created it, by its
        /// place in `devices`. Known devices are the common case,
        /// so they are updated first; the rest are inserted, and updated after all when a
        /// concurrent ingest inserted them meanwhile. Known rows are updated in key order,
        /// so two batches sharing devices take their locks in the same order; new ones are
        /// inserted in the order the batch read them, which numbers them as before.
        async fn write_devices(
            tx: &mut Transaction<'static, Db>,
            devices: &[DeviceFacts<'_>],
            slots: &HashMap<(i64, String), usize>,
        ) -> Result<(Vec<i64>, Vec<bool>)> {
            let context = || format!("filing {} devices", devices.len());
            let mut order: Vec<usize> = (0..devices.len()).collect();
            order.sort_by(|&a, &b| (devices[a].account, &devices[a].identity).cmp(&(devices[b].account, &devices[b].identity)));
            let mut ids: Vec<Option<i64>> = vec![None; devices.len()];
            let mut new = vec![false; devices.len()];
            let returned = update_devices(tx, devices, &order).await.context(context)?;
            record(&returned, slots, &mut ids, None).context(context)?;
            // Numbered in the order the batch read them, as filing the readings one by one
            // did: the printer at a site's first address is its first device.
            let missing: Vec<usize> = (0..devices.len()).filter(|&slot| ids[slot].is_none()).collect();
            let returned = insert_devices(tx, devices, &missing).await.context(context)?;
            record(&returned, slots, &mut ids, Some(new.as_mut_slice())).context(context)?;
            let raced: Vec<usize> = missing.into_iter().filter(|&slot| ids[slot].is_none()).collect();
            let returned = update_devices(tx, devices, &raced).await.context(context)?;
            record(&returned, slots, &mut ids, None).context(context)?;
            let ids = ids
                .into_iter()
                .zip(devices)
                .map(|(id, device)| id.ok_or_else(|| Error::NotFound { what: format!("device `{}` after insert", device.identity) }))
                .collect::<Result<_>>()?;
            Ok((ids, new))
        }

        /// Notes the ids of the device rows a statement returned (`id, account_id, identity`)
        /// at their places, and that the batch created them when `created` is given.
        fn record(
            returned: &[DbRow],
            slots: &HashMap<(i64, String), usize>,
            ids: &mut [Option<i64>],
            mut created: Option<&mut [bool]>,
        ) -> std::result::Result<(), sqlx::Error> {
            for row in returned {
                let slot = slots[&(row.try_get(1)?, row.try_get(2)?)];
                ids[slot] = Some(row.try_get(0)?);
                if let Some(created) = created.as_deref_mut() {
                    created[slot] = true;
                }
            }
            Ok(())
        }
    };
}

/// SQLite: a multi-row `VALUES` per [`ROWS_PER_STATEMENT`](crate::backend::ROWS_PER_STATEMENT) rows.
pub(crate) mod sqlite {
    ingest_queries!(sqlx::Sqlite, sqlite);

    use super::{
        AddressSeen, INSERT_ADDRESSES, INSERT_DEVICES, INSERT_READINGS, INSERTED_DEVICES,
        REFRESHED_DEVICES, UPSERT_ADDRESSES,
    };

    /// Records the addresses a batch saw its devices on.
    async fn record_addresses(
        tx: &mut Transaction<'static, Db>,
        addresses: &[AddressSeen<'_>],
    ) -> std::result::Result<(), sqlx::Error> {
        for chunk in addresses.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::<Db>::new(INSERT_ADDRESSES);
            insert.push_values(chunk, |mut row, ((device, address), (first, last))| {
                row.push_bind(*device)
                    .push_bind(*address)
                    .push_bind(*first)
                    .push_bind(*last);
            });
            insert.push(UPSERT_ADDRESSES);
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Inserts `readings`; the rows returned, `id, device_id`.
    async fn insert_readings(
        tx: &mut Transaction<'static, Db>,
        readings: &[NewReading<'_>],
    ) -> std::result::Result<Vec<DbRow>, sqlx::Error> {
        let mut returned = Vec::with_capacity(readings.len());
        for chunk in readings.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::<Db>::new(INSERT_READINGS);
            insert.push_values(chunk, |mut row, reading| {
                row.push_bind(reading.device)
                    .push_bind(reading.taken_at)
                    .push_bind(reading.series)
                    .push_bind(reading.body.body.as_slice())
                    .push_bind(reading.body.snmprec.as_deref())
                    .push_bind(reading.body.exchanges.as_deref());
            });
            insert.push(" RETURNING id, device_id");
            returned.extend(insert.build().fetch_all(&mut **tx).await?);
        }
        Ok(returned)
    }

    /// Refreshes the known devices at `slots`; the rows returned, `id, account_id, identity`.
    async fn update_devices(
        tx: &mut Transaction<'static, Db>,
        devices: &[DeviceFacts<'_>],
        slots: &[usize],
    ) -> std::result::Result<Vec<DbRow>, sqlx::Error> {
        let head = concat!("WITH v (", new_device_columns!(), ") AS (");
        let tail = concat!(") ", refresh_devices!(), "v");
        device_rows(tx, (head, tail, REFRESHED_DEVICES), devices, slots).await
    }

    /// Inserts the devices at `slots` unless a concurrent ingest did; the rows inserted.
    async fn insert_devices(
        tx: &mut Transaction<'static, Db>,
        devices: &[DeviceFacts<'_>],
        slots: &[usize],
    ) -> std::result::Result<Vec<DbRow>, sqlx::Error> {
        device_rows(tx, (INSERT_DEVICES, "", INSERTED_DEVICES), devices, slots).await
    }

    /// The devices at `slots` as `VALUES` between `before` and `after`, then `end`.
    async fn device_rows(
        tx: &mut Transaction<'static, Db>,
        (before, after, end): (&str, &str, &str),
        devices: &[DeviceFacts<'_>],
        slots: &[usize],
    ) -> std::result::Result<Vec<DbRow>, sqlx::Error> {
        let mut returned = Vec::with_capacity(slots.len());
        for chunk in slots.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Db>::new(before);
            query.push_values(chunk, |mut row, &slot| {
                let device = &devices[slot];
                row.push_bind(device.account)
                    .push_bind(device.identity.as_str())
                    .push_bind(device.serial)
                    .push_bind(device.mac)
                    .push_bind(device.manufacturer)
                    .push_bind(device.model)
                    .push_bind(device.first_at)
                    .push_bind(device.latest_at)
                    .push_bind(device.strategy.name.as_str())
                    .push_bind(device.strategy.version.as_str())
                    .push_bind(device.site)
                    .push_bind(device.status.as_deref());
            });
            query.push(after).push(end);
            returned.extend(query.build().fetch_all(&mut **tx).await?);
        }
        Ok(returned)
    }
}

/// PostgreSQL: each column bound as one array and the rows `UNNEST`ed from them, one
/// statement of a few parameters per table whatever the batch. A multi-row `VALUES` bound
/// a parameter per row and column (6,000 for a batch of 500 devices), and PostgreSQL
/// planned the list and set up each of its expressions again on every execution: with
/// arrays, planning fell from 16 % to 6 % of the backend's time filing a batch (`perf` on
/// `quire-bench ingest`). The rows come out of `UNNEST` in the arrays' order, so inserted
/// rows are still numbered in it.
pub(crate) mod postgres {
    ingest_queries!(sqlx::Postgres, postgres);

    use sqlx::postgres::PgBindIterExt as _;

    use super::{
        AddressSeen, INSERT_ADDRESSES, INSERT_DEVICES, INSERT_READINGS, INSERTED_DEVICES,
        REFRESHED_DEVICES, UPSERT_ADDRESSES,
    };

    /// Records the addresses a batch saw its devices on.
    async fn record_addresses(
        tx: &mut Transaction<'static, Db>,
        addresses: &[AddressSeen<'_>],
    ) -> std::result::Result<(), sqlx::Error> {
        if addresses.is_empty() {
            return Ok(());
        }
        let mut insert = QueryBuilder::<Db>::new(INSERT_ADDRESSES);
        insert
            .push("SELECT * FROM UNNEST($1, $2, $3, $4)")
            .push(UPSERT_ADDRESSES);
        insert
            .build()
            .bind(addresses.iter().map(|((device, _), _)| *device).bind_iter())
            .bind(
                addresses
                    .iter()
                    .map(|((_, address), _)| *address)
                    .bind_iter(),
            )
            .bind(addresses.iter().map(|(_, (first, _))| *first).bind_iter())
            .bind(addresses.iter().map(|(_, (_, last))| *last).bind_iter())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Inserts `readings`; the rows returned, `id, device_id`.
    async fn insert_readings(
        tx: &mut Transaction<'static, Db>,
        readings: &[NewReading<'_>],
    ) -> std::result::Result<Vec<DbRow>, sqlx::Error> {
        if readings.is_empty() {
            return Ok(Vec::new());
        }
        let mut insert = QueryBuilder::<Db>::new(INSERT_READINGS);
        insert.push("SELECT * FROM UNNEST($1, $2, $3, $4, $5, $6) RETURNING id, device_id");
        insert
            .build()
            .bind(readings.iter().map(|r| r.device).bind_iter())
            .bind(readings.iter().map(|r| r.taken_at).bind_iter())
            .bind(readings.iter().map(|r| r.series).bind_iter())
            .bind(readings.iter().map(|r| r.body.body.as_slice()).bind_iter())
            .bind(
                readings
                    .iter()
                    .map(|r| r.body.snmprec.as_deref())
                    .bind_iter(),
            )
            .bind(
                readings
                    .iter()
                    .map(|r| r.body.exchanges.as_deref())
                    .bind_iter(),
            )
            .fetch_all(&mut **tx)
            .await
    }

    /// Refreshes the known devices at `slots`; the rows returned, `id, account_id, identity`.
    async fn update_devices(
        tx: &mut Transaction<'static, Db>,
        devices: &[DeviceFacts<'_>],
        slots: &[usize],
    ) -> std::result::Result<Vec<DbRow>, sqlx::Error> {
        let head = concat!(
            refresh_devices!(),
            "UNNEST($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS v ("
        );
        let columns = concat!(new_device_columns!(), ")");
        device_rows(tx, (head, columns, REFRESHED_DEVICES), devices, slots).await
    }

    /// Inserts the devices at `slots` unless a concurrent ingest did; the rows inserted.
    async fn insert_devices(
        tx: &mut Transaction<'static, Db>,
        devices: &[DeviceFacts<'_>],
        slots: &[usize],
    ) -> std::result::Result<Vec<DbRow>, sqlx::Error> {
        let rows = "SELECT * FROM UNNEST($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        device_rows(tx, (INSERT_DEVICES, rows, INSERTED_DEVICES), devices, slots).await
    }

    /// `before`, `rows` and `end`, the devices at `slots` bound as twelve arrays.
    async fn device_rows(
        tx: &mut Transaction<'static, Db>,
        (before, rows, end): (&str, &str, &str),
        devices: &[DeviceFacts<'_>],
        slots: &[usize],
    ) -> std::result::Result<Vec<DbRow>, sqlx::Error> {
        if slots.is_empty() {
            return Ok(Vec::new());
        }
        let at = || slots.iter().map(|&slot| &devices[slot]);
        let mut query = QueryBuilder::<Db>::new(before);
        query.push(rows).push(end);
        query
            .build()
            .bind(at().map(|d| d.account).bind_iter())
            .bind(at().map(|d| d.identity.as_str()).bind_iter())
            .bind(at().map(|d| d.serial).bind_iter())
            .bind(at().map(|d| d.mac).bind_iter())
            .bind(at().map(|d| d.manufacturer).bind_iter())
            .bind(at().map(|d| d.model).bind_iter())
            .bind(at().map(|d| d.first_at).bind_iter())
            .bind(at().map(|d| d.latest_at).bind_iter())
            .bind(at().map(|d| d.strategy.name.as_str()).bind_iter())
            .bind(at().map(|d| d.strategy.version.as_str()).bind_iter())
            .bind(at().map(|d| d.site).bind_iter())
            .bind(at().map(|d| d.status.as_deref()).bind_iter())
            .fetch_all(&mut **tx)
            .await
    }
}
