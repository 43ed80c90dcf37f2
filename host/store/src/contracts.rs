//! Contracts: an account's agreements with its dealer, and which devices each covers.
//!
//! A device is on at most one contract, and that contract is its own account's or an
//! ancestor's: a dealer may write one contract for the devices of all its customers, but
//! a customer's contract never covers a sibling's printers. The server checks the rule
//! against [`Store::account_chain`](crate::Store::account_chain) before it assigns, so
//! its refusal can name the field; the store only files the assignment.

use chrono::NaiveDate;

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, ContractId, DeviceId, Page};

/// A contract as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// Its id.
    pub id: ContractId,
    /// The account it was made with.
    pub account_id: AccountId,
    /// Its name, unique within the account.
    pub name: String,
    /// The first day it runs, when the contract says.
    pub starts_on: Option<NaiveDate>,
    /// The last day it runs, when the contract says.
    pub ends_on: Option<NaiveDate>,
}

/// What a contract says: written whole on creation and on every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractTerms<'a> {
    /// Its name, unique within the account.
    pub name: &'a str,
    /// The first day it runs.
    pub starts_on: Option<NaiveDate>,
    /// The last day it runs.
    pub ends_on: Option<NaiveDate>,
}

impl Store {
    /// Files a contract of `account`; a name the account uses already is
    /// [`crate::Error::Invalid`] naming `name`.
    pub async fn create_contract(
        &self,
        account: AccountId,
        terms: &ContractTerms<'_>,
    ) -> Result<ContractId> {
        dispatch!(self.create_contract(account, terms))
    }

    /// One contract, or [`crate::Error::NotFound`].
    pub async fn contract(&self, id: ContractId) -> Result<Contract> {
        dispatch!(self.contract(id))
    }

    /// A page of an account's own contracts, by id.
    pub async fn contracts(&self, account: AccountId, page: Page) -> Result<Vec<Contract>> {
        dispatch!(self.contracts(account, page))
    }

    /// Replaces a contract's terms; a name another contract of its account uses is
    /// [`crate::Error::Invalid`] naming `name`.
    pub async fn update_contract(&self, id: ContractId, terms: &ContractTerms<'_>) -> Result<()> {
        dispatch!(self.update_contract(id, terms))
    }

    /// Deletes a contract with its rates; its devices are left on no contract.
    pub async fn delete_contract(&self, id: ContractId) -> Result<()> {
        dispatch!(self.delete_contract(id))
    }

    /// Puts a device on `contract`, or on none; the caller has checked the contract is
    /// the device's account's or an ancestor's.
    pub async fn set_device_contract(
        &self,
        device: DeviceId,
        contract: Option<ContractId>,
    ) -> Result<()> {
        dispatch!(self.set_device_contract(device, contract))
    }
}

