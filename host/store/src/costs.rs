//! What costs are computed from: the costs per page set at each scope, the scopes a
//! device inherits them from, and the page counters of its readings. Resolving which
//! rate applies and what pages cost is `quire-usage`'s; the store only reads rows, each
//! kind for many devices in one query.
//!
//! A cost per page is kept as its decimal text (`0.0085`): exact, and read back alike on
//! both backends.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, ContractId, DeviceId, ReadingId};

/// Where a cost per page is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateScope {
    /// One device.
    Device(DeviceId),
    /// A contract's devices.
    Contract(ContractId),
    /// An account and, by inheritance, its subtree.
    Account(AccountId),
}

impl std::fmt::Display for RateScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RateScope::Device(id) => id.fmt(f),
            RateScope::Contract(id) => id.fmt(f),
            RateScope::Account(id) => id.fmt(f),
        }
    }
}

/// The cost of one page of one counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    /// The counter it prices (`mono`, `color`, `print.color`, …).
    pub counter: String,
    /// The cost of one page, exact.
    pub cost_per_page: Decimal,
}

/// A rate and the scope it is set at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedRate {
    /// Where it is set.
    pub scope: RateScope,
    /// What it is.
    pub rate: Rate,
}

/// An account on a rate lineage: enough to walk up the tree and to name a rate's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountNode {
    /// Its id.
    pub id: AccountId,
    /// The dealer above it.
    pub parent: Option<AccountId>,
    /// Its name.
    pub name: String,
}

/// A device as costs see it: where it sits in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedDevice {
    /// Its id.
    pub id: DeviceId,
    /// Its account.
    pub account_id: AccountId,
    /// Its contract and that contract's name, if it is on one.
    pub contract: Option<(ContractId, String)>,
}

/// Which devices a cost is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSelection {
    /// One device.
    One(DeviceId),
    /// An account's own devices, and with `subtree` those of every account below it.
    Account {
        /// The account.
        account: AccountId,
        /// Whether the accounts below it count too.
        subtree: bool,
    },
}

/// Everything rates are resolved over for a selection of devices: the devices, every
/// account on their lineages (each account's chain up to the root can be walked by
/// `parent` within it), and every rate set on any of those scopes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateTree {
    /// The devices selected, by id.
    pub devices: Vec<PricedDevice>,
    /// Their accounts and every ancestor of those, by id.
    pub accounts: Vec<AccountNode>,
    /// The rates of those devices, their contracts and those accounts.
    pub rates: Vec<ScopedRate>,
}

/// One reading's page counters, as the page arithmetic takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterSample {
    /// The device read.
    pub device: DeviceId,
    /// The reading.
    pub reading: ReadingId,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Its counters by name, in its latest version, sorted by name, each once (as the
    /// page arithmetic takes them; see `quire_usage::pages::Sample`). The names are
    /// shared by every sample of one query.
    pub counters: Vec<(Arc<str>, u64)>,
}

impl CounterSample {
    /// The value of the counter `name`, where the reading has it.
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.counters
            .iter()
            .find(|(counter, _)| &**counter == name)
            .map(|&(_, value)| value)
    }
}

/// Devices per statement of [`Store::counter_samples`]: their ids are bound twice, which
/// stays below SQLite's 32,766 binds and PostgreSQL's 65,535.
const DEVICES_PER_STATEMENT: usize = 10_000;

impl Store {
    /// The rates set at one scope, by counter.
    pub async fn rates(&self, scope: RateScope) -> Result<Vec<Rate>> {
        dispatch!(self.rates(scope))
    }

    /// Replaces the rates set at one scope with `rates` (none clears it), in one
    /// transaction. Counters must be distinct; the caller checks the costs.
    pub async fn set_rates(&self, scope: RateScope, rates: &[Rate]) -> Result<()> {
        dispatch!(self.set_rates(scope, rates))
    }

    /// An account and its ancestors up to the root, nearest first, in one query.
    pub async fn account_chain(&self, account: AccountId) -> Result<Vec<AccountNode>> {
        dispatch!(self.account_chain(account))
    }

    /// The devices of `selection` with every scope they inherit rates from and those
    /// scopes' rates: three queries whatever the number of devices.
    pub async fn rate_tree(&self, selection: DeviceSelection) -> Result<RateTree> {
        dispatch!(self.rate_tree(selection))
    }

