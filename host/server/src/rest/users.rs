//! The people who use Quire, managed by administrators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use quire_protocol::ApiError;
use quire_store::{AccountId, Page, Role, User, UserId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::limits::{MAX_NAME_CHARS, check_name};
use crate::secrets;
use crate::state::AppState;

use super::sessions::SessionView;
use super::{Caller, ListQuery, Owned, Paging, PathIds, Visible, views};

view! {
    /// A user, without their password.
    UserView from User as user {
        id: i64 = user.id.0,
        /// The login name.
        name: String,
        role: Role,
        /// The accounts granted (a dealer brings its subtree).
        account_ids: Vec<i64> = user.accounts.iter().map(|a| a.0).collect(),
        /// A disabled user cannot log in.
        disabled: bool,
    }
}

/// `GET /api/v1/users?limit=&offset=`, by id: every user for an administrator; for a
/// dealer user the users they manage (see [`Managed`]), so they can find the ones whose
/// password they reset or whom they disable.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(Paging),
    responses(
        (status = 200, description = "Users the caller manages (an administrator: all), by id", body = Vec<UserView>),
        (status = 403, description = "Account users manage no users", body = ApiError),
    ))]
pub(crate) async fn users(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<UserView>>> {
    let page = paging.page()?;
    if caller.user.role == Role::AccountUser {
        return Err(Failure::Forbidden(
            "only administrators and dealer users manage users".to_owned(),
        ));
    }
    let Some(seen) = state.store.visible_accounts(caller.visibility).await? else {
        return Ok(views(state.store.users(page).await?));
    };
    let seen: HashSet<AccountId> = seen.into_iter().collect();
    let managed = state
        .store
        .users(Page::ALL)
        .await?
        .into_iter()
        .filter(|user| within(user, |account| seen.contains(&account)))
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(page.limit).unwrap_or(usize::MAX));
    Ok(views(managed.collect()))
}

/// Whether a dealer user, who sees the accounts `sees` says yes to, manages `user`: an
/// administrator is managed by administrators alone, and a user granted nothing lies in
/// no dealer's subtree.
fn within(user: &User, sees: impl Fn(AccountId) -> bool) -> bool {
    user.role != Role::Administrator
        && !user.accounts.is_empty()
        && user.accounts.iter().all(|a| sees(*a))
}

/// A new user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewUser {
    /// The login name, unique without regard to case.
    pub name: String,
    /// At least 10 characters, not only spaces or one character repeated, not the name.
    pub password: String,
    pub role: Role,
    /// The accounts granted: dealers for a dealer user, customer accounts for an
    /// account user.
    #[serde(default)]
    pub account_ids: Vec<i64>,
}

/// `POST /api/v1/users` (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 400, description = "A weak password, or a grant the role cannot have", body = ApiError),
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
            message: format!(
                "there is a user named `{name}` already (names are told apart without regard to case)"
            ),
        });
    }
    secrets::check_password(name, &new.password)
        .map_err(|rule| Failure::invalid("password", rule))?;
    let accounts = grants(&state, &caller, new.role, &new.account_ids).await?;
    let hash = hash(&state, new.password).await?;
    let id = state
        .store
        .create_user(name, &hash, new.role, &accounts, Utc::now())
        .await?;
    let user = state.store.user(id).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// The argon2 hash of `password`, computed on the password threads.
pub(crate) async fn hash(state: &AppState, password: String) -> ApiResult<String> {
    state
        .logins
        .hashing(move || secrets::hash_password(&password))
        .await
}

