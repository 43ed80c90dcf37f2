//! Published strategies: bytes kept per version, withdrawn versions remembered.

use quire_store::{Error, NewStrategy};

use crate::support::{at, backends};

fn version<'a>(version: &'a str, component: &'a [u8]) -> NewStrategy<'a> {
    NewStrategy {
        name: "hp-laserjet",
        version,
        sha256: "ab12",
        component,
        signature: Some("c2ln"),
        publisher: Some("acme"),
        published_at: at(9, 0),
        published_by: "admin",
    }
}

#[tokio::test]
async fn versions_keep_their_bytes_and_a_withdrawal_is_remembered() {
    for db in backends().await {
        let store = db.open().await;
        let backend = db.backend;
        assert!(
            store
                .add_strategy(&version("1.0.0", b"\0asm one"))
                .await
                .unwrap()
        );
        assert!(
            store
                .add_strategy(&version("1.1.0", b"\0asm two"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .add_strategy(&version("1.1.0", b"other bytes"))
                .await
                .unwrap(),
            "{backend}: a published version is never overwritten"
        );
        assert_eq!(
            store
                .strategy_component("hp-laserjet", "1.1.0")
                .await
                .unwrap(),
            b"\0asm two",
            "{backend}"
        );

        store
            .withdraw_strategy("hp-laserjet", "1.1.0", at(10, 0))
            .await
            .unwrap();
        let all = store.strategies().await.unwrap();
        assert_eq!(all.len(), 2, "{backend}");
        assert_eq!(all[1].version, "1.1.0", "{backend}");
        assert_eq!(all[1].withdrawn_at, Some(at(10, 0)), "{backend}");
        assert_eq!(all[0].withdrawn_at, None, "{backend}");
        assert_eq!(all[0].publisher.as_deref(), Some("acme"), "{backend}");

        let again = store
            .withdraw_strategy("hp-laserjet", "1.1.0", at(11, 0))
            .await;
        assert!(
            matches!(again, Err(Error::NotFound { .. })),
            "{backend}: {again:?}"
        );
        let missing = store
            .strategy_component("hp-laserjet", "9.9.9")
            .await
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "strategy hp-laserjet@9.9.9 not found",
            "{backend}"
        );
    }
}
