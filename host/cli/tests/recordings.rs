//! `quire replay` over every recorded printer, through the built-in WASM
//! strategies exactly as a user runs it: snapshots of each reading, agreement
//! with the values other projects expect of the same recordings, and per-file
//! errors that never stop the rest.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn recordings() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for set in ["librenms", "printmaster"] {
        let dir = fixtures().join("recorded").join(set);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "snmprec") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs `quire replay --format json` from `fixtures/`, as a user in that
/// folder would (so file names in the output do not depend on the checkout's
/// location), and returns (exit code, one object per file, stderr).
fn replay(args: &[&str], files: &[PathBuf]) -> (i32, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quire"))
        .current_dir(fixtures())
        .arg("replay")
        .args(["--format", "json"])
        .args(args)
        .args(
            files
                .iter()
                .map(|f| f.strip_prefix(fixtures()).unwrap_or(f)),
        )
        .output()
        .expect("quire runs");
    let stdout = String::from_utf8(out.stdout).expect("JSON is UTF-8");
    let parsed: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"));
    let Value::Array(objects) = parsed else {
        panic!("expected a JSON array, got {stdout}")
    };
    (
        out.status.code().unwrap_or(-1),
        objects,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_recording_replays_without_error_and_matches_its_snapshot() {
    let files = recordings();
    assert!(files.len() >= 31, "fixtures missing: {}", files.len());
    let (code, readings, stderr) = replay(&[], &files);
    assert_eq!(code, 0, "replay failed: {stderr}");
    assert_eq!(readings.len(), files.len());
    for reading in &readings {
        let file = reading["file"].as_str().unwrap().to_owned();
        assert!(
            reading.get("error").is_none(),
            "{file}: {}",
            reading["error"]
        );
        for key in [
            "strategy", "identity", "status", "counters", "supplies", "alerts",
        ] {
            assert!(reading.get(key).is_some(), "{file}: no {key}");
        }
        let mut shown = reading.clone();
        shown["file"] = Value::String(stem(&file));
        insta::with_settings!({
            snapshot_path => fixtures().join("snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_json_snapshot!(stem(&file), shown);
        });
    }
}

#[test]
fn the_shared_recordings_replay_too() {
    // CI clones the repo with shared/ beside it; the copies in fixtures/ must
    // not drift from the originals, and every original must replay.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/recorded");
    let Ok(sets) = std::fs::read_dir(&shared) else {
        eprintln!("no shared/ beside this checkout; the fixtures/ copies were tested instead");
        return;
    };
    let mut files = Vec::new();
    for set in sets {
        let set = set.unwrap().path();
        for entry in std::fs::read_dir(&set).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "snmprec") {
                let copy = fixtures()
                    .join("recorded")
                    .join(set.file_name().unwrap())
                    .join(path.file_name().unwrap());
                assert_eq!(
                    std::fs::read(&path).unwrap(),
                    std::fs::read(&copy).unwrap_or_default(),
                    "{} differs from its copy in fixtures/",
                    path.display()
                );
                files.push(path);
            }
        }
    }
    let (code, readings, stderr) = replay(&[], &files);
    assert_eq!(code, 0, "{stderr}");
    assert!(readings.iter().all(|r| r.get("error").is_none()));
}

#[test]
fn a_corrupt_line_costs_only_its_varbind_and_is_reported_with_file_and_line() {
    let okilan = fixtures().join("recorded/librenms/okilan_9450g.snmprec");
    let (code, readings, _) = replay(&[], &[okilan]);
    assert_eq!(code, 0);
    let warnings = readings[0]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap();
    assert!(warning.contains("okilan_9450g.snmprec:23"), "{warning}");
    assert!(warning.contains("6git3159"), "{warning}");
    assert_eq!(readings[0]["supplies"].as_array().unwrap().len(), 10);
}

#[test]
fn a_file_that_is_no_recording_fails_alone_and_the_rest_still_print() {
    let dir = tempdir();
    let garbage = dir.join("garbage.snmprec");
    std::fs::write(&garbage, "this is not\na recording\n").unwrap();
    let missing = dir.join("missing.snmprec");
    let good = fixtures().join("recorded/librenms/jetdirect.snmprec");
    let (code, readings, _) = replay(&[], &[garbage, missing, good]);
    assert_eq!(code, 1, "a failed file makes the exit code 1");
    assert_eq!(readings.len(), 3);
    let err = readings[0]["error"].as_str().unwrap();
    assert!(err.contains("garbage.snmprec:1"), "{err}");
    let err = readings[1]["error"].as_str().unwrap();
    assert!(err.contains("missing.snmprec"), "{err}");
    assert_eq!(readings[2]["supplies"].as_array().unwrap().len(), 4);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "quire-cli-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
