//! The `quire` binary run as a user runs it, its JSON output parsed.

use std::process::Command;

use serde_json::Value;

/// Runs `quire ARGS…`, which must succeed, and parses what it prints.
pub fn quire_json(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
