//! ASM's webhook actions end to end: a dealer configures an endpoint over the API, an
//! alert raised by real readings makes the server POST to a real HTTP receiver the test
//! starts on its own loopback address (127.57.2.0/24), which checks the signature with
//! the secret the API showed; a receiver that fails or is down gets the alert later, a
//! redirect is not followed, one that never answers times out, and the deliveries list
//! says how it went. Alerts frequencies hold a second alert of an
//! account until the interval passes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use hmac::{Hmac, Mac};
use quire_server::Server;
use quire_server::webhooks::WebhookPolicy;
use quire_test_peers::http::{Answer, Received, Receiver};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::asm::{define, definition, events_once, northwind, read};
use crate::support::{TestServer, backends};

/// Where the dealer's system takes webhooks: a path and a query, which the server must
/// keep as given.
fn hook_url(receiver: &Receiver) -> String {
    format!("http://{}/hooks/quire?source=alerts", receiver.address())
}

/// Each test's receiver address; port 0 picks a free port.
fn receiver_address(n: u8, port: u16) -> SocketAddr {
    SocketAddr::from(([127, 57, 2, n], port))
}

/// A server that ticks ASM every 200 ms (unless `asm_every` says otherwise) and tries
/// webhook deliveries every 100 ms, 200 ms apart after a failure, up to `attempts`.
fn hooking(attempts: u32) -> impl FnOnce(&mut Server) {
    move |server| {
        server.asm_every = Duration::from_millis(200);
        server.webhooks = WebhookPolicy {
            every: Duration::from_millis(100),
            max_attempts: attempts,
            backoff: vec![Duration::from_millis(200)],
            batch: 100,
            timeout: Duration::from_secs(2),
        };
    }
}

/// Creates an endpoint of `account` pointing at `url`; (its id, its secret).
async fn endpoint(server: &TestServer, account: i64, url: &str) -> (i64, String) {
    let created = server
        .call(
            "POST",
            &format!("/api/v1/accounts/{account}/webhooks"),
            Some(&server.admin),
            Some(json!({"name": "ERP", "url": url})),
        )
        .await;
    assert_eq!(
        created.status,
        201,
        "{}: {}",
        server.backend,
        created.text()
    );
    let created = created.json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    (created["id"].as_i64().unwrap(), secret)
}

fn webhook_action(endpoint: i64) -> Value {
    json!({"id": 1, "ordinal": 1, "kind": {"webhook": {"endpoint-id": endpoint}},
        "result-type": "webhook", "requires-approval": false, "timing": "immediate",
        "max-attempts": 2})
}

fn toner_below(percent: u8) -> Value {
    json!({"consumable": {"consumable": "toner", "threshold-percent": percent}})
}

async fn deliveries(server: &TestServer, endpoint: i64) -> Vec<Value> {
    server
        .admin(
            "GET",
            &format!("/api/v1/webhooks/{endpoint}/deliveries"),
            None,
        )
        .await
        .as_array()
        .cloned()
        .unwrap()
}

