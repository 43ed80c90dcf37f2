//! Work orders for a device's malfunction, the service settings they are priced and
//! closed by, and every change made to them.
//!
//! An order keeps the assessment it was created from (state, skill, repair minutes)
//! and its estimate as priced then, so a later change of rates leaves issued orders
//! as they were. Money is [`Decimal`], stored as decimal text: exact, the same on
//! both backends, and never summed in SQL.
//!
//! Service settings (labour rates per skill level, closing orders when their error
//! clears) are each an account's own or inherited: the nearest account up the parent
//! chain that sets a value gives it, as `sees` walks the chain in `listing.rs`.
//!
//! Closing an order because its error cleared happens at ingest, inside the batch's
//! transaction ([`malfunctions`](crate::malfunctions)): the change is `system`'s.

use chrono::{DateTime, Utc};
use quire_model::{Assessment, ErrorSource, SkillLevel};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, DeviceId, Page, ReadingId, UserId, Visibility};

crate::types::id_type!(
    /// A work order.
    WorkOrderId,
    "work order"
);

/// Where a work order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WorkOrderStatus {
    /// Created, nobody on it yet.
    Open,
    /// A user is on it.
    Assigned,
    /// Fixed.
    Done,
    /// Dropped.
    Cancelled,
}

impl WorkOrderStatus {
    /// Whether a person may move an order from `self` to `next`: open → assigned,
    /// assigned → assigned (to someone else), assigned → done, and open or assigned →
    /// cancelled. Done and cancelled are final; an open order is assigned before it
    /// is done, so every fix has someone who did it. (When the error clears by itself
    /// the system closes an open order too: that is not a person's move.)
    pub fn may_become(self, next: WorkOrderStatus) -> bool {
        use WorkOrderStatus::*;
        matches!(
            (self, next),
            (Open, Assigned)
                | (Assigned, Assigned)
                | (Assigned, Done)
                | (Open, Cancelled)
                | (Assigned, Cancelled)
        )
    }

    /// Whether nothing may change the order any more.
    pub fn is_final(self) -> bool {
        matches!(self, WorkOrderStatus::Done | WorkOrderStatus::Cancelled)
    }
}

/// Who made a change: a user, or the server itself (closing an order whose error cleared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A logged-in user.
    User(UserId),
    /// The server, on its own.
    System,
}

/// One part an order needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderPart {
    /// The maker's part number.
    pub part_number: String,
    /// How many.
    pub quantity: u32,
    /// The price of one.
    pub unit_cost: Decimal,
}

/// What an estimate is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// The labour rate per hour for the order's skill level; `None` when no account up
    /// the chain sets one.
    pub labour_rate: Option<Decimal>,
    /// Rate × estimated minutes ÷ 60; `None` without a rate.
    pub labour_cost: Option<Decimal>,
    /// Σ quantity × unit cost.
    pub parts_cost: Decimal,
    /// Labour plus parts; `None` without a rate (a total without labour would mislead).
    pub total: Option<Decimal>,
}

/// A work order to file.
#[derive(Debug, Clone)]
pub struct NewWorkOrder<'a> {
    /// The device's account.
    pub account: AccountId,
    /// The device.
    pub device: DeviceId,
    /// The reading whose assessment it is created from.
    pub reading: ReadingId,
    /// The alert row or error bit assessed.
    pub input: ErrorSource,
    /// What the strategy made of it.
    pub assessment: &'a Assessment,
    /// Its price.
    pub estimate: &'a Estimate,
    /// The parts it needs.
    pub parts: &'a [WorkOrderPart],
    /// Free text for whoever does it.
    pub note: Option<&'a str>,
    /// Who creates it.
    pub by: Actor,
    /// When.
    pub at: DateTime<Utc>,
}

