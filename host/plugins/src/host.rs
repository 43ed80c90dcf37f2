//! The [`Host`]: one wasmtime engine, its epoch ticker, the linker with
//! everything a plugin may import, and the compiled-component cache.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, PoolingAllocationConfig};

use crate::bindings::action::ActionPre;
use crate::bindings::action::quire::device::outbound_http;
use crate::bindings::latest::{Strategy, StrategyPre};
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
}

/// The name of `interface` of the live contract (`quire:device/NAME@X.Y.Z`).
macro_rules! interface {
    ($name:literal) => {
        concat!("quire:device/", $name, "@", env!("QUIRE_DEVICE_VERSION"))
    };
}

const STRATEGY_API: &str = interface!("strategy-api");
const ACTION_API: &str = interface!("action-api");

/// What each world may import from `quire:device` (WASI comes on top).
const STRATEGY_IMPORTS: &[&str] = &[
    interface!("types"),
    interface!("snmp"),
    interface!("npap"),
    interface!("http"),
    interface!("log"),
];
const ACTION_IMPORTS: &[&str] = &[
    interface!("types"),
    interface!("http"),
    interface!("outbound-http"),
    interface!("log"),
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
            .table_keep_resident(KEEP_RESIDENT);
        wasm.allocation_strategy(pool);
        let engine = Engine::new(&wasm).map_err(|e| setup(format!("{e:#}")))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| setup(format!("{e:#}")))?;
        Strategy::add_to_linker::<_, HasSelf<Sandbox>>(&mut linker, |s| s)
            .map_err(|e| setup(format!("{e:#}")))?;
        // The action world's one import of its own; the rest it shares with strategies.
        outbound_http::add_to_linker::<_, HasSelf<Sandbox>>(&mut linker, |s| s)
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

    /// Checks that `bytes` are a strategy component, compiles it (once per
    /// content hash) and links it: all of [`Host::load`] but asking the plugin
    /// to describe itself.
    pub(crate) fn prepare(&self, bytes: &[u8]) -> Result<(StrategyPre<Sandbox>, [u8; 32], String)> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let label = hash_label(&hash);
        let invalid = |reason: String| PluginError::Invalid {
            plugin: label.clone(),
            reason,
        };
        let component = self.compile(&hash, bytes).map_err(&invalid)?;
        match world_of(&component, self.engine()).map_err(&invalid)? {
            World::Strategy => {}
            World::Action => {
                return Err(invalid(format!(
                    "it is an action plugin (it exports {ACTION_API}), not a strategy"
                )));
            }
        }
        let pre = self.inner.linker.instantiate_pre(&component).map_err(|e| {
            invalid(format!(
                "its imports do not match what Quire provides: {e:#}"
            ))
        })?;
        let pre = StrategyPre::new(pre)
            .map_err(|e| invalid(format!("its {STRATEGY_API} does not match Quire's: {e:#}")))?;
        Ok((pre, hash, label))
    }

    /// Checks that `bytes` are an action component, compiles it (once per content
    /// hash) and links it; the error is the reason alone, for the caller to name.
    pub(crate) fn prepare_action(
        &self,
        bytes: &[u8],
    ) -> std::result::Result<ActionPre<Sandbox>, String> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let component = self.compile(&hash, bytes)?;
        if world_of(&component, self.engine())? == World::Strategy {
            return Err(format!(
                "it is a strategy (it exports {STRATEGY_API}), not an action plugin"
            ));
        }
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| format!("its imports do not match what Quire provides: {e:#}"))?;
        ActionPre::new(pre).map_err(|e| format!("its {ACTION_API} does not match Quire's: {e:#}"))
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
        world_of(&component, self.engine()).map_err(invalid)
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

/// Which world the component targets, judged from its exports, after checking
/// that it imports nothing that world does not provide.
fn world_of(component: &Component, engine: &Engine) -> std::result::Result<World, String> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let world = if exports.iter().any(|e| e == STRATEGY_API) {
        World::Strategy
    } else if exports.iter().any(|e| e == ACTION_API) {
        World::Action
    } else {
        let found = if exports.is_empty() {
            "it exports nothing".to_owned()
        } else {
            format!("it exports {}", exports.join(", "))
        };
        return Err(format!(
            "component exports nothing of {STRATEGY_API} or {ACTION_API} ({found})"
        ));
    };
    let allowed = match world {
        World::Strategy => STRATEGY_IMPORTS,
        World::Action => ACTION_IMPORTS,
    };
    for (name, item) in ty.imports(engine) {
        let provided = allowed.contains(&name)
            || (name.starts_with("wasi:")
                && matches!(item.ty, ComponentItem::ComponentInstance(_)));
        if !provided {
            return Err(format!("imports {name} which Quire does not provide"));
        }
    }
    Ok(world)
}
