//! Generated bindings for each released version of the `quire:device` WIT
//! package (frozen under `wit/since_vX.Y.Z/`), one module per version, and
//! [`latest`] for the current one.
//!
//! Old versions stay so that plugins built against them keep loading after the
//! contract moves on; conversions into `quire-model` types live in the host, so
//! the rest of Quire never sees a WIT type.
//!
//! Every import and export is async: transports await the device, and async
//! calls let the epoch deadline yield to the runtime while a plugin computes.

/// `quire:device@0.1.0`.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.1.0",
        world: "quire:device/strategy",
        imports: { default: async },
        exports: { default: async },
    });
}

/// The version new plugins are built against.
pub use v0_1_0 as latest;
