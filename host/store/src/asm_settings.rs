//! What ASM's e-mails are written from: the suppliers an administrator manages, the
//! part costs suppliers and dealers set, ASM's global settings (kept as the engine's
//! JSON, by name), and each dealer's own e-mail templates. Which cost or template
//! applies is `quire-asm`'s; the store keeps the rows as given and replaces each list
//! in one transaction, so a refused list leaves the old one whole.

use rust_decimal::Decimal;

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, id_type};

id_type!(
    /// A supplier of consumables.
    SupplierId,
    "supplier"
);

/// A supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplier {
    /// Its id.
    pub id: SupplierId,
    /// Its name, unique.
    pub name: String,
}

/// Whose part costs a list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartCostOwner {
    /// A supplier's.
    Supplier(SupplierId),
    /// A dealer's.
    Dealer(AccountId),
}

impl std::fmt::Display for PartCostOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PartCostOwner::Supplier(id) => id.fmt(f),
            PartCostOwner::Dealer(id) => id.fmt(f),
        }
    }
}

/// One part's cost in a price list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartCostRow {
    /// The part number, as given.
    pub part_number: String,
    /// Its cost, exact.
    pub cost: Decimal,
}

/// A dealer's own e-mail template of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    /// The dealer.
    pub dealer: AccountId,
    /// The kind, as the engine names it (`consumable-alert`).
    pub kind: String,
    /// The subject template.
    pub subject: String,
    /// The body template.
    pub body: String,
}

impl Store {
    /// Every supplier, by name.
    pub async fn suppliers(&self) -> Result<Vec<Supplier>> {
        dispatch!(self.suppliers())
    }

    /// A supplier.
    pub async fn supplier(&self, id: SupplierId) -> Result<Supplier> {
        dispatch!(self.supplier(id))
    }

    /// Adds a supplier; a name already taken is a conflict ([`crate::Error::is_conflict`]).
    pub async fn add_supplier(&self, name: &str) -> Result<Supplier> {
        dispatch!(self.add_supplier(name))
    }

    /// The part costs of a supplier or dealer, by part number.
    pub async fn part_costs(&self, owner: PartCostOwner) -> Result<Vec<PartCostRow>> {
        dispatch!(self.part_costs(owner))
    }

    /// Replaces the part costs of a supplier or dealer with `rows` (none clears them),
    /// in one transaction. Part numbers must be distinct; the caller checks the rows.
    pub async fn set_part_costs(&self, owner: PartCostOwner, rows: &[PartCostRow]) -> Result<()> {
        dispatch!(self.set_part_costs(owner, rows))
    }

    /// Every dealer's and supplier's cost of the part whose upper-case number is `key`.
    pub async fn costs_of_part(
        &self,
        key: &str,
    ) -> Result<(Vec<(AccountId, Decimal)>, Vec<(SupplierId, Decimal)>)> {
        dispatch!(self.costs_of_part(key))
    }

    /// An ASM setting's body, if it was ever set.
    pub async fn asm_setting(&self, name: &str) -> Result<Option<serde_json::Value>> {
        dispatch!(self.asm_setting(name))
    }

    /// Sets an ASM setting's body.
    pub async fn set_asm_setting(&self, name: &str, body: &serde_json::Value) -> Result<()> {
        dispatch!(self.set_asm_setting(name, body))
    }

    /// The own e-mail templates of `dealer`, or of every dealer when `None`, by dealer
    /// then kind.
    pub async fn email_templates(&self, dealer: Option<AccountId>) -> Result<Vec<StoredTemplate>> {
        dispatch!(self.email_templates(dealer))
    }

    /// Replaces a dealer's own e-mail templates with `templates`, in one transaction.
    pub async fn set_email_templates(
        &self,
        dealer: AccountId,
        templates: &[StoredTemplate],
    ) -> Result<()> {
        dispatch!(self.set_email_templates(dealer, templates))
    }
}

/// The cost text as stored, back as a decimal.
fn stored_cost(column: &'static str, value: String) -> Result<Decimal> {
    value
        .parse()
        .map_err(|e: rust_decimal::Error| crate::Error::Corrupt {
            column,
            value,
            reason: e.to_string(),
        })
}

