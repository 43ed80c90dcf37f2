//! Plugin distribution over HTTP: administrators publish and roll back strategies,
//! action plugins and alert-logic plugins; everyone logged in sees what is published;
//! agents download the strategies their configuration lists.
//!
//! `/api/v1/plugins` takes a component of any kind (the server tells which from its
//! world); `/api/v1/strategies` is the same for strategies alone, as agents' makers
//! have always used it.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use quire_protocol::{ApiError, SIGNATURE_HEADER};
use quire_store::StoredPlugin;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::agent_api::authenticate;
use crate::depot::{DepotError, PluginKind, Upload};
use crate::error::{ApiResult, Failure};
use crate::log_text::untrusted;
use crate::rest::{Caller, ListQuery};
use crate::state::AppState;

/// The largest component accepted: built strategies are a few hundred KiB.
const MAX_COMPONENT_BYTES: usize = 16 << 20;

/// A published version, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PluginView {
    /// Its world: what the server does with it.
    pub kind: PluginKind,
    pub name: String,
    pub version: String,
    /// SHA-256 of the component, hex.
    pub sha256: String,
    /// The trusted publisher whose key signed it.
    pub publisher: Option<String>,
    pub published_at: DateTime<Utc>,
    /// The administrator who published it.
    pub published_by: String,
    /// Set by a rollback.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Whether this version is in use now: handed to agents (a strategy) or run by
    /// the next ASM tick (an action or alert-logic plugin).
    pub serving: bool,
}

impl PluginView {
    fn new(stored: StoredPlugin, serving: bool) -> PluginView {
        PluginView {
            kind: stored.kind,
            name: stored.name,
            version: stored.version,
            sha256: stored.sha256,
            publisher: stored.publisher,
            published_at: stored.published_at,
            published_by: stored.published_by,
            withdrawn_at: stored.withdrawn_at,
            serving,
        }
    }
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RollbackView {
    pub kind: PluginKind,
    pub name: String,
    /// The version withdrawn.
    pub withdrawn: String,
    /// The version in use now; null means the built-in one (or, for a name the server
    /// has none of, nothing).
    pub now_serving: Option<String>,
}

/// The name and version of an action plugin, whose world has no `describe`.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub(crate) struct Naming {
    /// Required for an action plugin: the name action definitions give it
    /// (`{"plugin": "erp-order"}`). For other kinds, when given, it must be their own.
    name: Option<String>,
    /// Required for an action plugin: its semantic version.
    version: Option<String>,
}

impl From<DepotError> for Failure {
    fn from(error: DepotError) -> Failure {
        match error {
            DepotError::Invalid(_) | DepotError::Unsigned | DepotError::WrongKind { .. } => {
                Failure::invalid("component", error.to_string())
            }
            DepotError::Naming { field, .. } => Failure::invalid(field, error.to_string()),
            DepotError::Signature(_) => Failure::invalid(SIGNATURE_HEADER, error.to_string()),
            DepotError::NotNewer { .. } | DepotError::AlreadyPublished { .. } => {
                Failure::Conflict {
                    field: Some("version".to_owned()),
                    message: error.to_string(),
                }
            }
            DepotError::NotFound(message) => Failure::NotFound(message),
            DepotError::Store(e) => e.into(),
        }
    }
}

async fn views(state: &AppState, only: Option<PluginKind>) -> ApiResult<Vec<PluginView>> {
    let in_use = state.depot.in_use().await?;
    Ok(state
        .depot
        .history()
        .await?
        .into_iter()
        .filter(|p| only.is_none_or(|kind| p.kind == kind))
        .map(|p| {
            let live = in_use
                .iter()
                .any(|l| l.kind == p.kind && l.name == p.name && l.version == p.version);
            PluginView::new(p, live)
        })
        .collect())
}

