//! The hp-ews strategy end to end: over a recorded printer's exchange log
//! through the SDK's harness, as `quire replay` reads it; and over the
//! derived ENVY recording, SNMP from `hp_ews_envy.snmprec` and HTTP from the
//! four pages in `hp_ews_envy/` through a transport here that can also make a
//! page fail. Expected values are the recordings' sources' (aiohpprinter's
//! `expected.json`) or the ones written into those files, never Quire's output.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use quire_plugins_sdk::counters::{COLOR, COPY, DUPLEX, FAX, MONO, SCAN, TOTAL};
use quire_plugins_sdk::harness::{Recorded, percents, read};
use quire_plugins_sdk::{
    AlertSeverity, Cycle, Device, DeviceStatus, ErrorState, HttpMethod, HttpRequest, HttpResponse,
    Oid, Probe, Reading, Strategy, SupplyState, Transport, TransportError, Varbind,
};
use quire_strategy_hp_ews::{
    CONSUMABLE_CONFIG, HpEws, PRODUCT_CONFIG, PRODUCT_STATUS, PRODUCT_USAGE,
};

const PAGES: [&str; 4] = [
    PRODUCT_CONFIG,
    PRODUCT_USAGE,
    CONSUMABLE_CONFIG,
    PRODUCT_STATUS,
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn recording(relative: &str) -> Recorded {
    Recorded::load(&fixtures().join(relative)).unwrap_or_else(|e| panic!("{e}"))
}

/// The page file for a device path (`/DevMgmt/X.xml` → `hp_ews_envy/X.xml`).
fn page_file(path: &str) -> String {
    let name = path.trim_start_matches("/DevMgmt/");
    let file = fixtures().join("derived/hp_ews_envy").join(name);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// How the web server answers one page.
#[derive(Clone, Copy)]
enum Answer {
    Page,
    NotFound,
    Timeout,
    Html,
}

/// SNMP from a recording, HTTP from the page files; answers only the exact
/// request the exchange log holds (GET, plain HTTP, default port, no body)
/// and notes every path asked for.
struct Envy<'a> {
    snmp: &'a Recorded,
    answers: Vec<(&'static str, Answer)>,
    asked: RefCell<Vec<String>>,
}

impl<'a> Envy<'a> {
    fn new(recording: &'a Recorded) -> Self {
        Envy {
            snmp: recording,
            answers: PAGES.iter().map(|p| (*p, Answer::Page)).collect(),
            asked: RefCell::new(Vec::new()),
        }
    }

    fn with(mut self, path: &'static str, answer: Answer) -> Self {
        for (p, a) in &mut self.answers {
            if *p == path {
                *a = answer;
            }
        }
        self
    }

    fn asked(&self) -> Vec<String> {
        self.asked.borrow().clone()
    }
}

impl Transport for Envy<'_> {
    fn get(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        self.snmp.get(oids)
    }
    fn get_next(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        self.snmp.get_next(oids)
    }
    fn get_bulk(&self, n: u32, m: u32, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        self.snmp.get_bulk(n, m, oids)
    }
    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.asked.borrow_mut().push(request.path.clone());
        let exact = request.method == HttpMethod::Get
            && !request.tls
            && request.port.is_none()
            && request.body.is_none();
        let answer = self
            .answers
            .iter()
            .find(|(path, _)| exact && *path == request.path)
            .map_or(Answer::NotFound, |(_, answer)| *answer);
        let response = |status: u16, body: String| HttpResponse {
            status,
            headers: vec![("content-type".into(), "text/xml".into())],
            body: body.into_bytes(),
        };
        match answer {
            Answer::Page => Ok(response(200, page_file(&request.path))),
            Answer::NotFound => Ok(response(404, "Not Found".into())),
            Answer::Html => Ok(response(200, "<html><body>Sign in</body></html>".into())),
            Answer::Timeout => Err(TransportError::Timeout),
        }
    }
}

fn probe() -> Probe {
    Probe {
        sys_object_id: "1.3.6.1.4.1.11.2.3.9.1".into(),
        sys_descr: "HP ETHERNET MULTI-ENVIRONMENT".into(),
    }
}

fn envy() -> Recorded {
    recording("derived/hp_ews_envy.snmprec")
}

fn collect(transport: &Envy<'_>, cycle: Cycle) -> Reading {
    HpEws::collect(&Device::new(transport), cycle).unwrap_or_else(|e| panic!("{e:?}"))
}

fn counters(reading: &Reading) -> Vec<(&str, u64)> {
    reading
        .counters
        .iter()
        .map(|c| (c.name.as_str(), c.value))
        .collect()
}