/// The deliveries of `endpoint`, once `done` holds of them (or the test fails).
async fn deliveries_once(
    server: &TestServer,
    endpoint: i64,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = deliveries(server, endpoint).await;
        if done(&list) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "{}: the deliveries never {what}: {list:?}",
            server.backend
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The signature a receiver computes as the module doc of `quire_server::webhooks` says:
/// HMAC-SHA256 of `{timestamp}.{body}` keyed with the secret.
fn expected_signature(secret: &str, received: &Received) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(received.header("quire-webhook-timestamp").as_bytes());
    mac.update(b".");
    mac.update(&received.body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delivers printer 1's black toner at 35 % and then at 15 %, below the 20 % threshold.
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

#[tokio::test]
async fn a_low_toner_posts_one_signed_webhook_that_the_deliveries_list_shows() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let receiver =
            Receiver::start(receiver_address(1 + n as u8, 0), vec![Answer::status(200)]).await;
        let server = TestServer::start_configured(db, hooking(3)).await;
        let backend = server.backend;
        let (dealer, customer, agent) = northwind(&server).await;
        let (hook, secret) = endpoint(&server, dealer, &hook_url(&receiver)).await;
        let listed = server
            .call(
                "GET",
                &format!("/api/v1/accounts/{dealer}/webhooks"),
                Some(&server.admin),
                None,
            )
            .await;
        assert_eq!(listed.json()[0]["id"], hook, "{backend}");
        assert!(
            !listed.text().contains(&secret) && !listed.text().contains("secret\""),
            "{backend}: the secret was listed back: {}",
            listed.text()
        );
        let id = define(
            &server,
            definition(dealer, toner_below(20), webhook_action(hook), 2),
        )
        .await;
        drain(&server, &agent).await;

        // Delivered: every action is done, so the event is archived.
        let events = events_once(&server, id, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
        assert_eq!(
            events[0]["detail"]["archived"]["reason"], "all-actions-finished",
            "{backend}: {}",
            events[0]
        );
        let event_id = events[0]["id"].as_i64().unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let received = receiver.received();
        assert_eq!(received.len(), 1, "{backend}: {received:?}");
        let hit = &received[0];
        assert_eq!(
            hit.header("quire-webhook-signature"),
            expected_signature(&secret, hit),
            "{backend}: the signature does not verify with the secret shown"
        );
        assert_ne!(
            hit.header("quire-webhook-signature"),
            expected_signature("whsec_someone-else", hit),
            "{backend}"
        );
        let signed_at: i64 = hit.header("quire-webhook-timestamp").parse().unwrap();
        assert!(
            (Utc::now().timestamp() - signed_at).abs() < 60,
            "{backend}: {signed_at}"
        );
        assert_eq!(hit.header("content-type"), "application/json", "{backend}");
        assert_eq!(hit.header("quire-webhook-attempt"), "1", "{backend}");
        let body = hit.json();
        assert_eq!(body["type"], "asm.action", "{backend}: {body}");
        assert_eq!(body["alert"]["event-id"], event_id, "{backend}: {body}");
        assert_eq!(body["alert"]["definition"], "Toner low", "{backend}");
        assert_eq!(body["alert"]["account-id"], customer, "{backend}");
        assert_eq!(body["alert"]["account"], "Acme", "{backend}");
        assert_eq!(
            body["alert"]["trigger"], "consumable:toner:black:1",
            "{backend}"
        );
        assert_eq!(body["alert"]["level"], 15, "{backend}");
        // Invoked, so submitted, as the event shows when the body is made.
        assert_eq!(body["alert"]["status"], "submitted", "{backend}");
        assert_eq!(body["action"]["result-type"], "webhook", "{backend}");
        assert_eq!(body["action"]["attempt"], 1, "{backend}");

        let list = deliveries(&server, hook).await;
        assert_eq!(list.len(), 1, "{backend}: {list:?}");
        let delivery = &list[0];
        assert_eq!(delivery["status"], "delivered", "{backend}: {delivery}");
        assert_eq!(delivery["attempts"], 1, "{backend}");
        assert_eq!(delivery["last-status"], 200, "{backend}");
        assert_eq!(delivery["event-id"], event_id, "{backend}");
        assert_eq!(
            hit.header("quire-webhook-id"),
            delivery["id"].to_string(),
            "{backend}"
        );
        assert_eq!(delivery["idempotency-key"], body["idempotency-key"]);
        let detail = server
            .admin("GET", &format!("/api/v1/asm/events/{event_id}"), None)
            .await;
        assert_eq!(
            detail["journal"][0]["outcome"],
            json!({"outcome": "webhook-queued", "delivery-id": delivery["id"], "endpoint-id": hook}),
            "{backend}: {detail}"
        );
    }
}

#[tokio::test]
async fn a_receiver_answering_500_gets_the_webhook_again_and_the_delivery_lists_both_attempts() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let receiver = Receiver::start(
            receiver_address(11 + n as u8, 0),
            vec![Answer::status(500), Answer::status(200)],
        )
        .await;
        let server = TestServer::start_configured(db, hooking(3)).await;
        let backend = server.backend;
        let (dealer, _, agent) = northwind(&server).await;
        let (hook, secret) = endpoint(&server, dealer, &hook_url(&receiver)).await;
        let id = define(
            &server,
            definition(dealer, toner_below(20), webhook_action(hook), 2),
        )
        .await;
        drain(&server, &agent).await;

        let list = deliveries_once(&server, hook, "were delivered", |list| {
            list.first().is_some_and(|d| d["status"] == "delivered")
        })
        .await;
        assert_eq!(list.len(), 1, "{backend}: one delivery, retried: {list:?}");
        let delivery = &list[0];
        assert_eq!(delivery["attempts"], 2, "{backend}: {delivery}");
        assert_eq!(delivery["last-status"], 200, "{backend}: {delivery}");
        let error = delivery["last-error"].as_str().unwrap_or_default();
        assert!(
            error.contains("500") && error.contains("the receiver's own words"),
            "{backend}: {delivery}"
        );
        let received = receiver.received();
        assert_eq!(received.len(), 2, "{backend}: {received:?}");
        for (attempt, hit) in received.iter().enumerate() {
            assert_eq!(
                hit.header("quire-webhook-id"),
                delivery["id"].to_string(),
                "{backend}"
            );
            assert_eq!(
                hit.header("quire-webhook-attempt"),
                (attempt + 1).to_string(),
                "{backend}"
            );
            assert_eq!(
                hit.header("quire-webhook-signature"),
                expected_signature(&secret, hit),
                "{backend}"
            );
        }
        assert_eq!(received[0].body, received[1].body, "{backend}");
        events_once(&server, id, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
    }
}

