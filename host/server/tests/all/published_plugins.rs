//! Action and alert-logic plugins published to a running server, as strategies are: an
//! alert-logic plugin signed by a trusted publisher judges devices from the next ASM
//! tick without a restart, and after its rollback a tick judges without it; an unsigned
//! one, or a component of no Quire world, is refused saying why; an alert definition
//! naming an action plugin the server does not have is refused naming the field, and
//! accepted once that plugin is published.

use quire_plugins::SigningKey;
use quire_protocol::SIGNATURE_HEADER;
use serde_json::{Value, json};

use crate::asm::{define, definition, events_once, northwind, toner};
use crate::support::{TestServer, backends, item};

/// Sends `component` to `path` as the administrator, signed when `signature` is given.
async fn publish(
    server: &TestServer,
    path: &str,
    component: Vec<u8>,
    signature: Option<&str>,
) -> (u16, Value) {
    let headers: Vec<(&str, &str)> = signature
        .map(|s| vec![(SIGNATURE_HEADER, s)])
        .unwrap_or_default();
    let answer = server
        .client
        .send_with(
            "POST".parse().unwrap(),
            path,
            Some(&server.admin),
            &headers,
            Some(("application/wasm", component)),
        )
        .await
        .unwrap();
    (answer.status, answer.json())
}

fn email() -> Value {
    json!({"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
        "requires-approval": true, "timing": "immediate", "max-attempts": 3})
}

fn gauge(dealer: i64, name: &str) -> Value {
    let mut body = definition(
        dealer,
        json!({"consumable": {"consumable": {"custom": "gauge"}, "threshold-percent": 10}}),
        email(),
        7,
    );
    body["name"] = json!(name);
    body
}

/// A low-toner definition whose event, once open, shows a tick ran after it was made.
async fn witness(server: &TestServer, dealer: i64, name: &str) -> i64 {
    let mut body = definition(
        dealer,
        json!({"consumable": {"consumable": "toner", "threshold-percent": 20}}),
        email(),
        7,
    );
    body["name"] = json!(name);
    define(server, body).await
}

async fn events(server: &TestServer, definition: i64) -> Value {
    server
        .admin(
            "GET",
            &format!("/api/v1/asm/events?definition-id={definition}"),
            None,
        )
        .await
}

#[tokio::test]
async fn a_published_alert_logic_plugin_judges_from_the_next_tick_until_rolled_back() {
    let acme = SigningKey::generate().unwrap();
    let logic = quire_test_guests::bytes("quire_guest_runaway_alert_logic");
    for db in backends().await {
        let keys = tempfile::tempdir().unwrap();
        let trusted = keys.path().join("trusted.txt");
        std::fs::write(&trusted, format!("acme {}\n", acme.public_key())).unwrap();
        let server = TestServer::start_configured(db, |server| {
            server.trusted_publishers = Some(trusted);
        })
        .await;
        let backend = server.backend;
        let (dealer, _, agent) = northwind(&server).await;
        let mut printer = item(1, None, 1, 0);
        printer.taken_at = chrono::Utc::now() - chrono::Duration::hours(1);
        printer.reading.supplies = vec![toner(15, "A")];
        server.deliver(&agent, &[printer]).await;

        let before = define(&server, gauge(dealer, "Gauge, before")).await;
        let ticked = witness(&server, dealer, "Toner, before").await;
        events_once(&server, ticked, "opened", |e| !e.is_empty()).await;
        assert_eq!(
            events(&server, before).await,
            json!([]),
            "{backend}: no plugin raises a gauge yet"
        );

        let (status, refused) = publish(&server, "/api/v1/plugins", logic.clone(), None).await;
        assert_eq!(status, 400, "{backend}: {refused}");
        assert_eq!(refused["field"], "component", "{backend}");
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("accepts only plugins a trusted publisher signed"),
            "{backend}: {refused}"
        );
        let nothing = wat::parse_str("(component)").unwrap();
        let signature = acme.sign(&nothing);
        let (status, refused) =
            publish(&server, "/api/v1/plugins", nothing, Some(&signature)).await;
        assert_eq!(status, 400, "{backend}: {refused}");
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("exports none of"),
            "{backend}: {refused}"
        );

        let (status, filed) = publish(
            &server,
            "/api/v1/plugins",
            logic.clone(),
            Some(&acme.sign(&logic)),
        )
        .await;
        assert_eq!(status, 201, "{backend}: {filed}");
        assert_eq!(
            (&filed["kind"], &filed["name"], &filed["publisher"]),
            (&json!("alert-logic"), &json!("runaway"), &json!("acme")),
            "{backend}"
        );
        let opened = events_once(&server, before, "opened", |e| !e.is_empty()).await;
        assert_eq!(opened.len(), 1, "{backend}: {opened:?}");
        assert_eq!(opened[0]["trigger"], "consumable:gauge", "{backend}");
        assert_eq!(
            opened[0]["detail"]["event"]["last-level"], 5,
            "{backend}: the plugin's level"
        );
        let listed = server.admin("GET", "/api/v1/plugins", None).await;
        assert_eq!(listed[0]["serving"], true, "{backend}: {listed}");
        let strategies = server.admin("GET", "/api/v1/strategies", None).await;
        assert_eq!(strategies, json!([]), "{backend}: not a strategy");

        let back = server
            .admin("POST", "/api/v1/plugins/alert-logic/runaway/rollback", None)
            .await;
        assert_eq!(back["withdrawn"], "0.1.0", "{backend}: {back}");
        assert_eq!(back["now-serving"], Value::Null, "{backend}: {back}");
        let after = define(&server, gauge(dealer, "Gauge, after")).await;
        let ticked = witness(&server, dealer, "Toner, after").await;
        events_once(&server, ticked, "opened", |e| !e.is_empty()).await;
        assert_eq!(
            events(&server, after).await,
            json!([]),
            "{backend}: a tick after the rollback raised no gauge"
        );
    }
}

