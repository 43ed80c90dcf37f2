//! Pages from stored counter samples: the one place the server hands the store's
//! samples to `quire-usage`'s page arithmetic, for costs, meter reads, days and volumes.

use quire_store::{CounterSample, DeviceId};
use quire_usage::pages::{DevicePages, PageRules, Sample, device_pages};

/// Each of `devices`' pages, in the order given, from `samples` as
/// [`quire_store::Store::counter_samples`] returns them (by device in ascending id
/// order, then by time); `devices` must be ascending too.
pub(crate) fn pages_by_device(devices: &[DeviceId], samples: &[CounterSample]) -> Vec<DevicePages> {
    let rules = PageRules::default();
    let mut rest = samples;
    devices
        .iter()
        .map(|&device| {
            let own = rest.partition_point(|s| s.device <= device);
            let (mine, after) = rest.split_at(own);
            rest = after;
            let mine: Vec<Sample<'_>> = mine
                .iter()
                .filter(|s| s.device == device)
                .map(|s| Sample {
                    reading_id: s.reading.0,
                    taken_at: s.taken_at,
                    counters: &s.counters,
                })
                .collect();
            device_pages(device.0, &mine, &rules)
        })
        .collect()
}
