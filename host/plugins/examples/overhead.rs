//! Prints what one plugin call costs the host: a fresh store, instantiation
//! from the pre-linked component, one trivial export call, and teardown.
//!
//! `cargo run --release -p quire-plugins --example overhead`
//!
//! A figure to compare against the goal (50 µs per call), not a timed test.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use quire_model::Cycle;
use quire_plugins::{Host, HostConfig, Probe, ReplayTransport};
use quire_snmp::Recording;

const CALLS: u32 = 5_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let file = Path::new(quire_strategies::GUEST_DIR).join("quire_guest_hostile.wasm");
    let host = Host::new(HostConfig::default())?;
    let plugin = host.load(&std::fs::read(file)?).await?;
    let recording = Recording::parse_snmprec(
        "overhead.snmprec",
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1\n1.3.6.1.4.1.99999.1.0|4|ok\n",
    )?;
    let device = Arc::new(ReplayTransport::new(Arc::new(recording)));
    let probe = Probe {
        sys_object_id: "1.3.6.1.4.1.99999.1".into(),
        sys_descr: "Hostile Test Printer".into(),
    };

    for _ in 0..200 {
        plugin.identify(device.clone(), &probe).await?;
    }
    let started = Instant::now();
    for _ in 0..CALLS {
        plugin.identify(device.clone(), &probe).await?;
    }
    let identify = started.elapsed() / CALLS;

    let started = Instant::now();
    for _ in 0..CALLS {
        plugin
            .collect(device.clone(), Cycle::MetersAndSupplies)
            .await?;
    }
    let collect = started.elapsed() / CALLS;

    println!("instantiate + identify (trivial call): {identify:>9.1?} per call");
    println!("instantiate + collect (1 SNMP GET):    {collect:>9.1?} per call");
    Ok(())
}
