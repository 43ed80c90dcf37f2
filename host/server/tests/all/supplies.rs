//! A device's supplies through the API, from four weeks of readings filed through the
//! real ingest: each position's cartridges with the pages printed on them and the yield
//! against the rated one, the orders recorded for them, when the current ones run out
//! or why that cannot be said, and bodies refused naming their field.

use chrono::{DateTime, Duration, DurationRound, Utc};
use quire_model::{Supply, SupplyState};
use quire_protocol::UploadItem;
use serde_json::{Value, json};

use crate::support::{TestServer, backends, item};

/// Days of readings: one a day, days 0 to 27.
const DAYS: i64 = 28;

fn toner(index: u32, color: &str, percent: i64, serial: &str, part: &str) -> Supply {
    let percent = u8::try_from(percent).unwrap();
    Supply {
        index,
        description: part.into(),
        kind: "toner".into(),
        color: Some(color.into()),
        unit: Some("percent".into()),
        level: Some(i32::from(percent)),
        max: Some(100),
        percent: Some(percent),
        state: match percent {
            0 => SupplyState::Empty,
            1..=10 => SupplyState::Low,
            _ => SupplyState::Ok,
        },
        serial: Some(serial.into()),
        part_number: Some(part.into()),
    }
}

/// The printer on day `d`, read at `start` + `d` days, 100 pages a day from 10,000:
/// - black: cartridge BK-1 at 12 % falling 2 points a day, replaced on day 5 by BK-2 at
///   100 % falling 1 point a day (78 % on day 27);
/// - cyan: CY-0 at 8 %, 6 %, replaced on day 2 by CY-1 at 100 % falling 5 points a day,
///   empty on day 22, replaced on day 23 by CY-2 at 100 % falling 1 a day;
/// - the waste box, which says only "some remaining".
fn reading(start: DateTime<Utc>, d: i64) -> UploadItem {
    let mut item = item(u64::try_from(d).unwrap() + 1, None, 1, 0);
    item.taken_at = start + Duration::days(d);
    item.reading.counters = [("total".to_string(), 10_000 + 100 * d as u64)].into();
    let black = match d {
        0..=4 => toner(1, "black", 12 - 2 * d, "BK-1", "TK-5240K"),
        _ => toner(1, "black", 100 - (d - 5), "BK-2", "TK-5240K"),
    };
    let cyan = match d {
        0..=1 => toner(2, "cyan", 8 - 2 * d, "CY-0", "TK-5240C"),
        2..=22 => toner(2, "cyan", 100 - 5 * (d - 2), "CY-1", "TK-5240C"),
        _ => toner(2, "cyan", 100 - (d - 23), "CY-2", "TK-5240C"),
    };
    let mut waste = item.reading.supplies[1].clone();
    waste.index = 3;
    item.reading.supplies = vec![black, cyan, waste];
    item
}