/// A work order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrder {
    /// Its id.
    pub id: WorkOrderId,
    /// The device's account.
    pub account_id: AccountId,
    /// The device.
    pub device_id: DeviceId,
    /// The reading it was created from, while that is kept.
    pub reading_id: Option<ReadingId>,
    /// The alert row or error bit it was created from.
    pub input: ErrorSource,
    /// The assessment it was created from.
    pub assessment: Assessment,
    /// Its price when created.
    pub estimate: Estimate,
    /// The parts, in the order given.
    pub parts: Vec<WorkOrderPart>,
    /// Free text.
    pub note: Option<String>,
    /// Where it is now.
    pub status: WorkOrderStatus,
    /// Who is on it.
    pub assignee: Option<UserId>,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// One change of a work order: its creation, then each move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: a user (id and name), or `None` for the system.
    pub by: Option<(UserId, String)>,
    /// The status it left.
    pub status: WorkOrderStatus,
    /// The assignee it left.
    pub assignee: Option<UserId>,
    /// Why, where the change says (`paper-jam cleared in reading 12`).
    pub note: Option<String>,
}

/// One move of a work order, as its history keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkOrderMove<'a> {
    /// The status the order must still be in.
    pub from: WorkOrderStatus,
    /// The status it moves to.
    pub to: WorkOrderStatus,
    /// Who is on it afterwards.
    pub assignee: Option<UserId>,
    /// Who moves it.
    pub by: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, for the history.
    pub note: Option<&'a str>,
}

/// Which work orders a list returns; every condition set must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkOrderFilter {
    /// Of this account.
    pub account: Option<AccountId>,
    /// Of this device.
    pub device: Option<DeviceId>,
    /// In this status.
    pub status: Option<WorkOrderStatus>,
    /// Assigned to this user.
    pub assignee: Option<UserId>,
}

/// Labour rates per hour, one per skill level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabourRates {
    /// Any user at the device.
    pub anyone: Option<Decimal>,
    /// A trained key operator.
    pub key_operator: Option<Decimal>,
    /// A service technician.
    pub technician: Option<Decimal>,
    /// A specialist.
    pub specialist: Option<Decimal>,
}

impl LabourRates {
    /// The rate for `skill`.
    pub fn of(&self, skill: SkillLevel) -> Option<Decimal> {
        match skill {
            SkillLevel::Anyone => self.anyone,
            SkillLevel::KeyOperator => self.key_operator,
            SkillLevel::Technician => self.technician,
            SkillLevel::Specialist => self.specialist,
        }
    }
}

/// An account's own service settings; `None` inherits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceSettings {
    /// Labour rates per hour by skill level.
    pub labour_rates: LabourRates,
    /// Whether a work order closes itself when its error clears.
    pub auto_close: Option<bool>,
}

/// A setting in force for an account, and the account that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inherited<T> {
    /// The value.
    pub value: T,
    /// The nearest account up the chain (the account itself first) that sets it.
    pub from: AccountId,
}

/// The service settings in force for an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EffectiveSettings {
    /// Per skill level: anyone, key operator, technician, specialist.
    pub labour_rates: [Option<Inherited<Decimal>>; 4],
    /// Whether orders close themselves; `None` when no account sets it (they do not).
    pub auto_close: Option<Inherited<bool>>,
}

impl EffectiveSettings {
    /// The rate in force for `skill`.
    pub fn rate(&self, skill: SkillLevel) -> Option<Inherited<Decimal>> {
        self.labour_rates[skill_slot(skill)]
    }
}

/// The place of `skill` in [`EffectiveSettings::labour_rates`].
fn skill_slot(skill: SkillLevel) -> usize {
    match skill {
        SkillLevel::Anyone => 0,
        SkillLevel::KeyOperator => 1,
        SkillLevel::Technician => 2,
        SkillLevel::Specialist => 3,
    }
}

impl Store {
    /// An account's own service settings (nothing inherited).
    pub async fn service_settings(&self, account: AccountId) -> Result<ServiceSettings> {
        dispatch!(self.service_settings(account))
    }

    /// Replaces an account's own service settings.
    pub async fn set_service_settings(
        &self,
        account: AccountId,
        settings: &ServiceSettings,
    ) -> Result<()> {
        dispatch!(self.set_service_settings(account, settings))
    }

