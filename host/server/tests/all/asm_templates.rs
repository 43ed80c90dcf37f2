//! ASM's e-mail templates and part costs end to end: a dealer edits its template, a
//! child dealer's customer's toner drains, and the real SMTP server (aiosmtpd) receives
//! the e-mail in the parent's wording with the part cost quoted by each rule in turn
//! (and in the built-in wording once a stored template no longer renders); bad
//! templates and price rows are refused naming where, and dealers see only theirs.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use quire_test_peers::{Smtp, SmtpMessage};
use serde_json::{Value, json};

use crate::asm::{alerting, define, definition, events_once, read};
use crate::support::{TestServer, backends};

/// A dealer account under `parent`; its id.
async fn dealer(server: &TestServer, name: &str, parent: i64) -> i64 {
    server
        .admin(
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": name, "parent-id": parent, "is-dealer": true})),
        )
        .await["id"]
        .as_i64()
        .unwrap()
}

/// A supplier with one price list; its id.
async fn supplier(server: &TestServer, name: &str, costs: Value) -> i64 {
    let id = server
        .admin("POST", "/api/v1/asm/suppliers", Some(json!({"name": name})))
        .await["id"]
        .as_i64()
        .unwrap();
    server
        .admin(
            "PUT",
            &format!("/api/v1/asm/suppliers/{id}/part-costs"),
            Some(costs),
        )
        .await;
    id
}

