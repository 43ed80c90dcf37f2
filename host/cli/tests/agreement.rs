//! How far Quire's readings of the recorded printers agree with what the
//! projects that recorded them expect (`fixtures/recorded/*/expected/*.json`).
//!
//! The expected values are the peers' own test data, never Quire's output
//! copied back. They carry the peers' policies too: LibreNMS reports a level of
//! -3 ("some remaining") as 50 %, and a level over an unknown capacity (-2) as
//! if the capacity were 100, where the recording holds no percentage and Quire
//! reports none. Such rows are counted apart as policy differences, never as
//! agreement.
//!
//! LibreNMS's Brother hardware is the printer's mDNS service name, which
//! Brother makes unique on a network by appending the MAC address
//! (`HL-5370DW [001ba90ba752]`); where the bracket holds the device's own MAC,
//! that row is a policy difference too, and counts as one only when the rest
//! of the model agrees.
//!
//! The test prints a table per maker and per field, with how many recordings
//! back each cell, and fails when agreement drops under the floors below.
//! Raise them as strategies improve; never lower them to pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Floors, in percent of the fields the peers state: what the strategies
/// reach over 49 recordings (49/49 makers, 27/27 models plus one MAC-suffix
/// policy row, 23/23 serials, 21/21 firmware versions, 142/142 supply
/// percentages, 18/18 totals). Two of issue 13's classes were misses on the
/// recordings added for it until they were fixed: the Zebra label printer's
/// maker, which no family knew, and the 39 remaining-life percentages the
/// brother library decodes from `brInfoMaintenance` (72.5 % before). On the
/// first 31 recordings every field was at 100 %; the generic strategy alone
/// reached 93 %, 62 % and 72 % on maker, model and serial there.
const FLOOR_MANUFACTURER: f64 = 100.0;
const FLOOR_MODEL: f64 = 100.0;
const FLOOR_SERIAL: f64 = 100.0;
const FLOOR_FIRMWARE: f64 = 100.0;
const FLOOR_TOTAL: f64 = 100.0;
const FLOOR_SUPPLY_PERCENT: f64 = 100.0;

fn recorded() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded")
}

#[derive(Default)]
struct Tally {
    agree: usize,
    total: usize,
    policy: usize,
    misses: Vec<String>,
    /// The recordings that state the field, so a reader sees how thin it is.
    recordings: BTreeSet<String>,
}

impl Tally {
    fn check(&mut self, file: &str, ok: bool, what: impl FnOnce() -> String) {
        self.recordings.insert(file.to_owned());
        self.total += 1;
        if ok {
            self.agree += 1;
        } else {
            self.misses.push(format!("{file}: {}", what()));
        }
    }

    fn policy_difference(&mut self, file: &str) {
        self.recordings.insert(file.to_owned());
        self.policy += 1;
    }

    fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.agree as f64 / self.total as f64
        }
    }
}

