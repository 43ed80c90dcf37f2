//! Enrolled agents, and revoking them.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use quire_store::{AccountId, Agent};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::log_text::untrusted;
use crate::state::AppState;

use super::{Caller, ListQuery, Owned, PathIds, Visible, page, views};

view! {
    /// An enrolled agent.
    AgentView from Agent as a {
        id: String,
        /// The account it reads for.
        account_id: i64 = a.account_id.0,
        hostname: String,
        /// The agent's own version.
        version: String,
        enrolled_at: DateTime<Utc>,
        /// When it last fetched its configuration.
        last_check_in: Option<DateTime<Utc>>,
        /// Once set, every call it makes is refused.
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

/// The agent list's query string.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AgentQuery {
    /// Only this account's agents.
    account_id: Option<i64>,
    /// Rows of the page: 1 to 1000, 100 when not given.
    limit: Option<u32>,
    /// Rows skipped before the page.
    offset: Option<u64>,
}

/// `GET /api/v1/agents?account-id=&limit=&offset=`: the agents of the accounts the caller
/// sees, by enrollment time.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", params(AgentQuery),
    responses((status = 200, description = "Agents of the accounts the user sees, by enrollment time", body = Vec<AgentView>)))]
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
#[utoipa::path(get, path = "/api/v1/agents/{agent_id}", tag = "agents", params(("agent_id" = String, Path)),
    responses((status = 200, description = "One agent", body = AgentView)))]
pub(crate) async fn agent(Visible(agent): Visible<Agent>) -> Json<AgentView> {
    Json(agent.into())
}

/// `POST /api/v1/agents/{agent_id}/revoke`.
#[utoipa::path(post, path = "/api/v1/agents/{agent_id}/revoke", tag = "agents", params(("agent_id" = String, Path)),
    responses((status = 200, description = "The agent as revoked: every later call it makes is refused", body = AgentView)))]
pub(crate) async fn revoke_agent(
    State(state): State<AppState>,
    Visible(agent): Visible<Agent>,
    caller: Caller,
) -> ApiResult<Json<AgentView>> {
    state.store.revoke_agent(&agent.id, Utc::now()).await?;
    tracing::info!(agent = %agent.id, by = %untrusted(&caller.user.name), "agent revoked");
    Ok(Json(state.store.agent(&agent.id).await?.into()))
}
