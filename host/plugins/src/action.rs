//! Action plugins: components of the contract's `action` world, which carry out one
//! kind of ASM action (an ERP purchase order, a service-desk ticket) by HTTP to the
//! endpoints a dealer configured.
//!
//! They run in the same sandbox as strategies (no files, no environment, no sockets,
//! the same deadline, memory cap and fresh instance per call) with no device: their one
//! way out is `outbound-http`, which names an endpoint, never an address. The host looks
//! the name up among the [`Endpoint`]s the caller granted for this call, appends the
//! request's path to that endpoint's base URL after checking it cannot climb out of it,
//! adds the endpoint's static headers, and hands the request to the caller's
//! [`OutboundHttp`]. A request naming any other endpoint, or a path that would leave the
//! base URL, is answered `denied`, logged, and fails the call
//! ([`Stop::Endpoint`]) whatever the plugin returns afterwards.
//!
//! Sending is the caller's ([`OutboundHttp`]): the server already has an HTTP client
//! with its TLS trust, timeouts and refusal to follow redirects, and this crate does no
//! network I/O of its own.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use quire_transport::{HttpMethod, HttpResponse, NoDevice, TransportError};
use sha2::{Digest, Sha256};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::Store;

use crate::bindings::action::{Action, ActionPre};
use crate::bindings::v0_1_0;
use crate::host::{Host, Prepared, Release, World, hex};
use crate::plugin::{call_within, settle};
use crate::sandbox::Sandbox;
use crate::{PluginError, Result, Stop};

/// An endpoint a dealer configured that an action plugin may call by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The name the plugin asks for (`erp`).
    pub name: String,
    /// What every request's path is appended to (`https://erp.example/api`).
    pub base_url: String,
    /// Headers added to every request (an API key); they replace the plugin's own of
    /// the same name.
    pub headers: Vec<(String, String)>,
}

/// A request the host checked and resolved, for [`OutboundHttp`] to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// The endpoint's name, for logs and errors.
    pub endpoint: String,
    /// The endpoint's base URL with the plugin's path appended.
    pub url: String,
    /// GET or POST.
    pub method: HttpMethod,
    /// The plugin's headers, then the endpoint's.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

/// Sends what an action plugin asked for, once the host has resolved it: the caller's
/// HTTP client, with its own timeouts and TLS trust.
#[async_trait]
pub trait OutboundHttp: Send + Sync {
    /// One request; a transport failure says why in the contract's terms.
    async fn send(&self, request: OutboundRequest) -> Result<HttpResponse, TransportError>;
}

/// The endpoints one call may use and the client that reaches them.
#[derive(Clone)]
pub(crate) struct Outbound {
    pub(crate) endpoints: Arc<[Endpoint]>,
    pub(crate) client: Arc<dyn OutboundHttp>,
}

/// The alert an action is about, as the contract's `alert-event` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionAlert {
    /// The alert event's id.
    pub id: u64,
    /// Its definition's name.
    pub definition: String,
    /// `consumable` or `service`.
    pub kind: String,
    /// The device's serial number, when known.
    pub device_serial: Option<String>,
    /// The device's model, when known.
    pub device_model: Option<String>,
    /// The device's account.
    pub account: String,
    /// The consumable position or the printer error state.
    pub subject: String,
    /// One line for people.
    pub message: String,
    /// When it first triggered, RFC 3339 UTC.
    pub opened_at: String,
}

/// The action to perform, as the contract's `action-event` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionCall {
    /// The action event's id.
    pub id: u64,
    /// The action definition's name.
    pub action_definition: String,
    /// The action's type (the plugin's name).
    pub action_type: String,
    /// What the plugin needs besides the alert (the host's idempotency key among them).
    pub parameters: Vec<(String, String)>,
    /// Which attempt, from 1.
    pub attempt: u32,
}

/// What the plugin said came of the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutcome {
    /// Done; what was done (`order 4711`).
    Performed(String),
    /// Not done, worth trying again (the ERP was down).
    FailedRetry(String),
    /// Not done, and trying again will not help.
    Failed(String),
}

/// A loaded action plugin. Each call runs in a fresh sandbox, so it is shared freely.
pub struct ActionPlugin {
    host: Host,
    pre: Pre,
    hash: [u8; 32],
    label: Arc<str>,
}

