//! A loaded strategy, and the three calls a reading makes of it.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use quire_model::{
    Assessment, AssessmentOutcome, Cycle, ErrorAssessment, ErrorInput, Reading, StrategyRef,
};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, Instance, InstancePre};

use sha2::{Digest, Sha256};

use crate::bindings::latest::quire::device::types as wit;
use crate::convert;
use crate::host::{Host, Prepared, Release, World, hash_label, hex};
use crate::probe::{MatchRule, Probe};
use crate::sandbox::{Sandbox, stop_of};
use crate::{PluginError, Result, Stop};
use quire_transport::{
    DeviceTransport, HttpRequest, HttpResponse, NoDevice, NpapRequest, SnmpRequest, TransportError,
};

/// What a strategy says about itself when loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyInfo {
    /// The family name (`printer-mib`, `hp-laserjet`).
    pub name: String,
    /// Its version; the registry replaces only with a newer one.
    pub version: semver::Version,
    /// Who publishes it.
    pub vendor: String,
    /// One line for people.
    pub description: String,
    /// Which devices it is for.
    pub match_rules: Vec<MatchRule>,
}

/// A reading with its strategy's reasons for the choices it made between
/// sources (the maker a print server's printer names, a level read as a
/// percentage because of its unit). Only `quire replay --explain` shows the
/// notes: readings are stored and sent without them.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    /// What was read.
    pub reading: Reading,
    /// One short sentence per choice, in the order the strategy made them.
    pub notes: Vec<String>,
}

/// What one `collect` cost (see [`Plugin::collect_metered`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spent {
    /// Time in the strategy's own code, instantiation included and device waits
    /// excluded: what its deadline is counted against. The host meters strategies by
    /// this rather than by wasmtime fuel, which would slow every call to count it.
    pub computing: std::time::Duration,
}

/// A loaded, validated strategy. Each call runs in a fresh sandbox, so a
/// `Plugin` is shared freely (`Arc<Plugin>`) between concurrent reads.
pub struct Plugin {
    host: Host,
    pre: Pre,
    info: StrategyInfo,
    hash: [u8; 32],
    label: Arc<str>,
    /// The `identify` verdicts given without asking the device anything, by
    /// probe. Such a verdict judges sysObjectID and sysDescr alone (the SDK's
    /// default `identify` scores the match rules), so it is the same for every
    /// device of that model: a fleet's model is judged once, not once per
    /// device, and each read spares a sandbox instance. At most
    /// [`REMEMBERED_VERDICTS`]; a verdict that asked the device is never kept.
    verdicts: Mutex<HashMap<Probe, Option<u32>>>,
}

/// How many probes' `identify` verdicts a plugin remembers: more models than
/// a site has, and a few hundred KiB at most. Where each device's sysDescr is
/// its own (a JetDirect's carries its serial) the first this many are kept
/// and the rest judged in a sandbox as before.
const REMEMBERED_VERDICTS: usize = 1024;

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("plugin", &self.label)
            .field("hash", &self.content_hash())
            .finish()
    }
}

impl Host {
    /// Loads a strategy: checks that the bytes are a component of a world Quire
    /// supports, compiles it (once per content hash), and asks it to describe
    /// itself in a sandbox with no device.
    ///
    /// Written here rather than beside [`Host::new`] so the host module need
    /// not know plugins: they depend on it, not it on them.
    pub async fn load(&self, bytes: &[u8]) -> Result<Plugin> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let label = hash_label(&hash);
        let pre = self
            .prepare(&hash, bytes, World::Strategy)
            .and_then(Pre::new)
            .map_err(|reason| PluginError::Invalid {
                plugin: label.clone(),
                reason,
            })?;
        Plugin::describe(self.clone(), pre, hash, label).await
    }
}

/// A linked strategy of one of the releases the host runs, with where its four
/// functions are among the component's exports.
///
/// Each call instantiates it and type-checks only the function it calls. The
/// generated bindings' `load` type-checks all four at every instantiation,
/// which was 6 % of a `map-error` call; all four are checked once, when the
/// strategy is loaded and describes itself.
struct Pre {
    pre: InstancePre<Sandbox>,
    release: Release,
    describe: ComponentExportIndex,
    identify: ComponentExportIndex,
    collect: ComponentExportIndex,
    map_error: ComponentExportIndex,
}

