//! A device's supplies through the API: each position's cartridges with the pages they
//! printed and their yield beside the rated one, when each current cartridge runs out
//! (worked out on request, see [`crate::supplies`]), the supplies of every visible
//! device that run out soon (as the calculated-values job last filed them), and what
//! the readings cannot show — the cartridges a dealer ordered, shipped and installed,
//! and the pages each part number is rated for.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use quire_protocol::ApiError;
use quire_store::{Account, Device, NewSupplyEvent, RatedYield};
use quire_usage::{SupplyEventKind, SupplyHistory, SupplyPosition};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, Body, Failure};
use crate::state::AppState;
use crate::stored;
use crate::supplies::{Inputs, PositionForecast, SupplyForecasts, event_kind};

use super::{Caller, ListQuery, Paging, Visible, views};

/// Rated yields one account may set: far more part numbers than a dealer's range.
const MAX_RATED_YIELDS: usize = 1_000;

/// The most pages a part may be rated for: fusers and transfer belts, the longest-lived
/// parts, are rated a few hundred thousand; more is a typing error.
const MAX_RATED_PAGES: u64 = 10_000_000;

/// Longest part number accepted.
const MAX_PART_CHARS: usize = 100;

/// Longest note on a supply event.
const MAX_NOTE_CHARS: usize = 1_000;

/// The most cartridges one supply event may count.
const MAX_QUANTITY: u32 = 10_000;

/// How far ahead of the server's clock an event may be dated: clocks differ, but an
/// order placed tomorrow has not happened.
const FUTURE_SLACK: TimeDelta = TimeDelta::days(1);

/// An order, shipment or install to record for one of a device's supply positions.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewSupplyEventBody {
    /// The position it is for, as the history names it (`{"kind": "toner", "color":
    /// "black", "rank": 1}`).
    pub position: SupplyPosition,
    /// `ordered`, `shipped` or `installed`. An install is what an alert-logic plugin
    /// counts a part the device does not report from (a maintenance kit at the position
    /// `{"kind": "maintenance-kit", "rank": 1}`); where the device reports the position,
    /// its readings show installs and the supply history leaves the record out.
    pub kind: SupplyEventKind,
    /// The part ordered, shipped or installed.
    pub part_number: String,
    /// How many, at least 1.
    pub quantity: u32,
    /// When it happened, RFC 3339.
    pub at: DateTime<Utc>,
    /// An order number, a carrier.
    #[serde(default)]
    pub note: Option<String>,
}

view! {
    /// An order, shipment or install as recorded.
    SupplyEventView from quire_store::SupplyEvent as r {
        /// Its id.
        id: i64 = r.id.0,
        /// The device.
        device_id: i64 = r.device_id.0,
        /// The position it is for.
        position: SupplyPosition = SupplyPosition {
            kind: r.supply_kind,
            color: r.supply_color,
            rank: r.supply_rank,
        },
        /// `ordered`, `shipped` or `installed`.
        kind: SupplyEventKind = event_kind(r.kind),
        /// The part.
        part_number: String,
        /// How many.
        quantity: u32,
        /// When it happened.
        at: DateTime<Utc>,
        /// The dealer's note.
        note: Option<String>,
        /// When it was recorded.
        recorded_at: DateTime<Utc>,
    }
}

/// The pages one part number is rated for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RatedYieldView {
    /// The part number, as devices report it and orders name it (`TK-5240K`).
    pub part_number: String,
    /// Its rated pages (ISO/IEC 19752 or 19798), 1 to 10,000,000.
    pub rated_pages: u64,
}

fn stored_kind(kind: SupplyEventKind) -> quire_store::SupplyEventKind {
    match kind {
        SupplyEventKind::Ordered => quire_store::SupplyEventKind::Ordered,
        SupplyEventKind::Shipped => quire_store::SupplyEventKind::Shipped,
        SupplyEventKind::Installed => quire_store::SupplyEventKind::Installed,
    }
}

/// `GET /api/v1/devices/{device_id}/supplies/history`.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/supplies/history", tag = "supplies",
    params(("device_id" = i64, Path)),
    responses((status = 200, description = "Each supply position's cartridges over the last 400 days: install evidence, orders and shipments, pages printed, and the yield of each spent one beside its rated yield", body = SupplyHistory)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
) -> ApiResult<Json<SupplyHistory>> {
    let now = Utc::now();
    Ok(Json(inputs_of(&state, &device, now).await?.history(now)))
}

/// `GET /api/v1/devices/{device_id}/supplies/forecast`.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/supplies/forecast", tag = "supplies",
    params(("device_id" = i64, Path)),
    responses((status = 200, description = "For each supply position, when its current cartridge runs out with an 80 % interval, or why that cannot be said", body = SupplyForecasts)))]
