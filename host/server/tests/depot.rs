//! Publishing, signatures and rollback of strategies, action plugins and alert-logic
//! plugins, on SQLite and PostgreSQL, with real components.

use chrono::{TimeZone, Utc};
use quire_plugins::{Host, HostConfig, SigningKey, TrustedPublishers};
use quire_server::depot::{Depot, DepotError, DepotPolicy, PluginKind, RolledBack, Upload};
use quire_testdb::backends;

use quire_test_guests::bytes as guest;

fn builtin() -> Vec<(PluginKind, String, semver::Version)> {
    let v = semver::Version::new;
    vec![
        (PluginKind::Strategy, "printer-mib".to_owned(), v(0, 1, 0)),
        (PluginKind::Action, "erp-order".to_owned(), v(0, 1, 0)),
        (
            PluginKind::AlertLogic,
            "maintenance-kit".to_owned(),
            v(0, 1, 0),
        ),
    ]
}

fn signed(signature: &str) -> Upload<'_> {
    Upload {
        signature: Some(signature),
        ..Upload::default()
    }
}

fn action<'a>(name: &'a str, version: &'a str) -> Upload<'a> {
    Upload {
        name: Some(name),
        version: Some(version),
        ..Upload::default()
    }
}

/// What `quire server --allow-unsigned-plugins` runs with: most tests here publish the
/// test guests unsigned.
fn unsigned_allowed() -> DepotPolicy {
    DepotPolicy {
        allow_unsigned: true,
        ..DepotPolicy::default()
    }
}

/// Why the depot refuses `component` signed by `stranger`, whom it does not trust.
async fn publish_forged(depot: &Depot, component: &[u8], stranger: &SigningKey) -> DepotError {
    depot
        .publish(component, signed(&stranger.sign(component)), "admin", at(0))
        .await
        .unwrap_err()
}

fn at(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, minute, 0).unwrap()
}

fn listed(listings: &[quire_protocol::StrategyListing]) -> Vec<String> {
    listings
        .iter()
        .map(|l| format!("{}@{}", l.name, l.version))
        .collect()
}

