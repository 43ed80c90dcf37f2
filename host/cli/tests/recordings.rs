//! `quire replay` over every recorded printer, through the built-in WASM
//! strategies exactly as a user runs it: snapshots of each reading, agreement
//! with the values other projects expect of the same recordings, and per-file
//! errors that never stop the rest.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn recordings() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for set in ["librenms", "printmaster"] {
        let dir = fixtures().join("recorded").join(set);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "snmprec") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs `quire replay --format json` from `fixtures/`, as a user in that
/// folder would (so file names in the output do not depend on the checkout's
/// location), and returns (exit code, one object per file, stderr).
fn replay(args: &[&str], files: &[PathBuf]) -> (i32, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quire"))
        .current_dir(fixtures())
        .arg("replay")
        .args(["--format", "json"])
        .args(args)
        .args(
            files
                .iter()
                .map(|f| f.strip_prefix(fixtures()).unwrap_or(f)),
        )
        .output()
        .expect("quire runs");
    let stdout = String::from_utf8(out.stdout).expect("JSON is UTF-8");
    let parsed: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"));
    let Value::Array(objects) = parsed else {
        panic!("expected a JSON array, got {stdout}")
    };
    (
        out.status.code().unwrap_or(-1),
        objects,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_recording_replays_without_error_and_matches_its_snapshot() {
    let files = recordings();
    assert!(files.len() >= 31, "fixtures missing: {}", files.len());
    let (code, readings, stderr) = replay(&[], &files);
    assert_eq!(code, 0, "replay failed: {stderr}");
    assert_eq!(readings.len(), files.len());
    for reading in &readings {
        let file = reading["file"].as_str().unwrap().to_owned();
        assert!(
            reading.get("error").is_none(),
            "{file}: {}",
            reading["error"]
        );
        for key in [
            "strategy", "identity", "status", "counters", "supplies", "alerts",
        ] {
            assert!(reading.get(key).is_some(), "{file}: no {key}");
        }
        let mut shown = reading.clone();
        shown["file"] = Value::String(stem(&file));
        insta::with_settings!({
            snapshot_path => fixtures().join("snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_json_snapshot!(stem(&file), shown);
        });
    }
}

#[test]
fn the_shared_recordings_replay_too() {
    // CI clones the repo with shared/ beside it; the copies in fixtures/ must
    // not drift from the originals, and every original must replay.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/recorded");
    let Ok(sets) = std::fs::read_dir(&shared) else {
        eprintln!("no shared/ beside this checkout; the fixtures/ copies were tested instead");
        return;
    };
    let mut files = Vec::new();
    for set in sets {
        let set = set.unwrap().path();
        for entry in std::fs::read_dir(&set).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "snmprec") {
                let copy = fixtures()
                    .join("recorded")
                    .join(set.file_name().unwrap())
                    .join(path.file_name().unwrap());
                assert_eq!(
                    std::fs::read(&path).unwrap(),
                    std::fs::read(&copy).unwrap_or_default(),
                    "{} differs from its copy in fixtures/",
                    path.display()
                );
                files.push(path);
            }
        }
    }
    let (code, readings, stderr) = replay(&[], &files);
    assert_eq!(code, 0, "{stderr}");
    assert!(readings.iter().all(|r| r.get("error").is_none()));
}

#[test]
fn a_corrupt_line_costs_only_its_varbind_and_is_reported_with_file_and_line() {
    let okilan = fixtures().join("recorded/librenms/okilan_9450g.snmprec");
    let (code, readings, _) = replay(&[], &[okilan]);
    assert_eq!(code, 0);
    let warnings = readings[0]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap();
    assert!(warning.contains("okilan_9450g.snmprec:23"), "{warning}");
    assert!(warning.contains("6git3159"), "{warning}");
    assert_eq!(readings[0]["supplies"].as_array().unwrap().len(), 10);
}

/// Replays `other` (a file under `fixtures/`) beside the recording it was
/// made from, with `args`, asserts that both read the same but for the file
/// name and the warnings, and returns the warnings of `other`.
fn replayed_like(args: &[&str], recorded: &str, other: &str) -> Vec<String> {
    let files = [fixtures().join(recorded), fixtures().join(other)];
    let (code, readings, stderr) = replay(args, &files);
    assert_eq!(code, 0, "{stderr}");
    let [recorded, other] = &readings[..] else {
        panic!("{readings:?}")
    };
    let reading = |r: &Value| {
        let mut r = r.clone();
        r["file"] = Value::Null;
        r["warnings"] = Value::Null;
        r
    };
    assert_eq!(reading(other), reading(recorded));
    serde_json::from_value(other["warnings"].clone()).unwrap()
}

#[test]
fn a_walk_printed_with_mib_names_reads_as_the_recording_it_was_walked_from() {
    // fixtures/derived/epson_sc_named.walk is net-snmp's snmpwalk, with MIBs
    // loaded, of the recorded Epson SC-T3405 (see fixtures/derived/SOURCES.md).
    let warnings = replayed_like(
        &[],
        "recorded/printmaster/epson_sc_snmp.snmprec",
        "derived/epson_sc_named.walk",
    );
    assert_eq!(warnings, [""; 0]);
}

#[test]
fn walks_printed_with_vendor_mib_names_read_as_the_recordings_they_were_walked_from() {
    // net-snmp's snmpwalk of recordings the Ricoh, Brother and Lexmark families
    // read vendor objects from, with the vendor MIBs of host/snmp/mibs loaded
    // (`RicohPrivateMIB::ricohSysName`, `BROTHER-MIB::brInfoCounter.0`,
    // `LEXMARK-MPS-MIB::deviceModel.1`; see fixtures/derived/SOURCES.md). No
    // name may go unresolved.
    let warnings = replayed_like(
        &[],
        "recorded/librenms/ricoh_mpc3002.snmprec",
        "derived/ricoh_mpc3002_named.walk",
    );
    assert_eq!(warnings, [""; 0]);
    // The Brother library's capture holds Brother's objects only, no
    // sysObjectID, so it is read with the Brother strategy named.
    let warnings = replayed_like(
        &["--strategy", "brother"],
        "recorded/bieniu-brother/dcp-l3550cdw.snmprec",
        "derived/brother_dcp-l3550cdw_named.walk",
    );
    assert_eq!(warnings, [""; 0]);
    let warnings = replayed_like(
        &[],
        "derived/lexmark_private.snmprec",
        "derived/lexmark_private_named.walk",
    );
    assert_eq!(warnings, [""; 0]);
}

#[test]
fn zebra_walks_printed_with_zebra_and_esi_mib_names_read_as_their_recordings() {
    // net-snmp's snmpwalk, with ZEBRA-MIB and ESI-MIB loaded, of the recorded
    // ZebraNet print server (model, firmware and device ID by their ZEBRA-MIB
    // names) and of the QLn behind an ESI print server (ESI-MIB serial and
    // firmware, ZEBRA-QL-MIB product name); see fixtures/derived/SOURCES.md.
    // The Zebra family reads them as it reads the numbers.
    for (recorded, walk) in [
        (
            "recorded/librenms/zebra.snmprec",
            "derived/zebra_named.walk",
        ),
        (
            "derived/zebra_ql_esi.snmprec",
            "derived/zebra_ql_esi_named.walk",
        ),
    ] {
        let warnings = replayed_like(&[], recorded, walk);
        assert_eq!(warnings, [""; 0], "{walk}");
    }
}

#[test]
fn xerox_walks_printed_with_xerox_mib_names_read_as_their_recordings() {
    // net-snmp's snmpwalk, with XEROX-HOST-RESOURCES-EXT-MIB and
    // XEROX-COMMON-MIB loaded, of the Xerox counters fixture (the page
    // counters as `xcmHrDevDetailValueInteger.1.20.1`, some printed `Wrong
    // Type (should be INTEGER): Counter32: …`) and of the recorded AltaLink;
    // see fixtures/derived/SOURCES.md. The Xerox family reads them as it
    // reads the numbers, counters included.
    for (recorded, walk) in [
        (
            "derived/xerox_counters.snmprec",
            "derived/xerox_counters_named.walk",
        ),
        (
            "recorded/librenms/xerox.snmprec",
            "derived/xerox_named.walk",
        ),
    ] {
        let warnings = replayed_like(&[], recorded, walk);
        assert_eq!(warnings, [""; 0], "{walk}");
    }
}

#[test]
fn a_walk_name_not_in_the_mib_table_is_a_warning_naming_it_and_the_rest_reads() {
    let dir = tempdir();
    let walk = dir.join("brother.walk");
    std::fs::write(
        &walk,
        concat!(
            "SNMPv2-MIB::sysDescr.0 = STRING: Brother NC-8300h\n",
            "SNMPv2-MIB::sysObjectID.0 = OID: SNMPv2-SMI::enterprises.2435.2.3.9.1\n",
            "IP-MIB::ipForwarding.0 = INTEGER: notForwarding(2)\n",
            "HOST-RESOURCES-MIB::hrDeviceType.1 = OID: HOST-RESOURCES-TYPES::hrDevicePrinter\n",
            "HOST-RESOURCES-MIB::hrDeviceDescr.1 = STRING: Brother HL-L5100DN series\n",
        ),
    )
    .unwrap();
    let (code, readings, stderr) = replay(&[], &[walk]);
    assert_eq!(code, 0, "{stderr}");
    let warnings = readings[0]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap();
    assert!(warning.contains("brother.walk:3"), "{warning}");
    assert!(warning.contains("IP-MIB::ipForwarding"), "{warning}");
    assert_eq!(
        readings[0]["strategy"]["name"], "brother",
        "{}",
        readings[0]
    );
}

#[test]
fn a_file_that_is_no_recording_fails_alone_and_the_rest_still_print() {
    let dir = tempdir();
    let garbage = dir.join("garbage.snmprec");
    std::fs::write(&garbage, "this is not\na recording\n").unwrap();
    let missing = dir.join("missing.snmprec");
    let good = fixtures().join("recorded/librenms/jetdirect.snmprec");
    let (code, readings, _) = replay(&[], &[garbage, missing, good]);
    assert_eq!(code, 1, "a failed file makes the exit code 1");
    assert_eq!(readings.len(), 3);
    let err = readings[0]["error"].as_str().unwrap();
    assert!(err.contains("garbage.snmprec:1"), "{err}");
    let err = readings[1]["error"].as_str().unwrap();
    assert!(err.contains("missing.snmprec"), "{err}");
    assert_eq!(readings[2]["supplies"].as_array().unwrap().len(), 4);
}

#[test]
fn a_capture_kept_in_net_snmp_display_form_reads_as_the_device_sent_it_and_says_so() {
    // The derived file is xerox.snmprec with its twelve supply descriptions kept
    // as net-snmp displays them (text, newline, hex dump of the rest).
    let warnings = replayed_like(
        &[],
        "recorded/librenms/xerox.snmprec",
        "derived/xerox_netsnmp_display.snmprec",
    );
    let displayed: Vec<&String> = warnings
        .iter()
        .filter(|w| w.contains("as net-snmp displayed it"))
        .collect();
    assert_eq!(displayed.len(), 12, "{warnings:?}");
    assert!(
        displayed[0].contains("xerox_netsnmp_display.snmprec:8"),
        "{}",
        displayed[0]
    );
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "quire-cli-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn explain_names_the_family_chosen_and_the_candidates_it_beat() {
    // A Toshiba built on a Lexmark engine answers with Lexmark's sysObjectID;
    // the Toshiba family must win it by its sysDescr, and --explain must say so.
    let estudio = fixtures().join("recorded/librenms/toshiba-tec_estudio305.snmprec");
    let unknown = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/strategy/sample.snmprec");
    let out = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["replay", "--explain", "--format", "json"])
        .args([&estudio, &unknown])
        .output()
        .unwrap();
    assert!(out.status.success());
    let readings: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(readings[0]["strategy"]["name"], "toshiba");
    assert_eq!(readings[1]["strategy"]["name"], "printer-mib");
    let explained = String::from_utf8_lossy(&out.stderr);
    let line = |needle: &str| {
        explained
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{explained}"))
    };
    assert!(line("toshiba@0.1.0 chosen because").contains("sysDescr contains \"TOSHIBA\""));
    assert!(line("lexmark@0.1.0 (sysObjectID starts with 1.3.6.1.4.1.641)").ends_with("declined"));
    assert!(line("sample.snmprec").contains("no strategy claimed the device"));
}

