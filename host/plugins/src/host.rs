//! The [`Host`]: one wasmtime engine, its epoch ticker, the linker with
//! everything a plugin may import, and the compiled-component cache.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Cache, CacheConfig, Config, Engine, PoolingAllocationConfig};

use crate::bindings::action::quire::device::outbound_http;
use crate::bindings::latest::Strategy;
use crate::bindings::v0_1_0;
use crate::bindings::v0_1_0::action::quire::device::outbound_http as v0_1_0_outbound_http;
use crate::cache::ComponentCache;
use crate::config::HostConfig;
use crate::sandbox::{self, Sandbox};
use crate::{EPOCH_TICK, PluginError, Result};

/// Which Quire world a component targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    /// `quire:device/strategy`: reads devices.
    Strategy,
    /// `quire:device/action`: performs ASM actions.
    Action,
    /// `quire:device/alert-logic`: judges a device for ASM.
    AlertLogic,
}

/// Which release of the contract a component was built against: the host runs
/// every release since 0.1.0 (see [`crate::bindings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// 0.1.0, frozen under `wit/since_v0.1.0/`.
    V0_1_0,
    /// The live contract, [`crate::bindings::VERSION`], and the earlier patch
    /// releases of its minor version, which it only adds to.
    Latest,
}

/// The name of `interface` of the live contract (`quire:device/NAME@X.Y.Z`).
macro_rules! interface {
    ($name:literal) => {
        concat!("quire:device/", $name, "@", env!("QUIRE_DEVICE_VERSION"))
    };
}

/// The name of `interface` of contract 0.2.0. A component of 0.2.0 runs
/// through the live bindings: 0.2.1 only added to it, and wasmtime resolves
/// the names of one minor version to each other (0.2.0's `snmp` import is the
/// live `snmp` less `walk`, which it never calls).
macro_rules! interface_0_2_0 {
    ($name:literal) => {
        concat!("quire:device/", $name, "@0.2.0")
    };
}

/// The name of `interface` of contract 0.1.0.
macro_rules! interface_0_1_0 {
    ($name:literal) => {
        concat!("quire:device/", $name, "@0.1.0")
    };
}

const STRATEGY_API: &str = interface!("strategy-api");
const ACTION_API: &str = interface!("action-api");
const ALERT_LOGIC_API: &str = interface!("alert-logic-api");

/// One world of one release: the interface a component of it exports, and what
/// it may import from `quire:device` (WASI comes on top).
struct Target {
    world: World,
    release: Release,
    export: &'static str,
    imports: &'static [&'static str],
}

/// Every world of every release the host runs, the live ones first.
const TARGETS: &[Target] = &[
    Target {
        world: World::Strategy,
        release: Release::Latest,
        export: STRATEGY_API,
        imports: &[
            interface!("types"),
            interface!("snmp"),
            interface!("npap"),
            interface!("http"),
            interface!("log"),
        ],
    },
    Target {
        world: World::Action,
        release: Release::Latest,
        export: ACTION_API,
        imports: &[
            interface!("types"),
            interface!("http"),
            interface!("outbound-http"),
            interface!("log"),
        ],
    },
    Target {
        world: World::AlertLogic,
        release: Release::Latest,
        export: ALERT_LOGIC_API,
        imports: &[interface!("types"), interface!("log")],
    },
    Target {
        world: World::Strategy,
        release: Release::Latest,
        export: interface_0_2_0!("strategy-api"),
        imports: &[
            interface_0_2_0!("types"),
            interface_0_2_0!("snmp"),
            interface_0_2_0!("npap"),
            interface_0_2_0!("http"),
            interface_0_2_0!("log"),
        ],
    },
    Target {
        world: World::Action,
        release: Release::Latest,
        export: interface_0_2_0!("action-api"),
        imports: &[
            interface_0_2_0!("types"),
            interface_0_2_0!("http"),
            interface_0_2_0!("outbound-http"),
            interface_0_2_0!("log"),
        ],
    },
    Target {
        world: World::AlertLogic,
        release: Release::Latest,
        export: interface_0_2_0!("alert-logic-api"),
        imports: &[interface_0_2_0!("types"), interface_0_2_0!("log")],
    },
    Target {
        world: World::Strategy,
        release: Release::V0_1_0,
        export: interface_0_1_0!("strategy-api"),
        imports: &[
            interface_0_1_0!("types"),
            interface_0_1_0!("snmp"),
            interface_0_1_0!("npap"),
            interface_0_1_0!("http"),
            interface_0_1_0!("log"),
        ],
    },
    Target {
        world: World::Action,
        release: Release::V0_1_0,
        export: interface_0_1_0!("action-api"),
        imports: &[
            interface_0_1_0!("types"),
            interface_0_1_0!("http"),
            interface_0_1_0!("outbound-http"),
            interface_0_1_0!("log"),
        ],
    },
];

