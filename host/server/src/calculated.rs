//! Calculated values: each device's average daily and monthly volume, which ASM's volume
//! filters compare, and when each of its supplies runs out, recomputed on a schedule
//! (hourly unless configured) by one server process at a time ([`Periodic`]).
//!
//! A pass walks every device in pages of [`DEVICES_PER_PASS`]. It reads their counter
//! marks of the supply history's reach ([`history_start`], the daily meters kept for
//! ever) in one query per page and, on another task at the same time, their other supply
//! inputs in four more ([`InputRows::load`]). A blocking thread then works out, device by
//! device over the cores with rayon, their pages with `quire-usage` (once for both
//! figures), their volume (the pages per day of the 30 whole days before today) and every
//! supply's history and forecast, while the next page is read: the arithmetic of 2,000
//! devices takes longer than an async task should hold its thread. The page's volumes and
//! then its forecasts are replaced in one transaction each, on a task of their own while
//! the next page is worked out and the one after read. The window's days are UTC
//! days, as the daily meters are: a site's own zone would move the window's edges by a
//! few hours, a fraction of one day's pages in a 30-day average, for a zone lookup per
//! device.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use quire_store::{CounterSample, DeviceId, DeviceVolume, NewForecast, Store};
use quire_usage::SupplyForecast;
use quire_usage::calculated::volume_averages;
use quire_usage::pages::{DevicePages, daily_pages};
use rayon::prelude::*;
use tokio::task::JoinHandle;

use crate::pages::pages_of;
use crate::periodic::Periodic;
use crate::supplies::{InputRows, Inputs, history_start};

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
/// arithmetic (pages, volumes, histories and forecasts, device by device on every core)
/// runs on a blocking thread, the next page is read and the page before is filed, so
/// the database and the arithmetic are busy at once.
pub async fn recompute(store: &Store, now: DateTime<Utc>) -> quire_store::Result<Recomputed> {
    let mut done = Recomputed::default();
    let mut filing: Option<JoinHandle<quire_store::Result<Recomputed>>> = None;
    let mut next = read_page(store, None, now).await?;
    while let Some(page) = next {
        let after = page.devices.last().copied();
        let working = tokio::task::spawn_blocking(move || page.work(now));
        let (worked, read) = tokio::join!(working, read_page(store, after, now));
        let worked = joined(worked);
        // One page filed at a time, in order: the one before has had the page's
        // arithmetic and the next one's reading to finish in.
        if let Some(filed) = filing.take() {
            done += joined(filed.await)?;
        }
        filing = Some(tokio::spawn(file(store.clone(), worked, now)));
        next = read?;
    }
    if let Some(filed) = filing {
        done += joined(filed.await)?;
    }
    Ok(done)
}

/// Replaces a page's volumes and then its forecasts, one transaction each, and counts them.
async fn file(store: Store, worked: Worked, now: DateTime<Utc>) -> quire_store::Result<Recomputed> {
    store
        .replace_volumes(&worked.devices, &worked.volumes)
        .await?;
    store
        .replace_forecasts(&worked.devices, &worked.forecasts, now)
        .await?;
    let forecast = worked
        .forecasts
        .iter()
        .filter(|f| f.empty_on.is_some())
        .count();
    Ok(Recomputed {
        devices: worked.devices.len(),
        with_volume: worked.volumes.len(),
        forecast,
        refused: worked.forecasts.len() - forecast,
    })
}

/// A task's result, its panic carried on into the caller.
fn joined<T>(joined: Result<T, tokio::task::JoinError>) -> T {
    joined.unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()))
}

impl std::ops::AddAssign for Recomputed {
    fn add_assign(&mut self, page: Recomputed) {
        self.devices += page.devices;
        self.with_volume += page.with_volume;
        self.forecast += page.forecast;
        self.refused += page.refused;
    }
}

/// A page of devices with their rows read, its arithmetic still to do.
struct Page {
    devices: Vec<DeviceId>,
    /// Each device's counter samples, in the order of `devices`.
    samples: Vec<Vec<CounterSample>>,
    rows: Vec<InputRows>,
}

