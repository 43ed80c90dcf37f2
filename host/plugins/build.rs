//! Reads the contract's version from the live WIT package, so the interface
//! names the host checks components against (`quire:device/strategy-api@X.Y.Z`)
//! come from the same file the bindings are generated from.

use std::path::PathBuf;

fn main() {
    let wit = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../plugins-sdk/wit/device.wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    let text = std::fs::read_to_string(&wit).unwrap_or_else(|e| panic!("{}: {e}", wit.display()));
    let version = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("package quire:device@"))
        .and_then(|rest| rest.strip_suffix(';'))
        .unwrap_or_else(|| panic!("{}: no `package quire:device@X.Y.Z;` line", wit.display()));
    println!("cargo:rustc-env=QUIRE_DEVICE_VERSION={version}");
}
