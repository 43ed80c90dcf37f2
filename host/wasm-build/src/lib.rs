//! Compiles guest crates of the workspace to `wasm32-wasip2` components, for the
//! build scripts of `quire-builtin` (the strategies that ship) and
//! `quire-test-guests` (the misbehaving guests, for tests only), so a plain
//! `cargo build` or `cargo test` at the root needs no manual wasm step and each
//! set is built only by the crate that needs it.
//!
//! The nested build uses its own target directory: sharing the outer one would
//! wait forever on the lock the outer build holds. Both sets share that one
//! directory, so the SDK and `wit-bindgen` are compiled for wasm once; when both
//! build scripts run at once, the second waits on its lock.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "wasm";

/// The guests compiled from one folder of the workspace.
pub struct Guests {
    /// Each guest's package name, sorted.
    pub names: Vec<String>,
    /// Where the build left `<crate_name>.wasm` for each.
    pub out_dir: PathBuf,
}

impl Guests {
    /// The component built for the package `name`.
    pub fn component(&self, name: &str) -> PathBuf {
        let file = self
            .out_dir
            .join(format!("{}.wasm", name.replace('-', "_")));
        assert!(file.exists(), "{} was not built", file.display());
        file
    }
}

/// Compiles every crate in `folder` (relative to the workspace root, e.g.
/// `strategies`) with a nested `cargo build --target wasm32-wasip2`, and tells
/// cargo to run the calling build script again when the guests, the SDK or the
/// WIT change. Panics, failing the build, when the nested build fails.
pub fn build(folder: &str) -> Guests {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.join("../..").canonicalize().unwrap();
    let crates = crate_names(&root.join(folder));

    // Test guests compile strategies' sources in too (printer-mib-next), so every
    // set is rebuilt when a strategy changes.
    for dir in [
        folder,
        "strategies",
        "plugins-sdk",
        "wit",
        ".cargo/config.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    ensure_target();

    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm-guests");
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&root)
        .args(["build", "--target", TARGET, "--profile", PROFILE])
        .arg("--target-dir")
        .arg(&target_dir);
    for name in &crates {
        cmd.args(["-p", name]);
    }
    // The outer build's flags are for the host, not for wasm.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .expect("cannot start cargo for the wasm guests");
    assert!(
        status.success(),
        "building the wasm guests in {folder} failed: {status}"
    );
    Guests {
        names: crates,
        out_dir: target_dir.join(TARGET).join(PROFILE),
    }
}

/// The package name of each subdirectory of `parent` that has a Cargo.toml, sorted.
fn crate_names(parent: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return found;
    };
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = text
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("name = ")
                    .map(|n| n.trim_matches('"').to_owned())
            })
            .unwrap_or_else(|| panic!("{} has no package name", manifest.display()));
        found.push(name);
    }
    found.sort();
    found
}

/// rust-toolchain.toml names the target, but rustup installs listed targets only
/// when it installs the toolchain itself; on a machine that already had the
/// toolchain, add the target here.
fn ensure_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(sysroot) = &sysroot
        && sysroot.join("lib/rustlib").join(TARGET).exists()
    {
        return;
    }
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "the {TARGET} target is missing and `rustup target add {TARGET}` failed ({other:?}); install it and build again"
        ),
    }
}
