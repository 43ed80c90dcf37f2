//! The ranges CSV: applied whole, or refused whole naming the line.

use serde_json::json;

use crate::support::TestServer;

#[tokio::test]
async fn a_csv_upload_is_applied_whole_or_refused_with_its_line_number() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        for name in ["Head office", "Warehouse, north"] {
            server
                .admin(
                    "POST",
                    &format!("/api/v1/accounts/{acme}/sites"),
                    Some(json!({"name": name})),
                )
                .await;
        }
        let upload = |csv: &'static str| {
            let token = server.admin.clone();
            let client = server.client.clone();
            async move {
                client
                    .send(
                        "POST".parse().unwrap(),
                        &format!("/api/v1/accounts/{acme}/ranges-csv"),
                        Some(&token),
                        Some(("text/csv", csv.as_bytes().to_vec())),
                    )
                    .await
                    .unwrap()
            }
        };
        let good = upload(
            "site,range,part\nHead office,10.0.0.0/24,\n\"Warehouse, north\",10.0.1.1-50,dock\nHead office,printer.example,\n",
        )
        .await;
        assert_eq!(good.status, 200, "{backend}: {}", good.text());
        let sites = server
            .admin("GET", &format!("/api/v1/accounts/{acme}/sites"), None)
            .await;
        let before = sites.clone();
        assert_eq!(
            sites[0]["ranges"],
            json!([{"range": "10.0.0.0/24"}, {"range": "printer.example"}]),
            "{backend}"
        );
        assert_eq!(
            sites[1]["ranges"],
            json!([{"range": "10.0.1.1-10.0.1.50", "part": "dock"}]),
            "{backend}"
        );

        // Line 3 is bad: nothing of the upload is applied, not even line 2.
        let bad = upload("Head office,10.9.9.0/24\n\nWarehouse,10.0.0.0/4\n").await;
        assert_eq!(bad.status, 400, "{backend}");
        let body = bad.json();
        assert_eq!(body["field"], "line 3", "{backend}: {body}");
        assert!(
            body["message"].as_str().unwrap().starts_with("line 3:"),
            "{backend}: {body}"
        );

        // A site the account does not have is refused the same way.
        let unknown = upload("Head office,10.9.9.0/24\nBasement,10.9.8.0/24\n").await;
        assert_eq!(unknown.status, 400, "{backend}");
        assert!(
            unknown.text().contains("line 2") && unknown.text().contains("Basement"),
            "{backend}: {}",
            unknown.text()
        );

        let after = server
            .admin("GET", &format!("/api/v1/accounts/{acme}/sites"), None)
            .await;
        assert_eq!(
            after, before,
            "{backend}: a refused upload changed the ranges"
        );
    }
}
