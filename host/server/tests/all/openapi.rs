//! The OpenAPI document lists exactly the routes served, and what the server really
//! answers (and what a client sends it) fits the document's schemas.

use std::collections::BTreeSet;

use quire_protocol::{EnrollRequest, READINGS_PATH};
use quire_server::client::Answer;
use serde_json::{Value, json};

use crate::support::{ADMIN_PASSWORD, Tenant, TestServer, fill, item, tenant, upload};

fn document() -> Value {
    serde_json::from_str(quire_server::openapi_json()).unwrap()
}

/// Every (method, path) of the document, methods in capitals.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(|method| (method.to_ascii_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_served() {
    let doc = document();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let served: BTreeSet<(String, String)> =
        quire_server::registered_routes().into_iter().collect();
    let documented = documented(&doc);
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the OpenAPI document: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "in the OpenAPI document but not served: {phantom:?}"
    );
}

#[test]
fn every_json_body_has_a_real_schema() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let text = schema.to_string();
        assert!(
            !text.contains("See quire-protocol"),
            "{name} is a stub: {text}"
        );
        assert!(
            schema.get("type").is_some()
                || schema.get("oneOf").is_some()
                || schema.get("allOf").is_some()
                || schema.get("enum").is_some(),
            "{name} says nothing of its shape: {text}"
        );
    }
    for (method, path) in documented(&doc) {
        let operation = &doc["paths"][&path][method.to_ascii_lowercase()];
        let Some(body) = operation.get("requestBody") else {
            continue;
        };
        let content = body["content"].as_object().unwrap();
        assert!(
            content.values().all(|media| media.get("schema").is_some()),
            "{method} {path}: its request body has no schema"
        );
        // A body of people's requests refuses fields it does not know; an agent's upload
        // keeps reading what a newer agent adds, so no reading is refused for it.
        let Some(Value::String(reference)) = content
            .get("application/json")
            .and_then(|media| media["schema"].get("$ref"))
        else {
            continue;
        };
        let name = reference.trim_start_matches("#/components/schemas/");
        if schemas[name]["type"] == "object" && name != "ReadingUpload" {
            assert_eq!(
                schemas[name]["additionalProperties"],
                Value::Bool(false),
                "{method} {path}: {name} lets unknown fields in"
            );
        }
    }
}

#[tokio::test]
async fn the_document_is_served_without_login() {
    let db = crate::support::backends().await.remove(0);
    let server = TestServer::start(db).await;
    let answer = server.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["info"]["title"], "Quire API");
    assert_eq!(answer.json(), document());
}

/// The document's schemas, checked with a JSON-Schema validator: each schema is
/// validated with the document's `components` beside it, so its `$ref`s resolve.
struct Schemas {
    doc: Value,
}

impl Schemas {
    /// Fails naming `what` and the pointer into `instance` of every mismatch.
    fn check(&self, what: &str, schema: &Value, instance: &Value) {
        let mut root = schema.clone();
        root.as_object_mut()
            .unwrap_or_else(|| panic!("{what}: the schema is not an object: {schema}"))
            .insert("components".to_owned(), self.doc["components"].clone());
        let validator = jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}: {schema}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("at `{}`: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not fit its schema:\n  {}\nbody: {instance}",
            errors.join("\n  ")
        );
    }

    fn operation(&self, method: &str, template: &str) -> &Value {
        let operation = &self.doc["paths"][template][method.to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not documented"
        );
        operation
    }

    /// A request body against the operation's JSON request schema.
    fn request(&self, method: &str, template: &str, body: &Value) {
        let operation = self.operation(method, template);
        let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template}: a JSON body is sent but none is documented"
        );
        self.check(
            &format!("the body sent to {method} {template}"),
            schema,
            body,
        );
    }

    /// An answer against the schema documented for its status; a status the document
    /// does not list fails. Whether it was JSON: non-JSON answers (a `.snmprec`, a
    /// component) are only checked to be documented.
    fn answer(&self, method: &str, template: &str, answer: &Answer) -> bool {
        let operation = self.operation(method, template);
        let status = answer.status.to_string();
        let mut response = &operation["responses"][&status];
        assert!(
            response.is_object(),
            "{method} {template} answered {status}, which the document does not list: {}",
            answer.text()
        );
        if let Some(Value::String(pointer)) = response.get("$ref") {
            response = self
                .doc
                .pointer(pointer.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{method} {template}: {pointer} is not in the document"));
        }
        let Some(schema) = response["content"]
            .get("application/json")
            .and_then(|media| media.get("schema"))
        else {
            return false;
        };
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
            panic!(
                "{method} {template} answered {status} with a body that is not JSON ({e}): {}",
                answer.text()
            )
        });
        self.check(
            &format!("{method} {template}'s {status} answer"),
            schema,
            &body,
        );
        true
    }
}