#[tokio::test]
async fn a_webhook_to_a_receiver_that_is_down_waits_and_is_delivered_when_it_comes_up() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let address = receiver_address(21 + n as u8, 18080);
        let url = format!("http://{address}/hooks/quire");
        let server = TestServer::start_configured(db, hooking(1000)).await;
        let backend = server.backend;
        let (dealer, _, agent) = northwind(&server).await;
        let (hook, _) = endpoint(&server, dealer, &url).await;
        let id = define(
            &server,
            definition(dealer, toner_below(20), webhook_action(hook), 2),
        )
        .await;
        drain(&server, &agent).await;

        let list = deliveries_once(&server, hook, "failed twice", |list| {
            list.first()
                .is_some_and(|d| d["attempts"].as_u64().unwrap_or(0) >= 2)
        })
        .await;
        let delivery = &list[0];
        assert_eq!(delivery["status"], "queued", "{backend}: {delivery}");
        assert!(
            delivery["last-error"]
                .as_str()
                .is_some_and(|e| e.contains("connecting")),
            "{backend}: {delivery}"
        );
        assert!(delivery["next-attempt-at"].is_string(), "{backend}");
        let events = events_once(&server, id, "were submitted", |events| {
            events.first().is_some_and(|e| e["status"] == "submitted")
        })
        .await;
        assert_eq!(events[0]["open"], true, "{backend}");

        let receiver = Receiver::start(address, vec![Answer::status(200)]).await;
        let list = deliveries_once(&server, hook, "were delivered", |list| {
            list.first().is_some_and(|d| d["status"] == "delivered")
        })
        .await;
        assert_eq!(list.len(), 1, "{backend}: {list:?}");
        assert_eq!(list[0]["next-attempt-at"], Value::Null, "{backend}");
        assert_eq!(receiver.received().len(), 1, "{backend}");
        events_once(&server, id, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
    }
}

