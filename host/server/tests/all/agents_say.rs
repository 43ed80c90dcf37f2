//! Issue 18, what agents may say: an item the server can never file (dated far ahead of
//! its clock, a sequence number past 2^63 - 1) is refused alone with the reason, and the
//! rest of the upload is filed; another tenant's agent is unaffected.

use chrono::Utc;
use quire_protocol::{READINGS_PATH, UploadAck};
use serde_json::json;

use crate::support::{TestServer, backends, item};

#[tokio::test]
async fn a_reading_from_the_future_or_past_2_63_is_refused_alone() {
    for db in backends().await {
        // The operator tolerates readings two hours ahead.
        let server = TestServer::start_configured(db, |s| {
            s.future_tolerance = std::time::Duration::from_secs(2 * 3600);
        })
        .await;
        let b = server.backend;
        let acme = server.account("Acme").await;
        let other = server.account("Other").await;
        let (_, token) = server.enroll(&server.key(acme).await).await.unwrap();
        let (_, theirs) = server.enroll(&server.key(other).await).await.unwrap();

        let mut far_ahead = item(2, None, 8, 1);
        far_ahead.taken_at = "9999-12-31T00:00:00Z".parse().unwrap();
        let mut an_hour_ahead = item(3, None, 9, 1);
        an_hour_ahead.taken_at = Utc::now() + chrono::Duration::hours(1);
        let mut too_big = serde_json::to_value(item(4, None, 10, 1)).unwrap();
        too_big["seq"] = json!(1_u64 << 63);
        let items = json!([item(1, None, 7, 1), far_ahead, an_hour_ahead, too_big]);
        let answer = server
            .agent_call("POST", READINGS_PATH, &token, Some(json!({"items": items})))
            .await;
        assert_eq!(answer.status, 200, "{b}: {}", answer.text());
        let ack: UploadAck = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!((ack.acked_through, ack.filed), (1 << 63, 2), "{b}: {ack:?}");
        let refused: Vec<(u64, &str)> = ack
            .rejected
            .iter()
            .map(|r| (r.seq, r.message.split(':').next().unwrap()))
            .collect();
        assert_eq!(refused, [(2, "taken-at"), (1 << 63, "seq")], "{b}: {ack:?}");
        assert!(
            ack.rejected[0].message.contains("2 h ahead"),
            "{b}: {ack:?}"
        );

        // The device of the future reading was never created; the others were.
        let devices = server.admin("GET", "/api/v1/devices", None).await;
        let serials: Vec<&str> = devices
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["serial"].as_str().unwrap())
            .collect();
        assert!(
            serials.contains(&"VD20000007") && serials.contains(&"VD20000009"),
            "{b}: {serials:?}"
        );
        assert!(
            !serials.contains(&"VD20000008") && !serials.contains(&"VD20000010"),
            "{b}: {serials:?}"
        );

        // Another tenant's agent files as before, and the server still serves.
        let ack = server.deliver(&theirs, &[item(1, None, 20, 1)]).await;
        assert_eq!((ack.filed, ack.rejected.len()), (1, 0), "{b}: {ack:?}");
        server.admin("GET", "/api/v1/accounts", None).await;
    }
}

#[tokio::test]
async fn an_ipp_printer_outside_the_sites_ranges_is_refused() {
    for server in TestServer::each().await {
        let b = server.backend;
        let acme = server.account("Acme").await;
        let other = server.account("Other").await;
        let site = server.site(acme, "Head office").await;
        let theirs = server.site(other, "Theirs").await;
        let ranges = json!([{"range": "10.9.0.0/24"}, {"range": "127.150.0.1-10"}, {"range": "printer.example"}]);
        server
            .admin("PUT", &format!("/api/v1/sites/{site}/ranges"), Some(ranges))
            .await;
        let path = format!("/api/v1/sites/{site}/ipp-printers");
        let inside = json!([
            "ipp://10.9.0.7/ipp/print",
            "ipp://127.150.0.3:631/ipp/print",
            "ipps://PRINTER.example/ipp/print"
        ]);
        server.admin("PUT", &path, Some(inside.clone())).await;
        for (uri, words) in [
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("ipp://[fe80::1]/ipp/print", "link-local"),
            ("ipp://127.0.0.1:631/ipp/print", "loopback"),
            ("ipp://10.10.0.1/ipp/print", "outside the site's ranges"),
            (
                "ipp://elsewhere.example/ipp/print",
                "outside the site's ranges",
            ),
        ] {
            let listed = json!(["ipp://10.9.0.7/ipp/print", uri]);
            let answer = server
                .call("PUT", &path, Some(&server.admin), Some(listed))
                .await;
            let error = answer.json();
            assert_eq!(
                (answer.status, error["field"].as_str()),
                (400, Some("ipp-printers[1]")),
                "{b}: {uri}: {error}"
            );
            assert!(
                error["message"].as_str().unwrap().contains(words),
                "{b}: {uri}: {error}"
            );
        }
        // Nothing refused was stored; the other tenant's site is untouched and still served.
        let stored = server
            .admin("GET", &format!("/api/v1/sites/{site}"), None)
            .await;
        assert_eq!(stored["ipp-printers"], inside, "{b}");
        let untouched = server
            .admin("GET", &format!("/api/v1/sites/{theirs}"), None)
            .await;
        assert_eq!(untouched["ipp-printers"], json!([]), "{b}");
    }
}