/// The plugin host. Cheap to clone: every clone shares one engine, linker and cache.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    config: HostConfig,
    linker: Linker<Sandbox>,
    /// Loading the same plugin again, or on another registry, compiles nothing.
    cache: Mutex<ComponentCache>,
    /// Compiled code kept between runs, when [`HostConfig::compiled_cache_dir`] is usable.
    compiled_cache: Option<Cache>,
    engine_hash: u64,
    ticker_stop: Arc<AtomicBool>,
    /// One permit per pool slot, so a call waits for a slot instead of failing.
    slots: Arc<Semaphore>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// Bytes of each pool slot's linear memory and tables kept mapped between
/// calls; see [`Host::new`].
const KEEP_RESIDENT: usize = 1 << 20;

impl Host {
    /// An engine with epoch interruption and a bounded stack, a linker with WASI
    /// and Quire's imports, and a ticker thread that advances the epoch every
    /// [`EPOCH_TICK`] until the last clone of this host is dropped.
    pub fn new(config: HostConfig) -> Result<Host> {
        let mut wasm = Config::new();
        wasm.epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack)
            // Copy-on-write initialisation maps the image afresh for every
            // instance, and each call then pays page faults and TLB shootdowns
            // to touch it: measured, a third of a read's time went to the
            // kernel. A strategy's data segments are a few KiB, so copying them
            // into a slot kept resident (below) is cheaper.
            .memory_init_cow(false);
        let slots = config.max_concurrent_calls.max(1);
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(slots)
            .total_core_instances(slots * sandbox::MAX_INSTANCES as u32)
            .total_memories(slots * sandbox::MAX_MEMORIES as u32)
            .total_tables(slots * sandbox::MAX_TABLES as u32)
            .max_memory_size(config.memory_cap)
            // A reading touches a few hundred KiB of heap. Zeroing that much in
            // place when a slot is reused is cheaper than handing the pages back
            // to the kernel and faulting them in again on the next call.
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT)
            // A freed slot stays affine to its component, and by default up to
            // a hundred such slots are left alone while untouched ones are
            // taken, each keeping what its last call touched (about 200 KiB).
            // Affinity saves remapping a copy-on-write image, which is off
            // (above), so a call may as well take a slot another strategy
            // left: measured over 10,000 simulated printers, 91–94 idle warm
            // slots held 18 MiB at the end, 48–51 held 9–10 MiB with none kept
            // aside, at the same pace.
            .max_unused_warm_slots(0);
        wasm.allocation_strategy(pool);
        let compiled_cache = config.compiled_cache_dir.as_deref().and_then(|dir| {
            compiled_cache(dir)
                .inspect_err(|reason| {
                    tracing::warn!(
                        directory = %dir.display(),
                        "compiled components are not kept between runs: {reason}"
                    )
                })
                .ok()
        });
        wasm.cache(compiled_cache.clone());
        let engine = Engine::new(&wasm).map_err(|e| setup(format!("{e:#}")))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| setup(format!("{e:#}")))?;
        Strategy::add_to_linker::<_, HasSelf<Sandbox>>(&mut linker, |s| s)
            .map_err(|e| setup(format!("{e:#}")))?;
        // The action world's one import of its own; the rest it shares with
        // strategies, and the alert-logic world imports only `log`.
        outbound_http::add_to_linker::<_, HasSelf<Sandbox>>(&mut linker, |s| s)
            .map_err(|e| setup(format!("{e:#}")))?;
        // Contract 0.1.0's imports under their own names (crate::v0_1_0).
        v0_1_0::Strategy::add_to_linker::<_, HasSelf<Sandbox>>(&mut linker, |s| s)
            .map_err(|e| setup(format!("{e:#}")))?;
        v0_1_0_outbound_http::add_to_linker::<_, HasSelf<Sandbox>>(&mut linker, |s| s)
            .map_err(|e| setup(format!("{e:#}")))?;

        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_hash = hasher.finish();

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let stop = ticker_stop.clone();
        let ticking = engine.clone();
        std::thread::Builder::new()
            .name("quire-plugins-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticking.increment_epoch();
                }
            })
            .map_err(|e| setup(format!("cannot start the epoch ticker: {e}")))?;

        let cache = ComponentCache::new(config.cache_bytes);
        Ok(Host {
            inner: Arc::new(Inner {
                engine,
                config,
                linker,
                cache: Mutex::new(cache),
                compiled_cache,
                engine_hash,
                ticker_stop,
                slots: Arc::new(Semaphore::new(slots as usize)),
            }),
        })
    }

    /// The limits this host enforces.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// Components this host took compiled from [`HostConfig::compiled_cache_dir`]
    /// instead of compiling them, and those it compiled and kept there: what a start-up
    /// spent is told by these.
    pub fn compiled_cache_counts(&self) -> (usize, usize) {
        self.inner
            .compiled_cache
            .as_ref()
            .map_or((0, 0), |cache| (cache.cache_hits(), cache.cache_misses()))
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Waits for a free instance slot; the slot is free again when the permit drops.
    pub(crate) async fn slot(&self) -> OwnedSemaphorePermit {
        self.inner
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the host never closes its slot semaphore")
    }

    /// Checks that `bytes` are a component of `world` of a release the host runs,
    /// compiles it (once per content hash) and links it; the error is the reason
    /// alone, for the caller to name.
    pub(crate) fn prepare(
        &self,
        hash: &[u8; 32],
        bytes: &[u8],
        world: World,
    ) -> std::result::Result<Prepared, String> {
        let component = self.compile(hash, bytes)?;
        let target = target_of(&component, self.engine())?;
        if target.world != world {
            return Err(format!(
                "it is {} (it exports {}), not {}",
                describe(target.world),
                target.export,
                describe(world)
            ));
        }
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| format!("its imports do not match what Quire provides: {e:#}"))?;
        Ok(Prepared {
            pre,
            release: target.release,
            export: target.export,
        })
    }

    /// Which world `bytes` target, without running anything: what a server
    /// checks before accepting an upload.
    pub fn validate(&self, bytes: &[u8]) -> Result<World> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let invalid = |reason: String| PluginError::Invalid {
            plugin: hash_label(&hash),
            reason,
        };
        let component = self.compile(&hash, bytes).map_err(&invalid)?;
        target_of(&component, self.engine())
            .map(|target| target.world)
            .map_err(invalid)
    }

    /// The compiled component for `bytes`, from the cache or freshly compiled.
    /// Only bytes given to this host are ever compiled; precompiled artifacts
    /// from elsewhere are never deserialized, since they would run unchecked.
    fn compile(&self, hash: &[u8; 32], bytes: &[u8]) -> std::result::Result<Component, String> {
        let key = (*hash, self.inner.engine_hash);
        let cache = &self.inner.cache;
        if let Some(found) = cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(found);
        }
        check_binary(bytes)?;
        let component = Component::new(self.engine(), bytes)
            .map_err(|e| format!("not a valid WebAssembly component: {e:#}"))?;
        cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, component.clone());
        Ok(component)
    }

    /// The compiled component for `bytes`, through the cache.
    #[cfg(test)]
    pub(crate) fn compiled(&self, bytes: &[u8]) -> std::result::Result<Component, String> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        self.compile(&hash, bytes)
    }
}