#[tokio::test]
async fn a_bad_endpoint_is_refused_naming_the_field_and_another_dealer_neither_sees_nor_uses_it() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let (dealer, customer, _) = northwind(&server).await;
        let (hook, secret) = endpoint(&server, dealer, "https://erp.northwind.example/quire").await;
        for (account, body, field) in [
            (
                dealer,
                json!({"name": "ERP", "url": "ftp://erp.example/"}),
                "url",
            ),
            (dealer, json!({"name": "ERP", "url": "erp.example"}), "url"),
            (
                dealer,
                json!({"name": "ERP", "url": "https://me:pw@erp.example/"}),
                "url",
            ),
            (
                dealer,
                json!({"name": " ", "url": "https://erp.example/"}),
                "name",
            ),
            (
                customer,
                json!({"name": "ERP", "url": "https://erp.example/"}),
                "account_id",
            ),
        ] {
            let answer = server
                .call(
                    "POST",
                    &format!("/api/v1/accounts/{account}/webhooks"),
                    Some(&server.admin),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                (answer.status, answer.json()["field"].as_str()),
                (400, Some(field)),
                "{backend}: {body}: {}",
                answer.text()
            );
        }
        let toner = toner_below(20);
        let mut bare = webhook_action(hook);
        bare["kind"] = json!("webhook");
        for (action, field) in [
            (
                webhook_action(999_999),
                "actions[0].kind.webhook.endpoint-id",
            ),
            (bare, "actions[0].kind"),
        ] {
            let answer = server
                .call(
                    "POST",
                    "/api/v1/asm/definitions",
                    Some(&server.admin),
                    Some(definition(dealer, toner.clone(), action.clone(), 2)),
                )
                .await;
            assert_eq!(
                (answer.status, answer.json()["field"].as_str()),
                (400, Some(field)),
                "{backend}: {action}: {}",
                answer.text()
            );
        }

        // Contoso, another dealer, and its user.
        let main = server.running.main_dealer.0;
        let contoso = server
            .admin(
                "POST",
                "/api/v1/accounts",
                Some(json!({"name": "Contoso", "parent-id": main, "is-dealer": true})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "carl", "password": "a long password",
                    "role": "dealer-user", "account-ids": [contoso]})),
            )
            .await;
        let carl = server.login("carl", "a long password").await;
        for (method, path, body) in [
            ("GET", format!("/api/v1/webhooks/{hook}"), None),
            ("GET", format!("/api/v1/webhooks/{hook}/deliveries"), None),
            ("GET", format!("/api/v1/accounts/{dealer}/webhooks"), None),
            (
                "PUT",
                format!("/api/v1/webhooks/{hook}"),
                Some(json!({"name": "Mine", "url": "https://contoso.example/"})),
            ),
            (
                "POST",
                format!("/api/v1/webhooks/{hook}/rotate-secret"),
                None,
            ),
            ("DELETE", format!("/api/v1/webhooks/{hook}"), None),
        ] {
            let answer = server.call(method, &path, Some(&carl), body).await;
            assert_eq!(
                answer.status,
                404,
                "{backend}: {method} {path}: {}",
                answer.text()
            );
            assert!(!answer.text().contains(&secret), "{backend}");
        }
        for token in [carl.clone(), server.admin.clone()] {
            let answer = server
                .call(
                    "POST",
                    "/api/v1/asm/definitions",
                    Some(&token),
                    Some(definition(contoso, toner.clone(), webhook_action(hook), 2)),
                )
                .await;
            assert_eq!(
                (answer.status, answer.json()["field"].as_str()),
                (400, Some("actions[0].kind.webhook.endpoint-id")),
                "{backend}: {}",
                answer.text()
            );
        }

        // Its own dealer reads it, secret-free; a rotation shows a new secret once.
        let read = server
            .admin("GET", &format!("/api/v1/webhooks/{hook}"), None)
            .await;
        assert_eq!(read["name"], "ERP", "{backend}");
        assert_eq!(read.get("secret"), None, "{backend}: {read}");
        let rotated = server
            .admin(
                "POST",
                &format!("/api/v1/webhooks/{hook}/rotate-secret"),
                None,
            )
            .await;
        let new_secret = rotated["secret"].as_str().unwrap();
        assert!(
            new_secret.starts_with("whsec_") && new_secret != secret,
            "{backend}: {rotated}"
        );
        let renamed = server
            .admin(
                "PUT",
                &format!("/api/v1/webhooks/{hook}"),
                Some(json!({"name": "ERP 2", "url": "https://erp2.northwind.example/"})),
            )
            .await;
        assert_eq!(
            renamed["url"], "https://erp2.northwind.example/",
            "{backend}"
        );
        let gone = server
            .call(
                "DELETE",
                &format!("/api/v1/webhooks/{hook}"),
                Some(&server.admin),
                None,
            )
            .await;
        assert_eq!(gone.status, 204, "{backend}: {}", gone.text());
        let answer = server
            .call(
                "POST",
                "/api/v1/asm/definitions",
                Some(&server.admin),
                Some(definition(dealer, toner.clone(), webhook_action(hook), 2)),
            )
            .await;
        assert_eq!(
            answer.json()["field"],
            "actions[0].kind.webhook.endpoint-id",
            "{backend}: a deleted endpoint was taken"
        );
    }
}