#[test]
fn the_checker_names_the_pointer_of_a_mismatch() {
    let schemas = Schemas { doc: document() };
    let account = json!({"$ref": "#/components/schemas/AccountView"});
    let wrong = json!({"id": "one", "name": "Acme", "is-dealer": false, "check-in-seconds": 300});
    let failure = std::panic::catch_unwind(|| schemas.check("an account", &account, &wrong))
        .expect_err("a string id fits no account");
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("at `/id`"), "{message}");
}

/// A body each operation accepts from an administrator on `ours`, so its success is
/// what gets checked; `None` when it takes none.
fn body(method: &str, path: &str, ours: &Tenant, dealer: i64, key: &str) -> Option<Value> {
    Some(match (method, path) {
        ("GET" | "DELETE", _) => return None,
        ("POST", "/api/v1/accounts") => json!({"name": "Gamma", "parent-id": dealer}),
        ("POST", "/api/v1/login") => json!({"name": "admin", "password": ADMIN_PASSWORD}),
        ("POST", "/api/v1/users") => {
            json!({"name": "gail", "password": "0123456789ab", "role": "dealer-user", "account-ids": [ours.account]})
        }
        ("PUT", "/api/v1/me/password") => {
            json!({"current-password": ADMIN_PASSWORD, "new-password": ADMIN_PASSWORD})
        }
        ("PUT", "/api/v1/users/{user_id}/password") => {
            json!({"password": "a new password of theirs"})
        }
        ("PUT", "/api/v1/users/{user_id}/role") => {
            json!({"role": "dealer-user", "account-ids": [ours.account]})
        }
        ("PUT", "/api/v1/users/{user_id}/disabled") => json!({"disabled": false}),
        ("POST", "/api/v1/agent/enroll") => serde_json::to_value(EnrollRequest {
            key: key.to_owned(),
            hostname: "second-agent".into(),
            agent_version: "0.1.0".into(),
        })
        .unwrap(),
        ("POST", READINGS_PATH) => upload(&[item(9, Some(ours.site), 0, 9)]),
        (_, p) if p.ends_with("/check-in") => json!({"check-in-seconds": 30}),
        (_, p) if p.ends_with("/credentials") => json!([
            {"version": "v2c", "community": "public"},
            {"version": "v3", "user": "quire", "auth-protocol": "sha256", "auth-password": "authpass123",
             "privacy-protocol": "aes128", "privacy-password": "privpass123"},
            {"version": "v3", "user": "reader"},
        ]),
        (_, p) if p.ends_with("/sites") => json!({"name": "Second site", "schedules": {
            "time-zone": "Europe/Berlin",
            "discovery": {"default": {"kind": "weekly", "days": ["monday"], "hours": [2]}},
            "meters-and-supplies": {"default": {"kind": "every-hours", "n": 4, "starting-at": 0},
                "parts": {"dock": {"kind": "once", "date": "2026-12-24", "hour": 9}}},
            "alerts": {"default": {"kind": "disabled"}},
            "local-devices": {"kind": "every-minutes", "n": 30}}}),
        (_, p) if p.ends_with("/ranges") => {
            json!([{"range": "10.66.0.0/24"}, {"range": "10.66.1.1-40", "part": "dock"}])
        }
        (_, p) if p.ends_with("/discovery") => json!({"packets-per-second": 2_000}),
        // Inside the range the walk's CSV upload (before this) gave the site.
        (_, p) if p.ends_with("/ipp-printers") => json!(["ipp://10.66.2.7/ipp/print"]),
        (_, p) if p.ends_with("/enrollment-keys") => json!({"valid-hours": 1}),
        ("POST", "/api/v1/work-orders") => json!({"device-id": ours.device,
            "input": {"kind": "state", "state": "jammed"},
            "parts": [{"part-number": "RM1-2337", "quantity": 2, "unit-cost": "12.35"}],
            "note": "tray 2"}),
        ("POST", "/api/v1/asm/suppliers") => json!({"name": "Gamma Supplies"}),
        (_, p) if p.ends_with("/part-costs") => json!([
            {"part-number": "TK-1162", "cost": "39.90"},
            {"part-number": "TK-5240K", "cost": "0"},
        ]),
        (_, "/api/v1/asm/part-cost-setting") => json!({"rule": "first-available-supplier",
            "supplier-priority": [ours.supplier]}),
        (_, p) if p.ends_with("/email-templates") => json!([
            {"kind": "service-alert", "subject": "{{ definition }}: {{ error_state }}",
                "body": "{{ device.name }} at {{ account }}: {{ trigger }}\n"},
        ]),
        (_, p) if p.ends_with("/email-preview") => json!({"redirect": true}),
        (_, p) if p.ends_with("/status") => {
            json!({"status": "cancelled", "note": "fixed by the customer"})
        }
        (_, p) if p.ends_with("/service-settings") => json!({"auto-close": true}),
        (_, p) if p.ends_with("/schedules") => json!({"time-zone": "UTC",
            "discovery": {"default": {"kind": "disabled"}},
            "meters-and-supplies": {"default": {"kind": "every-hours", "n": 2, "starting-at": 1}},
            "alerts": {"default": {"kind": "disabled"}}}),
        (_, p) if p.ends_with("/rates") => json!([
            {"counter": "mono", "cost-per-page": "0.0100"},
            {"counter": "total", "cost-per-page": "0.0085"},
        ]),
        (_, p) if p.ends_with("/rated-yields") => json!([
            {"part-number": "TK-1162", "rated-pages": 7200},
        ]),
        (_, p) if p.ends_with("/supplies/events") => json!({
            "position": {"kind": "toner", "color": "black", "rank": 1},
            "kind": "ordered", "part-number": "TK-1162", "quantity": 1,
            "at": "2026-11-20T10:00:00Z", "note": "PO 4471"}),
        (_, p) if p.ends_with("/contracts") => {
            json!({"name": "Second contract", "starts-on": "2026-01-01", "ends-on": "2026-12-31"})
        }
        ("PUT", "/api/v1/contracts/{contract_id}") => {
            json!({"name": "Alpha contract, renewed", "starts-on": "2027-01-01"})
        }
        (_, p) if p.ends_with("/contract") => json!({"contract-id": ours.contract}),
        (_, p) if p.starts_with("/api/v1/asm/definitions") => json!({
        "owner-account-id": ours.account, "name": "Toner low", "hierarchical": true,
        "trigger": {"consumable": {"consumable": "toner", "threshold-percent": 15}},
        "overdue": {"unit": "days", "value": 2}, "stale": {"unit": "days", "value": 7},
        "filters": [
            {"joiner": "and", "managed": "both", "method": {"manufacturer": "Kyocera"}},
            {"joiner": "or", "managed": "managed",
                "method": {"daily-average-volume": {"at-least": 50.0}}},
        ],
        "actions": [
            {"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                "requires-approval": true, "timing": "immediate", "max-attempts": 3},
            {"id": 2, "ordinal": 2, "kind": "work-order", "result-type": "work-order",
                "requires-approval": false, "timing": {"on-overdue": {"from": "first-trigger"}},
                "max-attempts": 1},
            {"id": 3, "ordinal": 3, "kind": {"webhook": {"endpoint-id": ours.webhook}},
                "result-type": "webhook", "requires-approval": false,
                "timing": {"on-overdue": {"from": "first-trigger"}}, "max-attempts": 2},
        ]}),
        (_, p) if p.ends_with("/contacts") => json!([
            {"role": "admin", "name": "Ada", "email": "ada@alpha.example"},
            {"role": "account-primary", "name": "Abe", "email": "abe@alpha.example"},
            {"name": "Alt", "email": "alt@alpha.example"},
        ]),
        (_, p) if p.ends_with("/processing-behaviours") => json!([{"result-type": "email",
            "recipients": [{"primary-dealer-contact": "supplies"}, "primary-account-contact",
                {"custom": "desk@alpha.example"}]}]),
        (_, p) if p.ends_with("/alert-frequencies") => json!([
            {"result-type": "email", "interval": {"unit": "hours", "value": 4}},
            {"result-type": "webhook", "interval": {"unit": "minutes", "value": 30}},
        ]),
        ("POST", p) if p.ends_with("/webhooks") => {
            json!({"name": "Alpha ERP, second", "url": "https://erp2.alpha.example/quire"})
        }
        ("PUT", "/api/v1/webhooks/{webhook_id}") => {
            json!({"name": "Alpha ERP", "url": "http://10.66.0.9:8080/hooks?from=quire"})
        }
        // Publishing takes a component, not JSON: the refusal of a bad one is checked.
        _ => return None,
    })
}

/// Answers that are not a success, by design of the walk: no plugin is published (so
/// none can be rolled back or downloaded), publishing is sent no component, and the
/// reading's stored exchange is one made-up object no strategy reads, and no session
/// has the id the walk ends.
fn refused_by_design(method: &str, path: &str) -> bool {
    path.starts_with("/api/v1/strategies/")
        || path.starts_with("/api/v1/agent/strategies/")
        || path.starts_with("/api/v1/plugins/")
        || (method == "POST" && (path == "/api/v1/strategies" || path == "/api/v1/plugins"))
        || path.ends_with("/reinterpret")
        // No session has the id the walk fills in.
        || path.ends_with("/sessions/{session_id}")
}

#[tokio::test]
async fn every_answer_and_request_fits_the_document() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let doc = document();
        let schemas = Schemas { doc: doc.clone() };
        let ours = tenant(&server, "Alpha", 100).await;
        let dealer = server.running.main_dealer.0;
        let key = server.key(ours.account).await;
        // Reads first, then writes; the calls that end something (a revoked key or
        // agent, cleared rates, a deleted row, a logout) last, so every other call still
        // has what it needs; a row is deleted after what belongs to it.
        let rank = |(method, path): &(String, String)| match method.as_str() {
            "GET" => 0,
            "DELETE" if path.ends_with('}') => 3,
            _ if path.ends_with("/revoke") || method == "DELETE" => 2,
            _ if path == "/api/v1/logout" => 4,
            _ => 1,
        };
        let mut operations: Vec<(String, String)> = documented(&doc).into_iter().collect();
        operations.sort_by_key(rank);
        let mut json_answers = 0;
        for (method, template) in &operations {
            let path = fill(template, &ours);
            let body = body(method, template, &ours, dealer, &key);
            if let Some(body) = &body {
                schemas.request(method, template, body);
            }
            let answer = if template.starts_with("/api/v1/agent/") {
                server.agent_call(method, &path, &ours.agent, body).await
            } else if template.ends_with("/ranges-csv") {
                let csv = "site,range,part\nAlpha site,10.66.2.0/24,\n"
                    .as_bytes()
                    .to_vec();
                let admin = server.admin.clone();
                server
                    .client
                    .send(
                        method.parse().unwrap(),
                        &path,
                        Some(&admin),
                        Some(("text/csv", csv)),
                    )
                    .await
                    .unwrap()
            } else {
                let admin = server.admin.clone();
                server.call(method, &path, Some(&admin), body).await
            };
            if !refused_by_design(method, template) {
                assert!(
                    (200..300).contains(&answer.status),
                    "{backend}: {method} {path}: {} {}",
                    answer.status,
                    answer.text()
                );
            }
            if schemas.answer(method, template, &answer) {
                json_answers += 1;
            }
        }
        assert!(
            json_answers >= 35,
            "{backend}: only {json_answers} JSON answers checked"
        );

        // Refusals are documented too: a missing row, a bad body, no session.
        let admin = server.login("admin", ADMIN_PASSWORD).await;
        for (method, template, token, body) in [
            (
                "GET",
                "/api/v1/devices/{device_id}",
                Some(admin.clone()),
                None,
            ),
            (
                "PUT",
                "/api/v1/accounts/{account_id}/credentials",
                Some(admin.clone()),
                Some(json!([{"version": "v3", "user": "quire", "auth-protocol": "bogus"}])),
            ),
            ("GET", "/api/v1/accounts", None, None),
        ] {
            let path = template
                .replace("{device_id}", "999999")
                .replace("{account_id}", &ours.account.to_string());
            let answer = server.call(method, &path, token.as_deref(), body).await;
            assert!(
                answer.status >= 400,
                "{backend}: {method} {path}: {}",
                answer.text()
            );
            assert!(schemas.answer(method, template, &answer));
        }
    }
}
