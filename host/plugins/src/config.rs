//! The limits every plugin call runs under, apart from the host that applies them so
//! the sandbox can read them without depending on the host.

use std::path::PathBuf;
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
    /// Where compiled components are kept between runs, so a command or a server
    /// that loads the sixteen built-in strategies does not spend seconds compiling
    /// them again; `None` compiles every component on every start. Only code this
    /// host compiled itself is written there, keyed by the component's bytes and the
    /// engine's settings; the directory is made private to its user, since whoever
    /// can write to it can run code as that user.
    pub compiled_cache_dir: Option<PathBuf>,
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
            compiled_cache_dir: default_compiled_cache_dir(),
        }
    }
}

/// `$QUIRE_CACHE_DIR`, else `quire/compiled` under the user's cache directory
/// (`$XDG_CACHE_HOME`, else `~/.cache`), as the XDG base directory specification puts
/// it; `QUIRE_CACHE_DIR=off` keeps nothing. Relative paths are ignored: the cache is
/// shared by every process of the user, whatever its working directory.
fn default_compiled_cache_dir() -> Option<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    if let Some(dir) = std::env::var_os("QUIRE_CACHE_DIR") {
        return if dir == "off" { None } else { absolute(dir) };
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|h| h.join(".cache"))
        })?;
    Some(base.join("quire").join("compiled"))
}