/// The printer's history filed for account Acme; its device id, Acme's id and day 0.
async fn printer(server: &TestServer) -> (i64, i64, DateTime<Utc>) {
    let acme = server.account("Acme").await;
    let (_, agent) = server.enroll(&server.key(acme).await).await.unwrap();
    // Day 27 is a day before the last whole hour, so every reading is in the past.
    let start = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(DAYS);
    let items: Vec<UploadItem> = (0..DAYS).map(|d| reading(start, d)).collect();
    server.deliver(&agent, &items).await;
    let device = server.admin("GET", "/api/v1/devices", None).await[0]["id"]
        .as_i64()
        .unwrap();
    (device, acme, start)
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a time"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn cartridges_yields_orders_and_forecasts_of_a_printers_four_weeks() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let (device, acme, start) = printer(&server).await;
        let day = |d: i64| start + Duration::days(d);
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{acme}/rated-yields"),
                Some(json!([
                    {"part-number": "TK-5240C", "rated-pages": 1600},
                    {"part-number": "TK-5240K", "rated-pages": 3000},
                ])),
            )
            .await;
        let events = format!("/api/v1/devices/{device}/supplies/events");
        let black = json!({"kind": "toner", "color": "black", "rank": 1});
        for (kind, at, note) in [
            ("ordered", day(26), Some("PO 4471")),
            ("shipped", day(27) - Duration::hours(1), None),
        ] {
            let answer = server
                .call(
                    "POST",
                    &events,
                    Some(&server.admin),
                    Some(
                        json!({"position": black, "kind": kind, "part-number": "TK-5240K",
                        "quantity": 1, "at": at, "note": note}),
                    ),
                )
                .await;
            assert_eq!(answer.status, 201, "{backend}: {}", answer.text());
        }
        let listed = server.admin("GET", &events, None).await;
        assert_eq!(
            (listed[0]["kind"].as_str(), listed[0]["note"].as_str()),
            (Some("ordered"), Some("PO 4471")),
            "{backend}: {listed}"
        );
        assert_eq!(listed[1]["kind"], "shipped", "{backend}");

        let history = server
            .admin(
                "GET",
                &format!("/api/v1/devices/{device}/supplies/history"),
                None,
            )
            .await;
        let positions = history["positions"].as_array().unwrap();
        assert_eq!(positions.len(), 3, "{backend}: {history}");
        assert_eq!(history["issues"], json!([]), "{backend}");

        // Black: BK-1 was there on day 0 and replaced by BK-2 on day 5, 500 pages later
        // (10,500 − 10,000); at 12 % → 4 % it used 8 points, under the 20 an estimate
        // needs, so no yield. BK-2 has printed 12,700 − 10,500 = 2,200 pages since.
        let black = &positions[0];
        assert_eq!(black["position"]["color"], "black", "{backend}");
        let cartridges = black["cartridges"].as_array().unwrap();
        assert_eq!(cartridges.len(), 2, "{backend}: {black}");
        assert_eq!(
            (
                time(&cartridges[0]["since"]),
                cartridges[0]["install"]["kind"].as_str(),
                cartridges[0]["stage"].as_str(),
                time(&cartridges[0]["replaced-at"]),
                cartridges[0]["pages"].as_u64(),
                &cartridges[0]["yield"],
            ),
            (
                day(0),
                Some("first-seen"),
                Some("replaced"),
                day(5),
                Some(500),
                &Value::Null
            ),
            "{backend}"
        );
        assert_eq!(
            cartridges[1]["install"],
            json!({"kind": "serial-changed", "before": "BK-1", "after": "BK-2"}),
            "{backend}"
        );
        assert_eq!(
            (
                time(&cartridges[1]["since"]),
                cartridges[1]["stage"].as_str(),
                cartridges[1]["pages"].as_u64()
            ),
            (day(5), Some("installed"), Some(2_200)),
            "{backend}"
        );
        // The order and the shipment came after BK-2 went in: the next cartridge's.
        assert_eq!(
            black["on-order"],
            json!({"stage": "shipped", "ordered-at": day(26), "shipped-at": day(27) - Duration::hours(1),
                "part-number": "TK-5240K"}),
            "{backend}"
        );

        // Cyan: CY-1 went in on day 2 (10,200 pages) and was empty on day 22 (12,200):
        // it yielded 2,000 pages, 125 % of the 1,600 its part is rated for; it printed
        // 2,100 to its replacement on day 23 (12,300).
        let cyan = positions[1]["cartridges"].as_array().unwrap();
        assert_eq!(cyan.len(), 3, "{backend}: {}", positions[1]);
        assert_eq!(
            (
                time(&cyan[1]["since"]),
                time(&cyan[1]["emptied-at"]),
                time(&cyan[1]["replaced-at"]),
                cyan[1]["pages"].as_u64()
            ),
            (day(2), day(22), day(23), Some(2_100)),
            "{backend}"
        );
        assert_eq!(
            cyan[1]["yield"],
            json!({"basis": "actual", "pages": 2000, "measured-pages": 2000, "consumed-percent": 100,
                "rated-pages": 1600, "percent-of-rated": 125}),
            "{backend}"
        );

        let forecasts = server
            .admin(
                "GET",
                &format!("/api/v1/devices/{device}/supplies/forecast"),
                None,
            )
            .await;
        let positions = forecasts["positions"].as_array().unwrap();
        // Black: BK-2 lost one point per 100 pages from 100 % at 10,500 pages. The
        // forecast reads each new low as half a point above what is shown, so on day 27
        // (12,700 pages, 78 %) 78.5 points are left: 7,850 pages, which at 100 pages a
        // day is 78.5 days. Every day alike, so the interval is that point too.
        let black = &positions[0]["forecast"];
        assert_eq!(black["outcome"], "forecast", "{backend}: {black}");
        assert_eq!(black["method"], "level-per-page", "{backend}");
        assert_eq!(black["level-percent"], 78, "{backend}");
        let (earliest, empty_on, latest) = (
            time(&black["earliest"]),
            time(&black["empty-on"]),
            time(&black["latest"]),
        );
        let expected = day(27) + Duration::hours(78 * 24 + 12);
        assert!(
            earliest <= empty_on
                && empty_on <= latest
                && expected - Duration::hours(6) <= earliest
                && latest <= expected + Duration::hours(6),
            "{backend}: {earliest} ≤ {empty_on} ≤ {latest}, expected about {expected}"
        );
        assert_eq!(time(&positions[0]["cartridge-since"]), day(5), "{backend}");
        // Cyan: CY-2 went in on day 23, four days before the last reading.
        assert_eq!(
            positions[1]["forecast"],
            json!({"outcome": "refusal", "reason": {"kind": "too-short", "days": 4, "needed": 7},
                "message": "the cartridge has 4 day(s) of history, 7 are needed"}),
            "{backend}"
        );
        assert_eq!(
            positions[2]["forecast"]["reason"],
            json!({"kind": "level-not-reported", "state": "some-remaining"}),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_schedule_files_each_supplys_forecast_and_lists_those_running_out_soon() {
    for db in backends().await {
        let server = TestServer::start_configured(db, |server| {
            server.calculated_every = std::time::Duration::from_millis(300);
        })
        .await;
        let backend = server.backend;
        let (device, acme, start) = printer(&server).await;
        let soon = |days: u32| format!("/api/v1/supplies/running-out?within-days={days}");
        // No test calls the recompute: the server's own schedule does, within a second.
        let mut listed = server.admin("GET", &soon(100), None).await;
        for _ in 0..100 {
            if listed.as_array().is_some_and(|l| !l.is_empty()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            listed = server.admin("GET", &soon(100), None).await;
        }
        // Only black has a date: about 78.5 days after day 27 (see the test above); cyan's
        // cartridge is too new and the waste box gives no level, so neither is listed.
        let list = listed.as_array().unwrap();
        assert_eq!(list.len(), 1, "{backend}: {listed}");
        let black = &list[0];
        assert_eq!(
            (black["device-id"].as_i64(), black["account-id"].as_i64()),
            (Some(device), Some(acme)),
            "{backend}: {black}"
        );
        assert_eq!(black["supply"]["index"], 1, "{backend}: {black}");
        assert_eq!(black["supply"]["part-number"], "TK-5240K", "{backend}");
        let empty_on = time(&black["supply"]["forecast"]["empty-on"]);
        let expected = start + Duration::days(27) + Duration::hours(78 * 24 + 12);
        assert!(
            (empty_on - expected).abs() <= Duration::hours(6),
            "{backend}: filed {empty_on}, expected about {expected}"
        );
        // The same forecast as the device's own, worked out on request.
        let live = server
            .admin(
                "GET",
                &format!("/api/v1/devices/{device}/supplies/forecast"),
                None,
            )
            .await;
        assert_eq!(
            live["positions"][0]["forecast"]["empty-on"], black["supply"]["forecast"]["empty-on"],
            "{backend}"
        );
        // The device's level chart draws the same forecast as a line to empty, and says
        // why cyan has none.
        let chart = server
            .admin(
                "GET",
                &format!("/api/v1/devices/{device}/levels-per-day"),
                None,
            )
            .await;
        let black_line = &chart["supplies"][0]["forecast"];
        assert_eq!(black_line["percent"], json!([78, 0]), "{backend}: {chart}");
        assert_eq!(
            black_line["at"][1], black["supply"]["forecast"]["empty-on"],
            "{backend}: {chart}"
        );
        assert_eq!(
            chart["supplies"][1]["no-forecast"],
            "the cartridge has 4 day(s) of history, 7 are needed",
            "{backend}: {chart}"
        );
        // 78 days is beyond a 60-day horizon.
        assert_eq!(
            server.admin("GET", &soon(60), None).await,
            json!([]),
            "{backend}"
        );

        // Another account's user sees none of Acme's supplies.
        let other = server.account("Other").await;
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "olga", "password": "a long password",
                    "role": "account-user", "account-ids": [other]})),
            )
            .await;
        let olga = server.login("olga", "a long password").await;
        let answer = server.call("GET", &soon(100), Some(&olga), None).await;
        assert_eq!(
            (answer.status, answer.json()),
            (200, json!([])),
            "{backend}"
        );

        for (query, field) in [
            ("within-days=0", "within-days"),
            ("within-days=366", "within-days"),
            ("within-days=soon", "within-days"),
            ("limit=0", "limit"),
            ("horizon=3", "horizon"),
        ] {
            let answer = server
                .call(
                    "GET",
                    &format!("/api/v1/supplies/running-out?{query}"),
                    Some(&server.admin),
                    None,
                )
                .await;
            // A value the handler checks names its field; one the query string cannot
            // parse is named in the message.
            let text = answer.text();
            assert!(
                answer.status == 400
                    && (answer.json()["field"].as_str() == Some(field) || text.contains(field)),
                "{backend}: {query}: {} {text}",
                answer.status
            );
        }
    }
}

