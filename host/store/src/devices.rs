//! The inventory read back: one device, an account's devices, and the device list the API
//! pages, filtered and limited to what the caller sees in one query.

use quire_model::StrategyRef;
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::Store;
use crate::error::Result;
use crate::listing;
use crate::types::{AccountId, Device, DeviceFilter, DeviceId, Page, Visibility};

impl Store {
    /// One device with its addresses, or [`crate::Error::NotFound`].
    pub async fn device(&self, id: DeviceId) -> Result<Device> {
        dispatch!(self.device(id))
    }

    /// Every device of an account, oldest first, each with its addresses.
    pub async fn devices(&self, account: AccountId) -> Result<Vec<Device>> {
        let filter = DeviceFilter {
            account: Some(account),
            ..DeviceFilter::default()
        };
        self.list_devices(Visibility::All, &filter, Page::ALL).await
    }

    /// A page of the devices `visibility` covers that match `filter`, oldest first (by id),
    /// each with its addresses.
    pub async fn list_devices(
        &self,
        visibility: Visibility,
        filter: &DeviceFilter,
        page: Page,
    ) -> Result<Vec<Device>> {
        dispatch!(self.list_devices(visibility, filter, page))
    }
}

/// A strategy reference from its two columns, when the name is set.
fn strategy(name: Option<String>, version: Option<String>) -> Option<StrategyRef> {
    Some(StrategyRef {
        name: name?,
        version: version.unwrap_or_default(),
    })
}

/// `%text%` for `LIKE … ESCAPE '\'`, lower-cased, the text's own wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Adds to a query over `devices d` (its CTE from [`listing::select`]) the conditions of
/// `visibility` and `filter`, so the device list, the fleet list and its counts select
/// the same devices.
pub(crate) fn restrict<DB>(
    query: &mut QueryBuilder<DB>,
    visibility: Visibility,
    filter: &DeviceFilter,
) where
    DB: Database,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    listing::restrict(query, visibility, "d.account_id");
    listing::equal(query, "d.account_id", filter.account.map(|a| a.0));
    listing::equal(query, "d.site_id", filter.site.map(|s| s.0));
    listing::equal(query, "d.contract_id", filter.contract.map(|c| c.0));
    listing::equal(
        query,
        "LOWER(d.manufacturer)",
        filter.manufacturer.as_deref().map(str::to_lowercase),
    );
    listing::equal(
        query,
        "LOWER(d.model)",
        filter.model.as_deref().map(str::to_lowercase),
    );
    listing::equal(
        query,
        "d.status",
        filter.status.as_ref().map(crate::backend::word),
    );
    listing::equal(query, "d.strategy_name", filter.strategy.clone());
    listing::compare(query, "d.id", ">", filter.after.map(|d| d.0));
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = contains_pattern(text);
        query.push(" AND (");
        for column in ["d.serial", "d.mac", "d.manufacturer", "d.model"] {
            query
                .push("LOWER(")
                .push(column)
                .push(") LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR ");
        }
        query
            .push("EXISTS (SELECT 1 FROM device_addresses a WHERE a.device_id = d.id AND LOWER(a.address) LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\'))");
    }
}

/// Columns of `devices` as every device query selects them.
pub(crate) const DEVICE_COLUMNS: &str = "d.id, d.account_id, d.site_id, d.contract_id, d.serial, d.mac, d.manufacturer, \
     d.model, d.first_seen, d.last_seen, d.strategy_name, d.strategy_version, d.status";

