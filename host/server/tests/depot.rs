//! Publishing, signatures and rollback, on SQLite and PostgreSQL, with real components.

use chrono::{TimeZone, Utc};
use quire_plugins::{Host, HostConfig, SigningKey, TrustedPublishers};
use quire_server::depot::{Depot, DepotError, DepotPolicy, RolledBack};
use quire_testdb::backends;

use quire_test_guests::bytes as guest;

fn builtin() -> Vec<(String, semver::Version)> {
    vec![("printer-mib".to_owned(), semver::Version::new(0, 1, 0))]
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
        let depot = Depot::new(
            db.open().await,
            host.clone(),
            DepotPolicy::default(),
            builtin(),
        );
        assert!(depot.listings().await.unwrap().is_empty(), "{backend}");

        let filed = depot.publish(&v1, None, "admin", at(0)).await.unwrap();
        assert_eq!(
            (filed.name.as_str(), filed.version.as_str()),
            ("hostile", "1.0.0")
        );
        assert_eq!(filed.publisher, None);
        depot.publish(&v2, None, "admin", at(1)).await.unwrap();
        assert_eq!(
            listed(&depot.listings().await.unwrap()),
            ["hostile@2.0.0"],
            "{backend}"
        );
        let (bytes, signature) = depot.component("hostile", "2.0.0").await.unwrap();
        assert_eq!((bytes, signature), (v2.clone(), None), "{backend}");
        let sha = &depot.listings().await.unwrap()[0].sha256;
        assert_eq!(sha.len(), 64, "{backend}");

        let again = depot.publish(&v1, None, "admin", at(2)).await.unwrap_err();
        assert_eq!(
            again.to_string(),
            "hostile@1.0.0 is not newer than hostile@2.0.0, which agents already run",
            "{backend}"
        );

        let back = depot.rollback("hostile", at(3)).await.unwrap();
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

        let back = depot.rollback("hostile", at(4)).await.unwrap();
        assert_eq!(back.now, None, "{backend}: back to nothing published");
        let nothing = depot.rollback("hostile", at(5)).await.unwrap_err();
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
    let depot = Depot::new(db.open().await, host, DepotPolicy::default(), builtin());

    let garbage = depot
        .publish(b"not wasm at all", None, "admin", at(0))
        .await
        .unwrap_err();
    assert!(matches!(garbage, DepotError::Invalid(_)), "{garbage}");

    let older = depot
        .publish(&guest("quire_guest_generic"), None, "admin", at(0))
        .await
        .unwrap_err();
    assert_eq!(
        older.to_string(),
        "printer-mib@0.0.1 is not newer than the built-in printer-mib@0.1.0, which agents already run"
    );
    assert!(depot.listings().await.unwrap().is_empty());
    assert!(
        depot.history().await.unwrap().is_empty(),
        "nothing refused is stored"
    );
}

#[tokio::test]
async fn signatures_name_the_publisher_and_can_be_required() {
    let host = Host::new(HostConfig::default()).unwrap();
    let acme = SigningKey::generate().unwrap();
    let stranger = SigningKey::generate().unwrap();
    let policy = DepotPolicy {
        require_signatures: true,
        trusted: TrustedPublishers::parse(&format!("acme {}", acme.public_key())).unwrap(),
    };
    let component = guest("quire_guest_hostile");
    for db in backends().await {
        let backend = db.backend;
        let depot = Depot::new(db.open().await, host.clone(), policy.clone(), builtin());

        let unsigned = depot
            .publish(&component, None, "admin", at(0))
            .await
            .unwrap_err();
        assert!(
            matches!(unsigned, DepotError::Unsigned),
            "{backend}: {unsigned}"
        );
        let forged = depot
            .publish(&component, Some(&stranger.sign(&component)), "admin", at(0))
            .await
            .unwrap_err();
        assert!(
            matches!(forged, DepotError::Signature(_)),
            "{backend}: {forged}"
        );

        let signature = acme.sign(&component);
        let filed = depot
            .publish(&component, Some(&signature), "admin", at(1))
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
}
