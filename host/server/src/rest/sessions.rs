//! Logging in and out, and who is logged in.

use axum::Json;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use quire_protocol::ApiError;
use quire_store::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::secrets;
use crate::state::AppState;

use super::Caller;
use super::users::UserView;

/// How long a login lasts.
const SESSION_HOURS: i64 = 12;

/// A user's name and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Login {
    pub name: String,
    pub password: String,
}

/// A session: send its token as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Session {
    pub token: String,
    /// It lasts 12 hours.
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
}

/// `POST /api/v1/login`.
#[utoipa::path(post, path = "/api/v1/login", tag = "session", request_body = Login,
    responses(
        (status = 200, description = "Logged in", body = Session),
        (status = 429, description = "Too many failed logins for the name or from the address; `Retry-After` says when to try again", body = ApiError),
        (status = 503, description = "Too many logins at once; `Retry-After` says when to try again", body = ApiError),
    ))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(login): Body<Login>,
) -> ApiResult<Json<Session>> {
    let name = login.name.trim();
    let user = state
        .logins
        .guard(
            peer.ip(),
            name,
            check_password(&state, name, login.password),
        )
        .await?;
    let token = secrets::token();
    let now = Utc::now();
    let expires_at = now + chrono::Duration::hours(SESSION_HOURS);
    state
        .store
        .create_session(&secrets::hash_token(&token), user.id, now, expires_at)
        .await?;
    Ok(Json(Session {
        token,
        expires_at,
        user: user.into(),
    }))
}

/// The user named `name` when `password` is theirs; 401 otherwise.
async fn check_password(state: &AppState, name: &str, password: String) -> ApiResult<User> {
    let refused = || Failure::Unauthorized("wrong user name or password".to_owned());
    let (user, hash) = state.store.user_by_name(name).await?.ok_or_else(refused)?;
    let verified = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .map_err(|e| Failure::Internal(e.to_string()))?;
    if !verified {
        return Err(refused());
    }
    Ok(user)
}

/// `POST /api/v1/logout`.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session",
    responses((status = 204, description = "The session is ended")))]
pub(crate) async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    state.store.delete_session(&caller.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is logged in, and what they see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Me {
    pub user: UserView,
    /// The accounts they see; null for everything (an administrator).
    pub visible_account_ids: Option<Vec<i64>>,
}

/// `GET /api/v1/me`: who is logged in and what they see (`null`: everything).
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "The logged-in user and the accounts they see", body = Me)))]
pub(crate) async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    let visible = state.store.visible_accounts(caller.visibility).await?;
    Ok(Json(Me {
        user: caller.user.into(),
        visible_account_ids: visible.map(|ids| ids.iter().map(|a| a.0).collect()),
    }))
}