/// One instance of a strategy, for one call.
struct Guest<'a> {
    instance: Instance,
    pre: &'a Pre,
}

impl Pre {
    fn new(prepared: Prepared) -> std::result::Result<Pre, String> {
        let component = prepared.pre.component();
        let api = component
            .get_export_index(None, prepared.export)
            .ok_or_else(|| format!("it does not export {}", prepared.export))?;
        let func = |name: &str| {
            component.get_export_index(Some(&api), name).ok_or_else(|| {
                format!(
                    "its {} does not match Quire's: it has no function {name}",
                    prepared.export
                )
            })
        };
        Ok(Pre {
            describe: func("describe")?,
            identify: func("identify")?,
            collect: func("collect")?,
            map_error: func("map-error")?,
            release: prepared.release,
            pre: prepared.pre,
        })
    }

    async fn instantiate(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<Guest<'_>> {
        Ok(Guest {
            instance: self.pre.instantiate_async(store).await?,
            pre: self,
        })
    }
}

/// The strategy calls, each asked of the guest's release; 0.1.0's `types` are
/// the live ones (see [`crate::bindings::v0_1_0`]), so only `collect`, whose
/// answer gained the notes, converts.
impl Guest<'_> {
    /// `describe`, after checking that all four functions have the types of the
    /// guest's release, so a strategy that does not match fails to load.
    async fn describe(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<wit::StrategyInfo> {
        let i = self.instance;
        i.get_typed_func::<(&wit::Probe,), (Option<u32>,)>(&mut *store, self.pre.identify)?;
        match self.pre.release {
            Release::Latest => {
                i.get_typed_func::<(wit::Cycle,), (CollectResult,)>(&mut *store, self.pre.collect)?;
            }
            Release::V0_1_0 => {
                i.get_typed_func::<(wit::Cycle,), (CollectResult0_1_0,)>(
                    &mut *store,
                    self.pre.collect,
                )?;
            }
        }
        i.get_typed_func::<(&wit::ErrorInput,), (wit::Assessment,)>(
            &mut *store,
            self.pre.map_error,
        )?;
        let describe =
            i.get_typed_func::<(), (wit::StrategyInfo,)>(&mut *store, self.pre.describe)?;
        Ok(describe.call_async(store, ()).await?.0)
    }

    async fn identify(
        &self,
        store: &mut Store<Sandbox>,
        probe: &wit::Probe,
    ) -> wasmtime::Result<Option<u32>> {
        let identify = self
            .instance
            .get_typed_func::<(&wit::Probe,), (Option<u32>,)>(&mut *store, self.pre.identify)?;
        Ok(identify.call_async(store, (probe,)).await?.0)
    }

    async fn collect(
        &self,
        store: &mut Store<Sandbox>,
        cycle: wit::Cycle,
    ) -> wasmtime::Result<CollectResult> {
        let i = self.instance;
        match self.pre.release {
            Release::Latest => {
                let collect = i.get_typed_func::<(wit::Cycle,), (CollectResult,)>(
                    &mut *store,
                    self.pre.collect,
                )?;
                Ok(collect.call_async(store, (cycle,)).await?.0)
            }
            Release::V0_1_0 => {
                let collect = i.get_typed_func::<(wit::Cycle,), (CollectResult0_1_0,)>(
                    &mut *store,
                    self.pre.collect,
                )?;
                Ok(collect
                    .call_async(store, (cycle,))
                    .await?
                    .0
                    .map(|reading| wit::Collected {
                        reading,
                        notes: Vec::new(),
                    }))
            }
        }
    }

    async fn map_error(
        &self,
        store: &mut Store<Sandbox>,
        input: &wit::ErrorInput,
    ) -> wasmtime::Result<wit::Assessment> {
        let map_error = self
            .instance
            .get_typed_func::<(&wit::ErrorInput,), (wit::Assessment,)>(
                &mut *store,
                self.pre.map_error,
            )?;
        Ok(map_error.call_async(store, (input,)).await?.0)
    }
}

