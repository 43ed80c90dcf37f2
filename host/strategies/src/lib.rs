//! Quire's built-in strategies, compiled to `wasm32-wasip2` components by this
//! crate's build script and embedded, so the `quire` binary reads any printer
//! with no files beside it. More strategies can be loaded at run time.
//!
//! The build script also compiles the test guests under `tests/guests/`; their
//! directory is [`GUEST_DIR`], for tests only. Nothing from there is embedded.

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// Where the build left every compiled guest (`<crate_name>.wasm`), for tests
/// that load guests which must never ship.
pub const GUEST_DIR: &str = env!("QUIRE_GUEST_DIR");
