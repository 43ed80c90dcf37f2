//! Generated bindings for the `quire:device` WIT package: [`latest`] from the
//! live contract the SDK ships (`plugins-sdk/wit/`), and one module per older
//! minor release frozen under `wit/since_vX.Y.Z/` ([`v0_1_0`]). Earlier patch
//! releases of the live minor version (0.2.0 beside 0.2.1) need none: a patch
//! release only adds, and wasmtime resolves `@0.2.0` names to `@0.2.1` ones.
//!
//! Old versions stay so that plugins built against them keep loading after the
//! contract moves on; conversions into `quire-model` types live in the host, so
//! the rest of Quire never sees a WIT type. An older release whose `types`
//! interface is the same shape as the live one binds it to the live module
//! (`with`), so its readings convert through the same code.
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

/// The live contract's `alert-logic` world: it imports only `log`, shared
/// with the strategy world.
pub mod alert_logic {
    wasmtime::component::bindgen!({
        path: "../../plugins-sdk/wit",
        world: "quire:device/alert-logic",
        imports: { default: async },
        exports: { default: async },
        with: {
            "quire:device/types": super::latest::quire::device::types,
            "quire:device/log": super::latest::quire::device::log,
        },
    });
}

/// Contract 0.1.0, the first release: strategies and actions built against it
/// keep loading. Its `types` are the live ones' shape (0.2.0 only added
/// `collected`), so they bind to the live module; its other interfaces are
/// its own, under their 0.1.0 names, and the sandbox serves them by passing
/// each call to the live import.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.1.0",
        world: "quire:device/strategy",
        imports: { default: async },
        exports: { default: async },
        with: {
            "quire:device/types": super::latest::quire::device::types,
        },
    });

    /// The 0.1.0 `action` world, sharing the 0.1.0 `http` and `log` above.
    pub mod action {
        wasmtime::component::bindgen!({
            path: "../../wit/since_v0.1.0",
            world: "quire:device/action",
            imports: { default: async },
            exports: { default: async },
            with: {
                "quire:device/types": crate::bindings::latest::quire::device::types,
                "quire:device/http": super::quire::device::http,
                "quire:device/log": super::quire::device::log,
            },
        });
    }
}
