//! Calculated values: each device's average daily and monthly volume, which ASM's volume
//! filters compare, and when each of its supplies runs out, recomputed on a schedule
//! (hourly unless configured) by one server process at a time ([`Periodic`]).
//!
//! A pass walks every device in pages of [`DEVICES_PER_PASS`]. It reads their counter
//! marks of the supply history's reach ([`history_start`], the daily meters kept for
//! ever) in one query per page and works out their pages with `quire-usage`, once for
//! both figures. The volumes are the pages per day of the 30 whole days before today;
//! the page's volumes are replaced in one transaction. For the forecasts it reads the
//! page's other supply inputs in four more queries ([`Inputs::load_with`]), forecasts
//! every position on a blocking thread (the arithmetic of 2,000 devices takes longer
//! than an async task should hold its thread), spread over the cores with rayon, while
//! the next page is read, and replaces the page's forecasts in one transaction. The
//! window's days are UTC days, as the daily meters are: a site's own zone would move the
//! window's edges by a few hours, a fraction of one day's pages in a 30-day average, for
//! a zone lookup per device.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use quire_store::{DeviceId, DeviceVolume, NewForecast, Store};
use quire_usage::SupplyForecast;
use quire_usage::calculated::volume_averages;
use quire_usage::pages::{DevicePages, daily_pages};
use rayon::prelude::*;

use crate::pages::pages_by_device;
use crate::periodic::Periodic;
use crate::supplies::{Inputs, history_start};

/// The recompute: hourly by default, by one server process at a time.
pub const CALCULATED_VALUES_JOB: Periodic = Periodic {
    name: "calculated-values",
    every: Duration::from_secs(60 * 60),
};

/// Devices read and written per step: a month of daily marks for this many devices is
/// a few hundred thousand rows, and their supplies' daily levels a few times that, held
/// in memory for one step.
pub const DEVICES_PER_PASS: u32 = 2_000;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recomputed {
    /// Devices walked.
    pub devices: usize,
    /// Of those, devices with data in the window, whose volume was written; the others'
    /// was removed.
    pub with_volume: usize,
    /// Supply positions forecast to run out at a date.
    pub forecast: usize,
    /// Supply positions whose forecast was refused, with the reason filed.
    pub refused: usize,
}

/// Recomputes every device's volume and supply forecasts as of `now`. While one page's
/// forecasts are worked out on a blocking thread the next page is read and its volumes
/// filed, so the database and the arithmetic each keep a core busy.
pub async fn recompute(store: &Store, now: DateTime<Utc>) -> quire_store::Result<Recomputed> {
    let mut done = Recomputed::default();
    let mut next = read_page(store, None, now).await?;
    while let Some(page) = next {
        let after = page.devices.last().copied();
        done.devices += page.devices.len();
        done.with_volume += page.with_volume;
        let working = tokio::task::spawn_blocking(move || {
            let forecasts = forecasts(&page.devices, &page.inputs, now);
            (page.devices, forecasts)
        });
        let (worked, read) = tokio::join!(working, read_page(store, after, now));
        let (devices, forecasts) =
            worked.unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()));
        store.replace_forecasts(&devices, &forecasts, now).await?;
        let forecast = forecasts.iter().filter(|f| f.empty_on.is_some()).count();
        done.forecast += forecast;
        done.refused += forecasts.len() - forecast;
        next = read?;
    }
    Ok(done)
}

/// A page of devices read, its volumes filed, its forecasts still to work out.
struct Page {
    devices: Vec<DeviceId>,
    inputs: Vec<Inputs>,
    with_volume: usize,
}

/// The page of devices after `after`, with its volumes replaced; `None` past the last.
async fn read_page(
    store: &Store,
    after: Option<DeviceId>,
    now: DateTime<Utc>,
) -> quire_store::Result<Option<Page>> {
    let devices = store.device_ids_after(after, DEVICES_PER_PASS).await?;
    if devices.is_empty() {
        return Ok(None);
    }
    let samples = store
        .counter_samples(&devices, history_start(now), now)
        .await?;
    let pages = pages_by_device(&devices, &samples);
    let volumes = volumes(&pages, now);
    store.replace_volumes(&devices, &volumes).await?;
    let inputs = Inputs::load_with(store, &devices, &pages, now).await?;
    Ok(Some(Page {
        devices,
        inputs,
        with_volume: volumes.len(),
    }))
}

/// The volumes of the devices whose `pages` these are that have data in the window
/// before `now`'s day.
fn volumes(pages: &[DevicePages], now: DateTime<Utc>) -> Vec<DeviceVolume> {
    pages
        .iter()
        .filter_map(|pages| {
            let days = daily_pages(pages, Tz::UTC);
            let averages = volume_averages(&days, now.date_naive())?;
            Some(DeviceVolume {
                device_id: DeviceId(pages.device),
                computed_at: now,
                daily: averages.daily,
                monthly: averages.monthly,
                detail: serde_json::to_value(averages).expect("volume averages serialise to JSON"),
            })
        })
        .collect()
}

/// Every position's forecast or refusal of `devices`, given their inputs in the same
/// order, as filed.
fn forecasts(devices: &[DeviceId], inputs: &[Inputs], now: DateTime<Utc>) -> Vec<NewForecast> {
    devices
        .par_iter()
        .zip(inputs)
        .flat_map_iter(|(device, inputs)| {
            inputs
                .forecasts(now)
                .into_iter()
                .map(|position| NewForecast {
                    device_id: *device,
                    index: position.index,
                    empty_on: match &position.forecast {
                        SupplyForecast::Forecast(forecast) => Some(forecast.empty_on),
                        SupplyForecast::Refusal(_) => None,
                    },
                    detail: serde_json::to_value(&position)
                        .expect("supply forecasts serialise to JSON"),
                })
        })
        .collect()
}