/// What `collect` answers since 0.2.0: the reading with the strategy's notes.
type CollectResult = std::result::Result<wit::Collected, wit::StrategyError>;
/// What `collect` answered in 0.1.0: the reading alone.
type CollectResult0_1_0 = std::result::Result<wit::Reading, wit::StrategyError>;

impl Plugin {
    /// Calls `describe` once in a device-less sandbox and keeps the answer.
    async fn describe(host: Host, pre: Pre, hash: [u8; 32], hash_label: String) -> Result<Plugin> {
        let label: Arc<str> = hash_label.into();
        // `_slot` is bound first so it drops last, after the store frees its pool slot.
        let Call {
            _slot,
            mut store,
            guest,
        } = enter(&host, &pre, &label, Arc::new(NoDevice)).await?;
        let outcome = call_within(&host, guest.describe(&mut store)).await;
        let info = settle(&host, &store, outcome)?;
        let stop = |what: String| PluginError::Stopped {
            plugin: label.to_string(),
            cause: Stop::Malformed(what),
        };
        let version = semver::Version::parse(&info.version).map_err(|e| {
            stop(format!(
                "version {:?} from describe, which is not semver ({e})",
                info.version
            ))
        })?;
        if info.name.is_empty() {
            return Err(stop("an empty name from describe".into()));
        }
        let info = StrategyInfo {
            version,
            match_rules: info
                .match_rules
                .into_iter()
                .map(convert::match_rule)
                .collect(),
            name: info.name,
            vendor: info.vendor,
            description: info.description,
        };
        let label = format!("{}@{}", info.name, info.version).into();
        Ok(Plugin {
            host,
            pre,
            info,
            hash,
            label,
            verdicts: Mutex::new(HashMap::new()),
        })
    }

    /// The family name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The version.
    pub fn version(&self) -> &semver::Version {
        &self.info.version
    }

    /// Everything `describe` returned.
    pub fn info(&self) -> &StrategyInfo {
        &self.info
    }

    /// The hex sha256 of the component bytes: what identifies these exact bytes.
    pub fn content_hash(&self) -> String {
        hex(&self.hash)
    }

    /// Name and version, to stamp on the readings this plugin produces.
    pub fn strategy_ref(&self) -> StrategyRef {
        StrategyRef {
            name: self.info.name.clone(),
            version: self.info.version.to_string(),
        }
    }

    /// The first of this strategy's match rules that claims the device, if any.
    pub fn claims(&self, probe: &Probe) -> Option<&MatchRule> {
        self.info.match_rules.iter().find(|r| r.matches(probe))
    }

    /// Reads the device behind `transport` for `cycle`.
    ///
    /// A strategy's own failure is [`PluginError::Strategy`]; anything the host
    /// stopped is [`PluginError::Stopped`] and leaves the plugin usable.
    pub async fn collect(
        &self,
        transport: Arc<dyn DeviceTransport>,
        cycle: Cycle,
    ) -> Result<Reading> {
        self.collect_explained(transport, cycle)
            .await
            .map(|explained| explained.reading)
    }

    /// [`Plugin::collect`] with the strategy's notes on the choices it made, for
    /// `quire replay --explain`; a strategy built against contract 0.1.0 has none.
    pub async fn collect_explained(
        &self,
        transport: Arc<dyn DeviceTransport>,
        cycle: Cycle,
    ) -> Result<Explained> {
        self.collect_spending(transport, cycle).await.0
    }

    /// [`Plugin::collect`], with what the call cost whether it read the device or not
    /// (zero when it could not start): the agent's metrics count it per strategy.
    pub async fn collect_metered(
        &self,
        transport: Arc<dyn DeviceTransport>,
        cycle: Cycle,
    ) -> (Result<Reading>, Spent) {
        let (explained, spent) = self.collect_spending(transport, cycle).await;
        (explained.map(|explained| explained.reading), spent)
    }

