//! The on-disk queue: every reading is written here before anything else happens to it,
//! and deleted only when the server's acknowledgement covers it.
//!
//! One SQLite file in the agent's data directory, in WAL mode with full sync, so a reading
//! the queue accepted survives the agent being killed and the machine losing power. The
//! sequence numbers are SQLite `AUTOINCREMENT` keys: strictly increasing and never handed
//! out again, even after every row was acknowledged and deleted or the agent restarted —
//! the server files each `(agent, seq)` once, so a reused number would be a lost reading.
//!
//! The same file holds what the agent must remember across restarts (its enrollment, the
//! last configuration, the devices it knows): see [`crate::state`].

use std::path::Path;
use std::time::Duration;

use quire_protocol::UploadItem;
use sqlx::Row as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another: cycles queue readings while the uplink deletes
/// acknowledged ones, and either finishes in milliseconds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// What went wrong with the agent's database; the text names the file.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The file could not be opened or migrated.
    #[error("cannot open the agent database {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A query failed (disk full, file removed under the agent, …).
    #[error("agent database {path}: {source}")]
    Query {
        /// The file.
        path: String,
        /// Why.
        source: sqlx::Error,
    },
    /// A stored row no longer reads as what was written (edited by hand, or written by a
    /// newer agent).
    #[error("agent database {path}: {what}: {source}")]
    Corrupt {
        /// The file.
        path: String,
        /// Which row or value.
        what: String,
        /// Why it does not read.
        source: serde_json::Error,
    },
}

/// The agent's database: the reading queue, and (see [`crate::state`]) its state.
#[derive(Debug, Clone)]
pub struct Queue {
    pub(crate) pool: SqlitePool,
    pub(crate) path: String,
}

impl Queue {
    /// Opens (creating it when missing) the database at `path` and brings its tables up to
    /// date.
    pub async fn open(path: &Path) -> Result<Queue, QueueError> {
        let shown = path.display().to_string();
        let open_error = |source: Box<dyn std::error::Error + Send + Sync>| QueueError::Open {
            path: shown.clone(),
            source,
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A reading the queue accepted must survive a power cut too, not only a crash:
            // the agent writes a few readings a second at most, so the extra sync is free.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| open_error(e.into()))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| open_error(e.into()))?;
        Ok(Queue { pool, path: shown })
    }

    /// Writes `item` to the queue and returns the sequence number it was given (`item.seq`
    /// is ignored: only the queue numbers readings).
    pub async fn push(&self, item: &UploadItem) -> Result<u64, QueueError> {
        let body = serde_json::to_string(&UploadItem {
            seq: 0,
            ..item.clone()
        })
        .map_err(|source| self.corrupt("a reading to queue", source))?;
        let seq: i64 = sqlx::query_scalar("INSERT INTO queue (item) VALUES (?) RETURNING seq")
            .bind(body)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.query(e))?;
        Ok(seq as u64)
    }

    /// The oldest queued readings, in ascending `seq`: at most `max_items`, and no more
    /// than `max_bytes` of JSON unless the first alone is larger (it still goes, alone, so
    /// one large reading never blocks the queue). A row that no longer reads as a reading
    /// is logged and left out, so it cannot block the rest either; the acknowledgement of
    /// the readings after it deletes it.
    pub async fn batch(
        &self,
        max_items: usize,
        max_bytes: usize,
    ) -> Result<Vec<UploadItem>, QueueError> {
        let rows = sqlx::query("SELECT seq, item FROM queue ORDER BY seq LIMIT ?")
            .bind(max_items.max(1) as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.query(e))?;
        let mut items = Vec::with_capacity(rows.len());
        let mut bytes = 0;
        for row in rows {
            let seq: i64 = row.get("seq");
            let body: String = row.get("item");
            bytes += body.len();
            if !items.is_empty() && bytes > max_bytes {
                break;
            }
            match serde_json::from_str::<UploadItem>(&body) {
                Ok(mut item) => {
                    item.seq = seq as u64;
                    items.push(item);
                }
                Err(e) => tracing::error!(
                    database = %self.path, seq, error = %e, item = %body,
                    "a queued reading does not read back; it is skipped"
                ),
            }
        }
        Ok(items)
    }

    /// Deletes every reading with `seq` at or below `acked_through`, as the server's
    /// acknowledgement allows; returns how many went.
    pub async fn ack(&self, acked_through: u64) -> Result<u64, QueueError> {
        let through = i64::try_from(acked_through).unwrap_or(i64::MAX);
        let done = sqlx::query("DELETE FROM queue WHERE seq <= ?")
            .bind(through)
            .execute(&self.pool)
            .await
            .map_err(|e| self.query(e))?;
        Ok(done.rows_affected())
    }