/// The accounts `ids` name, when `caller` sees each and `role` may be granted it: a
/// dealer user is granted dealers, an account user customer accounts (granted a dealer,
/// they would see every tenant under it).
async fn grants(
    state: &AppState,
    caller: &Caller,
    role: Role,
    ids: &[i64],
) -> ApiResult<Vec<AccountId>> {
    let mut accounts = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let field = format!("account-ids[{index}]");
        let missing = || Failure::invalid(&field, format!("account {id} does not exist"));
        let account = state
            .store
            .account(AccountId(*id))
            .await
            .map_err(|_| missing())?;
        if !state.store.sees(caller.visibility, account.id).await? {
            return Err(missing());
        }
        match role {
            Role::DealerUser if !account.is_dealer => {
                return Err(Failure::invalid(
                    &field,
                    format!(
                        "{} is not a dealer; a dealer user is granted dealers",
                        account.id
                    ),
                ));
            }
            Role::AccountUser if account.is_dealer => {
                return Err(Failure::invalid(
                    &field,
                    format!(
                        "{} is a dealer; an account user is granted customer accounts \
                         (make them a dealer user to see a dealer's subtree)",
                        account.id
                    ),
                ));
            }
            _ => {}
        }
        accounts.push(account.id);
    }
    Ok(accounts)
}

/// A user the path's `{user_id}` names, whom the caller may manage: an administrator
/// manages everyone; a dealer user those who are no administrator and whose every
/// granted account lies in the dealer user's subtree. Anyone else is "not found", as a
/// user who does not exist.
pub(crate) struct Managed(pub(crate) User);

impl Owned for Managed {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Managed> {
        let id = UserId(path.number("user_id")?);
        if caller.user.role == Role::AccountUser {
            return Err(Failure::Forbidden(
                "only administrators and dealer users manage users".to_owned(),
            ));
        }
        let user = state.store.user(id).await?;
        let Some(seen) = state.store.visible_accounts(caller.visibility).await? else {
            return Ok(Managed(user));
        };
        if within(&user, |account| seen.contains(&account)) {
            Ok(Managed(user))
        } else {
            Err(Failure::NotFound(format!("{id} not found")))
        }
    }
}

impl Managed {
    /// Refuses the caller acting on themselves where that would lock them out.
    fn not_the_caller(&self, caller: &Caller, what: &str) -> ApiResult<()> {
        if self.0.id == caller.user.id {
            Err(Failure::Conflict {
                field: None,
                message: format!("you cannot {what} yourself; another administrator can"),
            })
        } else {
            Ok(())
        }
    }
}

/// A password an administrator sets for someone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewPassword {
    /// At least 10 characters, not only spaces or one character repeated, not the name.
    pub password: String,
}

/// `PUT /api/v1/users/{user_id}/password`: resets a user's password and ends their
/// sessions (administrators; dealer users for their subtree).
#[utoipa::path(put, path = "/api/v1/users/{user_id}/password", tag = "users", request_body = NewPassword,
    params(("user_id" = i64, Path, description = "The user")),
    responses(
        (status = 204, description = "Set; the user's sessions are ended"),
        (status = 400, description = "A weak password", body = ApiError),
        (status = 404, description = "No such user the caller manages", body = ApiError),
    ))]
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Visible(Managed(user)): Visible<Managed>,
    Body(new): Body<NewPassword>,
) -> ApiResult<StatusCode> {
    secrets::check_password(&user.name, &new.password)
        .map_err(|rule| Failure::invalid("password", rule))?;
    let hash = hash(&state, new.password).await?;
    state.store.set_password(user.id, &hash, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's role and the accounts granted with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewRole {
    pub role: Role,
    /// Dealers for a dealer user, customer accounts for an account user.
    #[serde(default)]
    pub account_ids: Vec<i64>,
}

/// `PUT /api/v1/users/{user_id}/role`: another role and other accounts; the user's
/// sessions end. Dealer users give only the two non-administrator roles and accounts of
/// their subtree.
#[utoipa::path(put, path = "/api/v1/users/{user_id}/role", tag = "users", request_body = NewRole,
    params(("user_id" = i64, Path, description = "The user")),
    responses(
        (status = 200, description = "Changed; the user's sessions are ended", body = UserView),
        (status = 400, description = "A grant the role cannot have", body = ApiError),
        (status = 403, description = "A dealer user cannot make an administrator", body = ApiError),
        (status = 404, description = "No such user the caller manages", body = ApiError),
    ))]