#[test]
fn the_embedded_web_server_family_reads_its_pages_from_the_exchange_log() {
    // An HP inkjet whose SNMP has no page counters: hp-ews claims it over hp
    // and reads the LEDM pages replayed from hp_ews_envy.exchanges.jsonl.
    // Expected values are those written in fixtures/derived/hp_ews_envy/*.xml.
    let envy = fixtures().join("derived/hp_ews_envy.snmprec");
    let (code, readings, stderr) = replay(&["--explain"], &[envy]);
    assert_eq!(code, 0, "{stderr}");
    let r = &readings[0];
    assert_eq!(r["strategy"]["name"], "hp-ews", "{stderr}");
    assert!(
        stderr.contains("hp@0.1.0 (sysObjectID starts with 1.3.6.1.4.1.11.2.3.9): scored 110"),
        "{stderr}"
    );
    assert_eq!(
        r["identity"]["model"],
        "ENVY 6000 All-in-One Printer series"
    );
    assert_eq!(r["identity"]["serial"], "TH00Q0000X");
    let counters = &r["counters"];
    for (name, value) in [
        ("total", 1250),
        ("mono", 800),
        ("color", 450),
        ("duplex", 120),
        ("scan", 310),
        ("copy", 95),
    ] {
        assert_eq!(counters[name], value, "{name}");
    }
    let supplies = r["supplies"].as_array().unwrap();
    assert_eq!(
        supplies.len(),
        2,
        "the printhead is no supply: {supplies:?}"
    );
    assert_eq!(supplies[0]["percent"], 62);
    assert_eq!(supplies[0]["part_number"], "3YM56A");
    assert_eq!(supplies[0]["serial"], "0000A1B2C3");
    assert_eq!(supplies[1]["color"], "cyan");
    assert_eq!(supplies[1]["state"], "low");
    assert!(supplies[1]["percent"].is_null());
}

