//! A loaded strategy, and the three calls a reading makes of it.

use std::fmt;
use std::sync::Arc;

use quire_model::{Assessment, Cycle, ErrorInput, Reading, StrategyRef};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::Store;

use crate::bindings::latest::quire::device::types as wit;
use crate::bindings::latest::{Strategy, StrategyPre};
use crate::convert;
use crate::host::{Host, hex};
use crate::sandbox::{Sandbox, stop_of};
use crate::transport::{DeviceTransport, NoDevice, TransportError};
use crate::{PluginError, Result, Stop};
use quire_snmp::{Oid, Value};

/// What the host already knows about a device when it chooses a strategy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    /// sysObjectID, dotted, without a leading dot.
    pub sys_object_id: String,
    /// sysDescr.
    pub sys_descr: String,
}

/// How a strategy says which devices it is for, so the host can choose
/// candidates without instantiating every plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchRule {
    /// A prefix of sysObjectID, matched on whole arcs (`1.3.6.1.4.1.11` is HP's
    /// tree, and does not claim `1.3.6.1.4.1.110`).
    SysObjectIdPrefix(String),
    /// A case-insensitive substring of sysDescr.
    SysDescrContains(String),
}

impl Probe {
    /// sysDescr.0 and sysObjectID.0, the two values every SNMP agent has.
    const SYSTEM: [[u32; 9]; 2] = [[1, 3, 6, 1, 2, 1, 1, 1, 0], [1, 3, 6, 1, 2, 1, 1, 2, 0]];

    /// Asks the device for sysDescr and sysObjectID in one GET. A device that
    /// answers with neither is no SNMP device we can read, and says so.
    pub async fn read(transport: &dyn DeviceTransport) -> Result<Probe, TransportError> {
        let oids: Vec<Oid> = Self::SYSTEM
            .iter()
            .map(|arcs| Oid::from(&arcs[..]))
            .collect();
        let answer = transport.snmp_get(&oids).await?;
        let mut probe = Probe::default();
        for (oid, value) in answer {
            match value {
                Value::OctetString(bytes) if oid.arcs() == Self::SYSTEM[0] => {
                    probe.sys_descr = String::from_utf8_lossy(&bytes).trim().to_owned();
                }
                Value::ObjectId(id) if oid.arcs() == Self::SYSTEM[1] => {
                    probe.sys_object_id = id.to_string();
                }
                _ => {}
            }
        }
        if probe.sys_descr.is_empty() && probe.sys_object_id.is_empty() {
            return Err(TransportError::Protocol(
                "the device has neither sysDescr nor sysObjectID".into(),
            ));
        }
        Ok(probe)
    }
}

impl MatchRule {
    /// Whether the device described by `probe` falls under this rule.
    pub fn matches(&self, probe: &Probe) -> bool {
        match self {
            MatchRule::SysObjectIdPrefix(prefix) => {
                let prefix = prefix.trim_start_matches('.');
                let oid = probe.sys_object_id.trim_start_matches('.');
                !prefix.is_empty()
                    && oid
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            }
            MatchRule::SysDescrContains(needle) => {
                !needle.is_empty()
                    && probe
                        .sys_descr
                        .to_lowercase()
                        .contains(&needle.to_lowercase())
            }
        }
    }
}

impl fmt::Display for MatchRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchRule::SysObjectIdPrefix(p) => write!(f, "sysObjectID starts with {p}"),
            MatchRule::SysDescrContains(s) => write!(f, "sysDescr contains {s:?}"),
        }
    }
}

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

/// A loaded, validated strategy. Each call runs in a fresh sandbox, so a
/// `Plugin` is shared freely (`Arc<Plugin>`) between concurrent reads.
pub struct Plugin {
    host: Host,
    pre: StrategyPre<Sandbox>,
    info: StrategyInfo,
    hash: [u8; 32],
    label: Arc<str>,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("plugin", &self.label)
            .field("hash", &self.content_hash())
            .finish()
    }
}