macro_rules! contract_queries {
    ($db:ty, $backend:ident) => {
        use sqlx::{Pool, Row};

        use super::{Contract, ContractTerms};
        use crate::backend::$backend::{BEGIN_WRITE, one_row, page_of, update_one};
        use crate::error::{Context, Error, Result};
        use crate::types::{AccountId, ContractId, DeviceId, Page};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;
        type Tx = sqlx::Transaction<'static, Db>;

        const CONTRACT_COLUMNS: &str = "SELECT id, account_id, name, starts_on, ends_on FROM contracts WHERE ";

        fn contract_from_row(row: &DbRow) -> Result<Contract> {
            let context = || "reading a contract row".to_owned();
            Ok(Contract {
                id: ContractId(row.try_get("id").context(context)?),
                account_id: AccountId(row.try_get("account_id").context(context)?),
                name: row.try_get("name").context(context)?,
                starts_on: row.try_get("starts_on").context(context)?,
                ends_on: row.try_get("ends_on").context(context)?,
            })
        }

        /// Refuses `name` when another contract of `account` than `except` has it.
        async fn name_is_free(
            tx: &mut Tx,
            account: AccountId,
            name: &str,
            except: Option<ContractId>,
        ) -> Result<()> {
            let taken: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM contracts WHERE account_id = $1 AND name = $2 AND ($3 IS NULL OR id <> $3)",
            )
            .bind(account.0)
            .bind(name)
            .bind(except.map(|c| c.0))
            .fetch_optional(&mut **tx)
            .await
            .context(|| format!("looking for a contract named `{name}` of {account}"))?;
            match taken {
                Some(id) => Err(Error::Invalid {
                    field: "name".into(),
                    message: format!("{account} has a contract named `{name}` already: {}", ContractId(id)),
                }),
                None => Ok(()),
            }
        }

        pub(crate) async fn create_contract(
            pool: &Pool<Db>,
            account: AccountId,
            terms: &ContractTerms<'_>,
        ) -> Result<ContractId> {
            let context = || format!("creating contract `{}` of {account}", terms.name);
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            name_is_free(&mut tx, account, terms.name, None).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO contracts (account_id, name, starts_on, ends_on) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(account.0)
            .bind(terms.name)
            .bind(terms.starts_on)
            .bind(terms.ends_on)
            .fetch_one(&mut *tx)
            .await
            .context(context)?;
            tx.commit().await.context(context)?;
            Ok(ContractId(id))
        }

        pub(crate) async fn contract(pool: &Pool<Db>, id: ContractId) -> Result<Contract> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!("{CONTRACT_COLUMNS}id = $1")));
            contract_from_row(&one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?)
        }

        pub(crate) async fn contracts(pool: &Pool<Db>, account: AccountId, page: Page) -> Result<Vec<Contract>> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{CONTRACT_COLUMNS}account_id = $1 ORDER BY id LIMIT $2 OFFSET $3"
            )));
            let rows = page_of(pool, select.bind(account.0), page, || format!("listing the contracts of {account}")).await?;
            rows.iter().map(contract_from_row).collect()
        }

        pub(crate) async fn update_contract(pool: &Pool<Db>, id: ContractId, terms: &ContractTerms<'_>) -> Result<()> {
            let context = || format!("changing {id}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let account: Option<i64> = sqlx::query_scalar("SELECT account_id FROM contracts WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .context(context)?;
            let account = AccountId(account.ok_or_else(|| Error::NotFound { what: id.to_string() })?);
            name_is_free(&mut tx, account, terms.name, Some(id)).await?;
            sqlx::query("UPDATE contracts SET name = $2, starts_on = $3, ends_on = $4 WHERE id = $1")
                .bind(id.0)
                .bind(terms.name)
                .bind(terms.starts_on)
                .bind(terms.ends_on)
                .execute(&mut *tx)
                .await
                .context(context)?;
            tx.commit().await.context(context)
        }

        pub(crate) async fn delete_contract(pool: &Pool<Db>, id: ContractId) -> Result<()> {
            let context = || format!("deleting {id}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            for statement in [
                "UPDATE devices SET contract_id = NULL WHERE contract_id = $1",
                "DELETE FROM rates WHERE contract_id = $1",
            ] {
                sqlx::query(statement).bind(id.0).execute(&mut *tx).await.context(context)?;
            }
            let deleted = sqlx::query("DELETE FROM contracts WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            if deleted.rows_affected() == 0 {
                return Err(Error::NotFound { what: id.to_string() });
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn set_device_contract(
            pool: &Pool<Db>,
            device: DeviceId,
            contract: Option<ContractId>,
        ) -> Result<()> {
            let update = sqlx::query("UPDATE devices SET contract_id = $2 WHERE id = $1")
                .bind(device.0)
                .bind(contract.map(|c| c.0));
            update_one(pool, update, device, || format!("putting {device} on a contract")).await
        }
    };
}

mod sqlite {
    contract_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    contract_queries!(sqlx::Postgres, postgres);
}
