//! `quire-bench startup`: how long `quire` takes before its first read, with the
//! built-in components compiled on every start (as before issue 19, and as with
//! `QUIRE_CACHE_DIR=off`) beside taken compiled from the cache a previous start kept.
//!
//! Runs the release `quire` binary built beside this one, as a user would: `quire
//! replay` of one recording to its end, and `quire server` on an existing data directory
//! until it prints the address it listens on.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::Args;

/// `quire-bench startup`.
#[derive(Args)]
pub struct StartupArgs {
    /// Starts timed of each kind.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The recording replayed.
    #[arg(long, default_value = "fixtures/recorded/librenms/kyocera.snmprec")]
    recording: PathBuf,
}

pub fn run(args: &StartupArgs) -> anyhow::Result<()> {
    ensure!(args.runs >= 1, "--runs must be at least 1");
    let quire = quire_binary()?;
    let scratch = tempfile::tempdir()?;
    let cache = scratch.path().join("compiled");
    let data = scratch.path().join("server");
    // The server's first start generates its certificate and admin password, which
    // later starts do not; neither side is timed on it.
    time_server_start(&quire, &data, "off")?;

    println!(
        "{} starts of each, {} (median and fastest)",
        args.runs,
        quire.display()
    );
    println!("{:<46} {:>10} {:>10}", "start", "median s", "fastest s");
    let cached = cache.display().to_string();
    // Warm the cache once, untimed.
    time_replay(&quire, &args.recording, &cached)?;
    for (label, cache_dir) in [
        ("replay, compiling every component (before)", "off"),
        (
            "replay, compiled components from the cache",
            cached.as_str(),
        ),
    ] {
        let times = (0..args.runs)
            .map(|_| time_replay(&quire, &args.recording, cache_dir))
            .collect::<anyhow::Result<Vec<_>>>()?;
        print_row(label, times);
    }
    for (label, cache_dir) in [
        ("server, compiling every component (before)", "off"),
        (
            "server, compiled components from the cache",
            cached.as_str(),
        ),
    ] {
        let times = (0..args.runs)
            .map(|_| time_server_start(&quire, &data, cache_dir))
            .collect::<anyhow::Result<Vec<_>>>()?;
        print_row(label, times);
    }
    Ok(())
}

fn print_row(label: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{:<46} {:>10.3} {:>10.3}",
        label,
        times[times.len() / 2].as_secs_f64(),
        times[0].as_secs_f64()
    );
}

/// The `quire` binary of the same build as this one.
fn quire_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the quire-bench binary")?;
    let quire = exe.with_file_name("quire");
    if !quire.is_file() {
        bail!(
            "{} is missing: build it beside quire-bench (cargo build --release -p quire -p quire-bench)",
            quire.display()
        );
    }
    Ok(quire)
}

/// `quire replay` of `recording` from start to exit.
fn time_replay(quire: &Path, recording: &Path, cache_dir: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let output = Command::new(quire)
        .arg("replay")
        .arg(recording)
        .env("QUIRE_CACHE_DIR", cache_dir)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run quire replay")?;
    let took = started.elapsed();
    ensure!(
        output.status.success(),
        "quire replay {} failed: {}",
        recording.display(),
        output.status
    );
    Ok(took)
}

/// `quire server` on `data` from start until it says where it listens; then killed.
fn time_server_start(quire: &Path, data: &Path, cache_dir: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut child = Command::new(quire)
        .args(["server", "--listen", "127.74.0.1:0", "--data"])
        .arg(data)
        .env("QUIRE_CACHE_DIR", cache_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start quire server")?;
    let stdout = child.stdout.take().context("the server has no stdout")?;
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("listening "));
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    ensure!(listening, "quire server exited before listening");
    Ok(took)
}
