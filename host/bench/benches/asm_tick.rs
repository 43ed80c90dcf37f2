//! One ASM tick over 100,000 devices and 100 alert definitions, beside the time to
//! merely load the same devices' facts from PostgreSQL: the goal is ≤ 1 s on one
//! core for the tick.
//!
//! The fleet is written with `generate_series`: 100,000 devices of 1,000 customer
//! accounts under 10 dealers under the main dealer, five makers, each device read today
//! with four toners (black, cyan, magenta, yellow) at levels spread over 0–100 %, and a
//! calculated volume. The 100 definitions are the main dealer's and the dealers': toner
//! thresholds per colour from 5 to 25 %, some hierarchical, half with a maker or volume
//! filter, each with an e-mail action. The facts are loaded as the scheduler loads them
//! (`quire_server::asm::facts::device_facts`, with the server's built-in alert-logic
//! plugins, which judge none of these devices: they have no model family); the tick is
//! `quire_asm::tick` on one thread, first from an empty state (every alert due opens)
//! and then again on the state the first left (the steady state, where nearly everything
//! is already open).
//!
//! `cargo bench -p quire-bench --bench asm_tick [-- --devices N]`
//!
//! PostgreSQL is the server at `postgres://postgres@127.0.0.1:5432/postgres` (or
//! `QUIRE_TEST_POSTGRES_URL`); a fresh database is created and dropped.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{NaiveTime, Utc};
use quire_asm::{
    ActionDefinition, ActionDefinitionId, ActionKind, ActionTiming, AlertDefinition, AsmState,
    ConsumableType, Decision, DefinitionId, Filter, FilterMethod, Inputs, Interval, IntervalUnit,
    Joiner, Managed, Settings, Trigger, VolumeComparison, apply, tick,
};
use quire_server::asm::facts::{account_tree, device_facts};
use sqlx::Connection as _;

const DEALERS: i64 = 10;
const CUSTOMERS: i64 = 1_000;
const DEFINITIONS: i64 = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let devices = i64::try_from(common::devices(100_000)?).context("--devices is too large")?;
    let db = quire_testdb::postgres().await;
    let store = db.open().await;
    let main_dealer = store.create_account("Main dealer", None, true).await?;
    let now = Utc::now();
    let started = Instant::now();
    let mut conn = sqlx::PgConnection::connect(&db.url).await?;
    fill(&mut conn, main_dealer.0, devices, now).await?;
    println!(
        "fleet: {devices} devices of {CUSTOMERS} accounts under {DEALERS} dealers, 4 toners each, written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let alert_logic = quire_server::Server::new("unused").alert_logic().await?;
    let started = Instant::now();
    let accounts = account_tree(&store).await?.context("no main dealer")?;
    let facts = device_facts(&store, &alert_logic, now).await?;
    let load = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        facts.len() == devices as usize && facts.iter().all(|f| f.consumables.len() == 4),
        "the facts loaded are not the fleet written"
    );
    let dealers: Vec<_> = accounts
        .accounts
        .iter()
        .filter(|(_, node)| node.is_dealer)
        .map(|(id, _)| *id)
        .collect();
    let mut inputs = Inputs {
        definitions: definitions(&dealers),
        accounts,
        devices: facts,
        state: AsmState::default(),
        frequencies: BTreeMap::new(),
        contacts: Default::default(),
        behaviours: Vec::new(),
        settings: Settings::default(),
    };

    let (started, cpu) = (Instant::now(), thread_cpu());
    let first = tick(now, &inputs);
    let first_tick = started.elapsed().as_secs_f64();
    let first_cpu = cpu_since(cpu);
    let opened = first
        .iter()
        .filter(|d| matches!(d, Decision::OpenEvent(_)))
        .count();
    for decision in &first {
        apply(&mut inputs.state, decision);
    }
    let later = now + chrono::Duration::minutes(1);
    let (started, cpu) = (Instant::now(), thread_cpu());
    let steady = tick(later, &inputs);
    let steady_tick = started.elapsed().as_secs_f64();
    let steady_cpu = cpu_since(cpu);

    println!();
    println!(
        "{:<56} {:>10} {:>10} {:>12}",
        "", "seconds", "CPU s", "decisions"
    );
    println!(
        "{:<56} {:>10.2} {:>10} {:>12}",
        format!("load the facts of {devices} devices (PostgreSQL)"),
        load,
        "-",
        "-"
    );
    println!(
        "{:<56} {:>10.2} {:>10} {:>12}",
        format!("first tick, {DEFINITIONS} definitions, {opened} alerts opened"),
        first_tick,
        first_cpu,
        first.len()
    );
    println!(
        "{:<56} {:>10.2} {:>10} {:>12}",
        "next tick, every alert already open",
        steady_tick,
        steady_cpu,
        steady.len()
    );
    println!();
    let scale = devices as f64 / 100_000.0;
    println!(
        "goal ≤ 1 s on one core for a tick over 100,000 devices: {}",
        if first_tick.max(steady_tick) <= scale {
            "met"
        } else {
            "not met"
        }
    );
    store.close().await;
    Ok(())
}

/// The CPU time this thread has used (Linux's scheduler statistics): on a shared
/// machine the tick's wall time counts other processes' turns too.
fn thread_cpu() -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(std::time::Duration::from_nanos(nanos))
}

