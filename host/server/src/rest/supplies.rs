//! A device's supplies as the person who buys them sees them: each position's
//! cartridges with the pages they printed and their yield beside the rated one, when
//! each current cartridge runs out, and what the readings cannot show — the cartridges a
//! dealer ordered and shipped, and the pages each part number is rated for.
//!
//! The arithmetic is `quire-usage`'s ([`supply_history`], [`forecast`]); this module
//! reads its inputs and answers. Levels come from the daily level summaries, kept for
//! ever, not from the readings: a year of hourly readings is one or two samples a day.
//! Each UTC day of a position gives its first reading's level and its last reading's
//! (one sample when they are the same reading). Only the last reading's serial, part
//! number and state are summarised, so the first sample carries the serial only where
//! the day before ended on the same one (the cartridge did not change overnight), and
//! otherwise none, which lets a level jump at the first reading still show an
//! overnight replacement. A day's lowest level has no time and is not a sample. An
//! agent's reported replacement is placed at the day's sample at or after its reading.
//! Pages are the daily meters' (see `meter-reads`), corrected for resets and rollovers.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use quire_model::{Supply, SupplyState};
use quire_protocol::ApiError;
use quire_store::{
    Account, DailyLevel, Device, NewSupplyEvent, Page, RatedYield, ReplacementRecord,
};
use quire_usage::{
    CumulativePages, HistoryInput, LevelSample, ReportedReplacement, SuppliesRead, SupplyEvent,
    SupplyEventKind, SupplyForecast, SupplyHistory, SupplyPosition, forecast, supply_history,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::state::AppState;

use super::{Caller, ListQuery, Paging, Visible, views};

/// How far back a history reaches: the summaries are kept for ever, but a year and a
/// bit holds every cartridge still in question (the longest-lived drums last about
/// that), while one call cannot read a decade.
const HISTORY_DAYS: i64 = 400;

/// Rated yields one account may set: far more part numbers than a dealer's range.
const MAX_RATED_YIELDS: usize = 1_000;

/// The most pages a part may be rated for: fusers and transfer belts, the longest-lived
/// parts, are rated a few hundred thousand; more is a typing error.
const MAX_RATED_PAGES: u64 = 10_000_000;

/// Longest part number accepted.
const MAX_PART_CHARS: usize = 100;

/// Longest note on an order or shipment.
const MAX_NOTE_CHARS: usize = 1_000;

/// The most cartridges one order or shipment may count.
const MAX_QUANTITY: u32 = 10_000;

/// How far ahead of the server's clock an event may be dated: clocks differ, but an
/// order placed tomorrow has not happened.
const FUTURE_SLACK: TimeDelta = TimeDelta::days(1);

/// Where one position's current cartridge runs out, or why that cannot be said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PositionForecast {
    /// The position.
    pub position: SupplyPosition,
    /// Its row index in the latest reading.
    pub index: u32,
    /// Its description in the latest reading.
    pub description: String,
    /// When the cartridge forecast was installed, or first seen.
    pub cartridge_since: DateTime<Utc>,
    /// That cartridge's part number, where known.
    pub part_number: Option<String>,
    /// The forecast, or the refusal with its reason.
    pub forecast: SupplyForecast,
}

/// When each of a device's supplies runs out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SupplyForecasts {
    /// The device.
    pub device_id: i64,
    /// When it was worked out: only what was known then was used.
    pub at: DateTime<Utc>,
    /// One per position, in position order.
    pub positions: Vec<PositionForecast>,
}

/// An order or shipment to record for one of a device's supply positions.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewSupplyEventBody {
    /// The position it is for, as the history names it (`{"kind": "toner", "color":
    /// "black", "rank": 1}`).
    pub position: SupplyPosition,
    /// `ordered` or `shipped`.
    pub kind: SupplyEventKind,
    /// The part ordered or shipped.
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
    /// An order or shipment as recorded.
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
        /// `ordered` or `shipped`.
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

fn event_kind(kind: quire_store::SupplyEventKind) -> SupplyEventKind {
    match kind {
        quire_store::SupplyEventKind::Ordered => SupplyEventKind::Ordered,
        quire_store::SupplyEventKind::Shipped => SupplyEventKind::Shipped,
    }
}

fn stored_kind(kind: SupplyEventKind) -> quire_store::SupplyEventKind {
    match kind {
        SupplyEventKind::Ordered => quire_store::SupplyEventKind::Ordered,
        SupplyEventKind::Shipped => quire_store::SupplyEventKind::Shipped,
    }
}