#[tokio::test]
async fn bad_events_and_rated_yields_answer_400_naming_the_field_and_account_users_only_read() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let (device, acme, _) = printer(&server).await;
        let events = format!("/api/v1/devices/{device}/supplies/events");
        let event = |field: &str, value: Value| {
            let mut body = json!({"position": {"kind": "toner", "color": "black", "rank": 1},
                "kind": "ordered", "part-number": "TK-5240K", "quantity": 2,
                "at": "2026-11-20T10:00:00Z"});
            body[field] = value;
            body
        };
        let yields = format!("/api/v1/accounts/{acme}/rated-yields");
        let fine = json!({"part-number": "TK-5240K", "rated-pages": 3000});
        for (path, body, field) in [
            (&events, event("kind", json!("returned")), "kind"),
            (&events, event("quantity", json!(0)), "quantity"),
            (&events, event("part-number", json!("  ")), "part-number"),
            (&events, event("at", json!("last tuesday")), "at"),
            (&events, event("at", json!("2999-01-01T00:00:00Z")), "at"),
            (
                &events,
                event("position", json!({"kind": "toner", "rank": 0})),
                "position.rank",
            ),
            (
                &yields,
                json!([fine, {"part-number": "TK-5240C", "rated-pages": 0}]),
                "[1].rated-pages",
            ),
            (
                &yields,
                json!([fine, {"part-number": " TK-5240K ", "rated-pages": 7200}]),
                "[1].part-number",
            ),
            (
                &yields,
                json!([{"part-number": "TK-5240K", "rated-pages": "many"}]),
                "[0].rated-pages",
            ),
            (
                &yields,
                json!([{"part-number": "", "rated-pages": 10}]),
                "[0].part-number",
            ),
        ] {
            let method = if path == &events { "POST" } else { "PUT" };
            let answer = server
                .call(method, path, Some(&server.admin), Some(body.clone()))
                .await;
            assert_eq!(
                (answer.status, answer.json()["field"].as_str()),
                (400, Some(field)),
                "{backend}: {method} {path} {body}: {}",
                answer.text()
            );
        }
        // Nothing refused was stored.
        assert_eq!(server.admin("GET", &events, None).await, json!([]));
        assert_eq!(server.admin("GET", &yields, None).await, json!([]));

        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "alan", "password": "a long password",
                    "role": "account-user", "account-ids": [acme]})),
            )
            .await;
        let alan = server.login("alan", "a long password").await;
        for (method, path, body, status) in [
            ("GET", yields.clone(), None, 200),
            ("PUT", yields.clone(), Some(json!([fine])), 403),
            ("GET", events.clone(), None, 200),
            (
                "POST",
                events.clone(),
                Some(event("quantity", json!(1))),
                403,
            ),
            (
                "GET",
                format!("/api/v1/devices/{device}/supplies/history"),
                None,
                200,
            ),
        ] {
            let answer = server.call(method, &path, Some(&alan), body).await;
            assert_eq!(
                answer.status,
                status,
                "{backend}: {method} {path}: {}",
                answer.text()
            );
        }
    }
}
