//! Supply forecasts as the scheduled recompute last found them: one row per supply
//! position of a device. The store keeps the instant a supply runs out as a column (what
//! "runs out before" compares, indexed) and the forecast or refusal itself as JSON it
//! does not interpret: the arithmetic is `quire-usage`'s, the schedule the server's.

use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, DeviceId, Page, Visibility};

/// A supply position's forecast as last computed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredForecast {
    /// The device.
    pub device_id: DeviceId,
    /// Its account.
    pub account_id: AccountId,
    /// The supply's row index in the device's latest reading.
    pub index: u32,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// When the supply runs out; `None` where the forecast was refused.
    pub empty_on: Option<DateTime<Utc>>,
    /// The forecast or the refusal, as the computing side wrote it.
    pub detail: serde_json::Value,
}

/// A forecast to file.
#[derive(Debug, Clone, PartialEq)]
pub struct NewForecast {
    /// The device.
    pub device_id: DeviceId,
    /// The supply's row index.
    pub index: u32,
    /// When the supply runs out, where a forecast was made.
    pub empty_on: Option<DateTime<Utc>>,
    /// The forecast or the refusal.
    pub detail: serde_json::Value,
}

impl Store {
    /// Replaces the forecasts of `devices` with `forecasts`, all computed at
    /// `computed_at`: a position missing from `forecasts` (a device no longer read, a
    /// supply gone) has no forecast rather than a stale one. One transaction.
    pub async fn replace_forecasts(
        &self,
        devices: &[DeviceId],
        forecasts: &[NewForecast],
        computed_at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.replace_forecasts(devices, forecasts, computed_at))
    }

    /// The device's forecasts, by supply index.
    pub async fn forecasts(&self, device: DeviceId) -> Result<Vec<StoredForecast>> {
        dispatch!(self.forecasts(device))
    }

    /// The supplies the user may see that run out before `before`, soonest first (then
    /// by device and index): a supplies buyer's list of what to ship.
    pub async fn running_out(
        &self,
        visibility: Visibility,
        before: DateTime<Utc>,
        page: Page,
    ) -> Result<Vec<StoredForecast>> {
        dispatch!(self.running_out(visibility, before, page))
    }
}

macro_rules! forecast_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use sqlx::{Pool, QueryBuilder, Row};

        use super::{NewForecast, StoredForecast};
        use crate::backend::$backend::BEGIN_WRITE;
        use crate::backend::{ROWS_PER_STATEMENT, stored_u32};
        use crate::error::{Context, Result};
        use crate::types::{AccountId, DeviceId, Page, Visibility};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        const COLUMNS: &str = "SELECT f.device_id, d.account_id, f.idx, f.computed_at, f.empty_on, f.detail \
             FROM supply_forecasts f JOIN devices d ON d.id = f.device_id WHERE ";

        fn from_row(row: &DbRow) -> Result<StoredForecast> {
            let context = || "reading a supply forecast row".to_owned();
            let Json(detail): Json<serde_json::Value> = row.try_get("detail").context(context)?;
            Ok(StoredForecast {
                device_id: DeviceId(row.try_get("device_id").context(context)?),
                account_id: AccountId(row.try_get("account_id").context(context)?),
                index: stored_u32("supply_forecasts.idx", row.try_get("idx").context(context)?)?,
                computed_at: row.try_get("computed_at").context(context)?,
                empty_on: row.try_get("empty_on").context(context)?,
                detail,
            })
        }

        pub(crate) async fn replace_forecasts(
            pool: &Pool<Db>,
            devices: &[DeviceId],
            forecasts: &[NewForecast],
            computed_at: DateTime<Utc>,
        ) -> Result<()> {
            let context = || format!("filing the supply forecasts of {} devices", devices.len());
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            for chunk in devices.chunks(ROWS_PER_STATEMENT) {
                let mut delete = QueryBuilder::<Db>::new("DELETE FROM supply_forecasts WHERE device_id IN (");
                let mut ids = delete.separated(", ");
                for device in chunk {
                    ids.push_bind(device.0);
                }
                delete.push(")");
                delete.build().execute(&mut *tx).await.context(context)?;
            }
            for chunk in forecasts.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::<Db>::new(
                    "INSERT INTO supply_forecasts (device_id, idx, computed_at, empty_on, detail) ",
                );
                insert.push_values(chunk, |mut row, forecast| {
                    row.push_bind(forecast.device_id.0)
                        .push_bind(i64::from(forecast.index))
                        .push_bind(computed_at)
                        .push_bind(forecast.empty_on)
                        .push_bind(Json(&forecast.detail));
                });
                insert.build().execute(&mut *tx).await.context(context)?;
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn forecasts(pool: &Pool<Db>, device: DeviceId) -> Result<Vec<StoredForecast>> {
            let mut query = QueryBuilder::<Db>::new(COLUMNS);
            query.push("f.device_id = ").push_bind(device.0).push(" ORDER BY f.idx");
            let rows = query
                .build()
                .fetch_all(pool)
                .await
                .context(|| format!("reading the supply forecasts of {device}"))?;
            rows.iter().map(from_row).collect()
        }

        pub(crate) async fn running_out(
            pool: &Pool<Db>,
            visibility: Visibility,
            before: DateTime<Utc>,
            page: Page,
        ) -> Result<Vec<StoredForecast>> {
            let mut query = crate::listing::select::<Db>(visibility, COLUMNS);
            query.push("f.empty_on < ").push_bind(before);
            crate::listing::restrict(&mut query, visibility, "d.account_id");
            crate::listing::page(&mut query, "f.empty_on, f.device_id, f.idx", page);
            let rows = query
                .build()
                .fetch_all(pool)
                .await
                .context(|| format!("listing the supplies running out before {before}"))?;
            rows.iter().map(from_row).collect()
        }
    };
}

mod sqlite {
    forecast_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    forecast_queries!(sqlx::Postgres, postgres);
}