    /// The service settings in force for an account: each the nearest set up its chain.
    pub async fn effective_service_settings(
        &self,
        account: AccountId,
    ) -> Result<EffectiveSettings> {
        dispatch!(self.effective_service_settings(account))
    }

    /// Files a work order with its parts and its first history entry; its id.
    pub async fn create_work_order(&self, order: &NewWorkOrder<'_>) -> Result<WorkOrderId> {
        dispatch!(self.create_work_order(order))
    }

    /// One work order, or [`crate::Error::NotFound`].
    pub async fn work_order(&self, id: WorkOrderId) -> Result<WorkOrder> {
        dispatch!(self.work_order(id))
    }

    /// A page of the work orders of the accounts `visibility` covers that match `filter`,
    /// newest first.
    pub async fn work_orders(
        &self,
        visibility: Visibility,
        filter: WorkOrderFilter,
        page: Page,
    ) -> Result<Vec<WorkOrder>> {
        dispatch!(self.work_orders(visibility, filter, page))
    }

    /// Makes `change` to an order that is still `change.from`, and records it in the
    /// order's history; false when the order is no longer `from` (someone else moved it
    /// meanwhile).
    pub async fn change_work_order(
        &self,
        id: WorkOrderId,
        change: &WorkOrderMove<'_>,
    ) -> Result<bool> {
        dispatch!(self.change_work_order(id, change))
    }

    /// Every change of an order, its creation first.
    pub async fn work_order_history(&self, id: WorkOrderId) -> Result<Vec<WorkOrderChange>> {
        dispatch!(self.work_order_history(id))
    }
}