    /// How many readings wait for the server.
    pub async fn len(&self) -> Result<u64, QueueError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queue")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.query(e))?;
        Ok(count as u64)
    }

    /// Whether nothing waits for the server.
    pub async fn is_empty(&self) -> Result<bool, QueueError> {
        Ok(self.len().await? == 0)
    }

    /// Closes the file, waiting for queries in flight and checkpointing the WAL.
    pub async fn close(self) {
        self.pool.close().await;
    }

    pub(crate) fn query(&self, source: sqlx::Error) -> QueueError {
        QueueError::Query {
            path: self.path.clone(),
            source,
        }
    }

    pub(crate) fn corrupt(&self, what: &str, source: serde_json::Error) -> QueueError {
        QueueError::Corrupt {
            path: self.path.clone(),
            what: what.to_owned(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};
    use quire_model::{Cycle, Identity, Reading, StrategyRef};

    use super::*;

    fn item(serial: &str) -> UploadItem {
        UploadItem {
            seq: 999,
            site_id: Some(7),
            address: "127.80.0.1".into(),
            taken_at: Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap(),
            cycle: Cycle::MetersAndSupplies,
            strategy: StrategyRef {
                name: "printer-mib".into(),
                version: "0.1.0".into(),
            },
            reading: Reading {
                identity: Identity {
                    serial: Some(serial.into()),
                    ..Identity::default()
                },
                ..Reading::default()
            },
            raw: Some("1.3.6.1.2.1.1.1.0|4|printer\n".into()),
            exchanges: None,
            replaced_supplies: Vec::new(),
            assessments: Vec::new(),
        }
    }

    fn serials(items: &[UploadItem]) -> Vec<String> {
        items
            .iter()
            .map(|i| i.reading.identity.serial.clone().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn readings_survive_a_reopen_in_order_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.db");
        let queue = Queue::open(&path).await.unwrap();
        let mut seqs = Vec::new();
        for serial in ["A", "B", "C"] {
            seqs.push(queue.push(&item(serial)).await.unwrap());
        }
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        // Dropped without closing, as a killed agent leaves it.
        drop(queue);

        let queue = Queue::open(&path).await.unwrap();
        let batch = queue.batch(10, usize::MAX).await.unwrap();
        assert_eq!(serials(&batch), ["A", "B", "C"]);
        assert_eq!(batch.iter().map(|i| i.seq).collect::<Vec<_>>(), seqs);
        let expected = UploadItem {
            seq: seqs[0],
            ..item("A")
        };
        assert_eq!(batch[0], expected);
    }

    #[tokio::test]
    async fn numbers_are_never_reused_after_acknowledgement_and_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.db");
        let queue = Queue::open(&path).await.unwrap();
        queue.push(&item("A")).await.unwrap();
        let last = queue.push(&item("B")).await.unwrap();
        assert_eq!(queue.ack(last).await.unwrap(), 2);
        assert!(queue.is_empty().await.unwrap());
        queue.close().await;

        let queue = Queue::open(&path).await.unwrap();
        let next = queue.push(&item("C")).await.unwrap();
        assert!(next > last, "{next} after {last}");
    }

    #[tokio::test]
    async fn an_acknowledgement_deletes_only_what_it_covers() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(&dir.path().join("agent.db")).await.unwrap();
        let mut seqs = Vec::new();
        for serial in ["A", "B", "C", "D"] {
            seqs.push(queue.push(&item(serial)).await.unwrap());
        }
        assert_eq!(queue.ack(seqs[1]).await.unwrap(), 2);
        let rest = queue.batch(10, usize::MAX).await.unwrap();
        assert_eq!(serials(&rest), ["C", "D"]);
        assert_eq!(queue.len().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn batches_are_bounded_but_never_empty() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(&dir.path().join("agent.db")).await.unwrap();
        for serial in ["A", "B", "C"] {
            queue.push(&item(serial)).await.unwrap();
        }
        assert_eq!(
            serials(&queue.batch(2, usize::MAX).await.unwrap()),
            ["A", "B"]
        );
        // Smaller than one reading: the first still goes, alone.
        assert_eq!(serials(&queue.batch(10, 10).await.unwrap()), ["A"]);
    }

    #[tokio::test]
    async fn a_damaged_row_does_not_block_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(&dir.path().join("agent.db")).await.unwrap();
        let damaged = queue.push(&item("A")).await.unwrap();
        let last = queue.push(&item("B")).await.unwrap();
        sqlx::query("UPDATE queue SET item = '{' WHERE seq = ?")
            .bind(damaged as i64)
            .execute(&queue.pool)
            .await
            .unwrap();
        assert_eq!(serials(&queue.batch(10, usize::MAX).await.unwrap()), ["B"]);
        queue.ack(last).await.unwrap();
        assert!(queue.is_empty().await.unwrap());
    }
}
