//! Work a server does on a schedule, in one process at a time: several server processes
//! may share one PostgreSQL database, and a tick's work (removing old raw exchanges,
//! recomputing calculated values) must be done once, not once per process.
//!
//! Each run first takes the job's hold ([`Store::exclusive`]: a PostgreSQL advisory lock
//! on a connection of its own, held for the run; on SQLite, one process, always granted).
//! A process that finds the job held skips that tick: the holder is doing it. A process
//! that dies mid-run frees the hold with its connection, and the next tick of any process
//! runs the job again.

use std::future::Future;
use std::time::Duration;

use quire_store::Store;

/// A job run on a schedule by one server process at a time.
#[derive(Debug, Clone, Copy)]
pub struct Periodic {
    /// Its name: logs say it, and its lock is derived from it, so it must stay the same
    /// across versions.
    pub name: &'static str,
    /// How long between two runs; the first is one period after the start.
    pub every: Duration,
}

/// What one attempt at a job did.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt<T> {
    /// This process ran it; what it returned.
    Ran(T),
    /// Another process holds the job: this tick is that one's.
    HeldElsewhere,
}

impl Periodic {
    /// Runs `work` once if no other process is running the job, holding the job for the
    /// run. A failure of `work` is returned after the hold is released.
    pub async fn run_once<T, E, F, Fut>(&self, store: &Store, work: F) -> Result<Attempt<T>, E>
    where
        E: From<quire_store::Error>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let Some(hold) = store.exclusive(self.name).await? else {
            return Ok(Attempt::HeldElsewhere);
        };
        let outcome = work().await;
        hold.release().await?;
        outcome.map(Attempt::Ran)
    }

    /// Runs `work` every period, in the background, while the returned task lives; each
    /// run is logged, a failed one too, and the schedule goes on.
    pub fn spawn<T, E, F, Fut>(self, store: Store, work: F) -> tokio::task::JoinHandle<()>
    where
        T: std::fmt::Debug + Send + 'static,
        E: From<quire_store::Error> + std::fmt::Display + Send + 'static,
        F: Fn(Store) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        tokio::spawn(async move {
            let start = tokio::time::Instant::now() + self.every;
            let mut ticks = tokio::time::interval_at(start, self.every);
            // A run longer than the period delays the next; missed ticks are not caught up.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match self.run_once(&store, || work(store.clone())).await {
                    Ok(Attempt::Ran(done)) => tracing::info!(job = self.name, ?done, "job ran"),
                    Ok(Attempt::HeldElsewhere) => {
                        tracing::debug!(job = self.name, "job held by another process")
                    }
                    Err(error) => tracing::warn!(job = self.name, %error, "job failed"),
                }
            }
        })
    }
}
