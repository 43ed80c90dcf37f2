//! ASM end to end in the server: a dealer defines an alert over the API, readings filed
//! through the real ingest raise it, the server's own scheduler (every 200 ms here)
//! opens the event, waits for approval, e-mails the dealer's supplies contact through a
//! real SMTP server (aiosmtpd) once approved, and archives it; a service alert from a
//! paper jam that clears by itself is archived with nothing carried out.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, Utc};
use quire_model::{Supply, SupplyState};
use quire_protocol::{AgentToken, UploadItem};
use quire_server::Server;
use quire_server::mailer::{MailerPolicy, Security, SmtpSettings};
use quire_test_peers::Smtp;
use serde_json::{Value, json};

use crate::support::{TestServer, backends, item, jammed};

/// Each test's SMTP server: its own address, so parallel tests never meet.
fn smtp_address(n: u8) -> SocketAddr {
    SocketAddr::from(([127, 57, 1, n], 2525))
}

/// A server that ticks ASM every 200 ms and sends through `smtp` at once.
pub(crate) fn alerting(smtp: SocketAddr) -> impl FnOnce(&mut Server) {
    move |server| {
        server.asm_every = Duration::from_millis(200);
        server.smtp = Some(SmtpSettings {
            host: smtp.ip().to_string(),
            port: smtp.port(),
            security: Security::Plain,
            credentials: None,
            from: "Quire <alerts@northwind.example>".parse().unwrap(),
            timeout: Duration::from_secs(5),
        });
        server.mailer = MailerPolicy {
            every: Duration::from_millis(100),
            max_attempts: 3,
            backoff: vec![Duration::from_millis(200)],
            batch: 100,
        };
    }
}

