//! Uploads: exactly-once by sequence number, devices placed in their site, replaced
//! supplies kept, and a bad item refused without holding up the rest.

use quire_protocol::{READINGS_PATH, ReplacementEvidence, SupplyReplacement, UploadAck};
use serde_json::json;

use crate::support::{TestServer, item, upload};

/// How many readings the API lists for `device`, as it lists them in `/api/v1/devices`.
async fn readings_of(server: &TestServer, device: &serde_json::Value) -> usize {
    let readings = server
        .admin(
            "GET",
            &format!("/api/v1/devices/{}/readings", device["id"]),
            None,
        )
        .await;
    readings.as_array().unwrap().len()
}

#[tokio::test]
async fn a_retried_upload_files_every_reading_exactly_once() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let site = server.site(acme, "HQ").await;
        let (_, token) = server.enroll(&server.key(acme).await).await.unwrap();

        // Three printers, two rounds: seq 1..=6.
        let batch: Vec<_> = (0..6)
            .map(|i| item(i as u64 + 1, Some(site), i % 3, 1 + (i / 3) as u32))
            .collect();
        let ack = server.deliver(&token, &batch[..4]).await;
        assert_eq!(
            (ack.acked_through, ack.filed, ack.duplicates),
            (4, 4, 0),
            "{backend}"
        );
        // The answer was "lost": the agent sends 1..=6 again.
        let ack = server.deliver(&token, &batch).await;
        assert_eq!(
            (ack.acked_through, ack.filed, ack.duplicates),
            (6, 2, 4),
            "{backend}"
        );
        let ack = server.deliver(&token, &batch).await;
        assert_eq!(
            (ack.acked_through, ack.filed, ack.duplicates),
            (6, 0, 6),
            "{backend}"
        );

        let devices = server.admin("GET", "/api/v1/devices", None).await;
        let devices = devices.as_array().unwrap();
        assert_eq!(devices.len(), 3, "{backend}");
        for device in devices {
            assert_eq!(device["site-id"], site, "{backend}: {device}");
            assert_eq!(readings_of(&server, device).await, 2, "{backend}: {device}");
        }
        // Another agent's sequence numbers are its own.
        let (_, other) = server.enroll(&server.key(acme).await).await.unwrap();
        let ack = server.deliver(&other, &batch[..1]).await;
        assert_eq!((ack.filed, ack.duplicates), (1, 0), "{backend}");
    }
}

#[tokio::test]
async fn replaced_supplies_are_kept_and_a_bad_item_is_refused_alone() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let stranger = server.account("Stranger").await;
        let foreign_site = server.site(stranger, "Theirs").await;
        let (_, token) = server.enroll(&server.key(acme).await).await.unwrap();

        let mut replaced = item(1, None, 7, 1);
        replaced.replaced_supplies = vec![SupplyReplacement {
            index: 1,
            description: "TK-1162".into(),
            evidence: ReplacementEvidence::SerialChanged {
                before: "A1".into(),
                after: "B2".into(),
            },
        }];
        let elsewhere = item(2, Some(foreign_site), 8, 1);
        let mut items = vec![
            serde_json::to_value(&replaced).unwrap(),
            serde_json::to_value(&elsewhere).unwrap(),
            json!({"seq": 3, "address": "10.0.0.9"}),
        ];
        items.push(serde_json::to_value(item(4, None, 9, 1)).unwrap());
        let answer = server
            .agent_call("POST", READINGS_PATH, &token, Some(json!({"items": items})))
            .await;
        assert_eq!(answer.status, 200, "{backend}: {}", answer.text());
        let ack: UploadAck = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!((ack.acked_through, ack.filed), (4, 2), "{backend}: {ack:?}");
        let refused: Vec<u64> = ack.rejected.iter().map(|r| r.seq).collect();
        assert_eq!(refused, [2, 3], "{backend}: {ack:?}");
        assert!(
            ack.rejected[0].message.contains("site-id"),
            "{backend}: {ack:?}"
        );
        assert!(
            ack.rejected[1].message.contains("taken-at"),
            "{backend}: {ack:?}"
        );

        let devices = server.admin("GET", "/api/v1/devices", None).await;
        let device = devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["serial"] == "VD20000007")
            .unwrap()["id"]
            .clone();
        let replacements = server
            .admin(
                "GET",
                &format!("/api/v1/devices/{device}/supply-replacements"),
                None,
            )
            .await;
        assert_eq!(replacements[0]["index"], 1, "{backend}: {replacements}");
        assert_eq!(
            replacements[0]["evidence"],
            json!({"kind": "serial-changed", "before": "A1", "after": "B2"}),
            "{backend}"
        );
        // The stranger's account has no device from this agent.
        assert!(
            devices
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["account-id"] == acme),
            "{backend}: {devices}"
        );
    }
}

