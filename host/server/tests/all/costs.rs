//! Contracts, costs per page and what printing cost, through the API: a rate set at the
//! root dealer is overridden by a child dealer, a contract and the device itself, each
//! answer naming where its rate came from; a period's cost is computed from readings
//! filed through the real ingest; another dealer's rows answer 404.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use quire_protocol::UploadItem;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{TestServer, item};

/// Printer `n` read at `at` with these counters, as agent sequence number `seq`.
fn read(seq: u64, n: usize, at: &str, counters: &[(&str, u64)]) -> UploadItem {
    let mut item = item(seq, None, n, 0);
    item.taken_at = at.parse::<DateTime<Utc>>().unwrap();
    item.reading.counters = counters
        .iter()
        .map(|(name, value)| (name.to_string(), *value))
        .collect();
    item
}

fn money(value: &Value) -> Decimal {
    Decimal::from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("{value} is not a string")),
    )
    .unwrap()
}

/// The tree of the tests: the main dealer, its child dealer Northwind, Northwind's
/// customer Acme with two printers read through an enrolled agent, and Southwind, another
/// dealer under the main one, with a printer of its own.
struct Fleet {
    root: i64,
    northwind: i64,
    acme: i64,
    southwind: i64,
    /// Printer 1 of Acme, which goes on a contract.
    first: i64,
    /// Printer 2 of Acme, on none.
    second: i64,
    /// Southwind's printer.
    theirs: i64,
}

async fn account(server: &TestServer, name: &str, parent: i64, is_dealer: bool) -> i64 {
    server
        .admin(
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": name, "parent-id": parent, "is-dealer": is_dealer})),
        )
        .await["id"]
        .as_i64()
        .unwrap()
}

async fn device(server: &TestServer, serial: &str) -> i64 {
    let devices = server.admin("GET", "/api/v1/devices", None).await;
    devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["serial"] == serial)
        .unwrap_or_else(|| panic!("{}: no device {serial}: {devices}", server.backend))["id"]
        .as_i64()
        .unwrap()
}

async fn fleet(server: &TestServer) -> Fleet {
    let root = server.running.main_dealer.0;
    let northwind = account(server, "Northwind", root, true).await;
    let acme = account(server, "Acme", northwind, false).await;
    let southwind = account(server, "Southwind", root, true).await;
    let (_, agent) = server.enroll(&server.key(acme).await).await.unwrap();
    // Period November 2026. Printer 1 was last read before it on 31 October, and once
    // after it: 600 mono and 400 color pages fall in it. Printer 2 was first read inside
    // it: 300 mono pages since.
    server
        .deliver(
            &agent,
            &[
                read(
                    1,
                    1,
                    "2026-10-31T22:00:00Z",
                    &[("mono", 1_000), ("color", 500), ("total", 1_500)],
                ),
                read(
                    2,
                    1,
                    "2026-11-15T12:00:00Z",
                    &[("mono", 1_400), ("color", 600), ("total", 2_000)],
                ),
                read(
                    3,
                    1,
                    "2026-11-30T23:00:00Z",
                    &[("mono", 1_600), ("color", 900), ("total", 2_500)],
                ),
                read(
                    4,
                    1,
                    "2026-12-01T08:00:00Z",
                    &[("mono", 1_700), ("color", 950), ("total", 2_650)],
                ),
                read(
                    5,
                    2,
                    "2026-11-02T09:00:00Z",
                    &[("mono", 5_000), ("color", 0), ("total", 5_000)],
                ),
                read(
                    6,
                    2,
                    "2026-11-20T09:00:00Z",
                    &[("mono", 5_300), ("color", 0), ("total", 5_300)],
                ),
            ],
        )
        .await;
    let (_, southern) = server.enroll(&server.key(southwind).await).await.unwrap();
    server
        .deliver(
            &southern,
            &[read(1, 3, "2026-11-10T10:00:00Z", &[("mono", 10)])],
        )
        .await;
    Fleet {
        root,
        northwind,
        acme,
        southwind,
        first: device(server, "VD20000001").await,
        second: device(server, "VD20000002").await,
        theirs: device(server, "VD20000003").await,
    }
}

