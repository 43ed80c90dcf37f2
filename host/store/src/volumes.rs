//! Calculated values: each device's average daily and monthly volume, as the scheduled
//! recompute last found them. The store keeps the two figures as columns (what alert
//! filters compare) and what they were computed from as JSON it does not interpret: the
//! arithmetic is `quire-usage`'s, the schedule the server's.

use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::Result;
use crate::types::DeviceId;

/// Rows per multi-row upsert: five binds each, far below both backends' bind limits.
const ROWS_PER_STATEMENT: usize = 2_000;

/// A device's volume as last computed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceVolume {
    /// The device.
    pub device_id: DeviceId,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// Average pages per day with data.
    pub daily: f64,
    /// Average pages per month.
    pub monthly: f64,
    /// What the figures were computed from, as the computing side wrote it.
    pub detail: serde_json::Value,
}

impl Store {
    /// Up to `limit` device ids after `after` (from the first when `None`), ascending:
    /// how a job walks every device in pages of known size.
    pub async fn device_ids_after(
        &self,
        after: Option<DeviceId>,
        limit: u32,
    ) -> Result<Vec<DeviceId>> {
        dispatch!(self.device_ids_after(after, limit))
    }

    /// Replaces the volumes of `devices`: those in `volumes` are written, the others'
    /// are removed (a device with no data in the window has no volume, not a stale one).
    /// One transaction.
    pub async fn replace_volumes(
        &self,
        devices: &[DeviceId],
        volumes: &[DeviceVolume],
    ) -> Result<()> {
        dispatch!(self.replace_volumes(devices, volumes))
    }

    /// The volumes of those of `devices` that have one, by device.
    pub async fn volumes_of(&self, devices: &[DeviceId]) -> Result<Vec<DeviceVolume>> {
        dispatch!(self.volumes_of(devices))
    }

    /// The device's volume, if one was computed.
    pub async fn volume(&self, device: DeviceId) -> Result<Option<DeviceVolume>> {
        dispatch!(self.volume(device))
    }
}

macro_rules! volume_queries {
    ($db:ty, $backend:ident) => {
        use sqlx::types::Json;
        use sqlx::{Pool, QueryBuilder, Row};

        use super::{DeviceVolume, ROWS_PER_STATEMENT};
        use crate::backend::$backend::BEGIN_WRITE;
        use crate::error::{Context, Result};
        use crate::types::DeviceId;

        type Db = $db;

        pub(crate) async fn device_ids_after(
            pool: &Pool<Db>,
            after: Option<DeviceId>,
            limit: u32,
        ) -> Result<Vec<DeviceId>> {
            sqlx::query_scalar("SELECT id FROM devices WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after.map_or(0, |d| d.0))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map(|ids| ids.into_iter().map(DeviceId).collect())
                .context(|| format!("listing {limit} devices after {after:?}"))
        }

        pub(crate) async fn replace_volumes(
            pool: &Pool<Db>,
            devices: &[DeviceId],
            volumes: &[DeviceVolume],
        ) -> Result<()> {
            let context = || format!("filing the volumes of {} devices", devices.len());
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            for chunk in devices.chunks(ROWS_PER_STATEMENT) {
                let mut delete = QueryBuilder::<Db>::new("DELETE FROM device_volumes WHERE device_id IN (");
                let mut ids = delete.separated(", ");
                for device in chunk {
                    ids.push_bind(device.0);
                }
                delete.push(")");
                delete.build().execute(&mut *tx).await.context(context)?;
            }
            for chunk in volumes.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::<Db>::new(
                    "INSERT INTO device_volumes (device_id, computed_at, daily, monthly, detail) ",
                );
                insert.push_values(chunk, |mut row, volume| {
                    row.push_bind(volume.device_id.0)
                        .push_bind(volume.computed_at)
                        .push_bind(volume.daily)
                        .push_bind(volume.monthly)
                        .push_bind(Json(&volume.detail));
                });
                insert.build().execute(&mut *tx).await.context(context)?;
            }
            tx.commit().await.context(context)
        }

        fn volume_from_row(row: &<Db as sqlx::Database>::Row) -> Result<DeviceVolume> {
            let context = || "reading a device volume row".to_owned();
            let Json(detail): Json<serde_json::Value> = row.try_get("detail").context(context)?;
            Ok(DeviceVolume {
                device_id: DeviceId(row.try_get("device_id").context(context)?),
                computed_at: row.try_get("computed_at").context(context)?,
                daily: row.try_get("daily").context(context)?,
                monthly: row.try_get("monthly").context(context)?,
                detail,
            })
        }

        pub(crate) async fn volumes_of(pool: &Pool<Db>, devices: &[DeviceId]) -> Result<Vec<DeviceVolume>> {
            let mut volumes = Vec::new();
            for chunk in devices.chunks(crate::summaries::DEVICES_PER_QUERY) {
                let mut query = QueryBuilder::<Db>::new(
                    "SELECT device_id, computed_at, daily, monthly, detail FROM device_volumes WHERE device_id IN (",
                );
                let mut ids = query.separated(", ");
                for device in chunk {
                    ids.push_bind(device.0);
                }
                query.push(") ORDER BY device_id");
                let rows = query
                    .build()
                    .fetch_all(pool)
                    .await
                    .context(|| format!("reading the volumes of {} devices", chunk.len()))?;
                for row in &rows {
                    volumes.push(volume_from_row(row)?);
                }
            }
            Ok(volumes)
        }

        pub(crate) async fn volume(pool: &Pool<Db>, device: DeviceId) -> Result<Option<DeviceVolume>> {
            let context = || format!("reading the volume of {device}");
            let row = sqlx::query(
                "SELECT computed_at, daily, monthly, detail FROM device_volumes WHERE device_id = $1",
            )
            .bind(device.0)
            .fetch_optional(pool)
            .await
            .context(context)?;
            row.map(|row| {
                let Json(detail): Json<serde_json::Value> = row.try_get("detail").context(context)?;
                Ok(DeviceVolume {
                    device_id: device,
                    computed_at: row.try_get("computed_at").context(context)?,
                    daily: row.try_get("daily").context(context)?,
                    monthly: row.try_get("monthly").context(context)?,
                    detail,
                })
            })
            .transpose()
        }
    };
}

mod sqlite {
    volume_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    volume_queries!(sqlx::Postgres, postgres);
}