#[tokio::test]
async fn publish_hand_out_and_roll_back() {
    let host = Host::new(HostConfig::default()).unwrap();
    let (v1, v2) = (guest("quire_guest_hostile"), guest("quire_guest_reformed"));
    for db in backends().await {
        let backend = db.backend;
        let depot = Depot::new(db.open().await, host.clone(), unsigned_allowed(), builtin());
        assert!(depot.listings().await.unwrap().is_empty(), "{backend}");

        let filed = depot
            .publish(&v1, Upload::default(), "admin", at(0))
            .await
            .unwrap();
        assert_eq!(
            (filed.name.as_str(), filed.version.as_str()),
            ("hostile", "1.0.0")
        );
        assert_eq!(filed.publisher, None);
        depot
            .publish(&v2, Upload::default(), "admin", at(1))
            .await
            .unwrap();
        assert_eq!(
            listed(&depot.listings().await.unwrap()),
            ["hostile@2.0.0"],
            "{backend}"
        );
        let (bytes, signature) = depot.component("hostile", "2.0.0").await.unwrap();
        assert_eq!((bytes, signature), (v2.clone(), None), "{backend}");
        let sha = &depot.listings().await.unwrap()[0].sha256;
        assert_eq!(sha.len(), 64, "{backend}");

        let again = depot
            .publish(&v1, Upload::default(), "admin", at(2))
            .await
            .unwrap_err();
        assert_eq!(
            again.to_string(),
            "hostile@1.0.0 is not newer than hostile@2.0.0, which runs already",
            "{backend}"
        );

        let back = depot
            .rollback(PluginKind::Strategy, "hostile", at(3))
            .await
            .unwrap();
        assert_eq!(
            back,
            RolledBack {
                withdrawn: "2.0.0".into(),
                now: Some("1.0.0".into())
            },
            "{backend}"
        );
        assert_eq!(
            listed(&depot.listings().await.unwrap()),
            ["hostile@1.0.0"],
            "{backend}"
        );
        let withdrawn = depot.component("hostile", "2.0.0").await.unwrap_err();
        assert!(
            matches!(withdrawn, DepotError::NotFound(_)),
            "{backend}: {withdrawn}"
        );

        let back = depot
            .rollback(PluginKind::Strategy, "hostile", at(4))
            .await
            .unwrap();
        assert_eq!(back.now, None, "{backend}: back to nothing published");
        let nothing = depot
            .rollback(PluginKind::Strategy, "hostile", at(5))
            .await
            .unwrap_err();
        assert!(
            nothing.to_string().contains("nothing to roll back"),
            "{backend}: {nothing}"
        );

        let history = depot.history().await.unwrap();
        assert_eq!(history.len(), 2, "{backend}");
        assert!(
            history.iter().all(|s| s.withdrawn_at.is_some()),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn what_is_not_a_usable_newer_strategy_is_refused() {
    let host = Host::new(HostConfig::default()).unwrap();
    let db = quire_testdb::sqlite();
    let depot = Depot::new(db.open().await, host, unsigned_allowed(), builtin());

    let garbage = depot
        .publish(b"not wasm at all", Upload::default(), "admin", at(0))
        .await
        .unwrap_err();
    assert!(matches!(garbage, DepotError::Invalid(_)), "{garbage}");

    let older = depot
        .publish(
            &guest("quire_guest_generic"),
            Upload::default(),
            "admin",
            at(0),
        )
        .await
        .unwrap_err();
    assert_eq!(
        older.to_string(),
        "printer-mib@0.0.1 is not newer than the built-in printer-mib@0.1.0, which runs already"
    );
    assert!(depot.listings().await.unwrap().is_empty());
    assert!(
        depot.history().await.unwrap().is_empty(),
        "nothing refused is stored"
    );
}

#[tokio::test]
async fn signatures_name_the_publisher_and_unsigned_plugins_are_refused_by_default() {
    let host = Host::new(HostConfig::default()).unwrap();
    let acme = SigningKey::generate().unwrap();
    let stranger = SigningKey::generate().unwrap();
    let policy = DepotPolicy {
        trusted: TrustedPublishers::parse(&format!("acme {}", acme.public_key())).unwrap(),
        ..DepotPolicy::default()
    };
    let component = guest("quire_guest_hostile");
    for db in backends().await {
        let backend = db.backend;
        let depot = Depot::new(db.open().await, host.clone(), policy.clone(), builtin());

        let unsigned = depot
            .publish(&component, Upload::default(), "admin", at(0))
            .await
            .unwrap_err();
        assert!(
            matches!(unsigned, DepotError::Unsigned),
            "{backend}: {unsigned}"
        );
        let forged = publish_forged(&depot, &component, &stranger).await;
        assert!(
            matches!(forged, DepotError::Signature(_)),
            "{backend}: {forged}"
        );

        let signature = acme.sign(&component);
        let filed = depot
            .publish(&component, signed(&signature), "admin", at(1))
            .await
            .unwrap();
        assert_eq!(filed.publisher.as_deref(), Some("acme"), "{backend}");
        assert_eq!(
            depot.listings().await.unwrap()[0].publisher.as_deref(),
            Some("acme")
        );
        let (_, handed) = depot.component("hostile", "1.0.0").await.unwrap();
        assert_eq!(handed, Some(signature), "{backend}");
    }

    // An operator who allows unsigned plugins still has every signature that comes checked.
    let db = quire_testdb::sqlite();
    let lenient = DepotPolicy {
        allow_unsigned: true,
        ..policy
    };
    let depot = Depot::new(db.open().await, host, lenient, builtin());
    let forged = publish_forged(&depot, &component, &stranger).await;
    assert!(matches!(forged, DepotError::Signature(_)), "{forged}");
    let filed = depot
        .publish(&component, Upload::default(), "admin", at(1))
        .await
        .unwrap();
    assert_eq!(filed.publisher, None, "taken unsigned");
}

fn names(published: &quire_server::depot::PublishedAsm) -> (Vec<String>, Vec<String>) {
    (
        published.actions.iter().map(|(n, _)| n.clone()).collect(),
        published
            .alert_logic
            .iter()
            .map(|p| format!("{}@{}", p.info().name, p.info().version))
            .collect(),
    )
}

#[tokio::test]
async fn action_and_alert_logic_plugins_are_published_by_kind_and_rolled_back() {
    let host = Host::new(HostConfig::default()).unwrap();
    let logic = guest("quire_guest_runaway_alert_logic");
    let erp = guest("quire_guest_runaway_action");
    for db in backends().await {
        let backend = db.backend;
        let depot = Depot::new(db.open().await, host.clone(), unsigned_allowed(), builtin());

        let filed = depot
            .publish(&logic, Upload::default(), "admin", at(0))
            .await
            .unwrap();
        assert_eq!(
            (filed.kind, filed.name.as_str(), filed.version.as_str()),
            (PluginKind::AlertLogic, "runaway", "0.1.0"),
            "{backend}: named by its own describe"
        );
        assert!(
            depot.listings().await.unwrap().is_empty(),
            "{backend}: agents are handed strategies only"
        );
        let unnamed = depot
            .publish(&erp, Upload::default(), "admin", at(1))
            .await
            .unwrap_err();
        assert!(
            matches!(unnamed, DepotError::Naming { field: "name", .. }),
            "{backend}: {unnamed}"
        );
        let old = depot
            .publish(&erp, action("erp-order", "0.1.0"), "admin", at(1))
            .await
            .unwrap_err();
        assert_eq!(
            old.to_string(),
            "erp-order@0.1.0 is not newer than the built-in erp-order@0.1.0, which runs already",
            "{backend}"
        );
        let filed = depot
            .publish(&erp, action("erp-order", "0.2.0"), "admin", at(2))
            .await
            .unwrap();
        assert_eq!(filed.kind, PluginKind::Action, "{backend}");
        assert_eq!(depot.action_names().await.unwrap(), ["erp-order"]);
        assert_eq!(
            names(&depot.asm_plugins().await.unwrap()),
            (vec!["erp-order".into()], vec!["runaway@0.1.0".into()]),
            "{backend}"
        );

        let strategy_only = depot
            .publish(
                &logic,
                Upload {
                    only: Some(PluginKind::Strategy),
                    ..Upload::default()
                },
                "admin",
                at(3),
            )
            .await
            .unwrap_err();
        assert!(
            strategy_only
                .to_string()
                .starts_with("it is an alert-logic plugin, not a strategy"),
            "{backend}: {strategy_only}"
        );
        let wrong_kind = depot
            .rollback(PluginKind::Strategy, "runaway", at(4))
            .await
            .unwrap_err();
        assert!(
            matches!(wrong_kind, DepotError::NotFound(_)),
            "{backend}: a name is rolled back within its kind: {wrong_kind}"
        );
        let back = depot
            .rollback(PluginKind::AlertLogic, "runaway", at(4))
            .await
            .unwrap();
        assert_eq!(
            back,
            RolledBack {
                withdrawn: "0.1.0".into(),
                now: None
            },
            "{backend}"
        );
        assert_eq!(
            names(&depot.asm_plugins().await.unwrap()),
            (vec!["erp-order".into()], vec![]),
            "{backend}: the next tick runs no published alert logic"
        );
        let kinds: Vec<_> = depot
            .history()
            .await
            .unwrap()
            .iter()
            .map(|p| (p.kind, p.name.clone(), p.withdrawn_at.is_some()))
            .collect();
        assert_eq!(
            kinds,
            [
                (PluginKind::Action, "erp-order".into(), false),
                (PluginKind::AlertLogic, "runaway".into(), true),
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_component_of_no_known_world_is_refused_with_what_it_exports() {
    let host = Host::new(HostConfig::default()).unwrap();
    let db = quire_testdb::sqlite();
    let depot = Depot::new(db.open().await, host, DepotPolicy::default(), builtin());
    let nothing = wat::parse_str("(component)").unwrap();
    let refused = depot
        .publish(&nothing, Upload::default(), "admin", at(0))
        .await
        .unwrap_err();
    let text = refused.to_string();
    assert!(matches!(refused, DepotError::Invalid(_)), "{text}");
    for part in [
        "exports none of",
        "strategy-api",
        "action-api",
        "alert-logic-api",
        "it exports nothing",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    assert!(depot.history().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unsigned_alert_logic_plugin_is_refused_by_default() {
    let host = Host::new(HostConfig::default()).unwrap();
    let acme = SigningKey::generate().unwrap();
    let policy = DepotPolicy {
        trusted: TrustedPublishers::parse(&format!("acme {}", acme.public_key())).unwrap(),
        ..DepotPolicy::default()
    };
    let logic = guest("quire_guest_runaway_alert_logic");
    for db in backends().await {
        let backend = db.backend;
        let depot = Depot::new(db.open().await, host.clone(), policy.clone(), builtin());
        let unsigned = depot
            .publish(&logic, Upload::default(), "admin", at(0))
            .await
            .unwrap_err();
        assert!(
            matches!(unsigned, DepotError::Unsigned),
            "{backend}: {unsigned}"
        );
        assert!(depot.history().await.unwrap().is_empty(), "{backend}");
        let filed = depot
            .publish(&logic, signed(&acme.sign(&logic)), "admin", at(1))
            .await
            .unwrap();
        assert_eq!(filed.publisher.as_deref(), Some("acme"), "{backend}");
    }
}