/// The CPU seconds used since `from`, for the table (`-` where the system cannot say).
fn cpu_since(from: Option<std::time::Duration>) -> String {
    match (from, thread_cpu()) {
        (Some(from), Some(to)) => format!("{:.2}", (to - from).as_secs_f64()),
        _ => "-".to_owned(),
    }
}

/// The 100 definitions: per colour and threshold, owned by the main dealer or a dealer,
/// every other one with a maker or volume filter, each e-mailing without approval.
fn definitions(dealers: &[quire_asm::AccountId]) -> Vec<AlertDefinition> {
    let colours = ["black", "cyan", "magenta", "yellow"];
    (0..DEFINITIONS)
        .map(|i| {
            let filters = match i % 4 {
                0 => vec![Filter {
                    joiner: Joiner::And,
                    managed: Managed::Both,
                    method: FilterMethod::Manufacturer(format!("Maker {}", i % 5)),
                }],
                2 => vec![
                    Filter {
                        joiner: Joiner::And,
                        managed: Managed::Both,
                        method: FilterMethod::DailyAverageVolume(VolumeComparison::AtLeast(100.0)),
                    },
                    Filter {
                        joiner: Joiner::Or,
                        managed: Managed::Both,
                        method: FilterMethod::Manufacturer("Maker 1".into()),
                    },
                ],
                _ => Vec::new(),
            };
            AlertDefinition {
                id: DefinitionId(i + 1),
                name: format!("{} below {} %", colours[(i % 4) as usize], 5 + i % 21),
                owner: dealers[(i % dealers.len() as i64) as usize],
                hierarchical: i % 3 != 0,
                trigger: Trigger::Consumable {
                    consumable: ConsumableType::Toner,
                    threshold_percent: (5 + i % 21) as u8,
                },
                overdue: Interval {
                    unit: IntervalUnit::Days,
                    value: 2,
                },
                stale: Interval {
                    unit: IntervalUnit::Days,
                    value: 7,
                },
                filters,
                actions: vec![ActionDefinition {
                    id: ActionDefinitionId(1),
                    ordinal: 1,
                    kind: ActionKind::Email,
                    result_type: "email".into(),
                    requires_approval: false,
                    timing: ActionTiming::Immediate,
                    max_attempts: 3,
                }],
            }
        })
        .collect()
}

/// Writes the accounts, devices, today's levels and volumes in a few set-based
/// statements.
async fn fill(
    conn: &mut sqlx::PgConnection,
    main_dealer: i64,
    devices: i64,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO accounts (name, parent_id, is_dealer) \
         SELECT 'Dealer ' || g, $1, TRUE FROM generate_series(1, $2) g",
    )
    .bind(main_dealer)
    .bind(DEALERS)
    .execute(&mut *conn)
    .await
    .context("writing the dealers")?;
    sqlx::query(
        "INSERT INTO accounts (name, parent_id, is_dealer) \
         SELECT 'Customer ' || g, (SELECT id FROM accounts WHERE name = 'Dealer ' || (1 + g % $2)), FALSE \
         FROM generate_series(1, $1) g",
    )
    .bind(CUSTOMERS)
    .bind(DEALERS)
    .execute(&mut *conn)
    .await
    .context("writing the customers")?;
    sqlx::query(
        "INSERT INTO devices (account_id, identity, serial, manufacturer, model, first_seen, last_seen) \
         SELECT c.id, 'BENCH' || g, 'BENCH' || g, 'Maker ' || g % 5, 'Model ' || g % 40, $2, $2 \
         FROM generate_series(1, $1) g \
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts WHERE name LIKE 'Customer %') c \
           ON c.n = g % $3",
    )
    .bind(devices)
    .bind(now - chrono::Duration::minutes(5))
    .bind(CUSTOMERS)
    .execute(&mut *conn)
    .await
    .context("writing the devices")?;
    let first_at = now.date_naive().and_time(NaiveTime::MIN).and_utc();
    sqlx::query(
        "INSERT INTO daily_levels (device_id, day, idx, kind, color, description, first_at, \
         first_percent, last_at, last_percent, min_percent, last_state, last_serial, last_part_number) \
         SELECT d.id, $1::date, c.idx, 'toner', c.color, initcap(c.color) || ' Toner', $2, \
           (d.id * 37 + c.idx * 11) % 101, $3, (d.id * 37 + c.idx * 11) % 101, \
           (d.id * 37 + c.idx * 11) % 101, 'ok', 'S' || d.id || '-' || c.idx, 'TK-' || c.idx \
         FROM devices d CROSS JOIN (VALUES (1, 'black'), (2, 'cyan'), (3, 'magenta'), (4, 'yellow')) c (idx, color)",
    )
    .bind(now.date_naive())
    .bind(first_at)
    .bind(now - chrono::Duration::minutes(5))
    .execute(&mut *conn)
    .await
    .context("writing the levels")?;
    sqlx::query(
        "INSERT INTO device_volumes (device_id, computed_at, daily, monthly, detail) \
         SELECT id, $1, id % 300, (id % 300) * 30.4375, '{}'::jsonb FROM devices",
    )
    .bind(now)
    .execute(&mut *conn)
    .await
    .context("writing the volumes")?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    Ok(())
}
