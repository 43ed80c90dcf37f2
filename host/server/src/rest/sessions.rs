//! Logging in and out, and who is logged in.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiResult, Failure, parse_json};
use crate::secrets;
use crate::state::AppState;

use super::Caller;
use super::users::UserView;

/// How long a login lasts.
const SESSION_HOURS: i64 = 12;

/// The body of `POST /api/v1/login`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Login {
    pub name: String,
    pub password: String,
}

/// The answer to a login: the bearer token of later calls, and who it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
}

/// `POST /api/v1/login`.
pub(crate) async fn login(State(state): State<AppState>, body: Bytes) -> ApiResult<Json<Session>> {
    let login: Login = parse_json(&body)?;
    let refused = || Failure::Unauthorized("wrong user name or password".to_owned());
    let (user, hash) = state
        .store
        .user_by_name(login.name.trim())
        .await?
        .ok_or_else(refused)?;
    let password = login.password;
    let verified = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .map_err(|e| Failure::Internal(e.to_string()))?;
    if !verified {
        return Err(refused());
    }
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

/// `POST /api/v1/logout`.
pub(crate) async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    state.store.delete_session(&caller.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Me {
    user: UserView,
    visible_account_ids: Option<Vec<i64>>,
}

/// `GET /api/v1/me`: who is logged in and what they see (`null`: everything).
pub(crate) async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    let visible = state.store.visible_accounts(caller.visibility).await?;
    Ok(Json(Me {
        user: caller.user.into(),
        visible_account_ids: visible.map(|ids| ids.iter().map(|a| a.0).collect()),
    }))
}
