//! `quire` among other Unix tools (issue 14): output to a reader that stops early ends
//! quietly with success, and `QUIRE_LOG` says what the user means by it.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn recorded() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/recorded"
    ))
}

/// `quire replay … | head -c 16`: the reader closes the pipe with most of the output
/// unwritten (twice the recordings as JSON is well past a pipe's 64 KiB buffer).
#[test]
fn a_reader_closing_the_pipe_ends_replay_quietly_with_success() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["replay", "--format", "json"])
        .arg(recorded())
        .arg(recorded())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = [0; 16];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(String::from_utf8_lossy(&head).starts_with('['));
}

/// `quire probe` with `QUIRE_LOG` set and nothing answering; its exit code and
/// standard error.
fn probe_nothing(quire_log: &str) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["probe", "127.156.0.1", "--port", "16156", "--retries", "0"])
        .args(["--timeout", "200"])
        .env("QUIRE_LOG", quire_log)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `QUIRE_LOG=debug` is Quire's debug lines, not its libraries': probing loads every
/// built-in strategy, which Cranelift compiles with a debug line per function.
#[test]
fn quire_log_debug_is_quire_at_debug_and_its_libraries_at_warn() {
    let (code, stderr) = probe_nothing("debug");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(" DEBUG quire_snmp::"), "{stderr}");
    let libraries: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("cranelift") || l.contains("wasmtime"))
        .take(3)
        .collect();
    assert!(libraries.is_empty(), "{libraries:#?}");
    // Standard error is a pipe here, as it is when redirected to a log file.
    assert!(!stderr.contains('\x1b'), "colour codes in {stderr}");
}

#[test]
fn a_malformed_quire_log_is_refused_naming_the_variable_and_the_directive() {
    let (code, stderr) = probe_nothing("info,dbug");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("quire: QUIRE_LOG: `dbug` is not a level"),
        "{stderr}"
    );
    let (code, stderr) = probe_nothing("quire_snmp=verbose");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("QUIRE_LOG: `quire_snmp=verbose` is not a filter directive"),
        "{stderr}"
    );
}

/// A directory of recordings that all read.
fn librenms() -> PathBuf {
    recorded().join("librenms")
}

/// `quire replay --format json` of [`librenms`] with standard output captured and
/// standard error as given; returns (stdout, stderr).
fn replay_recorded(stderr: Stdio) -> (Vec<u8>, Vec<u8>) {
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["replay", "--format", "json"])
        .arg(librenms())
        .stderr(stderr)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    (output.stdout, output.stderr)
}

/// Standard error redirected, as a script or a log collector has it: a directory replays
/// with no progress bar, nor anything else, on standard error.
#[test]
fn replay_of_a_directory_adds_nothing_to_a_redirected_standard_error() {
    let (stdout, stderr) = replay_recorded(Stdio::piped());
    assert!(stdout.starts_with(b"["));
    assert_eq!(String::from_utf8_lossy(&stderr), "");
}

/// At a terminal (util-linux `script` runs it on a pseudo-terminal) a directory replays
/// under a bar counting the recordings, cleared at the end, and standard output, sent to
/// a file, holds the same bytes as without a terminal.
#[test]
fn replay_of_a_directory_draws_a_bar_on_a_terminal_and_prints_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("replay.json");
    let command = shlex::try_join([
        env!("CARGO_BIN_EXE_quire"),
        "replay",
        "--format",
        "json",
        librenms().to_str().unwrap(),
    ])
    .unwrap();
    let redirect = shlex::try_quote(json.to_str().unwrap()).unwrap();
    let terminal = Command::new("script")
        .args(["--quiet", "--return", "--command"])
        .arg(format!("{command} > {redirect}"))
        .arg("/dev/null")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` runs");
    let screen = String::from_utf8_lossy(&terminal.stdout);
    assert_eq!(terminal.status.code(), Some(0), "{screen}");
    assert!(screen.starts_with("replay ["), "{screen:?}");
    assert!(screen.contains(".snmprec"), "{screen:?}");
    // The last thing drawn takes the bar away: a carriage return and "erase the line".
    assert!(screen.ends_with("\r\x1b[2K"), "{screen:?}");
    let (plain, _) = replay_recorded(Stdio::piped());
    assert!(
        std::fs::read(&json).unwrap() == plain,
        "standard output differs"
    );
    // The bar counts the recordings the output has one object each for.
    let readings = serde_json::from_slice::<Vec<serde_json::Value>>(&plain).unwrap();
    let first = screen.split("] 0/").nth(1).expect("the bar starts at 0");
    let total = first.split(' ').next().unwrap();
    assert_eq!(total, readings.len().to_string(), "{screen:?}");
}