fn norm(s: &str) -> String {
    s.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A model agrees when ours contains the peer's, ignoring case, spacing and
/// the maker's name: peers keep or strip the maker and marketing suffixes
/// differently ("Brother MFC-L2710DW series" against "MFC-L2710DW", "S5830dn"
/// against "Dell S5830dn"), and Quire reports the maker in its own field.
fn model_agrees(ours: Option<&str>, expected: &str, maker: Option<&str>) -> bool {
    let without_maker = |s: &str| {
        let s = norm(s);
        match maker.map(norm) {
            Some(m) if !m.is_empty() => s
                .replace(&m, " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            _ => s,
        }
    };
    ours.is_some_and(|o| without_maker(o).contains(&without_maker(expected)))
}

/// The peer's model without a trailing `[<MAC>]` that is the device's own MAC
/// address (`mac` as Quire reads it, `00:1b:a9:0b:a7:52`); `None` when there is none.
fn without_mac_suffix(expected: &str, mac: Option<&str>) -> Option<String> {
    let (model, bracket) = expected.trim_end().strip_suffix(']')?.rsplit_once('[')?;
    let mac = mac?.replace(':', "");
    bracket
        .eq_ignore_ascii_case(&mac)
        .then(|| model.trim_end().to_owned())
}

/// A maker agrees when the peer's text names ours ("Gestetner (Ricoh brand)"
/// names Ricoh) or ours names the peer's brand.
fn manufacturer_agrees(ours: Option<&str>, expected: &str) -> bool {
    let Some(ours) = ours.map(norm).filter(|o| !o.is_empty()) else {
        return false;
    };
    let expected = norm(expected);
    let brand = expected.split([' ', '(']).next().unwrap_or_default();
    expected.contains(&ours) || ours.contains(brand)
}

/// The quoted alternatives of a PrintMaster `model_assertion`
/// (`hrDeviceDescr must contain "P2040" or "ECOSYS"`); none means non-empty.
fn quoted(assertion: &str) -> Vec<String> {
    assertion
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The recorded sets with their expected values, and the strategy each must
/// be replayed with where its recordings cannot name their maker: the
/// brother library's fixtures hold Brother's private MIB without the
/// system group, which is how that library reads a printer.
const SETS: [(&str, Option<&str>); 3] = [
    ("librenms", None),
    ("printmaster", None),
    ("bieniu-brother", Some("brother")),
];

/// Quire's readings of the recordings, in their order.
fn replay<'a>(strategy: Option<&str>, recordings: impl Iterator<Item = &'a PathBuf>) -> Vec<Value> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
    command.args(["replay", "--format", "json"]);
    if let Some(name) = strategy {
        command.args(["--strategy", name]);
    }
    let out = command.args(recordings).output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("replay ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

/// The maker a peer names, without its remark ("Lanier (Ricoh brand)" is
/// Lanier): the table is per maker so that thin coverage shows.
fn maker_of(expected: &Value) -> String {
    let named = expected["manufacturer"].as_str().unwrap_or("?");
    named.split(" (").next().unwrap_or(named).trim().to_owned()
}

/// Whether a supply of ours is the one a peer names by words alone, where
/// the recording has no Printer-MIB supply table to give an index.
fn described_as(ours: &Value, words: &Value) -> bool {
    let description = ours["description"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    let words: Vec<&str> = words
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    !words.is_empty() && words.iter().all(|w| description.contains(w))
}

#[test]
fn readings_agree_with_the_peers_expected_values() {
    let mut readings = Vec::new();
    let mut pairs = Vec::new();
    for (set, strategy) in SETS {
        let dir = recorded().join(set).join("expected");
        let mut set_pairs = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let recording = recorded().join(set).join(format!("{stem}.snmprec"));
            let expected: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            set_pairs.push((stem, recording, expected));
        }
        set_pairs.sort_by(|a, b| a.0.cmp(&b.0));
        readings.extend(replay(strategy, set_pairs.iter().map(|p| &p.1)));
        pairs.extend(set_pairs);
    }
    assert_eq!(readings.len(), pairs.len());

    // (maker the peer names, field) → tally.
    let mut book: BTreeMap<(String, &str), Tally> = BTreeMap::new();
    // maker → (recordings, strategies that read them)
    let mut makers: BTreeMap<String, (usize, BTreeSet<String>)> = BTreeMap::new();
    for ((stem, _, expected), ours) in pairs.iter().zip(&readings) {
        let vendor = maker_of(expected);
        let seen = makers.entry(vendor.clone()).or_default();
        seen.0 += 1;
        seen.1
            .insert(ours["strategy"]["name"].as_str().unwrap_or("?").to_owned());
        let id = &ours["identity"];
        if let Some(m) = expected["manufacturer"].as_str() {
            let got = id["manufacturer"].as_str();
            book.entry((vendor.clone(), "manufacturer"))
                .or_default()
                .check(stem, manufacturer_agrees(got, m), || {
                    format!("manufacturer {got:?}, expected {m:?}")
                });
        }
        let got_model = id["model"].as_str();
        let maker = id["manufacturer"].as_str();
        let mac_suffixed = expected["model"]
            .as_str()
            .and_then(|m| without_mac_suffix(m, id["mac"].as_str()))
            .is_some_and(|bare| model_agrees(got_model, &bare, maker));
        if mac_suffixed {
            book.entry((vendor.clone(), "model"))
                .or_default()
                .policy_difference(stem);
        } else if let Some(m) = expected["model"].as_str() {
            book.entry((vendor.clone(), "model")).or_default().check(
                stem,
                model_agrees(got_model, m, maker),
                || format!("model {got_model:?}, expected {m:?}"),
            );
        } else if let Some(assertion) = expected["model_assertion"].as_str() {
            let alternatives = quoted(assertion);
            let ok = match got_model {
                Some(m) if alternatives.is_empty() => !m.trim().is_empty(),
                Some(m) => alternatives.iter().any(|a| m.contains(a.as_str())),
                None => false,
            };
            book.entry((vendor.clone(), "model"))
                .or_default()
                .check(stem, ok, || format!("model {got_model:?}: {assertion}"));
        }
        if let Some(s) = expected["serial"].as_str() {
            let got = id["serial"].as_str();
            book.entry((vendor.clone(), "serial")).or_default().check(
                stem,
                got.is_some_and(|g| g.trim().eq_ignore_ascii_case(s.trim())),
                || format!("serial {got:?}, expected {s:?}"),
            );
        }
        if let Some(f) = expected["firmware"].as_str() {
            let got = id["firmware"].as_str();
            book.entry((vendor.clone(), "firmware")).or_default().check(
                stem,
                got.is_some_and(|g| g.trim().eq_ignore_ascii_case(f.trim())),
                || format!("firmware {got:?}, expected {f:?}"),
            );
        }
        let counters = &expected["counters"];
        if let Some(total) = counters["prtMarkerLifeCount"]
            .as_u64()
            .or(counters["total"].as_u64())
        {
            let got = ours["counters"]["total"].as_u64();
            book.entry((vendor.clone(), "total counter"))
                .or_default()
                .check(stem, got == Some(total), || {
                    format!("total {got:?}, expected {total}")
                });
        }
        for supply in expected["supplies"].as_array().into_iter().flatten() {
            let index = supply["index"].as_u64();
            let want = supply["percent"].as_u64();
            let found = ours["supplies"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| match index {
                    Some(_) => s["index"].as_u64() == index,
                    None => described_as(s, &supply["match"]),
                });
            let tally = book.entry((vendor.clone(), "supply percent")).or_default();
            let got = found.and_then(|s| s["percent"].as_u64());
            let state = found.and_then(|s| s["state"].as_str());
            let raw = |key: &str| found.and_then(|s| s[key].as_i64());
            let no_percentage_recorded =
                raw("level").is_some_and(|l| l < 0) || raw("max").is_some_and(|m| m <= 0);
            if got.is_none() && no_percentage_recorded {
                tally.policy_difference(stem);
                continue;
            }
            tally.check(stem, got.is_some() && got == want, || {
                format!(
                    "supply {index:?} {:?}: percent {got:?} ({state:?}), expected {want:?}",
                    supply["description"]
                )
            });
        }
    }

    let mut fields: BTreeMap<&str, Tally> = BTreeMap::new();
    for ((_, field), t) in &book {
        let sum = fields.entry(*field).or_default();
        sum.agree += t.agree;
        sum.total += t.total;
        sum.policy += t.policy;
        sum.misses.extend(t.misses.iter().cloned());
        sum.recordings.extend(t.recordings.iter().cloned());
    }

    println!(
        "\nagreement with the peers' expected values, per maker \
         (agree/of, +policy, in how many recordings where that differs)"
    );
    let columns = [
        "manufacturer",
        "model",
        "serial",
        "firmware",
        "total counter",
        "supply percent",
    ];
    println!(
        "{:<16} {:>4} {:<32} {:>13} {:>9} {:>9} {:>9} {:>14} {:>17}",
        "maker",
        "recs",
        "read by",
        columns[0],
        columns[1],
        columns[2],
        columns[3],
        columns[4],
        columns[5]
    );
    for (maker, (recordings, strategies)) in &makers {
        let cell = |field: &str| match book.get(&(maker.clone(), field)) {
            Some(t) => {
                let mut cell = format!("{}/{}", t.agree, t.total);
                if t.policy > 0 {
                    cell += &format!(" +{}", t.policy);
                }
                if t.recordings.len() != t.total + t.policy {
                    cell += &format!(" in {}", t.recordings.len());
                }
                cell
            }
            None => "-".into(),
        };
        let read_by = strategies.iter().cloned().collect::<Vec<_>>().join(", ");
        println!(
            "{:<16} {:>4} {:<32} {:>13} {:>9} {:>9} {:>9} {:>14} {:>17}",
            maker,
            recordings,
            read_by,
            cell(columns[0]),
            cell(columns[1]),
            cell(columns[2]),
            cell(columns[3]),
            cell(columns[4]),
            cell(columns[5])
        );
    }

    println!("\nagreement with the peers' expected values, per field");
    println!(
        "{:<16} {:>6} {:>6} {:>8} {:>7} {:>11}",
        "field", "agree", "of", "percent", "policy", "recordings"
    );
    for (name, t) in &fields {
        println!(
            "{:<16} {:>6} {:>6} {:>7.1}% {:>7} {:>11}",
            name,
            t.agree,
            t.total,
            t.percent(),
            t.policy,
            t.recordings.len()
        );
    }
    for (name, t) in &fields {
        for miss in &t.misses {
            println!("  {name}: {miss}");
        }
    }
    let floors = [
        ("manufacturer", FLOOR_MANUFACTURER),
        ("model", FLOOR_MODEL),
        ("serial", FLOOR_SERIAL),
        ("firmware", FLOOR_FIRMWARE),
        ("total counter", FLOOR_TOTAL),
        ("supply percent", FLOOR_SUPPLY_PERCENT),
    ];
    for (name, floor) in floors {
        let got = fields.get(name).map(Tally::percent).unwrap_or(0.0);
        assert!(
            got >= floor,
            "{name}: {got:.1}% is under the floor of {floor}%"
        );
    }
}

/// Floor for the embedded-web-server family on aiohpprinter's recorded pages,
/// over every field its tests state (model, the printer, scan, copy and fax
/// counters, supply percentages, the device status): all 43 agree.
const FLOOR_EWS: f64 = 100.0;

/// HP's one-letter cartridge label codes, as aiohpprinter's `consumable_id`
/// gives them; other codes (`CMY`) name the supply themselves.
fn label_name(code: &str) -> &str {
    match code {
        "K" => "black",
        "C" => "cyan",
        "M" => "magenta",
        "Y" => "yellow",
        other => other,
    }
}

#[test]
fn web_page_readings_agree_with_aiohpprinters_expected_values() {
    let set = recorded().join("aiohpprinter");
    let mut printers: Vec<(String, PathBuf, Value)> = std::fs::read_dir(&set)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let expected: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                    .unwrap();
            (
                name.clone(),
                set.join(format!("{name}.exchanges.jsonl")),
                expected,
            )
        })
        .collect();
    printers.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(printers.len(), 5, "the five recorded printers");

    let out = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["replay", "--strategy", "hp-ews", "--format", "json"])
        .args(printers.iter().map(|p| &p.1))
        .output()
        .unwrap();
    let readings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(readings.len(), printers.len());

    // (field, aiohpprinter's section and key, Quire's counter)
    let counters = [
        ("total", "printer_usage", "total_impressions", "total"),
        ("mono", "printer_usage", "monochrome_impressions", "mono"),
        ("color", "printer_usage", "color_impressions", "color"),
        ("duplex", "printer_usage", "duplex_sheets", "duplex"),
        ("scan", "scanner_usage", "scan_images", "scan"),
        ("copy", "copy_usage", "total_impressions", "copy"),
        ("fax", "fax_usage", "total_impressions", "fax"),
    ];
    // printer → field → tally
    let mut book: BTreeMap<String, BTreeMap<&str, Tally>> = BTreeMap::new();
    for ((name, _, expected), ours) in printers.iter().zip(&readings) {
        assert_eq!(ours["strategy"]["name"], "hp-ews", "{name}: {ours}");
        let row = book.entry(name.clone()).or_default();
        if let Some(m) = expected["device"]["make_and_model"].as_str() {
            let got = ours["identity"]["model"].as_str();
            row.entry("model")
                .or_default()
                .check(name, model_agrees(got, m, Some("HP")), || {
                    format!("model {got:?}, expected {m:?}")
                });
        }
        for (field, section, key, counter) in counters {
            if let Some(want) = expected[section][key].as_u64() {
                let got = ours["counters"][counter].as_u64();
                row.entry(field)
                    .or_default()
                    .check(name, got == Some(want), || {
                        format!("{counter} {got:?}, expected {want}")
                    });
            }
        }
        for consumable in expected["consumables"].as_array().into_iter().flatten() {
            let Some(want) = consumable["percentage_level_remaining"].as_f64() else {
                continue;
            };
            let label = label_name(consumable["consumable_id"].as_str().unwrap_or_default());
            let found = ours["supplies"].as_array().into_iter().flatten().find(|s| {
                s["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(&format!("{label} ")))
            });
            let got = found.and_then(|s| s["percent"].as_f64());
            row.entry("supply percent")
                .or_default()
                .check(name, got == Some(want), || {
                    format!("supply {label}: percent {got:?}, expected {want}")
                });
        }
        if let Some(want) = expected["status"]["device_status"].as_str() {
            let console = ours["status"]["console"].as_str().unwrap_or_default();
            row.entry("status").or_default().check(
                name,
                console.lines().any(|l| l.eq_ignore_ascii_case(want)),
                || format!("status lines {console:?}, expected {want:?}"),
            );
        }
    }

    let fields = [
        "model",
        "total",
        "mono",
        "color",
        "duplex",
        "scan",
        "copy",
        "fax",
        "supply percent",
        "status",
    ];
    println!(
        "\nhp-ews on aiohpprinter's recorded pages: agreement with its expected.json (agree/of)"
    );
    print!("{:<40}", "printer");
    for field in fields {
        print!(" {field:>8}");
    }
    println!();
    let mut all = Tally::default();
    for (printer, row) in &book {
        print!("{printer:<40}");
        for field in fields {
            let cell = row
                .get(field)
                .map_or("-".into(), |t| format!("{}/{}", t.agree, t.total));
            print!(" {cell:>8}");
        }
        println!();
        for t in row.values() {
            all.agree += t.agree;
            all.total += t.total;
            all.misses.extend(t.misses.iter().cloned());
        }
    }
    println!(
        "all fields: {}/{} ({:.1}%)",
        all.agree,
        all.total,
        all.percent()
    );
    for miss in &all.misses {
        println!("  {miss}");
    }
    assert!(
        all.percent() >= FLOOR_EWS,
        "{:.1}% is under the floor of {FLOOR_EWS}%",
        all.percent()
    );
}
