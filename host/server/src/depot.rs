//! Plugin distribution: what partners publish — strategies, which agents download, and
//! action and alert-logic plugins, which the server's ASM ticks run.
//!
//! A published component is checked before anything is stored — it must be a component
//! of one of the contract's worlds (strategy, action, alert-logic) that the host can load
//! (world and version of the contract, sandbox limits); a component of none is refused
//! with what it exports. Name and version come from its own `describe`, never from the
//! uploader, except for an action plugin, whose world has no `describe`: its publisher
//! names it (the name action definitions give, `{"plugin": NAME}`). When signed, its
//! ed25519 signature must come from a trusted publisher; a server configured to require
//! signatures refuses unsigned ones. The version in use for a kind and name is the
//! highest not withdrawn; it must beat both the depot's current one and the plugin of
//! that kind and name built into the binary (the built-in action plugins carry the
//! workspace's version, as their crates do), so nothing older than what runs already is
//! taken up unless a rollback says so. Rollback withdraws the current version: the
//! previous one (or the built-in one) is used again — by agents at their next check-in,
//! by ASM at its next tick. Everything lives in the database, so every server process
//! serves and runs the same versions.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use quire_plugins::{
    ActionPlugin, AlertLogicPlugin, Host, Plugin, Registry, TrustedPublishers, World,
};
use quire_protocol::StrategyListing;
pub use quire_store::PluginKind;
use quire_store::{NewPlugin, Store, StoredPlugin};
use semver::Version;
use sha2::{Digest, Sha256};

use crate::log_text::untrusted;

/// Why the depot refused.
#[derive(Debug, thiserror::Error)]
pub enum DepotError {
    /// The bytes are not a plugin the host can run.
    #[error("not a usable plugin: {0}")]
    Invalid(String),
    /// The component is of another kind than the one asked for.
    #[error("it is {found}, not {wanted}; publish it at /api/v1/plugins (`quire plugin publish`)")]
    WrongKind {
        /// What it is.
        found: &'static str,
        /// What was asked for.
        wanted: &'static str,
    },
    /// A name or version given by the publisher is missing or wrong.
    #[error("{field}: {message}")]
    Naming {
        /// `name` or `version`.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No signature came, and the server accepts only signed plugins (its default).
    #[error(
        "this server accepts only plugins a trusted publisher signed: sign it with `quire plugin sign` \
         (the server lists its publishers with --trusted-publishers FILE), or start the server with \
         --allow-unsigned-plugins"
    )]
    Unsigned,
    /// A signature came but no trusted key made it.
    #[error("signature refused: {0}")]
    Signature(String),
    /// The version does not beat what is already in use.
    #[error("{name}@{version} is not newer than {current}, which runs already")]
    NotNewer {
        /// The plugin.
        name: String,
        /// The version published.
        version: String,
        /// What it must beat (`hp-laserjet@1.2.0`, or `the built-in printer-mib@0.1.0`).
        current: String,
    },
    /// This kind, name and version were published before (bytes never change once
    /// published).
    #[error("{name}@{version} was already published; publish a new version instead")]
    AlreadyPublished {
        /// The plugin.
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

/// How strict the depot is. The default refuses unsigned plugins: a published strategy
/// is handed to every tenant's agents, so only an operator who says so takes one no
/// trusted publisher vouches for.
#[derive(Debug, Clone, Default)]
pub struct DepotPolicy {
    /// Take unsigned plugins too (a signature that comes is still checked).
    pub allow_unsigned: bool,
    /// The publishers whose signatures are accepted.
    pub trusted: TrustedPublishers,
}

/// What a publisher says along with the bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Upload<'a> {
    /// The signature over the bytes, base64.
    pub signature: Option<&'a str>,
    /// The name: required for an action plugin; for the others, when given, it must be
    /// the one their `describe` gives.
    pub name: Option<&'a str>,
    /// The version, likewise.
    pub version: Option<&'a str>,
    /// Refuse any other kind (what `POST /api/v1/strategies` accepts).
    pub only: Option<PluginKind>,
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    /// The version withdrawn.
    pub withdrawn: String,
    /// The version in use now; `None` means the built-in one (or none at all).
    pub now: Option<String>,
}

/// The published action and alert-logic plugins in use now, loaded.
#[derive(Clone, Default)]
pub struct PublishedAsm {
    /// Action plugins by the name their publisher gave.
    pub actions: Vec<(String, Arc<ActionPlugin>)>,
    /// Alert-logic plugins, by name.
    pub alert_logic: Vec<Arc<AlertLogicPlugin>>,
}

/// A loaded version's kind, name and SHA-256.
type LoadedKey = (PluginKind, String, String);

