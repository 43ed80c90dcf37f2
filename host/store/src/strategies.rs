//! Published strategies: the component bytes and who vouched for them.
//!
//! The store keeps every version it was given; which one is handed out is the highest
//! version not withdrawn, decided by the caller with semver (the store only compares
//! strings). Withdrawing rather than deleting keeps the record of what agents ran.

use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::Result;
use crate::types::{NewStrategy, StoredStrategy};

macro_rules! strategy_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::Pool;

        use crate::backend::$backend::update_one;
        use crate::error::{Context, Error, Result};
        use crate::types::{NewStrategy, StoredStrategy};

        type Db = $db;

        pub(crate) async fn add_strategy(pool: &Pool<Db>, new: &NewStrategy<'_>) -> Result<bool> {
            let inserted = sqlx::query(
                "INSERT INTO strategies (name, version, sha256, component, signature, publisher, \
                 published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (name, version) DO NOTHING",
            )
            .bind(new.name)
            .bind(new.version)
            .bind(new.sha256)
            .bind(new.component)
            .bind(new.signature)
            .bind(new.publisher)
            .bind(new.published_at)
            .bind(new.published_by)
            .execute(pool)
            .await
            .context(|| format!("storing strategy {}@{}", new.name, new.version))?;
            Ok(inserted.rows_affected() == 1)
        }

        pub(crate) async fn strategies(pool: &Pool<Db>) -> Result<Vec<StoredStrategy>> {
            sqlx::query_as(
                "SELECT name, version, sha256, signature, publisher, published_at, published_by, \
                 withdrawn_at FROM strategies ORDER BY name, published_at",
            )
            .fetch_all(pool)
            .await
            .context(|| "listing strategies".to_owned())
        }

        pub(crate) async fn strategy_component(
            pool: &Pool<Db>,
            name: &str,
            version: &str,
        ) -> Result<Vec<u8>> {
            sqlx::query_scalar("SELECT component FROM strategies WHERE name = $1 AND version = $2")
                .bind(name)
                .bind(version)
                .fetch_optional(pool)
                .await
                .context(|| format!("loading strategy {name}@{version}"))?
                .ok_or_else(|| Error::NotFound {
                    what: format!("strategy {name}@{version}"),
                })
        }

        pub(crate) async fn withdraw_strategy(
            pool: &Pool<Db>,
            name: &str,
            version: &str,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE strategies SET withdrawn_at = $3 \
                 WHERE name = $1 AND version = $2 AND withdrawn_at IS NULL",
            );
            update_one(
                pool,
                update.bind(name).bind(version).bind(at),
                format!("strategy {name}@{version} (not withdrawn yet)"),
                || format!("withdrawing strategy {name}@{version}"),
            )
            .await
        }
    };
}

pub(crate) mod sqlite {
    strategy_queries!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    strategy_queries!(sqlx::Postgres, postgres);
}

impl Store {
    /// Files a published version; `false` when that name and version are already
    /// filed (a version's bytes never change once published).
    pub async fn add_strategy(&self, new: &NewStrategy<'_>) -> Result<bool> {
        dispatch!(self.add_strategy(new))
    }

    /// Every version ever published, withdrawn ones included, by name then age.
    pub async fn strategies(&self) -> Result<Vec<StoredStrategy>> {
        dispatch!(self.strategies())
    }

    /// A version's component bytes, or [`crate::Error::NotFound`].
    pub async fn strategy_component(&self, name: &str, version: &str) -> Result<Vec<u8>> {
        dispatch!(self.strategy_component(name, version))
    }

    /// Marks a version withdrawn, so it is never handed out again.
    pub async fn withdraw_strategy(
        &self,
        name: &str,
        version: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.withdraw_strategy(name, version, at))
    }
}