impl fmt::Debug for ActionPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionPlugin")
            .field("plugin", &self.label)
            .field("hash", &self.content_hash())
            .finish()
    }
}

impl Host {
    /// Loads an action plugin under `name` (the action world has no `describe`, so the
    /// name is the installer's): checks that the bytes are an action component,
    /// compiles them (once per content hash) and links them.
    pub fn load_action(&self, name: &str, bytes: &[u8]) -> Result<ActionPlugin> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let label: Arc<str> = Arc::from(format!("{name} (action plugin)"));
        let pre = self
            .prepare(&hash, bytes, World::Action)
            .and_then(Pre::new)
            .map_err(|reason| PluginError::Invalid {
                plugin: label.to_string(),
                reason,
            })?;
        Ok(ActionPlugin {
            host: self.clone(),
            pre,
            hash,
            label,
        })
    }
}

impl ActionPlugin {
    /// `sha256:<hex>` of the component bytes.
    pub fn content_hash(&self) -> String {
        format!("sha256:{}", hex(&self.hash))
    }

    /// Performs `call` for `alert`, with `endpoints` as the only places it may reach,
    /// through `client`.
    ///
    /// What the plugin answered is the [`ActionOutcome`]; a plugin the host stopped
    /// (a trap, its deadline, a request to an endpoint it was not granted) is
    /// [`PluginError::Stopped`], and costs only this call.
    pub async fn perform(
        &self,
        endpoints: Vec<Endpoint>,
        client: Arc<dyn OutboundHttp>,
        alert: &ActionAlert,
        call: &ActionCall,
    ) -> Result<ActionOutcome> {
        // `_slot` is bound first so it drops last, after the store frees its pool slot.
        let (_slot, mut store, guest) = self
            .enter(Outbound {
                endpoints: endpoints.into(),
                client,
            })
            .await?;
        let outcome = call_within(&self.host, guest.perform(&mut store, alert, call)).await;
        let outcome = settle(&self.host, &store, outcome)?;
        if let Some(asked) = store.data().refused() {
            return Err(PluginError::Stopped {
                plugin: self.label.to_string(),
                cause: Stop::Endpoint(asked.to_owned()),
            });
        }
        let max = self.host.config().max_output_bytes;
        let (ActionOutcome::Performed(text)
        | ActionOutcome::FailedRetry(text)
        | ActionOutcome::Failed(text)) = &outcome;
        crate::convert::check_string(text, max).map_err(|cause| PluginError::Stopped {
            plugin: self.label.to_string(),
            cause,
        })?;
        Ok(outcome)
    }

    async fn enter(
        &self,
        outbound: Outbound,
    ) -> Result<(OwnedSemaphorePermit, Store<Sandbox>, Guest)> {
        let slot = self.host.slot().await;
        let mut store = Sandbox::store(
            self.host.engine(),
            self.host.config(),
            self.label.clone(),
            Arc::new(NoDevice),
        );
        store.data_mut().grant(outbound);
        let instantiated = call_within(&self.host, self.pre.instantiate(&mut store)).await;
        let guest = settle(&self.host, &store, instantiated)?;
        Ok((slot, store, guest))
    }
}

/// A linked action plugin of one of the releases the host runs.
enum Pre {
    Latest(ActionPre<Sandbox>),
    V0_1_0(v0_1_0::action::ActionPre<Sandbox>),
}

/// One instance of an action plugin, of its release.
enum Guest {
    Latest(Action),
    V0_1_0(v0_1_0::action::Action),
}

impl Pre {
    fn new(prepared: Prepared) -> std::result::Result<Pre, String> {
        match prepared.release {
            Release::Latest => ActionPre::new(prepared.pre).map(Pre::Latest),
            Release::V0_1_0 => v0_1_0::action::ActionPre::new(prepared.pre).map(Pre::V0_1_0),
        }
        .map_err(|e| format!("its {} does not match Quire's: {e:#}", prepared.export))
    }