#[tokio::test]
async fn a_stored_alert_frequency_holds_the_accounts_second_alert_until_the_interval_passes() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let receiver =
            Receiver::start(receiver_address(31 + n as u8, 0), vec![Answer::status(200)]).await;
        // The scheduler never ticks by itself: the test ticks at the instants it names.
        let server = TestServer::start_configured(db, |server| {
            hooking(3)(server);
            server.asm_every = Duration::from_secs(3600);
        })
        .await;
        let backend = server.backend;
        let store = server.running.store.clone();
        let (dealer, customer, agent) = northwind(&server).await;
        let (hook, _) = endpoint(&server, dealer, &hook_url(&receiver)).await;
        let hourly = json!([{"result-type": "webhook", "interval": {"unit": "hours", "value": 1}}]);
        let set = server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{customer}/alert-frequencies"),
                Some(hourly.clone()),
            )
            .await;
        assert_eq!(set, hourly, "{backend}");
        assert_eq!(
            server
                .admin(
                    "GET",
                    &format!("/api/v1/accounts/{customer}/alert-frequencies"),
                    None
                )
                .await,
            hourly,
            "{backend}"
        );
        let id = define(
            &server,
            definition(dealer, toner_below(20), webhook_action(hook), 2),
        )
        .await;
        let unused = quire_server::Server::new("unused");
        let actions = unused.actions().unwrap();
        let alert_logic = unused.alert_logic().await.unwrap();
        let tick = |at| {
            let (store, actions, alert_logic) =
                (store.clone(), actions.clone(), alert_logic.clone());
            async move {
                quire_server::asm::run_tick(&store, &actions, &alert_logic, at)
                    .await
                    .unwrap()
            }
        };
        let t0 = Utc::now()
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap()
            - chrono::Duration::hours(3);
        let minutes = chrono::Duration::minutes;

        // Printer 1's toner is low: its alert's webhook goes at once.
        server
            .deliver(&agent, &[read(1, t0 - minutes(5), 15, "A")])
            .await;
        tick(t0).await;
        deliveries_once(&server, hook, "held the first", |list| list.len() == 1).await;

        // Printer 2's toner is low ten minutes later: held, still at 59 minutes.
        let mut second = crate::support::item(2, None, 2, 0);
        second.taken_at = t0 + minutes(5);
        second.reading.supplies = vec![crate::asm::toner(12, "B")];
        server.deliver(&agent, &[second]).await;
        tick(t0 + minutes(10)).await;
        let events = events_once(&server, id, "opened the second", |events| {
            events.iter().filter(|e| e["open"] == true).count() >= 1 && events.len() == 2
        })
        .await;
        let held = events
            .iter()
            .find(|e| e["open"] == true)
            .unwrap_or_else(|| panic!("{backend}: {events:?}"));
        let held_id = held["id"].as_i64().unwrap();
        assert_eq!(held["status"], "alert", "{backend}: {held}");
        tick(t0 + minutes(59)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            deliveries(&server, hook).await.len(),
            1,
            "{backend}: the second alert's webhook went within the hour"
        );

        // An hour after the first, the held one is released.
        tick(t0 + minutes(61)).await;
        let list = deliveries_once(&server, hook, "released the second", |list| {
            list.len() == 2 && list.iter().all(|d| d["status"] == "delivered")
        })
        .await;
        assert_eq!(list[0]["event-id"], held_id, "{backend}: {list:?}");
        let detail = server
            .admin("GET", &format!("/api/v1/asm/events/{held_id}"), None)
            .await;
        assert_eq!(
            detail["journal"][0]["decision"]["at"],
            json!((t0 + minutes(61)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            "{backend}: {detail}"
        );
        assert_eq!(receiver.received().len(), 2, "{backend}");
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_a_receiver_that_never_answers_times_out() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let elsewhere =
            Receiver::start(receiver_address(41 + n as u8, 0), vec![Answer::status(200)]).await;
        let redirecting = Receiver::start(
            receiver_address(43 + n as u8, 0),
            vec![Answer::status(307).redirecting(hook_url(&elsewhere))],
        )
        .await;
        // Accepts connections and never answers.
        let silent = tokio::net::TcpListener::bind(receiver_address(45 + n as u8, 0))
            .await
            .unwrap();
        let silent_url = format!("http://{}/hooks", silent.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((tcp, _)) = silent.accept().await {
                open.push(tcp);
            }
        });
        let server = TestServer::start_configured(db, |server| {
            hooking(1000)(server);
            server.webhooks.timeout = Duration::from_millis(300);
        })
        .await;
        let backend = server.backend;
        let (dealer, _, agent) = northwind(&server).await;
        let (redirected, _) = endpoint(&server, dealer, &hook_url(&redirecting)).await;
        let (timing_out, _) = endpoint(&server, dealer, &silent_url).await;
        let mut second = webhook_action(timing_out);
        second["id"] = json!(2);
        second["ordinal"] = json!(2);
        let mut both = definition(dealer, toner_below(20), webhook_action(redirected), 2);
        both["actions"].as_array_mut().unwrap().push(second);
        define(&server, both).await;
        drain(&server, &agent).await;

        let list = deliveries_once(&server, redirected, "were refused twice", |list| {
            list.first()
                .is_some_and(|d| d["attempts"].as_u64().unwrap_or(0) >= 2)
        })
        .await;
        let error = list[0]["last-error"].as_str().unwrap_or_default();
        assert!(
            error.contains("307")
                && error.contains("redirects are not followed")
                && error.contains(&hook_url(&elsewhere)),
            "{backend}: {}",
            list[0]
        );
        assert_eq!(list[0]["last-status"], 307, "{backend}");
        assert_eq!(list[0]["status"], "queued", "{backend}");
        assert!(
            elsewhere.received().is_empty(),
            "{backend}: the redirect was followed"
        );
        let list = deliveries_once(&server, timing_out, "timed out", |list| {
            list.first()
                .is_some_and(|d| d["attempts"].as_u64().unwrap_or(0) >= 1)
        })
        .await;
        assert!(
            list[0]["last-error"]
                .as_str()
                .is_some_and(|e| e.contains("no answer within")),
            "{backend}: {}",
            list[0]
        );
        assert_eq!(list[0]["last-status"], Value::Null, "{backend}");
        held.abort();
    }
}

