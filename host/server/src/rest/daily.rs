//! A device's days: the pages it printed each local day, with what happened to its
//! counters, and each supply's levels each day — what a usage chart and a level graph
//! over months draw. Both come from the daily summaries, kept for ever, so a year is
//! one point per day and counter (or supply) however often the device was read.
//!
//! Its average daily and monthly volume are what the scheduled recompute last found
//! (`crate::calculated`), read back as stored.
//!
//! Pages are split over the days of the device's site time zone (its schedules' zone;
//! `tz` overrides it, UTC when neither is set) in proportion to time, so the days of an
//! interval sum to its pages exactly; a day no reading covers is absent, not zero.

use std::collections::BTreeMap;
use std::str::FromStr;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use quire_model::SupplyState;
use quire_store::{DailyLevel, Device};
use quire_usage::calculated::VolumeAverages;
use quire_usage::pages::{CounterDays, PageEvent, daily_pages};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Failure};
use crate::state::AppState;

use super::costs::period;
use super::{ListQuery, Visible};

/// A device's days query: the period, and for pages the time zone of its days.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DaysQuery {
    /// The period's start: an RFC 3339 instant or a date (midnight UTC); 30 days before
    /// `to` when not given.
    from: Option<String>,
    /// The period's end, not included, written as `from`; now when not given. At most
    /// 400 days after `from`.
    to: Option<String>,
    /// The IANA time zone whose days pages fall on (`Europe/Berlin`); the device's site's
    /// when not given, else UTC. Levels are by UTC day.
    tz: Option<String>,
}

/// A device's pages per local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PagesPerDay {
    /// The device.
    pub device_id: i64,
    /// The time zone the days are in.
    pub time_zone: String,
    /// The period's start.
    pub from: DateTime<Utc>,
    /// The period's end, not included.
    pub to: DateTime<Utc>,
    /// Each counter's days in the period.
    pub counters: Vec<CounterDays>,
    /// What happened to the counters (resets, rollovers, board swaps, implausible
    /// jumps, gaps), each with its evidence.
    pub events: Vec<PageEvent>,
}

/// One supply position's levels over one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LevelDay {
    /// The UTC day.
    pub day: NaiveDate,
    /// The percent of the day's first reading.
    pub first_percent: Option<u8>,
    /// The percent of the day's last reading.
    pub last_percent: Option<u8>,
    /// The lowest percent of the day.
    pub min_percent: Option<u8>,
    /// The level in words at the day's last reading.
    pub last_state: SupplyState,
    /// The cartridge serial at the day's last reading: a change is a new cartridge.
    pub serial: Option<String>,
}

/// One supply position over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SupplyDays {
    /// The device's row index of the supply.
    pub index: u32,
    /// Its kind (`toner`, `opc`, …), as last read.
    pub kind: String,
    /// Its colorant, as last read.
    pub color: Option<String>,
    /// The device's description, as last read.
    pub description: String,
    /// Its days, in order.
    pub days: Vec<LevelDay>,
}

/// A device's supply levels per day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LevelsPerDay {
    /// The device.
    pub device_id: i64,
    /// The period's start.
    pub from: DateTime<Utc>,
    /// The period's end, not included.
    pub to: DateTime<Utc>,
    /// By supply index.
    pub supplies: Vec<SupplyDays>,
}

/// `GET /api/v1/devices/{device_id}/pages-per-day?from=&to=&tz=`.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/pages-per-day", tag = "devices",
    params(("device_id" = i64, Path), DaysQuery),
    responses((status = 200, description = "The device's pages per local day, per counter, with its counters' events", body = PagesPerDay)))]
pub(crate) async fn pages_per_day(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(query): ListQuery<DaysQuery>,
) -> ApiResult<Json<PagesPerDay>> {
    let (from, to) = period(query.from.as_deref(), query.to.as_deref(), Utc::now())?;
    let zone = zone(&state, &device, query.tz.as_deref()).await?;
    let samples = state.store.counter_samples(&[device.id], from, to).await?;
    let pages = crate::pages::pages_by_device(&[device.id], &samples)
        .pop()
        .ok_or_else(|| Failure::Internal(format!("no pages worked out for {}", device.id)))?;
    // The interval opened by the reading before the period reaches back before it: only
    // the period's own days are answered.
    let first_day = from.with_timezone(&zone).date_naive();
    let last_day = (to - chrono::TimeDelta::nanoseconds(1))
        .with_timezone(&zone)
        .date_naive();
    let counters = daily_pages(&pages, zone)
        .into_iter()
        .map(|mut counter| {
            counter
                .days
                .retain(|d| (first_day..=last_day).contains(&d.day));
            counter
        })
        .filter(|counter| !counter.days.is_empty())
        .collect();
    let events = pages
        .events
        .into_iter()
        .filter(|e| e.taken_at >= from && e.taken_at < to)
        .collect();
    Ok(Json(PagesPerDay {
        device_id: device.id.0,
        time_zone: zone.name().to_string(),
        from,
        to,
        counters,
        events,
    }))
}

