//! What a dealer records about a device's supplies that its readings cannot show:
//! cartridges ordered, shipped and installed at a supply position, and the pages each
//! part number is rated for, per account. `quire-usage` joins them with the readings
//! into each position's cartridges, and ASM's alert-logic plugins judge parts the device
//! does not report by them (a maintenance kit counted from its recorded install); the
//! store keeps them as given. `supply_events.kind` is free text in both schemas, so
//! `installed` needed no migration.
//!
//! A position is named as `quire_usage::lifecycle::SupplyPosition` names it (kind,
//! colour, rank) rather than by row index, since firmware renumbers rows; the store
//! does not check the device ever reported it, since an order may precede the first
//! reading that shows the slot, and the history reports an event it cannot place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, DeviceId, Page, id_type};

id_type!(
    /// An order, shipment or install recorded for a device's supply.
    SupplyEventId,
    "supply event"
);

/// What happened to a cartridge on its way into the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SupplyEventKind {
    /// It was ordered.
    Ordered,
    /// It was shipped.
    Shipped,
    /// The dealer installed it.
    Installed,
}

/// An order, shipment or install to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSupplyEvent<'a> {
    /// The supply's kind, lower-case (`toner`).
    pub supply_kind: &'a str,
    /// Its colour, lower-case, where it has one.
    pub supply_color: Option<&'a str>,
    /// Its rank among the device's supplies of that kind and colour, from 1.
    pub supply_rank: u32,
    /// Ordered, shipped or installed.
    pub kind: SupplyEventKind,
    /// The part.
    pub part_number: &'a str,
    /// How many.
    pub quantity: u32,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The dealer's note (an order number, a carrier).
    pub note: Option<&'a str>,
}

/// An order, shipment or install as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyEvent {
    /// Its id.
    pub id: SupplyEventId,
    /// The device it is for.
    pub device_id: DeviceId,
    /// The supply's kind.
    pub supply_kind: String,
    /// Its colour.
    pub supply_color: Option<String>,
    /// Its rank.
    pub supply_rank: u32,
    /// Ordered, shipped or installed.
    pub kind: SupplyEventKind,
    /// The part.
    pub part_number: String,
    /// How many.
    pub quantity: u32,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The dealer's note.
    pub note: Option<String>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// The pages one part number is rated for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatedYield {
    /// The part number, as devices and orders give it.
    pub part_number: String,
    /// Its rated pages.
    pub rated_pages: u64,
}

impl Store {
    /// Records an order, shipment or install for a supply of `device`, at `recorded_at`.
    pub async fn add_supply_event(
        &self,
        device: DeviceId,
        event: &NewSupplyEvent<'_>,
        recorded_at: DateTime<Utc>,
    ) -> Result<SupplyEvent> {
        dispatch!(self.add_supply_event(device, event, recorded_at))
    }

    /// A page of a device's supply events, oldest first (by when they happened).
    pub async fn supply_events(&self, device: DeviceId, page: Page) -> Result<Vec<SupplyEvent>> {
        dispatch!(self.supply_events(device, page))
    }

    /// The rated yields an account set, by part number.
    pub async fn rated_yields(&self, account: AccountId) -> Result<Vec<RatedYield>> {
        dispatch!(self.rated_yields(account))
    }

    /// The supply events of every device in `devices`, by device, then when they
    /// happened: how a job reads a page of devices in one query.
    pub async fn supply_events_of(&self, devices: &[DeviceId]) -> Result<Vec<SupplyEvent>> {
        dispatch!(self.supply_events_of(devices))
    }

    /// [`Store::supply_events_of`], each with the device's `counter` when it happened:
    /// its value at the last reading at or before it that the daily meters kept (each
    /// day's first and last), `None` where none is. The pages a part has printed since
    /// it went in are the counter now less this.
    pub async fn supply_events_with_counter_of(
        &self,
        devices: &[DeviceId],
        counter: &str,
    ) -> Result<Vec<(SupplyEvent, Option<u64>)>> {
        dispatch!(self.supply_events_with_counter_of(devices, counter))
    }

    /// The rated yields each device in `devices` is measured against (its account's),
    /// by device, then part number.
    pub async fn rated_yields_of(
        &self,
        devices: &[DeviceId],
    ) -> Result<Vec<(DeviceId, RatedYield)>> {
        dispatch!(self.rated_yields_of(devices))
    }

    /// Replaces an account's rated yields with `yields` (none clears them), in one
    /// transaction. Part numbers must be distinct; the caller checks them.
    pub async fn set_rated_yields(&self, account: AccountId, yields: &[RatedYield]) -> Result<()> {
        dispatch!(self.set_rated_yields(account, yields))
    }
}