async fn publish_as(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
    naming: Naming,
    only: Option<PluginKind>,
) -> ApiResult<(StatusCode, Json<PluginView>)> {
    caller.administrator("publish plugins")?;
    let component = axum::body::to_bytes(body, MAX_COMPONENT_BYTES)
        .await
        .map_err(|e| {
            Failure::invalid(
                "component",
                format!("cannot read the component (at most {MAX_COMPONENT_BYTES} bytes): {e}"),
            )
        })?;
    let signature =
        match headers.get(SIGNATURE_HEADER) {
            Some(value) => Some(value.to_str().map_err(|_| {
                Failure::invalid(SIGNATURE_HEADER, "the signature is not base64 text")
            })?),
            None => None,
        };
    let upload = Upload {
        signature,
        name: naming.name.as_deref(),
        version: naming.version.as_deref(),
        only,
    };
    let filed = state
        .depot
        .publish(&component, upload, &caller.user.name, Utc::now())
        .await?;
    tracing::info!(kind = ?filed.kind, plugin = %untrusted(&filed.name), version = %filed.version,
        by = %untrusted(&caller.user.name), "plugin published");
    Ok((StatusCode::CREATED, Json(PluginView::new(filed, true))))
}

/// Rolls back for an administrator the handler already checked.
async fn rollback_as(
    state: &AppState,
    caller: &Caller,
    kind: PluginKind,
    name: String,
) -> ApiResult<Json<RollbackView>> {
    let done = state.depot.rollback(kind, &name, Utc::now()).await?;
    tracing::info!(?kind, plugin = %untrusted(&name), withdrawn = %done.withdrawn, now = ?done.now,
        by = %untrusted(&caller.user.name), "plugin rolled back");
    Ok(Json(RollbackView {
        kind,
        name,
        withdrawn: done.withdrawn,
        now_serving: done.now,
    }))
}

/// `GET /api/v1/plugins`: every version of every kind ever published.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins",
    responses((status = 200, description = "Every plugin version ever published (strategies, action and alert-logic plugins), and which are in use", body = Vec<PluginView>)))]
pub(crate) async fn list_plugins(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<PluginView>>> {
    Ok(Json(views(&state, None).await?))
}

/// A plugin built into the server's binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct BuiltInView {
    pub kind: PluginKind,
    pub name: String,
    pub version: String,
    /// Whether it is in use now: no published version of its kind and name is.
    pub serving: bool,
}

/// `GET /api/v1/built-in-plugins`: the plugins the binary carries, which run wherever
/// nothing published replaces them.
#[utoipa::path(get, path = "/api/v1/built-in-plugins", tag = "plugins",
    responses((status = 200, description = "The strategies, action and alert-logic plugins built into the server, by kind and name, and whether each is in use", body = Vec<BuiltInView>)))]
pub(crate) async fn list_built_in(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<BuiltInView>>> {
    let in_use = state.depot.in_use().await?;
    Ok(Json(
        state
            .depot
            .builtin()
            .map(|(kind, name, version)| BuiltInView {
                kind,
                name: name.to_owned(),
                version: version.to_string(),
                serving: !in_use.iter().any(|p| p.kind == kind && p.name == name),
            })
            .collect(),
    ))
}

/// `POST /api/v1/plugins?name=&version=`: the body is the component, of any kind; the
/// signature (if any) in its header.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins",
    params(Naming, ("x-quire-signature" = Option<String>, Header, description = "The component's ed25519 signature, base64")),
    request_body(content = Vec<u8>, content_type = "application/wasm", description = "The WebAssembly component: a strategy, an action plugin or an alert-logic plugin"),
    responses(
        (status = 201, description = "Published: agents get a strategy at their next check-in, ASM runs an action or alert-logic plugin from its next tick", body = PluginView),
        (status = 400, description = "Not a component of any Quire world, unsigned where the server does not allow that (its default), a signature no trusted publisher made, or an action plugin without its name or version", body = ApiError),
        (status = 403, description = "Only administrators publish plugins", body = ApiError),
        (status = 409, description = "The version is not newer than the one in use (published or built in)", body = ApiError),
    ))]
