//! Malfunctions from upload to work order: a jam an agent read and judged is stored with
//! its assessment, waits on the maintenance dashboard under the skill and field service
//! it needs, and when a later reading no longer shows it, it leaves the dashboard and
//! the work order for it closes itself as `system` where the dealer asked for that.

use chrono::{DateTime, TimeZone, Utc};
use quire_model::{
    AlertSeverity, Assessment, AssessmentOutcome, AssessmentSeverity, Cycle, DeviceAlert,
    ErrorAssessment, ErrorGroup, ErrorSource, ErrorState, SkillLevel,
};
use quire_protocol::UploadItem;
use serde_json::{Value, json};

use crate::support::{TestServer, item};

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 6, hour, minute, 0).unwrap()
}

/// Row 3 of the alert table: prtAlertCode 8 (jam), critical, as a printer raises it.
fn jam_alert() -> DeviceAlert {
    DeviceAlert {
        index: 3,
        severity: AlertSeverity::Critical,
        training_level: Some("trained".into()),
        group: Some("media-path".into()),
        group_index: Some(1),
        location: None,
        code: 8,
        code_name: Some("jam".into()),
        description: Some("Paper jam in tray 2".into()),
        time: None,
    }
}

/// The generic strategy's judgement of a jam (the Printer-MIB's table: a key operator
/// clears it in five minutes, no visit).
fn paper_jam() -> Assessment {
    Assessment {
        state: "paper-jam".into(),
        group: ErrorGroup::Paper,
        severity: AssessmentSeverity::Critical,
        skill: SkillLevel::KeyOperator,
        field_service: false,
        estimated_minutes: 5,
    }
}

/// Printer `n`'s reading (support's `item`) taken at `taken_at` by `cycle`, jammed or
/// not, with the assessments its agent made.
fn reading(
    seq: u64,
    site: i64,
    n: usize,
    taken_at: DateTime<Utc>,
    cycle: Cycle,
    jammed: bool,
) -> UploadItem {
    let mut item = item(seq, Some(site), n, 1);
    item.taken_at = taken_at;
    item.cycle = cycle;
    item.reading.alerts.clear();
    item.reading.status.errors.clear();
    if jammed {
        if cycle != Cycle::MetersAndSupplies {
            item.reading.alerts.push(jam_alert());
            item.assessments.push(ErrorAssessment {
                input: ErrorSource::Alert { index: 3 },
                outcome: AssessmentOutcome::Assessed(paper_jam()),
            });
        }
        item.reading.status.errors.push(ErrorState::Jammed);
        item.assessments.push(ErrorAssessment {
            input: ErrorSource::State {
                state: ErrorState::Jammed,
            },
            outcome: AssessmentOutcome::Assessed(paper_jam()),
        });
    }
    item
}

