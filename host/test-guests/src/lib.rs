//! The guests under `tests/guests/`: plugins that trap, loop, hoard memory or
//! read as a newer version on purpose, compiled by this crate's build script.
//! Test suites take this crate as a dev-dependency, so a plain `cargo build`
//! never compiles them and nothing from here can be embedded in a binary.

use std::path::PathBuf;

/// Where the build left every test guest (`<crate_name>.wasm`).
const GUEST_DIR: &str = env!("QUIRE_GUEST_DIR");

/// The component file of the test guest `crate_name` (`quire_guest_hostile`), for
/// tests that hand a path to the `quire` command.
pub fn path(crate_name: &str) -> PathBuf {
    PathBuf::from(GUEST_DIR).join(format!("{crate_name}.wasm"))
}

/// The component bytes of the test guest `crate_name`.
///
/// # Panics
///
/// When the guest was not built: a test cannot go on without it.
pub fn bytes(crate_name: &str) -> Vec<u8> {
    let file = path(crate_name);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}