pub(crate) async fn publish_plugin(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(naming): ListQuery<Naming>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<PluginView>)> {
    publish_as(&state, &caller, &headers, body, naming, None).await
}

/// `POST /api/v1/plugins/{kind}/{name}/rollback`.
#[utoipa::path(post, path = "/api/v1/plugins/{kind}/{name}/rollback", tag = "plugins",
    params(("kind" = PluginKind, Path), ("name" = String, Path)),
    responses(
        (status = 200, description = "Withdrawn: the previous version, or the built-in one, is used again (by agents at their next check-in, by ASM at its next tick)", body = RollbackView),
        (status = 403, description = "Only administrators roll plugins back", body = ApiError),
        (status = 404, description = "No published version of that kind and name is in use", body = ApiError),
    ))]
pub(crate) async fn rollback_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, name)): Path<(String, String)>,
) -> ApiResult<Json<RollbackView>> {
    caller.administrator("roll plugins back")?;
    let kind: PluginKind = serde_json::from_value(serde_json::Value::String(kind.clone()))
        .map_err(|_| {
            Failure::NotFound(format!(
                "{kind:?} is not a plugin kind (strategy, action or alert-logic)"
            ))
        })?;
    rollback_as(&state, &caller, kind, name).await
}

/// `GET /api/v1/strategies`: every strategy version ever published.
#[utoipa::path(get, path = "/api/v1/strategies", tag = "strategies",
    responses((status = 200, description = "Every strategy version ever published, and which are handed out", body = Vec<PluginView>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<PluginView>>> {
    Ok(Json(views(&state, Some(PluginKind::Strategy)).await?))
}

/// `POST /api/v1/strategies`: the body is the component, the signature (if any) in
/// its header; a component of another world is refused (`/api/v1/plugins` takes it).
#[utoipa::path(post, path = "/api/v1/strategies", tag = "strategies",
    params(("x-quire-signature" = Option<String>, Header, description = "The component's ed25519 signature, base64")),
    request_body(content = Vec<u8>, content_type = "application/wasm", description = "The WebAssembly component"),
    responses(
        (status = 201, description = "Published, and handed out from now on", body = PluginView),
        (status = 403, description = "Only administrators publish strategies", body = ApiError),
        (status = 409, description = "The version is not newer than the one published", body = ApiError),
    ))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<PluginView>)> {
    let only = Some(PluginKind::Strategy);
    publish_as(&state, &caller, &headers, body, Naming::default(), only).await
}

/// `POST /api/v1/strategies/{name}/rollback`.
#[utoipa::path(post, path = "/api/v1/strategies/{name}/rollback", tag = "strategies",
    params(("name" = String, Path)),
    responses(
        (status = 200, description = "Withdrawn: the previous version, or the built-in one, is handed out again", body = RollbackView),
        (status = 403, description = "Only administrators roll strategies back", body = ApiError),
    ))]
pub(crate) async fn rollback(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<RollbackView>> {
    caller.administrator("roll strategies back")?;
    rollback_as(&state, &caller, PluginKind::Strategy, name).await
}

/// `GET /api/v1/agent/strategies/{name}/{version}`: the bytes an agent's configuration
/// lists.
#[utoipa::path(get, path = "/api/v1/agent/strategies/{name}/{version}", tag = "agent",
    params(("name" = String, Path), ("version" = String, Path)),
    responses((status = 200, description = "The component's bytes, its signature in x-quire-signature", content_type = "application/wasm", body = Vec<u8>)))]
pub(crate) async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    authenticate(&state, &headers).await?;
    let (bytes, signature) = state.depot.component(&name, &version).await?;
    let mut response = (
        [(header::CONTENT_TYPE, "application/wasm")],
        Body::from(bytes),
    )
        .into_response();
    if let Some(value) = signature.and_then(|s| s.parse().ok()) {
        response.headers_mut().insert(SIGNATURE_HEADER, value);
    }
    Ok(response)
}
