//! Logging in and out, and who is logged in.

use axum::Json;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use quire_protocol::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use quire_store::{User, UserId};

use crate::error::{ApiResult, Body, Failure};
use crate::secrets;
use crate::state::AppState;

use super::Caller;
use super::users::{UserView, hash};

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
    if user.disabled {
        return Err(Failure::Unauthorized(
            "this user is disabled; an administrator can enable them again".to_owned(),
        ));
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

/// The user named `name` when `password` is theirs; 401 otherwise.
async fn check_password(state: &AppState, name: &str, password: String) -> ApiResult<User> {
    let refused = || Failure::Unauthorized("wrong user name or password".to_owned());
    let found = state.store.user_by_name(name).await?;
    let (user, verified) = check_login(state, found, password).await?;
    user.filter(|_| verified).ok_or_else(refused)
}

/// The user found by name (if any) and whether `password` is theirs; an unknown name is
/// checked against a dummy hash, so both refusals take the same time.
async fn check_login(
    state: &AppState,
    found: Option<(User, String)>,
    password: String,
) -> ApiResult<(Option<User>, bool)> {
    let (user, hash) = found.unzip();
    let verified = state
        .logins
        .hashing(move || secrets::verify_password_of(&password, hash.as_deref()))
        .await?;
    Ok((user, verified))
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

/// A live session as listed: its id (a prefix of the token's hash, which cannot log in)
/// and its times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SessionView {
    /// What revoking it names.
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Whether it is the session making this call.
    pub current: bool,
}

/// `user`'s live sessions, the caller's own marked current.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    user: UserId,
) -> ApiResult<Json<Vec<SessionView>>> {
    let sessions = state.store.sessions_of(user, Utc::now()).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionView {
                current: caller.token_hash.starts_with(&s.id),
                id: s.id,
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect(),
    ))
}

/// `GET /api/v1/sessions`: the caller's own live sessions.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "session",
    responses((status = 200, description = "Live sessions, oldest first", body = Vec<SessionView>)))]
pub(crate) async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SessionView>>> {
    list(&state, &caller, caller.user.id).await
}

/// `DELETE /api/v1/sessions/{session_id}`: ends one of the caller's own sessions (a
/// browser left logged in elsewhere).
#[utoipa::path(delete, path = "/api/v1/sessions/{session_id}", tag = "session",
    params(("session_id" = String, Path, description = "The session, as listed")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "None of the caller's sessions", body = quire_protocol::ApiError),
    ))]
pub(crate) async fn end_session(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(session): axum::extract::Path<String>,
) -> ApiResult<StatusCode> {
    state.store.end_session(caller.user.id, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user changing their own password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now, proving it is the user at the keyboard.
    pub current_password: String,
    /// At least 10 characters, not only spaces or one character repeated, not the name.
    pub new_password: String,
}

/// `PUT /api/v1/me/password`: changes the caller's own password; their other sessions
/// end, the one making the change stays.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "session", request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; the other sessions are ended"),
        (status = 400, description = "A wrong current password or a weak new one", body = quire_protocol::ApiError),
    ))]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Body(change): Body<PasswordChange>,
) -> ApiResult<StatusCode> {
    let found = state.store.user_by_name(&caller.user.name).await?;
    let (_, verified) = check_login(&state, found, change.current_password).await?;
    if !verified {
        return Err(Failure::invalid(
            "current-password",
            "that is not your current password",
        ));
    }
    secrets::check_password(&caller.user.name, &change.new_password)
        .map_err(|rule| Failure::invalid("new-password", rule))?;
    let hash = hash(&state, change.new_password).await?;
    state
        .store
        .set_password(caller.user.id, &hash, Some(&caller.token_hash))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