/// The exchange logs of aiohpprinter's recorded printers, one per printer.
fn recorded_web_pages() -> Vec<PathBuf> {
    let dir = fixtures().join("recorded/aiohpprinter");
    let mut logs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".exchanges.jsonl"))
        .collect();
    logs.sort();
    logs
}

#[test]
fn the_recorded_web_pages_are_served_byte_for_byte() {
    // The logs are generated from the recorded pages by
    // scripts/ledm-pages-to-exchanges; each answer must be its page unchanged.
    let logs = recorded_web_pages();
    assert_eq!(logs.len(), 5);
    for log in &logs {
        let folder = PathBuf::from(log.to_string_lossy().replace(".exchanges.jsonl", ""));
        let loaded = quire_transport::ExchangeLog::load_lenient(log).unwrap();
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let exchanges = loaded.log.exchanges();
        assert!(!exchanges.is_empty(), "{}", log.display());
        for exchange in exchanges {
            let quire_transport::Exchange::Http { request, answer } = exchange else {
                panic!("{}: only web pages were recorded", log.display());
            };
            let page = folder.join(request.path.trim_start_matches("/DevMgmt/"));
            let body = &answer.as_ref().unwrap().body;
            assert_eq!(
                body,
                &std::fs::read(&page).unwrap(),
                "{} differs from {}",
                request.path,
                page.display()
            );
        }
    }
}

