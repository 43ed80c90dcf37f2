//! Strategy distribution over HTTP: administrators publish and roll back, everyone
//! logged in sees what is published, agents download what their configuration lists.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use quire_protocol::SIGNATURE_HEADER;
use quire_store::StoredStrategy;
use serde::Serialize;

use crate::agent_api::authenticate;
use crate::depot::DepotError;
use crate::error::{ApiResult, Failure};
use crate::rest::Caller;
use crate::state::AppState;

/// The largest component accepted: built strategies are a few hundred KiB.
const MAX_COMPONENT_BYTES: usize = 16 << 20;

/// A published version, as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct StrategyView {
    name: String,
    version: String,
    sha256: String,
    publisher: Option<String>,
    published_at: DateTime<Utc>,
    published_by: String,
    withdrawn_at: Option<DateTime<Utc>>,
    /// Whether agents are handed this version now.
    serving: bool,
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
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RollbackView {
    name: String,
    withdrawn: String,
    /// The version handed out now; null means the agents' built-in one.
    now_serving: Option<String>,
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
