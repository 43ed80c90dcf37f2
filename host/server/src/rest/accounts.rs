//! Accounts (the dealer tree and its customers), their check-in interval and SNMP credentials.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use quire_protocol::CredentialSpec;
use quire_store::{Account, AccountId, Page, Role, Visibility};
use serde::{Deserialize, Serialize};

use crate::error::{ApiResult, Failure, json_failure, parse_json, parse_json_list};
use crate::state::AppState;

use super::{Caller, ListQuery, Owned, Paging, PathIds, Visible, views};

/// Check-in bounds: more often than every 10 s is load for nothing; less than daily
/// leaves an agent deaf to configuration changes.
const CHECK_IN_RANGE: std::ops::RangeInclusive<u32> = 10..=86_400;

view! {
    AccountView from Account as a {
        id: i64 = a.id.0,
        parent_id: Option<i64> = a.parent.map(|p| p.0),
        name: String,
        is_dealer: bool,
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
pub(crate) async fn account(Visible(account): Visible<Account>) -> Json<AccountView> {
    Json(account.into())
}

/// The body of `POST /api/v1/accounts`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewAccount {
    pub name: String,
    pub parent_id: i64,
    #[serde(default)]
    pub is_dealer: bool,
}

/// `POST /api/v1/accounts`: a child account under a dealer the caller sees.
pub(crate) async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    let new: NewAccount = parse_json(&body)?;
    let parent = visible_account(&state, &caller, AccountId(new.parent_id)).await?;
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
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Failure::invalid("name", "the name is empty"));
    }
    if state
        .store
        .accounts(Visibility::All, Page::ALL)
        .await?
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

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct CheckIn {
    check_in_seconds: u32,
}

/// `PUT /api/v1/accounts/{account_id}/check-in`.
pub(crate) async fn set_check_in(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    body: Bytes,
) -> ApiResult<Json<AccountView>> {
    let CheckIn { check_in_seconds } = parse_json(&body)?;
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
pub(crate) async fn credentials(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<CredentialSpec>>> {
    Ok(Json(state.store.credentials(account.id).await?))
}

/// `PUT /api/v1/accounts/{account_id}/credentials`: the whole ordered list.
pub(crate) async fn set_credentials(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    body: Bytes,
) -> ApiResult<Json<Vec<CredentialSpec>>> {
    let list = parse_json_list(&body, "", |value, field| {
        let spec: CredentialSpec =
            serde_json::from_value(value).map_err(|e| json_failure(&e, Some(field)))?;
        if let CredentialSpec::V1 { community } | CredentialSpec::V2c { community } = &spec
            && community.is_empty()
        {
            return Err(Failure::invalid(
                &format!("{field}.community"),
                "the community is empty",
            ));
        }
        Ok(spec)
    })?;
    state.store.set_credentials(account.id, &list).await?;
    Ok(Json(list))
}
