//! Two sibling accounts under the main dealer: a user of one walks every endpoint of the
//! OpenAPI document and sees nothing of the other.

use quire_protocol::CONFIG_PATH;
use serde_json::{Value, json};

use crate::support::{Tenant, TestServer, fill, tenant};

/// A body each mutation would accept, so a 404 means "not yours", not "bad body".
fn body(method: &str, path: &str, theirs: &Tenant, dealer: i64) -> Option<Value> {
    Some(match (method, path) {
        ("GET" | "DELETE", _) => return None,
        ("POST", "/api/v1/accounts") => json!({"name": "Mine", "parent-id": theirs.account}),
        ("POST", "/api/v1/users") => {
            json!({"name": "eve", "password": "0123456789ab", "role": "account-user", "account-ids": [dealer]})
        }
        ("PUT", "/api/v1/me/password") => {
            json!({"current-password": "a guess", "new-password": "a password of eve's"})
        }
        ("PUT", "/api/v1/users/{user_id}/password") => json!({"password": "a password of eve's"}),
        ("PUT", "/api/v1/users/{user_id}/role") => {
            json!({"role": "dealer-user", "account-ids": [theirs.account]})
        }
        ("PUT", "/api/v1/users/{user_id}/disabled") => json!({"disabled": true}),
        (_, p) if p.ends_with("/check-in") => json!({"check-in-seconds": 30}),
        (_, p) if p.ends_with("/credentials") => json!([{"version": "v1", "community": "stolen"}]),
        (_, p) if p.ends_with("/sites") => json!({"name": "Planted"}),
        (_, p) if p.ends_with("/ranges") => json!([{"range": "10.66.0.1"}]),
        (_, p) if p.ends_with("/ipp-printers") => json!(["ipp://10.66.0.1/ipp/print"]),
        (_, p) if p.ends_with("/enrollment-keys") => json!({"valid-hours": 1}),
        (_, p) if p.ends_with("/schedules") => json!({"time-zone": "UTC",
            "discovery": {"default": {"kind": "disabled"}},
            "meters-and-supplies": {"default": {"kind": "disabled"}},
            "alerts": {"default": {"kind": "disabled"}}}),
        ("POST", "/api/v1/work-orders") => {
            json!({"device-id": theirs.device, "input": {"kind": "state", "state": "jammed"}})
        }
        (_, p) if p.starts_with("/api/v1/asm/definitions") => json!({
            "owner-account-id": theirs.account, "name": "Planted", "hierarchical": true,
            "trigger": {"consumable": {"consumable": "toner", "threshold-percent": 99}},
            "overdue": {"unit": "days", "value": 1}, "stale": {"unit": "days", "value": 1},
            "actions": [{"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                "requires-approval": false, "timing": "immediate", "max-attempts": 1}]}),
        (_, p) if p.ends_with("/contacts") => {
            json!([{"role": "admin", "name": "Eve", "email": "eve@evil.example"}])
        }
        (_, p) if p.ends_with("/processing-behaviours") => json!([{"result-type": "email",
            "recipients": [{"custom": "eve@evil.example"}]}]),
        ("POST", "/api/v1/asm/suppliers") => json!({"name": "Planted supplies"}),
        (_, p) if p.ends_with("/part-costs") => {
            json!([{"part-number": "TK-1162", "cost": "0.01"}])
        }
        (_, "/api/v1/asm/part-cost-setting") => json!({"rule": "lowest-supplier"}),
        (_, p) if p.ends_with("/email-templates") => json!([{"kind": "consumable-alert",
            "subject": "Planted", "body": "Send your orders to eve@evil.example"}]),
        (_, p) if p.ends_with("/alert-frequencies") => {
            json!([{"result-type": "email", "interval": {"unit": "weeks", "value": 52}}])
        }
        ("POST", p) if p.ends_with("/webhooks") => {
            json!({"name": "Planted", "url": "https://evil.example/hook"})
        }
        ("PUT", "/api/v1/webhooks/{webhook_id}") => {
            json!({"name": "Stolen", "url": "https://evil.example/hook"})
        }
        (_, p) if p.ends_with("/status") => json!({"status": "cancelled"}),
        (_, p) if p.ends_with("/service-settings") => json!({"auto-close": true}),
        (_, p) if p.ends_with("/rated-yields") => {
            json!([{"part-number": "TK-1162", "rated-pages": 1}])
        }
        (_, p) if p.ends_with("/supplies/events") => json!({
            "position": {"kind": "toner", "color": "black", "rank": 1},
            "kind": "ordered", "part-number": "TK-1162", "quantity": 1,
            "at": "2026-11-20T10:00:00Z"}),
        _ => json!({}),
    })
}

/// Every `account-id` anywhere in a JSON answer.
fn account_ids(value: &Value, out: &mut Vec<i64>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "account-id" {
                    out.extend(v.as_i64());
                }
                account_ids(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| account_ids(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn a_user_of_one_account_sees_nothing_of_its_sibling_on_any_endpoint() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let dealer = server.running.main_dealer.0;
        let ours = tenant(&server, "Alpha", 100).await;
        let theirs = tenant(&server, "Beta", 200).await;
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "alice", "password": "alice-password", "role": "dealer-user", "account-ids": [ours.account]})),
            )
            .await;
        let alice = server.login("alice", "alice-password").await;
        let before = snapshot(&server, &theirs).await;

        let doc: Value = serde_json::from_str(quire_server::openapi_json()).unwrap();
        let mut walked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let method = method.to_ascii_uppercase();
                // The agent API answers agents, checked below; logging in or out is not data.
                if path.starts_with("/api/v1/agent/")
                    || path == "/api/v1/login"
                    || path == "/api/v1/logout"
                {
                    continue;
                }
                walked += 1;
                let theirs_path = fill(path, &theirs);
                let answer = server
                    .call(
                        &method,
                        &theirs_path,
                        Some(&alice),
                        body(&method, path, &theirs, dealer),
                    )
                    .await;
                let text = answer.text();
                // An id the caller sent may be echoed in "not found"; anything else may not.
                for marker in theirs
                    .markers
                    .iter()
                    .filter(|m| !theirs_path.contains(m.as_str()))
                {
                    assert!(
                        !text.contains(marker.as_str()),
                        "{backend}: {method} {theirs_path} leaks `{marker}`: {text}"
                    );
                }
                let mut ids = Vec::new();
                account_ids(&answer.json(), &mut ids);
                assert!(
                    !ids.contains(&theirs.account),
                    "{backend}: {method} {theirs_path} leaks their account: {text}"
                );
                // Plugins belong to no account: publishing and rolling back are for
                // administrators only, and the list shows no tenant's rows.
                if (path.starts_with("/api/v1/strategies") || path.starts_with("/api/v1/plugins"))
                    && method == "POST"
                {
                    assert_eq!(answer.status, 403, "{backend}: {method} {path}: {text}");
                } else if path.starts_with("/api/v1/asm/suppliers/") {
                    // Suppliers belong to no account either: everyone reads their price
                    // lists, administrators alone set them.
                    let status = if method == "GET" { 200 } else { 403 };
                    assert_eq!(answer.status, status, "{backend}: {method} {path}: {text}");
                } else if path.contains('{')
                    || (path == "/api/v1/accounts"
                        || path == "/api/v1/work-orders"
                        || path == "/api/v1/asm/definitions")
                        && method == "POST"
                {
                    assert_eq!(
                        answer.status, 404,
                        "{backend}: {method} {theirs_path}: {text}"
                    );
                } else if path == "/api/v1/me/password" {
                    // A wrong current password, refused: no call changes what the caller is.
                    assert_eq!(answer.status, 400, "{backend}: {method} {path}: {text}");
                } else if (path == "/api/v1/users" || path == "/api/v1/asm/suppliers")
                    && method == "POST"
                    || path == "/api/v1/asm/part-cost-setting" && method == "PUT"
                {
                    assert_eq!(answer.status, 403, "{backend}: {method} {path}: {text}");
                } else {
                    assert_eq!(answer.status, 200, "{backend}: {method} {path}: {text}");
                }
                // The same read of our own rows works: the 404s above are not broken routes.
                if method == "GET" && path.contains('{') {
                    let own = server
                        .call("GET", &fill(path, &ours), Some(&alice), None)
                        .await;
                    assert_eq!(
                        own.status,
                        200,
                        "{backend}: GET {}: {}",
                        fill(path, &ours),
                        own.text()
                    );
                }
            }
        }
        assert!(walked >= 25, "{backend}: only {walked} endpoints walked");

        // Our agent's configuration holds none of theirs either.
        let config = server
            .agent_call("GET", CONFIG_PATH, &ours.agent, None)
            .await
            .text();
        for marker in ["Beta", "beta-printer.example", "Beta-community"] {
            assert!(
                !config.contains(marker),
                "{backend}: agent config leaks `{marker}`: {config}"
            );
        }
        assert_eq!(
            snapshot(&server, &theirs).await,
            before,
            "{backend}: their rows changed"
        );
    }
}

