//! The fleet list (`GET /api/v1/fleet`): rows with names, latest levels and open ASM
//! events, sorted by the server, and counts over the same filters, each limited to what
//! the caller sees.

use chrono::{DurationRound, Utc};
use quire_model::DeviceStatus;
use quire_protocol::UploadItem;
use serde_json::{Value, json};

use crate::asm::{define, definition, events_once};
use crate::support::{TestServer, item, jammed};

/// Printer `n` read an hour ago (or `minutes` later) with its black toner at `toner` of 7,200.
fn read(seq: u64, site: Option<i64>, n: usize, toner: i32, minutes: i64) -> UploadItem {
    let mut read = item(seq, site, n, 0);
    read.taken_at = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap()
        - chrono::Duration::hours(1)
        + chrono::Duration::minutes(minutes);
    read.reading = crate::kyocera::kyocera(
        &format!("VD2{n:07}"),
        &format!("00:17:c8:00:00:{n:02x}"),
        1000,
        toner,
    );
    read
}

fn serials(fleet: &Value) -> Vec<&str> {
    fleet["devices"]
        .as_array()
        .unwrap_or_else(|| panic!("no devices in {fleet}"))
        .iter()
        .map(|row| row["device"]["serial"].as_str().unwrap())
        .collect()
}

fn row<'f>(fleet: &'f Value, serial: &str) -> &'f Value {
    fleet["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["device"]["serial"] == serial)
        .unwrap_or_else(|| panic!("{serial} not in {fleet}"))
}

#[tokio::test]
async fn the_fleet_shows_names_levels_alerts_and_counts_of_what_the_user_sees_sorted_by_the_server()
{
    for server in TestServer::each().await {
        let backend = server.backend;
        let main = server.running.main_dealer.0;
        let acme = server.account("Acme").await;
        let bolt = server.account("Bolt").await;
        let office = server.site(acme, "Office").await;
        let (_, acme_agent) = server.enroll(&server.key(acme).await).await.unwrap();
        let (_, bolt_agent) = server.enroll(&server.key(bolt).await).await.unwrap();
        let id = define(
            &server,
            definition(
                main,
                json!({"consumable": {"consumable": "toner", "threshold-percent": 20}}),
                json!({"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                        "requires-approval": true, "timing": "immediate", "max-attempts": 3}),
                2,
            ),
        )
        .await;

        // Acme: printer 1 full, printer 2 at 6 % (low, so an ASM event opens), printer 3
        // jammed (a condition the maintenance dashboard lists) and down.
        let mut down = jammed(read(4, Some(office), 3, 7000, 10));
        down.reading.status.device = Some(DeviceStatus::Down);
        server
            .deliver(
                &acme_agent,
                &[
                    read(1, Some(office), 1, 7000, 0),
                    read(2, Some(office), 2, 500, 0),
                    read(3, Some(office), 3, 7000, 0),
                    down,
                ],
            )
            .await;
        // Bolt: printer 10, down with its toner low.
        let mut bolt_down = read(1, None, 10, 100, 0);
        bolt_down.reading.status.device = Some(DeviceStatus::Down);
        server.deliver(&bolt_agent, &[bolt_down]).await;
        events_once(&server, id, "opened for both low toners", |events| {
            events.len() == 2
        })
        .await;

        let all = server.admin("GET", "/api/v1/fleet", None).await;
        assert_eq!(
            serials(&all),
            ["VD20000001", "VD20000002", "VD20000003", "VD20000010"],
            "{backend}: by id when no order is asked"
        );
        assert_eq!(
            all["counts"],
            json!({"devices": 4, "down": 2, "needing-service": 1, "supplies-low": 2}),
            "{backend}"
        );
        let low = row(&all, "VD20000002");
        assert_eq!(low["account-name"], "Acme", "{backend}");
        assert_eq!(low["site-name"], "Office", "{backend}");
        assert_eq!(low["open-alerts"], 1, "{backend}");
        assert_eq!(
            low["supplies"][0],
            json!({"index": 1, "kind": "toner", "color": "black", "description": "TK-1162",
                   "percent": 6, "state": "low"}),
            "{backend}"
        );
        assert_eq!(low["supplies"][1]["state"], "some-remaining", "{backend}");
        assert_eq!(row(&all, "VD20000001")["open-alerts"], 0, "{backend}");
        assert_eq!(
            row(&all, "VD20000010")["site-name"],
            Value::Null,
            "{backend}"
        );

        let sorted = |query: &'static str| {
            let server = &server;
            async move {
                server
                    .admin("GET", &format!("/api/v1/fleet?{query}"), None)
                    .await
            }
        };
        assert_eq!(
            serials(&sorted("sort=serial&order=desc").await),
            ["VD20000010", "VD20000003", "VD20000002", "VD20000001"],
            "{backend}"
        );
        assert_eq!(
            serials(&sorted("sort=status").await),
            ["VD20000003", "VD20000010", "VD20000001", "VD20000002"],
            "{backend}: down first, ties by id"
        );
        assert_eq!(
            serials(&sorted("sort=account&order=desc&limit=2").await),
            ["VD20000010", "VD20000003"],
            "{backend}: Bolt before Acme, ties by id the same way"
        );
        let downs = sorted("status=down&sort=last-seen").await;
        assert_eq!(serials(&downs), ["VD20000010", "VD20000003"], "{backend}");
        assert_eq!(
            downs["counts"],
            json!({"devices": 2, "down": 2, "needing-service": 1, "supplies-low": 1}),
            "{backend}: the counts follow the filters"
        );

        // A user of Acme sees Acme's devices and counts only, whatever filter names Bolt.
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "ann", "password": "ann-password-1",
                            "role": "account-user", "account-ids": [acme]})),
            )
            .await;
        let ann = server.login("ann", "ann-password-1").await;
        let get = |path: String| {
            let server = &server;
            let ann = ann.clone();
            async move {
                let answer = server.call("GET", &path, Some(&ann), None).await;
                assert_eq!(answer.status, 200, "{backend}: {path}: {}", answer.text());
                answer.json()
            }
        };
        let mine = get("/api/v1/fleet?sort=status".into()).await;
        assert_eq!(
            serials(&mine),
            ["VD20000003", "VD20000001", "VD20000002"],
            "{backend}"
        );
        assert_eq!(
            mine["counts"],
            json!({"devices": 3, "down": 1, "needing-service": 1, "supplies-low": 1}),
            "{backend}"
        );
        let theirs = get(format!("/api/v1/fleet?account-id={bolt}")).await;
        assert_eq!(
            theirs,
            json!({"counts": {"devices": 0, "down": 0, "needing-service": 0, "supplies-low": 0},
                   "devices": []}),
            "{backend}"
        );
        let searched = get("/api/v1/fleet?q=VD20000010".into()).await;
        assert_eq!(searched["counts"]["devices"], 0, "{backend}");

        let bad = server
            .call("GET", "/api/v1/fleet?sort=colour", Some(&ann), None)
            .await;
        assert_eq!(bad.status, 400, "{backend}: {}", bad.text());
        assert!(bad.text().contains("sort"), "{backend}: {}", bad.text());
    }
}

