//! The fleet list the console's first page shows: devices with their account and site
//! names, latest supply levels and open ASM events, sorted by the server, and the counts
//! above the table, for the same filters in one answer.

use axum::Json;
use axum::extract::State;
use quire_model::{DeviceStatus, SupplyState};
use quire_store::{
    AccountId, DeviceFilter, DeviceId, FleetCounts, FleetRow, FleetSortKey, FleetSupply, SiteId,
};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::state::AppState;

use super::devices::DeviceView;
use super::{Caller, ListQuery, page};

view! {
    /// A supply as the device's latest day of levels left it.
    FleetSupplyView from FleetSupply as s {
        index: u32,
        kind: String,
        color: Option<String>,
        description: String,
        /// Percent left, when the device gave a level.
        percent: Option<u8>,
        state: SupplyState,
    }
}

view! {
    /// A device as the fleet table shows it.
    FleetRowView from FleetRow as r {
        device: DeviceView = r.device.into(),
        account_name: String,
        site_name: Option<String>,
        /// Its supplies by index, each as its latest day of levels left it.
        supplies: Vec<FleetSupplyView> = r.supplies.into_iter().map(FleetSupplyView::from).collect(),
        /// Its open ASM alert events.
        open_alerts: u64,
    }
}

view! {
    /// How many of the devices the filters select (every page together) are in each state.
    FleetCountsView from FleetCounts as c {
        devices: u64,
        /// Whose latest status is down.
        down: u64,
        /// With a condition on the maintenance dashboard.
        needing_service: u64,
        /// With a supply whose latest level is low or empty.
        supplies_low: u64,
    }
}

/// One page of the fleet and the counts over all its pages.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct FleetView {
    pub counts: FleetCountsView,
    pub devices: Vec<FleetRowView>,
}

/// Which way the fleet is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// The fleet list's query string: the device list's filters, the order and the page.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FleetQuery {
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
    /// What the rows are ordered by (ties by id); `id` when not given.
    #[param(inline)]
    sort: Option<FleetSortKey>,
    /// `asc` when not given.
    #[param(inline)]
    order: Option<SortOrder>,
    /// Rows of the page: 1 to 1000, 100 when not given.
    limit: Option<u32>,
    /// Rows skipped before the page.
    offset: Option<u64>,
}

/// `GET /api/v1/fleet`: a page of the devices of the accounts the caller sees that match
/// the filters, sorted as asked, with the counts over every page; visibility, filters,
/// order and page are applied in SQL.
#[utoipa::path(get, path = "/api/v1/fleet", tag = "devices", params(FleetQuery),
    responses((status = 200, description = "A page of the devices the user sees that match every filter given, and the counts over all of them", body = FleetView)))]
pub(crate) async fn fleet(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<FleetQuery>,
) -> ApiResult<Json<FleetView>> {
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
        after: None::<DeviceId>,
    };
    let descending = query.order == Some(SortOrder::Desc);
    let sort = query.sort.unwrap_or_default();
    let (rows, counts) = tokio::try_join!(
        state
            .store
            .fleet(caller.visibility, &filter, sort, descending, page),
        state.store.fleet_counts(caller.visibility, &filter),
    )?;
    Ok(Json(FleetView {
        counts: counts.into(),
        devices: rows.into_iter().map(FleetRowView::from).collect(),
    }))
}
