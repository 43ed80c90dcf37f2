//! Enrolled agents, and revoking them.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use quire_store::Agent;
use serde::Serialize;

use crate::error::ApiResult;
use crate::server::AppState;

use super::Caller;

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AgentView {
    id: String,
    account_id: i64,
    hostname: String,
    version: String,
    enrolled_at: DateTime<Utc>,
    last_check_in: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<Agent> for AgentView {
    fn from(a: Agent) -> Self {
        AgentView {
            id: a.id,
            account_id: a.account_id.0,
            hostname: a.hostname,
            version: a.version,
            enrolled_at: a.enrolled_at,
            last_check_in: a.last_check_in,
            revoked_at: a.revoked_at,
        }
    }
}

async fn visible_agent(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Agent> {
    let agent = state.store.agent(id).await?;
    caller.require(agent.account_id, format_args!("agent {id}"))?;
    Ok(agent)
}

/// `GET /api/v1/agents`.
pub(crate) async fn agents(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AgentView>>> {
    Ok(Json(
        state
            .store
            .agents()
            .await?
            .into_iter()
            .filter(|a| caller.visibility.sees(a.account_id))
            .map(Into::into)
            .collect(),
    ))
}

/// `GET /api/v1/agents/{agent_id}`.
pub(crate) async fn agent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AgentView>> {
    Ok(Json(visible_agent(&state, &caller, &id).await?.into()))
}

/// `POST /api/v1/agents/{agent_id}/revoke`.
pub(crate) async fn revoke_agent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AgentView>> {
    let agent = visible_agent(&state, &caller, &id).await?;
    state.store.revoke_agent(&agent.id, Utc::now()).await?;
    tracing::info!(agent = %agent.id, by = %caller.user.name, "agent revoked");
    Ok(Json(state.store.agent(&agent.id).await?.into()))
}