/// The messages the SMTP server received, once there are `n` (or the test fails).
async fn received(smtp: &Smtp, n: usize, backend: &str) -> Vec<SmtpMessage> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let messages = smtp.messages();
        if messages.len() >= n {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "{backend}: {n} e-mails never arrived: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_dealers_edited_template_is_what_the_smtp_server_receives_with_the_part_cost_each_rule_quotes()
 {
    for db in backends().await {
        let address = SocketAddr::from(([127, 57, 2, 1], 2525));
        let smtp = Smtp::start(address);
        let server = TestServer::start_configured(db, alerting(address)).await;
        let backend = server.backend;
        let main = server.running.main_dealer.0;
        // Northwind writes the template; East, a dealer under it, services Acme and
        // writes none, so Acme's e-mails inherit Northwind's.
        let northwind = dealer(&server, "Northwind", main).await;
        let east = dealer(&server, "Northwind East", northwind).await;
        let acme = server
            .admin(
                "POST",
                "/api/v1/accounts",
                Some(json!({"name": "Acme", "parent-id": east})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{east}/contacts"),
                Some(json!([
                    {"role": "admin", "name": "Ada", "email": "admin@east.example"},
                    {"role": "supplies", "name": "Sam", "email": "supplies@east.example"},
                ])),
            )
            .await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{east}/processing-behaviours"),
                Some(json!([{"result-type": "email",
                    "recipients": [{"primary-dealer-contact": "supplies"}]}])),
            )
            .await;
        let template = json!([{"kind": "consumable-alert",
            "subject": "[Northwind] {{ consumable }} low at {{ account }}",
            "body": "Dear supplies team,\nOrder {{ part_number }} for {{ device.serial }}: {{ part_cost }} ({{ part_cost_source }}).\n"}]);
        let set = server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{northwind}/email-templates"),
                Some(template),
            )
            .await;
        assert_eq!(
            set[0]["source"],
            json!({"from": "dealer", "dealer": northwind}),
            "{backend}: {set}"
        );
        let inherited = server
            .admin(
                "GET",
                &format!("/api/v1/accounts/{east}/email-templates"),
                None,
            )
            .await;
        assert_eq!(
            (&inherited[0]["source"], &inherited[1]["source"]),
            (
                &json!({"from": "dealer", "dealer": northwind}),
                &json!({"from": "built-in"})
            ),
            "{backend}: {inherited}"
        );

        // Dealer costs are the first parent dealer's: East's, not Northwind's.
        for (account, cost) in [(northwind, "95.00"), (east, "89.90")] {
            server
                .admin(
                    "PUT",
                    &format!("/api/v1/accounts/{account}/part-costs"),
                    Some(json!([{"part-number": "tk-5240k", "cost": cost}])),
                )
                .await;
        }
        let crane = supplier(
            &server,
            "Crane Toner",
            json!([{"part-number": "TK-1162", "cost": "30"}]),
        )
        .await;
        let acme_supplies = supplier(
            &server,
            "Acme Supplies",
            json!([{"part-number": "TK-5240K", "cost": "79.00"}]),
        )
        .await;
        let bolt = supplier(
            &server,
            "Bolt Parts",
            json!([{"part-number": "TK-5240K", "cost": "71.50"}]),
        )
        .await;

        let (_, agent) = server.enroll(&server.key(acme).await).await.unwrap();
        let id = define(
            &server,
            definition(
                northwind,
                json!({"consumable": {"consumable": "toner", "threshold-percent": 20}}),
                json!({"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                        "requires-approval": false, "timing": "immediate", "max-attempts": 3}),
                2,
            ),
        )
        .await;

        let start = Utc::now()
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap()
            - chrono::Duration::hours(3);
        let minutes = |m: i64| start + chrono::Duration::minutes(m);
        // Each round: a new cartridge, then its drop below 20 %, under the rule set then.
        let rounds = [
            (
                json!({"rule": "dealer"}),
                "A",
                "89.90 (dealer Northwind East)",
            ),
            (
                json!({"rule": "first-available-supplier",
                    "supplier-priority": [crane, acme_supplies, bolt]}),
                "B",
                "79.00 (supplier Acme Supplies)",
            ),
            (
                json!({"rule": "lowest-supplier",
                    "supplier-priority": [crane, acme_supplies, bolt]}),
                "C",
                "71.50 (supplier Bolt Parts)",
            ),
        ];
        for (round, (setting, cartridge, quoted)) in rounds.into_iter().enumerate() {
            server
                .admin("PUT", "/api/v1/asm/part-cost-setting", Some(setting))
                .await;
            let n = round as u64;
            server
                .deliver(
                    &agent,
                    &[read(2 * n + 1, minutes(40 * round as i64), 100, cartridge)],
                )
                .await;
            tokio::time::sleep(Duration::from_millis(600)).await;
            server
                .deliver(
                    &agent,
                    &[read(
                        2 * n + 2,
                        minutes(40 * round as i64 + 10),
                        12,
                        cartridge,
                    )],
                )
                .await;
            let messages = received(&smtp, round + 1, backend).await;
            let message = &messages[round];
            assert_eq!(message.rcpt_tos, ["supplies@east.example"], "{backend}");
            assert_eq!(
                message.subject, "[Northwind] toner:black:1 low at Acme",
                "{backend}: round {round}"
            );
            assert_eq!(
                message.body.replace("\r\n", "\n").trim_end(),
                format!("Dear supplies team,\nOrder TK-5240K for VD20000001: {quoted}."),
                "{backend}: round {round}"
            );
        }

        // The preview renders the redirect to the dealer admin, from the built-in
        // redirect template (nobody wrote one), with the cost quoted now.
        let events = events_once(&server, id, "were three", |e| e.len() == 3).await;
        let event = events[0]["id"].as_i64().unwrap();
        let preview = server
            .admin(
                "POST",
                &format!("/api/v1/asm/events/{event}/email-preview"),
                Some(json!({"redirect": true})),
            )
            .await;
        assert_eq!(
            preview["template-source"],
            json!({"from": "built-in"}),
            "{backend}"
        );
        assert_eq!(
            preview["part-cost"],
            json!({"cost": "71.50", "source": {"from": "supplier", "supplier": bolt}}),
            "{backend}: {preview}"
        );
        let body = preview["email"]["body"].as_str().unwrap();
        assert!(
            body.starts_with("This alert e-mail came to you, the dealer admin, because")
                && body.contains("Part: TK-5240K, 71.50 (supplier Bolt Parts)\n"),
            "{backend}: {body}"
        );
        assert_eq!(smtp.messages().len(), 3, "{backend}: the preview sent mail");

        // A stored template that no longer renders (written straight to the store, as an
        // older server could have left it) does not hold the e-mail back: the built-in
        // wording carries it.
        server
            .running
            .store
            .set_email_templates(
                quire_store::AccountId(northwind),
                &[quire_store::StoredTemplate {
                    dealer: quire_store::AccountId(northwind),
                    kind: "consumable-alert".into(),
                    subject: "{{ toner_colour }}".into(),
                    body: "x".into(),
                }],
            )
            .await
            .unwrap();
        server
            .deliver(&agent, &[read(7, minutes(120), 100, "D")])
            .await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        server
            .deliver(&agent, &[read(8, minutes(130), 12, "D")])
            .await;
        let messages = received(&smtp, 4, backend).await;
        assert!(
            messages[3]
                .subject
                .starts_with("Toner low: toner:black:1 at 12 % on"),
            "{backend}: {}",
            messages[3].subject
        );
        assert!(
            messages[3]
                .body
                .replace("\r\n", "\n")
                .contains("Part: TK-5240K, 71.50 (supplier Bolt Parts)\n"),
            "{backend}: {}",
            messages[3].body
        );
    }
}

#[tokio::test]
async fn bad_templates_and_price_rows_are_refused_naming_where_and_other_dealers_cannot_touch_them()
{
    for server in TestServer::each().await {
        let backend = server.backend;
        let main = server.running.main_dealer.0;
        let northwind = dealer(&server, "Northwind", main).await;
        let southwind = dealer(&server, "Southwind", main).await;
        let good = json!([{"kind": "service-alert", "subject": "{{ definition }}",
            "body": "{{ error_state }} on {{ device.name }}\n"}]);
        let templates = format!("/api/v1/accounts/{northwind}/email-templates");
        server.admin("PUT", &templates, Some(good)).await;
        let before = server.admin("GET", &templates, None).await;

        for (body, field, says) in [
            (
                json!([{"kind": "consumable-alert", "subject": "{{ definition }}",
                    "body": "Hello,\n{{ account }} needs {{ device.colour }} toner\n"}]),
                "[0].body",
                vec!["line 2", "`device.colour` is not a field"],
            ),
            (
                json!([
                    {"kind": "consumable-alert", "subject": "ok", "body": "ok"},
                    {"kind": "redirect", "subject": "{% if level %}low", "body": "ok"},
                ]),
                "[1].subject",
                vec!["line 1", "syntax error"],
            ),
            (
                json!([
                    {"kind": "redirect", "subject": "ok", "body": "ok"},
                    {"kind": "redirect", "subject": "again", "body": "ok"},
                ]),
                "[1].kind",
                vec!["[0]'s already"],
            ),
        ] {
            let answer = server
                .call("PUT", &templates, Some(&server.admin), Some(body.clone()))
                .await;
            let json = answer.json();
            assert_eq!(
                (answer.status, json["field"].as_str()),
                (400, Some(field)),
                "{backend}: {body}: {}",
                answer.text()
            );
            let message = json["message"].as_str().unwrap();
            for part in says {
                assert!(message.contains(part), "{backend}: {message}");
            }
        }
        assert_eq!(
            server.admin("GET", &templates, None).await,
            before,
            "{backend}: a refused list was stored"
        );

        let costs = format!("/api/v1/accounts/{northwind}/part-costs");
        let stored = json!([{"part-number": "TK-5240K", "cost": "89.90"}]);
        server.admin("PUT", &costs, Some(stored.clone())).await;
        let good_row = json!({"part-number": "TK-1162", "cost": "39.90"});
        for (body, field) in [
            (
                json!([good_row, {"part-number": "TK-5240K", "cost": "-1"}]),
                "[1].cost",
            ),
            (
                json!([good_row, {"part-number": "tk-1162 ", "cost": "1"}]),
                "[1].part-number",
            ),
            (
                json!([good_row, {"part-number": " ", "cost": "1"}]),
                "[1].part-number",
            ),
            (
                json!([good_row, {"part-number": "X", "cost": 1.5}]),
                "[1].cost",
            ),
            (
                json!([good_row, {"part-number": "X", "cost": "1,5"}]),
                "[1].cost",
            ),
            (json!([good_row, {"part-number": "X"}]), "[1].cost"),
        ] {
            let answer = server
                .call("PUT", &costs, Some(&server.admin), Some(body.clone()))
                .await;
            assert_eq!(
                (answer.status, answer.json()["field"].as_str()),
                (400, Some(field)),
                "{backend}: {body}: {}",
                answer.text()
            );
        }
        assert_eq!(
            server.admin("GET", &costs, None).await,
            stored,
            "{backend}: a refused price list was half-written"
        );

        // Southwind's dealer user: Northwind's templates and costs are not there for
        // them; their own are theirs to set; suppliers and the setting are the
        // administrator's.
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "sue", "password": "a long password",
                    "role": "dealer-user", "account-ids": [southwind]})),
            )
            .await;
        let sue = server.login("sue", "a long password").await;
        for (method, path, body) in [
            ("GET", templates.clone(), None),
            ("PUT", templates.clone(), Some(json!([]))),
            ("GET", costs.clone(), None),
            ("PUT", costs.clone(), Some(json!([]))),
        ] {
            let answer = server.call(method, &path, Some(&sue), body).await;
            assert_eq!(
                answer.status,
                404,
                "{backend}: {method} {path}: {}",
                answer.text()
            );
        }
        assert_eq!(server.admin("GET", &costs, None).await, stored, "{backend}");
        let own = server
            .call(
                "PUT",
                &format!("/api/v1/accounts/{southwind}/part-costs"),
                Some(&sue),
                Some(json!([{"part-number": "TK-5240K", "cost": "92"}])),
            )
            .await;
        assert_eq!(own.status, 200, "{backend}: {}", own.text());
        let own = server
            .call(
                "PUT",
                &format!("/api/v1/accounts/{southwind}/email-templates"),
                Some(&sue),
                Some(json!([{"kind": "redirect", "subject": "{{ definition }}", "body": "{{ redirect_reason }}"}])),
            )
            .await;
        assert_eq!(own.status, 200, "{backend}: {}", own.text());
        let supplier = supplier(&server, "Acme Supplies", json!([])).await;
        for (method, path, body) in [
            (
                "POST",
                "/api/v1/asm/suppliers".to_owned(),
                json!({"name": "Sue's"}),
            ),
            (
                "PUT",
                format!("/api/v1/asm/suppliers/{supplier}/part-costs"),
                json!([{"part-number": "TK-5240K", "cost": "1"}]),
            ),
            (
                "PUT",
                "/api/v1/asm/part-cost-setting".to_owned(),
                json!({"rule": "lowest-supplier", "supplier-priority": [supplier]}),
            ),
        ] {
            let answer = server.call(method, &path, Some(&sue), Some(body)).await;
            assert_eq!(
                answer.status,
                403,
                "{backend}: {method} {path}: {}",
                answer.text()
            );
        }
        // A template stored before the fields it names went away (here written straight
        // to the store, as an older server could have) is a missing precondition.
        server
            .running
            .store
            .set_email_templates(
                quire_store::AccountId(northwind),
                &[quire_store::StoredTemplate {
                    dealer: quire_store::AccountId(northwind),
                    kind: "consumable-alert".into(),
                    subject: "{{ definition }}".into(),
                    body: "{{ toner_colour }}".into(),
                }],
            )
            .await
            .unwrap();
        let missing = server.admin("GET", "/api/v1/asm/preconditions", None).await;
        let item =
            json!({"missing": "email-template", "dealer": northwind, "kind": "consumable-alert"});
        assert!(
            missing.as_array().unwrap().contains(&item),
            "{backend}: {missing}"
        );
        let answer = server
            .call(
                "PUT",
                "/api/v1/asm/part-cost-setting",
                Some(&server.admin),
                Some(json!({"rule": "lowest-supplier", "supplier-priority": [supplier, 999_999]})),
            )
            .await;
        assert_eq!(
            (answer.status, answer.json()["field"].as_str()),
            (400, Some("supplier-priority[1]")),
            "{backend}: {}",
            answer.text()
        );
    }
}
