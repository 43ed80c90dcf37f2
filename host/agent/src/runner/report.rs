//! What the agent tells its caller: its errors and what each cycle and delivery did.

use std::time::Duration;

use quire_model::Cycle;
use quire_plugins::PluginError;

use crate::error::ReadError;
use crate::queue::QueueError;
use crate::uplink::UplinkError;

/// Why the agent cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The database failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A call to the server failed.
    #[error(transparent)]
    Uplink(#[from] UplinkError),
    /// The data directory cannot be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// `quire agent enroll` has not been run for this data directory.
    #[error(
        "this agent is not enrolled (nothing in {database}): run `quire agent enroll --server URL --key KEY` first"
    )]
    NotEnrolled {
        /// The database looked in.
        database: String,
    },
    /// Neither the server nor the database could give a configuration.
    #[error(
        "no configuration: the server could not be asked ({reason}) and none was kept from an earlier check-in"
    )]
    NoConfig {
        /// Why the server could not be asked.
        reason: UplinkError,
    },
    /// A built-in strategy does not load (a broken build).
    #[error("built-in strategy {name}: {source}")]
    Strategy {
        /// Its name.
        name: String,
        /// Why.
        source: PluginError,
    },
    /// The metrics listener cannot listen where it was told.
    #[error("cannot serve metrics on {address}: {source}")]
    Metrics {
        /// The address asked for.
        address: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server acknowledged nothing of a batch, so sending it again would loop.
    #[error(
        "the server acknowledged none of readings {first}..={last} (acked through {acked_through}); they stay queued"
    )]
    NoProgress {
        /// The batch's first sequence number.
        first: u64,
        /// Its last.
        last: u64,
        /// What the server acknowledged.
        acked_through: u64,
    },
}

/// What went wrong in a cycle, by kind: a device that could not be read costs only its
/// own reading, while a cycle that stopped (the queue's disk is full, its database
/// broke) lost the rest of that cycle.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// One device (or IPP printer, or CUPS server) could not be read; the others were.
    #[error(transparent)]
    Device(#[from] ReadError),
    /// The cycle stopped here.
    #[error("the cycle stopped: {0}")]
    Stopped(#[from] AgentError),
}

/// What one run of one cycle on one site's part of the network did.
#[derive(Debug)]
pub struct CycleReport {
    /// The site.
    pub site_id: i64,
    /// The part of its network.
    pub part: Option<String>,
    /// The cycle.
    pub cycle: Cycle,
    /// Addresses probed (discovery) or known devices asked (the other cycles).
    pub addresses: usize,
    /// Printing devices the scan found (discovery only).
    pub found: usize,
    /// Reads that gave a reading.
    pub read: usize,
    /// What failed, one entry each: the devices that could not be read, and why the
    /// cycle stopped if it did.
    pub failures: Vec<Failure>,
    /// Devices read, after one device seen on several addresses counts once.
    pub devices: usize,
    /// Devices not known before (discovery only).
    pub new_devices: usize,
    /// Supplies found replaced.
    pub replaced_supplies: usize,
    /// Readings written to the queue.
    pub queued: usize,
    /// How long the cycle took.
    pub elapsed: Duration,
}

impl CycleReport {
    pub(super) fn new(site_id: i64, part: Option<&str>, cycle: Cycle) -> CycleReport {
        CycleReport {
            site_id,
            part: part.map(str::to_owned),
            cycle,
            addresses: 0,
            found: 0,
            read: 0,
            failures: Vec::new(),
            devices: 0,
            new_devices: 0,
            replaced_supplies: 0,
            queued: 0,
            elapsed: Duration::ZERO,
        }
    }

    /// Whether the cycle asked at least one address or device and read none: the agent
    /// looks in the wrong place (a range, a port, a credential), or everything it knows
    /// is switched off.
    pub fn read_nothing(&self) -> bool {
        self.addresses > 0 && self.read == 0
    }
}

/// What one delivery of the queue did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Readings sent.
    pub sent: u64,
    /// Readings the server filed.
    pub filed: u64,
    /// Readings the server had filed before (a retry after a lost answer).
    pub duplicates: u64,
    /// Readings the server refused for good (logged, and deleted like the others).
    pub rejected: u64,
}

/// What [`Agent::run_once`] did.
#[derive(Debug)]
pub struct OnceReport {
    /// Every cycle run, in order.
    pub cycles: Vec<CycleReport>,
    /// The delivery that followed, or why it failed (the readings stay queued).
    pub delivery: Result<Delivery, AgentError>,
    /// Readings still queued afterwards.
    pub queued: u64,
}
