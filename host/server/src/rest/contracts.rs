//! Contracts of an account, and which contract a device is on.
//!
//! A device is on at most one contract, of its own account or of an account above it:
//! a dealer may write one contract for the devices of all its customers, but never puts a
//! customer's printer on a sibling customer's contract. Contract dates are what the
//! contract says; the rates of a contract apply to its devices whatever the dates.
//! Account users read contracts; setting them is their dealer's (or an administrator's).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use quire_protocol::ApiError;
use quire_store::{Account, Contract, ContractId, ContractTerms, Device, DeviceFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::state::AppState;

use super::devices::DeviceView;
use super::{Caller, ListQuery, Owned, Paging, PathIds, Visible, views};

/// Longest contract name: a label for people, not a document.
const MAX_NAME_CHARS: usize = 200;

view! {
    /// A contract of an account.
    ContractView from Contract as c {
        id: i64 = c.id.0,
        /// The account it was made with.
        account_id: i64 = c.account_id.0,
        /// Unique within the account.
        name: String,
        /// The first day it runs, when the contract says.
        starts_on: Option<NaiveDate>,
        /// The last day it runs, when the contract says.
        ends_on: Option<NaiveDate>,
    }
}

/// What a contract says: the whole of it, on creation and on every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ContractTermsBody {
    /// Unique within the account.
    pub name: String,
    /// The first day it runs (`2026-01-01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<NaiveDate>,
    /// The last day it runs, on or after `starts-on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<NaiveDate>,
}

impl ContractTermsBody {
    /// The terms to store, refused naming the field when they cannot be.
    fn checked(&self) -> ApiResult<ContractTerms<'_>> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Failure::invalid("name", "the name is empty"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(Failure::invalid(
                "name",
                format!("the name is longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        if let (Some(starts), Some(ends)) = (self.starts_on, self.ends_on)
            && ends < starts
        {
            return Err(Failure::invalid(
                "ends-on",
                format!("{ends} is before the contract starts ({starts})"),
            ));
        }
        Ok(ContractTerms {
            name,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
        })
    }
}

/// The contract a device is put on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DeviceContract {
    /// A contract of the device's account or of an account above it.
    pub contract_id: i64,
}

impl Owned for Contract {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Contract> {
        let id = ContractId(path.number("contract_id")?);
        let contract = state.store.contract(id).await?;
        caller.sees(state, contract.account_id, id, contract).await
    }
}

/// `GET /api/v1/accounts/{account_id}/contracts?limit=&offset=`, by id.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/contracts", tag = "contracts",
    params(("account_id" = i64, Path), Paging),
    responses((status = 200, description = "The account's own contracts, by id", body = Vec<ContractView>)))]
pub(crate) async fn contracts(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<ContractView>>> {
    Ok(views(
        state.store.contracts(account.id, paging.page()?).await?,
    ))
}

/// `POST /api/v1/accounts/{account_id}/contracts`.
#[utoipa::path(post, path = "/api/v1/accounts/{account_id}/contracts", tag = "contracts",
    params(("account_id" = i64, Path)), request_body = ContractTermsBody,
    responses(
        (status = 201, description = "Created", body = ContractView),
        (status = 403, description = "Account users cannot make contracts", body = ApiError),
        (status = 409, description = "The account has a contract of that name; `field` is `name`", body = ApiError),
    ))]
pub(crate) async fn create_contract(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
    Body(body): Body<ContractTermsBody>,
) -> ApiResult<(StatusCode, Json<ContractView>)> {
    caller.dealer("make contracts")?;
    let id = state
        .store
        .create_contract(account.id, &body.checked()?)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.contract(id).await?.into()),
    ))
}

/// `GET /api/v1/contracts/{contract_id}`.
#[utoipa::path(get, path = "/api/v1/contracts/{contract_id}", tag = "contracts",
    params(("contract_id" = i64, Path)),
    responses((status = 200, description = "One contract", body = ContractView)))]
pub(crate) async fn contract(Visible(contract): Visible<Contract>) -> Json<ContractView> {
    Json(contract.into())
}

/// `PUT /api/v1/contracts/{contract_id}`: the contract's terms, all of them.
#[utoipa::path(put, path = "/api/v1/contracts/{contract_id}", tag = "contracts",
    params(("contract_id" = i64, Path)), request_body = ContractTermsBody,
    responses(
        (status = 200, description = "The contract as changed", body = ContractView),
        (status = 403, description = "Account users cannot change contracts", body = ApiError),
        (status = 409, description = "Another contract of the account has that name; `field` is `name`", body = ApiError),
    ))]
