//! Quire's built-in strategies, compiled to `wasm32-wasip2` components by this
//! crate's build script and embedded, so the `quire` binary reads any printer
//! with no files beside it. More strategies can be loaded at run time. The
//! built-in action plugins (`actions/`, such as the ERP purchase order) are
//! embedded the same way and loaded by [`actions`], and the built-in alert logic
//! (`alert-logic/`, such as the maintenance kit counted in pages) by [`alert_logic`].
//!
//! Every process that reads devices or serves strategies loads this set through
//! [`registry`], the one place that does. The misbehaving test guests are not
//! here: `quire-test-guests` builds them for the test suites only.

use std::collections::HashMap;
use std::sync::Arc;

use quire_plugins::{ActionPlugin, AlertLogicPlugin, Host, PluginError, Registry};

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// A built-in strategy that did not load: the build embedded a component this
/// host refuses, which no run-time retry can mend.
#[derive(Debug, thiserror::Error)]
#[error("built-in strategy {name}: {source}")]
pub struct LoadError {
    /// The strategy's crate name.
    pub name: &'static str,
    /// Why the host refused it.
    #[source]
    pub source: PluginError,
}

/// Loads every built-in strategy into a new registry, compiled by `host` (so its
/// cache serves later loads of the same bytes).
pub async fn registry(host: &Host) -> Result<Registry, LoadError> {
    let registry = Registry::new();
    for &(name, bytes) in BUILTIN {
        let loaded = host.load(bytes).await;
        let plugin = loaded.map_err(|source| LoadError { name, source })?;
        registry
            .insert(plugin)
            .map_err(|source| LoadError { name, source })?;
    }
    Ok(registry)
}

/// The version of every built-in action plugin. The action world has no `describe`, so
/// a built-in one is versioned by its crate, which takes the workspace's version as this
/// crate does: a published action plugin of the same name must be newer to replace it.
pub const ACTIONS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Loads every built-in action plugin, by the name an action definition gives it
/// (`{"plugin": "erp-order"}`).
pub fn actions(host: &Host) -> Result<HashMap<String, Arc<ActionPlugin>>, LoadError> {
    ACTIONS
        .iter()
        .map(|&(name, bytes)| {
            let plugin = host
                .load_action(name, bytes)
                .map_err(|source| LoadError { name, source })?;
            Ok((name.to_owned(), Arc::new(plugin)))
        })
        .collect()
}

/// Loads every built-in alert-logic plugin, each named by its own `describe`.
pub async fn alert_logic(host: &Host) -> Result<Vec<Arc<AlertLogicPlugin>>, LoadError> {
    let mut plugins = Vec::new();
    for &(name, bytes) in ALERT_LOGIC {
        let plugin = host
            .load_alert_logic(bytes)
            .await
            .map_err(|source| LoadError { name, source })?;
        plugins.push(Arc::new(plugin));
    }
    Ok(plugins)
}