/// A page's volumes and forecasts, to file.
struct Worked {
    devices: Vec<DeviceId>,
    volumes: Vec<DeviceVolume>,
    forecasts: Vec<NewForecast>,
}

/// The page of devices after `after` with their rows; `None` past the last.
async fn read_page(
    store: &Store,
    after: Option<DeviceId>,
    now: DateTime<Utc>,
) -> quire_store::Result<Option<Page>> {
    let devices = store.device_ids_after(after, DEVICES_PER_PASS).await?;
    if devices.is_empty() {
        return Ok(None);
    }
    // The counter marks on a task of their own, so their rows are decoded on another
    // core while this one decodes the supplies' and the database serves both: read in
    // turn on one thread, the reading was the pass's critical path.
    let samples = tokio::spawn({
        let (store, devices) = (store.clone(), devices.clone());
        async move {
            let samples = store
                .counter_samples(&devices, history_start(now), now)
                .await?;
            Ok::<_, quire_store::Error>(samples_by_device(&devices, samples))
        }
    });
    let rows = InputRows::load(store, &devices, now).await?;
    let samples = joined(samples.await)?;
    Ok(Some(Page {
        samples,
        devices,
        rows,
    }))
}

/// `samples` as [`Store::counter_samples`] returns them (by device in ascending id
/// order) split into each of `devices`' (ascending too), so each device's are worked
/// out, and freed, on its own.
fn samples_by_device(devices: &[DeviceId], samples: Vec<CounterSample>) -> Vec<Vec<CounterSample>> {
    let mut samples = samples.into_iter().peekable();
    devices
        .iter()
        .map(|&device| {
            // Samples of devices not asked for (none are returned) are skipped.
            while samples.next_if(|s| s.device < device).is_some() {}
            std::iter::from_fn(|| samples.next_if(|s| s.device == device)).collect()
        })
        .collect()
}

impl Page {
    /// Each device's pages, volume, supply histories and forecasts, on every core.
    fn work(self, now: DateTime<Utc>) -> Worked {
        let worked: Vec<(Option<DeviceVolume>, Vec<NewForecast>)> = self
            .devices
            .par_iter()
            .zip(self.samples)
            .zip(self.rows)
            .map(|((&device, samples), rows)| {
                let pages = pages_of(device, &samples);
                drop(samples);
                let volume = volume(&pages, now);
                let inputs = Inputs::of(rows, &pages);
                (volume, forecasts(device, &inputs, now))
            })
            .collect();
        let mut volumes = Vec::with_capacity(worked.len());
        let mut forecasts = Vec::with_capacity(worked.len());
        for (volume, device_forecasts) in worked {
            volumes.extend(volume);
            forecasts.extend(device_forecasts);
        }
        Worked {
            devices: self.devices,
            volumes,
            forecasts,
        }
    }
}

/// The volume of the device whose `pages` these are, where it has data in the window
/// before `now`'s day.
fn volume(pages: &DevicePages, now: DateTime<Utc>) -> Option<DeviceVolume> {
    let days = daily_pages(pages, Tz::UTC);
    let averages = volume_averages(&days, now.date_naive())?;
    Some(DeviceVolume {
        device_id: DeviceId(pages.device),
        computed_at: now,
        daily: averages.daily,
        monthly: averages.monthly,
        detail: serde_json::to_value(averages).expect("volume averages serialise to JSON"),
    })
}

/// Every position's forecast or refusal of `device`, given its inputs, as filed.
fn forecasts(device: DeviceId, inputs: &Inputs, now: DateTime<Utc>) -> Vec<NewForecast> {
    inputs
        .forecasts(now)
        .into_iter()
        .map(|position| NewForecast {
            device_id: device,
            index: position.index,
            empty_on: match &position.forecast {
                SupplyForecast::Forecast(forecast) => Some(forecast.empty_on),
                SupplyForecast::Refusal(_) => None,
            },
            detail: serde_json::to_value(&position).expect("supply forecasts serialise to JSON"),
        })
        .collect()
}
