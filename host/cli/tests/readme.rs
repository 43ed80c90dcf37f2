//! The README, run: every block marked `<!-- readme-test: output -->` is what
//! the last command of the shell block before it prints, and the block
//! marked `<!-- readme-test: walkthrough -->` runs, command for command, as
//! one shell script on a fresh home directory. The commands are the README's
//! own text, run by `bash` with this build's `quire` first on the PATH, from
//! the repository's root, so the README cannot drift from the binary.

#[path = "../src/readme_blocks.rs"]
mod readme_blocks;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use readme_blocks::{Block, blocks, commands};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn readme() -> Vec<Block> {
    blocks(&std::fs::read_to_string(root().join("README.md")).unwrap())
}

/// `bash -c script` from the repository's root, this build's `quire` first
/// on the PATH and `home` as HOME, so nothing of the user's is read or written.
fn bash(script: &str, home: &Path) -> Output {
    let quire_dir = Path::new(env!("CARGO_BIN_EXE_quire")).parent().unwrap();
    let path = format!(
        "{}:{}",
        quire_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .args(["-c", script])
        .current_dir(root())
        .env("PATH", path)
        .env("HOME", home)
        .env_remove("QUIRE_LOG")
        .output()
        .unwrap()
}

#[test]
fn every_output_sample_is_what_its_command_prints() {
    let blocks = readme();
    let home = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (i, sample) in blocks.iter().enumerate() {
        if sample.marker.as_deref() != Some("output") {
            continue;
        }
        let shell = blocks[..i]
            .iter()
            .rev()
            .find(|b| b.language == "sh")
            .unwrap_or_else(|| panic!("README.md:{}: no command before this output", sample.line));
        let (line, command) = commands(shell)
            .pop()
            .unwrap_or_else(|| panic!("README.md:{}: an empty shell block", shell.line));
        let output = bash(&command, home.path());
        let printed = String::from_utf8_lossy(&output.stdout);
        if sample.language == "json" {
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
