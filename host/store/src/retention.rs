//! Keeping the database small for years: the raw exchange of a read (what a newer
//! strategy would need to re-read it) is removed once it is older than the period the
//! server keeps it; the reading itself, its versions and the daily summaries stay.
//!
//! Work that must happen once per tick across several server processes — this removal,
//! the calculated values — is taken through [`Store::exclusive`].

use chrono::{DateTime, Duration, Utc};
use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

use crate::error::{Context, Error, Result};
use crate::{Backend, Store};

/// Readings whose raw exchange one statement removes: a short write, so SQLite's other
/// writers (ingest) wait for milliseconds, not for the whole backlog.
const READINGS_PER_STATEMENT: i64 = 5_000;

/// What a retention run removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawRemoved {
    /// Readings whose raw exchange was removed.
    pub readings: u64,
}

/// The hold on a job that one server process at a time may run, from
/// [`Store::exclusive`]. On PostgreSQL it is a session advisory lock on a connection of
/// its own, so a process that dies mid-run frees it with its connection.
pub struct Exclusive {
    /// The connection holding the lock (PostgreSQL), and the lock's key.
    held: Option<(PgConnection, i64)>,
}

impl Exclusive {
    /// Lets another process take the job: unlocks and closes the connection.
    pub async fn release(self) -> Result<()> {
        if let Some((mut connection, key)) = self.held {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut connection)
                .await
                .context(|| format!("releasing job lock {key}"))?;
            connection
                .close()
                .await
                .context(|| format!("closing the connection of job lock {key}"))?;
        }
        Ok(())
    }
}

/// The advisory lock key of a job: FNV-1a of `quire:` and its name, so every process
/// (and every version) derives the same key, and other applications sharing the
/// database are unlikely to use it.
pub(crate) fn job_lock_key(job: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "quire:".bytes().chain(job.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

impl Store {
    /// Removes the raw exchange (`.snmprec` and exchange log) of every reading taken more
    /// than `kept_days` days before `now`, in short statements, and marks each with the
    /// period so a re-read can say why there is nothing to read. Readings, their
    /// versions and the daily summaries are kept.
    pub async fn remove_raw_older_than(
        &self,
        kept_days: u32,
        now: DateTime<Utc>,
    ) -> Result<RawRemoved> {
        let marked = i16::try_from(kept_days).map_err(|_| Error::Invalid {
            field: "raw retention".into(),
            message: format!("{kept_days} days is more than the {} kept", i16::MAX),
        })?;
        let cutoff = now - Duration::days(i64::from(kept_days));
        let mut removed = RawRemoved::default();
        loop {
            let done = match &self.backend {
                Backend::Sqlite(pool) => sqlite::remove_raw(pool, cutoff, marked).await,
                Backend::Postgres(pool) => postgres::remove_raw(pool, cutoff, marked).await,
            }?;
            removed.readings += done;
            if done < READINGS_PER_STATEMENT.unsigned_abs() {
                return Ok(removed);
            }
        }
    }

    /// The hold on `job` when no other process has it (PostgreSQL: a session advisory
    /// lock, [`job_lock_key`], on a dedicated connection); `None` when one does. SQLite
    /// is one server process, so the job is always this one's. Hold it for the job's
    /// run, then [`Exclusive::release`] it.
    pub async fn exclusive(&self, job: &str) -> Result<Option<Exclusive>> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(Some(Exclusive { held: None }));
        };
        let key = job_lock_key(job);
        let context = || format!("taking the lock of job `{job}` (key {key})");
        let options = pool.connect_options();
        let mut connection = PgConnection::connect_with(&options)
            .await
            .context(context)?;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut connection)
            .await
            .context(context)?;
        if taken {
            return Ok(Some(Exclusive {
                held: Some((connection, key)),
            }));
        }
        connection.close().await.context(context)?;
        Ok(None)
    }
}

macro_rules! retention_queries {
    ($db:ty) => {
        use chrono::{DateTime, Utc};
        use sqlx::Pool;

        use crate::error::{Context, Result};

        /// Removes the raw exchange of up to [`super::READINGS_PER_STATEMENT`] readings
        /// taken before `cutoff`, oldest first; how many.
        pub(crate) async fn remove_raw(
            pool: &Pool<$db>,
            cutoff: DateTime<Utc>,
            kept_days: i16,
        ) -> Result<u64> {
            // The condition is the partial index `readings_with_raw`'s own, so both
            // databases visit only readings that still hold an exchange.
            let done = sqlx::query(
                "UPDATE readings SET snmprec_z = NULL, exchanges_z = NULL, \
                 raw_kept_days = $2 WHERE id IN (SELECT id FROM readings WHERE taken_at < $1 \
                 AND (snmprec_z IS NOT NULL OR exchanges_z IS NOT NULL) \
                 ORDER BY taken_at LIMIT $3)",
            )
            .bind(cutoff)
            .bind(kept_days)
            .bind(super::READINGS_PER_STATEMENT)
            .execute(pool)
            .await
            .context(|| format!("removing the raw exchanges taken before {cutoff}"))?;
            Ok(done.rows_affected())
        }
    };
}

mod sqlite {
    retention_queries!(sqlx::Sqlite);
}

mod postgres {
    retention_queries!(sqlx::Postgres);
}

#[cfg(test)]
mod tests {
    use super::job_lock_key;

    #[test]
    fn a_job_has_one_key_and_two_jobs_two() {
        assert_eq!(job_lock_key("retention"), job_lock_key("retention"));
        assert_ne!(job_lock_key("retention"), job_lock_key("calculated-values"));
    }
}
