//! The queries, written once and instantiated per backend.
//!
//! SQLite and PostgreSQL accept the same SQL here (`$n` binds, `ON CONFLICT`,
//! `RETURNING`), and sqlx maps `DateTime<Utc>` and `Json` to each backend's own
//! column types, so one text serves both; a macro instantiates it for each pool
//! type because sqlx's generic executor bounds would cost more words than the queries.

use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer};

use crate::error::{Error, Result};

/// The device's identity key; the rule is documented in the crate doc.
pub(crate) fn identity_key(serial: Option<&str>, mac: Option<&str>, address: &str) -> String {
    fn present(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let mac = present(mac).map(|m| {
        m.chars()
            .filter(char::is_ascii_hexdigit)
            .collect::<String>()
            .to_ascii_lowercase()
    });
    match (present(serial), mac) {
        (Some(serial), Some(mac)) => format!("serial:{serial}/mac:{mac}"),
        (Some(serial), None) => format!("serial:{serial}"),
        (None, Some(mac)) => format!("mac:{mac}"),
        (None, None) => format!("address:{}", address.trim()),
    }
}

/// A model enum as the kebab-case word its serde form uses, so the column reads like the JSON.
pub(crate) fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(word)) => word,
        other => unreachable!("model enums serialise to a string, got {other:?}"),
    }
}

/// The inverse of [`word`], naming the column when the stored word is unknown. The word
/// is deserialised as it is, not through a JSON value: a recompute parses a supply state
/// per daily level row, and the copy and value were most of that.
pub(crate) fn parse_word<T: DeserializeOwned>(column: &'static str, value: String) -> Result<T> {
    parse_word_in(column, &value)
}

/// [`parse_word`] of a word read in place.
pub(crate) fn parse_word_in<T: DeserializeOwned>(column: &'static str, value: &str) -> Result<T> {
    let parsed: std::result::Result<T, serde::de::value::Error> =
        T::deserialize(value.into_deserializer());
    parsed.map_err(|e| Error::Corrupt {
        column,
        value: value.to_owned(),
        reason: e.to_string(),
    })
}

/// A stored row index back as the device's `u32`.
pub(crate) fn stored_u32(column: &'static str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|e| Error::Corrupt {
        column,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

/// The runs of consecutive numbers in `seqs` (sorted, distinct), as `(first, last)`.
pub(crate) fn runs(seqs: &[i64]) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &seq in seqs {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == seq => *last = seq,
            _ => runs.push((seq, seq)),
        }
    }
    runs
}

/// The reading's hrDeviceStatus as the `devices.status` word the device list filters on.
pub(crate) fn status(reading: &quire_model::Reading) -> Option<String> {
    reading.status.device.as_ref().map(word)
}

/// Rows per multi-row INSERT: the 14 binds of a daily level row keep a statement far below
/// SQLite's 32,766 and PostgreSQL's 65,535 bind limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 1_000;

/// An agent's sequence number as the BIGINT column holds it.
pub(crate) fn stored_seq(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::Invalid {
        field: "seq".into(),
        message: format!("sequence number {seq} is beyond 2^63"),
    })
}

