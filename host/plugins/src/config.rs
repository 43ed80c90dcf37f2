//! The limits every plugin call runs under, apart from the host that applies them so
//! the sandbox can read them without depending on the host.

use std::time::Duration;

use crate::{
    DEFAULT_CACHE_BYTES, DEFAULT_DEADLINE, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MAX_OUTPUT_BYTES,
    DEFAULT_MAX_WASM_STACK, DEFAULT_MEMORY_CAP, DEFAULT_READ_TIMEOUT,
};

/// The limits every plugin call runs under. Builds a [`Host`](crate::Host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// Most linear memory one instance may grow to, in bytes.
    pub memory_cap: usize,
    /// How long one call may compute: wall-clock time in the plugin's own code,
    /// instantiation included, time waiting on the device excluded.
    pub deadline: Duration,
    /// How long one call may take in all, device waits included: the bound for
    /// a plugin that keeps a slow device busy, and for a device that never answers.
    pub read_timeout: Duration,
    /// Most bytes one call may return (strings and lists, estimated).
    pub max_output_bytes: usize,
    /// Most bytes of WebAssembly call stack.
    pub max_wasm_stack: usize,
    /// Most plugin calls running at once; further calls wait for a slot. Instances
    /// come from a pre-reserved pool of this many slots, which halves the cost of
    /// instantiating, and each slot reserves address space (not memory) for its
    /// linear memories.
    pub max_concurrent_calls: u32,
    /// Most bytes of compiled code the host keeps for components no longer
    /// being loaded; past it the least recently used is dropped.
    pub cache_bytes: usize,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            memory_cap: DEFAULT_MEMORY_CAP,
            deadline: DEFAULT_DEADLINE,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_wasm_stack: DEFAULT_MAX_WASM_STACK,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}
