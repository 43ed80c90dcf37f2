//! The strategy over its recording, natively: the same code the component
//! runs, with the recording standing in for the device.

use std::path::Path;

use quire_plugins_sdk::{Cycle, replay_file};
use {{lib}}::{{type}};

#[test]
fn the_sample_device_reads_as_its_snapshot() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/sample.snmprec");
    let reading = replay_file::<{{type}}>(&path, Cycle::Discovery).unwrap();
    insta::assert_debug_snapshot!("sample", reading);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/sample.snmprec");
    let reading = replay_file::<{{type}}>(&path, Cycle::Alerts).unwrap();
    assert!(reading.counters.is_empty());
}
