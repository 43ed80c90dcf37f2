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
use quire_store::{Account, DailyLevel, Device, DeviceId, DeviceSelection};
use quire_usage::SupplyForecast;
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
    /// The most points answered per line, 2 to 400 (120 when not given): a longer period
    /// is answered in buckets of several days, summed (pages) or as the bucket's last and
    /// lowest (levels).
    points: Option<u32>,
}

/// An account's pages query.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AccountDaysQuery {
    /// The period's start: an RFC 3339 instant or a date (midnight UTC); 30 days before
    /// `to` when not given.
    from: Option<String>,
    /// The period's end, not included, written as `from`; now when not given. At most
    /// 400 days after `from`.
    to: Option<String>,
    /// The IANA time zone whose days pages fall on; UTC when not given.
    tz: Option<String>,
    /// The most points answered per line, 2 to 400 (120 when not given).
    points: Option<u32>,
    /// Whether the devices of every account below this one count too; false when not given.
    subtree: Option<bool>,
}

/// Points per line when the caller names no number.
const DEFAULT_POINTS: u32 = 120;

/// The most points per line: a day each over the longest period.
const MAX_POINTS: u32 = 400;

/// Pages over days as a plotting library takes them: one x axis of bucket start days,
/// and per counter a y value for each (`null` where no reading covers the bucket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PagesChart {
    /// The time zone the days are in.
    pub time_zone: String,
    /// The period's start.
    pub from: DateTime<Utc>,
    /// The period's end, not included.
    pub to: DateTime<Utc>,
    /// Days per bucket: 1 unless the period has more days than points asked.
    pub bucket_days: u32,
    /// Each bucket's first day, every bucket of the period in order.
    pub days: Vec<NaiveDate>,
    /// One line per counter, by name.
    pub counters: Vec<PagesLine>,
}

/// One counter's pages per bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PagesLine {
    /// The counter (`total`, `mono`, `print.color`, …).
    pub counter: String,
    /// Pages per bucket, aligned with `days`; `null` where no reading covers the bucket.
    pub pages: Vec<Option<u64>>,
}

/// A device's pages per local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DevicePages {
    /// The device.
    pub device_id: i64,
    /// Its pages per bucket of days.
    pub chart: PagesChart,
    /// What happened to the counters in the period (resets, rollovers, board swaps,
    /// implausible jumps, gaps), each with its evidence.
    pub events: Vec<PageEvent>,
}

/// An account's pages per local day: its devices' added up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountPages {
    /// The account.
    pub account_id: i64,
    /// Whether the accounts below count.
    pub subtree: bool,
    /// Devices counted.
    pub devices: usize,
    /// Their pages per bucket of days, added up.
    pub chart: PagesChart,
}

/// One supply position's levels over one UTC day, or a bucket of days starting on `day`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LevelDay {
    /// The UTC day, or the bucket's first.
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
    /// Where its level is heading, as the calculated-values job last forecast it; absent
    /// when no forecast was made (see `no-forecast`).
    pub forecast: Option<ForecastLine>,
    /// Why there is no forecast line, in words, when the job refused one.
    pub no_forecast: Option<String>,
}

/// A supply's forecast as a line to draw beside its days: from its level when the
/// forecast was made down to empty, with the 80 % interval of the empty instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ForecastLine {
    /// The line's instants: when it was forecast, and when the supply runs out.
    pub at: Vec<DateTime<Utc>>,
    /// The line's levels at those instants: the level then, and 0.
    pub percent: Vec<u8>,
    /// It is empty before this in one case in ten.
    pub earliest: DateTime<Utc>,
    /// It is empty after this in one case in ten.
    pub latest: DateTime<Utc>,
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
    /// Days per bucket: 1 unless the period has more days than points asked.
    pub bucket_days: u32,
    /// By supply index.
    pub supplies: Vec<SupplyDays>,
}

/// `GET /api/v1/devices/{device_id}/pages-per-day?from=&to=&tz=&points=`.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/pages-per-day", tag = "devices",
    params(("device_id" = i64, Path), DaysQuery),
    responses((status = 200, description = "The device's pages per local day (or bucket of days), per counter, with its counters' events", body = DevicePages)))]
pub(crate) async fn pages_per_day(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(query): ListQuery<DaysQuery>,
) -> ApiResult<Json<DevicePages>> {
    let (from, to) = period(query.from.as_deref(), query.to.as_deref(), Utc::now())?;
    let points = points(query.points)?;
    let zone = zone(&state, &device, query.tz.as_deref()).await?;
    let samples = state.store.counter_samples(&[device.id], from, to).await?;
    let pages = crate::pages::pages_of(device.id, &samples);
    let chart = chart(&[daily_pages(&pages, zone)], zone, from, to, points);
    let events = pages
        .events
        .into_iter()
        .filter(|e| e.taken_at >= from && e.taken_at < to)
        .collect();
    Ok(Json(DevicePages {
        device_id: device.id.0,
        chart,
        events,
    }))
}

/// `GET /api/v1/accounts/{account_id}/pages-per-day?from=&to=&tz=&points=&subtree=`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/pages-per-day", tag = "costs",
    params(("account_id" = i64, Path), AccountDaysQuery),
    responses((status = 200, description = "The account's devices' pages per day (or bucket of days), per counter, added up", body = AccountPages)))]