/// A count given to the store back as the BIGINT it is stored as.
fn bigint(field: &str, value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| crate::Error::Invalid {
        field: field.into(),
        message: format!("{value} is beyond what can be stored"),
    })
}

macro_rules! supply_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::{Pool, QueryBuilder, Row};

        use super::{NewSupplyEvent, RatedYield, SupplyEvent, SupplyEventId, bigint};
        use crate::backend::$backend::{BEGIN_WRITE, one_row, page_of};
        use crate::backend::{parse_word, stored_u32, word};
        use crate::error::{Context, Error, Result};
        use crate::summaries::DEVICES_PER_QUERY;
        use crate::types::{AccountId, DeviceId, Page};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        const EVENT_COLUMNS: &str = "SELECT id, device_id, supply_kind, supply_color, supply_rank, kind, \
             part_number, quantity, happened_at, note, recorded_at FROM supply_events WHERE ";

        fn event_from_row(row: &DbRow) -> Result<SupplyEvent> {
            let context = || "reading a supply event row".to_owned();
            Ok(SupplyEvent {
                id: SupplyEventId(row.try_get("id").context(context)?),
                device_id: DeviceId(row.try_get("device_id").context(context)?),
                supply_kind: row.try_get("supply_kind").context(context)?,
                supply_color: row.try_get("supply_color").context(context)?,
                supply_rank: stored_u32("supply_events.supply_rank", row.try_get("supply_rank").context(context)?)?,
                kind: parse_word("supply_events.kind", row.try_get("kind").context(context)?)?,
                part_number: row.try_get("part_number").context(context)?,
                quantity: stored_u32("supply_events.quantity", row.try_get("quantity").context(context)?)?,
                at: row.try_get("happened_at").context(context)?,
                note: row.try_get("note").context(context)?,
                recorded_at: row.try_get("recorded_at").context(context)?,
            })
        }

        pub(crate) async fn add_supply_event(
            pool: &Pool<Db>,
            device: DeviceId,
            event: &NewSupplyEvent<'_>,
            recorded_at: DateTime<Utc>,
        ) -> Result<SupplyEvent> {
            let context = || format!("recording a supply event of {device}");
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO supply_events (device_id, supply_kind, supply_color, supply_rank, kind, \
                 part_number, quantity, happened_at, note, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(device.0)
            .bind(event.supply_kind)
            .bind(event.supply_color)
            .bind(i64::from(event.supply_rank))
            .bind(word(&event.kind))
            .bind(event.part_number)
            .bind(i64::from(event.quantity))
            .bind(event.at)
            .bind(event.note)
            .bind(recorded_at)
            .fetch_one(pool)
            .await
            .context(context)?;
            let id = SupplyEventId(id);
            let select = sqlx::query(sqlx::AssertSqlSafe(format!("{EVENT_COLUMNS}id = $1")));
            event_from_row(&one_row(pool, select.bind(id.0), id, context).await?)
        }

        pub(crate) async fn supply_events(pool: &Pool<Db>, device: DeviceId, page: Page) -> Result<Vec<SupplyEvent>> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{EVENT_COLUMNS}device_id = $1 ORDER BY happened_at, id LIMIT $2 OFFSET $3"
            )));
            let rows = page_of(pool, select.bind(device.0), page, || format!("listing the supply events of {device}")).await?;
            rows.iter().map(event_from_row).collect()
        }

        pub(crate) async fn rated_yields(pool: &Pool<Db>, account: AccountId) -> Result<Vec<RatedYield>> {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT part_number, rated_pages FROM rated_yields WHERE account_id = $1 ORDER BY part_number",
            )
            .bind(account.0)
            .fetch_all(pool)
            .await
            .context(|| format!("reading the rated yields of {account}"))?;
            rows.into_iter()
                .map(|(part_number, pages)| {
                    Ok(RatedYield { part_number, rated_pages: stored_pages(pages)? })
                })
                .collect()
        }

        pub(crate) async fn supply_events_of(pool: &Pool<Db>, devices: &[DeviceId]) -> Result<Vec<SupplyEvent>> {
            let mut events = Vec::new();
            for chunk in devices.chunks(DEVICES_PER_QUERY) {
                let mut query = QueryBuilder::<Db>::new(EVENT_COLUMNS);
                query.push("device_id IN (");
                let mut ids = query.separated(", ");
                for device in chunk {
                    ids.push_bind(device.0);
                }
                query.push(") ORDER BY device_id, happened_at, id");
                let rows = query
                    .build()
                    .fetch_all(pool)
                    .await
                    .context(|| format!("listing the supply events of {} devices", chunk.len()))?;
                for row in &rows {
                    events.push(event_from_row(row)?);
                }
            }
            Ok(events)
        }

        pub(crate) async fn supply_events_with_counter_of(
            pool: &Pool<Db>,
            devices: &[DeviceId],
            counter: &str,
        ) -> Result<Vec<(SupplyEvent, Option<u64>)>> {
            let mut events = Vec::new();
            for chunk in devices.chunks(DEVICES_PER_QUERY) {
                // The day's last mark when it was taken by then, else its first; the
                // latest such day at or before the event's (UTC) day, found walking the
                // daily meters' key (device, day, counter) back from it.
                let mut query = QueryBuilder::<Db>::new(EVENT_COLUMNS.replace(
                    " FROM supply_events WHERE ",
                    ", (SELECT CASE WHEN m.last_at <= supply_events.happened_at \
                     THEN m.last_value ELSE m.first_value END FROM daily_meters m \
                     WHERE m.device_id = supply_events.device_id AND m.counter = ",
                ));
                query.push_bind(counter).push(" AND m.day <= ").push(EVENT_DAY).push(
                    " AND m.first_at <= supply_events.happened_at ORDER BY m.day DESC LIMIT 1) \
                     AS counter_then FROM supply_events WHERE device_id IN (",
                );
                let mut ids = query.separated(", ");
                for device in chunk {
                    ids.push_bind(device.0);
                }
                query.push(") ORDER BY device_id, happened_at, id");
                let rows = query
                    .build()
                    .fetch_all(pool)
                    .await
                    .context(|| format!("listing the supply events of {} devices with their {counter} counter", chunk.len()))?;
                for row in &rows {
                    let then: Option<i64> = row.try_get("counter_then").context(|| "reading a supply event row".to_owned())?;
                    let then = then
                        .map(|value| {
                            u64::try_from(value).map_err(|_| Error::Corrupt {
                                column: "daily_meters.value",
                                value: value.to_string(),
                                reason: "a negative page counter".into(),
                            })
                        })
                        .transpose()?;
                    events.push((event_from_row(row)?, then));
                }
            }
            Ok(events)
        }

        pub(crate) async fn rated_yields_of(pool: &Pool<Db>, devices: &[DeviceId]) -> Result<Vec<(DeviceId, RatedYield)>> {
            let mut yields = Vec::new();
            for chunk in devices.chunks(DEVICES_PER_QUERY) {
                let mut query = QueryBuilder::<Db>::new(
                    "SELECT d.id, y.part_number, y.rated_pages FROM devices d \
                     JOIN rated_yields y ON y.account_id = d.account_id WHERE d.id IN (",
                );
                let mut ids = query.separated(", ");
                for device in chunk {
                    ids.push_bind(device.0);
                }
                query.push(") ORDER BY d.id, y.part_number");
                let rows = query
                    .build()
                    .fetch_all(pool)
                    .await
                    .context(|| format!("reading the rated yields of {} devices", chunk.len()))?;
                for row in &rows {
                    let context = || "reading a rated yield row".to_owned();
                    let device = DeviceId(row.try_get("id").context(context)?);
                    let pages: i64 = row.try_get("rated_pages").context(context)?;
                    yields.push((
                        device,
                        RatedYield {
                            part_number: row.try_get("part_number").context(context)?,
                            rated_pages: stored_pages(pages)?,
                        },
                    ));
                }
            }
            Ok(yields)
        }

        fn stored_pages(pages: i64) -> Result<u64> {
            u64::try_from(pages).map_err(|e| Error::Corrupt {
                column: "rated_yields.rated_pages",
                value: pages.to_string(),
                reason: e.to_string(),
            })
        }

        pub(crate) async fn set_rated_yields(pool: &Pool<Db>, account: AccountId, yields: &[RatedYield]) -> Result<()> {
            let context = || format!("setting the rated yields of {account}");
            let pages = yields
                .iter()
                .enumerate()
                .map(|(i, y)| bigint(&format!("[{i}].rated-pages"), y.rated_pages))
                .collect::<Result<Vec<i64>>>()?;
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            sqlx::query("DELETE FROM rated_yields WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            for chunk in yields.iter().zip(pages).collect::<Vec<_>>().chunks(crate::backend::ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::<Db>::new("INSERT INTO rated_yields (account_id, part_number, rated_pages) ");
                insert.push_values(chunk, |mut row, (rated, pages)| {
                    row.push_bind(account.0).push_bind(rated.part_number.as_str()).push_bind(*pages);
                });
                insert.build().execute(&mut *tx).await.context(context)?;
            }
            tx.commit().await.context(context)
        }
    };
}

mod sqlite {
    /// The UTC day a supply event happened, as `daily_meters.day` holds days.
    const EVENT_DAY: &str = "date(supply_events.happened_at)";
    supply_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    /// The UTC day a supply event happened, as `daily_meters.day` holds days.
    const EVENT_DAY: &str = "(supply_events.happened_at AT TIME ZONE 'UTC')::date";
    supply_queries!(sqlx::Postgres, postgres);
}
