//! The SDK's native test harness reads recordings as the host's replay does:
//! the same strategy, natively over the harness and as a component over
//! [`ReplayTransport`], reads every recording in the repository to the same
//! reading. The harness has its own readers of `.snmprec` and exchange logs
//! (a packaged SDK cannot depend on the host's crates); this is what keeps
//! them answering alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use quire_model::Cycle;
use quire_plugins::{DeviceTransport, ExchangeLog, ReplayTransport, exchanges_beside};
use quire_plugins_sdk::Strategy;
use quire_plugins_sdk::harness::{Recorded, replay};
use quire_snmp::Recording;
use quire_strategy_hp_ews::HpEws;
use quire_strategy_printer_mib::PrinterMib;

use crate::host;

/// Every file under `fixtures/` whose name ends in `suffix`.
fn fixtures(suffix: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, suffix, out);
            } else if path.to_string_lossy().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"),
        suffix,
        &mut out,
    );
    out.sort();
    out
}

/// The host's replay of `file`, as `quire replay` builds it.
fn host_transport(file: &Path) -> Arc<dyn DeviceTransport> {
    let log = |path: &Path| Arc::new(ExchangeLog::load_lenient(path).unwrap().log);
    if file.to_string_lossy().ends_with(".exchanges.jsonl") {
        let silent = Arc::new(Recording::new(file.display().to_string()));
        return Arc::new(ReplayTransport::with_exchanges(silent, log(file)));
    }
    let recording = Arc::new(Recording::load_lenient(file).unwrap().recording);
    let beside = exchanges_beside(file);
    match beside.exists() {
        true => Arc::new(ReplayTransport::with_exchanges(recording, log(&beside))),
        false => Arc::new(ReplayTransport::new(recording)),
    }
}

/// What a reading says, one line per fact, for either side's reading type:
/// the SDK's and the model's have the same fields, printed alike by `Debug`
/// once the SDK's enum values lose their type's name. `$counters` yields
/// (name, value).
macro_rules! facts {
    ($r:expr, $counters:expr) => {{
        let r = $r;
        let i = &r.identity;
        let mut facts = vec![
            format!(
                "identity {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                i.manufacturer,
                i.model,
                i.serial,
                i.mac,
                i.firmware,
                i.hostname,
                i.sys_object_id,
                i.location
            ),
            format!(
                "status {:?} {:?} {:?} {:?}",
                r.status.device, r.status.printer, r.status.errors, r.status.console
            ),
        ];
        let mut counters: Vec<String> = $counters
            .map(|(name, value)| format!("counter {name} {value}"))
            .collect();
        counters.sort();
        facts.extend(counters);
        facts.extend(r.supplies.iter().map(|s| {
            format!(
                "supply {} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                s.index,
                s.description,
                s.kind,
                s.color,
                s.unit,
                s.level,
                s.max,
                s.percent,
                s.state,
                s.serial,
                s.part_number
            )
        }));
        facts.extend(r.alerts.iter().map(|a| {
            format!(
                "alert {} {:?} {:?} {:?} {} {:?} {:?}",
                a.index, a.severity, a.group, a.location, a.code, a.description, a.time
            )
        }));
        facts
            .into_iter()
            .map(|fact| {
                ENUMS
                    .iter()
                    .fold(fact, |fact, prefix| fact.replace(prefix, ""))
            })
            .collect::<Vec<String>>()
    }};
}

/// How the SDK's bindings print an enum value before its name.
const ENUMS: [&str; 5] = [
    "DeviceStatus::",
    "PrinterStatus::",
    "ErrorState::",
    "SupplyState::",
    "AlertSeverity::",
];

/// Reads each file natively through `S` and as the built-in component
/// `crate_name`, and compares.
async fn both_ways<S: Strategy>(crate_name: &str, files: &[PathBuf]) {
    let (_, bytes) = quire_builtin::BUILTIN
        .iter()
        .find(|(name, _)| *name == crate_name)
        .unwrap();
    let plugin = host().load(bytes).await.unwrap();
    for file in files {
        let native = replay::<S>(
            &Recorded::load(file).unwrap(),
            quire_plugins_sdk::Cycle::Discovery,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let hosted = plugin
            .collect(host_transport(file), Cycle::Discovery)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            facts!(&native, native.counters.iter().map(|c| (&c.name, c.value))),
            facts!(&hosted, hosted.counters.iter()),
            "{}",
            file.display()
        );
    }
}

#[tokio::test]
async fn the_sdks_harness_answers_snmp_as_the_hosts_replay_does() {
    let files = fixtures(".snmprec");
    assert!(files.len() >= 40, "{}", files.len());
    both_ways::<PrinterMib>("quire-strategy-printer-mib", &files).await;
}

#[tokio::test]
async fn the_sdks_harness_answers_http_as_the_hosts_replay_does() {
    // The aiohpprinter logs on their own, and the derived ENVY with its SNMP.
    let mut files = fixtures(".exchanges.jsonl");
    files.retain(|f| f.to_string_lossy().contains("aiohpprinter"));
    assert_eq!(files.len(), 5);
    files.extend(fixtures("hp_ews_envy.snmprec"));
    both_ways::<HpEws>("quire-strategy-hp-ews", &files).await;
}