/// The devices of the dashboard's group `key` = `value` (`skill` = `key-operator`).
fn group<'v>(dashboard: &'v Value, groups: &str, key: &str, value: Value) -> &'v Vec<Value> {
    dashboard[groups]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g[key] == value)
        .unwrap_or_else(|| panic!("no {key} {value} in {dashboard}"))["devices"]
        .as_array()
        .unwrap()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_jam_waits_on_the_dashboard_and_its_order_closes_itself_when_it_clears() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let dealer = server.running.main_dealer.0;
        // The dealer prices labour and closes orders whose error clears; Manual Co says
        // for itself that its orders stay until someone closes them (nearest wins).
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{dealer}/service-settings"),
                Some(json!({"labour-rates": {"key-operator": "90.00", "technician": "120"}, "auto-close": true})),
            )
            .await;
        let jammed_co = server.account("Jammed Co").await;
        let manual_co = server.account("Manual Co").await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{manual_co}/service-settings"),
                Some(json!({"auto-close": false})),
            )
            .await;
        let settings = server
            .admin(
                "GET",
                &format!("/api/v1/accounts/{jammed_co}/service-settings"),
                None,
            )
            .await;
        assert_eq!(
            settings["labour-rates"]["key-operator"],
            json!({"rate": "90.00", "from-account-id": dealer}),
            "{backend}"
        );
        assert_eq!(
            (
                &settings["auto-close"],
                &settings["auto-close-from-account-id"]
            ),
            (&json!(true), &json!(dealer)),
            "{backend}"
        );

        let site = server.site(jammed_co, "HQ").await;
        let manual_site = server.site(manual_co, "HQ").await;
        let (_, agent) = server.enroll(&server.key(jammed_co).await).await.unwrap();
        let (_, manual_agent) = server.enroll(&server.key(manual_co).await).await.unwrap();

        // 08:00 and 09:00: the alert cycle reads the jam twice.
        server
            .deliver(
                &agent,
                &[reading(1, site, 1, at(8, 0), Cycle::Alerts, true)],
            )
            .await;
        server
            .deliver(
                &agent,
                &[reading(2, site, 1, at(9, 0), Cycle::Alerts, true)],
            )
            .await;
        server
            .deliver(
                &manual_agent,
                &[reading(1, manual_site, 2, at(8, 30), Cycle::Alerts, true)],
            )
            .await;
        let device = |account: i64| {
            let server = &server;
            async move {
                server
                    .admin(
                        "GET",
                        &format!("/api/v1/devices?account-id={account}"),
                        None,
                    )
                    .await[0]["id"]
                    .as_i64()
                    .unwrap()
            }
        };
        let (device, manual_device) = (device(jammed_co).await, device(manual_co).await);

        // Stored with the reading, as the agent judged it.
        let readings = server
            .admin("GET", &format!("/api/v1/devices/{device}/readings"), None)
            .await;
        let latest = &readings[0];
        assert_eq!(
            latest["assessments"],
            json!([
                {"input": {"kind": "alert", "index": 3}, "outcome": {"assessed": {"state": "paper-jam", "group": "paper", "severity": "critical", "skill": "key-operator", "field-service": false, "estimated-minutes": 5}}},
                {"input": {"kind": "state", "state": "jammed"}, "outcome": {"assessed": {"state": "paper-jam", "group": "paper", "severity": "critical", "skill": "key-operator", "field-service": false, "estimated-minutes": 5}}},
            ]),
            "{backend}"
        );
        let first_reading = readings[1]["id"].as_i64().unwrap();

        // On the dashboard: a key operator's job, no visit, since 08:00 (the run's start).
        let dashboard = server.admin("GET", "/api/v1/maintenance", None).await;
        let devices = group(&dashboard, "by-skill", "skill", json!("key-operator"));
        assert_eq!(devices.len(), 2, "{backend}: {dashboard}");
        // The longest waiting first: Jammed Co's since 08:00, Manual Co's since 08:30.
        assert_eq!(
            (
                devices[0]["device"]["id"].as_i64(),
                devices[1]["device"]["id"].as_i64()
            ),
            (Some(device), Some(manual_device)),
            "{backend}"
        );
        let jam = &devices[0]["conditions"][0];
        assert_eq!(jam["state"], "paper-jam", "{backend}");
        assert_eq!(
            (
                &jam["skill"],
                &jam["field-service"],
                &jam["estimated-minutes"]
            ),
            (&json!("key-operator"), &json!(false), &json!(5)),
            "{backend}"
        );
        assert_eq!(time(&jam["since"]), at(8, 0), "{backend}");
        assert_eq!(jam["since-reading-id"], first_reading, "{backend}");
        assert_eq!(
            jam["inputs"],
            json!([{"kind": "alert", "index": 3}, {"kind": "state", "state": "jammed"}]),
            "{backend}"
        );
        let waited = time(&dashboard["at"]) - at(8, 0);
        assert_eq!(
            jam["waiting-seconds"].as_i64(),
            Some(waited.num_seconds()),
            "{backend}"
        );
        let no_visit = group(
            &dashboard,
            "by-field-service",
            "field-service",
            json!(false),
        );
        assert_eq!(no_visit.len(), 2, "{backend}");
        assert!(
            dashboard["by-field-service"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["field-service"] == false),
            "{backend}"
        );
        let technicians = server
            .admin("GET", "/api/v1/maintenance?skill=technician", None)
            .await;
        assert_eq!(technicians["by-skill"], json!([]), "{backend}");

        // Work orders for both jams, from the alert row; 2 rollers at 12.35.
        let order = |device: i64| {
            let server = &server;
            async move {
                server
                    .admin(
                        "POST",
                        "/api/v1/work-orders",
                        Some(json!({"device-id": device, "input": {"kind": "alert", "index": 3}, "parts": [{"part-number": "RM1-2337", "quantity": 2, "unit-cost": "12.35"}]})),
                    )
                    .await
            }
        };
        let (created, manual) = (order(device).await, order(manual_device).await);
        // 90.00/h × 5 min = 7.50; 2 × 12.35 = 24.70; together 32.20.
        assert_eq!(
            (
                &created["status"],
                &created["labour-rate"],
                &created["labour-cost"],
                &created["parts-cost"],
                &created["estimate"]
            ),
            (
                &json!("open"),
                &json!("90.00"),
                &json!("7.50"),
                &json!("24.70"),
                &json!("32.20")
            ),
            "{backend}: {created}"
        );
        assert_eq!(created["assessment"]["state"], "paper-jam", "{backend}");
        let id = created["id"].as_i64().unwrap();
        let me = server.admin("GET", "/api/v1/me", None).await["user"]["id"]
            .as_i64()
            .unwrap();
        for order in [id, manual["id"].as_i64().unwrap()] {
            let assigned = server
                .admin(
                    "PUT",
                    &format!("/api/v1/work-orders/{order}/status"),
                    Some(json!({"status": "assigned", "assignee-id": me})),
                )
                .await;
            assert_eq!(
                (&assigned["status"], &assigned["assignee-id"]),
                (&json!("assigned"), &json!(me)),
                "{backend}"
            );
        }

        // A meter reading skips the alert table: it clears nothing.
        server
            .deliver(
                &agent,
                &[reading(
                    3,
                    site,
                    1,
                    at(9, 30),
                    Cycle::MetersAndSupplies,
                    false,
                )],
            )
            .await;
        let dashboard = server.admin("GET", "/api/v1/maintenance", None).await;
        assert_eq!(
            group(&dashboard, "by-skill", "skill", json!("key-operator")).len(),
            2,
            "{backend}"
        );

        // 10:00: the jams are gone.
        server
            .deliver(
                &agent,
                &[reading(4, site, 1, at(10, 0), Cycle::Alerts, false)],
            )
            .await;
        server
            .deliver(
                &manual_agent,
                &[reading(2, manual_site, 2, at(10, 0), Cycle::Alerts, false)],
            )
            .await;
        let dashboard = server.admin("GET", "/api/v1/maintenance", None).await;
        assert_eq!(
            (&dashboard["by-skill"], &dashboard["by-field-service"]),
            (&json!([]), &json!([])),
            "{backend}"
        );

        let closed = server
            .admin("GET", &format!("/api/v1/work-orders/{id}"), None)
            .await;
        assert_eq!(closed["status"], "done", "{backend}");
        let history = server
            .admin("GET", &format!("/api/v1/work-orders/{id}/history"), None)
            .await;
        let steps: Vec<(&str, &str)> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["by"].as_str().unwrap(), h["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            steps,
            [("admin", "open"), ("admin", "assigned"), ("system", "done")],
            "{backend}"
        );
        let reading_4 = server
            .admin("GET", &format!("/api/v1/devices/{device}/readings"), None)
            .await[0]["id"]
            .as_i64()
            .unwrap();
        assert_eq!(history[2]["by-user-id"], Value::Null, "{backend}");
        assert_eq!(
            history[2]["note"],
            format!("paper-jam cleared in reading {reading_4}"),
            "{backend}"
        );
        // Manual Co's stays with its assignee.
        let kept = server
            .admin(
                "GET",
                &format!("/api/v1/work-orders?device-id={manual_device}"),
                None,
            )
            .await;
        assert_eq!(kept[0]["status"], "assigned", "{backend}");
    }
}

