//! Recomputing calculated values (each device's average daily and monthly volume, and
//! when each of its supplies runs out) for a large fleet on PostgreSQL, beside a plain
//! scan of the same rows: the goal is ≤ 30 s for 100,000 devices with 90 days of
//! hourly history.
//!
//! Hourly history reaches the recompute as the daily meters ingest keeps (each counter's
//! first and last reading of each UTC day), so the fleet is written as those rows
//! directly, with `generate_series`, rather than through 216 million hourly ingests: 90
//! days × 2 counters (`total`, `mono`) per device, counters advancing at a rate of the
//! device's own (20 to 420 pages a day) with nights and weekends idle. Supply levels
//! reach it as the daily level summaries (each supply's first and last level of each
//! day): one black toner per device, installed full on the first day and falling with
//! the device's pages to about 30 % on the last, in whole percent. Each device has one
//! reading the marks point at (the foreign key wants one; which reading a mark names does
//! not change the arithmetic).
//!
//! The recompute is `quire_server::calculated::recompute`, as the hourly job runs it:
//! devices 2,000 at a time; one query each for their marks of the supply history's reach
//! (`Store::counter_samples`, set-based; the whole 90 days here) and four for their other
//! supply inputs (levels, replacements, orders, rated yields); pages, volumes, the
//! lifecycle and forecast of every position device by device on every core while the
//! next page is read; one transaction each replacing their volumes and their forecasts.
//! The plain scans fetch rows in one query per table and sum them, with no arithmetic:
//! the window's meters (what the volumes alone need), and every meter and level row
//! (what the pass reads), the floor of reading them. Beside the wall time it prints the
//! CPU time of this process and of the PostgreSQL backends serving it.
//!
//! `cargo bench -p quire-bench --bench recompute [-- --devices N]`
//!
//! PostgreSQL is the server at `postgres://postgres@127.0.0.1:5432/postgres` (or
//! `QUIRE_TEST_POSTGRES_URL`); a fresh database is created and dropped.

mod common;

use std::time::Instant;

use anyhow::Context as _;
use chrono::{Days, NaiveTime, TimeZone, Utc};
use quire_server::calculated::recompute;
use sqlx::{Connection as _, Row as _};

