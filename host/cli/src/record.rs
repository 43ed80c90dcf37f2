//! `quire record`: a live device saved as a `.snmprec` that snmpsim serves
//! and `quire replay` reads to the reading the device gave.

use std::sync::Arc;

use quire_model::Cycle;
use quire_snmp::{Oid, Recording};
use quire_transport::{
    DeviceExchanges, DeviceExchangesConfig, DeviceTransport, ExchangeLog, ExchangeRecorder,
    LiveTransport, RecordingTransport, WithExchanges,
};

use crate::output::Outcome;
use crate::probe::DeviceArgs;
use crate::progress::Progress;
use crate::replay;

/// The subtrees strategies read: system, the interfaces' ifType and
/// ifPhysAddress (MACs), host resources devices and printers, ENTITY-MIB
/// serial numbers, the whole Printer-MIB, and the PWG imaging counters.
/// Walking roots rather than tracing one strategy keeps the recording useful
/// for strategies written later.
pub const ROOTS: &[&str] = &[
    "1.3.6.1.2.1.1",
    "1.3.6.1.2.1.2.2.1.3",
    "1.3.6.1.2.1.2.2.1.6",
    "1.3.6.1.2.1.25.3",
    "1.3.6.1.2.1.47.1.1.1.1.11",
    "1.3.6.1.2.1.43",
    "1.3.6.1.4.1.2699.1",
];

/// `--all` walks from here: everything the agent will show.
pub const ALL: &str = "1.3.6.1";

/// Walks the device and returns what it holds under [`ROOTS`] (or [`ALL`]),
/// plus whatever the strategy chosen for it reads, so that a strategy reading
/// outside the roots (a vendor subtree) still replays to the same reading;
/// and the NPAP and HTTP exchanges that read made, for the log beside the
/// recording.
pub async fn run(device: &DeviceArgs, all: bool) -> anyhow::Result<(Recording, ExchangeLog)> {
    let name = format!("{}:{}", device.host, device.port);
    let session = device.open().await?;
    let address = session.address().ip();
    let mut recording = Recording::new(name.clone());
    let roots: Vec<Oid> = if all { vec![ALL] } else { ROOTS.to_vec() }
        .into_iter()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    for root in &roots {
        let progress = Progress::open_ended(&format!("walking {root}"));
        let varbinds = session
            .walk_with_progress(root, |taken| {
                progress.set_position(taken.len() as u64);
                if let Some((last, _)) = taken.last() {
                    progress.set_message(format!("varbinds, at {last}"));
                }
            })
            .await?;
        drop(progress);
        note!("{name}: {root}: {} varbinds", varbinds.len());
        for (oid, value) in varbinds {
            recording.insert(oid, value);
        }
    }
    let registry = replay::builtin_registry().await?;
    let exchanges = Arc::new(ExchangeRecorder::new(WithExchanges::new(
        LiveTransport::new(session),
        DeviceExchanges::new(address, DeviceExchangesConfig::default()),
    )));
    let recorder = Arc::new(RecordingTransport::new(
        exchanges.clone() as Arc<dyn DeviceTransport>,
        name.clone(),
    ));
    let outcome = replay::read_device(
        &registry,
        name.clone(),
        recorder.clone(),
        None,
        Cycle::Discovery,
        false,
        Vec::new(),
    )
    .await;
    if let Outcome::Failed { error, .. } = &outcome {
        note!("{name}: the strategies could not read it ({error}); the walk is saved anyway");
    }
    for (oid, value) in recorder.recording().iter() {
        recording.insert(oid.clone(), value.clone());
    }
    Ok((recording, exchanges.log()))
}
