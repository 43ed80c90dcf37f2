//! ASM's part costs through the REST API: the suppliers an administrator manages and
//! their price lists, each dealer's own price list, and the administrator's consumable
//! cost setting that decides which of them an alert e-mail quotes
//! (`quire_asm::part_costs`).
//!
//! Suppliers and the setting belong to no account: everyone logged in reads them, only
//! administrators change them. A dealer's price list is seen through the dealer, and
//! its dealer users (and administrators) replace it. A price list is put whole: one bad
//! row refuses it naming the row and field, and the old list stays as it was. Costs are
//! decimal strings both ways, as costs per page are.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use quire_asm::{CostSetting, SupplierId};
use quire_protocol::ApiError;
use quire_store::{Account, PartCostOwner, PartCostRow, Supplier};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::asm::mail::{COST_SETTING, cost_setting};
use crate::error::{ApiResult, Body, Failure};
use crate::state::AppState;

use super::{Caller, Owned, PathIds, Visible};

/// Rows one price list may hold.
const MAX_PART_COSTS: usize = 20_000;

/// Longest part number, in characters.
const MAX_PART_NUMBER_CHARS: usize = 100;

/// Longest supplier name, in characters.
const MAX_SUPPLIER_NAME_CHARS: usize = 200;

/// The dearest part a price list may hold: a cartridge or a kit, not a printer fleet.
const MAX_PART_COST: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// A supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SupplierView {
    /// Its id, which the cost setting's priority names.
    pub id: i64,
    /// Its name.
    pub name: String,
}

impl From<Supplier> for SupplierView {
    fn from(supplier: Supplier) -> Self {
        SupplierView {
            id: supplier.id.0,
            name: supplier.name,
        }
    }
}

/// A supplier to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewSupplier {
    /// Its name, unique.
    pub name: String,
}

/// One part's cost in a price list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PartCostView {
    /// The part number (`TK-5240K`); matched ignoring case.
    pub part_number: String,
    /// Its cost: a decimal string from `"0"` to `"1000000"`, such as `"89.90"`; a JSON
    /// number is refused, since a float is not exact.
    #[serde(deserialize_with = "super::costs::money")]
    #[schema(value_type = String, example = "89.90")]
    pub cost: Decimal,
}

/// A supplier is named in the path by its id, and belongs to no account.
impl Owned for Supplier {
    async fn visible(state: &AppState, _: &Caller, path: &PathIds) -> ApiResult<Self> {
        let id = quire_store::SupplierId(path.number("supplier_id")?);
        Ok(state.store.supplier(id).await?)
    }
}

/// The rows of a price list, refused naming the first bad row's field (`[2].cost`).
fn checked(list: Vec<PartCostView>) -> ApiResult<Vec<PartCostRow>> {
    if list.len() > MAX_PART_COSTS {
        return Err(Failure::invalid(
            &format!("[{MAX_PART_COSTS}]"),
            format!(
                "{} rows given; a price list holds at most {MAX_PART_COSTS}",
                list.len()
            ),
        ));
    }
    let mut keys = std::collections::HashMap::with_capacity(list.len());
    let mut rows = Vec::with_capacity(list.len());
    for (index, row) in list.into_iter().enumerate() {
        let field = |name: &str| format!("[{index}].{name}");
        let part_number = row.part_number.trim();
        if part_number.is_empty() {
            return Err(Failure::invalid(&field("part-number"), "is empty"));
        }
        if part_number.chars().count() > MAX_PART_NUMBER_CHARS {
            return Err(Failure::invalid(
                &field("part-number"),
                format!("a part number has at most {MAX_PART_NUMBER_CHARS} characters"),
            ));
        }
        if let Some(first) = keys.insert(quire_asm::part_costs::part_key(part_number), index) {
            return Err(Failure::invalid(
                &field("part-number"),
                format!("{part_number} is priced already, by [{first}]"),
            ));
        }
        // `-0` is zero: stored without its sign.
        let cost = if row.cost.is_zero() {
            Decimal::ZERO
        } else {
            row.cost
        };
        if cost.is_sign_negative() {
            return Err(Failure::invalid(
                &field("cost"),
                format!("{cost} is negative"),
            ));
        }
        if cost > MAX_PART_COST {
            return Err(Failure::invalid(
                &field("cost"),
                format!("{cost} is over {MAX_PART_COST}"),
            ));
        }
        rows.push(PartCostRow {
            part_number: part_number.to_owned(),
            cost,
        });
    }
    Ok(rows)
}