/// Days of history per device.
const DAYS: i64 = 90;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let devices = i64::try_from(common::devices(100_000)?).context("--devices is too large")?;
    let db = quire_testdb::postgres().await;
    let store = db.open().await;
    let account = store.create_account("Fleet", None, false).await?;
    let first_day = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
    let now = first_day + chrono::Duration::days(DAYS) + chrono::Duration::hours(12);

    let started = Instant::now();
    let mut conn = sqlx::PgConnection::connect(&db.url).await?;
    fill(&mut conn, account.0, devices, first_day).await?;
    let filled = started.elapsed().as_secs_f64();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM daily_meters")
        .fetch_one(&mut conn)
        .await?;
    let level_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM daily_levels")
        .fetch_one(&mut conn)
        .await?;
    println!(
        "fleet: {devices} devices, {DAYS} days, {rows} daily meter and {level_rows} daily level rows written in {filled:.1} s"
    );

    // The window's rows, as the recompute reads them: the 30 days before today and the
    // day before (each device's last mark before the window opens it).
    let today = now.date_naive();
    let window_start = today - Days::new(31);
    let started = Instant::now();
    let scanned = sqlx::query(
        "SELECT device_id, counter, first_value, first_at, first_reading_id, last_value, \
         last_at, last_reading_id FROM daily_meters WHERE day >= $1 AND day <= $2",
    )
    .bind(window_start)
    .bind(today)
    .fetch_all(&mut conn)
    .await?;
    let sum: i64 = scanned
        .iter()
        .map(|row| row.get::<i64, _>("last_value") - row.get::<i64, _>("first_value"))
        .sum();
    let scan = started.elapsed().as_secs_f64();
    std::hint::black_box(sum);
    // And every meter row, as the supply histories read them (their reach is longer
    // than the fleet's 90 days): the recompute reads these once for both figures.
    let started = Instant::now();
    let history = sqlx::query(
        "SELECT device_id, counter, first_value, first_at, first_reading_id, last_value, \
         last_at, last_reading_id FROM daily_meters",
    )
    .fetch_all(&mut conn)
    .await?;
    let history_sum: i64 = history
        .iter()
        .map(|row| row.get::<i64, _>("last_value") - row.get::<i64, _>("first_value"))
        .sum();
    let history_scan = started.elapsed().as_secs_f64();
    std::hint::black_box(history_sum);
    // And every level row, as the forecasts read them (their history reaches further
    // back than the fleet's 90 days).
    let started = Instant::now();
    let levels = sqlx::query(
        "SELECT device_id, day, idx, kind, color, description, first_at, first_percent, \
         last_at, last_percent, min_percent, last_state, last_serial, last_part_number \
         FROM daily_levels",
    )
    .fetch_all(&mut conn)
    .await?;
    let lowest: i32 = levels
        .iter()
        .map(|row| row.get::<i32, _>("last_percent"))
        .min()
        .unwrap_or_default();
    let level_scan = started.elapsed().as_secs_f64();
    std::hint::black_box(lowest);

    let backends_before = backend_cpu(&mut conn).await?;
    let process_before = cpu_seconds("self")?;
    let started = Instant::now();
    let done = recompute(&store, now).await?;
    let recompute = started.elapsed().as_secs_f64();
    let process_cpu = cpu_seconds("self")? - process_before;
    let backend_cpu: f64 = backend_cpu(&mut conn)
        .await?
        .iter()
        .map(|(pid, cpu)| cpu - backends_before.get(pid).copied().unwrap_or(0.0))
        .sum();
    let with_volume: i64 =
        sqlx::query_scalar("SELECT count(*) FROM device_volumes WHERE daily > 0")
            .fetch_one(&mut conn)
            .await?;
    anyhow::ensure!(
        done.with_volume == devices as usize && with_volume == devices,
        "every device has data in the window, yet {} volumes were written ({with_volume} above zero)",
        done.with_volume
    );
    let dated: i64 =
        sqlx::query_scalar("SELECT count(*) FROM supply_forecasts WHERE empty_on IS NOT NULL")
            .fetch_one(&mut conn)
            .await?;
    anyhow::ensure!(
        done.forecast == devices as usize && dated == devices,
        "every toner drains steadily, yet {} forecasts were made ({dated} filed) and {} refused",
        done.forecast,
        done.refused
    );

    println!();
    println!("{:<44} {:>10} {:>12}", "", "seconds", "rows");
    println!(
        "{:<44} {:>10.2} {:>12}",
        "plain scan of the window's daily meters",
        scan,
        scanned.len()
    );
    println!(
        "{:<44} {:>10.2} {:>12}",
        "plain scan of all the daily meters",
        history_scan,
        history.len()
    );
    println!(
        "{:<44} {:>10.2} {:>12}",
        "plain scan of the daily levels",
        level_scan,
        levels.len()
    );
    println!(
        "{:<44} {:>10.2} {:>12}",
        "plain scans together",
        scan + level_scan,
        scanned.len() + levels.len()
    );
    println!(
        "{:<44} {:>10.2} {:>12}",
        "plain scans of all the rows read",
        history_scan + level_scan,
        history.len() + levels.len()
    );
    println!(
        "{:<44} {:>10.2} {:>12}",
        format!(
            "recompute volumes and forecasts of {} devices",
            done.devices
        ),
        recompute,
        history.len() + levels.len()
    );
    println!(
        "{} supplies forecast, {} refused",
        done.forecast, done.refused
    );
    println!(
        "recompute CPU (user + sys): this process {process_cpu:.2} s, its PostgreSQL backends {backend_cpu:.2} s"
    );
    println!();
    println!(
        "goal ≤ 30 s for 100,000 devices: {}",
        if recompute <= 30.0 * devices as f64 / 100_000.0 {
            "met"
        } else {
            "not met"
        }
    );
    store.close().await;
    Ok(())
}

/// The CPU time (user + sys) of process `pid` (`self` for this one) so far, from
/// `/proc`: the machine may be shared, so wall time alone says little.
fn cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The fields after the command's closing parenthesis; utime and stime are the
    // 14th and 15th of the line, in clock ticks of 1/100 s on Linux.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("a /proc stat line without its command")?
        .1
        .split_whitespace()
        .collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .context("a short /proc stat line")?
            .parse::<f64>()?)
    };
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

/// The CPU time so far of each PostgreSQL backend serving the bench's database, by
/// process id (the server runs on this machine).
async fn backend_cpu(
    conn: &mut sqlx::PgConnection,
) -> anyhow::Result<std::collections::HashMap<i32, f64>> {
    let pids: Vec<i32> =
        sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            .fetch_all(&mut *conn)
            .await?;
    Ok(pids
        .into_iter()
        .filter_map(|pid| Some((pid, cpu_seconds(&pid.to_string()).ok()?)))
        .collect())
}