#[tokio::test]
async fn the_same_upload_sent_four_times_at_once_is_filed_once() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let (_, token) = server.enroll(&server.key(acme).await).await.unwrap();
        let batch: Vec<_> = (0..40)
            .map(|i| item(i as u64 + 1, None, i % 5, 1 + (i / 5) as u32))
            .collect();
        let body = upload(&batch);
        let bearer = format!("{}:{}", token.agent_id, token.secret);
        let mut sends = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let (client, bearer, body) = (server.client.clone(), bearer.clone(), body.clone());
            sends.spawn(async move {
                client
                    .call(
                        "POST".parse().unwrap(),
                        READINGS_PATH,
                        Some(&bearer),
                        Some(&body),
                    )
                    .await
                    .unwrap()
            });
        }
        let mut filed = 0;
        for answer in sends.join_all().await {
            // A loser of the race on PostgreSQL is told to send again (409); it never files twice.
            match answer.status {
                200 => {
                    filed += serde_json::from_slice::<UploadAck>(&answer.body)
                        .unwrap()
                        .filed
                }
                409 => {}
                other => panic!("{backend}: {other} {}", answer.text()),
            }
        }
        let ack = server.deliver(&token, &batch).await;
        filed += ack.filed;
        assert_eq!(filed, 40, "{backend}");
        assert_eq!(ack.duplicates + ack.filed, 40, "{backend}");
    }
}

#[tokio::test]
async fn a_duplicate_and_a_malformed_item_amid_an_upload_leave_the_rest_filed_once() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let (_, token) = server.enroll(&server.key(acme).await).await.unwrap();
        let ack = server.deliver(&token, &[item(1, None, 1, 1)]).await;
        assert_eq!(ack.filed, 1, "{backend}");

        // Printer 1 read at 3:00, again at 1:00 (filed before), and late at 2:00;
        // printer 2 once, its item sent twice in the same upload.
        let value = |item| serde_json::to_value(item).unwrap();
        let items = vec![
            value(item(2, None, 1, 3)),
            value(item(1, None, 1, 1)),
            json!({"seq": 3, "address": "10.0.0.9"}),
            value(item(4, None, 2, 1)),
            value(item(5, None, 1, 2)),
            value(item(4, None, 2, 1)),
        ];
        for (round, filed) in [(1, 3), (2, 0)] {
            let answer = server
                .agent_call("POST", READINGS_PATH, &token, Some(json!({"items": items})))
                .await;
            assert_eq!(answer.status, 200, "{backend}: {}", answer.text());
            let ack: UploadAck = serde_json::from_slice(&answer.body).unwrap();
            assert_eq!(
                (ack.acked_through, ack.filed, ack.duplicates),
                (5, filed, 5 - filed),
                "{backend}, upload {round}: {ack:?}"
            );
            let refused: Vec<_> = ack
                .rejected
                .iter()
                .map(|r| (r.seq, r.message.as_str()))
                .collect();
            assert_eq!(refused.len(), 1, "{backend}: {ack:?}");
            assert_eq!(refused[0].0, 3, "{backend}: {ack:?}");
            assert!(refused[0].1.contains("items[2]"), "{backend}: {ack:?}");
        }

        let devices = server.admin("GET", "/api/v1/devices", None).await;
        let devices = devices.as_array().unwrap();
        assert_eq!(devices.len(), 2, "{backend}: {devices:?}");
        let printer = |serial: &str| {
            devices
                .iter()
                .find(|d| d["serial"] == serial)
                .unwrap_or_else(|| panic!("{backend}: no {serial} in {devices:?}"))
        };
        let one = printer("VD20000001");
        assert_eq!(
            (&one["first-seen"], &one["last-seen"]),
            (
                &json!("2026-11-23T01:00:00Z"),
                &json!("2026-11-23T03:00:00Z")
            ),
            "{backend}: {one}"
        );
        for (device, filed) in [(one, 3), (printer("VD20000002"), 1)] {
            assert_eq!(
                readings_of(&server, device).await,
                filed,
                "{backend}: {device}"
            );
        }
    }
}