#[test]
fn the_recorded_web_pages_replay_through_hp_ews_and_match_their_snapshots() {
    let logs = recorded_web_pages();
    let (code, readings, stderr) = replay(&["--strategy", "hp-ews"], &logs);
    assert_eq!(code, 0, "replay failed: {stderr}");
    assert_eq!(readings.len(), logs.len());
    for reading in &readings {
        let file = reading["file"].as_str().unwrap().to_owned();
        assert_eq!(reading["strategy"]["name"], "hp-ews", "{file}");
        let printer = stem(&file).trim_end_matches(".exchanges").to_owned();
        let mut shown = reading.clone();
        shown["file"] = Value::String(printer.clone());
        insta::with_settings!({
            snapshot_path => fixtures().join("snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_json_snapshot!(format!("hp-ews_{printer}"), shown);
        });
    }

    // Without SNMP there is nothing to choose a strategy from: the log
    // fails alone, saying so, and the recording beside it still reads.
    let kyocera = fixtures().join("recorded/librenms/kyocera.snmprec");
    let (code, readings, _) = replay(&[], &[logs[0].clone(), kyocera]);
    assert_eq!(code, 1);
    let error = readings[0]["error"].as_str().unwrap();
    assert!(error.contains("name one with --strategy"), "{error}");
    assert!(readings[1].get("error").is_none(), "{}", readings[1]);
}
