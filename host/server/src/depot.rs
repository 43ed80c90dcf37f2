//! Strategy distribution: what partners publish and agents download.
//!
//! A published component is checked before anything is stored — it must be a strategy
//! component the host can load (world and version of the contract, sandbox limits), name
//! and version come from its own `describe`, never from the uploader — and, when signed,
//! its ed25519 signature must come from a trusted publisher; a server configured to
//! require signatures refuses unsigned ones. The version handed out for a name is the
//! highest not withdrawn; it must beat both the depot's current one and the strategy of
//! that name built into the binary, so an agent never runs something older than what it
//! already carries unless a rollback says so. Rollback withdraws the current version: the
//! previous one (or the built-in one) is handed out again at the agents' next check-in.
//! Everything lives in the database, so every server process serves the same versions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use quire_plugins::{Host, Registry, TrustedPublishers};
use quire_protocol::StrategyListing;
use quire_store::{NewStrategy, Store, StoredStrategy};
use semver::Version;

/// Why the depot refused.
#[derive(Debug, thiserror::Error)]
pub enum DepotError {
    /// The bytes are not a strategy the host can run.
    #[error("not a usable strategy: {0}")]
    Invalid(String),
    /// The server requires signatures and none came.
    #[error("this server accepts only signed strategies; sign it with `quire plugin sign`")]
    Unsigned,
    /// A signature came but no trusted key made it.
    #[error("signature refused: {0}")]
    Signature(String),
    /// The version does not beat what is already handed out.
    #[error("{name}@{version} is not newer than {current}, which agents already run")]
    NotNewer {
        /// The strategy.
        name: String,
        /// The version published.
        version: String,
        /// What it must beat (`hp-laserjet@1.2.0`, or `the built-in printer-mib@0.1.0`).
        current: String,
    },
    /// This name and version were published before (bytes never change once published).
    #[error("{name}@{version} was already published; publish a new version instead")]
    AlreadyPublished {
        /// The strategy.
        name: String,
        /// The version.
        version: String,
    },
    /// Nothing published to roll back, or no such version to download.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] quire_store::Error),
}

/// How strict the depot is.
#[derive(Debug, Clone, Default)]
pub struct DepotPolicy {
    /// Refuse unsigned strategies.
    pub require_signatures: bool,
    /// The publishers whose signatures are accepted.
    pub trusted: TrustedPublishers,
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    /// The version withdrawn.
    pub withdrawn: String,
    /// The version handed out now; `None` means agents go back to the built-in one.
    pub now: Option<String>,
}

/// The published strategies of one server.
#[derive(Clone)]
pub struct Depot {
    store: Store,
    host: Host,
    policy: DepotPolicy,
    builtin: BTreeMap<String, Version>,
}

impl Depot {
    /// A depot over `store`, checking uploads with `host` (whose sandbox limits they
    /// must run within), knowing the versions built into the binary.
    pub fn new(
        store: Store,
        host: Host,
        policy: DepotPolicy,
        builtin: impl IntoIterator<Item = (String, Version)>,
    ) -> Depot {
        Depot {
            store,
            host,
            policy,
            builtin: builtin.into_iter().collect(),
        }
    }

