//! `quire replay`: recorded devices read through the strategies, in the same
//! sandbox and through the same transports as a live read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use quire_model::Cycle;
use quire_plugins::{DeviceTransport, Host, HostConfig, Probe, Registry, ReplayTransport};
use quire_snmp::Recording;

use crate::output::Outcome;

/// Loads the built-in strategies into a fresh host and registry.
pub async fn builtin_registry() -> anyhow::Result<Registry> {
    let host = Host::new(HostConfig::default())?;
    let registry = Registry::new();
    for (name, bytes) in quire_strategies::BUILTIN {
        let plugin = host
            .load(bytes)
            .await
            .with_context(|| format!("built-in strategy {name}"))?;
        registry.insert(plugin)?;
    }
    Ok(registry)
}

/// Refuses a `--strategy` that names no loaded strategy, listing those there are.
pub fn check_strategy(registry: &Registry, strategy: Option<&str>) -> anyhow::Result<()> {
    if let Some(name) = strategy {
        anyhow::ensure!(
            registry.get(name).is_some(),
            "no strategy named {name:?}; built in: {}",
            registry
                .snapshot()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Reads every recording named (directories are expanded to the recordings
/// inside them, sorted), one outcome per recording, in order.
pub async fn run(
    paths: &[PathBuf],
    strategy: Option<&str>,
    cycle: Cycle,
    explain: bool,
) -> anyhow::Result<Vec<Outcome>> {
    let registry = builtin_registry().await?;
    check_strategy(&registry, strategy)?;
    let mut outcomes = Vec::new();
    for file in expand(paths) {
        outcomes.push(read_one(&registry, &file, strategy, cycle, explain).await);
    }
    Ok(outcomes)
}

async fn read_one(
    registry: &Registry,
    file: &Path,
    strategy: Option<&str>,
    cycle: Cycle,
    explain: bool,
) -> Outcome {
    let name = file.display().to_string();
    let loaded = match Recording::load_lenient(file) {
        Ok(loaded) => loaded,
        Err(e) => {
            return Outcome::Failed {
                file: name,
                strategy: None,
                error: e.to_string(),
            };
        }
    };
    let transport: Arc<dyn DeviceTransport> =
        Arc::new(ReplayTransport::new(Arc::new(loaded.recording)));
    let warnings = loaded.problems.iter().map(ToString::to_string).collect();
    read_device(
        registry, name, transport, strategy, cycle, explain, warnings,
    )
    .await
}

/// Reads one device through the strategies, whatever answers for it: a
/// recording (`quire replay`) or the device itself (`quire probe`). Chooses
/// the strategy from the device's probe unless `strategy` names one (checked
/// by [`check_strategy`]); `name` labels the outcome and the `--explain` lines.
pub async fn read_device(
    registry: &Registry,
    name: String,
    transport: Arc<dyn DeviceTransport>,
    strategy: Option<&str>,
    cycle: Cycle,
    explain: bool,
    warnings: Vec<String>,
) -> Outcome {
    let failed = |error: String, strategy| Outcome::Failed {
        file: name.clone(),
        strategy,
        error,
    };
    let chosen = match strategy {
        Some(wanted) => registry.get(wanted),
        None => None,
    };
    let plugin = match chosen {
        Some(plugin) => plugin,
        None => {
            let probe = match Probe::read(transport.as_ref()).await {
                Ok(probe) => probe,
                Err(e) => return failed(format!("cannot identify the device: {e}"), None),
            };
            match registry.select(&probe, transport.clone()).await {
                Ok(selection) => {
                    if explain {
                        eprint!(
                            "{name}: {} {}",
                            selection.plugin.strategy_ref(),
                            selection.reason
                        );
                    }
                    selection.plugin
                }
                Err(e) => return failed(e.to_string(), None),
            }
        }
    };
    match plugin.collect(transport, cycle).await {
        Ok(reading) => Outcome::Read {
            file: name.clone(),
            strategy: plugin.strategy_ref(),
            warnings,
            reading: Box::new(reading),
        },
        Err(e) => failed(e.to_string(), Some(plugin.strategy_ref())),
    }
}

/// Files as given; directories replaced by the recordings anywhere under
/// them (`.snmprec`, `.walk`, `.snmpwalk`, `.txt`), sorted by name.
pub(crate) fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = walk_dir(path)
            .into_iter()
            .filter(|p| {
                p.extension().is_some_and(|e| {
                    ["snmprec", "walk", "snmpwalk", "txt"].contains(&&*e.to_string_lossy())
                })
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// Every file under `dir`, recursively: recordings are often kept in sets.
fn walk_dir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push(dir.to_path_buf());
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk_dir(&path));
        } else {
            out.push(path);
        }
    }
    out
}