pub(crate) async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Visible(managed): Visible<Managed>,
    Body(new): Body<NewRole>,
) -> ApiResult<Json<UserView>> {
    if new.role == Role::Administrator {
        caller.administrator("make administrators")?;
    }
    if new.role != managed.0.role {
        managed.not_the_caller(&caller, "change the role of")?;
    }
    let accounts = grants(&state, &caller, new.role, &new.account_ids).await?;
    state
        .store
        .set_role(managed.0.id, new.role, &accounts)
        .await?;
    Ok(Json(state.store.user(managed.0.id).await?.into()))
}

/// Whether a user may log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Disabled {
    pub disabled: bool,
}

/// `PUT /api/v1/users/{user_id}/disabled`: disables a user, ending their sessions, or
/// enables them again.
#[utoipa::path(put, path = "/api/v1/users/{user_id}/disabled", tag = "users", request_body = Disabled,
    params(("user_id" = i64, Path, description = "The user")),
    responses(
        (status = 200, description = "Changed", body = UserView),
        (status = 404, description = "No such user the caller manages", body = ApiError),
        (status = 409, description = "Callers cannot disable themselves", body = ApiError),
    ))]
pub(crate) async fn set_disabled(
    State(state): State<AppState>,
    caller: Caller,
    Visible(managed): Visible<Managed>,
    Body(new): Body<Disabled>,
) -> ApiResult<Json<UserView>> {
    if new.disabled {
        managed.not_the_caller(&caller, "disable")?;
    }
    state.store.set_disabled(managed.0.id, new.disabled).await?;
    Ok(Json(state.store.user(managed.0.id).await?.into()))
}

/// `DELETE /api/v1/users/{user_id}`: deletes a user with their sessions; one named in
/// history (alert answers, work orders) is disabled instead (409 says so).
#[utoipa::path(delete, path = "/api/v1/users/{user_id}", tag = "users",
    params(("user_id" = i64, Path, description = "The user")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user the caller manages", body = ApiError),
        (status = 409, description = "The caller themselves, or a user history names", body = ApiError),
    ))]
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    Visible(managed): Visible<Managed>,
) -> ApiResult<StatusCode> {
    managed.not_the_caller(&caller, "delete")?;
    state.store.delete_user(managed.0.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/users/{user_id}/sessions`: a user's live sessions.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/sessions", tag = "users",
    params(("user_id" = i64, Path, description = "The user")),
    responses(
        (status = 200, description = "Live sessions, oldest first", body = Vec<SessionView>),
        (status = 404, description = "No such user the caller manages", body = ApiError),
    ))]
pub(crate) async fn user_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Visible(Managed(user)): Visible<Managed>,
) -> ApiResult<Json<Vec<SessionView>>> {
    super::sessions::list(&state, &caller, user.id).await
}

/// `DELETE /api/v1/users/{user_id}/sessions`: ends every session of a user.
#[utoipa::path(delete, path = "/api/v1/users/{user_id}/sessions", tag = "users",
    params(("user_id" = i64, Path, description = "The user")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such user the caller manages", body = ApiError),
    ))]
pub(crate) async fn end_user_sessions(
    State(state): State<AppState>,
    Visible(Managed(user)): Visible<Managed>,
) -> ApiResult<StatusCode> {
    state.store.end_sessions(user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/users/{user_id}/sessions/{session_id}`: ends one session of a user.
#[utoipa::path(delete, path = "/api/v1/users/{user_id}/sessions/{session_id}", tag = "users",
    params(("user_id" = i64, Path, description = "The user"),
        ("session_id" = String, Path, description = "The session, as listed")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such user or session", body = ApiError),
    ))]
pub(crate) async fn end_user_session(
    State(state): State<AppState>,
    Visible(Managed(user)): Visible<Managed>,
    axum::extract::Path((_, session)): axum::extract::Path<(i64, String)>,
) -> ApiResult<StatusCode> {
    state.store.end_session(user.id, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}