async fn price_list(state: &AppState, owner: PartCostOwner) -> ApiResult<Json<Vec<PartCostView>>> {
    let rows = state.store.part_costs(owner).await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| PartCostView {
                part_number: row.part_number,
                cost: row.cost,
            })
            .collect(),
    ))
}

/// `GET /api/v1/asm/suppliers`.
#[utoipa::path(get, path = "/api/v1/asm/suppliers", tag = "asm",
    responses((status = 200, description = "Every supplier, by name", body = Vec<SupplierView>)))]
pub(crate) async fn suppliers(
    State(state): State<AppState>,
    _: Caller,
) -> ApiResult<Json<Vec<SupplierView>>> {
    Ok(super::views(state.store.suppliers().await?))
}

/// `POST /api/v1/asm/suppliers`.
#[utoipa::path(post, path = "/api/v1/asm/suppliers", tag = "asm", request_body = NewSupplier,
    responses(
        (status = 201, description = "The supplier as stored", body = SupplierView),
        (status = 403, description = "Only administrators add suppliers", body = ApiError),
        (status = 409, description = "A supplier of that name exists", body = ApiError),
    ))]
pub(crate) async fn add_supplier(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<NewSupplier>,
) -> ApiResult<(StatusCode, Json<SupplierView>)> {
    caller.administrator("add suppliers")?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(Failure::invalid("name", "is empty"));
    }
    if name.chars().count() > MAX_SUPPLIER_NAME_CHARS {
        return Err(Failure::invalid(
            "name",
            format!("a supplier's name has at most {MAX_SUPPLIER_NAME_CHARS} characters"),
        ));
    }
    let supplier = state.store.add_supplier(name).await?;
    Ok((StatusCode::CREATED, Json(supplier.into())))
}

/// `GET /api/v1/asm/suppliers/{supplier_id}/part-costs`.
#[utoipa::path(get, path = "/api/v1/asm/suppliers/{supplier_id}/part-costs", tag = "asm",
    params(("supplier_id" = i64, Path)),
    responses((status = 200, description = "The supplier's price list, by part number", body = Vec<PartCostView>)))]
pub(crate) async fn supplier_part_costs(
    State(state): State<AppState>,
    Visible(supplier): Visible<Supplier>,
) -> ApiResult<Json<Vec<PartCostView>>> {
    price_list(&state, PartCostOwner::Supplier(supplier.id)).await
}

/// `PUT /api/v1/asm/suppliers/{supplier_id}/part-costs`: the supplier's price list, in
/// place of its old one.
#[utoipa::path(put, path = "/api/v1/asm/suppliers/{supplier_id}/part-costs", tag = "asm",
    params(("supplier_id" = i64, Path)), request_body = Vec<PartCostView>,
    responses(
        (status = 200, description = "The supplier's price list as stored, by part number", body = Vec<PartCostView>),
        (status = 400, description = "A row is wrong; the answer names it and its field, and nothing was stored", body = ApiError),
        (status = 403, description = "Only administrators set suppliers' costs", body = ApiError),
    ))]