/// A published ASM plugin loaded in this process.
#[derive(Clone)]
enum Loaded {
    Action(Arc<ActionPlugin>),
    AlertLogic(Arc<AlertLogicPlugin>),
}

/// The published plugins of one server.
#[derive(Clone)]
pub struct Depot {
    store: Store,
    host: Host,
    policy: DepotPolicy,
    builtin: BTreeMap<(PluginKind, String), Version>,
    /// The ASM plugins loaded so far, by kind, name and SHA-256, so a tick reads and
    /// loads only versions it has not seen.
    loaded: Arc<Mutex<HashMap<LoadedKey, Loaded>>>,
}

/// The kind of plugin a component of `world` is.
fn kind_of(world: World) -> PluginKind {
    match world {
        World::Strategy => PluginKind::Strategy,
        World::Action => PluginKind::Action,
        World::AlertLogic => PluginKind::AlertLogic,
    }
}

/// How a kind is named in a sentence.
pub fn kind_words(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Strategy => "a strategy",
        PluginKind::Action => "an action plugin",
        PluginKind::AlertLogic => "an alert-logic plugin",
    }
}

/// `erp-order`: what an action definition's `{"plugin": NAME}` can name.
fn is_word_list(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

impl Depot {
    /// A depot over `store`, checking uploads with `host` (whose sandbox limits they
    /// must run within), knowing the versions built into the binary by kind and name.
    pub fn new(
        store: Store,
        host: Host,
        policy: DepotPolicy,
        builtin: impl IntoIterator<Item = (PluginKind, String, Version)>,
    ) -> Depot {
        Depot {
            store,
            host,
            policy,
            builtin: builtin
                .into_iter()
                .map(|(kind, name, version)| ((kind, name), version))
                .collect(),
            loaded: Arc::default(),
        }
    }

    /// Checks and files a component; returns what was filed.
    pub async fn publish(
        &self,
        component: &[u8],
        upload: Upload<'_>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<StoredPlugin, DepotError> {
        let world = self
            .host
            .validate(component)
            .map_err(|e| DepotError::Invalid(e.to_string()))?;
        let kind = kind_of(world);
        if let Some(wanted) = upload.only
            && wanted != kind
        {
            return Err(DepotError::WrongKind {
                found: kind_words(kind),
                wanted: kind_words(wanted),
            });
        }
        let invalid = |e: quire_plugins::PluginError| DepotError::Invalid(e.to_string());
        let (name, version) = match kind {
            PluginKind::Strategy => {
                let plugin = self.host.load(component).await.map_err(invalid)?;
                (plugin.name().to_owned(), plugin.version().clone())
            }
            PluginKind::AlertLogic => {
                let plugin = self
                    .host
                    .load_alert_logic(component)
                    .await
                    .map_err(invalid)?;
                (plugin.info().name.clone(), plugin.info().version.clone())
            }
            PluginKind::Action => {
                let (name, version) = action_naming(upload)?;
                self.host.load_action(&name, component).map_err(invalid)?;
                (name, version)
            }
        };
        if kind != PluginKind::Action {
            described(upload, &name, &version)?;
        }
        let publisher = match upload.signature {
            Some(signature) => Some(
                self.policy
                    .trusted
                    .verify(component, signature)
                    .map_err(|e| DepotError::Signature(e.to_string()))?
                    .to_owned(),
            ),
            None if !self.policy.allow_unsigned => return Err(DepotError::Unsigned),
            None => None,
        };
        if let Some(current) = self.must_beat(kind, &name).await?
            && current.0 >= version
        {
            return Err(DepotError::NotNewer {
                name,
                version: version.to_string(),
                current: current.1,
            });
        }
        let sha256 = hex::encode(Sha256::digest(component));
        let version_text = version.to_string();
        let filed = self
            .store
            .add_plugin(&NewPlugin {
                kind,
                name: &name,
                version: &version_text,
                sha256: &sha256,
                component,
                signature: upload.signature,
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
        Ok(StoredPlugin {
            kind,
            name,
            version: version_text,
            sha256,
            signature: upload.signature.map(str::to_owned),
            publisher,
            published_at: at,
            published_by: by.to_owned(),
            withdrawn_at: None,
        })
    }

    /// Withdraws the version of `name` of `kind` in use now.
    pub async fn rollback(
        &self,
        kind: PluginKind,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<RolledBack, DepotError> {
        let current = self.current(kind).await?;
        let Some(serving) = current.get(name) else {
            return Err(DepotError::NotFound(format!(
                "no published version of {} {name} is in use, so there is nothing to roll back",
                kind_words(kind)
            )));
        };
        self.store
            .withdraw_plugin(kind, name, &serving.version, at)
            .await?;
        let now = self.current(kind).await?.remove(name).map(|s| s.version);
        Ok(RolledBack {
            withdrawn: serving.version.clone(),
            now,
        })
    }

    /// What agents must run, beyond their built-in strategies.
    pub async fn listings(&self) -> Result<Vec<StrategyListing>, DepotError> {
        Ok(self
            .current(PluginKind::Strategy)
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

    /// The published versions in use now, of every kind.
    pub async fn in_use(&self) -> Result<Vec<StoredPlugin>, DepotError> {
        let mut all = Vec::new();
        for kind in [
            PluginKind::Strategy,
            PluginKind::Action,
            PluginKind::AlertLogic,
        ] {
            all.extend(self.current(kind).await?.into_values());
        }
        Ok(all)
    }

    /// The names of the action plugins published and in use now: what action
    /// definitions may name besides the server's own.
    pub async fn action_names(&self) -> Result<Vec<String>, DepotError> {
        Ok(self
            .current(PluginKind::Action)
            .await?
            .into_keys()
            .collect())
    }

    /// The strategies this server's agents run now — the built-in ones with the
    /// published versions handed out in their place — loaded to re-read stored readings.
    pub async fn registry(&self) -> Result<Registry, DepotError> {
        self.registry_but(None).await
    }

    /// As [`Depot::registry`], but with version `version` of the strategy `name` in place
    /// of the one in use: a published version, withdrawn ones too, or the built-in one.
    /// A stored reading can so be re-read through any version the server has held, to
    /// see what an upgrade or a rollback changes.
    pub async fn registry_with(&self, name: &str, version: &str) -> Result<Registry, DepotError> {
        let registry = self.registry_but(Some(name)).await?;
        if registry
            .get(name)
            .is_some_and(|p| p.version().to_string() == version)
        {
            return Ok(registry);
        }
        let held = self
            .store
            .plugins()
            .await?
            .into_iter()
            .any(|p| p.kind == PluginKind::Strategy && p.name == name && p.version == version);
        if !held {
            return Err(DepotError::NotFound(format!(
                "this server holds no version {version} of the strategy {name}, published or built in"
            )));
        }
        registry.install(self.load_strategy(name, version).await?);
        Ok(registry)
    }

    /// The built-in strategies with the published versions in use in their place, but
    /// for the strategy `except` (left built in, or absent).
    async fn registry_but(&self, except: Option<&str>) -> Result<Registry, DepotError> {
        let registry = quire_builtin::registry(&self.host)
            .await
            .map_err(|e| DepotError::Invalid(e.to_string()))?;
        for (name, serving) in self.current(PluginKind::Strategy).await? {
            if except != Some(name.as_str()) {
                registry.install(self.load_strategy(&name, &serving.version).await?);
            }
        }
        Ok(registry)
    }

    /// A published strategy version, loaded.
    async fn load_strategy(&self, name: &str, version: &str) -> Result<Plugin, DepotError> {
        let bytes = self
            .store
            .plugin_component(PluginKind::Strategy, name, version)
            .await?;
        self.host
            .load(&bytes)
            .await
            .map_err(|e| DepotError::Invalid(format!("{name}@{version}: {e}")))
    }

    /// The action and alert-logic plugins published and in use now, loaded: what an
    /// ASM tick runs in place of the server's own of the same name. A version is read
    /// and loaded once per process; one that no longer loads is logged and left out, so
    /// the server's own runs instead and the other plugins are untouched.
    pub async fn asm_plugins(&self) -> quire_store::Result<PublishedAsm> {
        let mut wanted = Vec::new();
        for kind in [PluginKind::Action, PluginKind::AlertLogic] {
            wanted.extend(self.current(kind).await?.into_values());
        }
        let mut published = PublishedAsm::default();
        let mut keep = HashMap::new();
        for plugin in wanted {
            let key = (plugin.kind, plugin.name.clone(), plugin.sha256.clone());
            let cached = self
                .loaded
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .cloned();
            let loaded = match cached {
                Some(loaded) => loaded,
                None => match self.load_asm(&plugin).await {
                    Ok(loaded) => loaded,
                    Err(error) => {
                        tracing::warn!(kind = ?plugin.kind, plugin = %untrusted(&plugin.name),
                            version = %plugin.version, %error,
                            "a published plugin does not load: the server's own of its name runs instead");
                        continue;
                    }
                },
            };
            match &loaded {
                Loaded::Action(action) => published
                    .actions
                    .push((plugin.name.clone(), action.clone())),
                Loaded::AlertLogic(logic) => published.alert_logic.push(logic.clone()),
            }
            keep.insert(key, loaded);
        }
        *self.loaded.lock().unwrap_or_else(PoisonError::into_inner) = keep;
        Ok(published)
    }

    async fn load_asm(&self, plugin: &StoredPlugin) -> Result<Loaded, DepotError> {
        let bytes = self
            .store
            .plugin_component(plugin.kind, &plugin.name, &plugin.version)
            .await?;
        let invalid = |e: quire_plugins::PluginError| DepotError::Invalid(e.to_string());
        Ok(match plugin.kind {
            PluginKind::Action => Loaded::Action(Arc::new(
                self.host
                    .load_action(&plugin.name, &bytes)
                    .map_err(invalid)?,
            )),
            _ => Loaded::AlertLogic(Arc::new(
                self.host.load_alert_logic(&bytes).await.map_err(invalid)?,
            )),
        })
    }

    /// The plugins built into this binary, by kind and name, with their versions: what
    /// runs where nothing is published, and what an upload must beat.
    pub fn builtin(&self) -> impl Iterator<Item = (PluginKind, &str, &Version)> {
        self.builtin
            .iter()
            .map(|((kind, name), version)| (*kind, name.as_str(), version))
    }

    /// Every version ever published, for the console and `quire plugin list`.
    pub async fn history(&self) -> Result<Vec<StoredPlugin>, DepotError> {
        Ok(self.store.plugins().await?)
    }

    /// A strategy version's bytes and signature, for an agent's download; withdrawn
    /// versions are not handed out.
    pub async fn component(
        &self,
        name: &str,
        version: &str,
    ) -> Result<(Vec<u8>, Option<String>), DepotError> {
        let listed = self.current(PluginKind::Strategy).await?;
        let Some(serving) = listed.get(name).filter(|s| s.version == version) else {
            return Err(DepotError::NotFound(format!(
                "{name}@{version} is not handed out by this server"
            )));
        };
        let bytes = self
            .store
            .plugin_component(PluginKind::Strategy, name, version)
            .await?;
        Ok((bytes, serving.signature.clone()))
    }

    /// The highest version not withdrawn, per name, of `kind`.
    async fn current(
        &self,
        kind: PluginKind,
    ) -> quire_store::Result<BTreeMap<String, StoredPlugin>> {
        let mut current: BTreeMap<String, (Version, StoredPlugin)> = BTreeMap::new();
        for stored in self.store.plugins().await? {
            if stored.kind != kind || stored.withdrawn_at.is_some() {
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
    async fn must_beat(
        &self,
        kind: PluginKind,
        name: &str,
    ) -> Result<Option<(Version, String)>, DepotError> {
        let published = self.current(kind).await?.remove(name).and_then(|s| {
            let version = Version::parse(&s.version).ok()?;
            Some((version, format!("{name}@{}", s.version)))
        });
        let builtin = self
            .builtin
            .get(&(kind, name.to_owned()))
            .map(|v| (v.clone(), format!("the built-in {name}@{v}")));
        Ok(match (published, builtin) {
            (Some(p), Some(b)) => Some(if p.0 >= b.0 { p } else { b }),
            (p, b) => p.or(b),
        })
    }
}

/// An action plugin's name and version, which its publisher gives.
fn action_naming(upload: Upload<'_>) -> Result<(String, Version), DepotError> {
    let Some(name) = upload.name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Err(DepotError::Naming {
            field: "name",
            message: "an action plugin has no describe, so its publisher names it (the name action definitions give, {\"plugin\": NAME})".into(),
        });
    };
    if !is_word_list(name) {
        return Err(DepotError::Naming {
            field: "name",
            message: format!("{name:?} is not lower-case words joined by hyphens (erp-order)"),
        });
    }
    let Some(version) = upload.version.map(str::trim).filter(|v| !v.is_empty()) else {
        return Err(DepotError::Naming {
            field: "version",
            message: "an action plugin has no describe, so its publisher gives its version".into(),
        });
    };
    let version = Version::parse(version).map_err(|e| DepotError::Naming {
        field: "version",
        message: format!("{version:?} is not a semantic version ({e})"),
    })?;
    Ok((name.to_owned(), version))
}

/// Refuses a name or version given by the publisher that the plugin's own `describe`
/// contradicts.
fn described(upload: Upload<'_>, name: &str, version: &Version) -> Result<(), DepotError> {
    if let Some(given) = upload.name
        && given.trim() != name
    {
        return Err(DepotError::Naming {
            field: "name",
            message: format!("the plugin describes itself as {name}, not {given}"),
        });
    }
    if let Some(given) = upload.version
        && Version::parse(given.trim()).ok().as_ref() != Some(version)
    {
        return Err(DepotError::Naming {
            field: "version",
            message: format!("the plugin describes itself as version {version}, not {given}"),
        });
    }
    Ok(())
}