#[tokio::test]
async fn the_fleet_lists_the_devices_a_strategy_reads_of_what_the_user_sees() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let bolt = server.account("Bolt").await;
        let (_, acme_agent) = server.enroll(&server.key(acme).await).await.unwrap();
        let (_, bolt_agent) = server.enroll(&server.key(bolt).await).await.unwrap();
        let by = |mut read: UploadItem, name: &str| {
            read.strategy.name = name.to_owned();
            read
        };
        server
            .deliver(
                &acme_agent,
                &[
                    read(1, None, 1, 7000, 0),
                    by(read(2, None, 2, 7000, 0), "kyocera"),
                ],
            )
            .await;
        server
            .deliver(&bolt_agent, &[by(read(1, None, 10, 7000, 0), "kyocera")])
            .await;

        let all = server
            .admin("GET", "/api/v1/fleet?strategy=kyocera", None)
            .await;
        assert_eq!(serials(&all), ["VD20000002", "VD20000010"], "{backend}");
        assert_eq!(all["counts"]["devices"], 2, "{backend}");
        let listed = server
            .admin("GET", "/api/v1/devices?strategy=printer-mib", None)
            .await;
        assert_eq!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["serial"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["VD20000001"],
            "{backend}: the device list filters the same way"
        );
        let none = server
            .admin("GET", "/api/v1/fleet?strategy=hp-ews", None)
            .await;
        assert_eq!(none["counts"]["devices"], 0, "{backend}");

        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "ann", "password": "ann-password-1",
                            "role": "account-user", "account-ids": [acme]})),
            )
            .await;
        let ann = server.login("ann", "ann-password-1").await;
        let mine = server
            .call("GET", "/api/v1/fleet?strategy=kyocera", Some(&ann), None)
            .await;
        assert_eq!(mine.status, 200, "{backend}: {}", mine.text());
        let mine = mine.json();
        assert_eq!(
            (serials(&mine), &mine["counts"]["devices"]),
            (vec!["VD20000002"], &json!(1)),
            "{backend}: Bolt's device read by the same strategy is not counted"
        );
    }
}
