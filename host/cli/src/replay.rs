//! `quire replay`: recorded devices read through the strategies, in the same
//! sandbox and through the same transports as a live read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use quire_model::Cycle;
use quire_plugins::{Explained, Host, HostConfig, Probe, Registry, unknown_counters};
use quire_snmp::Recording;
use quire_transport::{DeviceTransport, ExchangeLog, ReplayTransport, exchanges_beside};

use crate::output::Outcome;
use crate::progress::Progress;

/// Loads the built-in strategies into a fresh host and registry.
pub async fn builtin_registry() -> anyhow::Result<Registry> {
    registry_with(&[]).await
}

/// The built-in strategies and the components in `extra` (a maker's strategy
/// under test, say), which replace a built-in one of the same name whatever
/// their version, so what is read is what the maker built.
pub async fn registry_with(extra: &[PathBuf]) -> anyhow::Result<Registry> {
    let host = Host::new(HostConfig::default())?;
    let registry = quire_builtin::registry(&host).await?;
    for path in extra {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let plugin = host
            .load(&bytes)
            .await
            .with_context(|| path.display().to_string())?;
        registry.install(plugin);
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
/// inside them, sorted), one outcome per recording, in order; a bar counts them on a
/// terminal, since a directory of hundreds takes a while.
pub async fn run(
    paths: &[PathBuf],
    load: &[PathBuf],
    strategy: Option<&str>,
    cycle: Cycle,
    explain: bool,
) -> anyhow::Result<Vec<Outcome>> {
    let registry = registry_with(load).await?;
    check_strategy(&registry, strategy)?;
    let files = quire_snmp::recording::files(paths);
    let progress = Progress::counted("replay", files.len() as u64);
    let mut outcomes = Vec::new();
    for file in files {
        progress.set_message(
            file.file_name()
                .unwrap_or(file.as_os_str())
                .to_string_lossy()
                .into_owned(),
        );
        outcomes.push(read_one(&registry, &file, strategy, cycle, explain).await);
        progress.inc(1);
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
    if strategy.is_none() && exchanges_only(file) {
        return Outcome::Failed {
            file: name,
            strategy: None,
            error: "holds the device's web and NPAP exchanges only, no SNMP to choose a \
                    strategy from; name one with --strategy"
                .into(),
        };
    }
    let (transport, warnings) = match replay_transport(file) {
        Ok(replay) => replay,
        Err(error) => {
            return Outcome::Failed {
                file: name,
                strategy: None,
                error,
            };
        }
    };
    let transport: Arc<dyn DeviceTransport> = Arc::new(transport);
    read_device(
        registry, name, transport, strategy, cycle, explain, warnings,
    )
    .await
}

/// Reads one device through the strategies, whatever answers for it: a
/// recording (`quire replay`) or the device itself (`quire probe`). Chooses
/// the strategy from the device's probe unless `strategy` names one (checked
/// by [`check_strategy`]); `name` labels the outcome and the `--explain` lines.
/// A counter outside the SDK's vocabulary is added to `warnings`.
pub async fn read_device(
    registry: &Registry,
    name: String,
    transport: Arc<dyn DeviceTransport>,
    strategy: Option<&str>,
    cycle: Cycle,
    explain: bool,
    mut warnings: Vec<String>,
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
                        crate::stdio::err(format_args!(
                            "{name}: {} {}",
                            selection.plugin.strategy_ref(),
                            selection.reason
                        ));
                    }
                    selection.plugin
                }
                Err(e) => return failed(e.to_string(), None),
            }
        }
    };
    match plugin.collect_explained(transport, cycle).await {
        Ok(Explained { reading, notes }) => {
            if explain {
                for note in notes {
                    crate::stdio::err(format_args!("{name}: {}: {note}", plugin.strategy_ref()));
                }
            }
            warnings.extend(unknown_counters(&reading));
            Outcome::Read {
                file: name.clone(),
                strategy: plugin.strategy_ref(),
                warnings,
                reading: Box::new(reading),
            }
        }
        Err(e) => failed(e.to_string(), Some(plugin.strategy_ref())),
    }
}

/// Whether `file` is an exchange log named on its own: a device recorded
/// through its web server (pages saved from a printer whose SNMP is off, or
/// shared by another project) with no SNMP recording.
fn exchanges_only(file: &Path) -> bool {
    file.to_string_lossy().ends_with(EXCHANGES_SUFFIX)
}

const EXCHANGES_SUFFIX: &str = ".exchanges.jsonl";