macro_rules! device_queries {
    ($db:ty, $backend:ident) => {
        use sqlx::{Pool, QueryBuilder, Row};

        use crate::backend::parse_word;
        use crate::backend::$backend::one_row;
        use crate::error::{Context, Result};
        use crate::listing;
        use crate::types::*;

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        fn device_from_row(row: &DbRow, addresses: Vec<DeviceAddress>) -> Result<Device> {
            let context = || "reading a device row".to_owned();
            let status: Option<String> = row.try_get("status").context(context)?;
            Ok(Device {
                id: DeviceId(row.try_get("id").context(context)?),
                account_id: AccountId(row.try_get("account_id").context(context)?),
                site_id: row
                    .try_get::<Option<i64>, _>("site_id")
                    .context(context)?
                    .map(SiteId),
                contract_id: row
                    .try_get::<Option<i64>, _>("contract_id")
                    .context(context)?
                    .map(ContractId),
                serial: row.try_get("serial").context(context)?,
                mac: row.try_get("mac").context(context)?,
                manufacturer: row.try_get("manufacturer").context(context)?,
                model: row.try_get("model").context(context)?,
                first_seen: row.try_get("first_seen").context(context)?,
                last_seen: row.try_get("last_seen").context(context)?,
                strategy: super::strategy(
                    row.try_get("strategy_name").context(context)?,
                    row.try_get("strategy_version").context(context)?,
                ),
                status: status
                    .map(|s| parse_word("devices.status", s))
                    .transpose()?,
                addresses,
            })
        }

        /// The devices of `rows` with their addresses, in one query for the whole page.
        pub(crate) async fn with_addresses(pool: &Pool<Db>, rows: &[DbRow]) -> Result<Vec<Device>> {
            let context = || format!("reading the addresses of {} devices", rows.len());
            let ids = rows
                .iter()
                .map(|row| row.try_get::<i64, _>("id"))
                .collect::<Result<Vec<_>, _>>()
                .context(context)?;
            let mut by_device = std::collections::HashMap::<i64, Vec<DeviceAddress>>::new();
            // In chunks: a page of every device (an internal caller's `Page::ALL`) can hold
            // more ids than PostgreSQL's 65,535 binds.
            for chunk in ids.chunks(crate::summaries::DEVICES_PER_QUERY) {
                let mut query = QueryBuilder::<Db>::new(
                    "SELECT device_id, address, first_seen, last_seen FROM device_addresses \
                     WHERE device_id IN (",
                );
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(") ORDER BY device_id, first_seen, address");
                for row in query.build().fetch_all(pool).await.context(context)? {
                    let address = DeviceAddress {
                        address: row.try_get("address").context(context)?,
                        first_seen: row.try_get("first_seen").context(context)?,
                        last_seen: row.try_get("last_seen").context(context)?,
                    };
                    by_device
                        .entry(row.try_get("device_id").context(context)?)
                        .or_default()
                        .push(address);
                }
            }
            rows.iter()
                .zip(ids)
                .map(|(row, id)| device_from_row(row, by_device.remove(&id).unwrap_or_default()))
                .collect()
        }

        pub(crate) async fn device(pool: &Pool<Db>, id: DeviceId) -> Result<Device> {
            let mut query = QueryBuilder::<Db>::new(format!(
                "SELECT {} FROM devices d WHERE d.id = ",
                super::DEVICE_COLUMNS
            ));
            query.push_bind(id.0);
            let row = one_row(pool, query.build(), id, || format!("reading {id}")).await?;
            let mut devices = with_addresses(pool, std::slice::from_ref(&row)).await?;
            Ok(devices.remove(0))
        }

        pub(crate) async fn list_devices(
            pool: &Pool<Db>,
            visibility: Visibility,
            filter: &DeviceFilter,
            page: Page,
        ) -> Result<Vec<Device>> {
            let mut query = listing::select::<Db>(
                visibility,
                &format!("SELECT {} FROM devices d WHERE TRUE", super::DEVICE_COLUMNS),
            );
            super::restrict(&mut query, visibility, filter);
            listing::page(&mut query, "d.id", page);
            let rows = query
                .build()
                .fetch_all(pool)
                .await
                .context(|| "listing devices".to_owned())?;
            with_addresses(pool, &rows).await
        }
    };
}

pub(crate) mod sqlite {
    device_queries!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    device_queries!(sqlx::Postgres, postgres);
}
