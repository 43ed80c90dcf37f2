//! Pages from stored counter samples: the one place the server hands the store's
//! samples to `quire-usage`'s page arithmetic, for costs, meter reads, days, supplies
//! and volumes.

use quire_store::{CounterSample, DeviceId};
use quire_usage::pages::{DevicePages, PageRules, Sample, device_pages};

/// `device`'s pages from its samples (others' in `samples` are skipped).
pub(crate) fn pages_of(device: DeviceId, samples: &[CounterSample]) -> DevicePages {
    let samples: Vec<Sample<'_>> = samples
        .iter()
        .filter(|s| s.device == device)
        .map(|s| Sample {
            reading_id: s.reading.0,
            taken_at: s.taken_at,
            counters: &s.counters,
        })
        .collect();
    device_pages(device.0, &samples, &PageRules::default())
}

/// Each of `devices`' pages, in the order given, from `samples` as
/// [`quire_store::Store::counter_samples`] returns them (by device in ascending id
/// order, then by time); `devices` must be ascending too.
pub(crate) fn pages_by_device(devices: &[DeviceId], samples: &[CounterSample]) -> Vec<DevicePages> {
    let mut rest = samples;
    devices
        .iter()
        .map(|&device| {
            let (mine, after) = rest.split_at(rest.partition_point(|s| s.device <= device));
            rest = after;
            pages_of(device, mine)
        })
        .collect()
}