/// A dealer under the main dealer with its contacts and an e-mail processing behaviour
/// to its supplies contact, and a customer of it with an enrolled agent: (dealer,
/// customer, agent).
pub(crate) async fn northwind(server: &TestServer) -> (i64, i64, AgentToken) {
    let main = server.running.main_dealer.0;
    let dealer = server
        .admin(
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": "Northwind", "parent-id": main, "is-dealer": true})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let customer = server
        .admin(
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": "Acme", "parent-id": dealer})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let contacts = server
        .admin(
            "PUT",
            &format!("/api/v1/accounts/{dealer}/contacts"),
            Some(json!([
                {"role": "admin", "name": "Ada Admin", "email": "admin@northwind.example"},
                {"role": "supplies", "name": "Sam Supplies", "email": "supplies@northwind.example"},
            ])),
        )
        .await;
    assert_eq!(contacts.as_array().map(Vec::len), Some(2), "{contacts}");
    server
        .admin(
            "PUT",
            &format!("/api/v1/accounts/{dealer}/processing-behaviours"),
            Some(json!([{"result-type": "email",
                "recipients": [{"primary-dealer-contact": "supplies"}]}])),
        )
        .await;
    let (_, agent) = server.enroll(&server.key(customer).await).await.unwrap();
    (dealer, customer, agent)
}

pub(crate) fn toner(percent: u8, serial: &str) -> Supply {
    Supply {
        index: 1,
        description: "TK-5240K".into(),
        kind: "toner".into(),
        color: Some("black".into()),
        unit: Some("percent".into()),
        level: Some(i32::from(percent)),
        max: Some(100),
        percent: Some(percent),
        state: if percent <= 10 {
            SupplyState::Low
        } else {
            SupplyState::Ok
        },
        serial: Some(serial.into()),
        part_number: Some("TK-5240K".into()),
    }
}

/// Printer 1 read at `at` with its black toner at `percent` on cartridge `serial`.
pub(crate) fn read(seq: u64, at: DateTime<Utc>, percent: u8, serial: &str) -> UploadItem {
    let mut item = item(seq, None, 1, 0);
    item.taken_at = at;
    item.reading.supplies = vec![toner(percent, serial)];
    item
}

/// The events of `definition`, once `done` holds of them (or the test fails).
pub(crate) async fn events_once(
    server: &TestServer,
    definition: i64,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let path = format!("/api/v1/asm/events?definition-id={definition}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let events = server.admin("GET", &path, None).await;
        let events = events.as_array().cloned().unwrap_or_default();
        if done(&events) {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "{}: the events never {what}: {events:?}",
            server.backend
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Defines `body` as the administrator; the definition's id.
pub(crate) async fn define(server: &TestServer, body: Value) -> i64 {
    let created = server
        .call(
            "POST",
            "/api/v1/asm/definitions",
            Some(&server.admin),
            Some(body),
        )
        .await;
    assert_eq!(
        created.status,
        201,
        "{}: {}",
        server.backend,
        created.text()
    );
    created.json()["id"].as_i64().unwrap()
}

pub(crate) fn definition(owner: i64, trigger: Value, action: Value, overdue_days: u32) -> Value {
    json!({
        "owner-account-id": owner,
        "name": "Toner low",
        "hierarchical": true,
        "trigger": trigger,
        "overdue": {"unit": "days", "value": overdue_days},
        "stale": {"unit": "days", "value": 7},
        "actions": [action],
    })
}

#[tokio::test]
async fn a_low_toner_waits_for_approval_emails_the_supplies_contact_and_a_new_drop_raises_a_new_alert()
 {
    for db in backends().await {
        let address = smtp_address(1);
        let smtp = Smtp::start(address);
        let server = TestServer::start_configured(db, alerting(address)).await;
        let backend = server.backend;
        let (dealer, customer, agent) = northwind(&server).await;
        let id = define(
            &server,
            definition(
                dealer,
                json!({"consumable": {"consumable": "toner", "threshold-percent": 20}}),
                json!({"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                        "requires-approval": true, "timing": "immediate", "max-attempts": 3}),
                2,
            ),
        )
        .await;

        let now = Utc::now()
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap();
        server
            .deliver(
                &agent,
                &[read(1, now - chrono::Duration::hours(2), 35, "A")],
            )
            .await;
        server
            .deliver(
                &agent,
                &[read(2, now - chrono::Duration::hours(1), 15, "A")],
            )
            .await;

        // The toner at 15 % is below 20 %: an event waiting for approval, nothing sent.
        let events = events_once(&server, id, "waited for approval", |events| {
            events
                .first()
                .is_some_and(|e| e["status"] == "waiting-for-approval")
        })
        .await;
        let event = &events[0];
        assert_eq!(event["account-id"], customer, "{backend}: {event}");
        assert_eq!(event["trigger"], "consumable:toner:black:1", "{backend}");
        assert_eq!(event["detail"]["event"]["last-level"], 15, "{backend}");
        let event_id = event["id"].as_i64().unwrap();
        assert!(
            smtp.messages().is_empty(),
            "{backend}: sent before approval"
        );
        let queue = server
            .admin(
                "GET",
                "/api/v1/asm/events?status=waiting-for-approval",
                None,
            )
            .await;
        assert_eq!(
            queue.as_array().map(Vec::len),
            Some(1),
            "{backend}: {queue}"
        );

        let approved = server
            .call(
                "POST",
                &format!("/api/v1/asm/events/{event_id}/approve"),
                Some(&server.admin),
                None,
            )
            .await;
        assert_eq!(approved.status, 202, "{backend}: {}", approved.text());

        // Approved: the e-mail goes to the supplies contact, and once it is sent every
        // action is done, so the event is archived.
        let events = events_once(&server, id, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
        assert_eq!(
            events[0]["detail"]["archived"]["reason"], "all-actions-finished",
            "{backend}: {}",
            events[0]
        );
        let messages = smtp.messages();
        assert_eq!(messages.len(), 1, "{backend}: {messages:?}");
        assert_eq!(
            messages[0].rcpt_tos,
            ["supplies@northwind.example"],
            "{backend}"
        );
        assert!(
            messages[0]
                .subject
                .starts_with("Toner low: toner:black:1 at 15 %"),
            "{backend}: {}",
            messages[0].subject
        );
        assert!(
            messages[0].body.contains("Account: Acme"),
            "{backend}: {}",
            messages[0].body
        );
        let detail = server
            .admin("GET", &format!("/api/v1/asm/events/{event_id}"), None)
            .await;
        let journal = detail["journal"].as_array().unwrap();
        assert_eq!(journal.len(), 1, "{backend}: {detail}");
        assert_eq!(
            journal[0]["outcome"]["outcome"], "email-queued",
            "{backend}"
        );
        assert_eq!(
            journal[0]["decision"]["decision"], "invoke-action",
            "{backend}"
        );

        // The same cartridge still low raises nothing new; a new cartridge, then its own
        // drop below the threshold, raises a new event.
        server
            .deliver(
                &agent,
                &[read(3, now - chrono::Duration::minutes(50), 14, "A")],
            )
            .await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            events_once(&server, id, "stayed one", |e| !e.is_empty())
                .await
                .len(),
            1,
            "{backend}: the settled alert was raised again"
        );
        server
            .deliver(
                &agent,
                &[read(4, now - chrono::Duration::minutes(40), 100, "B")],
            )
            .await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        server
            .deliver(
                &agent,
                &[read(5, now - chrono::Duration::minutes(30), 12, "B")],
            )
            .await;
        let events = events_once(&server, id, "opened a second", |events| events.len() == 2).await;
        assert_eq!(events[0]["status"], "waiting-for-approval", "{backend}");
        assert_eq!(events[0]["detail"]["event"]["cartridge"], "B", "{backend}");
    }
}

#[tokio::test]
async fn a_paper_jam_that_clears_by_itself_is_archived_with_nothing_carried_out() {
    for db in backends().await {
        let address = smtp_address(2);
        let smtp = Smtp::start(address);
        let server = TestServer::start_configured(db, alerting(address)).await;
        let backend = server.backend;
        let (dealer, _, agent) = northwind(&server).await;
        // The e-mail waits for a user's approval, which nobody gives.
        let id = define(
            &server,
            definition(
                dealer,
                json!({"service": {"states": [{"group": "paper", "state": "paper-jam"}]}}),
                json!({"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                        "requires-approval": true, "timing": "immediate", "max-attempts": 3}),
                1,
            ),
        )
        .await;

        let now = Utc::now();
        let mut jam = jammed(read(1, now - chrono::Duration::minutes(10), 80, "A"));
        jam.taken_at = now - chrono::Duration::minutes(10);
        server.deliver(&agent, &[jam]).await;
        let events = events_once(&server, id, "opened", |events| {
            events
                .first()
                .is_some_and(|e| e["status"] == "waiting-for-approval")
        })
        .await;
        assert_eq!(events[0]["trigger"], "error-state:paper-jam", "{backend}");

        // The next alert read finds the jam cleared: no error bit, no alert row.
        let mut cleared = read(2, now - chrono::Duration::minutes(5), 80, "A");
        cleared.cycle = quire_model::Cycle::Alerts;
        cleared.reading.alerts.clear();
        cleared.reading.status.errors.clear();
        server.deliver(&agent, &[cleared]).await;
        let events = events_once(&server, id, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
        assert_eq!(
            events[0]["detail"]["archived"]["reason"], "error-cleared",
            "{backend}: {}",
            events[0]
        );
        let event_id = events[0]["id"].as_i64().unwrap();
        let detail = server
            .admin("GET", &format!("/api/v1/asm/events/{event_id}"), None)
            .await;
        assert_eq!(detail["journal"], json!([]), "{backend}: {detail}");
        assert!(smtp.messages().is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn a_bad_definition_is_refused_naming_each_field_and_account_users_only_read() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let (dealer, customer, _) = northwind(&server).await;
        let email = json!({"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
            "requires-approval": false, "timing": "immediate", "max-attempts": 3});
        let toner = json!({"consumable": {"consumable": "toner", "threshold-percent": 20}});
        let mut no_threshold = definition(dealer, toner.clone(), email.clone(), 2);
        no_threshold["trigger"]["consumable"]["threshold-percent"] = json!(0);
        let mut no_actions = definition(dealer, toner.clone(), email.clone(), 2);
        no_actions["actions"] = json!([]);
        let mut bad_state = definition(
            dealer,
            json!({"service": {"states": [{"group": "paper", "state": "Paper Jam"}]}}),
            email.clone(),
            2,
        );
        bad_state["stale"]["value"] = json!(0);
        for (body, field) in [
            (no_threshold, "trigger.threshold-percent"),
            (no_actions, "actions"),
            (bad_state, "trigger.states[0].state"),
            (
                definition(customer, toner.clone(), email.clone(), 2),
                "owner",
            ),
            (
                definition(dealer, toner.clone(), email.clone(), 0),
                "overdue.value",
            ),
        ] {
            let answer = server
                .call(
                    "POST",
                    "/api/v1/asm/definitions",
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
        assert_eq!(
            server.admin("GET", "/api/v1/asm/definitions", None).await,
            json!([]),
            "{backend}: a refused definition was stored"
        );

        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "nora", "password": "a long password",
                    "role": "account-user", "account-ids": [customer]})),
            )
            .await;
        let nora = server.login("nora", "a long password").await;
        let good = definition(dealer, toner, email, 2);
        let refused = server
            .call(
                "POST",
                "/api/v1/asm/definitions",
                Some(&nora),
                Some(good.clone()),
            )
            .await;
        assert_eq!(refused.status, 403, "{backend}: {}", refused.text());
        let listed = server
            .call("GET", "/api/v1/asm/definitions", Some(&nora), None)
            .await;
        assert_eq!(
            (listed.status, listed.json()),
            (200, json!([])),
            "{backend}"
        );
        define(&server, good).await;
        for (role, field) in [("boss", "[0].role"), ("admin", "[0].role")] {
            let answer = server
                .call(
                    "PUT",
                    &format!("/api/v1/accounts/{customer}/contacts"),
                    Some(&server.admin),
                    Some(json!([{"role": role, "name": "X", "email": "x@acme.example"}])),
                )
                .await;
            assert_eq!(
                (answer.status, answer.json()["field"].as_str()),
                (400, Some(field)),
                "{backend}: {role}: {}",
                answer.text()
            );
        }
        let answer = server
            .call(
                "PUT",
                &format!("/api/v1/accounts/{dealer}/contacts"),
                Some(&server.admin),
                Some(json!([{"name": "X", "email": "not an address"}])),
            )
            .await;
        assert_eq!(answer.json()["field"], "[0].email", "{backend}");
    }
}

#[tokio::test]
async fn preconditions_name_what_is_missing_and_shrink_as_a_dealer_configures_it() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let main = server.running.main_dealer.0;
        let (dealer, customer, _) = northwind(&server).await;
        let missing = server.admin("GET", "/api/v1/asm/preconditions", None).await;
        let has = |list: &Value, item: Value| list.as_array().unwrap().contains(&item);
        // No SMTP is configured on this server, and nobody set the main dealer's contact.
        assert!(
            has(&missing, json!({"missing": "smtp"})),
            "{backend}: {missing}"
        );
        assert!(
            has(
                &missing,
                json!({"missing": "main-dealer-primary-email", "dealer": main})
            ),
            "{backend}: {missing}"
        );
        // Northwind set its admin and supplies contacts and its e-mail behaviour.
        for role in ["support", "service", "billing"] {
            let item = json!({"missing": "primary-dealer-contact", "dealer": dealer, "role": role});
            assert!(has(&missing, item), "{backend}: {role}: {missing}");
        }
        for role in ["admin", "supplies"] {
            let item = json!({"missing": "primary-dealer-contact", "dealer": dealer, "role": role});
            assert!(!has(&missing, item), "{backend}: {role}: {missing}");
        }
        assert!(
            !has(
                &missing,
                json!({"missing": "processing-behaviour", "dealer": dealer})
            ),
            "{backend}: {missing}"
        );
        let acme = json!({"missing": "primary-account-contact", "account": customer});
        assert!(has(&missing, acme.clone()), "{backend}: {missing}");

        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{customer}/contacts"),
                Some(json!([{"role": "account-primary", "name": "Amy", "email": "amy@acme.example"}])),
            )
            .await;
        let missing = server.admin("GET", "/api/v1/asm/preconditions", None).await;
        assert!(!has(&missing, acme), "{backend}: {missing}");

        // A user of Acme sees what concerns Acme and the server, not the main dealer.
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "amy", "password": "a long password",
                    "role": "account-user", "account-ids": [customer]})),
            )
            .await;
        let amy = server.login("amy", "a long password").await;
        let seen = server
            .call("GET", "/api/v1/asm/preconditions", Some(&amy), None)
            .await
            .json();
        assert_eq!(seen, json!([{"missing": "smtp"}]), "{backend}");
    }
}

#[tokio::test]
async fn a_paper_jam_opens_a_work_order_priced_from_its_assessment_once() {
    for db in backends().await {
        let server = TestServer::start_configured(db, |server| {
            server.asm_every = Duration::from_millis(200);
        })
        .await;
        let backend = server.backend;
        let (dealer, customer, agent) = northwind(&server).await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{dealer}/service-settings"),
                Some(json!({"labour-rates": {"key-operator": "60"}})),
            )
            .await;
        let mut jams = definition(
            dealer,
            json!({"service": {"states": [{"group": "paper", "state": "paper-jam"}]}}),
            json!({"id": 1, "ordinal": 1, "kind": "work-order", "result-type": "work-order",
                "requires-approval": false, "timing": "immediate", "max-attempts": 2}),
            1,
        );
        jams["name"] = json!("Jams");
        let id = define(&server, jams).await;

        let mut jam = jammed(read(1, Utc::now() - chrono::Duration::minutes(10), 80, "A"));
        jam.taken_at = Utc::now() - chrono::Duration::minutes(10);
        server.deliver(&agent, &[jam]).await;

        // The work order is the action: once it is open, every action is done.
        let events = events_once(&server, id, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
        assert_eq!(
            events[0]["detail"]["archived"]["reason"], "all-actions-finished",
            "{backend}: {}",
            events[0]
        );
        let orders = server
            .admin(
                "GET",
                &format!("/api/v1/work-orders?account-id={customer}"),
                None,
            )
            .await;
        let orders = orders.as_array().unwrap();
        assert_eq!(orders.len(), 1, "{backend}: {orders:?}");
        let order = &orders[0];
        assert_eq!(
            order["assessment"]["state"], "paper-jam",
            "{backend}: {order}"
        );
        // The generic strategy's jam: a key operator, 5 minutes, at 60 an hour.
        assert_eq!(order["estimate"], "5.00", "{backend}: {order}");
        assert!(
            order["note"]
                .as_str()
                .unwrap()
                .starts_with("Jams: paper-jam on"),
            "{backend}: {order}"
        );
        let event_id = events[0]["id"].as_i64().unwrap();
        let detail = server
            .admin("GET", &format!("/api/v1/asm/events/{event_id}"), None)
            .await;
        assert_eq!(
            detail["journal"][0]["outcome"],
            json!({"outcome": "work-order-created", "work-order-id": order["id"]}),
            "{backend}: {detail}"
        );
    }
}