/// Wasmtime's own cache of compiled code in `dir`, created private to this user; a
/// directory others may write to is refused, since what is in it runs unchecked.
fn compiled_cache(dir: &std::path::Path) -> std::result::Result<Cache, String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        builder.mode(0o700);
        builder.create(dir).map_err(|e| e.to_string())?;
        let mode = std::fs::metadata(dir)
            .map_err(|e| e.to_string())?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            return Err(format!(
                "other users may write to it (mode {:o})",
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    builder.create(dir).map_err(|e| e.to_string())?;
    let mut config = CacheConfig::new();
    config.with_directory(dir);
    Cache::new(config).map_err(|e| format!("{e:#}"))
}

fn setup(reason: String) -> PluginError {
    PluginError::Invalid {
        plugin: "the plugin host".into(),
        reason,
    }
}

/// `sha256:1a2b3c4d5e6f`: how a plugin is named before it has described itself.
pub(crate) fn hash_label(hash: &[u8; 32]) -> String {
    format!("plugin sha256:{}", &hex(hash)[..12])
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tells the common wrong inputs apart before the parser gives a generic error.
fn check_binary(bytes: &[u8]) -> std::result::Result<(), String> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_VERSION: &[u8] = &[1, 0, 0, 0];
    if !bytes.starts_with(MAGIC) {
        return Err(format!(
            "not WebAssembly: a component starts with \\0asm, these {} bytes do not",
            bytes.len()
        ));
    }
    if bytes.get(4..8) == Some(CORE_VERSION) {
        return Err(
            "it is a core WebAssembly module, not a component; build it for wasm32-wasip2 \
             (or wrap it with `wasm-tools component new`)"
                .into(),
        );
    }
    Ok(())
}

/// A component checked against one world and linked: what each kind of plugin
/// wraps in its own typed `Pre`.
pub(crate) struct Prepared {
    pub(crate) pre: InstancePre<Sandbox>,
    pub(crate) release: Release,
    /// The interface it exports, to name in errors.
    pub(crate) export: &'static str,
}

fn describe(world: World) -> &'static str {
    match world {
        World::Strategy => "a strategy",
        World::Action => "an action plugin",
        World::AlertLogic => "an alert-logic plugin",
    }
}

/// Which world and release the component targets, judged from its exports,
/// after checking that it imports nothing that world does not provide.
fn target_of(
    component: &Component,
    engine: &Engine,
) -> std::result::Result<&'static Target, String> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let Some(target) = TARGETS
        .iter()
        .find(|t| exports.iter().any(|e| e == t.export))
    else {
        let found = if exports.is_empty() {
            "it exports nothing".to_owned()
        } else {
            format!("it exports {}", exports.join(", "))
        };
        let known: Vec<&str> = TARGETS.iter().map(|t| t.export).collect();
        return Err(format!(
            "component exports none of {} ({found})",
            known.join(", ")
        ));
    };
    for (name, item) in ty.imports(engine) {
        let provided = target.imports.contains(&name)
            || (name.starts_with("wasi:")
                && matches!(item.ty, ComponentItem::ComponentInstance(_)));
        if !provided {
            return Err(format!(
                "imports {name}, which Quire does not provide to {}",
                describe(target.world)
            ));
        }
    }
    Ok(target)
}
