//! The agent at work: checking in, running each site's cycles per part of the network when
//! they are due, and delivering what was read.
//!
//! Decisions, with reasons:
//!
//! - **Cycles run one at a time; reads within a cycle run in parallel** (bounded by
//!   [`AgentOptions::concurrency`]). Cycles of one agent rarely overlap in time, and one
//!   at a time keeps the device list simple to reason about: discovery never rewrites it
//!   under a meters cycle. Within a cycle, every device is its own task, so a device that
//!   stopped answering costs its own timeout and nothing else.
//! - **One device per serial + MAC.** When discovery reads the same printer on two
//!   addresses, the address it was known on is kept (else the lowest), and one reading is
//!   queued, as the server would file one device anyway.
//! - **Discovery first.** A site or part whose devices are not known yet is discovered at
//!   start rather than at its next scheduled discovery, or its meters would wait for it.
//! - **Deliver after every cycle and at every check-in.** A reading reaches the server
//!   minutes after it was taken when the server is up; when it is down, the queue keeps
//!   everything and the next delivery sends it, oldest first.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use quire_model::Cycle;
use quire_plugins::{Host, HostConfig, Registry};
use quire_protocol::{AgentConfig, ReadingUpload, SiteConfig};
use quire_snmp::client::ClientConfig;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::discovery;
use crate::queue::Queue;
use crate::read::Reader;
use crate::strategy_sync::sync_strategies;
use crate::supplies::DEFAULT_LEVEL_JUMP;
use crate::uplink::{Enrollment, Uplink, enroll};

mod announce;
mod discover;
mod filing;
mod ipp;
mod known;
mod report;
mod schedule;

pub use report::{AgentError, CycleReport, Delivery, Failure, OnceReport};
pub use schedule::Running;

/// The agent's database file in its data directory.
pub const DATABASE_FILE: &str = "agent.db";

/// How often to check in before the server has said (its configuration carries its own).
const DEFAULT_CHECK_IN: Duration = Duration::from_secs(300);

/// The shortest check-in interval honoured: a misconfigured server must not have its
/// agents call it in a loop.
const MIN_CHECK_IN: Duration = Duration::from_secs(5);

/// How an agent runs; [`AgentOptions::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Where the agent keeps its database.
    pub data_dir: PathBuf,
    /// The UDP port devices answer SNMP on: 161, except against simulators.
    pub snmp_port: u16,
    /// Devices read at once within a cycle.
    pub concurrency: usize,
    /// Percentage points a supply's level must rise to count as a new supply.
    pub level_jump: u8,
    /// Timeouts and retries of device reads (discovery's probing has its own, from the
    /// server's discovery settings).
    pub client: ClientConfig,
    /// Most readings in one upload.
    pub batch_items: usize,
    /// Most JSON bytes in one upload (a single larger reading still goes, alone).
    pub batch_bytes: usize,
    /// A CUPS server whose queues the agent reads too (`host:port`, usually
    /// [`crate::ipp::LOCAL_CUPS`]): the printers attached to the agent's own host by
    /// USB, which no network scan finds. Read over IPP on the meters & supplies and
    /// alert schedules of the agent's first site.
    pub cups: Option<String>,
    /// Network printers read over IPP by URI (`ipp://host/ipp/print`), beside the
    /// SNMP devices discovery finds: printers whose SNMP is off or not worth
    /// having. Read with the CUPS queues, on the same schedules.
    pub ipp: Vec<String>,
    /// What readings are stamped with: the system clock, or a manual one that lets a
    /// test or a replay take weeks of readings in seconds.
    pub clock: Clock,
}

impl AgentOptions {
    /// The defaults, with the database in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> AgentOptions {
        AgentOptions {
            data_dir: data_dir.into(),
            snmp_port: 161,
            // Reads wait on devices, not on the CPU: a few dozen at once keeps a cycle of
            // a thousand devices to minutes without flooding a branch office's link.
            concurrency: 32,
            level_jump: DEFAULT_LEVEL_JUMP,
            client: ClientConfig::default(),
            batch_items: 200,
            // Well under the request limits of common proxies and of the server.
            batch_bytes: 1 << 20,
            cups: None,
            ipp: Vec::new(),
            clock: Clock::system(),
        }
    }
}

