//! Keeping the agent's strategies to what its server hands out, without a restart.
//!
//! At every check-in the server lists the published strategies the agent must run. Any the
//! agent lacks, or holds in other bytes, it downloads, checks against the listed SHA-256,
//! loads in its own sandboxed host and swaps into the registry — reads in flight finish on
//! the version they started with. A name the server no longer lists goes back to the
//! strategy built into the binary (that is how a rollback past the first published version
//! reaches agents), or leaves the registry if nothing of that name is built in. A failed
//! download or a component that does not load costs only that strategy: the agent keeps
//! reading with what it has and tries again at the next check-in.

use std::collections::BTreeSet;
use std::future::Future;

use quire_plugins::{Host, Registry};
use quire_protocol::StrategyListing;
use sha2::{Digest, Sha256};

/// What one sync changed, for the agent's log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// `name@version` swapped in from the server.
    pub installed: Vec<String>,
    /// `name@version` of built-in strategies put back because the server stopped listing
    /// a published one.
    pub restored: Vec<String>,
    /// Names removed: published, no longer listed, and not built in.
    pub removed: Vec<String>,
    /// Strategies that could not be brought in line, with why; they are retried next time.
    pub failed: Vec<String>,
}

impl SyncReport {
    /// Whether nothing changed and nothing failed.
    pub fn is_quiet(&self) -> bool {
        *self == SyncReport::default()
    }
}

/// Brings `registry` in line with `listings`. `builtin` is the binary's own strategies
/// (`quire_builtin::BUILTIN`); `download` fetches a listed component's bytes.
pub async fn sync_strategies<F, Fut>(
    host: &Host,
    registry: &Registry,
    builtin: &[(&str, &[u8])],
    listings: &[StrategyListing],
    download: F,
) -> SyncReport
where
    F: Fn(StrategyListing) -> Fut,
    Fut: Future<Output = Result<Vec<u8>, String>>,
{
    let mut report = SyncReport::default();
    for listing in listings {
        let wanted = format!("{}@{}", listing.name, listing.version);
        if registry
            .get(&listing.name)
            .is_some_and(|p| p.content_hash() == listing.sha256)
        {
            continue;
        }
        let bytes = match download(listing.clone()).await {
            Ok(bytes) => bytes,
            Err(e) => {
                report
                    .failed
                    .push(format!("{wanted}: download failed: {e}"));
                continue;
            }
        };
        let sha256 = hex(&Sha256::digest(&bytes));
        if sha256 != listing.sha256 {
            report.failed.push(format!(
                "{wanted}: the download's SHA-256 is {sha256}, the server listed {}",
                listing.sha256
            ));
            continue;
        }
        match host.load(&bytes).await {
            Ok(plugin)
                if plugin.name() == listing.name
                    && plugin.version().to_string() == listing.version =>
            {
                registry.install(plugin);
                report.installed.push(wanted);
            }
            Ok(plugin) => report.failed.push(format!(
                "{wanted}: the component describes itself as {}",
                plugin.strategy_ref()
            )),
            Err(e) => report.failed.push(format!("{wanted}: {e}")),
        }
    }

    let listed: BTreeSet<&str> = listings.iter().map(|l| l.name.as_str()).collect();
    let mut builtin_names = BTreeSet::new();
    for (label, bytes) in builtin {
        let plugin = match host.load(bytes).await {
            Ok(plugin) => plugin,
            Err(e) => {
                report.failed.push(format!("built-in {label}: {e}"));
                continue;
            }
        };
        builtin_names.insert(plugin.name().to_owned());
        if listed.contains(plugin.name()) {
            continue;
        }
        let loaded = registry.get(plugin.name());
        if loaded.is_none_or(|p| p.content_hash() != plugin.content_hash()) {
            report.restored.push(plugin.strategy_ref().to_string());
            registry.install(plugin);
        }
    }
    for name in registry.snapshot().keys() {
        if !listed.contains(name.as_str()) && !builtin_names.contains(name) {
            registry.remove(name);
            report.removed.push(name.clone());
        }
    }
    report
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
