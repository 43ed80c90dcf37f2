//! The hot-swappable set of loaded strategies, and choosing one for a device.
//!
//! The set is an immutable map behind an `Arc`, swapped whole on every change.
//! A read takes an `Arc<Plugin>` out of it, so a strategy replaced or removed
//! while a collection is in flight finishes that collection on the version it
//! started with; the next read sees the new set.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use quire_model::StrategyRef;

use quire_transport::DeviceTransport;

use crate::plugin::Plugin;
use crate::probe::{MatchRule, Probe};
use crate::{FALLBACK_STRATEGY, PluginError, Result};

/// Loaded strategies by name, one version each.
#[derive(Debug, Default)]
pub struct Registry {
    plugins: RwLock<Arc<BTreeMap<String, Arc<Plugin>>>>,
}

/// The strategy chosen for a device, and why.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The strategy to read the device with.
    pub plugin: Arc<Plugin>,
    /// Why it was chosen, for `--explain`.
    pub reason: Reason,
}

/// Why a strategy was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A candidate claimed the device and scored highest.
    Identified {
        /// The winner's rule that made it a candidate.
        rule: MatchRule,
        /// Its score.
        score: u32,
        /// Every candidate asked, the winner included.
        considered: Vec<Considered>,
    },
    /// No candidate claimed the device, so the fallback reads it.
    Fallback {
        /// Every candidate asked.
        considered: Vec<Considered>,
    },
}

/// One candidate the registry asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Considered {
    /// Which strategy.
    pub strategy: StrategyRef,
    /// The rule that made it a candidate.
    pub rule: MatchRule,
    /// What it answered.
    pub verdict: Verdict,
}

/// A candidate's answer to `identify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It claimed the device with this score.
    Score(u32),
    /// It said the device is not its own.
    Declined,
    /// Asking it failed (the message names the plugin and the cause).
    Failed(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let considered = match self {
            Reason::Identified {
                rule,
                score,
                considered,
            } => {
                writeln!(f, "chosen because {rule} and it scored {score}")?;
                considered
            }
            Reason::Fallback { considered } => {
                writeln!(
                    f,
                    "no strategy claimed the device, so the fallback {FALLBACK_STRATEGY} reads it"
                )?;
                considered
            }
        };
        for c in considered {
            let verdict = match &c.verdict {
                Verdict::Score(s) => format!("scored {s}"),
                Verdict::Declined => "declined".into(),
                Verdict::Failed(e) => format!("failed: {e}"),
            };
            writeln!(f, "  {} ({}): {verdict}", c.strategy, c.rule)?;
        }
        Ok(())
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// The current set. Reads that hold it keep their versions alive.
    pub fn snapshot(&self) -> Arc<BTreeMap<String, Arc<Plugin>>> {
        self.plugins
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The loaded strategy called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Plugin>> {
        self.snapshot().get(name).cloned()
    }

    /// Adds a strategy, or replaces the loaded one of the same name with a newer
    /// version; returns the one replaced. Reads already running keep theirs.
    pub fn insert(&self, plugin: Plugin) -> Result<Option<Arc<Plugin>>> {
        let mut current = self.plugins.write().unwrap_or_else(PoisonError::into_inner);
        let previous = current.get(plugin.name()).cloned();
        if let Some(loaded) = &previous
            && loaded.version() >= plugin.version()
        {
            return Err(PluginError::NotNewer {
                plugin: plugin.strategy_ref().to_string(),
                loaded: loaded.strategy_ref().to_string(),
            });
        }
        let mut next = BTreeMap::clone(&current);
        next.insert(plugin.name().to_owned(), Arc::new(plugin));
        *current = Arc::new(next);
        Ok(previous)
    }

    /// Puts exactly this version in, older or newer than the loaded one: what an
    /// agent does when its server says which version to run, a rollback included.
    /// Returns the one replaced; reads already running keep theirs.
    pub fn install(&self, plugin: Plugin) -> Option<Arc<Plugin>> {
        let mut current = self.plugins.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = BTreeMap::clone(&current);
        let previous = next.insert(plugin.name().to_owned(), Arc::new(plugin));
        *current = Arc::new(next);
        previous
    }

    /// Removes the strategy called `name`; reads already running finish on it.
    pub fn remove(&self, name: &str) -> Option<Arc<Plugin>> {
        let mut current = self.plugins.write().unwrap_or_else(PoisonError::into_inner);
        if !current.contains_key(name) {
            return None;
        }
        let mut next = BTreeMap::clone(&current);
        let removed = next.remove(name);
        *current = Arc::new(next);
        removed
    }

    /// Chooses the strategy for the device `probe` describes. Match rules pick
    /// the candidates without running anything; each candidate's `identify`
    /// scores the device through `transport`; the highest score wins (ties go
    /// to the first by name, so the choice is stable). When no candidate claims
    /// the device, [`FALLBACK_STRATEGY`] reads it.
    pub async fn select(
        &self,
        probe: &Probe,
        transport: Arc<dyn DeviceTransport>,
    ) -> Result<Selection> {
        let plugins = self.snapshot();
        let mut considered = Vec::new();
        let mut best: Option<(u32, &Arc<Plugin>, &MatchRule)> = None;
        for plugin in plugins.values() {
            let Some(rule) = plugin.claims(probe) else {
                continue;
            };
            let verdict = match plugin.identify(transport.clone(), probe).await {
                Ok(Some(score)) => {
                    if best.is_none_or(|(top, _, _)| score > top) {
                        best = Some((score, plugin, rule));
                    }
                    Verdict::Score(score)
                }
                Ok(None) => Verdict::Declined,
                Err(e) => {
                    tracing::warn!(error = %e, "strategy failed to identify a device");
                    Verdict::Failed(e.to_string())
                }
            };
            considered.push(Considered {
                strategy: plugin.strategy_ref(),
                rule: rule.clone(),
                verdict,
            });
        }
        if let Some((score, plugin, rule)) = best {
            return Ok(Selection {
                plugin: plugin.clone(),
                reason: Reason::Identified {
                    rule: rule.clone(),
                    score,
                    considered,
                },
            });
        }
        match plugins.get(FALLBACK_STRATEGY) {
            Some(fallback) => Ok(Selection {
                plugin: fallback.clone(),
                reason: Reason::Fallback { considered },
            }),
            None => Err(PluginError::NoStrategy {
                sys_object_id: probe.sys_object_id.clone(),
                sys_descr: probe.sys_descr.clone(),
                fallback: FALLBACK_STRATEGY,
            }),
        }
    }
}