/// Everything a device's supply history is built from, read in five queries.
struct Inputs {
    /// The daily levels as readings, in time order.
    reads: Vec<(DateTime<Utc>, Vec<Supply>)>,
    events: Vec<SupplyEvent>,
    reported: Vec<ReportedReplacement>,
    pages: CumulativePages,
    rated_yields: BTreeMap<String, u64>,
}

impl Inputs {
    /// The device's inputs of the last [`HISTORY_DAYS`] before `now`. Not bounded by
    /// its `first-seen`: that is its first reading filed, and an agent's queue may file
    /// older ones after it; no summary predates the device's oldest reading anyway.
    async fn load(state: &AppState, device: &Device, now: DateTime<Utc>) -> ApiResult<Inputs> {
        let from = now - TimeDelta::days(HISTORY_DAYS);
        let first_day = from.date_naive();
        let levels = state
            .store
            .daily_levels(&[device.id], first_day..=now.date_naive())
            .await?;
        let reported = state
            .store
            .supply_replacements(device.id, Page::ALL)
            .await?
            .iter()
            .filter(|r| r.taken_at.date_naive() >= first_day)
            .map(|r| placed(r, &levels))
            .collect();
        let events = state
            .store
            .supply_events(device.id, Page::ALL)
            .await?
            .into_iter()
            .map(|e| SupplyEvent {
                position: SupplyPosition {
                    kind: e.supply_kind,
                    color: e.supply_color,
                    rank: e.supply_rank,
                },
                at: e.at,
                kind: event_kind(e.kind),
                part_number: Some(e.part_number),
            })
            .collect();
        let samples = state.store.counter_samples(&[device.id], from, now).await?;
        let pages = CumulativePages::counted(&crate::pages::pages_of(device.id, &samples));
        let rated_yields = state
            .store
            .rated_yields(device.account_id)
            .await?
            .into_iter()
            .map(|y| (y.part_number, y.rated_pages))
            .collect();
        Ok(Inputs {
            reads: day_reads(levels),
            events,
            reported,
            pages,
            rated_yields,
        })
    }

    fn history(&self, now: DateTime<Utc>) -> SupplyHistory {
        let reads: Vec<SuppliesRead<'_>> = self
            .reads
            .iter()
            .map(|(taken_at, supplies)| SuppliesRead {
                taken_at: *taken_at,
                supplies,
            })
            .collect();
        supply_history(
            &HistoryInput {
                readings: &reads,
                events: &self.events,
                reported: &self.reported,
                pages: &self.pages,
                rated_yields: &self.rated_yields,
            },
            now,
        )
    }

    /// The levels of `position` read from `since` on.
    fn levels(&self, position: &SupplyPosition, since: DateTime<Utc>) -> Vec<LevelSample> {
        self.reads
            .iter()
            .filter(|(taken_at, _)| *taken_at >= since)
            .filter_map(|(taken_at, supplies)| {
                let at = SupplyPosition::of(supplies)
                    .iter()
                    .position(|p| p == position)?;
                Some(LevelSample::of(*taken_at, &supplies[at]))
            })
            .collect()
    }
}

/// The daily levels (by day, then index) as readings: each day's first and last sample
/// of each supply, those taken at one instant together (see the module doc).
fn day_reads(levels: Vec<DailyLevel>) -> Vec<(DateTime<Utc>, Vec<Supply>)> {
    let mut reads: BTreeMap<DateTime<Utc>, Vec<Supply>> = BTreeMap::new();
    let mut ended_on: HashMap<u32, Option<String>> = HashMap::new();
    for level in levels {
        let supply = |percent: Option<u8>, state, serial, part_number| Supply {
            index: level.index,
            description: level.description.clone(),
            kind: level.kind.clone(),
            color: level.color.clone(),
            unit: None,
            level: None,
            max: None,
            percent,
            state,
            serial,
            part_number,
        };
        if level.first_at < level.last_at {
            let overnight_same = level.last_serial.is_some()
                && ended_on.get(&level.index) == Some(&level.last_serial);
            let state = match level.first_percent {
                Some(0) => SupplyState::Empty,
                Some(_) => SupplyState::Ok,
                None => SupplyState::Unknown,
            };
            let serial = level.last_serial.clone().filter(|_| overnight_same);
            reads.entry(level.first_at).or_default().push(supply(
                level.first_percent,
                state,
                serial,
                None,
            ));
        }
        reads.entry(level.last_at).or_default().push(supply(
            level.last_percent,
            level.last_state,
            level.last_serial.clone(),
            level.last_part_number.clone(),
        ));
        ended_on.insert(level.index, level.last_serial);
    }
    reads.into_iter().collect()
}

