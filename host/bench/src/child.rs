//! The simulators a benchmark runs in a child process (this binary again, with
//! `--serve`), so the measured side's peak memory is its own.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use quire_snmp::Recording;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

/// How long a child may take to load its recordings and bind its addresses.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// Starts this binary with `args` and waits until it prints `listening:`; the
/// child is killed when the handle drops. `what` names it in errors.
pub async fn start_serving<I>(what: &str, args: I) -> anyhow::Result<Child>
where
    I: IntoIterator<Item = String>,
{
    let exe = std::env::current_exe().context("cannot find the quire-bench binary")?;
    let mut child = tokio::process::Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {what}"))?;
    let stdout = child.stdout.take().context("the child has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(READY_WITHIN, async {
        while let Some(line) = lines.next_line().await? {
            if line.starts_with("listening:") {
                return Ok::<bool, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    match ready {
        Ok(Ok(true)) => {}
        Ok(_) => bail!("{what} exited before listening"),
        Err(_) => bail!("{what} did not listen within {} s", READY_WITHIN.as_secs()),
    }
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(child)
}

/// The recordings under `dir`, read as `quire simulate` reads them: a line that
/// does not parse is left out (and said so), a recording that cannot be read
/// stops the benchmark, whose figures would otherwise be of another fleet.
pub fn recordings(dir: &Path) -> anyhow::Result<Vec<Recording>> {
    let mut recordings = Vec::new();
    for file in quire_snmp::recording::files(&[dir.to_path_buf()]) {
        let loaded = Recording::load_lenient(&file)?;
        for problem in &loaded.problems {
            eprintln!("quire-bench: {problem} (line left out)");
        }
        recordings.push(loaded.recording);
    }
    anyhow::ensure!(!recordings.is_empty(), "no recordings in {}", dir.display());
    Ok(recordings)
}
