//! The fleet list: a page of devices as the console's fleet table shows them (account and
//! site names, latest supply levels, open ASM alert events), sorted by the server, and the
//! counts above it, both over the devices [`crate::DeviceFilter`] selects for the caller.
//!
//! A page is three queries whatever its length: the devices with their names and open
//! event counts, their addresses, and their levels. Levels come from `daily_levels`, each
//! device's latest day (what the last reading of that day said of each supply), rather
//! than from decoding each device's latest reading body: the counts need "supplies low"
//! over the whole fleet, which only a column can answer in SQL.

use quire_model::SupplyState;
use serde::Deserialize;

use crate::Store;
use crate::error::Result;
use crate::types::{Device, DeviceFilter, Page, Visibility};

/// What the fleet list is ordered by; ties go by device id in the same direction, and
/// devices without the value come last either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FleetSortKey {
    /// Oldest first: the order devices were found in.
    #[default]
    Id,
    /// The model, case-blind.
    Model,
    /// The serial number.
    Serial,
    /// When it was last read.
    LastSeen,
    /// hrDeviceStatus, the worst (down) first.
    Status,
    /// The account's name, case-blind.
    Account,
    /// The site's name, case-blind.
    Site,
}

impl FleetSortKey {
    /// The SQL the key orders by, over `devices d`, `accounts a` and `sites s`.
    fn column(self) -> &'static str {
        match self {
            FleetSortKey::Id => "d.id",
            FleetSortKey::Model => "LOWER(d.model)",
            FleetSortKey::Serial => "d.serial",
            FleetSortKey::LastSeen => "d.last_seen",
            FleetSortKey::Status => {
                "CASE d.status WHEN 'down' THEN 0 WHEN 'warning' THEN 1 WHEN 'testing' THEN 2 \
                 WHEN 'unknown' THEN 3 WHEN 'running' THEN 4 END"
            }
            FleetSortKey::Account => "LOWER(a.name)",
            FleetSortKey::Site => "LOWER(s.name)",
        }
    }
}

/// One supply position as the device's latest day of levels left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSupply {
    /// Its row index on the device.
    pub index: u32,
    /// `toner`, `ink`, `drum`, … as the reading named it.
    pub kind: String,
    /// Its colour, when it has one.
    pub color: Option<String>,
    /// What the device calls it.
    pub description: String,
    /// Percent left, when the device gave a level.
    pub percent: Option<u8>,
    /// Ok, low, empty, …
    pub state: SupplyState,
}

/// A device as the fleet table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetRow {
    /// The device with its addresses.
    pub device: Device,
    /// Its account's name.
    pub account_name: String,
    /// Its site's name, when it is placed in one.
    pub site_name: Option<String>,
    /// Its supplies, by index.
    pub supplies: Vec<FleetSupply>,
    /// Its open ASM alert events.
    pub open_alerts: u64,
}

/// How many of the selected devices are in each state the top of the fleet page shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetCounts {
    /// Every selected device.
    pub devices: u64,
    /// Those whose latest status is down.
    pub down: u64,
    /// Those with a condition on the maintenance dashboard (a warning or critical ASM
    /// error state their latest alert-bearing reading shows).
    pub needing_service: u64,
    /// Those with a supply whose latest level is low or empty.
    pub supplies_low: u64,
}

impl Store {
    /// A page of the devices `visibility` covers that match `filter`, in `sort` order
    /// (descending when `descending`), as the fleet table shows them.
    pub async fn fleet(
        &self,
        visibility: Visibility,
        filter: &DeviceFilter,
        sort: FleetSortKey,
        descending: bool,
        page: Page,
    ) -> Result<Vec<FleetRow>> {
        dispatch!(self.fleet(visibility, filter, sort, descending, page))
    }

    /// The counts over every device `visibility` covers that match `filter`, in one query.
    pub async fn fleet_counts(
        &self,
        visibility: Visibility,
        filter: &DeviceFilter,
    ) -> Result<FleetCounts> {
        dispatch!(self.fleet_counts(visibility, filter))
    }
}

/// The condition that a device's `daily_levels` row `l` is of its latest day.
const LATEST_DAY: &str =
    "l.day = (SELECT MAX(m.day) FROM daily_levels m WHERE m.device_id = l.device_id)";

