//! Work orders through the REST API: created from an alert row or error bit of a
//! device the caller sees, moved open → assigned → done (or cancelled), every change
//! kept with who made it. The rules are [`crate::maintenance`]'s, which ASM will call too.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use quire_model::{Assessment, ErrorSource};
use quire_protocol::ApiError;
use quire_store::{
    AccountId, Actor, DeviceId, ReadingId, UserId, WorkOrder, WorkOrderChange, WorkOrderFilter,
    WorkOrderId, WorkOrderPart, WorkOrderStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::log_text::untrusted;
use crate::maintenance::{self, WorkOrderError, WorkOrderRequest};
use crate::state::AppState;

use super::maintenance::Money;
use super::{Caller, ListQuery, Owned, PathIds, Visible, page};

/// A work order to create: which alert row or error bit of which device, and the parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewWorkOrder {
    pub device_id: i64,
    /// `{"kind": "alert", "index": 3}` or `{"kind": "state", "state": "jammed"}`, as the
    /// dashboard's `inputs` and a reading's `assessments` name them.
    pub input: ErrorSource,
    /// The reading whose assessment to take; the device's latest that assessed the
    /// input when not given.
    #[serde(default)]
    pub reading_id: Option<i64>,
    #[serde(default)]
    pub parts: Vec<PartView>,
    /// Free text for whoever does it.
    #[serde(default)]
    pub note: Option<String>,
}

/// One part an order needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PartView {
    pub part_number: String,
    /// At least 1.
    pub quantity: u32,
    pub unit_cost: Money,
}

/// A work order and its price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct WorkOrderView {
    pub id: i64,
    pub account_id: i64,
    pub device_id: i64,
    /// The reading it was created from, while that is kept.
    pub reading_id: Option<i64>,
    /// The alert row or error bit it was created from.
    pub input: ErrorSource,
    /// What the strategy made of it then.
    pub assessment: Assessment,
    pub status: WorkOrderStatus,
    pub assignee_id: Option<i64>,
    pub parts: Vec<PartView>,
    /// The labour rate per hour in force for the skill level when created; null when no
    /// account up the chain set one.
    pub labour_rate: Option<Money>,
    /// Rate × estimated minutes ÷ 60, to the cent (half away from zero); null without a rate.
    pub labour_cost: Option<Money>,
    /// Σ quantity × unit cost, exactly.
    pub parts_cost: Money,
    /// Labour plus parts; null without a rate.
    pub estimate: Option<Money>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WorkOrder> for WorkOrderView {
    fn from(o: WorkOrder) -> Self {
        WorkOrderView {
            id: o.id.0,
            account_id: o.account_id.0,
            device_id: o.device_id.0,
            reading_id: o.reading_id.map(|r| r.0),
            input: o.input,
            assessment: o.assessment,
            status: o.status,
            assignee_id: o.assignee.map(|u| u.0),
            parts: o
                .parts
                .into_iter()
                .map(|p| PartView {
                    part_number: p.part_number,
                    quantity: p.quantity,
                    unit_cost: Money(p.unit_cost),
                })
                .collect(),
            labour_rate: o.estimate.labour_rate.map(Money),
            labour_cost: o.estimate.labour_cost.map(Money),
            parts_cost: Money(o.estimate.parts_cost),
            estimate: o.estimate.total.map(Money),
            note: o.note,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// One change of an order, its creation first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct WorkOrderChangeView {
    pub at: DateTime<Utc>,
    /// The user's name, or `system` for the server itself (an order closed because its
    /// error cleared).
    pub by: String,
    /// The user; null for `system`.
    pub by_user_id: Option<i64>,
    /// The status the change left.
    pub status: WorkOrderStatus,
    /// The assignee the change left.
    pub assignee_id: Option<i64>,
    pub note: Option<String>,
}

impl From<WorkOrderChange> for WorkOrderChangeView {
    fn from(c: WorkOrderChange) -> Self {
        let (by_user_id, by) = match c.by {
            Some((user, name)) => (Some(user.0), name),
            None => (None, "system".to_owned()),
        };
        WorkOrderChangeView {
            at: c.at,
            by,
            by_user_id,
            status: c.status,
            assignee_id: c.assignee.map(|u| u.0),
            note: c.note,
        }
    }
}

/// A move of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StatusChange {
    /// open → assigned → done, or cancelled from open or assigned.
    pub status: WorkOrderStatus,
    /// Who is on it: given exactly when the order becomes assigned (again, to reassign).
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// Why, for the history.
    #[serde(default)]
    pub note: Option<String>,
}

/// A work order is seen through its account.
impl Owned for WorkOrder {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Self> {
        let id = WorkOrderId(path.number("work_order_id")?);
        let order = state.store.work_order(id).await?;
        caller.sees(state, order.account_id, id, order).await
    }
}

impl From<WorkOrderError> for Failure {
    fn from(error: WorkOrderError) -> Failure {
        match error {
            WorkOrderError::NoAssessment { .. } => Failure::Conflict {
                field: Some("input".to_owned()),
                message: error.to_string(),
            },
            WorkOrderError::Invalid { field, message } => Failure::Invalid {
                field: Some(field),
                message,
            },
            WorkOrderError::Transition(message) => Failure::Conflict {
                field: Some("status".to_owned()),
                message,
            },
            WorkOrderError::Concurrent(_) => Failure::Conflict {
                field: None,
                message: error.to_string(),
            },
            WorkOrderError::Store(e) => e.into(),
        }
    }
}

/// `POST /api/v1/work-orders`: an order for an alert row or error bit of a device the
/// caller sees, priced at the labour rates in force for its account.
#[utoipa::path(post, path = "/api/v1/work-orders", tag = "work orders", request_body = NewWorkOrder,
    responses(
        (status = 201, description = "Created, open", body = WorkOrderView),
        (status = 400, description = "A bad part or field; `field` names it (`parts[1].quantity`)", body = ApiError),
        (status = 404, description = "No such device (or reading of it) the caller sees; `field` names which", body = ApiError),
        (status = 409, description = "No reading of the device assessed that input; `field` is `input`", body = ApiError),
    ))]
