//! Devices and what was read from them: readings, supply history, alerts, replacements.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use quire_model::{Cycle, DeviceStatus, Reading, StrategyRef};
use quire_store::{AccountId, Device, DeviceFilter, DeviceId, SiteId};
use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::state::AppState;

use super::{Caller, ListQuery, Paging, views};

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct DeviceView {
    id: i64,
    account_id: i64,
    site_id: Option<i64>,
    serial: Option<String>,
    mac: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    strategy: Option<StrategyRef>,
    status: Option<DeviceStatus>,
    addresses: Vec<AddressView>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AddressView {
    address: String,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> Self {
        DeviceView {
            id: d.id.0,
            account_id: d.account_id.0,
            site_id: d.site_id.map(|s| s.0),
            serial: d.serial,
            mac: d.mac,
            manufacturer: d.manufacturer,
            model: d.model,
            first_seen: d.first_seen,
            last_seen: d.last_seen,
            strategy: d.strategy,
            status: d.status,
            addresses: d
                .addresses
                .into_iter()
                .map(|a| AddressView {
                    address: a.address,
                    first_seen: a.first_seen,
                    last_seen: a.last_seen,
                })
                .collect(),
        }
    }
}

pub(super) async fn visible_device(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<Device> {
    let id = DeviceId(id);
    let device = state.store.device(id).await?;
    caller.require(state, device.account_id, id).await?;
    Ok(device)
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
    let page = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .page()?;
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
pub(crate) async fn device(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(visible_device(&state, &caller, id).await?.into()))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ReadingView {
    id: i64,
    taken_at: DateTime<Utc>,
    cycle: Cycle,
    strategy: StrategyRef,
    reading: Reading,
    version: u32,
    has_raw: bool,
}

/// `GET /api/v1/devices/{device_id}/readings?limit=&offset=` (newest first).
pub(crate) async fn readings(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<ReadingView>>> {
    let device = visible_device(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .readings(device.id, paging.page()?)
            .await?
            .into_iter()
            .map(|r| ReadingView {
                id: r.id.0,
                taken_at: r.taken_at,
                cycle: r.cycle,
                strategy: r.strategy,
                reading: r.reading,
                version: r.version,
                has_raw: r.has_raw,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct SupplyPoint {
    reading_id: i64,
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

/// `GET /api/v1/devices/{device_id}/supplies/{index}?limit=&offset=`: one supply's
/// history, oldest first.
pub(crate) async fn supply_history(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, index)): Path<(i64, u32)>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<SupplyPoint>>> {
    let device = visible_device(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .supply_history(device.id, index, paging.page()?)
            .await?
            .into_iter()
            .map(|s| SupplyPoint {
                reading_id: s.reading_id.0,
                taken_at: s.taken_at,
                description: s.description,
                kind: s.kind,
                color: s.color,
                level: s.level,
                max: s.max,
                percent: s.percent,
                state: s.state,
                serial: s.serial,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AlertView {
    reading_id: i64,
    taken_at: DateTime<Utc>,
    index: u32,
    code: i32,
    severity: quire_model::AlertSeverity,
    group: Option<String>,
    description: Option<String>,
}

/// `GET /api/v1/devices/{device_id}/alerts?limit=&offset=`: the alert rows over time,
/// oldest first.
pub(crate) async fn alerts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<AlertView>>> {
    let device = visible_device(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .alert_history(device.id, paging.page()?)
            .await?
            .into_iter()
            .map(|a| AlertView {
                reading_id: a.reading_id.0,
                taken_at: a.taken_at,
                index: a.index,
                code: a.code,
                severity: a.severity,
                group: a.group,
                description: a.description,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ReplacementView {
    reading_id: i64,
    taken_at: DateTime<Utc>,
    index: u32,
    description: String,
    evidence: quire_protocol::ReplacementEvidence,
}

/// `GET /api/v1/devices/{device_id}/supply-replacements?limit=&offset=`, oldest first.
pub(crate) async fn replacements(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<ReplacementView>>> {
    let device = visible_device(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .supply_replacements(device.id, paging.page()?)
            .await?
            .into_iter()
            .map(|r| ReplacementView {
                reading_id: r.reading_id.0,
                taken_at: r.taken_at,
                index: r.index,
                description: r.description,
                evidence: r.evidence,
            })
            .collect(),
    ))
}
