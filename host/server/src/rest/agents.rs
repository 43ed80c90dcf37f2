//! Enrolled agents, and revoking them.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use quire_store::{AccountId, Agent};
use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::state::AppState;

use super::{Caller, ListQuery, Paging, views};

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
    caller
        .require(state, agent.account_id, format!("agent {id}"))
        .await?;
    Ok(agent)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct AgentQuery {
    account_id: Option<i64>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// `GET /api/v1/agents?account-id=&limit=&offset=`: the agents of the accounts the caller
/// sees, by enrollment time.
pub(crate) async fn agents(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<AgentQuery>,
) -> ApiResult<Json<Vec<AgentView>>> {
    let page = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .page()?;
    let agents = state
        .store
        .agents(caller.visibility, query.account_id.map(AccountId), page)
        .await?;
    Ok(views(agents))
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
