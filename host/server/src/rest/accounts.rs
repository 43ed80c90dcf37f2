//! Accounts (the dealer tree and its customers), their check-in interval and SNMP credentials.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use quire_protocol::{ApiError, CredentialSpec};
use quire_snmp::client::MIN_V3_PASSWORD_LEN;
use quire_store::{Account, AccountId, Page, Role, Visibility};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::limits::{MAX_CREDENTIAL_SETS, MAX_NAME_CHARS, check_count, check_name};
use crate::state::AppState;

use super::{Caller, ListQuery, Owned, Paging, PathIds, Visible, views};

/// Check-in bounds: more often than every 10 s is load for nothing; less than daily
/// leaves an agent deaf to configuration changes.
const CHECK_IN_RANGE: std::ops::RangeInclusive<u32> = 10..=86_400;

view! {
    /// An account: a dealer or one of its customers.
    AccountView from Account as a {
        id: i64 = a.id.0,
        /// The dealer it belongs to; null for the main dealer.
        parent_id: Option<i64> = a.parent.map(|p| p.0),
        name: String,
        /// Whether it services accounts of its own.
        is_dealer: bool,
        /// How often its agents check in.
        check_in_seconds: u32,
    }
}

/// Account `id`, when the caller sees it: the account a path names, or the parent a new
/// account is asked for under.
async fn visible_account(state: &AppState, caller: &Caller, id: AccountId) -> ApiResult<Account> {
    let account = state.store.account(id).await?;
    caller.sees(state, id, id, account).await
}

impl Owned for Account {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Account> {
        visible_account(state, caller, AccountId(path.number("account_id")?)).await
    }
}

/// `GET /api/v1/accounts?limit=&offset=`: the accounts the caller sees, by id.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(Paging),
    responses((status = 200, description = "Accounts the user sees, by id", body = Vec<AccountView>)))]
pub(crate) async fn accounts(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<AccountView>>> {
    let accounts = state
        .store
        .accounts(caller.visibility, paging.page()?)
        .await?;
    Ok(views(accounts))
}

/// `GET /api/v1/accounts/{account_id}`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}", tag = "accounts", params(("account_id" = i64, Path)),
    responses((status = 200, description = "One account", body = AccountView)))]
pub(crate) async fn account(Visible(account): Visible<Account>) -> Json<AccountView> {
    Json(account.into())
}

/// A new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewAccount {
    /// Unique among the parent's accounts.
    pub name: String,
    /// The dealer it belongs to.
    pub parent_id: i64,
    /// Whether it services accounts of its own.
    #[serde(default)]
    pub is_dealer: bool,
}

/// `POST /api/v1/accounts`: a child account under a dealer the caller sees.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = NewAccount,
    responses(
        (status = 201, description = "Created", body = AccountView),
        (status = 403, description = "Account users cannot create accounts", body = ApiError),
        (status = 404, description = "No such parent account the caller sees; `field` is `parent-id`", body = ApiError),
        (status = 409, description = "The parent has an account of that name", body = ApiError),
    ))]
pub(crate) async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewAccount>,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    // A parent the caller may not see is refused as one that does not exist.
    let parent = visible_account(&state, &caller, AccountId(new.parent_id))
        .await
        .map_err(|e| match e {
            Failure::NotFound(message) => Failure::NotFoundIn {
                field: "parent-id".to_owned(),
                message,
            },
            other => other,
        })?;
    if caller.user.role == Role::AccountUser {
        return Err(Failure::Forbidden(
            "account users cannot create accounts".to_owned(),
        ));
    }
    if !parent.is_dealer {
        return Err(Failure::invalid(
            "parent-id",
            format!(
                "{} is not a dealer; only dealers have child accounts",
                parent.id
            ),
        ));
    }
    let name = check_name("name", &new.name, MAX_NAME_CHARS)?;
    let siblings = state.store.accounts(Visibility::All, Page::ALL).await?;
    if siblings
        .iter()
        .any(|a| a.parent == Some(parent.id) && a.name == name)
    {
        return Err(Failure::Conflict {
            field: Some("name".to_owned()),
            message: format!("{} has an account named `{name}` already", parent.id),
        });
    }
    let id = state
        .store
        .create_account(name, Some(parent.id), new.is_dealer)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.account(id).await?.into()),
    ))
}

/// How often an account's agents check in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CheckIn {
    /// Seconds between check-ins, 10 to 86400.
    pub check_in_seconds: u32,
}

/// `PUT /api/v1/accounts/{account_id}/check-in`.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/check-in", tag = "accounts",
    params(("account_id" = i64, Path)), request_body = CheckIn,
    responses((status = 200, description = "The account as changed", body = AccountView)))]
pub(crate) async fn set_check_in(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    Body(CheckIn { check_in_seconds }): Body<CheckIn>,
) -> ApiResult<Json<AccountView>> {
    if !CHECK_IN_RANGE.contains(&check_in_seconds) {
        return Err(Failure::invalid(
            "check-in-seconds",
            format!(
                "{check_in_seconds} is outside {}..={}",
                CHECK_IN_RANGE.start(),
                CHECK_IN_RANGE.end()
            ),
        ));
    }
    state
        .store
        .set_check_in_seconds(account.id, check_in_seconds)
        .await?;
    Ok(Json(state.store.account(account.id).await?.into()))
}

/// `GET /api/v1/accounts/{account_id}/credentials`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/credentials", tag = "credentials",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "The account's SNMP credentials, in the order agents try them", body = Vec<CredentialSpec>)))]
pub(crate) async fn credentials(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<CredentialSpec>>> {
    Ok(Json(state.store.credentials(account.id).await?))
}

/// `PUT /api/v1/accounts/{account_id}/credentials`: the whole ordered list. An entry
/// the agent could not use (an unknown field or protocol, a short v3 password) refuses
/// the list, naming it, and the stored list stays as it was.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/credentials", tag = "credentials",
    params(("account_id" = i64, Path)), request_body = Vec<CredentialSpec>,
    responses((status = 200, description = "The list as stored", body = Vec<CredentialSpec>)))]
pub(crate) async fn set_credentials(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    Body(list): Body<Vec<CredentialSpec>>,
) -> ApiResult<Json<Vec<CredentialSpec>>> {
    check_count(
        "credentials",
        "credential sets",
        list.len(),
        MAX_CREDENTIAL_SETS,
    )?;
    for (index, spec) in list.iter().enumerate() {
        if let CredentialSpec::V3 {
            auth_password,
            privacy_password,
            ..
        } = spec
        {
            for (field, password) in [
                ("auth-password", auth_password),
                ("privacy-password", privacy_password),
            ] {
                if password
                    .as_ref()
                    .is_some_and(|p| p.len() < MIN_V3_PASSWORD_LEN)
                {
                    return Err(Failure::invalid(
                        &format!("[{index}].{field}"),
                        format!("a v3 password has at least {MIN_V3_PASSWORD_LEN} characters"),
                    ));
                }
            }
        }
    }
    state.store.set_credentials(account.id, &list).await?;
    Ok(Json(list))
}
