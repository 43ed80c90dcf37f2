//! Alert-logic plugins in the server: the built-in maintenance kit judges a Kyocera read
//! from its recording. The dealer records the MK-1150 kit installed and its rated pages
//! through the API; a consumable alert definition on the custom consumable
//! `maintenance-kit` at 10 % opens an event once the pages printed since the install pass
//! 90 % of the rated ones, not at 90 % itself, and a new kit recorded installed archives
//! it as replaced. A plugin loaded from a file that the host's deadline stops on one
//! device costs that device its triggers and nothing else; a plugin file that does not
//! load stops the start, naming the file.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, DurationRound, Utc};
use quire_model::{Cycle, Reading, StrategyRef};
use quire_plugins::{Host, HostConfig};
use quire_protocol::{AgentToken, UploadItem};
use quire_server::Server;
use quire_snmp::Recording;
use quire_transport::ReplayTransport;
use serde_json::{Value, json};

use crate::asm::{define, definition, events_once, northwind, toner};
use crate::support::{TestServer, backends, item};

/// The recorded ECOSYS P2040dn's prtMarkerLifeCount.1.1: every page it printed.
const RECORDED_TOTAL: u64 = 7432;

/// The pages the dealer rates the MK-1150 kit for in this test.
const RATED_PAGES: u64 = 10_000;

/// The recorded Kyocera as the built-in Kyocera strategy reads it, and that strategy.
async fn recorded_kyocera() -> (Reading, StrategyRef) {
    let host = Host::new(HostConfig::default()).unwrap();
    let (_, bytes) = quire_builtin::BUILTIN
        .iter()
        .find(|(name, _)| *name == "quire-strategy-kyocera")
        .expect("the Kyocera strategy is built in");
    let kyocera = host.load(bytes).await.unwrap();
    let recording = Recording::load(Path::new(
        "../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec",
    ))
    .unwrap();
    let reading = kyocera
        .collect(
            Arc::new(ReplayTransport::new(Arc::new(recording))),
            Cycle::MetersAndSupplies,
        )
        .await
        .unwrap();
    let strategy = StrategyRef {
        name: kyocera.name().to_owned(),
        version: kyocera.version().to_string(),
    };
    (reading, strategy)
}

/// The recorded Kyocera read at `at` with `total` pages printed.
fn read(
    seq: u64,
    at: DateTime<Utc>,
    total: u64,
    (reading, strategy): &(Reading, StrategyRef),
) -> UploadItem {
    let mut item = item(seq, None, 1, 0);
    item.taken_at = at;
    item.strategy = strategy.clone();
    item.reading = reading.clone();
    item.reading.counters.insert("total".into(), total);
    item
}

/// A maintenance-kit alert at `threshold` %, waiting for approval before its e-mail.
fn kit_alert(dealer: i64, threshold: u8) -> Value {
    let mut body = definition(
        dealer,
        json!({"consumable": {"consumable": {"custom": "maintenance-kit"},
            "threshold-percent": threshold}}),
        json!({"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
            "requires-approval": true, "timing": "immediate", "max-attempts": 3}),
        7,
    );
    body["name"] = json!(format!("Maintenance kit below {threshold} %"));
    body
}

async fn record_kit(server: &TestServer, device: i64, at: DateTime<Utc>) {
    let answer = server
        .call(
            "POST",
            &format!("/api/v1/devices/{device}/supplies/events"),
            Some(&server.admin),
            Some(json!({"position": {"kind": "maintenance-kit", "rank": 1},
                "kind": "installed", "part-number": "MK-1150", "quantity": 1, "at": at})),
        )
        .await;
    assert_eq!(answer.status, 201, "{}: {}", server.backend, answer.text());
    assert_eq!(answer.json()["kind"], "installed", "{}", server.backend);
}

async fn deliver(server: &TestServer, agent: &AgentToken, item: UploadItem) {
    server.deliver(agent, &[item]).await;
}