pub(crate) async fn create_work_order(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewWorkOrder>,
) -> ApiResult<(StatusCode, Json<WorkOrderView>)> {
    let device_id = DeviceId(new.device_id);
    let missing = |field: &str, what: String| Failure::NotFoundIn {
        field: field.to_owned(),
        message: format!("{what} not found"),
    };
    let device = match state.store.device(device_id).await {
        Ok(device) => device,
        Err(quire_store::Error::NotFound { .. }) => {
            return Err(missing("device-id", device_id.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    caller
        .sees(&state, device.account_id, device_id, ())
        .await
        .map_err(|_| missing("device-id", device_id.to_string()))?;
    if let Some(reading) = new.reading_id.map(ReadingId) {
        let of_device = match state.store.reading(reading).await {
            Ok(stored) => stored.device_id == device.id,
            Err(quire_store::Error::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        if !of_device {
            return Err(missing("reading-id", format!("{reading} of {device_id}")));
        }
    }
    let request = WorkOrderRequest {
        device: device.id,
        input: new.input,
        reading: new.reading_id.map(ReadingId),
        parts: new
            .parts
            .into_iter()
            .map(|p| WorkOrderPart {
                part_number: p.part_number,
                quantity: p.quantity,
                unit_cost: p.unit_cost.0,
            })
            .collect(),
        note: new.note,
    };
    let order = maintenance::create_work_order(
        &state.store,
        &request,
        Actor::User(caller.user.id),
        Utc::now(),
    )
    .await?;
    tracing::info!(order = %order.id, device = %device.id, by = %untrusted(&caller.user.name), "work order created");
    Ok((StatusCode::CREATED, Json(order.into())))
}

/// The work order list's query string: filters that must all hold, and the page.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct WorkOrderQuery {
    /// Only this account's orders.
    account_id: Option<i64>,
    /// Only this device's orders.
    device_id: Option<i64>,
    /// Only orders in this status.
    #[param(inline)]
    status: Option<WorkOrderStatus>,
    /// Only orders assigned to this user.
    assignee_id: Option<i64>,
    /// Rows of the page: 1 to 1000, 100 when not given.
    limit: Option<u32>,
    /// Rows skipped before the page.
    offset: Option<u64>,
}

/// `GET /api/v1/work-orders`: the orders of the accounts the caller sees, newest first.
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "work orders", params(WorkOrderQuery),
    responses((status = 200, description = "Work orders of the accounts the user sees that match every filter given, newest first", body = Vec<WorkOrderView>)))]
pub(crate) async fn work_orders(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<WorkOrderQuery>,
) -> ApiResult<Json<Vec<WorkOrderView>>> {
    let page = page(query.limit, query.offset)?;
    let filter = WorkOrderFilter {
        account: query.account_id.map(AccountId),
        device: query.device_id.map(DeviceId),
        status: query.status,
        assignee: query.assignee_id.map(UserId),
    };
    let orders = state
        .store
        .work_orders(caller.visibility, filter, page)
        .await?;
    Ok(Json(orders.into_iter().map(WorkOrderView::from).collect()))
}

/// `GET /api/v1/work-orders/{work_order_id}`.
#[utoipa::path(get, path = "/api/v1/work-orders/{work_order_id}", tag = "work orders",
    params(("work_order_id" = i64, Path)),
    responses((status = 200, description = "One work order", body = WorkOrderView)))]
pub(crate) async fn work_order(Visible(order): Visible<WorkOrder>) -> Json<WorkOrderView> {
    Json(order.into())
}

/// `GET /api/v1/work-orders/{work_order_id}/history`: every change, the creation first.
#[utoipa::path(get, path = "/api/v1/work-orders/{work_order_id}/history", tag = "work orders",
    params(("work_order_id" = i64, Path)),
    responses((status = 200, description = "Every change of the order with who made it and when, oldest first", body = Vec<WorkOrderChangeView>)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    Visible(order): Visible<WorkOrder>,
) -> ApiResult<Json<Vec<WorkOrderChangeView>>> {
    let changes = state.store.work_order_history(order.id).await?;
    Ok(Json(
        changes.into_iter().map(WorkOrderChangeView::from).collect(),
    ))
}

/// `PUT /api/v1/work-orders/{work_order_id}/status`: moves the order; a move its status
/// does not allow is refused naming `status`, a wrong assignee naming `assignee-id`.
#[utoipa::path(put, path = "/api/v1/work-orders/{work_order_id}/status", tag = "work orders",
    params(("work_order_id" = i64, Path)), request_body = StatusChange,
    responses(
        (status = 200, description = "The order as moved", body = WorkOrderView),
        (status = 400, description = "An assignee where none belongs, or none where one does; `field` is `assignee-id`", body = ApiError),
        (status = 404, description = "No such assignee who sees the order's account; `field` is `assignee-id`", body = ApiError),
        (status = 409, description = "The move is not allowed from the order's status (`field` is `status`), or the order changed meanwhile", body = ApiError),
    ))]