    async fn instantiate(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<Guest> {
        Ok(match self {
            Pre::Latest(pre) => Guest::Latest(pre.instantiate_async(store).await?),
            Pre::V0_1_0(pre) => Guest::V0_1_0(pre.instantiate_async(store).await?),
        })
    }
}

/// Calls `perform` on `$guest` with the alert and action in the records of the
/// `action-api` module `$wit` (each release has its own Rust types for them).
macro_rules! perform_in {
    ($guest:expr, $store:expr, $alert:expr, $call:expr, $($wit:ident)::+) => {{
        let alert = $($wit)::+::AlertEvent {
            id: $alert.id,
            definition: $alert.definition.clone(),
            kind: $alert.kind.clone(),
            device_serial: $alert.device_serial.clone(),
            device_model: $alert.device_model.clone(),
            account: $alert.account.clone(),
            subject: $alert.subject.clone(),
            message: $alert.message.clone(),
            opened_at: $alert.opened_at.clone(),
        };
        let action = $($wit)::+::ActionEvent {
            id: $call.id,
            action_definition: $call.action_definition.clone(),
            action_type: $call.action_type.clone(),
            parameters: $call.parameters.clone(),
            attempt: $call.attempt,
        };
        let outcome = $guest
            .quire_device_action_api()
            .call_perform($store, &alert, &action)
            .await?;
        Ok(match outcome {
            $($wit)::+::Outcome::Performed(t) => ActionOutcome::Performed(t),
            $($wit)::+::Outcome::FailedRetry(t) => ActionOutcome::FailedRetry(t),
            $($wit)::+::Outcome::Failed(t) => ActionOutcome::Failed(t),
        })
    }};
}

impl Guest {
    async fn perform(
        &self,
        store: &mut Store<Sandbox>,
        alert: &ActionAlert,
        call: &ActionCall,
    ) -> wasmtime::Result<ActionOutcome> {
        match self {
            Guest::Latest(g) => perform_in!(
                g,
                store,
                alert,
                call,
                crate::bindings::action::exports::quire::device::action_api
            ),
            Guest::V0_1_0(g) => perform_in!(
                g,
                store,
                alert,
                call,
                crate::bindings::v0_1_0::action::exports::quire::device::action_api
            ),
        }
    }
}

/// The URL `path` names under `endpoint`'s base, or why it may not be reached: a path
/// is appended to the base, so it must start with `/` or `?` (or be empty), and may not
/// hold a scheme or authority (`//`), a backslash, a fragment, whitespace or control
/// characters, or a `.`/`..` segment, plain or percent-encoded, that would climb out.
pub(crate) fn resolve(endpoint: &Endpoint, path: &str) -> std::result::Result<String, String> {
    let refuse = |why: &str| Err(format!("the path {path:?} {why}"));
    if !(path.is_empty() || path.starts_with('/') || path.starts_with('?')) {
        return refuse("must start with / or ?");
    }
    if path.starts_with("//") {
        return refuse("names another host");
    }
    if path
        .chars()
        .any(|c| c == '\\' || c == '#' || c.is_whitespace() || c.is_control())
    {
        return refuse("holds a backslash, fragment, space or control character");
    }
    let route = path.split('?').next().unwrap_or_default();
    let climbs = route.split('/').any(|segment| {
        let plain = segment.to_ascii_lowercase().replace("%2e", ".");
        plain == "." || plain == ".."
    });
    if climbs || route.to_ascii_lowercase().contains("%2f") {
        return refuse("would leave the endpoint's base URL");
    }
    let base = endpoint.base_url.trim_end_matches('/');
    Ok(format!("{base}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erp() -> Endpoint {
        Endpoint {
            name: "erp".into(),
            base_url: "http://127.0.0.1:9/api/".into(),
            headers: Vec::new(),
        }
    }

    #[test]
    fn a_path_is_appended_to_the_base_url() {
        assert_eq!(
            resolve(&erp(), "/orders?x=1").unwrap(),
            "http://127.0.0.1:9/api/orders?x=1"
        );
        assert_eq!(resolve(&erp(), "").unwrap(), "http://127.0.0.1:9/api");
    }

    #[test]
    fn a_path_that_leaves_the_base_url_is_refused() {
        for path in [
            "//evil.example/x",
            "/../admin",
            "/a/%2E%2E/admin",
            "/a%2fb",
            "@evil.example",
            "/x#y",
            "/x\\y",
            "/a b",
            "http://evil.example/",
        ] {
            assert!(resolve(&erp(), path).is_err(), "{path:?}");
        }
    }
}