    /// The page counters of `devices` read in `[from, to)`, and of each device's last
    /// reading before `from` (the start of its first interval), by device, then time: one
    /// query per 10,000 devices. They come from the daily meters, kept for ever: each
    /// day's first and last reading of each counter, so a period costs a few rows a day
    /// per counter however often the device was read, and raw retention loses nothing.
    pub async fn counter_samples(
        &self,
        devices: &[DeviceId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CounterSample>> {
        let mut samples = Vec::new();
        for chunk in devices.chunks(DEVICES_PER_STATEMENT) {
            samples.extend(dispatch!(self.counter_samples(chunk, from, to))?);
        }
        Ok(samples)
    }
}

/// One counter's value at one day mark: a daily meter row holds two (its day's first and
/// last reading), each counter its own row; `name` indexes the query's counter names.
#[derive(Debug, Clone, Copy)]
struct Mark {
    device: i64,
    taken_at: DateTime<Utc>,
    reading: i64,
    name: usize,
    value: u64,
}

/// The index in `names` of counter `name`, added when it is new.
fn name_index(names: &mut Vec<Arc<str>>, name: &str) -> usize {
    match names.iter().position(|n| &**n == name) {
        Some(index) => index,
        None => {
            names.push(Arc::from(name));
            names.len() - 1
        }
    }
}

/// What [`Store::counter_samples`] was doing, for its errors.
fn counters_context(devices: usize, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format!("reading the counters of {devices} devices from {from} to {to}")
}

/// A stored page counter back as the count it is.
fn counter_value(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| crate::Error::Corrupt {
        column: "daily_meters.value",
        value: value.to_string(),
        reason: "a negative page counter".into(),
    })
}

/// The samples of `[from, to)` and each device's last one before `from`, out of the day
/// marks read for it in row order (`names` naming their counters): the marks of one
/// device, time and reading make one sample, and where a counter is marked twice there
/// the later row's value stands.
fn period_samples(
    mut marks: Vec<Mark>,
    names: &[Arc<str>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<CounterSample> {
    // Stable: rows keep their order within a sample, so the later row's value wins.
    marks.sort_by_key(|m| (m.device, m.taken_at, m.reading));
    let mut samples: Vec<CounterSample> = Vec::new();
    let mut device_start = 0;
    for group in marks
        .chunk_by(|a, b| (a.device, a.taken_at, a.reading) == (b.device, b.taken_at, b.reading))
    {
        let first = group[0];
        if first.taken_at >= to {
            continue;
        }
        let device = DeviceId(first.device);
        if samples.last().is_none_or(|s| s.device != device) {
            device_start = samples.len();
        }
        // A later sample before `from` replaces the earlier: only the last opens the period.
        if first.taken_at < from && samples.len() > device_start {
            samples.truncate(device_start);
        }
        let mut counters: Vec<(Arc<str>, u64)> = Vec::with_capacity(group.len());
        for mark in group {
            let name = &names[mark.name];
            match counters.iter_mut().find(|(counter, _)| counter == name) {
                Some((_, value)) => *value = mark.value,
                None => counters.push((name.clone(), mark.value)),
            }
        }
        counters.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        samples.push(CounterSample {
            device,
            reading: ReadingId(first.reading),
            taken_at: first.taken_at,
            counters,
        });
    }
    samples
}

/// The cost text as stored, back as a decimal.
fn stored_cost(value: String) -> Result<Decimal> {
    value
        .parse()
        .map_err(|e: rust_decimal::Error| crate::Error::Corrupt {
            column: "rates.cost_per_page",
            value,
            reason: e.to_string(),
        })
}

/// What a [`DeviceSelection`] reaches, as CTEs: `up`, the root account `$1` and its
/// ancestors; `down`, with `$2`, the root's subtree below dealers (as visibility walks it);
/// and `selected`, the devices of the root (and with `$2` of its subtree), only device
/// `$3` when it is not null.
const TREE: &str = "WITH RECURSIVE up (id) AS ( \
       SELECT CAST($1 AS BIGINT) \
       UNION SELECT a.parent_id FROM accounts a JOIN up ON a.id = up.id WHERE a.parent_id IS NOT NULL), \
     down (id, is_dealer) AS ( \
       SELECT id, is_dealer FROM accounts WHERE id = $1 AND $2 \
       UNION SELECT c.id, c.is_dealer FROM accounts c JOIN down d ON c.parent_id = d.id WHERE d.is_dealer), \
     selected (id, account_id, contract_id) AS ( \
       SELECT d.id, d.account_id, d.contract_id FROM devices d \
       WHERE (d.account_id = $1 OR d.account_id IN (SELECT id FROM down)) AND ($3 IS NULL OR d.id = $3)) ";

macro_rules! cost_queries {
    ($db:ty, $backend:ident) => {
        use std::sync::Arc;

        use chrono::{DateTime, Utc};
        use sqlx::{Pool, QueryBuilder, Row};

        use super::{
            AccountNode, CounterSample, DeviceSelection, PricedDevice, Rate, RateScope, RateTree,
            ScopedRate, TREE, stored_cost,
        };
        use crate::backend::$backend::BEGIN_WRITE;
        use crate::error::{Context, Error, Result};
        use crate::types::{AccountId, ContractId, DeviceId};

        type Db = $db;

        /// The column of `rates` a scope's id is in, and that id.
        fn column(scope: RateScope) -> (&'static str, i64) {
            match scope {
                RateScope::Device(id) => ("device_id", id.0),
                RateScope::Contract(id) => ("contract_id", id.0),
                RateScope::Account(id) => ("account_id", id.0),
            }
        }

        pub(crate) async fn rates(pool: &Pool<Db>, scope: RateScope) -> Result<Vec<Rate>> {
            let (column, id) = column(scope);
            let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT counter, cost_per_page FROM rates WHERE {column} = $1 ORDER BY counter"
            )))
            .bind(id)
            .fetch_all(pool)
            .await
            .context(|| format!("reading the rates of {scope}"))?;
            rows.into_iter()
                .map(|(counter, cost)| Ok(Rate { counter, cost_per_page: stored_cost(cost)? }))
                .collect()
        }

        pub(crate) async fn set_rates(pool: &Pool<Db>, scope: RateScope, rates: &[Rate]) -> Result<()> {
            let context = || format!("setting the rates of {scope}");
            let (column, id) = column(scope);
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM rates WHERE {column} = $1")))
                .bind(id)
                .execute(&mut *tx)
                .await
                .context(context)?;
            if !rates.is_empty() {
                let mut insert = QueryBuilder::<Db>::new(format!(
                    "INSERT INTO rates ({column}, counter, cost_per_page) "
                ));
                insert.push_values(rates, |mut row, rate| {
                    row.push_bind(id)
                        .push_bind(rate.counter.as_str())
                        .push_bind(rate.cost_per_page.to_string());
                });
                insert.build().execute(&mut *tx).await.context(context)?;
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn account_chain(pool: &Pool<Db>, account: AccountId) -> Result<Vec<AccountNode>> {
            let rows: Vec<(i64, Option<i64>, String)> = sqlx::query_as(
                "WITH RECURSIVE up (id, depth) AS ( \
                   SELECT CAST($1 AS BIGINT), 0 \
                   UNION ALL SELECT a.parent_id, up.depth + 1 FROM accounts a JOIN up ON a.id = up.id \
                   WHERE a.parent_id IS NOT NULL) \
                 SELECT a.id, a.parent_id, a.name FROM up JOIN accounts a ON a.id = up.id ORDER BY up.depth",
            )
            .bind(account.0)
            .fetch_all(pool)
            .await
            .context(|| format!("walking up from {account}"))?;
            if rows.is_empty() {
                return Err(Error::NotFound { what: account.to_string() });
            }
            Ok(rows
                .into_iter()
                .map(|(id, parent, name)| AccountNode { id: AccountId(id), parent: parent.map(AccountId), name })
                .collect())
        }

        pub(crate) async fn rate_tree(pool: &Pool<Db>, selection: DeviceSelection) -> Result<RateTree> {
            let context = || format!("reading the rates over {selection:?}");
            let (root, subtree, device) = match selection {
                DeviceSelection::One(device) => {
                    let account: Option<i64> = sqlx::query_scalar("SELECT account_id FROM devices WHERE id = $1")
                        .bind(device.0)
                        .fetch_optional(pool)
                        .await
                        .context(context)?;
                    let account = account.ok_or_else(|| Error::NotFound { what: device.to_string() })?;
                    (account, false, Some(device.0))
                }
                DeviceSelection::Account { account, subtree } => (account.0, subtree, None),
            };
            let run = |select: &'static str| {
                sqlx::query(sqlx::AssertSqlSafe(format!("{TREE}{select}")))
                    .bind(root)
                    .bind(subtree)
                    .bind(device)
            };

            let mut devices = Vec::new();
            let select = "SELECT s.id, s.account_id, s.contract_id, c.name AS contract_name FROM selected s \
                 LEFT JOIN contracts c ON c.id = s.contract_id ORDER BY s.id";
            for row in run(select).fetch_all(pool).await.context(context)? {
                let contract: Option<i64> = row.try_get("contract_id").context(context)?;
                let name: Option<String> = row.try_get("contract_name").context(context)?;
                devices.push(PricedDevice {
                    id: DeviceId(row.try_get("id").context(context)?),
                    account_id: AccountId(row.try_get("account_id").context(context)?),
                    contract: contract.map(|id| (ContractId(id), name.unwrap_or_default())),
                });
            }

            let mut accounts = Vec::new();
            let select = "SELECT id, parent_id, name FROM accounts \
                 WHERE id IN (SELECT id FROM up) OR id IN (SELECT id FROM down) ORDER BY id";
            for row in run(select).fetch_all(pool).await.context(context)? {
                accounts.push(AccountNode {
                    id: AccountId(row.try_get("id").context(context)?),
                    parent: row.try_get::<Option<i64>, _>("parent_id").context(context)?.map(AccountId),
                    name: row.try_get("name").context(context)?,
                });
            }

            let mut rates = Vec::new();
            let select = "SELECT device_id, contract_id, account_id, counter, cost_per_page FROM rates \
                 WHERE account_id IN (SELECT id FROM up) OR account_id IN (SELECT id FROM down) \
                 OR contract_id IN (SELECT contract_id FROM selected) OR device_id IN (SELECT id FROM selected)";
            for row in run(select).fetch_all(pool).await.context(context)? {
                let device: Option<i64> = row.try_get("device_id").context(context)?;
                let contract: Option<i64> = row.try_get("contract_id").context(context)?;
                let account: Option<i64> = row.try_get("account_id").context(context)?;
                let scope = match (device, contract, account) {
                    (Some(id), _, _) => RateScope::Device(DeviceId(id)),
                    (_, Some(id), _) => RateScope::Contract(ContractId(id)),
                    (_, _, Some(id)) => RateScope::Account(AccountId(id)),
                    (None, None, None) => {
                        return Err(Error::Corrupt {
                            column: "rates.account_id",
                            value: "NULL".into(),
                            reason: "a rate of no scope".into(),
                        });
                    }
                };
                rates.push(ScopedRate {
                    scope,
                    rate: Rate {
                        counter: row.try_get("counter").context(context)?,
                        cost_per_page: stored_cost(row.try_get("cost_per_page").context(context)?)?,
                    },
                });
            }
            Ok(RateTree { devices, accounts, rates })
        }
    };
}

mod sqlite {
    cost_queries!(sqlx::Sqlite, sqlite);

