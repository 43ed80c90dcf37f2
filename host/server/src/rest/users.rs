//! The people who use Quire, managed by administrators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use quire_protocol::ApiError;
use quire_store::{AccountId, Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::limits::{MAX_NAME_CHARS, check_name};
use crate::secrets;
use crate::state::AppState;

use super::{Caller, ListQuery, Paging, views};

view! {
    /// A user, without their password.
    UserView from User as user {
        id: i64 = user.id.0,
        /// The login name.
        name: String,
        role: Role,
        /// The accounts granted (a dealer brings its subtree).
        account_ids: Vec<i64> = user.accounts.iter().map(|a| a.0).collect(),
    }
}

/// `GET /api/v1/users?limit=&offset=` (administrators), by id.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(Paging),
    responses(
        (status = 200, description = "Users, by id", body = Vec<UserView>),
        (status = 403, description = "Only administrators manage users", body = ApiError),
    ))]
pub(crate) async fn users(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<UserView>>> {
    caller.administrator("manage users")?;
    Ok(views(state.store.users(paging.page()?).await?))
}

/// A new user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewUser {
    /// The login name, unique.
    pub name: String,
    /// At least 10 characters.
    pub password: String,
    pub role: Role,
    /// The accounts granted; dealers for a dealer user.
    #[serde(default)]
    pub account_ids: Vec<i64>,
}

/// The shortest password accepted.
const MIN_PASSWORD: usize = 10;

/// `POST /api/v1/users` (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 403, description = "Only administrators manage users", body = ApiError),
        (status = 409, description = "The name is taken", body = ApiError),
    ))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    caller.administrator("manage users")?;
    let name = check_name("name", &new.name, MAX_NAME_CHARS)?;
    if state.store.user_by_name(name).await?.is_some() {
        return Err(Failure::Conflict {
            field: Some("name".to_owned()),
            message: format!("there is a user named `{name}` already"),
        });
    }
    if new.password.chars().count() < MIN_PASSWORD {
        return Err(Failure::invalid(
            "password",
            format!("a password has at least {MIN_PASSWORD} characters"),
        ));
    }
    let mut accounts = Vec::with_capacity(new.account_ids.len());
    for (index, id) in new.account_ids.iter().enumerate() {
        let account = state.store.account(AccountId(*id)).await.map_err(|_| {
            Failure::invalid(
                &format!("account-ids[{index}]"),
                format!("account {id} does not exist"),
            )
        })?;
        if new.role == Role::DealerUser && !account.is_dealer {
            return Err(Failure::invalid(
                &format!("account-ids[{index}]"),
                format!(
                    "{} is not a dealer; a dealer user is granted dealers",
                    account.id
                ),
            ));
        }
        accounts.push(account.id);
    }
    let password = new.password;
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|e| Failure::Internal(e.to_string()))?;
    let id = state
        .store
        .create_user(name, &hash, new.role, &accounts, Utc::now())
        .await?;
    let user = state.store.user(id).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}