macro_rules! fleet_queries {
    ($db:ty, $backend:ident) => {
        use std::collections::HashMap;

        use sqlx::{Pool, QueryBuilder, Row};

        use crate::backend::parse_word;
        use crate::error::{Context, Result};
        use crate::fleet::*;
        use crate::listing;

        type Db = $db;

        pub(crate) async fn fleet(
            pool: &Pool<Db>,
            visibility: Visibility,
            filter: &DeviceFilter,
            sort: FleetSortKey,
            descending: bool,
            page: Page,
        ) -> Result<Vec<FleetRow>> {
            let context = || "listing the fleet".to_owned();
            let mut query = listing::select::<Db>(
                visibility,
                &format!(
                    "SELECT {}, a.name AS account_name, s.name AS site_name, \
                     (SELECT COUNT(*) FROM asm_events e WHERE e.device_id = d.id AND e.is_open) \
                     AS open_alerts \
                     FROM devices d JOIN accounts a ON a.id = d.account_id \
                     LEFT JOIN sites s ON s.id = d.site_id WHERE TRUE",
                    crate::devices::DEVICE_COLUMNS
                ),
            );
            crate::devices::restrict(&mut query, visibility, filter);
            let column = sort.column();
            let direction = if descending { "DESC" } else { "ASC" };
            let order = if sort == FleetSortKey::Id {
                format!("d.id {direction}")
            } else {
                format!("({column}) IS NULL, {column} {direction}, d.id {direction}")
            };
            listing::page(&mut query, &order, page);
            let rows = query.build().fetch_all(pool).await.context(context)?;
            let devices = crate::devices::$backend::with_addresses(pool, &rows).await?;
            let mut levels = supplies(pool, &devices).await?;
            rows.iter()
                .zip(devices)
                .map(|(row, device)| {
                    let open_alerts: i64 = row.try_get("open_alerts").context(context)?;
                    Ok(FleetRow {
                        account_name: row.try_get("account_name").context(context)?,
                        site_name: row.try_get("site_name").context(context)?,
                        supplies: levels.remove(&device.id.0).unwrap_or_default(),
                        open_alerts: open_alerts.max(0) as u64,
                        device,
                    })
                })
                .collect()
        }

        /// The latest day's levels of each of `devices`, by device id, in one query.
        async fn supplies(
            pool: &Pool<Db>,
            devices: &[Device],
        ) -> Result<HashMap<i64, Vec<FleetSupply>>> {
            let context = || format!("reading the latest levels of {} devices", devices.len());
            let mut by_device = HashMap::<i64, Vec<FleetSupply>>::new();
            if devices.is_empty() {
                return Ok(by_device);
            }
            let mut query = QueryBuilder::<Db>::new(
                "SELECT l.device_id, l.idx, l.kind, l.color, l.description, l.last_percent, \
                 l.last_state FROM daily_levels l WHERE l.device_id IN (",
            );
            let mut ids = query.separated(", ");
            for device in devices {
                ids.push_bind(device.id.0);
            }
            query
                .push(") AND ")
                .push(super::LATEST_DAY)
                .push(" ORDER BY l.device_id, l.idx");
            for row in query.build().fetch_all(pool).await.context(context)? {
                let index: i64 = row.try_get("idx").context(context)?;
                let percent: Option<i32> = row.try_get("last_percent").context(context)?;
                let supply = FleetSupply {
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    kind: row.try_get("kind").context(context)?,
                    color: row.try_get("color").context(context)?,
                    description: row.try_get("description").context(context)?,
                    percent: percent.map(|p| p.clamp(0, 100) as u8),
                    state: parse_word("daily_levels.last_state", row.try_get("last_state").context(context)?)?,
                };
                by_device
                    .entry(row.try_get("device_id").context(context)?)
                    .or_default()
                    .push(supply);
            }
            Ok(by_device)
        }

        pub(crate) async fn fleet_counts(
            pool: &Pool<Db>,
            visibility: Visibility,
            filter: &DeviceFilter,
        ) -> Result<FleetCounts> {
            let context = || "counting the fleet".to_owned();
            let mut query = listing::select::<Db>(
                visibility,
                &format!(
                    "SELECT COUNT(*) AS devices, \
                     COALESCE(SUM(CASE WHEN d.status = 'down' THEN 1 ELSE 0 END), 0) AS down, \
                     COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM device_conditions c \
                       WHERE c.device_id = d.id) THEN 1 ELSE 0 END), 0) AS needing_service, \
                     COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM daily_levels l \
                       WHERE l.device_id = d.id AND {} AND l.last_state IN ('low', 'empty')) \
                       THEN 1 ELSE 0 END), 0) AS supplies_low \
                     FROM devices d WHERE TRUE",
                    super::LATEST_DAY
                ),
            );
            crate::devices::restrict(&mut query, visibility, filter);
            let row = query.build().fetch_one(pool).await.context(context)?;
            let count = |name: &str| -> Result<u64> {
                let n: i64 = row.try_get(name).context(context)?;
                Ok(n.max(0) as u64)
            };
            Ok(FleetCounts {
                devices: count("devices")?,
                down: count("down")?,
                needing_service: count("needing_service")?,
                supplies_low: count("supplies_low")?,
            })
        }
    };
}

mod sqlite {
    fleet_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    fleet_queries!(sqlx::Postgres, postgres);
}