    async fn collect_spending(
        &self,
        transport: Arc<dyn DeviceTransport>,
        cycle: Cycle,
    ) -> (Result<Explained>, Spent) {
        // `_slot` is bound first so it drops last, after the store frees its pool slot.
        let Call {
            _slot,
            mut store,
            guest,
        } = match enter(&self.host, &self.pre, &self.label, transport).await {
            Ok(call) => call,
            Err(e) => return (Err(e), Spent::default()),
        };
        let outcome =
            call_within(&self.host, guest.collect(&mut store, convert::cycle(cycle))).await;
        let spent = Spent {
            computing: store.data().computing(),
        };
        (self.collected(&store, outcome), spent)
    }

    /// What a `collect` call's outcome reads as: the reading with its notes, or why not.
    fn collected(
        &self,
        store: &Store<Sandbox>,
        outcome: std::result::Result<
            wasmtime::Result<std::result::Result<wit::Collected, wit::StrategyError>>,
            TimedOut,
        >,
    ) -> Result<Explained> {
        let answer = settle(&self.host, store, outcome)?;
        let collected = answer.map_err(|e| PluginError::Strategy {
            plugin: self.label.to_string(),
            error: convert::strategy_error(e),
        })?;
        convert::check_collected(&collected, self.host.config().max_output_bytes).map_err(
            |cause| PluginError::Stopped {
                plugin: self.label.to_string(),
                cause,
            },
        )?;
        let reading = convert::reading(collected.reading);
        for unknown in convert::unknown_counters(&reading) {
            tracing::warn!(plugin = %self.label, "{unknown}");
        }
        Ok(Explained {
            reading,
            notes: collected.notes,
        })
    }

    /// Asks whether the device is this strategy's: a score (higher is more
    /// specific), or `None`.
    pub async fn identify(
        &self,
        transport: Arc<dyn DeviceTransport>,
        probe: &Probe,
    ) -> Result<Option<u32>> {
        if let Some(verdict) = self.remembered_verdicts().get(probe) {
            return Ok(*verdict);
        }
        let watched = Arc::new(Watched::new(transport));
        let verdict = {
            // `_slot` is bound first so it drops last, after the store frees its pool slot.
            let Call {
                _slot,
                mut store,
                guest,
            } = enter(&self.host, &self.pre, &self.label, watched.clone()).await?;
            let asked = wit::Probe {
                sys_object_id: probe.sys_object_id.clone(),
                sys_descr: probe.sys_descr.clone(),
            };
            let outcome = call_within(&self.host, guest.identify(&mut store, &asked)).await;
            settle(&self.host, &store, outcome)?
        };
        if !watched.asked() {
            let mut verdicts = self.remembered_verdicts();
            if verdicts.len() < REMEMBERED_VERDICTS {
                verdicts.insert(probe.clone(), verdict);
            }
        }
        Ok(verdict)
    }

    fn remembered_verdicts(&self) -> std::sync::MutexGuard<'_, HashMap<Probe, Option<u32>>> {
        self.verdicts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Asks the strategy what a device alert or error-state bit means for ASM.
    pub async fn map_error(&self, input: &ErrorInput) -> Result<Assessment> {
        // `_slot` is bound first so it drops last, after the store frees its pool slot.
        let Call {
            _slot,
            mut store,
            guest,
        } = enter(&self.host, &self.pre, &self.label, Arc::new(NoDevice)).await?;
        let input = convert::error_input(input);
        let outcome = call_within(&self.host, guest.map_error(&mut store, &input)).await;
        let assessment = settle(&self.host, &store, outcome)?;
        convert::check_string(&assessment.state, self.host.config().max_output_bytes).map_err(
            |cause| PluginError::Stopped {
                plugin: self.label.to_string(),
                cause,
            },
        )?;
        Ok(convert::assessment(assessment))
    }

    /// Asks `map-error` about every alert row and error-state bit of `reading`, one
    /// call each, in [`Reading::error_inputs`] order. A call that fails is kept as that
    /// input's failure (and logged) and the others are still asked: one input the
    /// strategy cannot judge must not cost the reading its other assessments.
    pub async fn assess(&self, reading: &Reading) -> Vec<ErrorAssessment> {
        let mut assessments = Vec::new();
        for (input, error) in reading.error_inputs() {
            let outcome = match self.map_error(&error).await {
                Ok(assessment) => AssessmentOutcome::Assessed(assessment),
                Err(e) => {
                    tracing::warn!(plugin = %self.label, ?input, error = %e, "map-error failed");
                    AssessmentOutcome::Failed(e.to_string())
                }
            };
            assessments.push(ErrorAssessment { input, outcome });
        }
        assessments
    }
}

