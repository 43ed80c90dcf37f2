//! What the agent tells Prometheus (README, "Metrics"): reads by outcome as they finish,
//! each strategy's time, cycles, deliveries, and the queue's depth, read when `/metrics`
//! is scraped. Recorded through the `metrics` facade; served by `quire-metrics` on the
//! address `quire agent run --metrics-listen` names ([`Agent::serve_metrics`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge};
use quire_model::Cycle;
use quire_plugins::{PluginError, Stop};
use quire_snmp::client::ClientErrorKind;
use quire_transport::TransportError;

use crate::error::ReadError;
use crate::runner::{Agent, AgentError};

const DEVICE_READS: &str = "quire_agent_device_reads_total";
const CYCLES: &str = "quire_agent_cycles_total";
const CYCLE_SECONDS: &str = "quire_agent_cycle_duration_seconds";
const STRATEGY_SECONDS: &str = "quire_agent_strategy_duration_seconds";
const STRATEGY_COMPUTE_SECONDS: &str = "quire_agent_strategy_compute_seconds";
const QUEUE_DEPTH: &str = "quire_agent_queue_depth";
const UPLOADED: &str = "quire_agent_readings_uploaded_total";
const LAST_UPLOAD: &str = "quire_agent_last_upload_timestamp_seconds";

/// The outcomes of a device read, as `outcome` labels them.
const OUTCOMES: [&str; 5] = ["ok", "timeout", "refused", "strategy_failed", "error"];

/// The three cycles, as `cycle` labels them (the words the API uses).
const CYCLES_ALL: [Cycle; 3] = [Cycle::Discovery, Cycle::MetersAndSupplies, Cycle::Alerts];

fn cycle_word(cycle: Cycle) -> &'static str {
    match cycle {
        Cycle::Discovery => "discovery",
        Cycle::MetersAndSupplies => "meters-and-supplies",
        Cycle::Alerts => "alerts",
    }
}

/// Says what each metric means, and sets the counters to zero so a graph has a line
/// from the start rather than from the first read.
fn describe() {
    describe_counter!(
        DEVICE_READS,
        Unit::Count,
        "Device reads by cycle and outcome: ok, timeout (no answer), refused (no credentials \
         answered, unreachable), strategy_failed (the strategy could not read it or was \
         stopped), error (anything else)"
    );
    describe_counter!(CYCLES, Unit::Count, "Cycles run, by cycle");
    describe_histogram!(
        CYCLE_SECONDS,
        Unit::Seconds,
        "Time one cycle on one part of a site's network took"
    );
    describe_histogram!(
        STRATEGY_SECONDS,
        Unit::Seconds,
        "Time one strategy's collect took, device waits included, by strategy (family)"
    );
    describe_histogram!(
        STRATEGY_COMPUTE_SECONDS,
        Unit::Seconds,
        "Time one strategy's collect computed, device waits excluded: what its deadline \
         counts (the sandbox's fuel), by strategy (family)"
    );
    describe_gauge!(
        QUEUE_DEPTH,
        Unit::Count,
        "Readings queued on disk, waiting for the server's acknowledgement"
    );
    describe_counter!(
        UPLOADED,
        Unit::Count,
        "Readings the server acknowledged, by outcome (filed, duplicate, refused)"
    );
    describe_gauge!(
        LAST_UPLOAD,
        Unit::Seconds,
        "When the server last acknowledged an upload (Unix time); 0 before the first"
    );
    for cycle in CYCLES_ALL.map(cycle_word) {
        counter!(CYCLES, "cycle" => cycle).absolute(0);
        for outcome in OUTCOMES {
            counter!(DEVICE_READS, "cycle" => cycle, "outcome" => outcome).absolute(0);
        }
    }
    for outcome in ["filed", "duplicate", "refused"] {
        counter!(UPLOADED, "outcome" => outcome).absolute(0);
    }
    gauge!(LAST_UPLOAD).set(0.0);
}

