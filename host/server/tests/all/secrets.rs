//! Issue 18: SNMP secrets at rest. Whoever copies the database (a backup, a dump, the
//! SQLite file) must not find a community or v3 password in it; the server, with its
//! secrets key, still hands them to the agents and shows them to the dealer.

use quire_protocol::CredentialSpec;
use serde_json::json;

use crate::support::{TestServer, backends};

const SECRETS: [&str; 4] = [
    "s3cret-c0mmunity",
    "auth-pa55word",
    "priv-pa55word",
    "older-c0mmunity",
];

#[tokio::test]
async fn snmp_secrets_are_sealed_in_the_database_and_reach_agents_as_set() {
    for db in backends().await {
        // An account whose credentials an older version left in plaintext.
        let older = db.open().await;
        let left = older
            .create_account("Left plain", None, false)
            .await
            .unwrap();
        older
            .set_credentials(
                left,
                &[CredentialSpec::V2c {
                    community: "older-c0mmunity".into(),
                }],
            )
            .await
            .unwrap();
        older.close().await;
        assert!(db.stored_credentials().await[0].contains("older-c0mmunity"));

        let server = TestServer::start(db).await;
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let set = json!([
            {"version": "v2c", "community": "s3cret-c0mmunity"},
            {"version": "v3", "user": "reader", "auth-protocol": "sha1", "auth-password": "auth-pa55word",
             "privacy-protocol": "aes128", "privacy-password": "priv-pa55word", "context": ""},
        ]);
        server
            .admin(
                "PUT",
                &format!("/api/v1/accounts/{acme}/credentials"),
                Some(set.clone()),
            )
            .await;

        let stored = server.db.stored_credentials().await;
        assert_eq!(stored.len(), 3, "{backend}: {stored:?}");
        for text in &stored {
            assert!(text.contains("sealed"), "{backend}: {text}");
            for secret in SECRETS {
                assert!(!text.contains(secret), "{backend}: {secret} in {text}");
            }
        }

        let (_, token) = server.enroll(&server.key(acme).await).await.unwrap();
        let config = server.config(&token).await;
        assert_eq!(
            serde_json::to_value(&config.credentials).unwrap(),
            set,
            "{backend}: the agent gets them as set"
        );
        let listed = server
            .admin(
                "GET",
                &format!("/api/v1/accounts/{}/credentials", left.0),
                None,
            )
            .await;
        assert_eq!(
            listed,
            json!([{"version": "v2c", "community": "older-c0mmunity"}]),
            "{backend}: sealed on start, read back as they were"
        );
    }
}