/// One call's sandbox and the permit for its pool slot.
struct Call<'a> {
    _slot: OwnedSemaphorePermit,
    store: Store<Sandbox>,
    guest: Guest<'a>,
}

/// A fresh store and instance for one call, once a pool slot is free.
async fn enter<'a>(
    host: &Host,
    pre: &'a Pre,
    label: &Arc<str>,
    transport: Arc<dyn DeviceTransport>,
) -> Result<Call<'a>> {
    let slot = host.slot().await;
    let mut store = Sandbox::store(host.engine(), host.config(), label.clone(), transport);
    let instantiated = call_within(host, pre.instantiate(&mut store)).await;
    let guest = settle(host, &store, instantiated)?;
    Ok(Call {
        _slot: slot,
        store,
        guest,
    })
}

/// What a call the host cut short with its outer timeout returns.
pub(crate) struct TimedOut;

/// Runs `call` under the outer timeout. The epoch deadline only advances while
/// WebAssembly runs; a host call that hangs (a transport that never answers) is
/// cut here, a few ticks after the deadline, so the in-wasm trap wins the race
/// when there is one.
pub(crate) async fn call_within<T>(
    host: &Host,
    call: impl Future<Output = wasmtime::Result<T>>,
) -> std::result::Result<wasmtime::Result<T>, TimedOut> {
    tokio::time::timeout(host.config().read_timeout, call)
        .await
        .map_err(|_| TimedOut)
}

/// Turns the outcome of a call into the host's error, naming the plugin.
pub(crate) fn settle<T>(
    host: &Host,
    store: &Store<Sandbox>,
    outcome: std::result::Result<wasmtime::Result<T>, TimedOut>,
) -> Result<T> {
    let sandbox = store.data();
    let stopped = |cause| PluginError::Stopped {
        plugin: sandbox.plugin().to_owned(),
        cause,
    };
    if let Some(asked) = sandbox.escape() {
        return Err(stopped(Stop::Escape(asked.to_owned())));
    }
    match outcome {
        Err(TimedOut) => Err(stopped(Stop::ReadTimeout(host.config().read_timeout))),
        Ok(Err(e)) => Err(stopped(stop_of(&e, host.config()))),
        Ok(Ok(value)) => Ok(value),
    }
}

/// A device transport that notes whether the plugin asked it anything, so a
/// verdict that did not can be remembered ([`Plugin::identify`]).
struct Watched {
    inner: Arc<dyn DeviceTransport>,
    asked: AtomicBool,
}

impl Watched {
    fn new(inner: Arc<dyn DeviceTransport>) -> Watched {
        Watched {
            inner,
            asked: AtomicBool::new(false),
        }
    }

    fn asked(&self) -> bool {
        self.asked.load(Ordering::Relaxed)
    }

    fn ask(&self) {
        self.asked.store(true, Ordering::Relaxed);
    }
}

#[async_trait::async_trait]
impl DeviceTransport for Watched {
    async fn snmp(
        &self,
        request: SnmpRequest<'_>,
    ) -> std::result::Result<Vec<(quire_snmp::Oid, quire_snmp::Value)>, TransportError> {
        self.ask();
        self.inner.snmp(request).await
    }

    async fn snmp_each(
        &self,
        request: SnmpRequest<'_>,
        answer: &mut (dyn for<'v> FnMut(&'v quire_snmp::Oid, &'v quire_snmp::Value) + Send),
    ) -> std::result::Result<(), TransportError> {
        self.ask();
        self.inner.snmp_each(request, answer).await
    }

    async fn npap_exchange(
        &self,
        request: NpapRequest<'_>,
    ) -> std::result::Result<Vec<u8>, TransportError> {
        self.ask();
        self.inner.npap_exchange(request).await
    }

    async fn http_send(
        &self,
        request: &HttpRequest,
    ) -> std::result::Result<HttpResponse, TransportError> {
        self.ask();
        self.inner.http_send(request).await
    }
}