/// `GET /api/v1/devices/{device_id}/levels-per-day?from=&to=`.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/levels-per-day", tag = "devices",
    params(("device_id" = i64, Path), DaysQuery),
    responses((status = 200, description = "Each supply's first, last and lowest level of each UTC day", body = LevelsPerDay)))]
pub(crate) async fn levels_per_day(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(query): ListQuery<DaysQuery>,
) -> ApiResult<Json<LevelsPerDay>> {
    let (from, to) = period(query.from.as_deref(), query.to.as_deref(), Utc::now())?;
    if let Some(tz) = query.tz.as_deref() {
        parse_zone(tz)?;
    }
    let last_day = (to - chrono::TimeDelta::nanoseconds(1)).date_naive();
    let levels = state
        .store
        .daily_levels(&[device.id], from.date_naive()..=last_day)
        .await?;
    let mut supplies: BTreeMap<u32, SupplyDays> = BTreeMap::new();
    for level in levels {
        let DailyLevel {
            index,
            kind,
            color,
            description,
            day,
            first_percent,
            last_percent,
            min_percent,
            last_state,
            last_serial,
            ..
        } = level;
        let supply = supplies.entry(index).or_insert_with(|| SupplyDays {
            index,
            kind: kind.clone(),
            color: color.clone(),
            description: description.clone(),
            days: Vec::new(),
        });
        // Days come in order: the latest day's names are the supply's.
        (supply.kind, supply.color, supply.description) = (kind, color, description);
        supply.days.push(LevelDay {
            day,
            first_percent,
            last_percent,
            min_percent,
            last_state,
            serial: last_serial,
        });
    }
    Ok(Json(LevelsPerDay {
        device_id: device.id.0,
        from,
        to,
        supplies: supplies.into_values().collect(),
    }))
}

/// A device's calculated volume.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DeviceVolumeView {
    /// The device.
    pub device_id: i64,
    /// When the recompute last found it; absent with `volume`.
    pub computed_at: Option<DateTime<Utc>>,
    /// Its averages over the 30 whole UTC days before then, with what they come from;
    /// absent when it had no pages in that window or no recompute has run since it was
    /// first read.
    pub volume: Option<VolumeAverages>,
}

/// `GET /api/v1/devices/{device_id}/volume`.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/volume", tag = "devices",
    params(("device_id" = i64, Path)),
    responses((status = 200, description = "The device's average daily and monthly volume as last recomputed", body = DeviceVolumeView)))]
pub(crate) async fn volume(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
) -> ApiResult<Json<DeviceVolumeView>> {
    let stored = state.store.volume(device.id).await?;
    let (computed_at, volume) = match stored {
        Some(stored) => {
            let averages: VolumeAverages = serde_json::from_value(stored.detail).map_err(|e| {
                Failure::Internal(format!(
                    "the stored volume of {} does not read: {e}",
                    device.id
                ))
            })?;
            (Some(stored.computed_at), Some(averages))
        }
        None => (None, None),
    };
    Ok(Json(DeviceVolumeView {
        device_id: device.id.0,
        computed_at,
        volume,
    }))
}

/// The zone a device's days are in: `tz` when given, else its site's, else UTC.
async fn zone(state: &AppState, device: &Device, tz: Option<&str>) -> ApiResult<Tz> {
    if let Some(tz) = tz {
        return parse_zone(tz);
    }
    let Some(site) = device.site_id else {
        return Ok(Tz::UTC);
    };
    let site = state.store.site(site).await?;
    Ok(site
        .schedules
        .and_then(|s| Tz::from_str(&s.time_zone).ok())
        .unwrap_or(Tz::UTC))
}

fn parse_zone(tz: &str) -> ApiResult<Tz> {
    Tz::from_str(tz).map_err(|_| {
        Failure::invalid(
            "tz",
            format!("`{tz}` is not an IANA time zone such as `Europe/Berlin`"),
        )
    })
}
