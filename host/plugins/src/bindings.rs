//! Generated bindings for the `quire:device` WIT package: [`latest`] from the
//! live contract the SDK ships (`plugins-sdk/wit/`), and, once a new version is
//! cut, one module per older release frozen under `wit/since_vX.Y.Z/`.
//!
//! Old versions stay so that plugins built against them keep loading after the
//! contract moves on; conversions into `quire-model` types live in the host, so
//! the rest of Quire never sees a WIT type.
//!
//! Every import and export is async: transports await the device, and async
//! calls let the epoch deadline yield to the runtime while a plugin computes.

/// The version of the package [`latest`] binds, as its WIT names it
/// (`package quire:device@X.Y.Z;`), read by the build script so that no Rust
/// source repeats it.
pub const VERSION: &str = env!("QUIRE_DEVICE_VERSION");

/// The live contract, the one the SDK builds new plugins against.
pub mod latest {
    wasmtime::component::bindgen!({
        path: "../../plugins-sdk/wit",
        world: "quire:device/strategy",
        imports: { default: async },
        exports: { default: async },
    });
}

/// The live contract's `action` world. Its shared interfaces (`types`, `http`,
/// `log`) are the strategy world's, so one linker and one sandbox serve both.
pub mod action {
    wasmtime::component::bindgen!({
        path: "../../plugins-sdk/wit",
        world: "quire:device/action",
        imports: { default: async },
        exports: { default: async },
        with: {
            "quire:device/types": super::latest::quire::device::types,
            "quire:device/http": super::latest::quire::device::http,
            "quire:device/log": super::latest::quire::device::log,
        },
    });
}
