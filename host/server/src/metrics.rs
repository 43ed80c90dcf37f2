//! What the server tells Prometheus (README, "Metrics"): ingest as it happens, recorded by
//! the agent API through the `metrics` facade, and what waits in the database, read when
//! `/metrics` is scraped. Served by `quire-metrics` on `--metrics-listen`, off by default.

use std::time::Instant;

use chrono::Utc;
use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge};
use quire_store::Store;

/// Readings an upload carried, by what came of each: `outcome` is `filed`, `duplicate`
/// (filed by an earlier upload) or `refused`, the last with its `reason`.
pub(crate) const READINGS: &str = "quire_server_readings_total";
/// How long `POST /api/v1/agent/readings` took, from its head to its answer.
pub(crate) const UPLOAD_SECONDS: &str = "quire_server_upload_duration_seconds";
const AGENTS_ENROLLED: &str = "quire_server_agents_enrolled";
const AGENTS_CONNECTED: &str = "quire_server_agents_connected";
const EMAILS_QUEUED: &str = "quire_server_emails_queued";
const ASM_ACTIONS_PENDING: &str = "quire_server_asm_actions_pending";
const DB_CONNECTIONS: &str = "quire_server_db_connections";
const DB_CONNECTIONS_IDLE: &str = "quire_server_db_connections_idle";
const DB_CONNECTIONS_MAX: &str = "quire_server_db_connections_max";

/// Why a reading was refused, as a class a graph can group by; the agent is told the
/// whole message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The item did not parse as a reading.
    Malformed,
    /// Its site is not one of the agent's account.
    Site,
    /// Its sequence number is beyond what the store keeps.
    Sequence,
    /// It is dated further ahead of the server's clock than tolerated.
    Future,
    /// Its assessments judge something the reading does not hold.
    Assessments,
}

impl Refusal {
    const ALL: [Refusal; 5] = [
        Refusal::Malformed,
        Refusal::Site,
        Refusal::Sequence,
        Refusal::Future,
        Refusal::Assessments,
    ];

    fn word(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::Site => "site",
            Refusal::Sequence => "sequence",
            Refusal::Future => "future",
            Refusal::Assessments => "assessments",
        }
    }
}

/// Says what each metric means, and sets the counters to zero so a graph has a line
/// from the start rather than from the first upload.
pub(crate) fn describe() {
    describe_counter!(
        READINGS,
        Unit::Count,
        "Readings agents uploaded, by outcome (filed, duplicate, refused) and, when refused, reason"
    );
    describe_histogram!(
        UPLOAD_SECONDS,
        Unit::Seconds,
        "Time to handle one upload of readings, authentication to answer"
    );
    describe_gauge!(
        AGENTS_ENROLLED,
        Unit::Count,
        "Agents enrolled and not revoked"
    );
    describe_gauge!(
        AGENTS_CONNECTED,
        Unit::Count,
        "Agents that checked in within twice their account's check-in interval"
    );
    describe_gauge!(
        EMAILS_QUEUED,
        Unit::Count,
        "E-mails waiting in the outbox for the mailer"
    );
    describe_gauge!(
        ASM_ACTIONS_PENDING,
        Unit::Count,
        "ASM decisions (e-mails, action plugins, work orders) not carried out yet"
    );
    describe_gauge!(
        DB_CONNECTIONS,
        Unit::Count,
        "Database connections this process holds open"
    );
    describe_gauge!(
        DB_CONNECTIONS_IDLE,
        Unit::Count,
        "Database connections of this process that are idle"
    );
    describe_gauge!(
        DB_CONNECTIONS_MAX,
        Unit::Count,
        "The most database connections this process opens"
    );
    for outcome in ["filed", "duplicate"] {
        counter!(READINGS, "outcome" => outcome).absolute(0);
    }
    for refusal in Refusal::ALL {
        counter!(READINGS, "outcome" => "refused", "reason" => refusal.word()).absolute(0);
    }
}

/// Counts what came of one upload's readings.
pub(crate) fn count_readings(filed: u32, duplicates: u32, refused: &[Refusal]) {
    counter!(READINGS, "outcome" => "filed").increment(u64::from(filed));
    counter!(READINGS, "outcome" => "duplicate").increment(u64::from(duplicates));
    for refusal in refused {
        counter!(READINGS, "outcome" => "refused", "reason" => refusal.word()).increment(1);
    }
}

/// Times an upload from its creation until it is dropped, however the handler ends.
pub(crate) struct UploadTimer(Instant);

impl UploadTimer {
    pub(crate) fn start() -> UploadTimer {
        UploadTimer(Instant::now())
    }
}

impl Drop for UploadTimer {
    fn drop(&mut self) {
        metrics::histogram!(UPLOAD_SECONDS).record(self.0.elapsed());
    }
}

/// Reads the gauges that live in the database; a failure is logged and leaves the last
/// values, so a database hiccup does not blank the graphs.
pub(crate) async fn refresh(store: &Store) {
    let pool = store.pool_state();
    gauge!(DB_CONNECTIONS).set(pool.size);
    gauge!(DB_CONNECTIONS_IDLE).set(pool.idle);
    gauge!(DB_CONNECTIONS_MAX).set(pool.max);
    match store.operations(Utc::now()).await {
        Ok(now) => {
            gauge!(AGENTS_ENROLLED).set(now.agents_enrolled as f64);
            gauge!(AGENTS_CONNECTED).set(now.agents_connected as f64);
            gauge!(EMAILS_QUEUED).set(now.emails_queued as f64);
            gauge!(ASM_ACTIONS_PENDING).set(now.asm_actions_pending as f64);
        }
        Err(error) => tracing::warn!(%error, "metrics: cannot read the counts from the database"),
    }
}