/// An enrolled agent, ready to run. Cheap to clone: clones share everything.
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Queue,
    uplink: Uplink,
    reader: Reader,
    options: AgentOptions,
    /// Loads the strategies the server hands out.
    host: Host,
    /// How far the running discovery scan is, for whoever watches (see
    /// [`Agent::discovery_progress`]).
    discovery: watch::Sender<discovery::Progress>,
}

/// Loads the built-in strategies into a fresh host and registry.
pub async fn builtin_registry() -> Result<Registry, AgentError> {
    let strategy = |name: &str, source| AgentError::Strategy {
        name: name.to_owned(),
        source,
    };
    let host = Host::new(HostConfig::default()).map_err(|e| strategy("(host)", e))?;
    quire_builtin::registry(&host)
        .await
        .map_err(|e| strategy(e.name, e.source))
}

async fn open_queue(data_dir: &Path) -> Result<Queue, AgentError> {
    std::fs::create_dir_all(data_dir).map_err(|source| AgentError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    Ok(Queue::open(&data_dir.join(DATABASE_FILE)).await?)
}

impl Agent {
    /// Enrolls the agent whose data lives in `data_dir` with the server at `server`, using
    /// the enrollment key a dealer issued (see [`enroll`]), and keeps the enrollment.
    pub async fn enroll(
        data_dir: &Path,
        server: &str,
        key: &str,
        fingerprint: Option<&str>,
    ) -> Result<Enrollment, AgentError> {
        let queue = open_queue(data_dir).await?;
        let enrollment = enroll(server, key, fingerprint, &hostname()).await?;
        queue.save_enrollment(&enrollment).await?;
        tracing::info!(
            server = %enrollment.server,
            agent = %enrollment.agent_id,
            account = enrollment.account_id,
            certificate = %enrollment.certificate_sha256,
            key = enrollment.key_sha256.as_deref().unwrap_or_default(),
            "enrolled; the server's key is pinned"
        );
        queue.close().await;
        Ok(enrollment)
    }

    /// Opens the enrolled agent in `options.data_dir`, with the built-in strategies.
    pub async fn open(options: AgentOptions) -> Result<Agent, AgentError> {
        let registry = Arc::new(builtin_registry().await?);
        Agent::open_with(options, registry).await
    }

    /// As [`Agent::open`], reading with the strategies of `registry`.
    pub async fn open_with(
        options: AgentOptions,
        registry: Arc<Registry>,
    ) -> Result<Agent, AgentError> {
        let queue = open_queue(&options.data_dir).await?;
        let enrollment = queue
            .enrollment()
            .await?
            .ok_or_else(|| AgentError::NotEnrolled {
                database: options.data_dir.join(DATABASE_FILE).display().to_string(),
            })?;
        let uplink = Uplink::new(&enrollment)?;
        let host = Host::new(HostConfig::default()).map_err(|source| AgentError::Strategy {
            name: "(host)".to_owned(),
            source,
        })?;
        let reader = Reader {
            registry,
            client: options.client.clone(),
            snmp_port: options.snmp_port,
            clock: options.clock.clone(),
        };
        Ok(Agent {
            inner: Arc::new(Inner {
                queue,
                uplink,
                reader,
                options,
                host,
                discovery: watch::Sender::new(discovery::Progress::default()),
            }),
        })
    }

    /// How far each discovery scan is, about once a second while it runs and once at its
    /// end: what `quire agent run --once` draws as a bar on a terminal. A channel rather
    /// than a log line, so a watcher decides how to show it and the log stays as it is.
    pub fn discovery_progress(&self) -> watch::Receiver<discovery::Progress> {
        self.inner.discovery.subscribe()
    }

    /// The strategies reads run with. Inserting a newer version here (as the server's
    /// `AgentConfig::strategies` asks) takes effect at the next read; reads in flight
    /// finish on the version they started with.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.reader.registry
    }

    /// The agent's database: its queue and state.
    pub fn queue(&self) -> &Queue {
        &self.inner.queue
    }

    /// The connection to the server.
    pub fn uplink(&self) -> &Uplink {
        &self.inner.uplink
    }

    /// Checks in: fetches the configuration, keeps it for restarts while the server is
    /// down, and swaps in the strategy versions it lists (see [`crate::strategy_sync`]).
    pub async fn check_in(&self) -> Result<AgentConfig, AgentError> {
        let config = self.inner.uplink.fetch_config().await?;
        self.inner.queue.save_config(&config).await?;
        self.keep_learned_key().await?;
        tracing::debug!(revision = %config.revision, sites = config.sites.len(), "checked in");
        let uplink = &self.inner.uplink;
        let report = sync_strategies(
            &self.inner.host,
            self.registry(),
            quire_builtin::BUILTIN,
            &config.strategies,
            |listing| async move {
                uplink
                    .download_strategy(&listing)
                    .await
                    .map_err(|e| e.to_string())
            },
        )
        .await;
        if !report.is_quiet() {
            tracing::info!(
                installed = ?report.installed,
                restored = ?report.restored,
                removed = ?report.removed,
                "strategies swapped as the server lists them"
            );
        }
        for failure in &report.failed {
            tracing::warn!(
                "strategy not brought in line (retried at the next check-in): {failure}"
            );
        }
        Ok(config)
    }

    /// Keeps in the enrollment the server's key an enrollment from before key pinning
    /// learned on this call, so that the next start pins the key as well.
    async fn keep_learned_key(&self) -> Result<(), AgentError> {
        let Some(key) = self.inner.uplink.take_learned_key() else {
            return Ok(());
        };
        if let Some(mut enrollment) = self.inner.queue.enrollment().await? {
            enrollment.key_sha256 = Some(key.clone());
            self.inner.queue.save_enrollment(&enrollment).await?;
            tracing::info!(key = %key, "pinned the server's key, which its renewed certificates keep");
        }
        Ok(())
    }

    /// The configuration to work with: fetched now, or, when the server cannot be reached,
    /// the one kept from the last check-in.
    pub async fn config(&self) -> Result<AgentConfig, AgentError> {
        match self.check_in().await {
            Ok(config) => Ok(config),
            Err(AgentError::Uplink(reason)) => match self.inner.queue.config().await? {
                Some(config) => {
                    tracing::warn!(error = %reason, "cannot check in; working with the configuration kept from the last check-in");
                    Ok(config)
                }
                None => Err(AgentError::NoConfig { reason }),
            },
            Err(e) => Err(e),
        }
    }

    /// Uploads everything queued, oldest first, deleting what the server acknowledges.
    /// When the server cannot be reached the error says so and everything stays queued.
    pub async fn deliver(&self) -> Result<Delivery, AgentError> {
        let Inner {
            queue,
            uplink,
            options,
            ..
        } = &*self.inner;
        let mut delivery = Delivery::default();
        loop {
            let items = queue
                .batch(options.batch_items, options.batch_bytes)
                .await?;
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                break;
            };
            let (first, last) = (first.seq, last.seq);
            let sent = items.len() as u64;
            let ack = uplink.upload(&ReadingUpload { items }).await?;
            for rejected in &ack.rejected {
                tracing::warn!(seq = rejected.seq, reason = %rejected.message, "the server refused a reading for good");
            }
            if ack.acked_through < first {
                return Err(AgentError::NoProgress {
                    first,
                    last,
                    acked_through: ack.acked_through,
                });
            }
            crate::metrics::uploaded(ack.filed, ack.duplicates, ack.rejected.len());
            // Never past what was sent: readings queued meanwhile are not the server's yet.
            queue.ack(ack.acked_through.min(last)).await?;
            delivery.sent += sent;
            delivery.filed += u64::from(ack.filed);
            delivery.duplicates += u64::from(ack.duplicates);
            delivery.rejected += ack.rejected.len() as u64;
        }
        if delivery.sent > 0 {
            tracing::info!(
                sent = delivery.sent,
                filed = delivery.filed,
                duplicates = delivery.duplicates,
                rejected = delivery.rejected,
                "readings delivered"
            );
        }
        Ok(delivery)
    }

    /// Runs every cycle of every site and part of the network once, now (discovery, then
    /// meters & supplies, then alerts), and delivers. The configuration is fetched, or the
    /// kept one used when the server is down.
    pub async fn run_once(&self) -> Result<OnceReport, AgentError> {
        self.run_now(&[Cycle::Discovery, Cycle::MetersAndSupplies, Cycle::Alerts])
            .await
    }

    /// Runs `cycles`, in order, on every site and part of the network now, whatever the
    /// schedules say, and delivers: what `quire demo` reads between scheduled runs.
    pub async fn run_now(&self, cycles: &[Cycle]) -> Result<OnceReport, AgentError> {
        let config = self.config().await?;
        announce::scope(&config, self.inner.options.snmp_port);
        let mut reports = Vec::new();
        for site in &config.sites {
            for part in parts(site) {
                for &cycle in cycles {
                    reports.push(self.run_cycle(&config, site, part.as_deref(), cycle).await);
                }
            }
        }
        let delivery = self.deliver().await;
        if let Err(e) = &delivery {
            tracing::warn!(error = %e, "delivery failed; the readings stay queued");
        }
        Ok(OnceReport {
            cycles: reports,
            delivery,
            queued: self.inner.queue.len().await?,
        })
    }

    /// Runs one cycle on one part of a site's network. Never fails as a whole: what could
    /// not be read is in the report's failures.
    pub async fn run_cycle(
        &self,
        config: &AgentConfig,
        site: &SiteConfig,
        part: Option<&str>,
        cycle: Cycle,
    ) -> CycleReport {
        let started = Instant::now();
        let mut report = CycleReport::new(site.id, part, cycle);
        tracing::info!(
            site = site.id,
            part = part.unwrap_or("-"),
            ?cycle,
            "cycle starts"
        );
        let outcome = match cycle {
            Cycle::Discovery => self.discover(config, site, part, &mut report).await,
            Cycle::MetersAndSupplies | Cycle::Alerts => {
                let known = self
                    .read_known(config, site, part, cycle, &mut report)
                    .await;
                known.and(self.read_ipp(config, site, part, cycle, &mut report).await)
            }
        };
        if let Err(e) = outcome {
            tracing::error!(site = site.id, error = %e, "cycle stopped");
            report.failures.push(Failure::Stopped(e));
        }
        report.elapsed = started.elapsed();
        crate::metrics::count_cycle(cycle, report.elapsed);
        tracing::info!(
            site = site.id,
            part = part.unwrap_or("-"),
            ?cycle,
            addresses = report.addresses,
            found = report.found,
            read = report.read,
            failed = report.failures.len(),
            devices = report.devices,
            new_devices = report.new_devices,
            replaced_supplies = report.replaced_supplies,
            queued = report.queued,
            seconds = report.elapsed.as_secs_f64(),
            "cycle done"
        );
        report
    }
}

/// The printers the agent reads over IPP of its own accord (its host's CUPS queues,
/// the URIs of its options) belong to no site's ranges: they are read once per
/// cycle, with the first part of the first site.
fn hosts_agent_printers(config: &AgentConfig, site: &SiteConfig, part: Option<&str>) -> bool {
    config
        .sites
        .first()
        .is_some_and(|first| first.id == site.id && is_first_part(site, part))
}

/// Whether `part` is the first part of the site's network, which reads what belongs
/// to the site as a whole.
fn is_first_part(site: &SiteConfig, part: Option<&str>) -> bool {
    parts(site).first().map(Option::as_deref) == Some(part)
}

/// The parts of a site's network, each once; a site with no range has the one
/// unnamed part, so its cycles still run (for the printers the agent reads over IPP).
fn parts(site: &SiteConfig) -> Vec<Option<String>> {
    let mut parts = Vec::new();
    for range in &site.ranges {
        if !parts.contains(&range.part) {
            parts.push(range.part.clone());
        }
    }
    if parts.is_empty() {
        parts.push(None);
    }
    parts
}

/// The machine's name, shown in the console beside the agent.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
