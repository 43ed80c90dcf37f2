//! ASM's plugin actions end to end: a dealer names an endpoint `erp` (one of its webhook
//! endpoints), an alert raised by real readings runs the built-in ERP purchase-order
//! plugin in the sandbox, which POSTs its XML order to a real HTTP listener the test
//! starts on its own loopback address (127.57.3.0/24) as the ERP; the device's supply
//! lifecycle then shows the cartridge ordered. An ERP answering 500 is asked again, an
//! order with no `erp` endpoint is refused, and a runaway plugin fails only its own
//! action. The endpoint's static headers (the ERP's API key) go with the order, and
//! several orders to a slow ERP go out side by side.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use quire_server::Server;
use quire_test_peers::http::{Answer, Received, Receiver};
use serde_json::{Value, json};

use crate::asm::{define, definition, events_once, northwind, read};
use crate::support::{TestServer, backends};

/// A dealer's ERP: a real HTTP/1.1 server that keeps every order and answers the
/// (status, body) pairs given in turn, the last one from then on.
struct Erp(Receiver);

const CONFIRMED: &str = "<?xml version=\"1.0\"?><OrderConfirmation><OrderNumber>PO-77</OrderNumber></OrderConfirmation>";

impl Erp {
    async fn start(n: u8, answers: &[(u16, &'static str)]) -> Erp {
        let script = answers
            .iter()
            .map(|&(status, body)| Answer::with_body(status, body))
            .collect();
        Erp(Receiver::start(SocketAddr::from(([127, 57, 3, n], 0)), script).await)
    }

    /// An ERP that confirms every order after `delay`.
    async fn slow(n: u8, delay: Duration) -> Erp {
        let answer = Answer::with_body(201, CONFIRMED).after(delay);
        Erp(Receiver::start(SocketAddr::from(([127, 57, 3, n], 0)), vec![answer]).await)
    }

    fn url(&self) -> String {
        format!("http://{}/erp/v2", self.0.address())
    }

    fn orders(&self) -> Vec<Received> {
        self.0.received()
    }
}

/// A server that ticks ASM every 200 ms and also runs the runaway test guest.
fn acting(server: &mut Server) {
    server.asm_every = Duration::from_millis(200);
    server.action_plugins = vec![quire_test_guests::path("quire_guest_runaway_action")];
}

/// Names `url` as the dealer's endpoint `name`.
async fn endpoint(server: &TestServer, dealer: i64, name: &str, url: &str) {
    let created = server
        .call(
            "POST",
            &format!("/api/v1/accounts/{dealer}/webhooks"),
            Some(&server.admin),
            Some(json!({"name": name, "url": url})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
}

fn plugin_action(plugin: &str, approval: bool, attempts: u32) -> Value {
    json!({"id": 1, "ordinal": 1, "kind": {"plugin": plugin}, "result-type": "order",
        "requires-approval": approval, "timing": "immediate", "max-attempts": attempts})
}

/// A definition of `dealer`'s ordering a cartridge from the ERP, once and without
/// approval, when a toner falls below `percent`.
fn erp_order_below(dealer: i64, percent: u8) -> Value {
    definition(
        dealer,
        toner_below(percent),
        plugin_action("erp-order", false, 1),
        2,
    )
}

fn toner_below(percent: u8) -> Value {
    json!({"consumable": {"consumable": "toner", "threshold-percent": percent}})
}

/// Printer 1's black toner at 35 % and then at 15 %.
async fn drain(server: &TestServer, agent: &quire_protocol::AgentToken) {
    let now = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    server
        .deliver(agent, &[read(1, now - chrono::Duration::hours(2), 35, "A")])
        .await;
    server
        .deliver(agent, &[read(2, now - chrono::Duration::hours(1), 15, "A")])
        .await;
}

/// The journal of alert event `event`.
async fn journal(server: &TestServer, event: &Value) -> Vec<Value> {
    let id = event["id"].as_i64().unwrap();
    let detail = server
        .admin("GET", &format!("/api/v1/asm/events/{id}"), None)
        .await;
    detail["journal"].as_array().cloned().unwrap_or_default()
}

/// The journal of `definition`'s first event once `count` of its entries were carried
/// out (or the test fails).
async fn outcomes_once(server: &TestServer, definition: i64, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let events = events_once(server, definition, "opened", |e| !e.is_empty()).await;
        let entries = journal(server, &events[0]).await;
        if entries.iter().filter(|e| !e["outcome"].is_null()).count() >= count {
            return entries;
        }
        assert!(
            Instant::now() < deadline,
            "{}: never carried out: {entries:?}",
            server.backend
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn archived(events: &[Value]) -> bool {
    events.first().is_some_and(|e| e["status"] == "archived")
}

#[tokio::test]
async fn an_approved_low_toner_orders_the_cartridge_from_the_erp_once_and_the_supply_shows_it_ordered()
 {
    for (n, db) in backends().await.into_iter().enumerate() {
        let erp = Erp::start(1 + n as u8, &[(201, CONFIRMED)]).await;
        let server = TestServer::start_configured(db, acting).await;
        let backend = server.backend;
        let (dealer, _customer, agent) = northwind(&server).await;
        endpoint(&server, dealer, "erp", &erp.url()).await;
        let id = define(
            &server,
            definition(
                dealer,
                toner_below(20),
                plugin_action("erp-order", true, 3),
                2,
            ),
        )
        .await;
        drain(&server, &agent).await;
        let events = events_once(&server, id, "waited for approval", |e| {
            e.first()
                .is_some_and(|e| e["status"] == "waiting-for-approval")
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            erp.orders().is_empty(),
            "{backend}: ordered before approval"
        );
        let event_id = events[0]["id"].as_i64().unwrap();
        let device = events[0]["device-id"].as_i64().unwrap();
        let approved = server
            .call(
                "POST",
                &format!("/api/v1/asm/events/{event_id}/approve"),
                Some(&server.admin),
                None,
            )
            .await;
        assert_eq!(approved.status, 202, "{backend}: {}", approved.text());

        let events = events_once(&server, id, "were archived", archived).await;
        assert_eq!(
            events[0]["detail"]["archived"]["reason"], "all-actions-finished",
            "{backend}: {}",
            events[0]
        );
        let orders = erp.orders();
        assert_eq!(orders.len(), 1, "{backend}: {orders:?}");
        let order = &orders[0];
        assert_eq!(order.path, "/erp/v2/purchase-orders", "{backend}");
        assert_eq!(
            order.headers["content-type"], "application/xml",
            "{backend}"
        );
        let key = order.headers["idempotency-key"].to_str().unwrap();
        for part in [
            format!("<OrderKey>{key}</OrderKey>"),
            "<Dealer>Northwind</Dealer>".into(),
            "<Position>toner:black:1</Position>".into(),
            "<ConsumableType>toner</ConsumableType>".into(),
            "<PartNumber>TK-5240K</PartNumber>".into(),
            "<Quantity>1</Quantity>".into(),
        ] {
            assert!(
                order.text().contains(&part),
                "{backend}: {part} in {}",
                order.text()
            );
        }
        assert!(
            order.text().contains("<Serial>"),
            "{backend}: {}",
            order.text()
        );
        let journal = journal(&server, &events[0]).await;
        assert_eq!(journal.len(), 1, "{backend}: {journal:?}");
        assert_eq!(
            journal[0]["outcome"],
            json!({"outcome": "plugin-performed", "plugin": "erp-order", "result": "order PO-77"}),
            "{backend}"
        );

        let supplies = server
            .admin(
                "GET",
                &format!("/api/v1/devices/{device}/supplies/events"),
                None,
            )
            .await;
        let supplies = supplies.as_array().unwrap();
        assert_eq!(supplies.len(), 1, "{backend}: {supplies:?}");
        assert_eq!(supplies[0]["kind"], "ordered", "{backend}");
        assert_eq!(supplies[0]["part-number"], "TK-5240K", "{backend}");
        assert_eq!(
            supplies[0]["position"],
            json!({"kind": "toner", "color": "black", "rank": 1}),
            "{backend}"
        );
        assert!(
            supplies[0]["note"]
                .as_str()
                .is_some_and(|n| n.starts_with("order PO-77")),
            "{backend}: {}",
            supplies[0]
        );
    }
}

#[tokio::test]
async fn an_erp_answering_500_is_asked_again_and_the_second_answer_places_the_order() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let erp = Erp::start(11 + n as u8, &[(500, "database locked"), (201, CONFIRMED)]).await;
        let server = TestServer::start_configured(db, acting).await;
        let backend = server.backend;
        let (dealer, _customer, agent) = northwind(&server).await;
        endpoint(&server, dealer, "erp", &erp.url()).await;
        let id = define(
            &server,
            definition(
                dealer,
                toner_below(20),
                plugin_action("erp-order", false, 3),
                2,
            ),
        )
        .await;
        drain(&server, &agent).await;
        let events = events_once(&server, id, "were archived", archived).await;
        let orders = erp.orders();
        assert_eq!(orders.len(), 2, "{backend}: {orders:?}");
        let journal = journal(&server, &events[0]).await;
        assert_eq!(journal.len(), 2, "{backend}: {journal:?}");
        let failed = journal[0]["outcome"]["reason"].as_str().unwrap_or_default();
        assert!(
            failed.contains("500") && failed.contains("database locked"),
            "{backend}: {journal:?}"
        );
        assert_eq!(
            journal[1]["outcome"]["outcome"], "plugin-performed",
            "{backend}"
        );
    }
}

#[tokio::test]
async fn an_order_with_no_erp_endpoint_is_refused_and_its_action_fails_saying_so() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let erp = Erp::start(21 + n as u8, &[(201, CONFIRMED)]).await;
        let server = TestServer::start_configured(db, acting).await;
        let backend = server.backend;
        let (dealer, _customer, agent) = northwind(&server).await;
        endpoint(&server, dealer, "billing", &erp.url()).await;
        let id = define(&server, erp_order_below(dealer, 20)).await;
        drain(&server, &agent).await;
        let journal = outcomes_once(&server, id, 1).await;
        assert_eq!(journal.len(), 1, "{backend}: {journal:?}");
        let reason = journal[0]["outcome"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("\"erp\"") && reason.contains("not configured"),
            "{backend}: {reason}"
        );
        assert!(erp.orders().is_empty(), "{backend}: {:?}", erp.orders());
    }
}

#[tokio::test]
async fn a_runaway_plugin_fails_its_own_action_at_the_deadline_and_another_alerts_order_still_goes_out()
 {
    for (n, db) in backends().await.into_iter().enumerate() {
        let erp = Erp::start(31 + n as u8, &[(201, CONFIRMED)]).await;
        let server = TestServer::start_configured(db, acting).await;
        let backend = server.backend;
        let (dealer, _customer, agent) = northwind(&server).await;
        endpoint(&server, dealer, "erp", &erp.url()).await;
        let runaway = define(
            &server,
            definition(
                dealer,
                toner_below(20),
                plugin_action("quire_guest_runaway_action", false, 1),
                2,
            ),
        )
        .await;
        let mut ordering = erp_order_below(dealer, 25);
        ordering["name"] = json!("Toner order");
        let ordering = define(&server, ordering).await;
        drain(&server, &agent).await;

        let journal_of_runaway = outcomes_once(&server, runaway, 1).await;
        let reason = journal_of_runaway[0]["outcome"]["reason"]
            .as_str()
            .unwrap_or_default();
        assert!(
            reason.contains("ran past its 2 s deadline"),
            "{backend}: {journal_of_runaway:?}"
        );
        let journal = outcomes_once(&server, ordering, 1).await;
        assert_eq!(
            journal[0]["outcome"]["outcome"], "plugin-performed",
            "{backend}: {journal:?}"
        );
        assert_eq!(erp.orders().len(), 1, "{backend}");
    }
}

#[test]
fn an_action_plugin_file_that_does_not_load_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.wasm");
    std::fs::write(&text, "not a component").unwrap();
    let strategy = quire_test_guests::path("quire_guest_hostile");
    for (file, why) in [
        (text, "not WebAssembly"),
        (strategy, "not an action plugin"),
        (dir.path().join("missing.wasm"), "missing.wasm"),
    ] {
        let mut server = Server::new(dir.path());
        server.action_plugins = vec![file.clone()];
        let err = server.actions().err().expect("it loads").to_string();
        assert!(
            err.contains(&*file.display().to_string()) && err.contains(why),
            "{}: {err}",
            file.display()
        );
    }
}

/// The ERP's API key, which the order must carry and no answer may show.
const ERP_KEY: &str = "erp-key-51d0c4e2a9";

#[tokio::test]
async fn the_order_carries_the_endpoints_static_header_which_the_plugin_cannot_see_shown_or_replace()
 {
    for (n, db) in backends().await.into_iter().enumerate() {
        let erp = Erp::start(41 + n as u8, &[(201, CONFIRMED)]).await;
        let server = TestServer::start_configured(db, acting).await;
        let backend = server.backend;
        let (dealer, _customer, agent) = northwind(&server).await;
        let created = server
            .call(
                "POST",
                &format!("/api/v1/accounts/{dealer}/webhooks"),
                Some(&server.admin),
                Some(json!({"name": "erp", "url": erp.url(), "headers": [
                    {"name": "Authorization", "value": "Bearer an-old-token"},
                    {"name": "X-Api-Key", "value": ERP_KEY},
                ]})),
            )
            .await;
        assert_eq!(created.status, 201, "{backend}: {}", created.text());
        let hook = created.json()["id"].as_i64().unwrap();
        // The dealer sends back the header as it was shown, without its value: the key
        // stays, and the header left out of the list is gone.
        let shown = created.json()["headers"][1].clone();
        assert_eq!(
            shown,
            json!({"name": "X-Api-Key", "value": null, "set": true}),
            "{backend}"
        );
        let changed = server
            .call(
                "PUT",
                &format!("/api/v1/webhooks/{hook}"),
                Some(&server.admin),
                Some(json!({"name": "erp", "url": erp.url(), "headers": [shown]})),
            )
            .await;
        assert_eq!(changed.status, 200, "{backend}: {}", changed.text());
        assert_eq!(
            changed.json()["headers"],
            json!([{"name": "X-Api-Key", "value": null, "set": true}]),
            "{backend}"
        );
        let read = server
            .call(
                "GET",
                &format!("/api/v1/webhooks/{hook}"),
                Some(&server.admin),
                None,
            )
            .await;
        assert!(
            !read.text().contains(ERP_KEY),
            "{backend}: GET showed the key: {}",
            read.text()
        );
        let id = define(&server, erp_order_below(dealer, 20)).await;
        drain(&server, &agent).await;
        let journal = outcomes_once(&server, id, 1).await;
        assert_eq!(
            journal[0]["outcome"]["outcome"], "plugin-performed",
            "{backend}: {journal:?}"
        );
        let orders = erp.orders();
        assert_eq!(orders.len(), 1, "{backend}: {orders:?}");
        let order = &orders[0];
        assert_eq!(order.header("x-api-key"), ERP_KEY, "{backend}");
        assert_eq!(
            order.headers.get_all("x-api-key").iter().count(),
            1,
            "{backend}"
        );
        assert!(
            order.headers.get("authorization").is_none(),
            "{backend}: a replaced header was sent: {:?}",
            order.headers
        );
        // The plugin's own headers still go: the static ones add to them.
        assert_eq!(order.header("content-type"), "application/xml", "{backend}");
        assert!(!order.header("idempotency-key").is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn five_orders_to_an_erp_that_takes_two_seconds_go_out_side_by_side_and_each_is_recorded_once()
 {
    const DELAY: Duration = Duration::from_secs(2);
    const ORDERS: usize = 5;
    for (n, db) in backends().await.into_iter().enumerate() {
        let erp = Erp::slow(51 + n as u8, DELAY).await;
        let server = TestServer::start_configured(db, acting).await;
        let backend = server.backend;
        let (dealer, _customer, agent) = northwind(&server).await;
        endpoint(&server, dealer, "erp", &erp.url()).await;
        let mut definitions = Vec::new();
        for i in 0..ORDERS {
            let mut body = erp_order_below(dealer, 20 + i as u8);
            body["name"] = json!(format!("Toner order {i}"));
            definitions.push(define(&server, body).await);
        }
        drain(&server, &agent).await;
        let mut journals = Vec::new();
        for &id in &definitions {
            journals.push(outcomes_once(&server, id, 1).await);
        }
        let orders = erp.orders();
        assert_eq!(orders.len(), ORDERS, "{backend}: {orders:?}");
        let first = orders.iter().map(|o| o.at).min().unwrap();
        let last = orders
            .iter()
            .map(|o| o.answered_at.expect("every order was answered"))
            .max()
            .unwrap();
        // One after another they would take ORDERS × DELAY; side by side about one.
        assert!(
            last - first < DELAY * 5 / 2,
            "{backend}: {ORDERS} orders of {DELAY:?} each took {:?} from the first to the last answer",
            last - first
        );
        let mut keys: Vec<&str> = orders.iter().map(|o| o.header("idempotency-key")).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(
            keys.len(),
            ORDERS,
            "{backend}: an order went twice: {keys:?}"
        );
        for journal in &journals {
            assert_eq!(journal.len(), 1, "{backend}: {journal:?}");
            assert_eq!(
                journal[0]["outcome"],
                json!({"outcome": "plugin-performed", "plugin": "erp-order", "result": "order PO-77"}),
                "{backend}"
            );
        }
    }
}
