//! `quire plugin new` as a maker uses it: the crate it creates passes its own
//! tests, builds to a component, and reads its recording through Quire's
//! sandbox with `quire replay --load`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn quire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .output()
        .expect("quire runs")
}

/// `quire plugin new NAME --dir DIR [--sdk SDK]`.
fn plugin_new(name: &str, dir: &Path, sdk: Option<&Path>) -> Output {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["plugin", "new", name, "--dir", dir];
    if let Some(sdk) = sdk {
        args.extend(["--sdk", sdk.to_str().unwrap()]);
    }
    quire(&args)
}

/// Cargo as the maker runs it in their crate: none of this build's own
/// flags or target directory leak in, and snapshots are checked, never written.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(dir).args(args);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    // One target directory for every run of this test, so a re-run is incremental.
    cmd.env("CARGO_TARGET_DIR", target_dir())
        .env("INSTA_UPDATE", "no")
        .env("CI", "true");
    cmd.output().expect("cargo runs")
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-new-target")
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ok(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_new_strategy_tests_builds_and_reads_its_recording_through_quire() {
    let parent = fresh_dir("plugin-new");
    let dir = parent.join("acme-laser");
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins-sdk");
    let out = plugin_new("acme-laser", &dir, Some(&sdk));
    ok("quire plugin new", &out);
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "tests/reading.rs",
        "recordings/sample.snmprec",
        "README.md",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }

    let again = plugin_new("acme-laser", &dir, None);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    ok("cargo test in the new crate", &cargo(&dir, &["test"]));
    ok(
        "the wasm build of the new crate",
        &cargo(&dir, &["build", "--target", "wasm32-wasip2", "--release"]),
    );
    let component = target_dir().join("wasm32-wasip2/release/acme_laser_strategy.wasm");
    assert!(component.is_file(), "{} missing", component.display());

    let out = quire(&[
        "replay",
        "--load",
        component.to_str().unwrap(),
        "--format",
        "json",
        "--explain",
        dir.join("recordings/sample.snmprec").to_str().unwrap(),
    ]);
    ok("quire replay --load", &out);
    let readings: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reading = &readings[0];
    assert_eq!(reading["strategy"]["name"], "acme-laser");
    // The sample recording's own values: 43.10.2.1.4 and the two private counters.
    assert_eq!(reading["counters"]["total"], 12500);
    assert_eq!(reading["counters"]["print.mono"], 9800);
    assert_eq!(reading["counters"]["print.color"], 2700);
    assert_eq!(reading["identity"]["manufacturer"], "Example");
    let explained = String::from_utf8_lossy(&out.stderr);
    assert!(explained.contains("1.3.6.1.4.1.32473"), "{explained}");
}

#[test]
fn bad_names_and_sdks_are_refused_with_the_reason() {
    let parent = fresh_dir("plugin-new-bad");
    let out = plugin_new("Acme_Laser", &parent.join("x"), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no strategy name"));
    assert!(!parent.join("x").exists());

    let out = plugin_new("acme", &parent.join("y"), Some(&parent));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not Quire's plugins-sdk"), "{stderr}");
    assert!(!parent.join("y").exists());
}