impl Plugin {
    /// Calls `describe` once in a device-less sandbox and keeps the answer.
    pub(crate) async fn describe(
        host: Host,
        pre: StrategyPre<Sandbox>,
        hash: [u8; 32],
        hash_label: String,
    ) -> Result<Plugin> {
        let label: Arc<str> = hash_label.into();
        // `_slot` is bound first so it drops last, after the store frees its pool slot.
        let Call {
            _slot,
            mut store,
            guest,
        } = enter(&host, &pre, &label, Arc::new(NoDevice)).await?;
        let call = guest.quire_device_strategy_api().call_describe(&mut store);
        let outcome = call_within(&host, call).await;
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
        // `_slot` is bound first so it drops last, after the store frees its pool slot.
        let Call {
            _slot,
            mut store,
            guest,
        } = enter(&self.host, &self.pre, &self.label, transport).await?;
        let call = guest
            .quire_device_strategy_api()
            .call_collect(&mut store, convert::cycle(cycle));
        let outcome = call_within(&self.host, call).await;
        let answer = settle(&self.host, &store, outcome)?;
        let reading = answer.map_err(|e| PluginError::Strategy {
            plugin: self.label.to_string(),
            error: convert::strategy_error(e),
        })?;
        convert::check_reading(&reading, self.host.config().max_output_bytes).map_err(|cause| {
            PluginError::Stopped {
                plugin: self.label.to_string(),
                cause,
            }
        })?;
        let reading = convert::reading(reading);
        for unknown in convert::unknown_counters(&reading) {
            tracing::warn!(plugin = %self.label, "{unknown}");
        }
        Ok(reading)
    }

    /// Asks whether the device is this strategy's: a score (higher is more
    /// specific), or `None`.
    pub async fn identify(
        &self,
        transport: Arc<dyn DeviceTransport>,
        probe: &Probe,
    ) -> Result<Option<u32>> {
        // `_slot` is bound first so it drops last, after the store frees its pool slot.
        let Call {
            _slot,
            mut store,
            guest,
        } = enter(&self.host, &self.pre, &self.label, transport).await?;
        let probe = wit::Probe {
            sys_object_id: probe.sys_object_id.clone(),
            sys_descr: probe.sys_descr.clone(),
        };
        let call = guest
            .quire_device_strategy_api()
            .call_identify(&mut store, &probe);
        let outcome = call_within(&self.host, call).await;
        settle(&self.host, &store, outcome)
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
        let call = guest
            .quire_device_strategy_api()
            .call_map_error(&mut store, &input);
        let outcome = call_within(&self.host, call).await;
        let assessment = settle(&self.host, &store, outcome)?;
        convert::check_string(&assessment.state, self.host.config().max_output_bytes).map_err(
            |cause| PluginError::Stopped {
                plugin: self.label.to_string(),
                cause,
            },
        )?;
        Ok(convert::assessment(assessment))
    }
}

/// One call's sandbox and the permit for its pool slot.
struct Call {
    _slot: OwnedSemaphorePermit,
    store: Store<Sandbox>,
    guest: Strategy,
}

/// A fresh store and instance for one call, once a pool slot is free.
async fn enter(
    host: &Host,
    pre: &StrategyPre<Sandbox>,
    label: &Arc<str>,
    transport: Arc<dyn DeviceTransport>,
) -> Result<Call> {
    let slot = host.slot().await;
    let mut store = Sandbox::store(host.engine(), host.config(), label.clone(), transport);
    let instantiated = call_within(host, pre.instantiate_async(&mut store)).await;
    let guest = settle(host, &store, instantiated)?;
    Ok(Call {
        _slot: slot,
        store,
        guest,
    })
}

/// What a call the host cut short with its outer timeout returns.
struct TimedOut;

/// Runs `call` under the outer timeout. The epoch deadline only advances while
/// WebAssembly runs; a host call that hangs (a transport that never answers) is
/// cut here, a few ticks after the deadline, so the in-wasm trap wins the race
/// when there is one.
async fn call_within<T>(
    host: &Host,
    call: impl Future<Output = wasmtime::Result<T>>,
) -> std::result::Result<wasmtime::Result<T>, TimedOut> {
    tokio::time::timeout(host.config().read_timeout, call)
        .await
        .map_err(|_| TimedOut)
}

/// Turns the outcome of a call into the host's error, naming the plugin.
fn settle<T>(
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