/// The resolved rates of a device as (counter, cost per page, source scope, source id).
async fn resolved(server: &TestServer, device: i64) -> Vec<(String, Decimal, String, i64)> {
    let rates = server
        .admin("GET", &format!("/api/v1/devices/{device}/rates"), None)
        .await;
    rates
        .as_array()
        .unwrap()
        .iter()
        .map(|rate| {
            (
                rate["counter"].as_str().unwrap().to_owned(),
                money(&rate["cost-per-page"]),
                rate["source"]["scope"].as_str().unwrap().to_owned(),
                rate["source"]["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn rate(counter: &str, cost: &str, scope: &str, id: i64) -> (String, Decimal, String, i64) {
    (
        counter.to_owned(),
        Decimal::from_str(cost).unwrap(),
        scope.to_owned(),
        id,
    )
}

#[tokio::test]
async fn the_nearest_rate_wins_and_each_answer_names_where_it_was_set() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let fleet = fleet(&server).await;
        let (first, second) = (fleet.first, fleet.second);
        assert_eq!(
            resolved(&server, first).await,
            [],
            "{backend}: nothing set yet"
        );

        // The root dealer prices mono and color for everyone below it.
        let set = server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{}/rates", fleet.root),
                Some(json!([
                    {"counter": "mono", "cost-per-page": "0.0100"},
                    {"counter": "color", "cost-per-page": "0.0800"},
                ])),
            )
            .await;
        assert_eq!(
            set,
            json!([
                {"counter": "color", "cost-per-page": "0.0800"},
                {"counter": "mono", "cost-per-page": "0.0100"},
            ]),
            "{backend}: the account's own rates, by counter, every digit kept"
        );
        assert_eq!(
            resolved(&server, first).await,
            [
                rate("color", "0.08", "account", fleet.root),
                rate("mono", "0.01", "account", fleet.root),
            ],
            "{backend}"
        );

        // Northwind, a dealer under it, prices color lower.
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{}/rates", fleet.northwind),
                Some(json!([{"counter": "color", "cost-per-page": "0.070"}])),
            )
            .await;
        let answer = server
            .admin("GET", &format!("/api/v1/devices/{first}/rates"), None)
            .await;
        assert_eq!(
            answer[0]["source"],
            json!({"scope": "account", "id": fleet.northwind, "name": "Northwind"}),
            "{backend}: {answer}"
        );

        // A contract of Acme prices mono lower; printer 1 goes on it.
        let contract = server
            .admin(
                "POST",
                &format!("/api/v1/accounts/{}/contracts", fleet.acme),
                Some(json!({"name": "Acme 2026", "starts-on": "2026-01-01", "ends-on": "2026-12-31"})),
            )
            .await;
        assert_eq!(
            contract,
            json!({"id": contract["id"], "account-id": fleet.acme, "name": "Acme 2026",
                   "starts-on": "2026-01-01", "ends-on": "2026-12-31"}),
            "{backend}"
        );
        let contract = contract["id"].as_i64().unwrap();
        server
            .admin(
                "PUT",
                &format!("/api/v1/contracts/{contract}/rates"),
                Some(json!([{"counter": "mono", "cost-per-page": "0.009"}])),
            )
            .await;
        let on = server
            .admin(
                "PUT",
                &format!("/api/v1/devices/{first}/contract"),
                Some(json!({"contract-id": contract})),
            )
            .await;
        assert_eq!(on["contract-id"], contract, "{backend}: {on}");
        let listed = server
            .admin(
                "GET",
                &format!("/api/v1/contracts/{contract}/devices"),
                None,
            )
            .await;
        let ids: Vec<i64> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [first], "{backend}");
        let answer = server
            .admin("GET", &format!("/api/v1/devices/{first}/rates"), None)
            .await;
        assert_eq!(
            answer[1],
            json!({"counter": "mono", "cost-per-page": "0.009",
                   "source": {"scope": "contract", "id": contract, "name": "Acme 2026"}}),
            "{backend}: {answer}"
        );

        // Printer 1 prices its own color, answered resolved like the GET.
        let answer = server
            .admin(
                "PUT",
                &format!("/api/v1/devices/{first}/rates"),
                Some(json!([{"counter": "color", "cost-per-page": "0.065"}])),
            )
            .await;
        assert_eq!(
            answer,
            json!([
                {"counter": "color", "cost-per-page": "0.065", "source": {"scope": "device", "id": first}},
                {"counter": "mono", "cost-per-page": "0.009",
                 "source": {"scope": "contract", "id": contract, "name": "Acme 2026"}},
            ]),
            "{backend}"
        );
        // Printer 2, on no contract, has none of that.
        assert_eq!(
            resolved(&server, second).await,
            [
                rate("color", "0.07", "account", fleet.northwind),
                rate("mono", "0.01", "account", fleet.root),
            ],
            "{backend}"
        );

        // November 2026: printer 1 printed 600 mono and 400 color pages (the readings of
        // 31 October 22:00 and 30 November 23:00), 1,000 in all.
        let cost = server
            .admin(
                "GET",
                &format!("/api/v1/devices/{first}/cost?from=2026-11-01&to=2026-12-01"),
                None,
            )
            .await;
        let lines: Vec<(&str, u64, Decimal, &str, Decimal)> = cost["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| {
                (
                    line["counter"].as_str().unwrap(),
                    line["pages"].as_u64().unwrap(),
                    money(&line["cost-per-page"]),
                    line["source"]["scope"].as_str().unwrap(),
                    money(&line["cost"]),
                )
            })
            .collect();
        let dec = |text: &str| Decimal::from_str(text).unwrap();
        assert_eq!(
            lines,
            [
                // 400 × 0.065 and 600 × 0.009.
                ("color", 400, dec("0.065"), "device", dec("26")),
                ("mono", 600, dec("0.009"), "contract", dec("5.4")),
            ],
            "{backend}: {cost}"
        );
        assert_eq!(
            cost["unpriced"],
            json!([{"counter": "total", "pages": 1000}]),
            "{backend}"
        );
        assert_eq!(money(&cost["total"]), dec("31.4"), "{backend}: {cost}");
        assert_eq!(cost["contract-id"], contract, "{backend}");
        let mono = cost["meter-reads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|read| read["counter"] == "mono")
            .unwrap();
        assert_eq!(
            (
                mono["start"]["value"].as_u64(),
                mono["end"]["value"].as_u64()
            ),
            (Some(1_000), Some(1_600)),
            "{backend}: the period starts at the last reading before it: {mono}"
        );

        // Printer 2: 300 mono pages at the root's 0.01, no color; Acme: 31.4 + 3.
        let acme = server
            .admin(
                "GET",
                &format!(
                    "/api/v1/accounts/{}/cost?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
                    fleet.acme
                ),
                None,
            )
            .await;
        let totals: Vec<(i64, Decimal)> = acme["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["device-id"].as_i64().unwrap(), money(&d["total"])))
            .collect();
        assert_eq!(
            totals,
            [(first, dec("31.4")), (second, dec("3"))],
            "{backend}: {acme}"
        );
        assert_eq!(money(&acme["total"]), dec("34.4"), "{backend}");

        // Northwind's own devices are none; with its subtree, Acme's count.
        let path = format!(
            "/api/v1/accounts/{}/cost?from=2026-11-01&to=2026-12-01",
            fleet.northwind
        );
        let own = server.admin("GET", &path, None).await;
        assert_eq!(
            (own["devices"].clone(), money(&own["total"])),
            (json!([]), dec("0")),
            "{backend}"
        );
        let book = server
            .admin("GET", &format!("{path}&subtree=true"), None)
            .await;
        assert_eq!(money(&book["total"]), dec("34.4"), "{backend}: {book}");
        assert_eq!(book["subtree"], true, "{backend}");

        // Off the contract, printer 1 pays the root's mono again; deleting the contract
        // does the same to every device on it.
        server
            .admin("DELETE", &format!("/api/v1/devices/{first}/contract"), None)
            .await;
        assert_eq!(
            resolved(&server, first).await,
            [
                rate("color", "0.065", "device", first),
                rate("mono", "0.01", "account", fleet.root),
            ],
            "{backend}"
        );
        server
            .admin(
                "PUT",
                &format!("/api/v1/devices/{first}/contract"),
                Some(json!({"contract-id": contract})),
            )
            .await;
        let answer = server
            .call(
                "DELETE",
                &format!("/api/v1/contracts/{contract}"),
                Some(server.admin.as_str()),
                None,
            )
            .await;
        assert_eq!(answer.status, 204, "{backend}: {}", answer.text());
        let device = server
            .admin("GET", &format!("/api/v1/devices/{first}"), None)
            .await;
        assert_eq!(device["contract-id"], Value::Null, "{backend}: {device}");
        // Clearing the device's own rates leaves it with what it inherits.
        let answer = server
            .call(
                "DELETE",
                &format!("/api/v1/devices/{first}/rates"),
                Some(server.admin.as_str()),
                None,
            )
            .await;
        assert_eq!(answer.status, 204, "{backend}: {}", answer.text());
        assert_eq!(
            resolved(&server, first).await,
            resolved(&server, second).await,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn another_dealers_rows_are_not_found_and_customers_only_read_prices() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let fleet = fleet(&server).await;
        let theirs_contract = server
            .admin(
                "POST",
                &format!("/api/v1/accounts/{}/contracts", fleet.southwind),
                Some(json!({"name": "Southern"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let sibling = account(&server, "Globex", fleet.northwind, false).await;
        let siblings_contract = server
            .admin(
                "POST",
                &format!("/api/v1/accounts/{sibling}/contracts"),
                Some(json!({"name": "Globex"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let dealers_contract = server
            .admin(
                "POST",
                &format!("/api/v1/accounts/{}/contracts", fleet.northwind),
                Some(json!({"name": "Northwind standard"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        for (name, role, account) in [
            ("nora", "dealer-user", fleet.northwind),
            ("alan", "account-user", fleet.acme),
        ] {
            server
                .admin(
                    "POST",
                    "/api/v1/users",
                    Some(json!({"name": name, "password": "a long password", "role": role, "account-ids": [account]})),
                )
                .await;
        }
        let nora = server.login("nora", "a long password").await;
        let alan = server.login("alan", "a long password").await;

        // Nora works for Northwind: Southwind's rows do not exist for her.
        let rates = json!([{"counter": "mono", "cost-per-page": "0.5"}]);
        for (method, path, body) in [
            (
                "GET",
                format!("/api/v1/devices/{}/rates", fleet.theirs),
                None,
            ),
            (
                "PUT",
                format!("/api/v1/devices/{}/rates", fleet.theirs),
                Some(rates.clone()),
            ),
            (
                "GET",
                format!("/api/v1/devices/{}/cost", fleet.theirs),
                None,
            ),
            (
                "GET",
                format!("/api/v1/accounts/{}/cost?subtree=true", fleet.southwind),
                None,
            ),
            (
                "PUT",
                format!("/api/v1/accounts/{}/rates", fleet.southwind),
                Some(rates.clone()),
            ),
            ("GET", format!("/api/v1/contracts/{theirs_contract}"), None),
            (
                "PUT",
                format!("/api/v1/contracts/{theirs_contract}/rates"),
                Some(rates.clone()),
            ),
            (
                "DELETE",
                format!("/api/v1/contracts/{theirs_contract}"),
                None,
            ),
            (
                "PUT",
                format!("/api/v1/devices/{}/contract", fleet.theirs),
                Some(json!({"contract-id": dealers_contract})),
            ),
        ] {
            let answer = server.call(method, &path, Some(&nora), body).await;
            assert_eq!(
                answer.status,
                404,
                "{backend}: {method} {path}: {}",
                answer.text()
            );
            assert!(
                !answer.text().contains("Southern"),
                "{backend}: {}",
                answer.text()
            );
        }
        // Nor may she put her customer's printer on Southwind's contract: it is not found.
        let assign = format!("/api/v1/devices/{}/contract", fleet.first);
        let answer = server
            .call(
                "PUT",
                &assign,
                Some(&nora),
                Some(json!({"contract-id": theirs_contract})),
            )
            .await;
        assert_eq!(
            (answer.status, answer.json()["field"].clone()),
            (404, json!("contract-id")),
            "{backend}: {}",
            answer.text()
        );
        // A sibling customer's contract she sees, but it is not Acme's nor above it.
        let answer = server
            .call(
                "PUT",
                &assign,
                Some(&nora),
                Some(json!({"contract-id": siblings_contract})),
            )
            .await;
        assert_eq!(
            (answer.status, answer.json()["field"].clone()),
            (400, json!("contract-id")),
            "{backend}: {}",
            answer.text()
        );
        // Her own dealer's contract covers her customers' printers.
        let answer = server
            .call(
                "PUT",
                &assign,
                Some(&nora),
                Some(json!({"contract-id": dealers_contract})),
            )
            .await;
        assert_eq!(answer.status, 200, "{backend}: {}", answer.text());
        let answer = server
            .call(
                "PUT",
                &format!("/api/v1/contracts/{dealers_contract}/rates"),
                Some(&nora),
                Some(rates.clone()),
            )
            .await;
        assert_eq!(answer.status, 200, "{backend}: {}", answer.text());

        // Alan, Acme's own user, reads what his printers pay and cost, but sets no prices.
        let answer = server
            .call(
                "GET",
                &format!("/api/v1/devices/{}/rates", fleet.first),
                Some(&alan),
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{backend}: {}", answer.text());
        assert_eq!(
            answer.json()[0]["source"],
            json!({"scope": "contract", "id": dealers_contract, "name": "Northwind standard"}),
            "{backend}"
        );
        let answer = server
            .call(
                "GET",
                &format!("/api/v1/accounts/{}/cost", fleet.acme),
                Some(&alan),
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{backend}: {}", answer.text());
        for (method, path) in [
            ("PUT", format!("/api/v1/devices/{}/rates", fleet.first)),
            ("PUT", format!("/api/v1/accounts/{}/rates", fleet.acme)),
        ] {
            let answer = server
                .call(method, &path, Some(&alan), Some(rates.clone()))
                .await;
            assert_eq!(
                answer.status,
                403,
                "{backend}: {method} {path}: {}",
                answer.text()
            );
        }
        let answer = server
            .call(
                "POST",
                &format!("/api/v1/accounts/{}/contracts", fleet.acme),
                Some(&alan),
                Some(json!({"name": "Mine"})),
            )
            .await;
        assert_eq!(answer.status, 403, "{backend}: {}", answer.text());
        assert_eq!(
            server
                .admin(
                    "GET",
                    &format!("/api/v1/accounts/{}/rates", fleet.acme),
                    None
                )
                .await,
            json!([]),
            "{backend}"
        );
    }
}

/// `item` from a printer whose model is a spreadsheet formula.
fn formula(mut item: UploadItem) -> UploadItem {
    item.reading.identity.model = Some("=HYPERLINK(\"http://x.test\")".into());
    item
}

#[tokio::test]
async fn the_meter_read_export_gives_a_row_per_device_and_counter_with_its_events() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let root = server.running.main_dealer.0;
        let acme = account(&server, "Acme, Inc.", root, false).await;
        let (_, agent) = server.enroll(&server.key(acme).await).await.unwrap();
        // Printer 1's counter was reset to 0 on 10 November (a new controller board on a
        // one-counter device): 400 pages before it, 250 after, not 150 − 1,000.
        server
            .deliver(
                &agent,
                &[
                    read(1, 1, "2026-10-31T22:00:00Z", &[("total", 1_000)]),
                    read(2, 1, "2026-11-05T10:00:00Z", &[("total", 1_400)]),
                    read(3, 1, "2026-11-10T10:00:00Z", &[("total", 0)]),
                    read(4, 1, "2026-11-29T10:00:00Z", &[("total", 250)]),
                    formula(read(
                        5,
                        2,
                        "2026-11-03T09:00:00Z",
                        &[("mono", 70), ("color", 5)],
                    )),
                    formula(read(
                        6,
                        2,
                        "2026-11-20T09:00:00Z",
                        &[("mono", 170), ("color", 25)],
                    )),
                ],
            )
            .await;
        let first = device(&server, "VD20000001").await;
        let second = device(&server, "VD20000002").await;
        let query = "from=2026-11-01&to=2026-12-01";
        let export = server
            .admin(
                "GET",
                &format!("/api/v1/accounts/{acme}/meter-reads?{query}"),
                None,
            )
            .await;
        // (device, counter, start, end, pages, event kinds)
        type Row<'a> = (i64, &'a str, u64, u64, u64, Vec<&'a str>);
        let rows: Vec<Row<'_>> = export["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["device-id"].as_i64().unwrap(),
                    row["counter"].as_str().unwrap(),
                    row["start-value"].as_u64().unwrap(),
                    row["end-value"].as_u64().unwrap(),
                    row["pages"].as_u64().unwrap(),
                    row["events"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["kind"].as_str().unwrap())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (first, "total", 1_000, 250, 650, vec!["reset"]),
                (second, "color", 5, 25, 20, vec![]),
                (second, "mono", 70, 170, 100, vec![]),
            ],
            "{backend}: {export}"
        );
        assert_eq!(export["rows"][0]["account"], "Acme, Inc.", "{backend}");
        assert_eq!(
            export["rows"][0]["start-at"], "2026-10-31T22:00:00Z",
            "{backend}: the period starts at the last reading before it"
        );

        // The same rows as the CSV a billing clerk opens: a header, then one line each,
        // the account's comma quoted.
        let csv = server
            .call(
                "GET",
                &format!("/api/v1/accounts/{acme}/meter-reads.csv?{query}"),
                Some(server.admin.as_str()),
                None,
            )
            .await;
        assert_eq!(csv.status, 200, "{backend}: {}", csv.text());
        let text = csv.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "account_id,account,device_id,serial,manufacturer,model,counter,start_value,\
             start_at,end_value,end_at,pages,events",
            "{backend}"
        );
        assert_eq!(lines.len(), 4, "{backend}: {text}");
        // Printer 2 calls its model a formula: the cell is text a spreadsheet shows as is
        // (quoted, its quotes doubled, by RFC 4180).
        assert!(
            lines[2].contains(r#","'=HYPERLINK(""http://x.test"")","#),
            "{backend}: {}",
            lines[2]
        );
        let reset: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(
            (reset[1], reset[2], reset[4]),
            ("\"Acme", " Inc.\"", "VD20000001"),
            "{backend}: {}",
            lines[1]
        );
        assert!(
            lines[1].ends_with(
                ",total,1000,2026-10-31T22:00:00+00:00,250,2026-11-29T10:00:00+00:00,650,reset"
            ),
            "{backend}: {}",
            lines[1]
        );

        // A period that ends before it starts is refused, naming the field.
        let refused = server
            .call(
                "GET",
                &format!("/api/v1/accounts/{acme}/meter-reads.csv?from=2026-12-01&to=2026-11-01"),
                Some(server.admin.as_str()),
                None,
            )
            .await;
        assert_eq!(refused.status, 400, "{backend}: {}", refused.text());
        assert!(
            refused.text().contains("to"),
            "{backend}: {}",
            refused.text()
        );
    }
}

#[tokio::test]
async fn a_devices_days_give_its_pages_per_local_day_and_each_supplys_levels() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let root = server.running.main_dealer.0;
        let acme = account(&server, "Acme", root, false).await;
        let (_, agent) = server.enroll(&server.key(acme).await).await.unwrap();
        // 240 pages over 1 November (UTC), then 60 over the next 36 hours; the first
        // supply drains from 80 % to 55 %.
        let reads = [
            (1, "2026-11-01T00:00:00Z", 1_000, 80),
            (2, "2026-11-02T00:00:00Z", 1_240, 60),
            (3, "2026-11-03T12:00:00Z", 1_300, 55),
        ];
        let items: Vec<UploadItem> = reads
            .iter()
            .map(|&(seq, at, total, percent)| {
                let mut item = read(seq, 1, at, &[("total", total)]);
                item.reading.supplies[0].percent = Some(percent);
                item
            })
            .collect();
        server.deliver(&agent, &items).await;
        let printer = device(&server, "VD20000001").await;
        // The chart's `total` line as (bucket day, pages), buckets without pages left out.
        let days = |answer: &Value| -> Vec<(String, u64)> {
            let chart = &answer["chart"];
            let line = chart["counters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["counter"] == "total")
                .unwrap_or_else(|| panic!("{backend}: no total: {answer}"));
            chart["days"]
                .as_array()
                .unwrap()
                .iter()
                .zip(line["pages"].as_array().unwrap())
                .filter_map(|(day, pages)| {
                    Some((day.as_str().unwrap().to_string(), pages.as_u64()?))
                })
                .collect()
        };
        let path = format!("/api/v1/devices/{printer}/pages-per-day?from=2026-11-01&to=2026-11-04");
        let utc = server.admin("GET", &path, None).await;
        assert_eq!(
            utc["chart"]["time-zone"], "UTC",
            "{backend}: no site zone, so UTC"
        );
        // The 36 hours: 24 on the 2nd (40 pages), 12 on the 3rd (20).
        assert_eq!(
            days(&utc),
            [
                ("2026-11-01".to_string(), 240),
                ("2026-11-02".to_string(), 40),
                ("2026-11-03".to_string(), 20),
            ],
            "{backend}: {utc}"
        );
        // In Tokyo (UTC+9) the readings fall at 09:00, 09:00 and 21:00: 15 of the first
        // 24 hours on the 1st (150), 9 + 15 on the 2nd (90 + 25), 21 on the 3rd (35).
        let tokyo = server
            .admin("GET", &format!("{path}&tz=Asia/Tokyo"), None)
            .await;
        assert_eq!(
            days(&tokyo),
            [
                ("2026-11-01".to_string(), 150),
                ("2026-11-02".to_string(), 115),
                ("2026-11-03".to_string(), 35),
            ],
            "{backend}: {tokyo}"
        );
        // Two points for three days: buckets of two days, summed.
        let two = server.admin("GET", &format!("{path}&points=2"), None).await;
        assert_eq!(two["chart"]["bucket-days"], 2, "{backend}: {two}");
        assert_eq!(
            days(&two),
            [
                ("2026-11-01".to_string(), 280),
                ("2026-11-03".to_string(), 20)
            ],
            "{backend}: {two}"
        );
        // The account's only printer: the account's line is the printer's.
        let account = server
            .admin(
                "GET",
                &format!("/api/v1/accounts/{acme}/pages-per-day?from=2026-11-01&to=2026-11-04"),
                None,
            )
            .await;
        assert_eq!(account["devices"], 1, "{backend}: {account}");
        assert_eq!(days(&account), days(&utc), "{backend}: {account}");
        let refused = server
            .call(
                "GET",
                &format!("{path}&points=1"),
                Some(server.admin.as_str()),
                None,
            )
            .await;
        assert_eq!(refused.status, 400, "{backend}: {}", refused.text());
        assert!(
            refused.text().contains("points"),
            "{backend}: {}",
            refused.text()
        );
        let refused = server
            .call(
                "GET",
                &format!("{path}&tz=Mars/Olympus"),
                Some(server.admin.as_str()),
                None,
            )
            .await;
        assert_eq!(refused.status, 400, "{backend}: {}", refused.text());
        assert!(
            refused.text().contains("Mars/Olympus"),
            "{backend}: {}",
            refused.text()
        );

        let levels = server
            .admin(
                "GET",
                &format!("/api/v1/devices/{printer}/levels-per-day?from=2026-11-01&to=2026-11-04"),
                None,
            )
            .await;
        let first = &items[0].reading.supplies[0];
        let supply = levels["supplies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["index"] == first.index)
            .unwrap_or_else(|| panic!("{backend}: {levels}"));
        assert_eq!(
            supply["description"],
            first.description.as_str(),
            "{backend}"
        );
        let percents: Vec<(&str, u64)> = supply["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["day"].as_str().unwrap(),
                    d["last-percent"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            percents,
            [("2026-11-01", 80), ("2026-11-02", 60), ("2026-11-03", 55)],
            "{backend}: {levels}"
        );
        // In buckets of two days: the first bucket's first, last and lowest reading.
        let two = server
            .admin(
                "GET",
                &format!(
                    "/api/v1/devices/{printer}/levels-per-day?from=2026-11-01&to=2026-11-04&points=2"
                ),
                None,
            )
            .await;
        let supply = two["supplies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["index"] == first.index)
            .unwrap_or_else(|| panic!("{backend}: {two}"));
        let bucket = &supply["days"][0];
        assert_eq!(
            (
                bucket["day"].as_str(),
                bucket["first-percent"].as_u64(),
                bucket["last-percent"].as_u64(),
                bucket["min-percent"].as_u64()
            ),
            (Some("2026-11-01"), Some(80), Some(60), Some(60)),
            "{backend}: {two}"
        );
        assert_eq!(supply["days"][1]["day"], "2026-11-03", "{backend}: {two}");
    }
}
