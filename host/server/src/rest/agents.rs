//! Enrolled agents, and revoking them.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use quire_store::{AccountId, Agent};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::state::AppState;

use super::{Caller, ListQuery, Owned, PathIds, Visible, page, views};

view! {
    AgentView from Agent as a {
        id: String,
        account_id: i64 = a.account_id.0,
        hostname: String,
        version: String,
        enrolled_at: DateTime<Utc>,
        last_check_in: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
    }
}

impl Owned for Agent {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Agent> {
        let id = path.text("agent_id")?;
        let agent = state.store.agent(id).await?;
        let what = format!("agent {id}");
        caller.sees(state, agent.account_id, what, agent).await
    }
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
    let page = page(query.limit, query.offset)?;
    let agents = state
        .store
        .agents(caller.visibility, query.account_id.map(AccountId), page)
        .await?;
    Ok(views(agents))
}

/// `GET /api/v1/agents/{agent_id}`.
pub(crate) async fn agent(Visible(agent): Visible<Agent>) -> Json<AgentView> {
    Json(agent.into())
}

/// `POST /api/v1/agents/{agent_id}/revoke`.
pub(crate) async fn revoke_agent(
    State(state): State<AppState>,
    Visible(agent): Visible<Agent>,
    caller: Caller,
) -> ApiResult<Json<AgentView>> {
    state.store.revoke_agent(&agent.id, Utc::now()).await?;
    tracing::info!(agent = %agent.id, by = %caller.user.name, "agent revoked");
    Ok(Json(state.store.agent(&agent.id).await?.into()))
}
