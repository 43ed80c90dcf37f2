//! The API's lists for every kind of user: what they see, filtered and paged by the
//! server, and an agent's check-in that reads only its own account.

use quire_protocol::CONFIG_PATH;
use serde_json::{Value, json};

use crate::support::{TestServer, item};

/// A dealer under the main dealer with `customers` child accounts, each with a site and
/// an agent that filed printer `first + n` there; the accounts' ids.
async fn dealer_with_customers(
    server: &TestServer,
    name: &str,
    customers: usize,
    first: usize,
) -> (i64, Vec<i64>) {
    let main = server.running.main_dealer.0;
    let dealer = server
        .admin(
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": name, "parent-id": main, "is-dealer": true})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..customers {
        let customer = server
            .admin(
                "POST",
                "/api/v1/accounts",
                Some(json!({"name": format!("{name} customer {n}"), "parent-id": dealer})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let site = server.site(customer, "Office").await;
        let (_, agent) = server.enroll(&server.key(customer).await).await.unwrap();
        server
            .deliver(&agent, &[item(1, Some(site), first + n, 0)])
            .await;
        ids.push(customer);
    }
    (dealer, ids)
}

/// The number `field` of each row of a list.
fn numbers(list: &Value, field: &str) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|row| row[field].as_i64().unwrap())
        .collect()
}

fn serials(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|d| d["serial"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_dealer_user_pages_and_filters_its_subtree_only() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let (north, north_customers) = dealer_with_customers(&server, "North", 3, 100).await;
        let (_, south_customers) = dealer_with_customers(&server, "South", 2, 200).await;
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "nora", "password": "nora-password", "role": "dealer-user", "account-ids": [north]})),
            )
            .await;
        let nora = server.login("nora", "nora-password").await;
        let get = |path: String| {
            let server = &server;
            let nora = nora.clone();
            async move { server.call("GET", &path, Some(&nora), None).await }
        };

        // Printers 100..=102 were filed by North's customers, 200..=201 by South's.
        let all = get("/api/v1/devices".into()).await.json();
        assert_eq!(
            serials(&all),
            ["VD20000100", "VD20000101", "VD20000102"],
            "{backend}"
        );
        let first = get("/api/v1/devices?limit=2".into()).await.json();
        let second = get("/api/v1/devices?limit=2&offset=2".into()).await.json();
        assert_eq!(serials(&first), ["VD20000100", "VD20000101"], "{backend}");
        assert_eq!(serials(&second), ["VD20000102"], "{backend}");
        let last = &first[1]["id"];
        let after = get(format!("/api/v1/devices?limit=2&after={last}"))
            .await
            .json();
        assert_eq!(
            after, second,
            "{backend}: the page after the last id is the next page"
        );
        let one = get(format!("/api/v1/devices?account-id={}", north_customers[1])).await;
        assert_eq!(serials(&one.json()), ["VD20000101"], "{backend}");
        let text = get("/api/v1/devices?q=0102&manufacturer=kyocera&status=running".into()).await;
        assert_eq!(serials(&text.json()), ["VD20000102"], "{backend}");
        // Another dealer's account as a filter is an empty list, as any account not seen.
        let theirs = get(format!("/api/v1/devices?account-id={}", south_customers[0])).await;
        assert_eq!(theirs.json(), json!([]), "{backend}");

        let accounts = get("/api/v1/accounts?limit=3".into()).await.json();
        assert_eq!(
            numbers(&accounts, "id"),
            [north, north_customers[0], north_customers[1]],
            "{backend}"
        );
        let agents = get("/api/v1/agents".into()).await.json();
        assert_eq!(numbers(&agents, "account-id"), north_customers, "{backend}");

        let bad = get("/api/v1/devices?status=sleepy".into()).await;
        assert_eq!(bad.status, 400, "{backend}: {}", bad.text());
        assert!(
            bad.json()["message"].as_str().unwrap().contains("status"),
            "{backend}: {}",
            bad.text()
        );
        let bad = get("/api/v1/accounts?limit=0".into()).await;
        assert_eq!(bad.status, 400, "{backend}: {}", bad.text());
        assert_eq!(bad.json()["field"], "limit", "{backend}");
    }
}

/// One customer fills its account with 200,000 ranges, the last unreadable, as an attacker
/// would: another customer's agent checks in and gets the same configuration as before,
/// because its check-in never reads them; the flooding customer's own check-in is the one
/// that reads (and reports) the bad row.
#[tokio::test]
async fn another_accounts_200000_ranges_leave_a_check_in_unchanged() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let attacker = server.account("Attacker").await;
        let victim = server.account("Victim").await;
        let flood = server.site(attacker, "Flood").await;
        let office = server.site(victim, "Office").await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/sites/{office}/ranges"),
                Some(json!([{"range": "10.20.0.0/24"}])),
            )
            .await;
        let (_, theirs) = server.enroll(&server.key(attacker).await).await.unwrap();
        let (_, ours) = server.enroll(&server.key(victim).await).await.unwrap();
        let before = server.agent_call("GET", CONFIG_PATH, &ours, None).await;
        assert_eq!(before.status, 200, "{backend}: {}", before.text());

        assert_eq!(
            server.db.fill_site_ranges(flood, 200_000).await,
            200_000,
            "{backend}"
        );

        let after = server.agent_call("GET", CONFIG_PATH, &ours, None).await;
        assert_eq!(after.status, 200, "{backend}: {}", after.text());
        assert_eq!(
            after.json(),
            before.json(),
            "{backend}: the check-in changed"
        );
        let sites = server
            .call(
                "GET",
                &format!("/api/v1/accounts/{victim}/sites"),
                Some(&server.admin),
                None,
            )
            .await;
        assert_eq!(sites.status, 200, "{backend}: {}", sites.text());
        let flooded = server.agent_call("GET", CONFIG_PATH, &theirs, None).await;
        assert_eq!(flooded.status, 500, "{backend}: {}", flooded.text());
    }
}
