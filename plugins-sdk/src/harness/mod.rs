//! The native test harness (feature `harness`): a strategy read over a
//! recording instead of a device. Only the transport differs from the
//! component: the strategy code, the walks and the decoding are the same calls.
//!
//! It replays what `quire record` writes and `quire replay` reads: SNMP from a
//! `.snmprec`, and NPAP and HTTP from the exchange log beside it
//! (`printer.snmprec` + `printer.exchanges.jsonl`), or from a log named on its
//! own for a device recorded through its web server only. Requests are answered
//! as the host's replay answers them; `host/plugins/tests/all/harness.rs` reads
//! every recording in the repository both ways and compares the readings.
//!
//! A recording or log line that does not parse costs only itself, as in
//! `quire replay` (shared recordings have the odd corrupt line); each is kept
//! in [`Recorded::problems`] and printed. A counter outside the SDK's
//! vocabulary ([`crate::counters`]), a warning in `quire replay`, fails here:
//! a strategy's test is the place to fix it.
//!
//! Key decision: **the SDK owns the exchange log's format.** The host reads
//! recordings with `quire-snmp`, which pulls in tokio and the SNMPv3 crypto
//! and is not published: a packaged SDK cannot depend on it even optionally
//! (`cargo package` resolves optional dependencies too), so the harness reads
//! `.snmprec` itself. The exchange log's lines are the SDK's
//! [`crate::exchange_log`] (serde_json and base64 only), which the host's
//! transport reads and writes too; the comparison test above keeps the two
//! answering alike.

mod exchanges;
mod snmprec;

use std::path::{Path, PathBuf};

use crate::{
    AlertSeverity, Collected, Cycle, Device, DeviceAlert, HttpRequest, HttpResponse, LogLevel,
    NpapPort, Oid, Reading, Strategy, Supply, SupplyState, Transport, TransportError, Varbind,
    counters,
};

use exchanges::Exchanges;
use snmprec::Snmp;

/// One recorded device: its SNMP answers and its NPAP and HTTP exchanges.
pub struct Recorded {
    name: String,
    snmp: Snmp,
    exchanges: Option<Exchanges>,
    problems: Vec<String>,
}

const EXCHANGES_SUFFIX: &str = ".exchanges.jsonl";

impl Recorded {
    /// Reads the recording at `path`: a `.snmprec` with the exchange log
    /// beside it when there is one, or an exchange log on its own (a device
    /// whose SNMP answers nothing). Fails only when a file cannot be read.
    pub fn load(path: &Path) -> Result<Recorded, String> {
        let name = path.display().to_string();
        let read = |path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))
        };
        let mut problems = Vec::new();
        let (snmp, log) = if name.ends_with(EXCHANGES_SUFFIX) {
            (Snmp::default(), Some(path.to_owned()))
        } else {
            let snmp = Snmp::parse(&name, &read(path)?, &mut problems);
            let beside = exchanges_beside(path);
            (snmp, beside.exists().then_some(beside))
        };
        let exchanges = match log {
            Some(log) => Some(Exchanges::parse(
                &log.display().to_string(),
                &read(&log)?,
                &mut problems,
            )),
            None => None,
        };
        for problem in &problems {
            eprintln!("{problem}");
        }
        Ok(Recorded {
            name,
            snmp,
            exchanges,
            problems,
        })
    }

    /// Each line of the recording or its log that could not be read, as
    /// `file:line: why`.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// A device answering SNMP from the `.snmprec` `text`, for the SDK's own tests.
    #[cfg(test)]
    pub(crate) fn from_snmprec(name: &str, text: &str) -> Recorded {
        let mut problems = Vec::new();
        let snmp = Snmp::parse(name, text, &mut problems);
        Recorded {
            name: name.into(),
            snmp,
            exchanges: None,
            problems,
        }
    }
}

/// `lab/printer.snmprec` → `lab/printer.exchanges.jsonl`, as `quire record` names it.
fn exchanges_beside(recording: &Path) -> PathBuf {
    let stem = recording
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    recording.with_file_name(format!("{stem}{EXCHANGES_SUFFIX}"))
}

impl Transport for Recorded {
    fn get(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        Ok(oids.iter().map(|oid| self.snmp.get(oid)).collect())
    }

    fn get_next(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        Ok(oids.iter().map(|oid| self.snmp.get_next(oid)).collect())
    }

    fn get_bulk(
        &self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[Oid],
    ) -> Result<Vec<Varbind>, TransportError> {
        Ok(self
            .snmp
            .get_bulk(non_repeaters as usize, max_repetitions as usize, oids))
    }

