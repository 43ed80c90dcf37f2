//! The README, run: every block marked `<!-- readme-test: output -->` is what
//! the last command of the shell block before it prints, and the block
//! marked `<!-- readme-test: walkthrough -->` runs, command for command, as
//! one shell script on a fresh home directory. The commands are the README's
//! own text, run by `bash` with this build's `quire` first on the PATH, from
//! the repository's root, so the README cannot drift from the binary.

#[path = "../src/readme_blocks.rs"]
mod readme_blocks;

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use readme_blocks::{Block, blocks, commands};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn readme() -> Vec<Block> {
    blocks(&std::fs::read_to_string(root().join("README.md")).unwrap())
}

/// `bash -c script` from the repository's root, this build's `quire` first
/// on the PATH and `home` as HOME (and no XDG directories), so nothing of the
/// user's is read or written.
fn bash_command(script: &str, home: &Path) -> Command {
    let quire_dir = Path::new(env!("CARGO_BIN_EXE_quire")).parent().unwrap();
    let path = format!(
        "{}:{}",
        quire_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .args(["-c", script])
        .current_dir(root())
        .env("PATH", path)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("QUIRE_LOG")
        .env_remove("QUIRE_PASSWORD")
        .env_remove("QUIRE_ADMIN_PASSWORD");
    command
}

fn bash(script: &str, home: &Path) -> Output {
    bash_command(script, home).output().unwrap()
}

/// Kills the script's whole process group (the server and the simulator it
/// left running) however the test ends.
struct Group(i32);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .status();
    }
}

/// How long the walkthrough may take: a debug build compiles the strategies
/// once and reads two printers.
const WALKTHROUGH_LIMIT: Duration = Duration::from_secs(300);

#[test]
fn the_walkthrough_runs_command_for_command() {
    let _turn = DEFAULT_PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let blocks = readme();
    let walkthrough: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.marker.as_deref() == Some("walkthrough"))
        .collect();
    assert_eq!(
        walkthrough.len(),
        1,
        "one block is marked as the walkthrough"
    );
    let block = walkthrough[0];
    // As a person pasting it would: stop at the first command that fails.
    let script = format!("set -euo pipefail\n{}", block.text);
    let home = tempfile::tempdir().unwrap();
    // Files, not pipes: the server and the simulator the script leaves running
    // hold its output open until the group is killed.
    let (out_path, err_path) = (home.path().join("stdout"), home.path().join("stderr"));
    let mut child = bash_command(&script, home.path())
        .process_group(0)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let _group = Group(child.id() as i32);
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < WALKTHROUGH_LIMIT,
            "README.md:{}: the walkthrough did not end within {WALKTHROUGH_LIMIT:?}",
            block.line
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = child.wait().unwrap();
    let stdout = std::fs::read_to_string(&out_path).unwrap();
    let stderr = std::fs::read_to_string(&err_path).unwrap();
    assert!(
        status.success(),
        "README.md:{}: the walkthrough failed ({status}):\n{stdout}\n{stderr}",
        block.line
    );
    // The two recorded printers, read by the agent and listed by the server
    // as their recordings name them (makers as fixtures/recorded/printmaster/
    // expected states; model and serial as each recording's hrDeviceDescr and
    // serial objects hold them), and the first one's readings of each cycle.
    for expected in [
        "Epson",
        "SC-T3405",
        "Kyocera",
        "ECOSYS P2040dw",
        "VD21457943",
        "epson@",
        "meters-and-supplies",
        "alerts",
    ] {
        assert!(
            stdout.contains(expected),
            "README.md:{}: the walkthrough's output lacks {expected:?}:\n{stdout}\n{stderr}",
            block.line
        );
    }
}

/// The README's commands use the default ports (the server's 8443, the
/// simulated fleet's 16161), so the tests that run them take turns.
static DEFAULT_PORTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A line's label: what comes before the first run of two spaces
/// (`  data          /tmp/quire-demo-Xb3k9a` is `  data`).
fn label(line: &str) -> &str {
    let body = line.trim_start();
    let indent = line.len() - body.len();
    match body.find("  ") {
        Some(end) => &line[..indent + end],
        None => line,
    }
}

#[test]
fn every_output_sample_is_what_its_command_prints() {
    let _turn = DEFAULT_PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let blocks = readme();
    let home = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (i, sample) in blocks.iter().enumerate() {
        let shape_only = match sample.marker.as_deref() {
            Some("output") => false,
            Some("output-shape") => true,
            _ => continue,
        };
        let shell = blocks[..i]
            .iter()
            .rev()
            .find(|b| b.language == "sh")
            .unwrap_or_else(|| panic!("README.md:{}: no command before this output", sample.line));
        let (line, command) = commands(shell)
            .pop()
            .unwrap_or_else(|| panic!("README.md:{}: an empty shell block", shell.line));
        // The exit status is the command's to choose (replay exits 1 when a
        // file failed, as the sample shows one doing); what it prints is checked.
        let output = bash(&command, home.path());
        let printed = String::from_utf8_lossy(&output.stdout);
        if shape_only {
            let mut printed_labels = printed.lines().map(label);
            for shown in sample.text.lines().map(label) {
                assert!(
                    printed_labels.any(|l| l == shown),
                    "README.md:{}: {shown:?} is not among the lines README.md:{line} `{command}` prints, in that order:\n{printed}",
                    sample.line
                );
            }
        } else if sample.language == "json" {
            let shown: serde_json::Value = serde_json::from_str(&sample.text)
                .unwrap_or_else(|e| panic!("README.md:{}: not JSON: {e}", sample.line));
            let actual: serde_json::Value = serde_json::from_str(&printed).unwrap_or_else(|e| {
                panic!("README.md:{line}: `{command}` printed no JSON ({e}): {printed}")
            });
            assert_eq!(
                shown, actual,
                "README.md:{}: the sample (left) is not what README.md:{line} `{command}` prints (right)",
                sample.line
            );
        } else {
            assert_eq!(
                sample.text.trim_end(),
                printed.trim_end(),
                "README.md:{}: the sample (left) is not what README.md:{line} `{command}` prints (right)",
                sample.line
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no output sample is marked in the README");
}