macro_rules! queries {
    ($db:ty) => {
        use sqlx::Pool;

        use crate::error::{Context, Error, Result};
        use crate::types::*;

        type Db = $db;
        type Args = <Db as sqlx::Database>::Arguments;

        /// Runs an UPDATE of one row by its key: matching no row means there is no such
        /// row, which is [`Error::NotFound`] naming `what`.
        pub(crate) async fn update_one(
            pool: &Pool<Db>,
            update: sqlx::query::Query<'_, Db, Args>,
            what: impl std::fmt::Display,
            doing: impl FnOnce() -> String,
        ) -> Result<()> {
            let done = update.execute(pool).await.context(doing)?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: what.to_string() });
            }
            Ok(())
        }

        /// The row a lookup by key selects, or [`Error::NotFound`] naming `what`.
        pub(crate) async fn one_row(
            pool: &Pool<Db>,
            select: sqlx::query::Query<'_, Db, Args>,
            what: impl std::fmt::Display,
            doing: impl FnOnce() -> String,
        ) -> Result<<Db as sqlx::Database>::Row> {
            select
                .fetch_optional(pool)
                .await
                .context(doing)?
                .ok_or_else(|| Error::NotFound { what: what.to_string() })
        }

        /// One page of the rows `select` reads, its last two binds (`LIMIT`, `OFFSET`)
        /// bound here after the caller's own.
        pub(crate) async fn page_of(
            pool: &Pool<Db>,
            select: sqlx::query::Query<'_, Db, Args>,
            page: Page,
            doing: impl FnOnce() -> String,
        ) -> Result<Vec<<Db as sqlx::Database>::Row>> {
            let (limit, offset) = page.binds();
            select.bind(limit).bind(offset).fetch_all(pool).await.context(doing)
        }

        pub(crate) async fn migrate(pool: &Pool<Db>) -> Result<(), sqlx::migrate::MigrateError> {
            MIGRATOR.run(pool).await
        }

        pub(crate) async fn create_account(
            pool: &Pool<Db>,
            name: &str,
            parent: Option<AccountId>,
            is_dealer: bool,
        ) -> Result<AccountId> {
            sqlx::query_scalar(
                "INSERT INTO accounts (parent_id, name, is_dealer) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(parent.map(|p| p.0))
            .bind(name)
            .bind(is_dealer)
            .fetch_one(pool)
            .await
            .map(AccountId)
            .context(|| format!("creating account `{name}`"))
        }

        pub(crate) async fn create_site(
            pool: &Pool<Db>,
            account: AccountId,
            name: &str,
        ) -> Result<SiteId> {
            sqlx::query_scalar(
                "INSERT INTO sites (account_id, name) VALUES ($1, $2) RETURNING id",
            )
            .bind(account.0)
            .bind(name)
            .fetch_one(pool)
            .await
            .map(SiteId)
            .context(|| format!("creating site `{name}` in {account}"))
        }
    };
}

pub(crate) use queries;

/// SQLite: one file, WAL mode.
pub(crate) mod sqlite {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    /// Takes the write lock at once: a transaction that reads first could not upgrade
    /// when another writer committed meanwhile, and would fail instead of waiting.
    pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
    /// `BEGIN IMMEDIATE` serialises every writer already; this only reads the agent.
    pub(crate) const LOCK_AGENT_UPLOADS: &str = "SELECT id FROM agents WHERE id = $1";
    super::queries!(sqlx::Sqlite);
}

/// PostgreSQL: for installations beyond one process.
pub(crate) mod postgres {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    pub(crate) const BEGIN_WRITE: &str = "BEGIN";
    /// Serialises one agent's uploads (a retry can arrive while the first is being
    /// filed): the second waits, then finds the first's numbers filed.
    pub(crate) const LOCK_AGENT_UPLOADS: &str = "SELECT id FROM agents WHERE id = $1 FOR UPDATE";
    super::queries!(sqlx::Postgres);
}

#[cfg(test)]
mod tests {
    use quire_model::SupplyState;

    use super::*;

    #[test]
    fn a_stored_word_reads_back_and_an_unknown_one_names_its_column() {
        assert_eq!(
            parse_word::<SupplyState>("daily_levels.last_state", word(&SupplyState::Low)).unwrap(),
            SupplyState::Low
        );
        match parse_word::<SupplyState>("daily_levels.last_state", "sideways".into()) {
            Err(Error::Corrupt {
                column,
                value,
                reason,
            }) => {
                assert_eq!(
                    (column, value.as_str()),
                    ("daily_levels.last_state", "sideways")
                );
                assert!(reason.contains("unknown variant `sideways`"), "{reason}");
            }
            other => panic!("expected a corrupt column, got {other:?}"),
        }
    }
}