    fn npap(&self, port: NpapPort, request: &[u8], _: u32) -> Result<Vec<u8>, TransportError> {
        self.log_of("NPAP")?.npap(port, request)
    }

    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.log_of("HTTP")?.http(request)
    }

    fn log(&self, level: LogLevel, message: &str) {
        eprintln!("[{level:?}] {}: {message}", self.name);
    }
}

impl Recorded {
    fn log_of(&self, what: &str) -> Result<&Exchanges, TransportError> {
        self.exchanges.as_ref().ok_or_else(|| {
            TransportError::NotRecorded(format!(
                "this recording has no exchange log, so no {what} exchanges"
            ))
        })
    }
}

/// Runs `S::collect` for `cycle` over a recorded device, as the host would run
/// the component over it, and fails on a counter outside the vocabulary.
pub fn replay<S: Strategy>(recorded: &Recorded, cycle: Cycle) -> Result<Reading, String> {
    replay_collected::<S>(recorded, cycle).map(|collected| collected.reading)
}

/// [`replay`] with the notes the strategy gave ([`Device::note`]), as the
/// component returns them to the host.
pub fn replay_collected<S: Strategy>(
    recorded: &Recorded,
    cycle: Cycle,
) -> Result<Collected, String> {
    let device = Device::new(recorded);
    let reading = S::collect(&device, cycle).map_err(|e| format!("{}: {e:?}", recorded.name))?;
    match reading
        .counters
        .iter()
        .find(|c| !counters::is_known(&c.name))
    {
        Some(c) => Err(format!("{}: {}", recorded.name, counters::unknown(&c.name))),
        None => Ok(Collected {
            reading,
            notes: device.take_notes(),
        }),
    }
}

/// The notes `S` gives reading the recording at `path` for discovery, for a
/// strategy's own tests of the reasons `quire replay --explain` shows.
pub fn notes<S: Strategy>(path: impl AsRef<Path>) -> Vec<String> {
    let path = path.as_ref();
    Recorded::load(path)
        .and_then(|recorded| replay_collected::<S>(&recorded, Cycle::Discovery))
        .unwrap_or_else(|e| panic!("{e}"))
        .notes
}

/// Loads the recording at `path` ([`Recorded::load`]) and runs `S` over it
/// for `cycle` ([`replay`]). The error names the file.
pub fn replay_file<S: Strategy>(path: &Path, cycle: Cycle) -> Result<Reading, String> {
    replay::<S>(&Recorded::load(path)?, cycle)
}

/// `S`'s discovery reading of the recording at `path` (relative paths start
/// at the crate's own folder, where `cargo test` runs), for a strategy's own
/// tests: panics with the file and the problem.
pub fn read<S: Strategy>(path: impl AsRef<Path>) -> Reading {
    read_for::<S>(path, Cycle::Discovery)
}

/// As [`read`], for `cycle`.
pub fn read_for<S: Strategy>(path: impl AsRef<Path>, cycle: Cycle) -> Reading {
    replay_file::<S>(path.as_ref(), cycle).unwrap_or_else(|e| panic!("{e}"))
}

/// A device that never answers: for testing that `identify` decides on the probe
/// alone, as the host expects of it, without asking the device anything.
pub struct Silent;

impl Transport for Silent {
    fn get(&self, _: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        Err(TransportError::Timeout)
    }
    fn get_next(&self, _: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        Err(TransportError::Timeout)
    }
    fn get_bulk(&self, _: u32, _: u32, _: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        Err(TransportError::Timeout)
    }
}

/// Each supply's index and percent, in the reading's order: what a test
/// compares with the levels a recording's source states.
pub fn percents(reading: &Reading) -> Vec<(u32, Option<u8>)> {
    reading
        .supplies
        .iter()
        .map(|s| (s.index, s.percent))
        .collect()
}

/// An alert-table row known only by its text: the first row, a critical
/// `general-printer` alert of code 1 (`other`) saying `description`. What a
/// test of a strategy's [`Strategy::map_error`] starts from; struct update
/// syntax sets the rest (`DeviceAlert { code: 8, ..alert("Paper jam") }`).
pub fn alert(description: &str) -> DeviceAlert {
    DeviceAlert {
        index: 1,
        severity: AlertSeverity::Critical,
        training_level: None,
        group: Some("general-printer".into()),
        group_index: None,
        location: None,
        code: 1,
        code_name: Some("other".into()),
        description: Some(description.into()),
        time: None,
    }
}

/// A toner row known only by its `description`, the first of the table:
/// what a test of a strategy's reading of supply descriptions starts from.
pub fn supply(description: &str) -> Supply {
    Supply {
        index: 1,
        description: description.into(),
        kind: "toner".into(),
        color: None,
        unit: None,
        level: None,
        max: None,
        percent: None,
        state: SupplyState::Unknown,
        serial: None,
        part_number: None,
    }
}