/// The pages an OfficeJet Pro 9022e served, recorded by aiohpprinter, replay
/// natively from their exchange log as `quire replay --strategy hp-ews` reads
/// them, to the values aiohpprinter's own tests expect of them.
#[test]
fn a_recorded_exchange_log_replays_natively_to_its_sources_expected_values() {
    let printer = "../../fixtures/recorded/aiohpprinter/hp_officejet_pro_9022e";
    let r = read::<HpEws>(format!("{printer}.exchanges.jsonl"));
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{printer}/expected.json")).unwrap())
            .unwrap();
    let counters = [
        (TOTAL, "printer_usage", "total_impressions"),
        (MONO, "printer_usage", "monochrome_impressions"),
        (COLOR, "printer_usage", "color_impressions"),
        (DUPLEX, "printer_usage", "duplex_sheets"),
        (SCAN, "scanner_usage", "scan_images"),
        (COPY, "copy_usage", "total_impressions"),
        (FAX, "fax_usage", "total_impressions"),
    ];
    for (name, section, key) in counters {
        let want = expected[section][key].as_u64();
        assert!(want.is_some(), "{section}.{key}");
        assert_eq!(r.counter(name), want, "{name}");
    }
    assert_eq!(r.identity.manufacturer.as_deref(), Some("HP"));
    let model = expected["device"]["make_and_model"].as_str().unwrap();
    assert_eq!(
        r.identity.model.as_deref(),
        model.strip_prefix("HP "),
        "{model}"
    );
    // Cartridges by part number; the printhead has no level.
    let mut levels = 0;
    for consumable in expected["consumables"].as_array().unwrap() {
        let Some(want) = consumable["percentage_level_remaining"].as_f64() else {
            continue;
        };
        let part = consumable["product_number"].as_str().unwrap();
        let supply = r
            .supplies
            .iter()
            .find(|s| s.part_number.as_deref() == Some(part))
            .unwrap_or_else(|| panic!("no supply {part} in {:?}", r.supplies));
        assert_eq!(supply.percent.map(f64::from), Some(want), "{part}");
        levels += 1;
    }
    assert_eq!(levels, 4);
    let status = expected["status"]["device_status"].as_str().unwrap();
    let console = r.status.console.as_deref().unwrap_or_default();
    assert!(
        console.lines().any(|l| l.eq_ignore_ascii_case(status)),
        "{console:?}, expected {status:?}"
    );
}

const ENVY_COUNTERS: [(&str, u64); 6] = [
    ("total", 1250),
    ("mono", 800),
    ("color", 450),
    ("duplex", 120),
    ("scan", 310),
    ("copy", 95),
];

#[test]
fn identify_claims_a_device_whose_counters_are_only_on_its_pages() {
    let recording = envy();
    let transport = Envy::new(&recording);
    assert_eq!(
        HpEws::identify(&Device::new(&transport), &probe()),
        Some(300)
    );
    assert_eq!(transport.asked(), [PRODUCT_USAGE]);
}

#[test]
fn identify_leaves_a_device_with_hps_engine_total_to_the_hp_strategy() {
    let recording = recording("recorded/librenms/jetdirect_m130nw.snmprec");
    let transport = Envy::new(&recording);
    assert_eq!(HpEws::identify(&Device::new(&transport), &probe()), None);
    assert!(transport.asked().is_empty(), "decided on SNMP alone");
}

#[test]
fn identify_declines_without_the_usage_page() {
    let recording = envy();
    for answer in [Answer::NotFound, Answer::Timeout, Answer::Html] {
        let transport = Envy::new(&recording).with(PRODUCT_USAGE, answer);
        assert_eq!(HpEws::identify(&Device::new(&transport), &probe()), None);
    }
}

#[test]
fn discovery_reads_identity_counters_supplies_and_alerts_from_the_pages() {
    let recording = envy();
    let transport = Envy::new(&recording);
    let r = collect(&transport, Cycle::Discovery);
    assert_eq!(r.identity.manufacturer.as_deref(), Some("HP"));
    assert_eq!(
        r.identity.model.as_deref(),
        Some("ENVY 6000 All-in-One Printer series")
    );
    assert_eq!(r.identity.serial.as_deref(), Some("TH00Q0000X"));
    assert_eq!(r.identity.firmware.as_deref(), Some("TJP1FN0000AR"));
    assert_eq!(r.identity.mac.as_deref(), Some("02:00:00:e5:e6:f0"));
    assert_eq!(r.identity.hostname.as_deref(), Some("HP0000A1"));
    assert_eq!(counters(&r), ENVY_COUNTERS);

    // The page's two inks replace the Printer-MIB's 35 % and 60 %.
    assert_eq!(percents(&r), [(1, Some(62)), (2, None)]);
    assert_eq!(r.supplies[0].color.as_deref(), Some("black"));
    assert_eq!(r.supplies[0].part_number.as_deref(), Some("3YM56A"));
    assert_eq!(r.supplies[0].serial.as_deref(), Some("0000A1B2C3"));
    assert_eq!(r.supplies[1].color.as_deref(), Some("cyan"));
    assert_eq!(r.supplies[1].state, SupplyState::Low);

    assert_eq!(
        r.status.console.as_deref(),
        Some("cartridgeLow\ninPowerSave")
    );
    // SNMP's hrDeviceStatus (running) stands; the page adds what its
    // cartridgeLow category means to SNMP's empty error bits.
    assert_eq!(r.status.device, Some(DeviceStatus::Running));
    assert_eq!(r.status.errors, [ErrorState::LowToner]);
    assert_eq!(r.alerts.len(), 1);
    assert_eq!(r.alerts[0].severity, AlertSeverity::Warning);
    assert_eq!(
        r.alerts[0].description.as_deref(),
        Some("cartridgeLow: cyan ink")
    );
    assert_eq!(transport.asked(), PAGES);
}

