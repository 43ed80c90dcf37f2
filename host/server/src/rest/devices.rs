//! Devices and what was read from them: readings, supply history, alerts, replacements.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use quire_model::{Cycle, DeviceStatus, Reading, StrategyRef};
use quire_store::{
    AccountId, AlertRecord, Device, DeviceAddress, DeviceFilter, DeviceId, ReplacementRecord,
    SiteId, StoredReading, SupplyRecord,
};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::state::AppState;

use super::{Caller, ListQuery, Paging, Visible, page, views};

view! {
    DeviceView from Device as d {
        id: i64 = d.id.0,
        account_id: i64 = d.account_id.0,
        site_id: Option<i64> = d.site_id.map(|s| s.0),
        serial: Option<String>,
        mac: Option<String>,
        manufacturer: Option<String>,
        model: Option<String>,
        first_seen: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        strategy: Option<StrategyRef>,
        status: Option<DeviceStatus>,
        addresses: Vec<AddressView> = d.addresses.into_iter().map(AddressView::from).collect(),
    }
}

view! {
    AddressView from DeviceAddress as a {
        address: String,
        first_seen: DateTime<Utc>,
        last_seen: DateTime<Utc>,
    }
}

view! {
    ReadingView from StoredReading as r {
        id: i64 = r.id.0,
        taken_at: DateTime<Utc>,
        cycle: Cycle,
        strategy: StrategyRef,
        reading: Reading,
        version: u32,
        has_raw: bool,
    }
}

view! {
    SupplyPoint from SupplyRecord as s {
        reading_id: i64 = s.reading_id.0,
        taken_at: DateTime<Utc>,
        description: String,
        kind: String,
        color: Option<String>,
        level: Option<i32>,
        max: Option<i32>,
        percent: Option<u8>,
        state: quire_model::SupplyState,
        serial: Option<String>,
    }
}

view! {
    AlertView from AlertRecord as a {
        reading_id: i64 = a.reading_id.0,
        taken_at: DateTime<Utc>,
        index: u32,
        code: i32,
        severity: quire_model::AlertSeverity,
        group: Option<String>,
        description: Option<String>,
    }
}

view! {
    ReplacementView from ReplacementRecord as r {
        reading_id: i64 = r.reading_id.0,
        taken_at: DateTime<Utc>,
        index: u32,
        description: String,
        evidence: quire_protocol::ReplacementEvidence,
    }
}

/// The device list's query string: filters that must all hold, and the page.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct DeviceQuery {
    account_id: Option<i64>,
    site_id: Option<i64>,
    manufacturer: Option<String>,
    model: Option<String>,
    status: Option<DeviceStatus>,
    q: Option<String>,
    after: Option<i64>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// `GET /api/v1/devices`: the devices of the accounts the caller sees that match the
/// filters, by id, one page; visibility, filters and page are one SQL query.
pub(crate) async fn devices(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<DeviceQuery>,
) -> ApiResult<Json<Vec<DeviceView>>> {
    let page = page(query.limit, query.offset)?;
    let filter = DeviceFilter {
        account: query.account_id.map(AccountId),
        site: query.site_id.map(SiteId),
        manufacturer: query.manufacturer,
        model: query.model,
        status: query.status,
        text: query.q,
        after: query.after.map(DeviceId),
    };
    let devices = state
        .store
        .list_devices(caller.visibility, &filter, page)
        .await?;
    Ok(views(devices))
}

/// `GET /api/v1/devices/{device_id}`.
pub(crate) async fn device(Visible(device): Visible<Device>) -> Json<DeviceView> {
    Json(device.into())
}

/// `GET /api/v1/devices/{device_id}/readings?limit=&offset=` (newest first).
pub(crate) async fn readings(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<ReadingView>>> {
    Ok(views(
        state.store.readings(device.id, paging.page()?).await?,
    ))
}

/// `GET /api/v1/devices/{device_id}/supplies/{index}?limit=&offset=`: one supply's
/// history, oldest first.
pub(crate) async fn supply_history(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    Path((_, index)): Path<(i64, u32)>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<SupplyPoint>>> {
    let page = paging.page()?;
    Ok(views(
        state.store.supply_history(device.id, index, page).await?,
    ))
}

/// `GET /api/v1/devices/{device_id}/alerts?limit=&offset=`: the alert rows over time,
/// oldest first.
pub(crate) async fn alerts(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<AlertView>>> {
    Ok(views(
        state.store.alert_history(device.id, paging.page()?).await?,
    ))
}

/// `GET /api/v1/devices/{device_id}/supply-replacements?limit=&offset=`, oldest first.
pub(crate) async fn replacements(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<ReplacementView>>> {
    let page = paging.page()?;
    Ok(views(
        state.store.supply_replacements(device.id, page).await?,
    ))
}