/// Issue 18: loopback and link-local targets are refused unless the dealer allows them.
/// The customer lists their own network, but a range on the agent's own machine or on a
/// cloud's metadata service is the dealer's to list; listing it is the allowance.
#[tokio::test]
async fn only_the_dealer_lists_loopback_or_link_local_ranges() {
    for server in TestServer::each().await {
        let b = server.backend;
        let acme = server.account("Acme").await;
        let site = server.site(acme, "Head office").await;
        let dealer = server.running.main_dealer.0;
        for (name, role, account) in [
            ("carol", "account-user", acme),
            ("dave", "dealer-user", dealer),
        ] {
            server
                .admin(
                    "POST",
                    "/api/v1/users",
                    Some(
                        json!({"name": name, "password": "a long password", "role": role,
                        "account-ids": [account]}),
                    ),
                )
                .await;
        }
        let carol = server.login("carol", "a long password").await;
        let dave = server.login("dave", "a long password").await;
        let path = format!("/api/v1/sites/{site}/ranges");

        // The customer's own network is theirs to list.
        let own = json!([{"range": "10.9.0.0/24"}]);
        let answer = server
            .call("PUT", &path, Some(&carol), Some(own.clone()))
            .await;
        assert_eq!(answer.status, 200, "{b}: {}", answer.text());
        for (range, words) in [
            ("169.254.169.254", "link-local"),
            ("169.254.0.0/16", "link-local"),
            ("127.0.0.1", "loopback"),
            ("126.255.255.250-127.0.0.2", "loopback"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("localhost", "loopback"),
        ] {
            let listed = json!([{"range": "10.9.0.0/24"}, {"range": range}]);
            let answer = server.call("PUT", &path, Some(&carol), Some(listed)).await;
            let error = answer.json();
            assert_eq!(
                (answer.status, error["field"].as_str()),
                (403, Some("ranges[1].range")),
                "{b}: {range}: {error}"
            );
            let message = error["message"].as_str().unwrap();
            assert!(
                message.contains(words) && message.contains("dealer"),
                "{b}: {range}: {message}"
            );
            // The same line in a CSV upload is refused by its line, and nothing changes.
            let csv = format!("site,range\nHead office,10.9.1.0/24\nHead office,{range}\n");
            let answer = server
                .client
                .send(
                    "POST".parse().unwrap(),
                    &format!("/api/v1/accounts/{acme}/ranges-csv"),
                    Some(&carol),
                    Some(("text/csv", csv.into_bytes())),
                )
                .await
                .unwrap();
            assert_eq!(
                (answer.status, answer.json()["field"].as_str()),
                (403, Some("line 3")),
                "{b}: {range}: {}",
                answer.text()
            );
        }
        let stored = server
            .admin("GET", &format!("/api/v1/sites/{site}"), None)
            .await;
        assert_eq!(stored["ranges"], own, "{b}");

        // The dealer's user, or an administrator, allows them by listing them; the
        // customer then reads them like any other range, and may list IPP printers there.
        let allowed = json!([{"range": "10.9.0.0/24"}, {"range": "127.0.0.5"}]);
        let answer = server
            .call("PUT", &path, Some(&dave), Some(allowed.clone()))
            .await;
        assert_eq!(answer.status, 200, "{b}: {}", answer.text());
        let answer = server
            .call(
                "PUT",
                &format!("/api/v1/sites/{site}/ipp-printers"),
                Some(&carol),
                Some(json!(["ipp://127.0.0.5:631/ipp/print"])),
            )
            .await;
        assert_eq!(answer.status, 200, "{b}: {}", answer.text());
        let linked = json!([{"range": "169.254.10.0/24"}]);
        server.admin("PUT", &path, Some(linked.clone())).await;
        let stored = server
            .admin("GET", &format!("/api/v1/sites/{site}"), None)
            .await;
        assert_eq!(stored["ranges"], linked, "{b}");
    }
}

/// Issue 19: how fast discovery may send is the dealer's to set per site; it reaches the
/// site's agents, and a cap no network should get is refused, naming the field.
#[tokio::test]
async fn a_sites_packet_rate_cap_reaches_its_agents_and_a_bad_one_is_refused() {
    for server in TestServer::each().await {
        let b = server.backend;
        let acme = server.account("Acme").await;
        let site = server.site(acme, "Head office").await;
        let other = server.site(acme, "Branch").await;
        let shown = server
            .admin("GET", &format!("/api/v1/sites/{site}"), None)
            .await;
        assert_eq!(
            shown["discovery"],
            json!({"packets-per-second": 250}),
            "{b}: the default until set"
        );

        let path = format!("/api/v1/sites/{site}/discovery");
        let changed = server
            .admin("PUT", &path, Some(json!({"packets-per-second": 10_000})))
            .await;
        assert_eq!(changed["discovery"]["packets-per-second"], 10_000, "{b}");

        for (body, words) in [
            (
                json!({"packets-per-second": 0}),
                "0 packets a second is not between 1 and 100000",
            ),
            (
                json!({"packets-per-second": 100_001}),
                "100001 packets a second is not between 1 and 100000",
            ),
            (json!({"packets-per-second": "fast"}), "fast"),
            (json!({"packets-per-second": -5}), "-5"),
        ] {
            let answer = server
                .call("PUT", &path, Some(&server.admin), Some(body.clone()))
                .await;
            let error = answer.json();
            assert_eq!(
                (answer.status, error["field"].as_str()),
                (400, Some("discovery.packets-per-second")),
                "{b}: {body}: {error}"
            );
            assert!(
                error["message"].as_str().unwrap().contains(words),
                "{b}: {body}: {error}"
            );
        }

        let (_, token) = server.enroll(&server.key(acme).await).await.unwrap();
        let config = server.config(&token).await;
        let cap = |id: i64| {
            config
                .sites
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.discovery.packets_per_second)
        };
        assert_eq!(
            (cap(site), cap(other)),
            (Some(10_000), Some(250)),
            "{b}: the refused values left the site's own cap, the other site has the default"
        );
    }
}
