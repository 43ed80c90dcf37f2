//! `quire reinterpret`: runs today's strategies over the raw exchanges the server
//! stored with each reading, so a fixed or newer strategy can be checked against what
//! the fleet really answered, without asking any device again. It prints what the
//! strategy reads now, as `quire replay` does; the stored readings are left as they are.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use quire_plugins::{DeviceTransport, ReplayTransport};
use quire_server::Server;
use quire_snmp::Recording;
use quire_store::{Device, DeviceFilter, DeviceId, Page, Visibility};

use crate::output::Outcome;
use crate::replay;

/// `quire reinterpret`.
#[derive(Args)]
pub struct ReinterpretArgs {
    /// The server's data directory.
    #[arg(long = "data", value_name = "DIR", default_value = "./quire-data")]
    data: PathBuf,
    /// The server's database, when not SQLite in the data directory.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// A device to re-read (repeat for several); every device when none is given.
    #[arg(long = "device", value_name = "ID")]
    devices: Vec<i64>,
    /// How many of each device's latest readings to re-read.
    #[arg(long, value_name = "N", default_value_t = 1)]
    latest: u32,
    /// Use this strategy instead of choosing one per device.
    #[arg(long)]
    strategy: Option<String>,
}

pub async fn run(args: &ReinterpretArgs) -> anyhow::Result<Vec<Outcome>> {
    let mut server = Server::new(&args.data);
    server.database = args.database.clone();
    let store = server.open_store().await?;
    let registry = replay::builtin_registry().await?;
    replay::check_strategy(&registry, args.strategy.as_deref())?;

    let mut outcomes = Vec::new();
    let mut devices: Vec<Device> = Vec::new();
    if args.devices.is_empty() {
        devices = store
            .list_devices(Visibility::All, &DeviceFilter::default(), Page::ALL)
            .await?;
    } else {
        for id in &args.devices {
            match store.device(DeviceId(*id)).await {
                Ok(device) => devices.push(device),
                Err(error) => outcomes.push(Outcome::Failed {
                    file: format!("device {id}"),
                    strategy: None,
                    error: error.to_string(),
                }),
            }
        }
    }
    let mut without_raw = 0;
    for device in devices {
        for stored in store.readings(device.id, args.latest).await? {
            let name = format!(
                "device {} reading {} ({} {} at {})",
                device.id.0,
                stored.id.0,
                stored.strategy.name,
                stored.strategy.version,
                stored.taken_at.format("%Y-%m-%d %H:%M UTC")
            );
            let Some(raw) = stored.raw.as_deref() else {
                without_raw += 1;
                continue;
            };
            let recording = match Recording::parse_snmprec(&name, raw) {
                Ok(recording) => recording,
                Err(error) => {
                    outcomes.push(Outcome::Failed {
                        file: name,
                        strategy: None,
                        error: format!("the stored exchange does not parse: {error}"),
                    });
                    continue;
                }
            };
            let transport: Arc<dyn DeviceTransport> =
                Arc::new(ReplayTransport::new(Arc::new(recording)));
            outcomes.push(
                replay::read_device(
                    &registry,
                    name,
                    transport,
                    args.strategy.as_deref(),
                    stored.cycle,
                    false,
                    Vec::new(),
                )
                .await,
            );
        }
    }
    store.close().await;
    if without_raw > 0 {
        eprintln!(
            "quire: {without_raw} readings were stored without their exchange and were skipped"
        );
    }
    Ok(outcomes)
}