#[tokio::test]
async fn a_definition_naming_a_missing_action_plugin_is_refused_until_it_is_published() {
    let erp = quire_test_guests::bytes("quire_guest_runaway_action");
    for server in TestServer::each_allowing_unsigned().await {
        let backend = server.backend;
        let (dealer, _, _) = northwind(&server).await;
        let ticket = definition(
            dealer,
            json!({"consumable": {"consumable": "toner", "threshold-percent": 20}}),
            json!({"id": 1, "ordinal": 1, "kind": {"plugin": "ticket"}, "result-type": "ticket",
                "requires-approval": false, "timing": "immediate", "max-attempts": 3}),
            7,
        );
        let refused = server
            .call(
                "POST",
                "/api/v1/asm/definitions",
                Some(&server.admin),
                Some(ticket.clone()),
            )
            .await;
        assert_eq!(refused.status, 400, "{backend}: {}", refused.text());
        let body = refused.json();
        assert_eq!(body["field"], "actions[0].kind.plugin", "{backend}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("no action plugin named \"ticket\"") && message.contains("erp-order"),
            "{backend}: names the missing plugin and those it has: {message}"
        );

        let (status, unnamed) = publish(&server, "/api/v1/plugins", erp.clone(), None).await;
        assert_eq!(status, 400, "{backend}: {unnamed}");
        assert_eq!(unnamed["field"], "name", "{backend}: {unnamed}");
        let (status, filed) = publish(
            &server,
            "/api/v1/plugins?name=ticket&version=1.0.0",
            erp.clone(),
            None,
        )
        .await;
        assert_eq!(status, 201, "{backend}: {filed}");
        assert_eq!(filed["kind"], "action", "{backend}");
        define(&server, ticket).await;

        let (status, wrong) = publish(&server, "/api/v1/strategies", erp.clone(), None).await;
        assert_eq!(status, 400, "{backend}: {wrong}");
        assert!(
            wrong["message"]
                .as_str()
                .unwrap()
                .starts_with("it is an action plugin, not a strategy"),
            "{backend}: {wrong}"
        );
    }
}

/// The built-in plugin of `kind` and `name` as `GET /api/v1/built-in-plugins` lists it.
async fn built_in(server: &TestServer, kind: &str, name: &str) -> Value {
    let listed = server.admin("GET", "/api/v1/built-in-plugins", None).await;
    listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == kind && p["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no built-in {kind} {name} in {listed}"))
}