/// Writes `devices` devices of `account` with one reading each and their daily meters
/// and levels from `first_day` on, in a handful of set-based statements.
async fn fill(
    conn: &mut sqlx::PgConnection,
    account: i64,
    devices: i64,
    first_day: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    // The rows are consistent by construction: foreign-key checks (three per meter row)
    // would only slow the filling, not the recompute measured after.
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO devices (account_id, identity, serial, manufacturer, model, first_seen, last_seen) \
         SELECT $1, 'BENCH' || g, 'BENCH' || g, 'Bench', 'Fleet 1', $2, $2 FROM generate_series(1, $3) g",
    )
    .bind(account)
    .bind(first_day)
    .bind(devices)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO reading_series (device_id, cycle, strategy_name, strategy_version) \
         SELECT id, 'meters-and-supplies', 'bench', '0.1.0' FROM devices",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO readings (device_id, taken_at, series_id, body) \
         SELECT s.device_id, $1, s.id, '{}'::bytea FROM reading_series s",
    )
    .bind(first_day)
    .execute(&mut *conn)
    .await?;
    // Day k of device d: its rate is 20 + (d × 37 mod 400) pages a working day, printed
    // between the day's first mark (06:10) and last (19:50); weekends print nothing, so
    // their first and last marks are equal. Mono is four fifths of the total.
    let at = |time: (u32, u32)| NaiveTime::from_hms_opt(time.0, time.1, 0).unwrap();
    let statement = "INSERT INTO daily_meters (device_id, day, counter, first_value, first_at, \
         first_reading_id, last_value, last_at, last_reading_id) \
         SELECT r.device_id, (d.day)::date, c.counter, \
           (c.share * (1000 + r.rate * d.worked_before))::bigint, d.day + $2::time, r.id, \
           (c.share * (1000 + r.rate * (d.worked_before + d.works)))::bigint, d.day + $3::time, r.id \
         FROM (SELECT id, device_id, 20 + (device_id * 37) % 400 AS rate FROM readings) r \
         CROSS JOIN (SELECT day, \
             (SELECT count(*) FROM generate_series($1::timestamp, day - interval '1 day', interval '1 day') w \
               WHERE extract(isodow FROM w) < 6) AS worked_before, \
             CASE WHEN extract(isodow FROM day) < 6 THEN 1 ELSE 0 END AS works \
           FROM generate_series($1::timestamp, $1::timestamp + ($4 - 1) * interval '1 day', interval '1 day') day) d \
         CROSS JOIN (VALUES ('total', 1.0), ('mono', 0.8)) c (counter, share)";
    sqlx::query(statement)
        .bind(first_day.naive_utc())
        .bind(at((6, 10)))
        .bind(at((19, 50)))
        .bind(DAYS as i32)
        .execute(&mut *conn)
        .await
        .context("writing the daily meters")?;
    // The toner of device d on day k: 100 % at its first mark, falling a point per
    // 1/70th of the 64 working days' pages, so about 30 % on the last day; the level
    // after w working days is 100 − 70·w / 64, in whole percent.
    let statement = "INSERT INTO daily_levels (device_id, day, idx, kind, color, description, \
         first_at, first_percent, last_at, last_percent, min_percent, last_state, last_serial, \
         last_part_number) \
         SELECT r.device_id, (d.day)::date, 1, 'toner', 'black', 'Black Toner', d.day + $2::time, \
           100 - (70 * d.worked_before) / 64, d.day + $3::time, \
           100 - (70 * (d.worked_before + d.works)) / 64, 100 - (70 * (d.worked_before + d.works)) / 64, \
           'ok', 'BK' || r.device_id, 'TK-1' \
         FROM readings r \
         CROSS JOIN (SELECT day, \
             (SELECT count(*) FROM generate_series($1::timestamp, day - interval '1 day', interval '1 day') w \
               WHERE extract(isodow FROM w) < 6) AS worked_before, \
             CASE WHEN extract(isodow FROM day) < 6 THEN 1 ELSE 0 END AS works \
           FROM generate_series($1::timestamp, $1::timestamp + ($4 - 1) * interval '1 day', interval '1 day') day) d";
    sqlx::query(statement)
        .bind(first_day.naive_utc())
        .bind(at((6, 10)))
        .bind(at((19, 50)))
        .bind(DAYS as i32)
        .execute(&mut *conn)
        .await
        .context("writing the daily levels")?;
    sqlx::query("SET session_replication_role = DEFAULT")
        .execute(&mut *conn)
        .await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    Ok(())
}