    use futures_util::TryStreamExt;

    pub(crate) async fn counter_samples(
        pool: &Pool<Db>,
        devices: &[DeviceId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CounterSample>> {
        let context = || super::counters_context(devices.len(), from, to);
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        // Each device's period opens on the last day it was read before `from`'s day; the
        // marks before the last one before `from` are dropped below. That day is joined
        // apart from the period's own days, which one range scan reads for every device:
        // joined day by day from each device's start, PostgreSQL spent 308 ms on a
        // page of 2,000 devices' 90 days instead of 200. MATERIALIZED: inlined, the
        // start's subquery ran once per joined row rather than once per device.
        let (from_day, to_day) = (from.date_naive(), to.date_naive());
        let columns = "m.device_id, m.counter, m.first_value, m.first_at, m.first_reading_id, \
             m.last_value, m.last_at, m.last_reading_id";
        let mut query = QueryBuilder::<Db>::new(
            "WITH starts (device_id, start_day) AS MATERIALIZED (SELECT d.id, (SELECT MAX(p.day) \
             FROM daily_meters p WHERE p.device_id = d.id AND p.day < ",
        );
        let push_ids = |query: &mut QueryBuilder<Db>| {
            let mut ids = query.separated(", ");
            for device in devices {
                ids.push_bind(device.0);
            }
        };
        query
            .push_bind(from_day)
            .push(") FROM devices d WHERE d.id IN (");
        push_ids(&mut query);
        query
            .push(")) SELECT ")
            .push(columns)
            .push(" FROM daily_meters m WHERE m.day >= ")
            .push_bind(from_day)
            .push(" AND m.day <= ")
            .push_bind(to_day)
            .push(" AND m.device_id IN (");
        push_ids(&mut query);
        query
            .push(") UNION ALL SELECT ")
            .push(columns)
            .push(" FROM starts s JOIN daily_meters m ON m.device_id = s.device_id AND m.day = s.start_day");
        // Few counter names, each in many rows: each row names one by its index. The rows
        // are taken as they arrive: a page of the recompute is hundreds of thousands,
        // and holding them all before use cost more in fresh pages than in decoding.
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut marks = Vec::new();
        let mut rows = query.build().fetch(pool);
        while let Some(row) = rows.try_next().await.context(context)? {
            let device: i64 = row.try_get(0).context(context)?;
            let name = super::name_index(&mut names, row.try_get(1).context(context)?);
            for (value, at, reading) in [(2, 3, 4), (5, 6, 7)] {
                marks.push(super::Mark {
                    device,
                    value: super::counter_value(row.try_get(value).context(context)?)?,
                    taken_at: row.try_get(at).context(context)?,
                    reading: row.try_get(reading).context(context)?,
                    name,
                });
            }
        }
        Ok(super::period_samples(marks, &names, from, to))
    }
}

mod postgres {
    cost_queries!(sqlx::Postgres, postgres);

    use crate::copy_out::CopyOut;

    /// The columns [`counter_samples`] reads, as its errors name them.
    const MARK_COLUMNS: &[&str] = &[
        "daily_meters.device_id",
        "daily_meters.counter",
        "daily_meters.first_value",
        "daily_meters.first_at",
        "daily_meters.first_reading_id",
        "daily_meters.last_value",
        "daily_meters.last_at",
        "daily_meters.last_reading_id",
    ];

    /// SQLite's statement (see there for its shape), read as a binary COPY: a recompute
    /// reads a year of marks of every device this way (see `copy_out`).
    pub(crate) async fn counter_samples(
        pool: &Pool<Db>,
        devices: &[DeviceId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CounterSample>> {
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        let (from_day, to_day) = (from.date_naive(), to.date_naive());
        let ids = crate::copy_out::id_list(devices);
        let columns = "m.device_id, m.counter, m.first_value, m.first_at, m.first_reading_id, \
             m.last_value, m.last_at, m.last_reading_id";
        let select = format!(
            "WITH starts (device_id, start_day) AS MATERIALIZED (SELECT d.id, (SELECT MAX(p.day) \
             FROM daily_meters p WHERE p.device_id = d.id AND p.day < DATE '{from_day}') \
             FROM devices d WHERE d.id IN ({ids})) \
             SELECT {columns} FROM daily_meters m WHERE m.day >= DATE '{from_day}' \
             AND m.day <= DATE '{to_day}' AND m.device_id IN ({ids}) \
             UNION ALL SELECT {columns} FROM starts s JOIN daily_meters m \
             ON m.device_id = s.device_id AND m.day = s.start_day"
        );
        let context = super::counters_context(devices.len(), from, to);
        let mut rows = CopyOut::start(pool, &select, MARK_COLUMNS, context).await?;
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut marks = Vec::new();
        while let Some(mut row) = rows.next().await? {
            let device = row.int8()?;
            let name = super::name_index(&mut names, row.text()?);
            for _ in 0..2 {
                marks.push(super::Mark {
                    device,
                    value: super::counter_value(row.int8()?)?,
                    taken_at: row.timestamptz()?,
                    reading: row.int8()?,
                    name,
                });
            }
        }
        Ok(super::period_samples(marks, &names, from, to))
    }
}
