//! `quire-bench ingest`: readings posted through HTTPS to an in-process server, as
//! enrolled agents upload them, on SQLite and on PostgreSQL, printed beside the store's
//! own rate for the same readings (`Store::ingest_batch`, no HTTP, no JSON, no TLS).
//! The goal (issue 19) is ≥ 15,000 readings/s through the API on both.

use std::time::Instant;

use anyhow::{Context as _, ensure};
use chrono::{Duration, TimeZone, Utc};
use clap::Args;
use quire_model::{Cycle, Reading, StrategyRef};
use quire_protocol::{AgentToken, EnrollRequest, EnrollResponse, UploadAck, UploadItem};
use quire_server::Server;
use quire_server::client::Client;
use quire_store::{Ingest, Store};
use sqlx::Connection as _;
use tokio::task::JoinSet;

use crate::progress;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `quire-bench ingest`.
#[derive(Args)]
pub struct IngestArgs {
    /// Printers read.
    #[arg(long, default_value_t = 1_000)]
    devices: usize,
    /// Meter reads of each.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Readings per upload.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Agents uploading at once, each its share of the printers.
    #[arg(long, default_value_t = 4)]
    agents: usize,
    /// The PostgreSQL server to create a scratch database on.
    #[arg(long, env = "QUIRE_BENCH_POSTGRES_URL", default_value = DEFAULT_POSTGRES)]
    postgres: String,
    /// Measure SQLite only.
    #[arg(long)]
    no_postgres: bool,
}

