//! `quire reinterpret`: runs today's strategies — the built-in ones and those the
//! server hands its agents now — over the exchanges the server stored with each
//! reading, so a fixed or newer strategy can be checked against what the fleet really
//! answered, without asking any device again. It prints what the strategy reads now,
//! as `quire replay` does; with `--store` it also files that as the reading's next
//! version (the earlier ones stay). The re-read itself is the server's
//! (`quire_server::reinterpret`), so this and the REST call read the same.

use std::path::PathBuf;

use clap::Args;
use quire_server::Server;
use quire_server::reinterpret::{self, RereadError};
use quire_store::{Device, DeviceFilter, DeviceId, Page, Visibility};

use crate::output::Outcome;

/// `quire reinterpret`.
#[derive(Args)]
pub struct ReinterpretArgs {
    /// The server's data directory.
    #[arg(long = "data", value_name = "DIR", default_value_os_t = crate::places::default_data("server"))]
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
    /// File what is read now as each reading's next version, which the API then shows.
    #[arg(long)]
    store: bool,
}

pub async fn run(args: &ReinterpretArgs) -> anyhow::Result<Vec<Outcome>> {
    let mut server = Server::new(&args.data);
    server.database = args.database.clone();
    let store = server.open_existing_store().await?;
    let registry = server.depot(store.clone()).await?.registry().await?;
    crate::replay::check_strategy(&registry, args.strategy.as_deref())?;

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
            let mut name = format!(
                "device {} reading {} ({} {} at {})",
                device.id.0,
                stored.id.0,
                stored.strategy.name,
                stored.strategy.version,
                stored.taken_at.format("%Y-%m-%d %H:%M UTC")
            );
            let reread = reinterpret::reread(
                &store,
                &registry,
                stored.id,
                args.strategy.as_deref(),
                args.store,
            )
            .await;
            outcomes.push(match reread {
                Ok(reread) => {
                    if let Some(version) = reread.version {
                        name.push_str(&format!(", stored as version {version}"));
                    }
                    Outcome::Read {
                        file: name,
                        strategy: reread.strategy,
                        warnings: Vec::new(),
                        reading: Box::new(reread.reading),
                    }
                }
                Err(RereadError::NoExchange(_)) => {
                    without_raw += 1;
                    continue;
                }
                Err(RereadError::Store(error)) => return Err(error.into()),
                Err(error) => Outcome::Failed {
                    file: name,
                    strategy: None,
                    error: error.to_string(),
                },
            });
        }
    }
    store.close().await;
    if without_raw > 0 {
        note!("quire: {without_raw} readings were stored without their exchange and were skipped");
    }
    Ok(outcomes)
}