#[tokio::test]
async fn a_kyocera_kit_alert_opens_past_ninety_percent_of_its_rated_pages_and_not_before() {
    let kyocera = recorded_kyocera().await;
    assert_eq!(
        kyocera.0.counters.get("total"),
        Some(&RECORDED_TOTAL),
        "the recording's page count"
    );
    for db in backends().await {
        let server = TestServer::start(db).await;
        let backend = server.backend;
        let (dealer, customer, agent) = northwind(&server).await;
        let now = Utc::now()
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap();
        let hours = chrono::Duration::hours;

        deliver(
            &server,
            &agent,
            read(1, now - hours(3), RECORDED_TOTAL, &kyocera),
        )
        .await;
        let devices = server.admin("GET", "/api/v1/devices", None).await;
        let device = devices[0]["id"].as_i64().unwrap();
        record_kit(
            &server,
            device,
            now - hours(3) + chrono::Duration::minutes(10),
        )
        .await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{customer}/rated-yields"),
                Some(json!([{"part-number": "MK-1150", "rated-pages": RATED_PAGES}])),
            )
            .await;
        let kit = define(&server, kit_alert(dealer, 10)).await;
        // A witness one point above: its event shows a tick judged the kit at 10 %.
        let witness = define(&server, kit_alert(dealer, 11)).await;

        // 9,000 pages since the install: 10 % left, not below 10 %.
        let at_ninety = RECORDED_TOTAL + RATED_PAGES * 9 / 10;
        deliver(
            &server,
            &agent,
            read(2, now - hours(2), at_ninety, &kyocera),
        )
        .await;
        let seen = events_once(&server, witness, "opened", |e| !e.is_empty()).await;
        assert_eq!(
            seen[0]["detail"]["event"]["last-level"], 10,
            "{backend}: {seen:?}"
        );
        let none = server
            .admin(
                "GET",
                &format!("/api/v1/asm/events?definition-id={kit}"),
                None,
            )
            .await;
        assert_eq!(
            none,
            json!([]),
            "{backend}: opened at 90 % of the rated pages"
        );

        // One page more: 999 of 10,000 left, 9 % rounded down.
        deliver(
            &server,
            &agent,
            read(3, now - hours(1), at_ninety + 1, &kyocera),
        )
        .await;
        let events = events_once(&server, kit, "opened", |e| !e.is_empty()).await;
        assert_eq!(events.len(), 1, "{backend}: {events:?}");
        let event = &events[0];
        assert_eq!(event["trigger"], "consumable:maintenance-kit", "{backend}");
        assert_eq!(event["account-id"], customer, "{backend}");
        assert_eq!(event["status"], "waiting-for-approval", "{backend}");
        assert_eq!(
            event["detail"]["event"]["last-level"], 9,
            "{backend}: {event}"
        );

        // A new kit goes in: the open event is archived as replaced.
        record_kit(&server, device, now - chrono::Duration::minutes(30)).await;
        let events = events_once(&server, kit, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
        assert_eq!(
            events[0]["detail"]["archived"]["reason"], "supply-replaced",
            "{backend}: {}",
            events[0]
        );
    }
}

#[tokio::test]
async fn a_plugin_stopped_on_one_device_costs_only_that_devices_triggers() {
    for db in backends().await {
        let server = TestServer::start_configured(db, |server| {
            server.alert_logic_plugins =
                vec![quire_test_guests::path("quire_guest_runaway_alert_logic")];
        })
        .await;
        let backend = server.backend;
        let (dealer, _, agent) = northwind(&server).await;
        let email = json!({"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
            "requires-approval": true, "timing": "immediate", "max-attempts": 3});
        let gauge = define(
            &server,
            definition(
                dealer,
                json!({"consumable": {"consumable": {"custom": "gauge"}, "threshold-percent": 10}}),
                email.clone(),
                7,
            ),
        )
        .await;
        let toner_low = define(
            &server,
            definition(
                dealer,
                json!({"consumable": {"consumable": "toner", "threshold-percent": 20}}),
                email,
                7,
            ),
        )
        .await;

        // Printer 1 is judged as usual; printer 2, located at `runaway`, makes the
        // plugin compute until the deadline stops it, and its toner is low.
        let an_hour_ago = Utc::now() - chrono::Duration::hours(1);
        let mut usual = item(1, None, 1, 0);
        usual.taken_at = an_hour_ago;
        let mut runaway = item(2, None, 2, 0);
        runaway.taken_at = an_hour_ago;
        runaway.reading.identity.location = Some("runaway".into());
        runaway.reading.supplies = vec![toner(15, "A")];
        server.deliver(&agent, &[usual, runaway]).await;
        let devices = server.admin("GET", "/api/v1/devices", None).await;
        let id_of = |serial: &str| {
            devices
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["serial"] == serial)
                .unwrap_or_else(|| panic!("{backend}: no {serial} in {devices}"))["id"]
                .clone()
        };

        // The tick that judged printer 2's low toner also ran the plugin on both.
        let low = events_once(&server, toner_low, "opened", |e| !e.is_empty()).await;
        assert_eq!(low.len(), 1, "{backend}: {low:?}");
        assert_eq!(low[0]["device-id"], id_of("VD20000002"), "{backend}");
        let gauges = events_once(&server, gauge, "opened", |e| !e.is_empty()).await;
        let devices_with_gauge: Vec<_> = gauges.iter().map(|e| e["device-id"].clone()).collect();
        assert_eq!(devices_with_gauge, [id_of("VD20000001")], "{backend}");
    }
}

#[tokio::test]
async fn an_alert_logic_plugin_file_that_does_not_load_stops_the_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.wasm");
    std::fs::write(&text, "not a component").unwrap();
    let strategy = quire_test_guests::path("quire_guest_hostile");
    for (file, why) in [
        (text, "not WebAssembly"),
        (strategy, "not an alert-logic plugin"),
        (dir.path().join("missing.wasm"), "missing.wasm"),
    ] {
        let mut server = Server::new(dir.path().join("data"));
        server.listen = std::net::SocketAddr::from(([127, 70, 255, 1], 0));
        server.alert_logic_plugins = vec![file.clone()];
        let err = server.start().await.err().expect("it starts").to_string();
        assert!(
            err.contains(&*file.display().to_string()) && err.contains(why),
            "{}: {err}",
            file.display()
        );
    }
}