macro_rules! asm_settings_queries {
    ($db:ty, $backend:ident) => {
        use rust_decimal::Decimal;
        use sqlx::types::Json;
        use sqlx::{Pool, QueryBuilder, Row};

        use super::{PartCostOwner, PartCostRow, StoredTemplate, Supplier, SupplierId, stored_cost};
        use crate::backend::$backend::{BEGIN_WRITE, one_row};
        use crate::error::{Context, Result};
        use crate::types::AccountId;

        type Db = $db;

        /// The table and owner column of a price list, and the owner's id.
        fn list(owner: PartCostOwner) -> (&'static str, &'static str, i64) {
            match owner {
                PartCostOwner::Supplier(id) => ("supplier_part_costs", "supplier_id", id.0),
                PartCostOwner::Dealer(id) => ("dealer_part_costs", "account_id", id.0),
            }
        }

        pub(crate) async fn suppliers(pool: &Pool<Db>) -> Result<Vec<Supplier>> {
            let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM suppliers ORDER BY name, id")
                .fetch_all(pool)
                .await
                .context(|| "listing suppliers".into())?;
            Ok(rows.into_iter().map(|(id, name)| Supplier { id: SupplierId(id), name }).collect())
        }

        pub(crate) async fn supplier(pool: &Pool<Db>, id: SupplierId) -> Result<Supplier> {
            let select = sqlx::query("SELECT name FROM suppliers WHERE id = $1").bind(id.0);
            let row = one_row(pool, select, id, || format!("reading {id}")).await?;
            Ok(Supplier { id, name: row.try_get("name").context(|| format!("reading {id}"))? })
        }

        pub(crate) async fn add_supplier(pool: &Pool<Db>, name: &str) -> Result<Supplier> {
            let id: i64 = sqlx::query_scalar("INSERT INTO suppliers (name) VALUES ($1) RETURNING id")
                .bind(name)
                .fetch_one(pool)
                .await
                .context(|| format!("adding the supplier {name:?}"))?;
            Ok(Supplier { id: SupplierId(id), name: name.to_owned() })
        }

        pub(crate) async fn part_costs(pool: &Pool<Db>, owner: PartCostOwner) -> Result<Vec<PartCostRow>> {
            let (table, column, id) = list(owner);
            let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT part_number, cost FROM {table} WHERE {column} = $1 ORDER BY part_number"
            )))
            .bind(id)
            .fetch_all(pool)
            .await
            .context(|| format!("reading the part costs of {owner}"))?;
            rows.into_iter()
                .map(|(part_number, cost)| Ok(PartCostRow { part_number, cost: stored_cost("part_costs.cost", cost)? }))
                .collect()
        }

        pub(crate) async fn set_part_costs(pool: &Pool<Db>, owner: PartCostOwner, rows: &[PartCostRow]) -> Result<()> {
            let context = || format!("setting the part costs of {owner}");
            let (table, column, id) = list(owner);
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE {column} = $1")))
                .bind(id)
                .execute(&mut *tx)
                .await
                .context(context)?;
            for chunk in rows.chunks(crate::backend::ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::<Db>::new(format!("INSERT INTO {table} ({column}, part_number, cost) "));
                insert.push_values(chunk, |mut row, cost| {
                    row.push_bind(id).push_bind(cost.part_number.as_str()).push_bind(cost.cost.to_string());
                });
                insert.build().execute(&mut *tx).await.context(context)?;
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn costs_of_part(
            pool: &Pool<Db>,
            key: &str,
        ) -> Result<(Vec<(AccountId, Decimal)>, Vec<(SupplierId, Decimal)>)> {
            let context = || format!("reading the costs of part {key}");
            let dealers: Vec<(i64, String)> =
                sqlx::query_as("SELECT account_id, cost FROM dealer_part_costs WHERE UPPER(part_number) = $1")
                    .bind(key)
                    .fetch_all(pool)
                    .await
                    .context(context)?;
            let suppliers: Vec<(i64, String)> =
                sqlx::query_as("SELECT supplier_id, cost FROM supplier_part_costs WHERE UPPER(part_number) = $1")
                    .bind(key)
                    .fetch_all(pool)
                    .await
                    .context(context)?;
            Ok((
                dealers
                    .into_iter()
                    .map(|(id, cost)| Ok((AccountId(id), stored_cost("dealer_part_costs.cost", cost)?)))
                    .collect::<Result<_>>()?,
                suppliers
                    .into_iter()
                    .map(|(id, cost)| Ok((SupplierId(id), stored_cost("supplier_part_costs.cost", cost)?)))
                    .collect::<Result<_>>()?,
            ))
        }

        pub(crate) async fn asm_setting(pool: &Pool<Db>, name: &str) -> Result<Option<serde_json::Value>> {
            let body: Option<Json<serde_json::Value>> = sqlx::query_scalar("SELECT body FROM asm_settings WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await
                .context(|| format!("reading the ASM setting {name}"))?;
            Ok(body.map(|Json(body)| body))
        }

        pub(crate) async fn set_asm_setting(pool: &Pool<Db>, name: &str, body: &serde_json::Value) -> Result<()> {
            sqlx::query(
                "INSERT INTO asm_settings (name, body) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET body = excluded.body",
            )
            .bind(name)
            .bind(Json(body))
            .execute(pool)
            .await
            .context(|| format!("setting the ASM setting {name}"))?;
            Ok(())
        }

        pub(crate) async fn email_templates(pool: &Pool<Db>, dealer: Option<AccountId>) -> Result<Vec<StoredTemplate>> {
            let context = || "reading e-mail templates".to_owned();
            let mut query = QueryBuilder::<Db>::new(
                "SELECT dealer_account_id, kind, subject, body FROM asm_email_templates WHERE TRUE",
            );
            crate::listing::equal(&mut query, "dealer_account_id", dealer.map(|a| a.0));
            query.push(" ORDER BY dealer_account_id, kind");
            let rows = query.build().fetch_all(pool).await.context(context)?;
            rows.iter()
                .map(|row| {
                    Ok(StoredTemplate {
                        dealer: AccountId(row.try_get("dealer_account_id").context(context)?),
                        kind: row.try_get("kind").context(context)?,
                        subject: row.try_get("subject").context(context)?,
                        body: row.try_get("body").context(context)?,
                    })
                })
                .collect()
        }

        pub(crate) async fn set_email_templates(pool: &Pool<Db>, dealer: AccountId, templates: &[StoredTemplate]) -> Result<()> {
            let context = || format!("setting the e-mail templates of {dealer}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            sqlx::query("DELETE FROM asm_email_templates WHERE dealer_account_id = $1")
                .bind(dealer.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            for template in templates {
                sqlx::query(
                    "INSERT INTO asm_email_templates (dealer_account_id, kind, subject, body) VALUES ($1, $2, $3, $4)",
                )
                .bind(dealer.0)
                .bind(&template.kind)
                .bind(&template.subject)
                .bind(&template.body)
                .execute(&mut *tx)
                .await
                .context(context)?;
            }
            tx.commit().await.context(context)
        }
    };
}

mod sqlite {
    asm_settings_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    asm_settings_queries!(sqlx::Postgres, postgres);
}
