//! The agent swaps strategies in and out as its server's listings say, with real components.

use quire_agent::strategy_sync::{SyncReport, sync_strategies};
use quire_plugins::{Host, HostConfig, Registry};
use quire_protocol::StrategyListing;
use sha2::{Digest, Sha256};

use quire_test_guests::bytes as guest;

fn listing(name: &str, version: &str, bytes: &[u8]) -> StrategyListing {
    StrategyListing {
        name: name.into(),
        version: version.into(),
        sha256: Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        publisher: None,
    }
}

/// An agent's strategies: the sandbox, the registry it reads with, and the built-in
/// generic strategy alone, whose versions these tests follow up and down (the vendor
/// families load beside it unchanged and would only lengthen every list).
struct Strategies {
    host: Host,
    registry: Registry,
    builtin: Vec<(&'static str, &'static [u8])>,
}

impl Strategies {
    fn new() -> Strategies {
        Strategies {
            host: Host::new(HostConfig::default()).unwrap(),
            registry: Registry::new(),
            builtin: quire_builtin::BUILTIN
                .iter()
                .copied()
                .filter(|(name, _)| *name == "quire-strategy-printer-mib")
                .collect(),
        }
    }

    /// Follows `listings` as a check-in that lists them does.
    async fn sync(&self, listings: &[StrategyListing]) -> SyncReport {
        sync_strategies(
            &self.host,
            &self.registry,
            &self.builtin,
            listings,
            download,
        )
        .await
    }

    fn versions(&self) -> Vec<String> {
        self.registry
            .snapshot()
            .values()
            .map(|p| p.strategy_ref().to_string())
            .collect()
    }
}

/// Serves the guests by name as the server's download would.
async fn download(listing: StrategyListing) -> Result<Vec<u8>, String> {
    let file = match (listing.name.as_str(), listing.version.as_str()) {
        ("hostile", "1.0.0") => "quire_guest_hostile",
        ("hostile", "2.0.0") => "quire_guest_reformed",
        ("printer-mib", "0.0.1") | ("imposter", "0.0.1") => "quire_guest_generic",
        _ => return Err(format!("404 for {}@{}", listing.name, listing.version)),
    };
    Ok(guest(file))
}

#[tokio::test]
async fn listings_are_followed_up_and_down_and_back_to_the_built_in() {
    let agent = Strategies::new();
    let first = agent.sync(&[]).await;
    assert_eq!(
        first.restored,
        ["printer-mib@0.1.0"],
        "built-ins are loaded at the start"
    );
    assert_eq!(agent.versions(), ["printer-mib@0.1.0"]);

    let v1 = listing("hostile", "1.0.0", &guest("quire_guest_hostile"));
    let v2 = listing("hostile", "2.0.0", &guest("quire_guest_reformed"));
    let older_generic = listing("printer-mib", "0.0.1", &guest("quire_guest_generic"));
    let report = agent.sync(&[v1.clone(), older_generic]).await;
    assert_eq!(report.installed, ["hostile@1.0.0", "printer-mib@0.0.1"]);
    assert_eq!(agent.versions(), ["hostile@1.0.0", "printer-mib@0.0.1"]);

    let report = agent.sync(std::slice::from_ref(&v2)).await;
    assert_eq!(report.installed, ["hostile@2.0.0"]);
    assert_eq!(
        report.restored,
        ["printer-mib@0.1.0"],
        "no longer listed: back to the built-in"
    );
    assert!(
        agent.sync(&[v2]).await.is_quiet(),
        "nothing to do when the registry already matches"
    );

    let rolled_back = agent.sync(&[v1]).await;
    assert_eq!(
        rolled_back.installed,
        ["hostile@1.0.0"],
        "a rollback installs the older version"
    );
    let gone = agent.sync(&[]).await;
    assert_eq!(gone.removed, ["hostile"]);
    assert_eq!(agent.versions(), ["printer-mib@0.1.0"]);
}

#[tokio::test]
async fn a_bad_download_costs_only_its_own_strategy() {
    let agent = Strategies::new();
    let mut tampered = listing("hostile", "1.0.0", &guest("quire_guest_hostile"));
    tampered.sha256 = "00".repeat(32);
    let missing = listing("nobody", "1.0.0", b"whatever");
    let good = listing("hostile", "2.0.0", &guest("quire_guest_reformed"));
    let lying = listing("imposter", "0.0.1", &guest("quire_guest_generic"));

    let report = agent.sync(&[tampered, missing, lying, good]).await;
    assert_eq!(report.installed, ["hostile@2.0.0"]);
    assert_eq!(report.failed.len(), 3, "{:?}", report.failed);
    assert!(
        report.failed[0].contains("the download's SHA-256 is"),
        "{}",
        report.failed[0]
    );
    assert!(
        report.failed[1].contains("download failed: 404"),
        "{}",
        report.failed[1]
    );
    assert!(
        report.failed[2].contains("describes itself as printer-mib@0.0.1"),
        "{}",
        report.failed[2]
    );
}