pub(crate) async fn update_contract(
    State(state): State<AppState>,
    caller: Caller,
    Visible(contract): Visible<Contract>,
    Body(body): Body<ContractTermsBody>,
) -> ApiResult<Json<ContractView>> {
    caller.dealer("change contracts")?;
    state
        .store
        .update_contract(contract.id, &body.checked()?)
        .await?;
    Ok(Json(state.store.contract(contract.id).await?.into()))
}

/// `DELETE /api/v1/contracts/{contract_id}`: the contract and its rates; its devices
/// are left on no contract, and inherit their account's rates again.
#[utoipa::path(delete, path = "/api/v1/contracts/{contract_id}", tag = "contracts",
    params(("contract_id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Account users cannot delete contracts", body = ApiError),
    ))]
pub(crate) async fn delete_contract(
    State(state): State<AppState>,
    caller: Caller,
    Visible(contract): Visible<Contract>,
) -> ApiResult<StatusCode> {
    caller.dealer("delete contracts")?;
    state.store.delete_contract(contract.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/contracts/{contract_id}/devices?limit=&offset=`: the devices on it that
/// the caller sees, by id.
#[utoipa::path(get, path = "/api/v1/contracts/{contract_id}/devices", tag = "contracts",
    params(("contract_id" = i64, Path), Paging),
    responses((status = 200, description = "Devices on the contract that the user sees, by id", body = Vec<DeviceView>)))]
pub(crate) async fn contract_devices(
    State(state): State<AppState>,
    caller: Caller,
    Visible(contract): Visible<Contract>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<DeviceView>>> {
    let filter = DeviceFilter {
        contract: Some(contract.id),
        ..DeviceFilter::default()
    };
    let devices = state
        .store
        .list_devices(caller.visibility, &filter, paging.page()?)
        .await?;
    Ok(views(devices))
}

/// `PUT /api/v1/devices/{device_id}/contract`: puts the device on a contract of its
/// account or of an account above it, in place of any other.
#[utoipa::path(put, path = "/api/v1/devices/{device_id}/contract", tag = "contracts",
    params(("device_id" = i64, Path)), request_body = DeviceContract,
    responses(
        (status = 200, description = "The device as changed", body = DeviceView),
        (status = 400, description = "The contract is not of the device's account nor of one above it; `field` is `contract-id`", body = ApiError),
        (status = 403, description = "Account users cannot assign contracts", body = ApiError),
        (status = 404, description = "No such device, or no such contract the caller sees (`field` is `contract-id`)", body = ApiError),
    ))]
pub(crate) async fn assign_contract(
    State(state): State<AppState>,
    caller: Caller,
    Visible(device): Visible<Device>,
    Body(DeviceContract { contract_id }): Body<DeviceContract>,
) -> ApiResult<Json<DeviceView>> {
    caller.dealer("assign contracts")?;
    let id = ContractId(contract_id);
    let not_found = |e: Failure| match e {
        Failure::NotFound(message) => Failure::NotFoundIn {
            field: "contract-id".to_owned(),
            message,
        },
        other => other,
    };
    let contract = state.store.contract(id).await.map_err(Failure::from);
    let contract = match contract {
        Ok(contract) => caller.sees(&state, contract.account_id, id, contract).await,
        Err(e) => Err(e),
    }
    .map_err(not_found)?;
    let chain = state.store.account_chain(device.account_id).await?;
    if !chain
        .iter()
        .any(|account| account.id == contract.account_id)
    {
        return Err(Failure::invalid(
            "contract-id",
            format!(
                "{id} is {}'s, which is neither {}'s account ({}) nor above it",
                contract.account_id, device.id, device.account_id
            ),
        ));
    }
    state
        .store
        .set_device_contract(device.id, Some(contract.id))
        .await?;
    Ok(Json(state.store.device(device.id).await?.into()))
}

/// `DELETE /api/v1/devices/{device_id}/contract`: takes the device off its contract, if
/// it is on one.
#[utoipa::path(delete, path = "/api/v1/devices/{device_id}/contract", tag = "contracts",
    params(("device_id" = i64, Path)),
    responses(
        (status = 200, description = "The device as changed", body = DeviceView),
        (status = 403, description = "Account users cannot assign contracts", body = ApiError),
    ))]
pub(crate) async fn unassign_contract(
    State(state): State<AppState>,
    caller: Caller,
    Visible(device): Visible<Device>,
) -> ApiResult<Json<DeviceView>> {
    caller.dealer("assign contracts")?;
    state.store.set_device_contract(device.id, None).await?;
    Ok(Json(state.store.device(device.id).await?.into()))
}
