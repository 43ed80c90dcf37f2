//! Calculated values: each device's average daily and monthly volume, recomputed by the
//! server's own schedule from readings filed through the real ingest.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, Utc};
use quire_protocol::UploadItem;
use serde_json::Value;

use crate::support::{TestServer, backends, item};

/// Printer `n` read at `at` with these counters, as agent sequence number `seq`.
fn read(seq: u64, n: usize, at: DateTime<Utc>, counters: &[(&str, u64)]) -> UploadItem {
    let mut item = item(seq, None, n, 0);
    item.taken_at = at;
    item.reading.counters = counters
        .iter()
        .map(|(name, value)| (name.to_string(), *value))
        .collect();
    item
}

async fn volume(server: &TestServer, serial: &str) -> Value {
    let devices = server.admin("GET", "/api/v1/devices", None).await;
    let id = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["serial"] == serial)
        .unwrap_or_else(|| panic!("no device {serial}: {devices}"))["id"]
        .as_i64()
        .unwrap();
    server
        .admin("GET", &format!("/api/v1/devices/{id}/volume"), None)
        .await
}

#[tokio::test]
async fn the_schedule_recomputes_each_devices_average_volume() {
    for db in backends().await {
        let server = TestServer::start_configured(db, |server| {
            server.calculated_every = Duration::from_millis(300);
        })
        .await;
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let (_, agent) = server.enroll(&server.key(acme).await).await.unwrap();
        let midnight = |days_ago: u64| {
            (Utc::now().date_naive() - Days::new(days_ago))
                .and_time(NaiveTime::MIN)
                .and_utc()
        };
        let mut items = Vec::new();
        let mut seq = 0;
        // Printer 1: read at midnight on each of the last 10 days, 100 pages a day in
        // between: 9 whole days of data in the window, 900 pages, 100 a day.
        for (i, days_ago) in (1..=10).rev().enumerate() {
            seq += 1;
            let total = 1_000 + 100 * i as u64;
            items.push(read(seq, 1, midnight(days_ago), &[("total", total)]));
        }
        // Printer 2 has no `total`: 60 mono and 15 color pages a day over 4 days.
        for (i, days_ago) in (1..=5).rev().enumerate() {
            seq += 1;
            let i = i as u64;
            items.push(read(
                seq,
                2,
                midnight(days_ago),
                &[("mono", 500 + 60 * i), ("color", 80 + 15 * i)],
            ));
        }
        // Printer 3 was last read 40 and 41 days ago: nothing in the window.
        for days_ago in [41, 40] {
            seq += 1;
            items.push(read(
                seq,
                3,
                midnight(days_ago),
                &[("total", 7_000 + days_ago)],
            ));
        }
        server.deliver(&agent, &items).await;

        // No test calls the recompute: the server's own schedule does, within a second.
        let mut first = volume(&server, "VD20000001").await;
        for _ in 0..100 {
            if !first["volume"].is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            first = volume(&server, "VD20000001").await;
        }
        let averages = &first["volume"];
        assert_eq!(averages["basis"], "total", "{backend}: {first}");
        assert_eq!(averages["observed-days"], 9, "{backend}: {first}");
        assert_eq!(averages["pages"], 900, "{backend}: {first}");
        assert_eq!(averages["daily"], 100.0, "{backend}: {first}");
        // 100 a day × 30.4375 days a month (365.25 / 12).
        assert_eq!(averages["monthly"], 3043.75, "{backend}: {first}");

        let second = volume(&server, "VD20000002").await;
        assert_eq!(
            second["volume"]["basis"], "mono-plus-color",
            "{backend}: {second}"
        );
        assert_eq!(second["volume"]["daily"], 75.0, "{backend}: {second}");

        let third = volume(&server, "VD20000003").await;
        assert_eq!(third["volume"], Value::Null, "{backend}: {third}");
        assert_eq!(third["computed-at"], Value::Null, "{backend}: {third}");
    }
}