/// The API key of the dealer's system: what the receiver must get and no answer may show.
const API_KEY: &str = "erp-key-7f3c9a1e5b";

#[tokio::test]
async fn an_endpoints_static_headers_reach_the_receiver_survive_a_rename_and_are_never_shown() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let receiver =
            Receiver::start(receiver_address(51 + n as u8, 0), vec![Answer::status(200)]).await;
        let server = TestServer::start_configured(db, hooking(3)).await;
        let backend = server.backend;
        let (dealer, _customer, agent) = northwind(&server).await;
        let created = server
            .call(
                "POST",
                &format!("/api/v1/accounts/{dealer}/webhooks"),
                Some(&server.admin),
                Some(
                    json!({"name": "ERP", "url": hook_url(&receiver), "headers": [
                        {"name": "Authorization", "value": format!("Bearer {API_KEY}")},
                        {"name": "X-Api-Key", "value": API_KEY},
                    ]}),
                ),
            )
            .await;
        assert_eq!(created.status, 201, "{backend}: {}", created.text());
        assert!(
            !created.text().contains(API_KEY),
            "{backend}: {}",
            created.text()
        );
        let hook = created.json()["id"].as_i64().unwrap();
        // A rename that leaves the headers out keeps them.
        let renamed = server
            .call(
                "PUT",
                &format!("/api/v1/webhooks/{hook}"),
                Some(&server.admin),
                Some(json!({"name": "ERP (prod)", "url": hook_url(&receiver)})),
            )
            .await;
        assert_eq!(renamed.status, 200, "{backend}: {}", renamed.text());
        let masked = json!([
            {"name": "Authorization", "value": null, "set": true},
            {"name": "X-Api-Key", "value": null, "set": true},
        ]);
        for path in [
            format!("/api/v1/webhooks/{hook}"),
            format!("/api/v1/accounts/{dealer}/webhooks"),
        ] {
            let read = server.call("GET", &path, Some(&server.admin), None).await;
            assert_eq!(read.status, 200, "{backend}: {path}");
            assert!(
                !read.text().contains(API_KEY),
                "{backend}: {path} showed the key: {}",
                read.text()
            );
            let read = read.json();
            let one = if read.is_array() { &read[0] } else { &read };
            assert_eq!(one["headers"], masked, "{backend}: {path}: {one}");
        }
        assert!(
            !renamed.text().contains(API_KEY),
            "{backend}: {}",
            renamed.text()
        );

        let id = define(
            &server,
            definition(dealer, toner_below(20), webhook_action(hook), 2),
        )
        .await;
        drain(&server, &agent).await;
        deliveries_once(&server, hook, "were delivered", |list| {
            list.first().is_some_and(|d| d["status"] == "delivered")
        })
        .await;
        events_once(&server, id, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
        let received = receiver.received();
        assert_eq!(received.len(), 1, "{backend}: {received:?}");
        let hit = &received[0];
        assert_eq!(
            hit.header("authorization"),
            format!("Bearer {API_KEY}"),
            "{backend}"
        );
        assert_eq!(hit.header("x-api-key"), API_KEY, "{backend}");
        assert_eq!(
            hit.headers.get_all("x-api-key").iter().count(),
            1,
            "{backend}"
        );
        // The host's own headers are still its own.
        assert_eq!(hit.header("content-type"), "application/json", "{backend}");
        assert!(
            hit.header("quire-webhook-signature").starts_with("v1="),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_bad_static_header_is_refused_naming_it_and_the_endpoint_keeps_its_own() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let (dealer, _, _) = northwind(&server).await;
        let url = "https://erp.northwind.example/quire";
        let key = |name: &str| json!({"name": name, "value": API_KEY});
        let many: Vec<Value> = (0..21).map(|i| key(&format!("X-Key-{i}"))).collect();
        let large: Vec<Value> = (0..4)
            .map(|i| json!({"name": format!("X-Token-{i}"), "value": "t".repeat(2000)}))
            .collect();
        let cases = [
            (
                json!([key("X-Api-Key"), key("X Api")]),
                "headers[1].name",
                "token",
            ),
            (json!([key("X-Api-Key:")]), "headers[0].name", "token"),
            (json!([key("Host")]), "headers[0].name", "set by Quire"),
            (
                json!([key("Content-Length")]),
                "headers[0].name",
                "set by Quire",
            ),
            (
                json!([key("Idempotency-Key")]),
                "headers[0].name",
                "set by Quire",
            ),
            (
                json!([key("X-A"), key("X-B"), key("Quire-Webhook-Signature")]),
                "headers[2].name",
                "set by Quire",
            ),
            (
                json!([key("X-Api-Key"), key("x-api-key")]),
                "headers[1].name",
                "headers[0]",
            ),
            (
                json!([{"name": "X-Api-Key", "value": format!("{API_KEY}\r\nX-Evil: 1")}]),
                "headers[0].value",
                "line break",
            ),
            (
                json!([{"name": "X-Api-Key", "value": format!("{API_KEY}\u{7}")}]),
                "headers[0].value",
                "control",
            ),
            (
                json!([{"name": "X-Api-Key", "value": " "}]),
                "headers[0].value",
                "empty",
            ),
            (
                json!([{"name": "X-Api-Key"}]),
                "headers[0].value",
                "missing",
            ),
            (json!(many), "headers", "at most 20"),
            (json!(large), "headers", "bytes"),
        ];
        for (headers, field, why) in &cases {
            let answer = server
                .call(
                    "POST",
                    &format!("/api/v1/accounts/{dealer}/webhooks"),
                    Some(&server.admin),
                    Some(json!({"name": "ERP", "url": url, "headers": headers})),
                )
                .await;
            let text = answer.text();
            assert_eq!(
                (answer.status, answer.json()["field"].as_str()),
                (400, Some(*field)),
                "{backend}: {headers}: {text}"
            );
            assert!(text.contains(why), "{backend}: {headers}: {text}");
            assert!(
                !text.contains(API_KEY),
                "{backend}: the error quoted the value: {text}"
            );
        }
        let listed = server
            .admin("GET", &format!("/api/v1/accounts/{dealer}/webhooks"), None)
            .await;
        assert_eq!(listed, json!([]), "{backend}: a refused endpoint was kept");

        // A bad change loses nothing: the stored header stays.
        let created = server
            .admin(
                "POST",
                &format!("/api/v1/accounts/{dealer}/webhooks"),
                Some(json!({"name": "ERP", "url": url, "headers": [key("X-Api-Key")]})),
            )
            .await;
        let hook = created["id"].as_i64().unwrap();
        let answer = server
            .call(
                "PUT",
                &format!("/api/v1/webhooks/{hook}"),
                Some(&server.admin),
                Some(json!({"name": "ERP", "url": url, "headers": [{"name": "X-Other"}]})),
            )
            .await;
        assert_eq!(
            (answer.status, answer.json()["field"].as_str()),
            (400, Some("headers[0].value")),
            "{backend}: {}",
            answer.text()
        );
        let read = server
            .admin("GET", &format!("/api/v1/webhooks/{hook}"), None)
            .await;
        assert_eq!(
            read["headers"],
            json!([{"name": "X-Api-Key", "value": null, "set": true}]),
            "{backend}: {read}"
        );
        // An empty list removes them.
        let cleared = server
            .admin(
                "PUT",
                &format!("/api/v1/webhooks/{hook}"),
                Some(json!({"name": "ERP", "url": url, "headers": []})),
            )
            .await;
        assert_eq!(cleared["headers"], json!([]), "{backend}: {cleared}");
    }
}