#[tokio::test]
async fn the_dashboard_shows_a_user_only_the_accounts_granted() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let ours = server.account("Ours").await;
        let theirs = server.account("Theirs").await;
        for (account, name) in [(ours, "ours"), (theirs, "theirs")] {
            let site = server.site(account, name).await;
            let (_, agent) = server.enroll(&server.key(account).await).await.unwrap();
            let n = if account == ours { 1 } else { 2 };
            server
                .deliver(
                    &agent,
                    &[reading(1, site, n, at(8, 0), Cycle::Alerts, true)],
                )
                .await;
        }
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "olga", "password": "olga-password", "role": "account-user", "account-ids": [ours]})),
            )
            .await;
        let olga = server.login("olga", "olga-password").await;
        let answer = server
            .call("GET", "/api/v1/maintenance", Some(&olga), None)
            .await;
        assert_eq!(answer.status, 200, "{backend}: {}", answer.text());
        let dashboard = answer.json();
        let seen: Vec<i64> = group(&dashboard, "by-skill", "skill", json!("key-operator"))
            .iter()
            .map(|d| d["device"]["account-id"].as_i64().unwrap())
            .collect();
        assert_eq!(seen, [ours], "{backend}");
        // Their device is not found, as a missing one, when she orders work on it.
        let their_device = server
            .admin("GET", &format!("/api/v1/devices?account-id={theirs}"), None)
            .await[0]["id"]
            .clone();
        let answer = server
            .call("POST", "/api/v1/work-orders", Some(&olga), Some(json!({"device-id": their_device, "input": {"kind": "state", "state": "jammed"}})))
            .await;
        assert_eq!(
            (answer.status, answer.json()["field"].as_str()),
            (404, Some("device-id")),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn moves_a_status_does_not_allow_are_refused_naming_the_field() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let account = server.account("Moves").await;
        let site = server.site(account, "HQ").await;
        let (_, agent) = server.enroll(&server.key(account).await).await.unwrap();
        server
            .deliver(
                &agent,
                &[reading(1, site, 1, at(8, 0), Cycle::Alerts, true)],
            )
            .await;
        let device = server
            .admin(
                "GET",
                &format!("/api/v1/devices?account-id={account}"),
                None,
            )
            .await[0]["id"]
            .clone();
        let order = server
            .admin(
                "POST",
                "/api/v1/work-orders",
                Some(json!({"device-id": device, "input": {"kind": "state", "state": "jammed"}})),
            )
            .await;
        // No rate anywhere up the chain: the labour and the total are unknown.
        assert_eq!(
            (
                &order["labour-rate"],
                &order["estimate"],
                &order["parts-cost"]
            ),
            (&Value::Null, &Value::Null, &json!("0")),
            "{backend}"
        );
        let path = format!("/api/v1/work-orders/{}/status", order["id"]);
        let me = server.admin("GET", "/api/v1/me", None).await["user"]["id"].clone();
        let refuse = |body: Value, status: u16, field: &'static str| {
            let (server, path) = (&server, &path);
            async move {
                let answer = server
                    .call("PUT", path, Some(&server.admin), Some(body.clone()))
                    .await;
                assert_eq!(
                    (answer.status, answer.json()["field"].as_str()),
                    (status, Some(field)),
                    "{}: {body}: {}",
                    server.backend,
                    answer.text()
                );
            }
        };
        refuse(json!({"status": "done"}), 409, "status").await;
        refuse(json!({"status": "assigned"}), 400, "assignee-id").await;
        refuse(
            json!({"status": "assigned", "assignee-id": 987654}),
            404,
            "assignee-id",
        )
        .await;
        refuse(
            json!({"status": "cancelled", "assignee-id": me}),
            400,
            "assignee-id",
        )
        .await;
        refuse(json!({"status": "finished"}), 400, "status").await;
        server
            .admin(
                "PUT",
                &path,
                Some(json!({"status": "cancelled", "note": "customer fixed it"})),
            )
            .await;
        refuse(
            json!({"status": "assigned", "assignee-id": me}),
            409,
            "status",
        )
        .await;
        let history = server
            .admin(
                "GET",
                &format!("/api/v1/work-orders/{}/history", order["id"]),
                None,
            )
            .await;
        assert_eq!(history[1]["note"], "customer fixed it", "{backend}");
    }
}

#[tokio::test]
async fn an_assessment_of_nothing_in_its_reading_refuses_that_reading_alone() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let account = server.account("Misjudged").await;
        let site = server.site(account, "HQ").await;
        let (_, agent) = server.enroll(&server.key(account).await).await.unwrap();
        let mut stray = reading(1, site, 1, at(8, 0), Cycle::Alerts, true);
        stray.assessments[0].input = ErrorSource::Alert { index: 9 };
        let mut twice = reading(2, site, 2, at(8, 0), Cycle::Alerts, true);
        twice.assessments[0].input = twice.assessments[1].input;
        let good = reading(3, site, 3, at(8, 0), Cycle::Alerts, true);
        let ack = server.deliver(&agent, &[stray, twice, good]).await;
        assert_eq!((ack.acked_through, ack.filed), (3, 1), "{backend}");
        let refused: Vec<(u64, &str)> = ack
            .rejected
            .iter()
            .map(|r| (r.seq, r.message.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                (
                    1,
                    "assessments[0].input: alert 9 is not an alert row or error bit of the reading"
                ),
                (
                    2,
                    "assessments[1].input: error state jammed is judged twice"
                ),
            ],
            "{backend}"
        );
    }
}