pub(crate) async fn forecasts(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
) -> ApiResult<Json<SupplyForecasts>> {
    let now = Utc::now();
    let positions = inputs_of(&state, &device, now).await?.forecasts(now);
    Ok(Json(SupplyForecasts {
        device_id: device.id.0,
        at: now,
        positions,
    }))
}

/// One device's supply inputs as of `now`.
async fn inputs_of(state: &AppState, device: &Device, now: DateTime<Utc>) -> ApiResult<Inputs> {
    let mut inputs = Inputs::load(&state.store, &[device.id], now).await?;
    Ok(inputs.pop().unwrap_or_default())
}

/// `GET /api/v1/devices/{device_id}/supplies/events?limit=&offset=`.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/supplies/events", tag = "supplies",
    params(("device_id" = i64, Path), Paging),
    responses((status = 200, description = "The orders, shipments and installs recorded for the device's supplies, by when they happened", body = Vec<SupplyEventView>)))]
pub(crate) async fn events(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<SupplyEventView>>> {
    let page = paging.page()?;
    Ok(views(state.store.supply_events(device.id, page).await?))
}

/// `POST /api/v1/devices/{device_id}/supplies/events`: records an order, shipment or
/// install; the history attaches an order or shipment to the next cartridge installed at
/// its position.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/supplies/events", tag = "supplies",
    params(("device_id" = i64, Path)), request_body = NewSupplyEventBody,
    responses(
        (status = 201, description = "The event as recorded", body = SupplyEventView),
        (status = 400, description = "A field is wrong; the answer names it", body = ApiError),
        (status = 403, description = "Account users cannot record orders", body = ApiError),
    ))]
pub(crate) async fn add_event(
    State(state): State<AppState>,
    caller: Caller,
    Visible(device): Visible<Device>,
    Body(body): Body<NewSupplyEventBody>,
) -> ApiResult<(StatusCode, Json<SupplyEventView>)> {
    caller.dealer("record supply orders")?;
    let now = Utc::now();
    let kind = body.position.kind.trim().to_lowercase();
    if kind.is_empty() {
        return Err(Failure::invalid(
            "position.kind",
            "the supply kind is empty",
        ));
    }
    let color = body
        .position
        .color
        .as_deref()
        .map(|c| c.trim().to_lowercase())
        .filter(|c| !c.is_empty());
    if body.position.rank == 0 {
        return Err(Failure::invalid(
            "position.rank",
            "ranks count from 1 (the first supply of its kind and colour)",
        ));
    }
    let part_number = checked_part("part-number", &body.part_number)?;
    if !(1..=MAX_QUANTITY).contains(&body.quantity) {
        return Err(Failure::invalid(
            "quantity",
            format!("{} is not between 1 and {MAX_QUANTITY}", body.quantity),
        ));
    }
    if body.at > now + FUTURE_SLACK {
        return Err(Failure::invalid(
            "at",
            format!("{} is in the future", body.at),
        ));
    }
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(Failure::invalid(
            "note",
            format!("a note has at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let event = state
        .store
        .add_supply_event(
            device.id,
            &NewSupplyEvent {
                supply_kind: &kind,
                supply_color: color.as_deref(),
                supply_rank: body.position.rank,
                kind: stored_kind(body.kind),
                part_number,
                quantity: body.quantity,
                at: body.at,
                note,
            },
            now,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(event.into())))
}

/// The most days ahead "running out" looks: a forecast further out is a guess.
const MAX_WITHIN_DAYS: u32 = 365;

/// The running-out list's query string.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RunningOutQuery {
    /// Supplies forecast to run out within this many days from now: 1 to 365, 14 when
    /// not given. Those empty already are refused a forecast and not listed; the
    /// device's alerts show them.
    within_days: Option<u32>,
    /// Rows of the page: 1 to 1000, 100 when not given.
    limit: Option<u32>,
    /// Rows skipped before the page.
    offset: Option<u64>,
}

/// A supply that runs out soon, as the calculated-values job last forecast it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RunningOut {
    /// The device.
    pub device_id: i64,
    /// Its account.
    pub account_id: i64,
    /// When the forecast was made; the job runs hourly unless configured otherwise.
    pub computed_at: DateTime<Utc>,
    /// The supply and its forecast.
    pub supply: PositionForecast,
}

/// `GET /api/v1/supplies/running-out?within-days=&limit=&offset=`.
#[utoipa::path(get, path = "/api/v1/supplies/running-out", tag = "supplies", params(RunningOutQuery),
    responses(
        (status = 200, description = "The supplies of the devices the caller sees that are forecast to run out within the days asked, soonest first", body = Vec<RunningOut>),
        (status = 400, description = "A parameter is wrong; the answer names it", body = ApiError),
    ))]
