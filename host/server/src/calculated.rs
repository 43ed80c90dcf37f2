//! Calculated values: each device's average daily and monthly volume, which ASM's volume
//! filters compare, recomputed on a schedule (hourly unless configured) by one server
//! process at a time ([`Periodic`]).
//!
//! A pass walks every device in pages of [`DEVICES_PER_PASS`], reads their counter marks
//! of the window in one query per page (the daily meters of the 30 whole days before
//! today, and the last mark before them), works out pages per day with `quire-usage` and
//! replaces the page's volumes in one transaction. The window's days are UTC days, as the
//! daily meters are: a site's own zone would move the window's edges by a few hours, a
//! fraction of one day's pages in a 30-day average, for a zone lookup per device.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, Utc};
use chrono_tz::Tz;
use quire_store::{CounterSample, DeviceId, DeviceVolume, Store};
use quire_usage::calculated::{WINDOW_DAYS, volume_averages};
use quire_usage::pages::daily_pages;

use crate::pages::pages_by_device;
use crate::periodic::Periodic;

/// The recompute: hourly by default, by one server process at a time.
pub const CALCULATED_VALUES_JOB: Periodic = Periodic {
    name: "calculated-values",
    every: Duration::from_secs(60 * 60),
};

/// Devices read and written per step: a month of daily marks for this many devices is
/// a few hundred thousand rows, held in memory for one step.
pub const DEVICES_PER_PASS: u32 = 2_000;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recomputed {
    /// Devices walked.
    pub devices: usize,
    /// Of those, devices with data in the window, whose volume was written; the others'
    /// was removed.
    pub with_volume: usize,
}

/// Recomputes every device's volume as of `now`.
pub async fn recompute_volumes(
    store: &Store,
    now: DateTime<Utc>,
) -> quire_store::Result<Recomputed> {
    let today = now.date_naive();
    let from = (today - Days::new(WINDOW_DAYS))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let mut done = Recomputed::default();
    let mut after = None;
    loop {
        let devices = store.device_ids_after(after, DEVICES_PER_PASS).await?;
        let Some(&last) = devices.last() else {
            break;
        };
        after = Some(last);
        let samples = store.counter_samples(&devices, from, now).await?;
        let volumes = volumes(&devices, &samples, now);
        store.replace_volumes(&devices, &volumes).await?;
        done.devices += devices.len();
        done.with_volume += volumes.len();
    }
    Ok(done)
}

/// The volumes of `devices` (ascending) with data in the window before `now`'s day.
fn volumes(
    devices: &[DeviceId],
    samples: &[CounterSample],
    now: DateTime<Utc>,
) -> Vec<DeviceVolume> {
    pages_by_device(devices, samples)
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
