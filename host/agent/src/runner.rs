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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use quire_model::{Cycle, Supply};
use quire_plugins::{Host, HostConfig, PluginError, Registry};
use quire_protocol::{
    AgentConfig, Range, ReadingUpload, SiteConfig, SupplyReplacement, UploadItem,
};
use quire_schedule::{Schedules, Timestamp};
use quire_snmp::client::{ClientConfig, Credentials};
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::discovery::{self, Target};
use crate::queue::{Queue, QueueError};
use crate::read::{DeviceRead, Reader};
use crate::state::{KnownDevice, device_key};
use crate::strategy_sync::sync_strategies;
use crate::supplies::{DEFAULT_LEVEL_JUMP, replacements};
use crate::uplink::{Enrollment, Uplink, UplinkError, enroll};

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
        }
    }
}

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

/// What one run of one cycle on one site's part of the network did.
#[derive(Debug, Clone, PartialEq)]
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
    /// Reads that failed, one message each, naming the device address.
    pub failures: Vec<String>,
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
    fn new(site_id: i64, part: Option<&str>, cycle: Cycle) -> CycleReport {
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
            "enrolled; the server's certificate is pinned"
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
        };
        Ok(Agent {
            inner: Arc::new(Inner {
                queue,
                uplink,
                reader,
                options,
                host,
            }),
        })
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
        let config = self.config().await?;
        let mut cycles = Vec::new();
        for site in &config.sites {
            for part in parts(site) {
                for cycle in [Cycle::Discovery, Cycle::MetersAndSupplies, Cycle::Alerts] {
                    cycles.push(self.run_cycle(&config, site, part.as_deref(), cycle).await);
                }
            }
        }
        let delivery = self.deliver().await;
        if let Err(e) = &delivery {
            tracing::warn!(error = %e, "delivery failed; the readings stay queued");
        }
        Ok(OnceReport {
            cycles,
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
            report.failures.push(e.to_string());
        }
        report.elapsed = started.elapsed();
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

    async fn discover(
        &self,
        config: &AgentConfig,
        site: &SiteConfig,
        part: Option<&str>,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        let credentials = crate::credentials::usable(&config.credentials);
        let targets = targets(site, part).await;
        report.addresses = targets.len();
        let scan = discovery::scan(
            targets,
            &credentials,
            &config.discovery,
            self.inner.options.snmp_port,
        )
        .await;
        tracing::info!(
            site = site.id,
            found = scan.found.len(),
            not_printers = scan.not_printers,
            refused = scan.refused,
            silent = scan.silent,
            seconds = scan.elapsed.as_secs_f64(),
            "scan done"
        );
        report.found = scan.found.len();
        let jobs = scan
            .found
            .iter()
            .map(|f| (f.target.address, f.credential))
            .collect();
        let reads = self.read_all(jobs, credentials, Cycle::Discovery).await;
        let mut known: HashMap<String, KnownDevice> = self
            .inner
            .queue
            .devices()
            .await?
            .into_iter()
            .map(|d| (d.key.clone(), d))
            .collect();
        let mut by_device: BTreeMap<String, Vec<(IpAddr, DeviceRead)>> = BTreeMap::new();
        for (address, read) in reads {
            match read {
                Ok(read) => {
                    report.read += 1;
                    let key = device_key(&read.reading.identity, address);
                    by_device.entry(key).or_default().push((address, read));
                }
                Err(e) => {
                    tracing::warn!(device = %address, error = %e, "discovery could not read a device");
                    report.failures.push(e);
                }
            }
        }
        let mut devices = Vec::new();
        for (key, mut seen) in by_device {
            let previous = known.remove(&key);
            let keep = previous
                .as_ref()
                .and_then(|p| seen.iter().position(|(a, _)| *a == p.address))
                .unwrap_or_else(|| {
                    (0..seen.len())
                        .min_by_key(|&i| seen[i].0)
                        .expect("a device has at least one address")
                });
            if seen.len() > 1 {
                let addresses: Vec<String> = seen.iter().map(|(a, _)| a.to_string()).collect();
                tracing::info!(device = %key, addresses = %addresses.join(", "), kept = %seen[keep].0, "one device answers on several addresses");
            }
            if previous.is_none() {
                report.new_devices += 1;
            }
            let (address, read) = seen.swap_remove(keep);
            devices.push((address, read, previous, key));
        }
        // Queued in address order, as the scan lists them, whatever their keys.
        devices.sort_by_key(|(address, ..)| *address);
        for (address, read, previous, key) in devices {
            self.file(site, part, address, read, previous.as_ref(), key, report)
                .await?;
        }
        Ok(())
    }

    async fn read_known(
        &self,
        config: &AgentConfig,
        site: &SiteConfig,
        part: Option<&str>,
        cycle: Cycle,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        let credentials = crate::credentials::usable(&config.credentials);
        let mut known: HashMap<String, KnownDevice> = self
            .inner
            .queue
            .devices()
            .await?
            .into_iter()
            .map(|d| (d.key.clone(), d))
            .collect();
        let mine: HashMap<IpAddr, String> = known
            .values()
            .filter(|d| d.site_id == site.id && d.part.as_deref() == part)
            .map(|d| (d.address, d.key.clone()))
            .collect();
        report.addresses = mine.len();
        let jobs = mine
            .keys()
            .map(|address| (*address, known[&mine[address]].credential))
            .collect();
        for (address, read) in self.read_all(jobs, credentials, cycle).await {
            let read = match read {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(device = %address, ?cycle, error = %e, "could not read a device");
                    report.failures.push(e);
                    continue;
                }
            };
            report.read += 1;
            let key = device_key(&read.reading.identity, address);
            let was = &mine[&address];
            if *was != key {
                tracing::info!(device = %address, was = %was, now = %key, "another device answers on this address");
                self.inner.queue.forget_device(was).await?;
            }
            let previous = known.remove(&key);
            self.file(site, part, address, read, previous.as_ref(), key, report)
                .await?;
        }
        Ok(())
    }

    /// Reads the printers read over IPP with this part of the site's network: the
    /// site's own (its first part reads them) and, with the first part of the first
    /// site, the agent's (the queues of its CUPS server, the printers of its options).
    /// Queues a reading for each, filed under `site` with the printer's URI as its
    /// address and the cartridges replaced since its last reading. A printer that
    /// cannot be read is a failure in the report and the rest are read; a CUPS server
    /// that does not answer is one failure.
    async fn read_ipp(
        &self,
        config: &AgentConfig,
        site: &SiteConfig,
        part: Option<&str>,
        cycle: Cycle,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        let mut printers = Vec::new();
        if hosts_agent_printers(config, site, part) {
            if let Some(server) = &self.inner.options.cups {
                match crate::ipp::cups_queues(server).await {
                    Ok(queues) => printers.extend(queues),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot list the CUPS queues");
                        report.failures.push(e);
                    }
                }
            }
            printers.extend(self.inner.options.ipp.iter().cloned());
        }
        if is_first_part(site, part) {
            for uri in &site.ipp_printers {
                if !printers.contains(uri) {
                    printers.push(uri.clone());
                }
            }
        }
        report.addresses += printers.len();
        for uri in printers {
            let read = match crate::ipp::read(&uri).await {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(printer = %uri, ?cycle, error = %e, "could not read an IPP printer");
                    report.failures.push(e);
                    continue;
                }
            };
            report.read += 1;
            let before = self.inner.queue.ipp_supplies(&uri).await?;
            let now = &read.reading.supplies;
            let replaced = self.replaced_supplies(&uri, &before, now, report);
            if !now.is_empty() {
                self.inner.queue.save_ipp_supplies(&uri, now).await?;
            }
            let item = UploadItem {
                seq: 0,
                site_id: Some(site.id),
                address: uri,
                taken_at: read.taken_at,
                cycle,
                strategy: crate::ipp::strategy(),
                reading: read.reading,
                raw: None,
                replaced_supplies: replaced,
            };
            self.queue_reading(&item, report).await?;
        }
        Ok(())
    }

    /// The supplies a reading's `now` shows replaced since `before`, each logged
    /// against `device` and counted in the report.
    fn replaced_supplies(
        &self,
        device: &str,
        before: &[Supply],
        now: &[Supply],
        report: &mut CycleReport,
    ) -> Vec<SupplyReplacement> {
        let replaced = replacements(before, now, self.inner.options.level_jump);
        for replacement in &replaced {
            tracing::info!(%device, supply = %replacement.description, evidence = ?replacement.evidence, "new supply installed");
        }
        report.replaced_supplies += replaced.len();
        replaced
    }

    /// Queues one reading for delivery, counted in the report.
    async fn queue_reading(
        &self,
        item: &UploadItem,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        self.inner.queue.push(item).await?;
        report.queued += 1;
        report.devices += 1;
        Ok(())
    }

    /// Queues one reading with the supplies it replaced, and remembers the device.
    #[allow(clippy::too_many_arguments)]
    async fn file(
        &self,
        site: &SiteConfig,
        part: Option<&str>,
        address: IpAddr,
        read: DeviceRead,
        previous: Option<&KnownDevice>,
        key: String,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        let before = previous.map(|p| p.supplies.as_slice()).unwrap_or_default();
        let replaced =
            self.replaced_supplies(&address.to_string(), before, &read.reading.supplies, report);
        let supplies = if read.reading.supplies.is_empty() {
            before.to_vec()
        } else {
            read.reading.supplies.clone()
        };
        let item = UploadItem {
            seq: 0,
            site_id: Some(site.id),
            address: address.to_string(),
            taken_at: read.taken_at,
            cycle: report.cycle,
            strategy: read.strategy,
            reading: read.reading,
            raw: Some(read.raw),
            replaced_supplies: replaced,
        };
        self.queue_reading(&item, report).await?;
        self.inner
            .queue
            .save_device(&KnownDevice {
                key,
                address,
                site_id: site.id,
                part: part.map(str::to_owned),
                credential: read.credential,
                supplies,
            })
            .await?;
        Ok(())
    }

    /// Reads every `(address, credential)` for `cycle`, at most
    /// [`AgentOptions::concurrency`] at once, in address order.
    async fn read_all(
        &self,
        jobs: Vec<(IpAddr, usize)>,
        credentials: Vec<Credentials>,
        cycle: Cycle,
    ) -> Vec<(IpAddr, Result<DeviceRead, String>)> {
        let credentials = Arc::new(credentials);
        let slots = Arc::new(Semaphore::new(self.inner.options.concurrency.max(1)));
        let mut reads = JoinSet::new();
        for (address, credential) in jobs {
            let reader = self.inner.reader.clone();
            let credentials = credentials.clone();
            let slots = slots.clone();
            reads.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let read = reader.read(address, &credentials, credential, cycle).await;
                (address, read)
            });
        }
        let mut done = Vec::new();
        while let Some(joined) = reads.join_next().await {
            match joined {
                Ok(read) => done.push(read),
                Err(e) => tracing::error!(error = %e, "a device read panicked"),
            }
        }
        done.sort_by_key(|(address, _)| *address);
        done
    }

    /// Starts the agent's loop on the current tokio runtime: check in every
    /// `check-in-seconds`, run each cycle when its schedule says, deliver after each.
    pub fn start(&self) -> Running {
        let (stop, stopped) = watch::channel(false);
        let agent = self.clone();
        Running {
            stop,
            task: tokio::spawn(async move { agent.run(stopped).await }),
        }
    }

    async fn run(&self, mut stopped: watch::Receiver<bool>) {
        let mut config = match self.inner.queue.config().await {
            Ok(config) => config,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the kept configuration");
                None
            }
        };
        let mut plan: Vec<Slot> = Vec::new();
        let mut planned: Option<String> = None;
        let mut next_check_in = Instant::now();
        loop {
            if Instant::now() >= next_check_in {
                match self.check_in().await {
                    Ok(fetched) => config = Some(fetched),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot check in; working with the configuration kept from the last check-in")
                    }
                }
                let interval = config
                    .as_ref()
                    .map(|c| Duration::from_secs(u64::from(c.check_in_seconds)))
                    .unwrap_or(DEFAULT_CHECK_IN)
                    .max(MIN_CHECK_IN);
                next_check_in = Instant::now() + interval;
                self.deliver_logged().await;
            }
            if let Some(config) = &config
                && planned.as_deref() != Some(config.revision.as_str())
            {
                plan = self.plan(config).await;
                planned = Some(config.revision.clone());
            }
            if let Some(config) = &config {
                let mut ran = false;
                for slot in &mut plan {
                    let now = Timestamp::now();
                    if slot.next.is_some_and(|next| next <= now) {
                        let site = &config.sites[slot.site];
                        self.run_cycle(config, site, slot.part.as_deref(), slot.cycle)
                            .await;
                        slot.next = slot.schedules.next_run(
                            slot.cycle,
                            slot.part.as_deref(),
                            Timestamp::now(),
                        );
                        ran = true;
                    }
                }
                if ran {
                    self.deliver_logged().await;
                }
            }
            let now = Timestamp::now();
            let mut wake = next_check_in;
            for next in plan.iter().filter_map(|s| s.next) {
                let wait = next
                    .as_millisecond()
                    .saturating_sub(now.as_millisecond())
                    .max(0);
                wake = wake.min(Instant::now() + Duration::from_millis(wait as u64));
            }
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {}
                _ = stopped.changed() => break,
            }
        }
        tracing::info!("agent stopped");
    }

    async fn deliver_logged(&self) {
        if let Err(e) = self.deliver().await {
            let queued = self.inner.queue.len().await.unwrap_or_default();
            tracing::warn!(error = %e, queued, "delivery failed; the readings stay queued");
        }
    }

    /// Every cycle of every part of every site, with its next run. Discovery of a part with
    /// no known device is due at once.
    async fn plan(&self, config: &AgentConfig) -> Vec<Slot> {
        let known = self.inner.queue.devices().await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the known devices");
            Vec::new()
        });
        let now = Timestamp::now();
        let mut plan = Vec::new();
        for (index, site) in config.sites.iter().enumerate() {
            let schedules = match site.schedules.clone().build() {
                Ok(schedules) => Arc::new(schedules),
                Err(e) => {
                    tracing::error!(site = site.id, error = %e, "the site's schedules are invalid; its cycles do not run");
                    continue;
                }
            };
            for part in parts(site) {
                let undiscovered = !known.iter().any(|d| d.site_id == site.id && d.part == part);
                for cycle in [Cycle::Discovery, Cycle::MetersAndSupplies, Cycle::Alerts] {
                    let next = if cycle == Cycle::Discovery && undiscovered {
                        Some(now)
                    } else {
                        schedules.next_run(cycle, part.as_deref(), now)
                    };
                    plan.push(Slot {
                        site: index,
                        schedules: schedules.clone(),
                        part: part.clone(),
                        cycle,
                        next,
                    });
                }
            }
        }
        plan
    }
}

/// One cycle on one part of one site, and when it runs next.
struct Slot {
    site: usize,
    schedules: Arc<Schedules>,
    part: Option<String>,
    cycle: Cycle,
    next: Option<Timestamp>,
}

/// The agent's loop, running; [`Running::stop`] ends it.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops the loop after the cycle in progress (what it read is queued) and waits.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the agent's loop panicked");
        }
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

/// The addresses of a site's ranges on `part`, each once, host names resolved. A name that
/// does not resolve is logged and skipped.
async fn targets(site: &SiteConfig, part: Option<&str>) -> Vec<Target> {
    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    for range in site.ranges.iter().filter(|r| r.part.as_deref() == part) {
        let addresses: Vec<IpAddr> = match &range.range {
            Range::Host(name) => match tokio::net::lookup_host((name.as_str(), 0)).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(e) => {
                    tracing::warn!(site = site.id, host = %name, error = %e, "cannot resolve a range's host name");
                    Vec::new()
                }
            },
            other => other.addresses().collect(),
        };
        for address in addresses {
            if seen.insert(address) {
                targets.push(Target {
                    address,
                    site_id: site.id,
                    part: part.map(str::to_owned),
                });
            }
        }
    }
    targets
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
