//! `quire simulate`: recordings served as a fleet of live SNMP agents until
//! Ctrl-C, for demos, scanners and load tests.

use std::path::PathBuf;

use anyhow::{Context, bail};
use quire_snmp::Recording;
use quire_snmp::responder::{Faults, Fleet, FleetConfig};

/// Devices listed one per line; a bigger fleet is summarised after these.
const LIST_LIMIT: usize = 50;

/// What `quire simulate` was asked to serve.
pub struct Options {
    pub recordings: Vec<PathBuf>,
    pub fleet: Option<usize>,
    pub offline: Vec<usize>,
    pub config: FleetConfig,
}

/// Loads the recordings, starts the fleet, prints where each device listens
/// and serves until Ctrl-C. A recording that cannot be read is reported and
/// left out; a line that does not parse costs only itself, as in replay.
pub async fn run(options: Options) -> anyhow::Result<()> {
    let Faults { drop, corrupt, .. } = options.config.faults;
    for (name, rate) in [("--drop", drop), ("--corrupt", corrupt)] {
        if !(0.0..=1.0).contains(&rate) {
            bail!("{name} {rate} is not a probability between 0 and 1");
        }
    }
    let recordings = load(&options.recordings)?;
    let fleet = match options.fleet {
        Some(count) => Fleet::start_replicated(recordings, count, options.config.clone()).await,
        None => Fleet::start(recordings, options.config.clone()).await,
    }
    .context("starting the simulated fleet")?;
    for &device in &options.offline {
        if !fleet.set_online(device, false) {
            bail!(
                "--offline {device}: the fleet has devices 0 to {}",
                fleet.len() - 1
            );
        }
    }
    for (i, (addr, name)) in fleet.devices().enumerate().take(LIST_LIMIT) {
        let state = if options.offline.contains(&i) {
            "  (offline)"
        } else {
            ""
        };
        outln!("device {i:>5}  {addr:<21}  {name}{state}");
    }
    if fleet.len() > LIST_LIMIT {
        outln!(
            "… and {} more devices on the following addresses",
            fleet.len() - LIST_LIMIT
        );
    }
    let silent = fleet.silent_addrs();
    if let (Some(first), Some(last)) = (silent.first(), silent.last()) {
        outln!("silent {first} to {last} (held, never answer)");
    }
    outln!(
        "listening: {} devices, communities {}, {} v3 users; Ctrl-C to stop",
        fleet.len(),
        options.config.communities.len(),
        options.config.users.len(),
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    outln!("stopped after {} responses", fleet.answered());
    Ok(())
}

/// The recordings under `paths`, read leniently: a recording that cannot be read, or a
/// line of one that does not parse, is reported and left out, as in replay.
pub fn load(paths: &[PathBuf]) -> anyhow::Result<Vec<Recording>> {
    let mut recordings = Vec::new();
    for file in quire_snmp::recording::files(paths) {
        match Recording::load_lenient(&file) {
            Ok(loaded) => {
                for problem in &loaded.problems {
                    note!("quire: {problem} (line left out)");
                }
                recordings.push(loaded.recording);
            }
            Err(e) => note!("quire: {e} (recording left out)"),
        }
    }
    if recordings.is_empty() {
        bail!("no recording could be read");
    }
    Ok(recordings)
}