pub(crate) async fn account_pages_per_day(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(query): ListQuery<AccountDaysQuery>,
) -> ApiResult<Json<AccountPages>> {
    let (from, to) = period(query.from.as_deref(), query.to.as_deref(), Utc::now())?;
    let points = points(query.points)?;
    let zone = query
        .tz
        .as_deref()
        .map(parse_zone)
        .transpose()?
        .unwrap_or(Tz::UTC);
    let subtree = query.subtree.unwrap_or(false);
    let tree = state
        .store
        .rate_tree(DeviceSelection::Account {
            account: account.id,
            subtree,
        })
        .await?;
    let ids: Vec<DeviceId> = tree.devices.iter().map(|d| d.id).collect();
    let samples = state.store.counter_samples(&ids, from, to).await?;
    let days: Vec<Vec<CounterDays>> = crate::pages::pages_by_device(&ids, &samples)
        .iter()
        .map(|pages| daily_pages(pages, zone))
        .collect();
    Ok(Json(AccountPages {
        account_id: account.id.0,
        subtree,
        devices: ids.len(),
        chart: chart(&days, zone, from, to, points),
    }))
}

/// `points` as asked, within its bounds.
fn points(asked: Option<u32>) -> ApiResult<u32> {
    match asked {
        None => Ok(DEFAULT_POINTS),
        Some(n) if (2..=MAX_POINTS).contains(&n) => Ok(n),
        Some(n) => Err(Failure::invalid(
            "points",
            format!("{n} points: ask for 2 to {MAX_POINTS}"),
        )),
    }
}

/// The period's local days in `zone`, first and last.
fn local_days(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let first = from.with_timezone(&zone).date_naive();
    let last = (to - chrono::TimeDelta::nanoseconds(1))
        .with_timezone(&zone)
        .date_naive();
    (first, last)
}

/// Days per bucket so that the days from `first` to `last` take at most `points` buckets.
fn bucket_days(first: NaiveDate, last: NaiveDate, points: u32) -> u32 {
    let days = u32::try_from((last - first).num_days() + 1)
        .unwrap_or(1)
        .max(1);
    days.div_ceil(points)
}

/// The devices' pages per day added up per counter over the period's buckets. The
/// interval opened by the reading before the period reaches back before it: only the
/// period's own days count.
fn chart(
    devices: &[Vec<CounterDays>],
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    points: u32,
) -> PagesChart {
    let (first, last) = local_days(zone, from, to);
    let per_bucket = bucket_days(first, last, points);
    let bucket = |day: NaiveDate| {
        usize::try_from((day - first).num_days()).unwrap_or(0) / per_bucket as usize
    };
    let buckets = bucket(last) + 1;
    let mut lines: BTreeMap<&str, Vec<Option<u64>>> = BTreeMap::new();
    for counter in devices.iter().flatten() {
        for day in counter
            .days
            .iter()
            .filter(|d| (first..=last).contains(&d.day))
        {
            let line = lines
                .entry(counter.counter.as_str())
                .or_insert_with(|| vec![None; buckets]);
            let slot = &mut line[bucket(day.day)];
            *slot = Some(slot.unwrap_or(0) + day.pages);
        }
    }
    PagesChart {
        time_zone: zone.name().to_string(),
        from,
        to,
        bucket_days: per_bucket,
        days: (0..buckets)
            .map(|b| first + chrono::Days::new(b as u64 * u64::from(per_bucket)))
            .collect(),
        counters: lines
            .into_iter()
            .map(|(counter, pages)| PagesLine {
                counter: counter.to_string(),
                pages,
            })
            .collect(),
    }
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
    let points = points(query.points)?;
    if let Some(tz) = query.tz.as_deref() {
        parse_zone(tz)?;
    }
    let (first_day, last_day) = local_days(Tz::UTC, from, to);
    let per_bucket = bucket_days(first_day, last_day, points);
    let levels = state
        .store
        .daily_levels(&[device.id], first_day..=last_day)
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
            forecast: None,
            no_forecast: None,
        });
        // Days come in order: the latest day's names are the supply's.
        (supply.kind, supply.color, supply.description) = (kind, color, description);
        let offset = u64::try_from((day - first_day).num_days()).unwrap_or(0);
        let start = first_day + chrono::Days::new(offset - offset % u64::from(per_bucket));
        match supply.days.last_mut() {
            // A later day of the same bucket: its last reading and the lower low win.
            Some(bucket) if bucket.day == start => {
                bucket.last_percent = last_percent;
                bucket.min_percent = match (bucket.min_percent, min_percent) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                bucket.last_state = last_state;
                bucket.serial = last_serial;
            }
            _ => supply.days.push(LevelDay {
                day: start,
                first_percent,
                last_percent,
                min_percent,
                last_state,
                serial: last_serial,
            }),
        }
    }
    for stored in state.store.forecasts(device.id).await? {
        let Some(supply) = supplies.get_mut(&stored.index) else {
            continue;
        };
        let what = format!("{} supply {}", device.id, stored.index);
        let position: crate::supplies::PositionForecast =
            crate::stored::read("supply_forecasts.detail", what, stored.detail)?;
        match position.forecast {
            SupplyForecast::Forecast(forecast) => {
                supply.forecast = Some(ForecastLine {
                    at: vec![stored.computed_at, forecast.empty_on],
                    percent: vec![forecast.level_percent, 0],
                    earliest: forecast.earliest,
                    latest: forecast.latest,
                });
            }
            SupplyForecast::Refusal(refusal) => supply.no_forecast = Some(refusal.message),
        }
    }
    Ok(Json(LevelsPerDay {
        device_id: device.id.0,
        from,
        to,
        bucket_days: per_bucket,
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
            let averages: VolumeAverages =
                crate::stored::read("device_volumes.detail", device.id, stored.detail)?;
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
