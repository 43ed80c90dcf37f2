//! Re-reading a stored reading: today's strategies run over the exchange its read
//! made, as `quire replay` runs them over a recording, without asking the device again.
//! Asked to, the result is filed as the reading's next version (see `quire_store`'s
//! `readings`); earlier versions stay as they were.
//!
//! `quire reinterpret` and the administrators' REST call both come here, so a re-read
//! reads the same through either.

use std::sync::Arc;

use chrono::Utc;
use quire_model::{ErrorAssessment, Reading, StrategyRef};
use quire_plugins::{Probe, Registry};
use quire_snmp::Recording;
use quire_store::{RawExchange, ReadingId, Store};
use quire_transport::{DeviceTransport, ExchangeLog, ReplayTransport};

/// What a re-read made.
#[derive(Debug, Clone)]
pub struct Reread {
    /// The strategy, and its version, that read it now.
    pub strategy: StrategyRef,
    /// What it reads.
    pub reading: Reading,
    /// What the same strategy's `map-error` makes of its alert rows and error bits.
    pub assessments: Vec<ErrorAssessment>,
    /// The version it was filed as, when it was to be stored.
    pub version: Option<u32>,
}

/// Why a reading could not be re-read.
#[derive(Debug, thiserror::Error)]
pub enum RereadError {
    /// The reading was filed without its exchange (by an agent that did not send it).
    #[error("{0} was filed without its exchange, so there is nothing to re-read")]
    NoExchange(ReadingId),
    /// Retention removed the reading's exchange once it was older than the period kept.
    #[error(
        "the exchange of {reading} was removed when it passed the raw retention period \
         ({days} days), so there is nothing to re-read"
    )]
    RawRemoved {
        /// The reading.
        reading: ReadingId,
        /// The period the exchange was kept.
        days: u32,
    },
    /// The stored exchange does not parse.
    #[error("{0}")]
    Corrupt(String),
    /// No strategy could read it, or the one chosen failed.
    #[error("{reading}: {message}")]
    Read {
        /// The reading.
        reading: ReadingId,
        /// What the strategies said.
        message: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] quire_store::Error),
}

/// The exchange of a read as a device a strategy can read again: the SNMP part answers
/// from its `.snmprec`, the web, NPAP and IPP part from its `.exchanges.jsonl`; a part
/// that was not kept answers nothing. `name` labels errors (`reading 42`).
pub fn replay_transport(name: &str, raw: &RawExchange) -> Result<ReplayTransport, String> {
    let recording = match &raw.snmprec {
        Some(text) => Recording::parse_snmprec(&format!("{name}.snmprec"), text)
            .map_err(|e| format!("the stored SNMP exchange does not parse: {e}"))?,
        None => Recording::new(name),
    };
    let recording = Arc::new(recording);
    Ok(match &raw.exchanges {
        Some(text) => {
            let log = ExchangeLog::parse(&format!("{name}.exchanges.jsonl"), text)
                .map_err(|e| format!("the stored exchange log does not parse: {e}"))?;
            ReplayTransport::with_exchanges(recording, Arc::new(log))
        }
        None => ReplayTransport::new(recording),
    })
}

/// Re-reads reading `id` with the strategies of `registry` — the one named `strategy`,
/// or the one the device's probe chooses — in the cycle it was read for; files the
/// result as its next version when `store_it`.
pub async fn reread(
    store: &Store,
    registry: &Registry,
    id: ReadingId,
    strategy: Option<&str>,
    store_it: bool,
) -> Result<Reread, RereadError> {
    let stored = store.reading(id).await?;
    let raw = store.reading_raw(id).await?;
    if raw.is_empty() {
        return Err(match raw.removed_after_days {
            Some(days) => RereadError::RawRemoved { reading: id, days },
            None => RereadError::NoExchange(id),
        });
    }
    let transport: Arc<dyn DeviceTransport> = Arc::new(
        replay_transport(&id.to_string(), &raw)
            .map_err(|e| RereadError::Corrupt(format!("{id}: {e}")))?,
    );
    let failed = |message: String| RereadError::Read {
        reading: id,
        message,
    };
    let plugin = match strategy {
        Some(name) => registry
            .get(name)
            .ok_or_else(|| failed(format!("no strategy named {name:?}")))?,
        None => {
            let probe = Probe::read(transport.as_ref())
                .await
                .map_err(|e| failed(format!("cannot identify the device: {e}")))?;
            registry
                .select(&probe, transport.clone())
                .await
                .map_err(|e| failed(e.to_string()))?
                .plugin
        }
    };
    let reading = plugin
        .collect(transport, stored.cycle)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let strategy = plugin.strategy_ref();
    // Judged by the plugin that re-read it, as the agent judges its reads: a few
    // sandboxed calls, cheap beside the collection itself.
    let assessments = plugin.assess(&reading).await;
    let version = if store_it {
        let version = store
            .add_reading_version(id, &strategy, &reading, Utc::now())
            .await?;
        store.add_assessments(id, version, &assessments).await?;
        Some(version)
    } else {
        None
    };
    Ok(Reread {
        strategy,
        reading,
        assessments,
        version,
    })
}
