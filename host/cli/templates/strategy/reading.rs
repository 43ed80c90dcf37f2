//! The strategy over its recording, natively: the same code the component
//! runs, with the recording standing in for the device.

use quire_plugins_sdk::Cycle;
use quire_plugins_sdk::harness::{read, read_for};
use {{lib}}::{{type}};

#[test]
fn the_sample_device_reads_as_its_snapshot() {
    let reading = read::<{{type}}>("recordings/sample.snmprec");
    insta::assert_debug_snapshot!("sample", reading);
}

#[test]
fn the_alert_cycle_reads_no_counters() {
    let reading = read_for::<{{type}}>("recordings/sample.snmprec", Cycle::Alerts);
    assert!(reading.counters.is_empty());
}
