//! Devices and what was read from them: readings, supply history, alerts, replacements.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use quire_model::{Cycle, DeviceStatus, ErrorAssessment, Reading, StrategyRef};
use quire_store::{
    AccountId, AlertRecord, Device, DeviceAddress, DeviceFilter, DeviceId, ReadingId,
    ReplacementRecord, SiteId, StoredReading, SupplyRecord,
};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::state::AppState;

use super::{Caller, ListQuery, Paging, Visible, page, views};

view! {
    /// A device with the addresses it answered on.
    DeviceView from Device as d {
        id: i64 = d.id.0,
        account_id: i64 = d.account_id.0,
        site_id: Option<i64> = d.site_id.map(|s| s.0),
        /// The contract it is on, if any.
        contract_id: Option<i64> = d.contract_id.map(|c| c.0),
        serial: Option<String>,
        mac: Option<String>,
        manufacturer: Option<String>,
        model: Option<String>,
        first_seen: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        /// The strategy of its latest reading.
        strategy: Option<StrategyRef>,
        /// hrDeviceStatus of its latest reading.
        status: Option<DeviceStatus>,
        addresses: Vec<AddressView> = d.addresses.into_iter().map(AddressView::from).collect(),
    }
}

view! {
    /// An address a device answered on, and when.
    AddressView from DeviceAddress as a {
        address: String,
        first_seen: DateTime<Utc>,
        last_seen: DateTime<Utc>,
    }
}

/// A stored reading, as its latest version reads it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ReadingView {
    pub id: i64,
    pub taken_at: DateTime<Utc>,
    pub cycle: Cycle,
    pub strategy: StrategyRef,
    pub reading: Reading,
    /// 1 for the agent's; later ones are re-readings.
    pub version: u32,
    /// Whether the read's exchange was kept, so it can be re-read.
    pub has_raw: bool,
    /// What the version's strategy (`map-error`) made of each alert row and error bit;
    /// empty when the reading was filed unjudged (by an agent older than assessments).
    #[serde(default)]
    pub assessments: Vec<ErrorAssessment>,
}

impl ReadingView {
    /// The view of `stored` with the assessments of its shown version out of `found`.
    pub(crate) fn new(
        stored: StoredReading,
        found: &mut HashMap<(ReadingId, u32), Vec<ErrorAssessment>>,
    ) -> ReadingView {
        ReadingView {
            assessments: found
                .remove(&(stored.id, stored.version))
                .unwrap_or_default(),
            id: stored.id.0,
            taken_at: stored.taken_at,
            cycle: stored.cycle,
            strategy: stored.strategy,
            reading: stored.reading,
            version: stored.version,
            has_raw: stored.has_raw,
        }
    }
}

view! {
    /// One supply's level in one reading.
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
    /// One row of a device's alert table in one reading.
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
    /// A supply an agent saw replaced, and why it thinks so.
    ReplacementView from ReplacementRecord as r {
        reading_id: i64 = r.reading_id.0,
        taken_at: DateTime<Utc>,
        index: u32,
        description: String,
        evidence: quire_protocol::ReplacementEvidence,
    }
}

/// The device list's query string: filters that must all hold, and the page.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeviceQuery {
    /// Only this account's devices.
    account_id: Option<i64>,
    /// Only this site's devices.
    site_id: Option<i64>,
    /// The manufacturer, exactly.
    manufacturer: Option<String>,
    /// The model, exactly.
    model: Option<String>,
    /// hrDeviceStatus of the latest reading.
    #[param(inline)]
    status: Option<DeviceStatus>,
    /// The name of the strategy that made the latest reading (`printer-mib`).
    strategy: Option<String>,
    /// Text found in the serial, MAC, model or an address.
    q: Option<String>,
    /// Only ids above this: the last id of the previous page, a cheaper `offset`.
    after: Option<i64>,
    /// Rows of the page: 1 to 1000, 100 when not given.
    limit: Option<u32>,
    /// Rows skipped before the page.
    offset: Option<u64>,
}

/// `GET /api/v1/devices`: the devices of the accounts the caller sees that match the
/// filters, by id, one page; visibility, filters and page are one SQL query.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", params(DeviceQuery),
    responses((status = 200, description = "Devices of the accounts the user sees that match every filter given, by id", body = Vec<DeviceView>)))]
pub(crate) async fn devices(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<DeviceQuery>,
) -> ApiResult<Json<Vec<DeviceView>>> {
    let page = page(query.limit, query.offset)?;
    let filter = DeviceFilter {
        account: query.account_id.map(AccountId),
        site: query.site_id.map(SiteId),
        contract: None,
        manufacturer: query.manufacturer,
        model: query.model,
        status: query.status,
        strategy: query.strategy,
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
#[utoipa::path(get, path = "/api/v1/devices/{device_id}", tag = "devices", params(("device_id" = i64, Path)),
    responses((status = 200, description = "One device with its addresses", body = DeviceView)))]
pub(crate) async fn device(Visible(device): Visible<Device>) -> Json<DeviceView> {
    Json(device.into())
}

/// `GET /api/v1/devices/{device_id}/readings?limit=&offset=` (newest first).
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/readings", tag = "devices", params(("device_id" = i64, Path), Paging),
    responses((status = 200, description = "The device's readings, newest first", body = Vec<ReadingView>)))]
pub(crate) async fn readings(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<ReadingView>>> {
    let readings = state.store.readings(device.id, paging.page()?).await?;
    let ids: Vec<ReadingId> = readings.iter().map(|r| r.id).collect();
    let mut found = state.store.assessments(&ids).await?;
    Ok(Json(
        readings
            .into_iter()
            .map(|stored| ReadingView::new(stored, &mut found))
            .collect(),
    ))
}

/// `GET /api/v1/devices/{device_id}/supplies/{index}?limit=&offset=`: one supply's
/// history, oldest first.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/supplies/{index}", tag = "devices",
    params(("device_id" = i64, Path), ("index" = u32, Path, description = "The supply's row index on the device"), Paging),
    responses((status = 200, description = "One supply's levels over time, oldest first", body = Vec<SupplyPoint>)))]
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
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/alerts", tag = "devices", params(("device_id" = i64, Path), Paging),
    responses((status = 200, description = "The device's alert rows over time, oldest first", body = Vec<AlertView>)))]
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
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/supply-replacements", tag = "devices", params(("device_id" = i64, Path), Paging),
    responses((status = 200, description = "Supplies the agents saw replaced, oldest first", body = Vec<ReplacementView>)))]
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