#[test]
fn a_missing_page_costs_only_its_part() {
    let recording = envy();
    for answer in [Answer::NotFound, Answer::Timeout, Answer::Html] {
        let transport = Envy::new(&recording).with(PRODUCT_CONFIG, answer);
        let r = collect(&transport, Cycle::Discovery);
        // The model falls back to hrDeviceDescr; nothing else gives a serial or firmware.
        assert_eq!(
            r.identity.model.as_deref(),
            Some("ENVY 6000 All-in-One Printer series")
        );
        assert_eq!(
            (r.identity.serial.as_deref(), r.identity.firmware.as_deref()),
            (None, None)
        );
        assert_eq!(counters(&r), ENVY_COUNTERS);
        assert_eq!(percents(&r), [(1, Some(62)), (2, None)]);
        assert_eq!(r.alerts.len(), 1);

        let transport = Envy::new(&recording).with(PRODUCT_USAGE, answer);
        let r = collect(&transport, Cycle::Discovery);
        assert!(r.counters.is_empty(), "no prtMarkerLifeCount either");
        assert_eq!(r.identity.serial.as_deref(), Some("TH00Q0000X"));
        assert_eq!(percents(&r), [(1, Some(62)), (2, None)]);

        let transport = Envy::new(&recording).with(CONSUMABLE_CONFIG, answer);
        let r = collect(&transport, Cycle::Discovery);
        assert_eq!(
            percents(&r),
            [(1, Some(35)), (2, Some(60))],
            "the Printer-MIB's"
        );
        assert_eq!(counters(&r), ENVY_COUNTERS);

        let transport = Envy::new(&recording).with(PRODUCT_STATUS, answer);
        let r = collect(&transport, Cycle::Discovery);
        assert_eq!(r.status.console, None);
        assert!(r.alerts.is_empty());
        assert_eq!(counters(&r), ENVY_COUNTERS);
    }
}

#[test]
fn the_alert_cycle_reads_no_counters_or_supplies() {
    let recording = envy();
    let transport = Envy::new(&recording);
    let r = collect(&transport, Cycle::Alerts);
    assert!(r.counters.is_empty());
    assert!(r.supplies.is_empty());
    assert_eq!(r.alerts.len(), 1);
    assert_eq!(transport.asked(), [PRODUCT_CONFIG, PRODUCT_STATUS]);
}

#[test]
fn the_meter_cycle_reads_no_alerts() {
    let recording = envy();
    let transport = Envy::new(&recording);
    let r = collect(&transport, Cycle::MetersAndSupplies);
    assert_eq!(counters(&r), ENVY_COUNTERS);
    assert!(r.alerts.is_empty());
    assert_eq!(
        transport.asked(),
        [PRODUCT_CONFIG, PRODUCT_USAGE, CONSUMABLE_CONFIG]
    );
}

/// The exchange log beside the recording carries the four page files, each
/// under the exact request the strategy sends, so `quire replay` reads what
/// these tests read.
#[test]
fn the_exchange_log_holds_the_four_pages_as_requested() {
    let log =
        std::fs::read_to_string(fixtures().join("derived/hp_ews_envy.exchanges.jsonl")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), PAGES.len());
    for (line, path) in lines.iter().zip(PAGES) {
        let prefix = format!(
            r#"{{"kind":"http","method":"GET","tls":false,"port":null,"path":"{path}","status":200,"#
        );
        assert!(line.starts_with(&prefix), "{line}");
        assert!(!line.contains("request_body_b64"));
        let body = field(line, "body_b64").unwrap();
        assert_eq!(unbase64(body), page_file(path).into_bytes(), "{path}");
    }
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!(r#""{name}":""#))? + name.len() + 4;
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

fn unbase64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET.iter().position(|a| *a == byte).expect("base64") as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}