/// Who a reading says the device is, as (manufacturer, model, serial,
/// firmware): one value a test compares with what the recording's source
/// states, so a failure shows all four side by side.
pub fn identity(reading: &Reading) -> Who<'_> {
    let identity = &reading.identity;
    (
        identity.manufacturer.as_deref(),
        identity.model.as_deref(),
        identity.serial.as_deref(),
        identity.firmware.as_deref(),
    )
}

/// What [`identity`] gives: manufacturer, model, serial and firmware.
pub type Who<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

/// Fails unless the reading's counters are exactly `expected`, in any order.
/// Both sides are shown sorted by name, so a missing, a wrong and an extra
/// counter each stand out.
#[track_caller]
pub fn assert_counters(reading: &Reading, expected: &[(&str, u64)]) {
    let mut read: Vec<(&str, u64)> = reading
        .counters
        .iter()
        .map(|c| (c.name.as_str(), c.value))
        .collect();
    let mut expected = expected.to_vec();
    read.sort_unstable();
    expected.sort_unstable();
    assert_eq!(read, expected, "counters read (left) and expected (right)");
}

/// `S`'s alert-cycle reading of the recording at `path` ([`read_for`]), after
/// failing unless it holds no counters and no supplies: that cycle reads
/// status and alerts only, which every strategy's tests check.
#[track_caller]
pub fn read_alert_cycle<S: Strategy>(path: impl AsRef<Path>) -> Reading {
    let reading = read_for::<S>(path, Cycle::Alerts);
    let (counters, supplies) = (&reading.counters, &reading.supplies);
    assert!(counters.is_empty(), "the alert cycle read {counters:?}");
    assert!(supplies.is_empty(), "the alert cycle read {supplies:?}");
    reading
}

/// Fails unless `holds` is true of every text in `yes` and of none in `no`,
/// naming the text that went the wrong way: for a strategy's recognisers
/// (service codes, fault words) tested over texts a device shows.
#[track_caller]
pub fn assert_recognises(holds: impl Fn(&str) -> bool, yes: &[&str], no: &[&str]) {
    for (texts, expected) in [(yes, true), (no, false)] {
        for text in texts {
            assert_eq!(holds(text), expected, "{text:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, StrategyError, StrategyInfo};

    /// Reports whatever counter the device's sysName names.
    struct Echo;

    impl Strategy for Echo {
        fn describe() -> StrategyInfo {
            StrategyInfo {
                name: "echo".into(),
                version: "1.0.0".into(),
                vendor: "Quire tests".into(),
                description: "Reports the counter its device names.".into(),
                match_rules: Vec::new(),
            }
        }

        fn collect(device: &Device<'_>, _: Cycle) -> Result<Reading, StrategyError> {
            let name = device
                .get_value(crate::oids::SYS_NAME)?
                .and_then(|v| v.as_text());
            let mut reading = Reading::default();
            reading
                .counters
                .extend(name.map(|name| Counter { name, value: 1 }));
            Ok(reading)
        }
    }

    fn naming(counter: &str) -> Recorded {
        Recorded::from_snmprec(
            "lab/echo.snmprec",
            &format!("1.3.6.1.2.1.1.5.0|4|{counter}\n"),
        )
    }

    fn counting(counters: &[(&str, u64)]) -> Reading {
        let mut reading = Reading::default();
        for (name, value) in counters {
            crate::standard::set_counter(&mut reading, name, *value);
        }
        reading
    }

    #[test]
    fn counters_are_compared_in_any_order() {
        let reading = counting(&[("mono", 3), ("total", 5)]);
        assert_counters(&reading, &[("total", 5), ("mono", 3)]);
    }

    #[test]
    #[should_panic(expected = "counters read (left) and expected (right)")]
    fn an_extra_counter_fails_the_comparison() {
        assert_counters(&counting(&[("mono", 3), ("total", 5)]), &[("total", 5)]);
    }

    #[test]
    #[should_panic(expected = "\"C600\"")]
    fn a_text_recognised_the_wrong_way_is_named() {
        assert_recognises(|text| text.starts_with('C'), &["C6000"], &["C600"]);
    }

    #[test]
    fn a_counter_outside_the_vocabulary_fails_the_replay() {
        assert_eq!(
            replay::<Echo>(&naming("colour"), Cycle::Discovery),
            Err(format!("lab/echo.snmprec: {}", counters::unknown("colour")))
        );
        let known = replay::<Echo>(&naming(counters::COLOR), Cycle::Discovery).unwrap();
        assert_eq!(known.counter(counters::COLOR), Some(1));
    }
}