pub(crate) async fn set_supplier_part_costs(
    State(state): State<AppState>,
    caller: Caller,
    Visible(supplier): Visible<Supplier>,
    Body(list): Body<Vec<PartCostView>>,
) -> ApiResult<Json<Vec<PartCostView>>> {
    caller.administrator("set suppliers' part costs")?;
    let owner = PartCostOwner::Supplier(supplier.id);
    state.store.set_part_costs(owner, &checked(list)?).await?;
    price_list(&state, owner).await
}

/// `GET /api/v1/accounts/{account_id}/part-costs`: the dealer's own price list.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/part-costs", tag = "asm",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "The dealer-specific part costs, by part number", body = Vec<PartCostView>)))]
pub(crate) async fn dealer_part_costs(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<PartCostView>>> {
    price_list(&state, PartCostOwner::Dealer(account.id)).await
}

/// `PUT /api/v1/accounts/{account_id}/part-costs`: the dealer's price list, in place of
/// its old one; the devices it is the first dealer of are quoted from it.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/part-costs", tag = "asm",
    params(("account_id" = i64, Path)), request_body = Vec<PartCostView>,
    responses(
        (status = 200, description = "The dealer-specific part costs as stored, by part number", body = Vec<PartCostView>),
        (status = 400, description = "A row is wrong, or the account is no dealer; the answer names it, and nothing was stored", body = ApiError),
        (status = 403, description = "Account users cannot set part costs", body = ApiError),
    ))]
pub(crate) async fn set_dealer_part_costs(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
    Body(list): Body<Vec<PartCostView>>,
) -> ApiResult<Json<Vec<PartCostView>>> {
    caller.dealer("set part costs")?;
    if !account.is_dealer {
        return Err(Failure::invalid(
            "account_id",
            format!(
                "{} is not a dealer: dealer-specific part costs are a dealer's",
                account.name
            ),
        ));
    }
    let owner = PartCostOwner::Dealer(account.id);
    state.store.set_part_costs(owner, &checked(list)?).await?;
    price_list(&state, owner).await
}

/// `GET /api/v1/asm/part-cost-setting`.
#[utoipa::path(get, path = "/api/v1/asm/part-cost-setting", tag = "asm",
    responses((status = 200, description = "Where alert e-mails' part costs come from: dealer-specific values (the default), or suppliers' by priority, first available or lowest", body = CostSetting)))]
pub(crate) async fn part_cost_setting(
    State(state): State<AppState>,
    _: Caller,
) -> ApiResult<Json<CostSetting>> {
    Ok(Json(cost_setting(&state.store).await?))
}

/// `PUT /api/v1/asm/part-cost-setting`.
#[utoipa::path(put, path = "/api/v1/asm/part-cost-setting", tag = "asm", request_body = CostSetting,
    responses(
        (status = 200, description = "The setting as stored", body = CostSetting),
        (status = 400, description = "A supplier is unknown or named twice; the answer names it", body = ApiError),
        (status = 403, description = "Only administrators set it", body = ApiError),
    ))]
pub(crate) async fn set_part_cost_setting(
    State(state): State<AppState>,
    caller: Caller,
    Body(setting): Body<CostSetting>,
) -> ApiResult<Json<CostSetting>> {
    caller.administrator("set where part costs come from")?;
    let known: Vec<i64> = state
        .store
        .suppliers()
        .await?
        .into_iter()
        .map(|s| s.id.0)
        .collect();
    for (index, &SupplierId(id)) in setting.supplier_priority.iter().enumerate() {
        let field = format!("supplier-priority[{index}]");
        if !known.contains(&id) {
            return Err(Failure::invalid(&field, format!("supplier {id} not found")));
        }
        if let Some(first) = setting.supplier_priority[..index]
            .iter()
            .position(|s| s.0 == id)
        {
            return Err(Failure::invalid(
                &field,
                format!("supplier {id} is [{first}] already"),
            ));
        }
    }
    let body = serde_json::to_value(&setting).expect("settings serialise to JSON");
    state.store.set_asm_setting(COST_SETTING, &body).await?;
    Ok(Json(setting))
}