/// A reported replacement at the sample of its day that stands for its reading: the
/// first where it is the day's first reading, else the last. A report whose day has no
/// summary of its supply is passed as it was, and the history names it as an issue.
fn placed(report: &ReplacementRecord, levels: &[DailyLevel]) -> ReportedReplacement {
    let day = levels
        .iter()
        .find(|l| l.index == report.index && l.day == report.taken_at.date_naive());
    ReportedReplacement {
        taken_at: match day {
            Some(day) if report.taken_at <= day.first_at => day.first_at,
            Some(day) => day.last_at,
            None => report.taken_at,
        },
        index: report.index,
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
    let inputs = Inputs::load(&state, &device, now).await?;
    Ok(Json(inputs.history(now)))
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
    let inputs = Inputs::load(&state, &device, now).await?;
    let positions = inputs
        .history(now)
        .positions
        .into_iter()
        .filter_map(|position| {
            let current = position.cartridges.last()?;
            let levels = inputs.levels(&position.position, current.since);
            let usage = inputs.pages.series(current.counter);
            let usage = (!usage.is_empty()).then_some(usage);
            Some(PositionForecast {
                forecast: forecast(&levels, usage, now),
                cartridge_since: current.since,
                part_number: current.part_number.clone(),
                position: position.position,
                index: position.index,
                description: position.description,
            })
        })
        .collect();
    Ok(Json(SupplyForecasts {
        device_id: device.id.0,
        at: now,
        positions,
    }))
}

/// `GET /api/v1/devices/{device_id}/supplies/events?limit=&offset=`.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/supplies/events", tag = "supplies",
    params(("device_id" = i64, Path), Paging),
    responses((status = 200, description = "The orders and shipments recorded for the device's supplies, by when they happened", body = Vec<SupplyEventView>)))]
pub(crate) async fn events(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<SupplyEventView>>> {
    let page = paging.page()?;
    Ok(views(state.store.supply_events(device.id, page).await?))
}

/// `POST /api/v1/devices/{device_id}/supplies/events`: records an order or shipment;
/// the history attaches it to the next cartridge installed at its position.
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
            format!("{} is outside 1..={MAX_QUANTITY}", body.quantity),
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
                format!("{} is outside 1..={MAX_RATED_PAGES}", rated.rated_pages),
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

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use quire_store::DeviceId;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn level(
        day: u32,
        (first_hour, first): (u32, u8),
        (last_hour, last): (u32, u8),
        serial: &str,
    ) -> DailyLevel {
        DailyLevel {
            device_id: DeviceId(1),
            day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            index: 1,
            kind: "toner".into(),
            color: Some("black".into()),
            description: "TK-5240K".into(),
            first_at: at(day, first_hour),
            first_percent: Some(first),
            last_at: at(day, last_hour),
            last_percent: Some(last),
            min_percent: Some(last),
            last_state: SupplyState::Ok,
            last_serial: Some(serial.into()),
            last_part_number: None,
        }
    }

    #[test]
    fn a_first_sample_keeps_the_serial_only_where_the_night_did_not_change_it() {
        // Day 2 starts on the same cartridge as day 1 ended; day 3 starts on a new one
        // (a jump from 40 to 100 overnight), whose serial the first sample cannot know.
        let reads = day_reads(vec![
            level(1, (8, 45), (18, 42), "A"),
            level(2, (8, 42), (18, 40), "A"),
            level(3, (8, 100), (18, 98), "B"),
        ]);
        let serials: Vec<(DateTime<Utc>, Option<&str>)> = reads
            .iter()
            .map(|(t, s)| (*t, s[0].serial.as_deref()))
            .collect();
        assert_eq!(
            serials,
            [
                (at(1, 8), None),
                (at(1, 18), Some("A")),
                (at(2, 8), Some("A")),
                (at(2, 18), Some("A")),
                (at(3, 8), None),
                (at(3, 18), Some("B")),
            ]
        );
    }

    #[test]
    fn a_reported_replacement_is_placed_at_its_days_sample() {
        let levels = [level(1, (8, 45), (18, 42), "A")];
        let report = |hour| ReplacementRecord {
            reading_id: quire_store::ReadingId(1),
            taken_at: at(1, hour),
            index: 1,
            description: "TK-5240K".into(),
            evidence: quire_protocol::ReplacementEvidence::LevelJump {
                before: 5,
                after: 100,
            },
        };
        let placed_at = |hour| placed(&report(hour), &levels).taken_at;
        assert_eq!(placed_at(8), at(1, 8), "the day's first reading");
        assert_eq!(placed_at(12), at(1, 18), "a reading in the day");
        let other_day = ReplacementRecord {
            taken_at: at(2, 9),
            ..report(8)
        };
        assert_eq!(
            placed(&other_day, &levels).taken_at,
            at(2, 9),
            "no summary: as reported"
        );
    }
}