macro_rules! work_order_queries {
    ($db:ty, $backend:ident) => {
        use std::collections::HashMap;
        use std::str::FromStr;

        use chrono::{DateTime, Utc};
        use quire_model::Assessment;
        use rust_decimal::Decimal;
        use sqlx::{Pool, QueryBuilder, Row, Transaction};

        use crate::backend::$backend::{BEGIN_WRITE, one_row};
        use crate::backend::{parse_word, stored_u32, word};
        use crate::error::{Context, Error, Result};
        use crate::malfunctions::{Settled, input_columns, input_of};
        use crate::types::{AccountId, DeviceId, Page, ReadingId, UserId, Visibility};
        use crate::work_orders::{
            Actor, EffectiveSettings, Estimate, Inherited, LabourRates, NewWorkOrder, ServiceSettings,
            WorkOrder, WorkOrderChange, WorkOrderFilter, WorkOrderId, WorkOrderMove, WorkOrderPart,
            WorkOrderStatus,
        };

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        /// A stored amount back as a [`Decimal`], naming the column when it is not one.
        fn money(column: &'static str, text: Option<String>) -> Result<Option<Decimal>> {
            text.map(|text| {
                Decimal::from_str(&text).map_err(|e| Error::Corrupt { column, value: text.clone(), reason: e.to_string() })
            })
            .transpose()
        }

        /// The walk up from an account: each account of its chain with its distance, `$1` the account.
        const CHAIN: &str = "WITH RECURSIVE up (id, parent_id, depth) AS ( \
             SELECT id, parent_id, 0 FROM accounts WHERE id = $1 \
             UNION ALL SELECT a.id, a.parent_id, up.depth + 1 FROM accounts a JOIN up ON a.id = up.parent_id) ";

        const SETTING_COLUMNS: [&str; 5] = ["rate_anyone", "rate_key_operator", "rate_technician", "rate_specialist", "auto_close"];

        pub(crate) async fn service_settings(pool: &Pool<Db>, account: AccountId) -> Result<ServiceSettings> {
            let context = || format!("reading the service settings of {account}");
            let row = sqlx::query(
                "SELECT rate_anyone, rate_key_operator, rate_technician, rate_specialist, auto_close \
                 FROM service_settings WHERE account_id = $1",
            )
            .bind(account.0)
            .fetch_optional(pool)
            .await
            .context(context)?;
            let Some(row) = row else {
                return Ok(ServiceSettings::default());
            };
            let rate = |column: &'static str| -> Result<Option<Decimal>> {
                money("service_settings.rate", row.try_get(column).context(context)?)
            };
            Ok(ServiceSettings {
                labour_rates: LabourRates {
                    anyone: rate("rate_anyone")?,
                    key_operator: rate("rate_key_operator")?,
                    technician: rate("rate_technician")?,
                    specialist: rate("rate_specialist")?,
                },
                auto_close: row.try_get("auto_close").context(context)?,
            })
        }

        pub(crate) async fn set_service_settings(pool: &Pool<Db>, account: AccountId, settings: &ServiceSettings) -> Result<()> {
            let rates = &settings.labour_rates;
            let text = |rate: Option<Decimal>| rate.map(|r| r.to_string());
            sqlx::query(
                "INSERT INTO service_settings (account_id, rate_anyone, rate_key_operator, rate_technician, \
                 rate_specialist, auto_close) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id) DO UPDATE SET \
                 rate_anyone = excluded.rate_anyone, rate_key_operator = excluded.rate_key_operator, \
                 rate_technician = excluded.rate_technician, rate_specialist = excluded.rate_specialist, \
                 auto_close = excluded.auto_close",
            )
            .bind(account.0)
            .bind(text(rates.anyone))
            .bind(text(rates.key_operator))
            .bind(text(rates.technician))
            .bind(text(rates.specialist))
            .bind(settings.auto_close)
            .execute(pool)
            .await
            .context(|| format!("setting the service settings of {account}"))?;
            Ok(())
        }

        pub(crate) async fn effective_service_settings<'e, E>(executor: E, account: AccountId) -> Result<EffectiveSettings>
        where
            E: sqlx::Executor<'e, Database = Db>,
        {
            let context = || format!("reading the service settings in force for {account}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{CHAIN}SELECT up.id, s.rate_anyone, s.rate_key_operator, s.rate_technician, s.rate_specialist, \
                 s.auto_close FROM up JOIN service_settings s ON s.account_id = up.id ORDER BY up.depth"
            )))
            .bind(account.0)
            .fetch_all(executor)
            .await
            .context(context)?;
            let mut settings = EffectiveSettings::default();
            // Nearest first: the first account that sets a value gives it.
            for row in &rows {
                let from = AccountId(row.try_get("id").context(context)?);
                for (slot, column) in SETTING_COLUMNS[..4].iter().enumerate() {
                    if settings.labour_rates[slot].is_none()
                        && let Some(value) = money("service_settings.rate", row.try_get(*column).context(context)?)?
                    {
                        settings.labour_rates[slot] = Some(Inherited { value, from });
                    }
                }
                if settings.auto_close.is_none()
                    && let Some(value) = row.try_get::<Option<bool>, _>(SETTING_COLUMNS[4]).context(context)?
                {
                    settings.auto_close = Some(Inherited { value, from });
                }
            }
            Ok(settings)
        }

        pub(crate) async fn create_work_order(pool: &Pool<Db>, order: &NewWorkOrder<'_>) -> Result<WorkOrderId> {
            let context = || format!("filing a work order for {}", order.device);
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let (kind, index) = input_columns(&order.input);
            let a = order.assessment;
            let text = |amount: Option<Decimal>| amount.map(|a| a.to_string());
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO work_orders (account_id, device_id, reading_id, input_kind, input_index, state, \
                 error_group, severity, skill, field_service, estimated_minutes, labour_rate, labour_cost, \
                 parts_cost, estimate, note, status, assignee_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, NULL, $18, $18) \
                 RETURNING id",
            )
            .bind(order.account.0)
            .bind(order.device.0)
            .bind(order.reading.0)
            .bind(kind)
            .bind(index)
            .bind(&a.state)
            .bind(word(&a.group))
            .bind(word(&a.severity))
            .bind(word(&a.skill))
            .bind(a.field_service)
            .bind(i64::from(a.estimated_minutes))
            .bind(text(order.estimate.labour_rate))
            .bind(text(order.estimate.labour_cost))
            .bind(order.estimate.parts_cost.to_string())
            .bind(text(order.estimate.total))
            .bind(order.note)
            .bind(word(&WorkOrderStatus::Open))
            .bind(order.at)
            .fetch_one(&mut *tx)
            .await
            .context(context)?;
            if !order.parts.is_empty() {
                let mut insert = QueryBuilder::<Db>::new(
                    "INSERT INTO work_order_parts (work_order_id, position, part_number, quantity, unit_cost) ",
                );
                insert.push_values(order.parts.iter().enumerate(), |mut row, (position, part)| {
                    row.push_bind(id)
                        .push_bind(position as i64)
                        .push_bind(part.part_number.clone())
                        .push_bind(i64::from(part.quantity))
                        .push_bind(part.unit_cost.to_string());
                });
                insert.build().execute(&mut *tx).await.context(context)?;
            }
            record(&mut tx, id, order.at, order.by, WorkOrderStatus::Open, None, None).await.context(context)?;
            tx.commit().await.context(context)?;
            Ok(WorkOrderId(id))
        }

        /// Adds the next history row of order `id`.
        async fn record(
            tx: &mut Transaction<'static, Db>,
            id: i64,
            at: DateTime<Utc>,
            by: Actor,
            status: WorkOrderStatus,
            assignee: Option<UserId>,
            note: Option<&str>,
        ) -> std::result::Result<(), sqlx::Error> {
            let user = match by {
                Actor::User(user) => Some(user.0),
                Actor::System => None,
            };
            sqlx::query(
                "INSERT INTO work_order_history (work_order_id, seq, at, user_id, status, assignee_id, note) \
                 SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6 FROM work_order_history WHERE work_order_id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(user)
            .bind(word(&status))
            .bind(assignee.map(|a| a.0))
            .bind(note)
            .execute(&mut **tx)
            .await
            .map(|_| ())
        }

        const ORDER_COLUMNS: &str = "SELECT w.id, w.account_id, w.device_id, w.reading_id, w.input_kind, w.input_index, \
             w.state, w.error_group, w.severity, w.skill, w.field_service, \
             CAST(w.estimated_minutes AS BIGINT) AS estimated_minutes, w.labour_rate, w.labour_cost, \
             w.parts_cost, w.estimate, w.note, w.status, w.assignee_id, w.created_at, w.updated_at FROM work_orders w";

        fn order_from_row(row: &DbRow, parts: Vec<WorkOrderPart>) -> Result<WorkOrder> {
            let context = || "reading a work order".to_owned();
            let kind: String = row.try_get("input_kind").context(context)?;
            Ok(WorkOrder {
                id: WorkOrderId(row.try_get("id").context(context)?),
                account_id: AccountId(row.try_get("account_id").context(context)?),
                device_id: DeviceId(row.try_get("device_id").context(context)?),
                reading_id: row.try_get::<Option<i64>, _>("reading_id").context(context)?.map(ReadingId),
                input: input_of(&kind, row.try_get("input_index").context(context)?)?,
                assessment: Assessment {
                    state: row.try_get("state").context(context)?,
                    group: parse_word("work_orders.error_group", row.try_get("error_group").context(context)?)?,
                    severity: parse_word("work_orders.severity", row.try_get("severity").context(context)?)?,
                    skill: parse_word("work_orders.skill", row.try_get("skill").context(context)?)?,
                    field_service: row.try_get("field_service").context(context)?,
                    estimated_minutes: stored_u32(
                        "work_orders.estimated_minutes",
                        row.try_get("estimated_minutes").context(context)?,
                    )?,
                },
                estimate: Estimate {
                    labour_rate: money("work_orders.labour_rate", row.try_get("labour_rate").context(context)?)?,
                    labour_cost: money("work_orders.labour_cost", row.try_get("labour_cost").context(context)?)?,
                    parts_cost: money("work_orders.parts_cost", Some(row.try_get("parts_cost").context(context)?))?
                        .unwrap_or_default(),
                    total: money("work_orders.estimate", row.try_get("estimate").context(context)?)?,
                },
                parts,
                note: row.try_get("note").context(context)?,
                status: parse_word("work_orders.status", row.try_get("status").context(context)?)?,
                assignee: row.try_get::<Option<i64>, _>("assignee_id").context(context)?.map(UserId),
                created_at: row.try_get("created_at").context(context)?,
                updated_at: row.try_get("updated_at").context(context)?,
            })
        }

        /// The parts of the orders `ids`, each order's in its given order.
        async fn parts(pool: &Pool<Db>, ids: &[i64]) -> Result<HashMap<i64, Vec<WorkOrderPart>>> {
            let context = || format!("reading the parts of {} work orders", ids.len());
            let mut found: HashMap<i64, Vec<WorkOrderPart>> = HashMap::new();
            if ids.is_empty() {
                return Ok(found);
            }
            let mut select = QueryBuilder::<Db>::new(
                "SELECT work_order_id, part_number, CAST(quantity AS BIGINT) AS quantity, unit_cost \
                 FROM work_order_parts WHERE work_order_id IN ",
            );
            select.push_tuples(ids, |mut row, id| {
                row.push_bind(*id);
            });
            select.push(" ORDER BY work_order_id, position");
            for row in select.build().fetch_all(pool).await.context(context)? {
                let id: i64 = row.try_get("work_order_id").context(context)?;
                found.entry(id).or_default().push(WorkOrderPart {
                    part_number: row.try_get("part_number").context(context)?,
                    quantity: stored_u32("work_order_parts.quantity", row.try_get("quantity").context(context)?)?,
                    unit_cost: money("work_order_parts.unit_cost", Some(row.try_get("unit_cost").context(context)?))?
                        .unwrap_or_default(),
                });
            }
            Ok(found)
        }

        pub(crate) async fn work_order(pool: &Pool<Db>, id: WorkOrderId) -> Result<WorkOrder> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!("{ORDER_COLUMNS} WHERE w.id = $1")));
            let row = one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?;
            let mut parts = parts(pool, &[id.0]).await?;
            order_from_row(&row, parts.remove(&id.0).unwrap_or_default())
        }

        pub(crate) async fn work_orders(
            pool: &Pool<Db>,
            visibility: Visibility,
            filter: WorkOrderFilter,
            page: Page,
        ) -> Result<Vec<WorkOrder>> {
            let mut query = crate::listing::select::<Db>(visibility, &format!("{ORDER_COLUMNS} WHERE TRUE"));
            crate::listing::restrict(&mut query, visibility, "w.account_id");
            crate::listing::equal(&mut query, "w.account_id", filter.account.map(|a| a.0));
            crate::listing::equal(&mut query, "w.device_id", filter.device.map(|d| d.0));
            crate::listing::equal(&mut query, "w.status", filter.status.map(|s| word(&s)));
            crate::listing::equal(&mut query, "w.assignee_id", filter.assignee.map(|u| u.0));
            crate::listing::page(&mut query, "w.id DESC", page);
            let rows = query.build().fetch_all(pool).await.context(|| "listing work orders".into())?;
            let ids: Vec<i64> = rows
                .iter()
                .map(|row| row.try_get("id").context(|| "listing work orders".into()))
                .collect::<Result<_>>()?;
            let mut parts = parts(pool, &ids).await?;
            rows.iter()
                .zip(&ids)
                .map(|(row, id)| order_from_row(row, parts.remove(id).unwrap_or_default()))
                .collect()
        }

        pub(crate) async fn change_work_order(
            pool: &Pool<Db>,
            id: WorkOrderId,
            change: &WorkOrderMove<'_>,
        ) -> Result<bool> {
            let &WorkOrderMove { from, to, assignee, by, at, note } = change;
            let context = || format!("moving {id} to {}", word(&to));
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let moved = sqlx::query(
                "UPDATE work_orders SET status = $3, assignee_id = $4, updated_at = $5 WHERE id = $1 AND status = $2",
            )
            .bind(id.0)
            .bind(word(&from))
            .bind(word(&to))
            .bind(assignee.map(|a| a.0))
            .bind(at)
            .execute(&mut *tx)
            .await
            .context(context)?
            .rows_affected();
            if moved == 0 {
                return Ok(false);
            }
            record(&mut tx, id.0, at, by, to, assignee, note).await.context(context)?;
            tx.commit().await.context(context)?;
            Ok(true)
        }

        pub(crate) async fn work_order_history(pool: &Pool<Db>, id: WorkOrderId) -> Result<Vec<WorkOrderChange>> {
            let context = || format!("reading the history of {id}");
            let rows = sqlx::query(
                "SELECT h.at, h.user_id, u.name, h.status, h.assignee_id, h.note FROM work_order_history h \
                 LEFT JOIN users u ON u.id = h.user_id WHERE h.work_order_id = $1 ORDER BY h.seq",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await
            .context(context)?;
            rows.iter()
                .map(|row| {
                    let user: Option<i64> = row.try_get("user_id").context(context)?;
                    let name: Option<String> = row.try_get("name").context(context)?;
                    Ok(WorkOrderChange {
                        at: row.try_get("at").context(context)?,
                        by: user.map(|u| (UserId(u), name.unwrap_or_default())),
                        status: parse_word("work_order_history.status", row.try_get("status").context(context)?)?,
                        assignee: row.try_get::<Option<i64>, _>("assignee_id").context(context)?.map(UserId),
                        note: row.try_get("note").context(context)?,
                    })
                })
                .collect()
        }

        /// Closes, as the system, the open and assigned orders of each settled device whose
        /// state its reading no longer assesses, where the device's account (or the nearest
        /// above it that says) asked for that. Runs in the ingest batch's transaction.
        pub(crate) async fn auto_close(tx: &mut Transaction<'static, Db>, settled: &[Settled]) -> Result<()> {
            if settled.is_empty() {
                return Ok(());
            }
            let context = || format!("closing the work orders of {} devices whose errors cleared", settled.len());
            let mut select = QueryBuilder::<Db>::new(
                "SELECT id, account_id, device_id, state, status, assignee_id FROM work_orders \
                 WHERE status IN ('open', 'assigned') AND device_id IN ",
            );
            select.push_tuples(settled, |mut row, s| {
                row.push_bind(s.device);
            });
            select.push(" ORDER BY id");
            let open = select.build().fetch_all(&mut **tx).await.context(context)?;
            let mut auto_close: HashMap<i64, bool> = HashMap::new();
            let now = Utc::now();
            for row in open {
                let id: i64 = row.try_get("id").context(context)?;
                let account: i64 = row.try_get("account_id").context(context)?;
                let device: i64 = row.try_get("device_id").context(context)?;
                let state: String = row.try_get("state").context(context)?;
                let status: String = row.try_get("status").context(context)?;
                let assignee: Option<i64> = row.try_get("assignee_id").context(context)?;
                let Some(reading) = settled.iter().find(|s| s.device == device) else {
                    continue;
                };
                if reading.states.contains(&state) {
                    continue;
                }
                let wanted = match auto_close.get(&account) {
                    Some(&wanted) => wanted,
                    None => {
                        let settings = effective_service_settings(&mut **tx, AccountId(account)).await?;
                        let wanted = settings.auto_close.is_some_and(|s| s.value);
                        auto_close.insert(account, wanted);
                        wanted
                    }
                };
                if !wanted {
                    continue;
                }
                sqlx::query("UPDATE work_orders SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4")
                    .bind(id)
                    .bind(word(&WorkOrderStatus::Done))
                    .bind(now)
                    .bind(&status)
                    .execute(&mut **tx)
                    .await
                    .context(context)?;
                let note = format!("{state} cleared in reading {}", reading.reading);
                record(tx, id, now, Actor::System, WorkOrderStatus::Done, assignee.map(UserId), Some(&note))
                    .await
                    .context(context)?;
            }
            Ok(())
        }
    };
}

pub(crate) mod sqlite {
    work_order_queries!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    work_order_queries!(sqlx::Postgres, postgres);
}