#[tokio::test]
async fn the_built_in_plugins_are_listed_and_say_when_a_published_one_replaces_them() {
    let next = quire_test_guests::bytes("quire_guest_printer_mib_next");
    for server in TestServer::each_allowing_unsigned().await {
        let backend = server.backend;
        assert_eq!(
            built_in(&server, "strategy", "printer-mib").await,
            json!({"kind": "strategy", "name": "printer-mib", "version": "0.1.0", "serving": true}),
            "{backend}"
        );
        assert_eq!(
            built_in(&server, "action", "erp-order").await["serving"],
            true,
            "{backend}"
        );

        let (status, published) = publish(&server, "/api/v1/plugins", next.clone(), None).await;
        assert_eq!(status, 201, "{backend}: {published}");
        assert_eq!(
            built_in(&server, "strategy", "printer-mib").await["serving"],
            false,
            "{backend}: printer-mib@0.2.0 is handed out in its place"
        );
        server
            .admin(
                "POST",
                "/api/v1/plugins/strategy/printer-mib/rollback",
                None,
            )
            .await;
        assert_eq!(
            built_in(&server, "strategy", "printer-mib").await["serving"],
            true,
            "{backend}: the rollback puts it back"
        );
    }
}

/// The Kyocera PrintMaster recorded, as an agent keeps a read's exchange.
const KYOCERA_SNMPREC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec"
));

#[tokio::test]
async fn a_stored_reading_is_re_read_through_any_version_held_without_storing_it() {
    let next = quire_test_guests::bytes("quire_guest_printer_mib_next");
    for server in TestServer::each_allowing_unsigned().await {
        let backend = server.backend;
        let store = &server.running.store;
        let account = store.create_account("Acme", None, false).await.unwrap();
        let filed = store
            .ingest(
                account,
                "10.0.0.5",
                chrono::Utc::now(),
                quire_model::Cycle::MetersAndSupplies,
                &quire_model::StrategyRef {
                    name: "printer-mib".into(),
                    version: "0.1.0".into(),
                },
                &crate::kyocera::kyocera("VD21457943", "00:17:c8:b9:02:de", 7432, 7056),
                Some(KYOCERA_SNMPREC),
            )
            .await
            .unwrap();
        let reading = format!(
            "/api/v1/devices/{}/readings/{}",
            filed.device_id.0, filed.reading_id.0
        );
        let reread = |query: &'static str| {
            let (server, reading) = (&server, &reading);
            async move {
                let path = format!("{reading}/reinterpret?{query}");
                server.call("POST", &path, Some(&server.admin), None).await
            }
        };
        let read_by = |answer: &Value| {
            format!(
                "{}@{}",
                answer["strategy"]["name"].as_str().unwrap_or("?"),
                answer["strategy"]["version"].as_str().unwrap_or("?")
            )
        };

        let (status, published) = publish(&server, "/api/v1/plugins", next.clone(), None).await;
        assert_eq!(status, 201, "{backend}: {published}");
        let now = reread("strategy=printer-mib").await.json();
        assert_eq!(
            read_by(&now),
            "printer-mib@0.2.0",
            "{backend}: the version in use"
        );
        let built_in = reread("strategy=printer-mib&version=0.1.0").await.json();
        assert_eq!(
            read_by(&built_in),
            "printer-mib@0.1.0",
            "{backend}: the built-in version while 0.2.0 is in use"
        );
        assert_eq!(
            built_in["reading"]["counters"], now["reading"]["counters"],
            "{backend}: 0.2.0 reads what 0.1.0 does"
        );
        assert_eq!(built_in["version"], Value::Null, "{backend}: nothing filed");

        server
            .admin(
                "POST",
                "/api/v1/plugins/strategy/printer-mib/rollback",
                None,
            )
            .await;
        let withdrawn = reread("strategy=printer-mib&version=0.2.0").await.json();
        assert_eq!(
            read_by(&withdrawn),
            "printer-mib@0.2.0",
            "{backend}: a withdrawn version still re-reads"
        );

        for (query, said) in [
            (
                "strategy=printer-mib&version=9.9.9",
                "no version 9.9.9 of the strategy printer-mib",
            ),
            ("version=0.1.0", "name it too"),
        ] {
            let refused = reread(query).await;
            assert_eq!(
                refused.status,
                400,
                "{backend}: {query}: {}",
                refused.text()
            );
            let body = refused.json();
            assert_eq!(body["field"], "version", "{backend}: {query}: {body}");
            assert!(
                body["message"].as_str().unwrap_or("").contains(said),
                "{backend}: {query}: {body}"
            );
        }
        let versions = server
            .admin("GET", &format!("{reading}/versions"), None)
            .await;
        assert_eq!(
            versions.as_array().map(Vec::len),
            Some(1),
            "{backend}: re-reading to look files nothing: {versions}"
        );
    }
}
