//! What an operator watches of a running installation, read from the database: how many
//! agents are enrolled and how many keep checking in, what waits to be sent or carried
//! out, and the connection pool. The server's `/metrics` reads it at scrape time.
//!
//! The counts are of the whole database, so every server process on one PostgreSQL
//! reports the same; the pool is this process's own.

use chrono::{DateTime, Duration, Utc};

use crate::error::Result;
use crate::{Backend, Store};

/// What waits and who is there, across the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Operations {
    /// Agents enrolled and not revoked.
    pub agents_enrolled: u64,
    /// Of those, the ones that checked in within twice their account's check-in interval:
    /// one check-in late is still there, two is not.
    pub agents_connected: u64,
    /// E-mails queued for the mailer (never tried, or to be tried again).
    pub emails_queued: u64,
    /// ASM decisions (e-mails, action plugins, work orders) not carried out yet.
    pub asm_actions_pending: u64,
}

/// This process's connections to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open, busy or idle.
    pub size: u32,
    /// Of those, the idle ones.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl Store {
    /// The counts of [`Operations`], as of `now`.
    pub async fn operations(&self, now: DateTime<Utc>) -> Result<Operations> {
        dispatch!(self.operations(now))
    }

    /// The connection pool as it is now.
    pub fn pool_state(&self) -> PoolState {
        let (size, idle, max) = match &self.backend {
            Backend::Sqlite(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
            Backend::Postgres(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        };
        PoolState {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }
}

/// Whether an agent that last checked in at `last` is still checking in at `now`.
fn connected(last: DateTime<Utc>, check_in_seconds: i64, now: DateTime<Utc>) -> bool {
    last >= now - Duration::seconds(check_in_seconds.saturating_mul(2))
}

macro_rules! operation_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::Pool;

        use super::{Operations, connected};
        use crate::error::{Context, Result};

        type Db = $db;

        pub(crate) async fn operations(pool: &Pool<Db>, now: DateTime<Utc>) -> Result<Operations> {
            let context = || "counting what the operator watches".to_owned();
            // `check_in_seconds` is INTEGER, read as BIGINT on both backends.
            let agents: Vec<(i64, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT CAST(accounts.check_in_seconds AS BIGINT), agents.last_check_in \
                 FROM agents JOIN accounts ON accounts.id = agents.account_id \
                 WHERE agents.revoked_at IS NULL",
            )
            .fetch_all(pool)
            .await
            .context(context)?;
            let count = |sql: &'static str| async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(pool)
                    .await
                    .context(context)
            };
            let emails_queued =
                count("SELECT COUNT(*) FROM email_outbox WHERE status = 'queued'").await?;
            let asm_actions_pending =
                count("SELECT COUNT(*) FROM asm_journal WHERE carried_out_at IS NULL").await?;
            let connected = agents
                .iter()
                .filter(|(interval, last)| last.is_some_and(|last| connected(last, *interval, now)))
                .count();
            Ok(Operations {
                agents_enrolled: agents.len() as u64,
                agents_connected: connected as u64,
                emails_queued: emails_queued.max(0) as u64,
                asm_actions_pending: asm_actions_pending.max(0) as u64,
            })
        }
    };
}

pub(crate) mod sqlite {
    operation_queries!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    operation_queries!(sqlx::Postgres, postgres);
}
