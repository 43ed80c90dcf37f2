//! Strategy distribution over HTTP: administrators publish and roll back, everyone
//! logged in sees what is published, agents download what their configuration lists.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use quire_protocol::{ApiError, SIGNATURE_HEADER};
use quire_store::StoredStrategy;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agent_api::authenticate;
use crate::depot::DepotError;
use crate::error::{ApiResult, Failure};
use crate::rest::Caller;
use crate::state::AppState;

/// The largest component accepted: built strategies are a few hundred KiB.
const MAX_COMPONENT_BYTES: usize = 16 << 20;

/// A published version, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct StrategyView {
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
    /// Whether agents are handed this version now.
    pub serving: bool,
}

impl StrategyView {
    fn new(stored: StoredStrategy, serving: bool) -> StrategyView {
        StrategyView {
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
    pub name: String,
    /// The version withdrawn.
    pub withdrawn: String,
    /// The version handed out now; null means the agents' built-in one.
    pub now_serving: Option<String>,
}

impl From<DepotError> for Failure {
    fn from(error: DepotError) -> Failure {
        match error {
            DepotError::Invalid(_) | DepotError::Unsigned => {
                Failure::invalid("component", error.to_string())
            }
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

/// `GET /api/v1/strategies`: every version ever published.
#[utoipa::path(get, path = "/api/v1/strategies", tag = "strategies",
    responses((status = 200, description = "Every strategy version ever published, and which are handed out", body = Vec<StrategyView>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<StrategyView>>> {
    let serving = state.depot.listings().await?;
    let views = state
        .depot
        .history()
        .await?
        .into_iter()
        .map(|s| {
            let live = serving
                .iter()
                .any(|l| l.name == s.name && l.version == s.version);
            StrategyView::new(s, live)
        })
        .collect();
    Ok(Json(views))
}

/// `POST /api/v1/strategies`: the body is the component, the signature (if any) in
/// its header.
#[utoipa::path(post, path = "/api/v1/strategies", tag = "strategies",
    params(("x-quire-signature" = Option<String>, Header, description = "The component's ed25519 signature, base64")),
    request_body(content = Vec<u8>, content_type = "application/wasm", description = "The WebAssembly component"),
    responses(
        (status = 201, description = "Published, and handed out from now on", body = StrategyView),
        (status = 403, description = "Only administrators publish strategies", body = ApiError),
        (status = 409, description = "The version is not newer than the one published", body = ApiError),
    ))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<StrategyView>)> {
    caller.administrator("publish strategies")?;
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
    let filed = state
        .depot
        .publish(&component, signature, &caller.user.name, Utc::now())
        .await?;
    tracing::info!(strategy = %filed.name, version = %filed.version, by = %caller.user.name, "strategy published");
    Ok((StatusCode::CREATED, Json(StrategyView::new(filed, true))))
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
    let done = state.depot.rollback(&name, Utc::now()).await?;
    tracing::info!(strategy = %name, withdrawn = %done.withdrawn, now = ?done.now, "strategy rolled back");
    Ok(Json(RollbackView {
        name,
        withdrawn: done.withdrawn,
        now_serving: done.now,
    }))
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