pub(crate) async fn running_out(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<RunningOutQuery>,
) -> ApiResult<Json<Vec<RunningOut>>> {
    let page = super::page(query.limit, query.offset)?;
    let within = query.within_days.unwrap_or(14);
    if !(1..=MAX_WITHIN_DAYS).contains(&within) {
        return Err(Failure::invalid(
            "within-days",
            format!("{within} is not between 1 and {MAX_WITHIN_DAYS}"),
        ));
    }
    let before = Utc::now() + TimeDelta::days(i64::from(within));
    let rows = state
        .store
        .running_out(caller.visibility, before, page)
        .await?;
    let list = rows
        .into_iter()
        .map(|row| {
            let what = format!("{} supply {}", row.device_id, row.index);
            let supply = stored::read("supply_forecasts.detail", what, row.detail)?;
            Ok(RunningOut {
                device_id: row.device_id.0,
                account_id: row.account_id.0,
                computed_at: row.computed_at,
                supply,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Json(list))
}

/// A part number trimmed, refused naming `field` when empty or too long.
fn checked_part<'a>(field: &str, part: &'a str) -> ApiResult<&'a str> {
    let part = part.trim();
    if part.is_empty() {
        return Err(Failure::invalid(field, "the part number is empty"));
    }
    if part.chars().count() > MAX_PART_CHARS {
        return Err(Failure::invalid(
            field,
            format!("a part number has at most {MAX_PART_CHARS} characters"),
        ));
    }
    Ok(part)
}

/// The rated yields of a body, refused naming the first bad row's field
/// (`[1].rated-pages`).
fn checked_yields(list: Vec<RatedYieldView>) -> ApiResult<Vec<RatedYield>> {
    if list.len() > MAX_RATED_YIELDS {
        return Err(Failure::invalid(
            &format!("[{MAX_RATED_YIELDS}]"),
            format!(
                "{} rated yields given; one account sets at most {MAX_RATED_YIELDS}",
                list.len()
            ),
        ));
    }
    let mut yields: Vec<RatedYield> = Vec::with_capacity(list.len());
    for (index, rated) in list.iter().enumerate() {
        let field = |name: &str| format!("[{index}].{name}");
        let part = checked_part(&field("part-number"), &rated.part_number)?;
        if let Some(first) = yields.iter().position(|y| y.part_number == part) {
            return Err(Failure::invalid(
                &field("part-number"),
                format!("{part} is rated already, by [{first}]"),
            ));
        }
        if !(1..=MAX_RATED_PAGES).contains(&rated.rated_pages) {
            return Err(Failure::invalid(
                &field("rated-pages"),
                format!(
                    "{} is not between 1 and {MAX_RATED_PAGES}",
                    rated.rated_pages
                ),
            ));
        }
        yields.push(RatedYield {
            part_number: part.to_owned(),
            rated_pages: rated.rated_pages,
        });
    }
    Ok(yields)
}

fn yield_views(yields: Vec<RatedYield>) -> Json<Vec<RatedYieldView>> {
    Json(
        yields
            .into_iter()
            .map(|y| RatedYieldView {
                part_number: y.part_number,
                rated_pages: y.rated_pages,
            })
            .collect(),
    )
}

/// `GET /api/v1/accounts/{account_id}/rated-yields`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/rated-yields", tag = "supplies",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "The rated yields the account's devices are measured against, by part number", body = Vec<RatedYieldView>)))]
pub(crate) async fn rated_yields(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<RatedYieldView>>> {
    Ok(yield_views(state.store.rated_yields(account.id).await?))
}

/// `PUT /api/v1/accounts/{account_id}/rated-yields`: the account's rated yields, in
/// place of its old ones. One bad row refuses the list, naming it, and nothing is
/// stored.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/rated-yields", tag = "supplies",
    params(("account_id" = i64, Path)), request_body = Vec<RatedYieldView>,
    responses(
        (status = 200, description = "The account's rated yields as stored, by part number", body = Vec<RatedYieldView>),
        (status = 400, description = "A row is wrong; the answer names it", body = ApiError),
        (status = 403, description = "Account users cannot set rated yields", body = ApiError),
    ))]
pub(crate) async fn set_rated_yields(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
    Body(list): Body<Vec<RatedYieldView>>,
) -> ApiResult<Json<Vec<RatedYieldView>>> {
    caller.dealer("set rated yields")?;
    state
        .store
        .set_rated_yields(account.id, &checked_yields(list)?)
        .await?;
    Ok(yield_views(state.store.rated_yields(account.id).await?))
}