pub(crate) async fn change_status(
    State(state): State<AppState>,
    Visible(order): Visible<WorkOrder>,
    caller: Caller,
    Body(change): Body<StatusChange>,
) -> ApiResult<Json<WorkOrderView>> {
    let assignee = change.assignee_id.map(UserId);
    maintenance::check_move(order.status, order.assignee, change.status, assignee)?;
    if let Some(user) = assignee {
        let refused = || Failure::NotFoundIn {
            field: "assignee-id".to_owned(),
            message: format!(
                "{user} not found among the users who see {}",
                order.account_id
            ),
        };
        let assignee = match state.store.user(user).await {
            Ok(assignee) => assignee,
            Err(quire_store::Error::NotFound { .. }) => return Err(refused()),
            Err(e) => return Err(e.into()),
        };
        let visibility = match assignee.role {
            quire_store::Role::Administrator => quire_store::Visibility::All,
            _ => quire_store::Visibility::Granted(assignee.id),
        };
        if !state.store.sees(visibility, order.account_id).await? {
            return Err(refused());
        }
    }
    let moved = maintenance::move_work_order(
        &state.store,
        &order,
        change.status,
        assignee,
        Actor::User(caller.user.id),
        Utc::now(),
        change.note.as_deref(),
    )
    .await?;
    Ok(Json(moved.into()))
}
