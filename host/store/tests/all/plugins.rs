//! Published plugins: bytes kept per kind and version, withdrawn versions remembered.

use quire_store::{Error, NewPlugin, PluginKind};

use crate::support::{at, backends};

fn version<'a>(version: &'a str, component: &'a [u8]) -> NewPlugin<'a> {
    NewPlugin {
        kind: PluginKind::Strategy,
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
                .add_plugin(&version("1.0.0", b"\0asm one"))
                .await
                .unwrap()
        );
        assert!(
            store
                .add_plugin(&version("1.1.0", b"\0asm two"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .add_plugin(&version("1.1.0", b"other bytes"))
                .await
                .unwrap(),
            "{backend}: a published version is never overwritten"
        );
        assert_eq!(
            store
                .plugin_component(PluginKind::Strategy, "hp-laserjet", "1.1.0")
                .await
                .unwrap(),
            b"\0asm two",
            "{backend}"
        );

        store
            .withdraw_plugin(PluginKind::Strategy, "hp-laserjet", "1.1.0", at(10, 0))
            .await
            .unwrap();
        let all = store.plugins().await.unwrap();
        assert_eq!(all.len(), 2, "{backend}");
        assert_eq!(all[1].version, "1.1.0", "{backend}");
        assert_eq!(all[1].withdrawn_at, Some(at(10, 0)), "{backend}");
        assert_eq!(all[0].withdrawn_at, None, "{backend}");
        assert_eq!(all[0].publisher.as_deref(), Some("acme"), "{backend}");

        let again = store
            .withdraw_plugin(PluginKind::Strategy, "hp-laserjet", "1.1.0", at(11, 0))
            .await;
        assert!(
            matches!(again, Err(Error::NotFound { .. })),
            "{backend}: {again:?}"
        );
        let missing = store
            .plugin_component(PluginKind::Strategy, "hp-laserjet", "9.9.9")
            .await
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "strategy hp-laserjet@9.9.9 not found",
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_name_is_a_name_within_its_kind() {
    for db in backends().await {
        let store = db.open().await;
        let backend = db.backend;
        let strategy = version("1.0.0", b"\0asm strategy");
        let action = NewPlugin {
            kind: PluginKind::Action,
            component: b"\0asm action",
            ..strategy
        };
        assert!(store.add_plugin(&strategy).await.unwrap(), "{backend}");
        assert!(
            store.add_plugin(&action).await.unwrap(),
            "{backend}: an action plugin may share a strategy's name and version"
        );
        assert_eq!(
            store
                .plugin_component(PluginKind::Action, "hp-laserjet", "1.0.0")
                .await
                .unwrap(),
            b"\0asm action",
            "{backend}"
        );
        store
            .withdraw_plugin(PluginKind::Action, "hp-laserjet", "1.0.0", at(10, 0))
            .await
            .unwrap();
        let all = store.plugins().await.unwrap();
        let state: Vec<_> = all
            .iter()
            .map(|p| (p.kind, p.withdrawn_at.is_some()))
            .collect();
        assert_eq!(
            state,
            [(PluginKind::Action, true), (PluginKind::Strategy, false)],
            "{backend}: by kind, then name; only the action withdrawn"
        );
        let missing = store
            .plugin_component(PluginKind::AlertLogic, "hp-laserjet", "1.0.0")
            .await
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "alert-logic hp-laserjet@1.0.0 not found",
            "{backend}"
        );
    }
}
