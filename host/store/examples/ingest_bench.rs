//! Ingest throughput on SQLite and PostgreSQL side by side: 20,000 readings of
//! 1,000 Kyocera printers (20 meter reads each), filed in batches of 500 as the
//! server does with an agent's upload. The goal is ≥ 5,000 readings/s on SQLite.
//!
//! `cargo run --release -p quire-store --example ingest_bench [DEVICES] [ROUNDS] [BATCH]`
//!
//! PostgreSQL is the server at `postgres://postgres@127.0.0.1:5432/postgres`
//! (or `QUIRE_BENCH_POSTGRES_URL`); a fresh database is created and dropped.

use std::time::Instant;

use anyhow::Context as _;
use chrono::{Duration, TimeZone, Utc};
use quire_model::{Cycle, Reading, StrategyRef};
use quire_store::{Ingest, Store};
use sqlx::Connection;

#[path = "../tests/all/kyocera.rs"]
mod sample;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let devices = args.next().transpose()?.unwrap_or(1_000);
    let rounds = args.next().transpose()?.unwrap_or(20);
    let batch = args.next().transpose()?.unwrap_or(500);
    let readings = fleet(devices, rounds);
    println!(
        "{} readings of {devices} devices, batches of {batch}\n",
        readings.len()
    );
    println!("{:<10} {:>9} {:>12}", "backend", "seconds", "readings/s");

    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    run("sqlite", &sqlite, &readings, batch).await?;

    let admin =
        std::env::var("QUIRE_BENCH_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.into());
    let name = format!("quire_bench_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.with_context(|| {
        format!(
            "PostgreSQL is not reachable at {}; start it with scripts/install-test-peers",
            quire_store::redact(&admin)
        )
    })?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let result = run("postgres", &format!("{base}/{name}"), &readings, batch).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    result
}

/// Files every reading into a fresh store and prints the rate.
async fn run(
    backend: &str,
    url: &str,
    readings: &[(String, chrono::DateTime<Utc>, Reading)],
    batch: usize,
) -> anyhow::Result<()> {
    let store = Store::open(url).await?;
    let account = store.create_account("Bench", None, false).await?;
    let strategy = StrategyRef {
        name: "printer-mib".into(),
        version: "0.1.0".into(),
    };
    let items: Vec<_> = readings
        .iter()
        .map(|(address, taken_at, reading)| Ingest {
            account,
            address,
            taken_at: *taken_at,
            cycle: Cycle::MetersAndSupplies,
            strategy: &strategy,
            reading,
            raw: None,
            exchanges: None,
        })
        .collect();
    let started = Instant::now();
    for chunk in items.chunks(batch) {
        store.ingest_batch(chunk).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{backend:<10} {seconds:>9.2} {:>12.0}",
        items.len() as f64 / seconds
    );
    store.close().await;
    Ok(())
}

/// `rounds` hourly meter reads of `devices` printers, in the order an agent sends them.
fn fleet(devices: usize, rounds: usize) -> Vec<(String, chrono::DateTime<Utc>, Reading)> {
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let mut out = Vec::with_capacity(devices * rounds);
    for round in 0..rounds {
        let taken_at = start + Duration::hours(round as i64);
        for device in 0..devices {
            let address = format!(
                "10.{}.{}.{}",
                device / 65536,
                device / 256 % 256,
                device % 256
            );
            out.push((address, taken_at, kyocera(device, round)));
        }
    }
    out
}

/// A Kyocera ECOSYS P2040dw's meter read: toner falling, pages rising.
fn kyocera(device: usize, round: usize) -> Reading {
    let toner = 7200 - (round as i32 * 30) - (device % 100) as i32;
    let mac = format!(
        "00:17:c8:{:02x}:{:02x}:{:02x}",
        device >> 16,
        (device >> 8) & 0xff,
        device & 0xff
    );
    sample::kyocera(
        &format!("VD2{device:07}"),
        &mac,
        7432 + round as u64 * 57,
        toner,
    )
}