/// What came of one device read, as [`DEVICE_READS`] labels it: `failed` is why it
/// failed, `None` when it read.
fn outcome(failed: Option<&ReadError>) -> &'static str {
    let Some(error) = failed else {
        return "ok";
    };
    match error {
        ReadError::NoCredentials { .. } => "refused",
        ReadError::Snmp(e) => match e.kind {
            ClientErrorKind::Timeout { .. } => "timeout",
            ClientErrorKind::Unreachable(_)
            | ClientErrorKind::Authentication(_)
            | ClientErrorKind::Credentials(_)
            | ClientErrorKind::ErrorStatus { .. } => "refused",
            ClientErrorKind::Malformed(_) | ClientErrorKind::Encode(_) => "error",
        },
        ReadError::Identify { source, .. } => match source {
            TransportError::Timeout => "timeout",
            TransportError::Unreachable(_) | TransportError::Denied(_) => "refused",
            TransportError::Protocol(_) | TransportError::NotRecorded(_) => "error",
        },
        ReadError::Strategy {
            source:
                PluginError::Stopped {
                    cause: Stop::ReadTimeout(_),
                    ..
                },
            ..
        } => "timeout",
        ReadError::Strategy { .. } => "strategy_failed",
        ReadError::Ipp(_) | ReadError::Aborted { .. } => "error",
    }
}

/// Counts one device read of `cycle` by its outcome: `failed` is why it failed, `None`
/// when it read.
pub(crate) fn count_read(cycle: Cycle, failed: Option<&ReadError>) {
    let outcome = outcome(failed);
    counter!(DEVICE_READS, "cycle" => cycle_word(cycle), "outcome" => outcome).increment(1);
}

/// Counts one cycle run and its time.
pub(crate) fn count_cycle(cycle: Cycle, elapsed: Duration) {
    let cycle = cycle_word(cycle);
    counter!(CYCLES, "cycle" => cycle).increment(1);
    metrics::histogram!(CYCLE_SECONDS, "cycle" => cycle).record(elapsed);
}

/// Records one strategy call's time in all and its computing.
pub(crate) fn strategy_spent(strategy: &str, elapsed: Duration, computing: Duration) {
    let strategy = strategy.to_owned();
    metrics::histogram!(STRATEGY_SECONDS, "strategy" => strategy.clone()).record(elapsed);
    metrics::histogram!(STRATEGY_COMPUTE_SECONDS, "strategy" => strategy).record(computing);
}

/// Counts an upload the server acknowledged, and stamps it as the last one.
pub(crate) fn uploaded(filed: u32, duplicates: u32, refused: usize) {
    counter!(UPLOADED, "outcome" => "filed").increment(u64::from(filed));
    counter!(UPLOADED, "outcome" => "duplicate").increment(u64::from(duplicates));
    counter!(UPLOADED, "outcome" => "refused").increment(refused as u64);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    gauge!(LAST_UPLOAD).set(now.as_secs_f64());
}

impl Agent {
    /// Serves this process's metrics at `http://listen/metrics` in plain HTTP (README,
    /// "Metrics") until the endpoint is dropped; the queue's depth is read at each scrape.
    /// Meant for a local port the monitoring reaches: the agent serves nothing else.
    pub async fn serve_metrics(
        &self,
        listen: SocketAddr,
    ) -> Result<quire_metrics::Endpoint, AgentError> {
        let failed = |source| AgentError::Metrics {
            address: listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(failed)?;
        let queue = self.queue().clone();
        let refresh: quire_metrics::Refresh = Arc::new(move || {
            let queue = queue.clone();
            Box::pin(async move {
                match queue.len().await {
                    Ok(depth) => gauge!(QUEUE_DEPTH).set(depth as f64),
                    Err(error) => tracing::warn!(%error, "metrics: cannot count the queue"),
                }
            })
        });
        quire_metrics::serve(listener, describe, refresh).map_err(failed)
    }
}