/// The recording at `file`, with its NPAP and HTTP exchanges when a log sits
/// beside it (`printer.snmprec` + `printer.exchanges.jsonl`), and one warning
/// per line of either that could not be read (file:line: why). A recording
/// that cannot be read at all is the error. An exchange log given on its own
/// replays with no SNMP object recorded.
pub(crate) fn replay_transport(file: &Path) -> Result<(ReplayTransport, Vec<String>), String> {
    if exchanges_only(file) {
        let log = ExchangeLog::load_lenient(file).map_err(|e| e.to_string())?;
        let warnings = log.problems.iter().map(ToString::to_string).collect();
        let name = file.display().to_string();
        let silent = Arc::new(Recording::new(name));
        return Ok((
            ReplayTransport::with_exchanges(silent, Arc::new(log.log)),
            warnings,
        ));
    }
    let loaded = Recording::load_lenient(file).map_err(|e| e.to_string())?;
    let mut warnings: Vec<String> = (loaded.problems.iter())
        .chain(&loaded.notes)
        .map(ToString::to_string)
        .collect();
    let recording = Arc::new(loaded.recording);
    let log_file = exchanges_beside(file);
    if !log_file.exists() {
        return Ok((ReplayTransport::new(recording), warnings));
    }
    match ExchangeLog::load_lenient(&log_file) {
        Ok(log) => {
            warnings.extend(log.problems.iter().map(ToString::to_string));
            Ok((
                ReplayTransport::with_exchanges(recording, Arc::new(log.log)),
                warnings,
            ))
        }
        Err(e) => {
            warnings.push(e.to_string());
            Ok((ReplayTransport::new(recording), warnings))
        }
    }
}

#[cfg(test)]
mod tests {
    use quire_transport::{
        DeviceTransport, HttpMethod, HttpRequest, NpapPort, NpapRequest, TransportError,
    };

    use super::*;

    #[tokio::test]
    async fn a_counter_outside_the_vocabulary_is_a_warning_and_the_reading_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let recording = dir.path().join("odd.snmprec");
        // The misbehaving test guest reports whatever its mode object names.
        std::fs::write(
            &recording,
            "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1\n1.3.6.1.4.1.99999.1.0|4|odd-counter\n",
        )
        .unwrap();
        let guest = quire_test_guests::path("quire_guest_hostile");
        let registry = registry_with(&[guest]).await.unwrap();
        let outcome = read_one(&registry, &recording, None, Cycle::Discovery, false).await;
        let Outcome::Read {
            warnings, reading, ..
        } = outcome
        else {
            panic!("{outcome:?}");
        };
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .starts_with("counter \"impressions.colour\" is not in the SDK's vocabulary"),
            "{warnings:?}"
        );
        assert_eq!(reading.counters.get("impressions.colour"), Some(&7));
        assert_eq!(reading.counters.get("total"), Some(&1234));
    }

    #[tokio::test]
    async fn a_log_beside_the_recording_answers_and_its_bad_lines_are_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let recording = dir.path().join("printer.snmprec");
        std::fs::write(&recording, "1.3.6.1.2.1.1.1.0|4|Test Printer\n").unwrap();
        let log = dir.path().join("printer.exchanges.jsonl");
        std::fs::write(
            &log,
            concat!(
                r#"{"kind":"http","method":"GET","tls":false,"port":null,"path":"/counters","status":200,"headers":[],"body_b64":"dG90YWw9MTIzNAo="}"#,
                "\n",
                r#"{"kind":"npap","port":"udp9300","request_hex":"zz","response_hex":"00"}"#,
                "\n",
            ),
        )
        .unwrap();
        let (replay, warnings) = replay_transport(&recording).unwrap();
        assert_eq!(
            warnings,
            [format!(
                "{}:2: request_hex is not hex: \"zz\"",
                log.display()
            )]
        );
        let page = replay
            .http_send(&HttpRequest {
                method: HttpMethod::Get,
                tls: false,
                port: None,
                path: "/counters".into(),
                headers: Vec::new(),
                body: None,
            })
            .await
            .unwrap();
        assert_eq!(page.body, b"total=1234\n");
        assert!(matches!(
            replay
                .npap_exchange(NpapRequest {
                    port: NpapPort::Udp9300,
                    bytes: b"\x00",
                    timeout: std::time::Duration::from_secs(1),
                })
                .await,
            Err(TransportError::NotRecorded(_))
        ));
    }
}
