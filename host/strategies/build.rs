//! Compiles every WebAssembly guest in the workspace — the built-in strategies
//! under `strategies/` and the test guests under `tests/guests/` — with a nested
//! `cargo build --target wasm32-wasip2`, so a plain `cargo build` or `cargo test`
//! at the root needs no manual wasm step.
//!
//! The nested build uses its own target directory: sharing the outer one would
//! wait forever on the lock the outer build holds.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "wasm";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.join("../..").canonicalize().unwrap();
    let strategies = crate_dirs(&root.join("strategies"));
    let guests = crate_dirs(&root.join("tests/guests"));

    for dir in [
        "strategies",
        "tests/guests",
        "plugins-sdk",
        "wit",
        ".cargo/config.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

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
    for (name, _) in strategies.iter().chain(guests.iter()) {
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
        "building the wasm guests failed: {status}"
    );

    let out_dir = target_dir.join(TARGET).join(PROFILE);
    let mut builtin = String::from(
        "/// Built-in strategies: (crate name, component bytes).\npub static BUILTIN: &[(&str, &[u8])] = &[\n",
    );
    for (name, _) in &strategies {
        let file = out_dir.join(format!("{}.wasm", name.replace('-', "_")));
        assert!(file.exists(), "{} was not built", file.display());
        writeln!(
            builtin,
            "    ({name:?}, include_bytes!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    builtin.push_str("];\n");
    let generated = PathBuf::from(env::var("OUT_DIR").unwrap()).join("builtin.rs");
    std::fs::write(generated, builtin).unwrap();
    println!("cargo:rustc-env=QUIRE_GUEST_DIR={}", out_dir.display());
}

/// Each subdirectory with a Cargo.toml, as (package name, path).
fn crate_dirs(parent: &Path) -> Vec<(String, PathBuf)> {
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
        found.push((name, entry.path()));
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