/// Everything of theirs a mutation could have touched, as the administrator sees it.
async fn snapshot(server: &TestServer, theirs: &Tenant) -> Value {
    let account = theirs.account;
    json!({
        "account": server.admin("GET", &format!("/api/v1/accounts/{account}"), None).await,
        "sites": server.admin("GET", &format!("/api/v1/accounts/{account}/sites"), None).await,
        "credentials": server.admin("GET", &format!("/api/v1/accounts/{account}/credentials"), None).await,
        "keys": server.admin("GET", &format!("/api/v1/accounts/{account}/enrollment-keys"), None).await,
        "agent": server.admin("GET", &format!("/api/v1/agents/{}", theirs.agent.agent_id), None).await,
        "contracts": server.admin("GET", &format!("/api/v1/accounts/{account}/contracts"), None).await,
        "account rates": server.admin("GET", &format!("/api/v1/accounts/{account}/rates"), None).await,
        "contract rates": server.admin("GET", &format!("/api/v1/contracts/{}/rates", theirs.contract), None).await,
        "device": server.admin("GET", &format!("/api/v1/devices/{}", theirs.device), None).await,
        "device rates": server.admin("GET", &format!("/api/v1/devices/{}/rates", theirs.device), None).await,
        "accounts": server.admin("GET", "/api/v1/accounts", None).await,
        "work-orders": server.admin("GET", &format!("/api/v1/work-orders?account-id={account}"), None).await,
        "service-settings": server.admin("GET", &format!("/api/v1/accounts/{account}/service-settings"), None).await,
        "definition": server.admin("GET", &format!("/api/v1/asm/definitions/{}", theirs.definition), None).await,
        "contacts": server.admin("GET", &format!("/api/v1/accounts/{account}/contacts"), None).await,
        "behaviours": server.admin("GET", &format!("/api/v1/accounts/{account}/processing-behaviours"), None).await,
        "part costs": server.admin("GET", &format!("/api/v1/accounts/{account}/part-costs"), None).await,
        "supplier part costs": server.admin("GET", &format!("/api/v1/asm/suppliers/{}/part-costs", theirs.supplier), None).await,
        "part cost setting": server.admin("GET", "/api/v1/asm/part-cost-setting", None).await,
        "email templates": server.admin("GET", &format!("/api/v1/accounts/{account}/email-templates"), None).await,
        "frequencies": server.admin("GET", &format!("/api/v1/accounts/{account}/alert-frequencies"), None).await,
        "webhooks": server.admin("GET", &format!("/api/v1/accounts/{account}/webhooks"), None).await,
        "webhook": server.admin("GET", &format!("/api/v1/webhooks/{}", theirs.webhook), None).await,
    })
}
