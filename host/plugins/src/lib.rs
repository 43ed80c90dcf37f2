//! The wasmtime component host that runs Quire's strategy, action and alert-logic plugins.
//!
//! This crate owns everything between plugin bytes and a [`quire_model::Reading`]:
//! loading and validating components against the WIT worlds Quire supports,
//! compiling them once per content hash (within a bounded cache), the sandbox each call runs in, and
//! the hot-swappable [`Registry`] that chooses a strategy for a device.
//!
//! Key decision: **a fresh instance per call**. A strategy keeps no state
//! between readings, so a plugin that trapped, looped or hoarded memory is
//! simply dropped with its store, and the next call starts clean. That is cheap
//! because components are compiled once and pre-linked ([`Plugin`] holds an
//! `InstancePre`), leaving per-call work to instantiation itself.
//!
//! It does not own device I/O (`quire-transport`: live, recorded and replayed
//! SNMP, NPAP and HTTP), scheduling (`agent`) or plugin distribution
//! (`server`): those hand it a [`DeviceTransport`](quire_transport::DeviceTransport)
//! and bytes.
//!
//! Action plugins ([`ActionPlugin`], the contract's `action` world) run in the same
//! sandbox with no device; their one way out is HTTP to the endpoints the caller
//! grants per call, by name, which the host resolves and checks before the caller's
//! [`OutboundHttp`] sends it. Alert-logic plugins ([`AlertLogicPlugin`], the
//! `alert-logic` world) run there with no way out at all: they are given one device's
//! facts and answer what holds for it.

use std::time::Duration;

/// Default cap on a plugin's linear memory. A strategy holds one device's
/// tables at a time; the largest printer MIB walks are a few MiB, so 64 MiB is
/// generous for a real plugin and still lets a server run hundreds at once.
pub const DEFAULT_MEMORY_CAP: usize = 64 << 20;

/// Default computing budget for one call (time waiting on the device does not
/// count). Decoding one device's tables takes well under a millisecond; two
/// seconds of compute is only spent by a plugin that is stuck, and one stuck
/// plugin must not hold a worker long.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(2);

/// Default bound on one call in all, device waits included. A large MFP over a
/// slow VPN answers a full read in tens of seconds; past a minute the read is
/// better retried on the next cycle than kept waiting.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Default cap on what one call may return. A reading is a few KiB; the cap
/// stops a plugin from turning the host's memory (and the database) into its
/// own, while leaving room for devices with hundreds of supplies and alerts.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 8 << 20;

/// Default cap on the WebAssembly call stack. Strategies walk tables in loops,
/// not deep recursion; a bounded stack turns runaway recursion into a clean
/// "overflowed its stack" instead of eating the host thread's stack.
pub const DEFAULT_MAX_WASM_STACK: usize = 512 << 10;

/// Default number of plugin calls that may run at once. An agent reads a few
/// dozen devices in parallel; a server re-interpreting readings, a few per core.
pub const DEFAULT_MAX_CONCURRENT_CALLS: u32 = 128;

/// Default bound on the compiled code a host keeps cached. Measured, each
/// built-in strategy compiles to about 0.5 MiB (8 MiB for the sixteen); 64 MiB
/// holds them and a hundred or so published versions, while a server handed
/// upload after upload stays bounded.
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// Most OIDs one SNMP request from a plugin may name, and most varbinds one
/// answer may carry. Real agents refuse PDUs much past this (a UDP datagram
/// holds roughly 1,400 bytes), so a strategy asking for more is walking wrong.
pub const MAX_VARBINDS_PER_CALL: usize = 128;

/// Most rows (counters, supplies, alerts) a reading may have, per list. A
/// production printer has tens; thousands means the plugin is looping.
pub const MAX_ROWS: usize = 4096;

/// How often the epoch ticks. The deadline is checked at every tick, so this is
/// the precision of the deadline and how often a running plugin yields to the
/// async runtime (which keeps one busy plugin from starving other reads).
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Most log lines one call may emit, and the longest line kept: logging is for
/// diagnosis, and a plugin must not be able to flood the host's logs.
pub const MAX_LOG_LINES: usize = 256;

/// See [`MAX_LOG_LINES`].
pub const MAX_LOG_LINE_BYTES: usize = 4096;

/// The strategy chosen when no other claims a device: the standard Printer-MIB one.
pub const FALLBACK_STRATEGY: &str = "printer-mib";

mod action;
mod alert_logic;
pub mod bindings;
mod cache;
mod config;
mod convert;
mod error;
mod host;
mod plugin;
mod probe;
mod registry;
mod sandbox;
mod signing;
mod v0_1_0;
mod walk;

pub use action::{
    ActionAlert, ActionCall, ActionOutcome, ActionPlugin, Endpoint, OutboundHttp, OutboundRequest,
};
pub use alert_logic::{AlertLogicInfo, AlertLogicPlugin, DeviceFacts, SupplyChange, Trigger};
pub use config::HostConfig;
pub use convert::unknown_counters;
pub use error::{PluginError, Result, Stop, StrategyError};
pub use host::{Host, World};
pub use plugin::{Explained, Plugin, Spent, StrategyInfo};
pub use probe::{MatchRule, Probe};
pub use registry::{Considered, Reason, Registry, Selection, Verdict};
pub use signing::{SigningError, SigningKey, TrustedPublishers};