    /// Checks and files a component; returns what was filed.
    pub async fn publish(
        &self,
        component: &[u8],
        signature: Option<&str>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<StoredStrategy, DepotError> {
        let plugin = self
            .host
            .load(component)
            .await
            .map_err(|e| DepotError::Invalid(e.to_string()))?;
        let publisher = match signature {
            Some(signature) => Some(
                self.policy
                    .trusted
                    .verify(component, signature)
                    .map_err(|e| DepotError::Signature(e.to_string()))?
                    .to_owned(),
            ),
            None if self.policy.require_signatures => return Err(DepotError::Unsigned),
            None => None,
        };
        let name = plugin.name().to_owned();
        let version = plugin.version().clone();
        if let Some(current) = self.serving(&name).await?
            && current.0 >= version
        {
            return Err(DepotError::NotNewer {
                name,
                version: version.to_string(),
                current: current.1,
            });
        }
        let sha256 = plugin.content_hash();
        let version_text = version.to_string();
        let filed = self
            .store
            .add_strategy(&NewStrategy {
                name: &name,
                version: &version_text,
                sha256: &sha256,
                component,
                signature,
                publisher: publisher.as_deref(),
                published_at: at,
                published_by: by,
            })
            .await?;
        if !filed {
            return Err(DepotError::AlreadyPublished {
                name,
                version: version_text,
            });
        }
        Ok(StoredStrategy {
            name,
            version: version_text,
            sha256,
            signature: signature.map(str::to_owned),
            publisher,
            published_at: at,
            published_by: by.to_owned(),
            withdrawn_at: None,
        })
    }

    /// Withdraws the version of `name` handed out now.
    pub async fn rollback(&self, name: &str, at: DateTime<Utc>) -> Result<RolledBack, DepotError> {
        let current = self.current().await?;
        let Some(serving) = current.get(name) else {
            return Err(DepotError::NotFound(format!(
                "no published version of {name} is handed out, so there is nothing to roll back"
            )));
        };
        self.store
            .withdraw_strategy(name, &serving.version, at)
            .await?;
        let now = self.current().await?.remove(name).map(|s| s.version);
        Ok(RolledBack {
            withdrawn: serving.version.clone(),
            now,
        })
    }

    /// What agents must run, beyond their built-in strategies.
    pub async fn listings(&self) -> Result<Vec<StrategyListing>, DepotError> {
        Ok(self
            .current()
            .await?
            .into_values()
            .map(|s| StrategyListing {
                name: s.name,
                version: s.version,
                sha256: s.sha256,
                publisher: s.publisher,
            })
            .collect())
    }

    /// The strategies this server's agents run now — the built-in ones with the
    /// published versions handed out in their place — loaded to re-read stored readings.
    pub async fn registry(&self) -> Result<Registry, DepotError> {
        let registry = quire_builtin::registry(&self.host)
            .await
            .map_err(|e| DepotError::Invalid(e.to_string()))?;
        for (name, serving) in self.current().await? {
            let bytes = self
                .store
                .strategy_component(&name, &serving.version)
                .await?;
            let plugin = self
                .host
                .load(&bytes)
                .await
                .map_err(|e| DepotError::Invalid(format!("{name}@{}: {e}", serving.version)))?;
            registry.install(plugin);
        }
        Ok(registry)
    }

    /// Every version ever published, for the console and `quire plugin list`.
    pub async fn history(&self) -> Result<Vec<StoredStrategy>, DepotError> {
        Ok(self.store.strategies().await?)
    }

    /// A version's bytes and signature, for an agent's download; withdrawn versions
    /// are not handed out.
    pub async fn component(
        &self,
        name: &str,
        version: &str,
    ) -> Result<(Vec<u8>, Option<String>), DepotError> {
        let listed = self.current().await?;
        let Some(serving) = listed.get(name).filter(|s| s.version == version) else {
            return Err(DepotError::NotFound(format!(
                "{name}@{version} is not handed out by this server"
            )));
        };
        let bytes = self.store.strategy_component(name, version).await?;
        Ok((bytes, serving.signature.clone()))
    }

    /// The highest version not withdrawn, per name.
    async fn current(&self) -> Result<BTreeMap<String, StoredStrategy>, DepotError> {
        let mut current: BTreeMap<String, (Version, StoredStrategy)> = BTreeMap::new();
        for stored in self.store.strategies().await? {
            if stored.withdrawn_at.is_some() {
                continue;
            }
            let Ok(version) = Version::parse(&stored.version) else {
                continue;
            };
            match current.get(&stored.name) {
                Some((best, _)) if *best >= version => {}
                _ => {
                    current.insert(stored.name.clone(), (version, stored));
                }
            }
        }
        Ok(current.into_iter().map(|(k, (_, s))| (k, s)).collect())
    }

    /// The version a new upload of `name` must beat, and how to name it.
    async fn serving(&self, name: &str) -> Result<Option<(Version, String)>, DepotError> {
        let published = self.current().await?.remove(name).and_then(|s| {
            let version = Version::parse(&s.version).ok()?;
            Some((version, format!("{name}@{}", s.version)))
        });
        let builtin = self
            .builtin
            .get(name)
            .map(|v| (v.clone(), format!("the built-in {name}@{v}")));
        Ok(match (published, builtin) {
            (Some(p), Some(b)) => Some(if p.0 >= b.0 { p } else { b }),
            (p, b) => p.or(b),
        })
    }
}