pub async fn run(args: &IngestArgs) -> anyhow::Result<()> {
    ensure!(
        args.agents >= 1 && args.batch >= 1,
        "--agents and --batch must be at least 1"
    );
    let readings = fleet(args.devices, args.rounds);
    println!(
        "{} readings of {} devices, {} agents uploading batches of {}",
        readings.len(),
        args.devices,
        args.agents,
        args.batch
    );
    println!(
        "{:<10} {:>18} {:>22}",
        "backend", "store readings/s", "HTTPS API readings/s"
    );
    let dir = tempfile::tempdir()?;
    let store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store_rate = store_only(&store_url, &readings, args.batch).await?;
    let api_rate = through_api(dir.path().join("server"), None, &readings, args).await?;
    println!("{:<10} {store_rate:>18.0} {api_rate:>22.0}", "sqlite");
    if args.no_postgres {
        return Ok(());
    }
    let mut conn = sqlx::PgConnection::connect(&args.postgres)
        .await
        .with_context(|| {
            format!(
                "PostgreSQL is not reachable at {} (or pass --no-postgres)",
                quire_store::redact(&args.postgres)
            )
        })?;
    let base = args
        .postgres
        .rsplit_once('/')
        .map_or(args.postgres.as_str(), |(b, _)| b);
    let mut rates = Vec::new();
    for side in ["store", "api"] {
        let name = format!("quire_bench_{side}_{}", std::process::id());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        let url = format!("{base}/{name}");
        let rate = if side == "store" {
            store_only(&url, &readings, args.batch).await
        } else {
            through_api(dir.path().join("pg"), Some(url), &readings, args).await
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await?;
        rates.push(rate?);
    }
    println!("{:<10} {:>18.0} {:>22.0}", "postgres", rates[0], rates[1]);
    Ok(())
}

/// The store alone, one batch after another.
async fn store_only(url: &str, readings: &[UploadItem], batch: usize) -> anyhow::Result<f64> {
    let store = Store::open(url).await?;
    let account = store.create_account("Bench", None, false).await?;
    let items: Vec<Ingest<'_>> = readings
        .iter()
        .map(|r| Ingest {
            account,
            address: &r.address,
            taken_at: r.taken_at,
            cycle: r.cycle,
            strategy: &r.strategy,
            reading: &r.reading,
            raw: None,
            exchanges: None,
        })
        .collect();
    let progress = progress::bar("store", items.len() as u64);
    let started = Instant::now();
    for chunk in items.chunks(batch) {
        store.ingest_batch(chunk).await?;
        progress.inc(chunk.len() as u64);
    }
    let rate = items.len() as f64 / started.elapsed().as_secs_f64();
    store.close().await;
    Ok(rate)
}

/// A server in-process; `agents` enrolled agents post their share of the readings.
async fn through_api(
    data: std::path::PathBuf,
    database: Option<String>,
    readings: &[UploadItem],
    args: &IngestArgs,
) -> anyhow::Result<f64> {
    let mut server = Server::new(data);
    server.listen = "127.72.0.1:0".parse()?;
    server.database = database;
    server.admin_password = Some("bench-password".into());
    let running = server.start().await?;
    let client = running.client();
    let account = running
        .store
        .create_account("Bench", Some(running.main_dealer), false)
        .await?;
    let mut shares: Vec<Vec<UploadItem>> = vec![Vec::new(); args.agents];
    for item in readings {
        // A printer is always read by the same agent, as on a real network.
        let device: usize = item
            .address
            .rsplit('.')
            .next()
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        let share = &mut shares[device % args.agents];
        let mut item = item.clone();
        item.seq = share.len() as u64 + 1;
        share.push(item);
    }
    let mut tokens = Vec::new();
    for _ in 0..args.agents {
        let key =
            quire_server::issue_enrollment_key(&running.store, account, 1, Utc::now()).await?;
        let enrolled: EnrollResponse = client
            .json(
                "POST".parse()?,
                quire_protocol::ENROLL_PATH,
                None,
                Some(&EnrollRequest {
                    key: key.key,
                    hostname: "bench".into(),
                    agent_version: env!("CARGO_PKG_VERSION").into(),
                }),
            )
            .await?;
        tokens.push(AgentToken {
            agent_id: enrolled.agent_id,
            secret: enrolled.secret,
        });
    }
    // Bodies are serialised before the clock starts: agents do that on their own machines.
    let bodies: Vec<Vec<Vec<u8>>> = shares
        .iter()
        .map(|share| {
            share
                .chunks(args.batch)
                .map(|chunk| serde_json::to_vec(&serde_json::json!({ "items": chunk })))
                .collect::<Result<_, _>>()
        })
        .collect::<Result<_, _>>()?;
    let progress = progress::bar("HTTPS API", readings.len() as u64);
    let started = Instant::now();
    let mut uploads = JoinSet::new();
    for (bodies, token) in bodies.into_iter().zip(tokens) {
        let client: Client = client.clone();
        let progress = progress.clone();
        uploads.spawn(async move {
            let bearer = format!("{}:{}", token.agent_id, token.secret);
            let mut filed = 0u64;
            for body in bodies {
                let answer = client
                    .send(
                        "POST".parse()?,
                        quire_protocol::READINGS_PATH,
                        Some(&bearer),
                        Some(("application/json", body)),
                    )
                    .await?;
                ensure!(answer.status == 200, "upload refused: {}", answer.text());
                let ack: UploadAck = serde_json::from_slice(&answer.body)?;
                filed += u64::from(ack.filed);
                progress.inc(ack.filed.into());
            }
            anyhow::Ok(filed)
        });
    }
    let mut filed = 0;
    while let Some(done) = uploads.join_next().await {
        filed += done??;
    }
    let rate = readings.len() as f64 / started.elapsed().as_secs_f64();
    drop(progress);
    ensure!(
        filed == readings.len() as u64,
        "the server filed {filed} of {} readings",
        readings.len()
    );
    running.stop().await;
    Ok(rate)
}

/// `rounds` hourly meter reads of `devices` Kyocera printers, in the order agents send them.
fn fleet(devices: usize, rounds: usize) -> Vec<UploadItem> {
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let strategy = StrategyRef {
        name: "printer-mib".into(),
        version: "0.1.0".into(),
    };
    let mut out = Vec::with_capacity(devices * rounds);
    for round in 0..rounds {
        for device in 0..devices {
            out.push(UploadItem {
                seq: 0,
                site_id: None,
                address: format!(
                    "10.{}.{}.{}",
                    device / 65536,
                    device / 256 % 256,
                    device % 256
                ),
                taken_at: start + Duration::hours(round as i64),
                cycle: Cycle::MetersAndSupplies,
                strategy: strategy.clone(),
                reading: kyocera(device, round),
                raw: None,
                exchanges: None,
                replaced_supplies: Vec::new(),
                assessments: Vec::new(),
            });
        }
    }
    out
}

fn kyocera(device: usize, round: usize) -> Reading {
    let toner = 7200 - (round as i32 * 30) - (device % 100) as i32;
    let mac = format!(
        "00:17:c8:{:02x}:{:02x}:{:02x}",
        device >> 16,
        (device >> 8) & 0xff,
        device & 0xff
    );
    quire_testdb::kyocera::kyocera(
        &format!("VD2{device:07}"),
        &mac,
        7432 + round as u64 * 57,
        toner,
    )
}
