//! Enrollment: a good key once, and every refusal with its reason; revoked agents.

use chrono::{Duration, Utc};
use quire_protocol::CONFIG_PATH;
use quire_store::AccountId;
use serde_json::json;

use crate::support::TestServer;

#[tokio::test]
async fn a_key_enrolls_one_agent_and_every_bad_key_is_refused_with_its_reason() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let key = server.key(acme).await;

        let (enrolled, token) = server.enroll(&key).await.expect("a fresh key enrolls");
        assert_eq!(enrolled.account_id, acme, "{backend}");
        assert_eq!(
            enrolled.certificate_sha256, server.running.certificate_sha256,
            "{backend}"
        );

        let refusal = |answer: quire_server::client::Answer| {
            assert_eq!(answer.status, 403, "{backend}: {}", answer.text());
            let body = answer.json();
            assert_eq!(body["field"], "key", "{backend}");
            body["message"].as_str().unwrap().to_owned()
        };
        let used = refusal(server.enroll(&key).await.unwrap_err());
        assert!(used.contains("already used"), "{backend}: {used}");

        let wrong = refusal(server.enroll("0123456789abcdef").await.unwrap_err());
        assert!(wrong.contains("not known"), "{backend}: {wrong}");

        let expired = quire_server::issue_enrollment_key(
            &server.running.store,
            AccountId(acme),
            1,
            Utc::now() - Duration::hours(2),
        )
        .await
        .unwrap();
        let message = refusal(server.enroll(&expired.key).await.unwrap_err());
        assert!(message.contains("expired"), "{backend}: {message}");

        let revoked = server
            .admin(
                "POST",
                &format!("/api/v1/accounts/{acme}/enrollment-keys"),
                Some(json!({})),
            )
            .await;
        server
            .admin(
                "DELETE",
                &format!("/api/v1/enrollment-keys/{}", revoked["id"]),
                None,
            )
            .await;
        let message = refusal(
            server
                .enroll(revoked["key"].as_str().unwrap())
                .await
                .unwrap_err(),
        );
        assert!(message.contains("revoked"), "{backend}: {message}");

        // The enrolled agent works, and is listed with its check-in.
        let answer = server.agent_call("GET", CONFIG_PATH, &token, None).await;
        assert_eq!(answer.status, 200, "{backend}: {}", answer.text());
        let agents = server.admin("GET", "/api/v1/agents", None).await;
        assert_eq!(agents.as_array().unwrap().len(), 1, "{backend}");
        assert!(
            agents[0]["last-check-in"].is_string(),
            "{backend}: {agents}"
        );

        // A wrong secret is refused; a revoked agent is told so.
        let mut forged = token.clone();
        forged.secret = "0".repeat(64);
        let answer = server.agent_call("GET", CONFIG_PATH, &forged, None).await;
        assert_eq!(answer.status, 401, "{backend}");
        server
            .admin(
                "POST",
                &format!("/api/v1/agents/{}/revoke", token.agent_id),
                None,
            )
            .await;
        let answer = server.agent_call("GET", CONFIG_PATH, &token, None).await;
        assert_eq!(answer.status, 401, "{backend}");
        let message = answer.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("revoked"), "{backend}: {message}");
    }
}

#[tokio::test]
async fn the_configuration_carries_sites_ranges_schedules_and_credentials_in_order() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let site = server.site(acme, "Head office").await;
        let schedules = json!({
            "time-zone": "Europe/Berlin",
            "discovery": {"default": {"kind": "weekly", "days": ["monday"], "hours": [3]}},
            "meters-and-supplies": {"default": {"kind": "every-hours", "n": 2, "starting-at": 0}},
            "alerts": {"default": {"kind": "disabled"}},
        });
        server
            .admin(
                "PUT",
                &format!("/api/v1/sites/{site}/schedules"),
                Some(schedules),
            )
            .await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/sites/{site}/ranges"),
                Some(json!([{"range": "10.0.0.0/24"}, {"range": "printer.example", "part": "lobby"}, {"range": "::1"}])),
            )
            .await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/sites/{site}/ipp-printers"),
                Some(json!([
                    "ipp://printer.example/ipp/print",
                    " ipps://[::1]:8631/ipp "
                ])),
            )
            .await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{acme}/credentials"),
                Some(json!([{"version": "v2c", "community": "private"}, {"version": "v1", "community": "public"}])),
            )
            .await;
        set_check_in(&server, acme, 60).await;

        // Bad schedules are refused, naming the field.
        let answer = server
            .call(
                "PUT",
                &format!("/api/v1/sites/{site}/schedules"),
                Some(&server.admin.clone()),
                Some(json!({"time-zone": "Mars/Olympus", "discovery": {"default": {"kind": "disabled"}},
                    "meters-and-supplies": {"default": {"kind": "disabled"}}, "alerts": {"default": {"kind": "disabled"}}})),
            )
            .await;
        assert_eq!(answer.status, 400, "{backend}");
        assert!(
            answer.text().contains("Mars/Olympus"),
            "{backend}: {}",
            answer.text()
        );

        let (_, token) = server.enroll(&server.key(acme).await).await.unwrap();
        let config = server.config(&token).await;
        assert_eq!(config.check_in_seconds, 60, "{backend}");
        assert_eq!(config.sites.len(), 1, "{backend}");
        assert_eq!(
            config.sites[0].schedules.time_zone, "Europe/Berlin",
            "{backend}"
        );
        let ranges: Vec<String> = config.sites[0]
            .ranges
            .iter()
            .map(|r| r.range.to_string())
            .collect();
        assert_eq!(
            ranges,
            ["10.0.0.0/24", "printer.example", "::1"],
            "{backend}"
        );
        assert_eq!(
            config.sites[0].ranges[1].part.as_deref(),
            Some("lobby"),
            "{backend}"
        );
        assert_eq!(
            serde_json::to_value(&config.credentials).unwrap(),
            json!([{"version": "v2c", "community": "private"}, {"version": "v1", "community": "public"}]),
            "{backend}"
        );
        assert_eq!(
            config.sites[0].ipp_printers,
            ["ipp://printer.example/ipp/print", "ipps://[::1]:8631/ipp"],
            "{backend}: kept in order, trimmed"
        );
        assert!(config.strategies.is_empty(), "{backend}");

        // The revision changes when the configuration does, and only then.
        let again = server.config(&token).await;
        assert_eq!(again.revision, config.revision, "{backend}");
        set_check_in(&server, acme, 120).await;
        let changed = server.config(&token).await;
        assert_ne!(changed.revision, config.revision, "{backend}");
    }
}

/// Account `account`'s agents check in every `seconds`.
async fn set_check_in(server: &TestServer, account: i64, seconds: u32) {
    let path = format!("/api/v1/accounts/{account}/check-in");
    let body = json!({"check-in-seconds": seconds});
    server.admin("PUT", &path, Some(body)).await;
}
