//! Bytes a device-year of readings keeps in the database, before and after the raw
//! exchanges pass their retention period, in the design before issue 15 (every reading's
//! JSON and compressed exchange, a row per supply and per alert of every reading, each
//! reading's agent key) and in today's (bodies compressed against a keyframe, daily
//! summaries, an agent's filed numbers as runs), on SQLite and on PostgreSQL, with the
//! breakdown by table. The issue's goal is ≤ 5 MB per device-year kept.
//!
//! A device-year is the three cycles (discovery, meters & supplies, alerts) read hourly:
//! 26,280 readings. Each device is a real recording from `fixtures/` replayed through the
//! built-in strategies for each cycle, with what the read asked kept as its raw exchange;
//! over the year its counters advance with office-hours printing, its supplies drain and
//! are replaced (a new cartridge serial), and a low supply raises an alert until then; its
//! exchange answers the uptime, page counter and levels of the moment.
//! Every reading goes through the store's real ingest (an agent's upload, a day a batch);
//! the old design is the schema as its migrations left it, filled with the rows its
//! ingest wrote. Sizes are taken after `VACUUM` (SQLite: the file; PostgreSQL:
//! `pg_total_relation_size`, after `VACUUM FULL` — plain `VACUUM` keeps the space an
//! update freed for later rows rather than returning it, and its total is printed too).
//!
//! `cargo bench -p quire-bench --bench storage [-- --devices N] [-- --no-postgres]`
//!
//! PostgreSQL is the server at `postgres://postgres@127.0.0.1:5432/postgres` (or
//! `QUIRE_TEST_POSTGRES_URL`); fresh databases are created and dropped, as for the tests.

mod common;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use quire_model::{AlertSeverity, Cycle, DeviceAlert, Reading, StrategyRef, SupplyState};
use quire_plugins::{Host, HostConfig, Probe};
use quire_snmp::Recording;
use quire_store::{AccountId, AgentIngest, Ingest, NewAgent, Store};
use quire_transport::{DeviceTransport, RecordingTransport, ReplayTransport};
use sqlx::Connection as _;

/// The recordings replayed, one device each: a mono laser, a colour laser, a colour MFP.
const RECORDINGS: [&str; 3] = [
    "printmaster/kyocera_p2040_snmp.snmprec",
    "librenms/jetdirect_m252dw.snmprec",
    "librenms/ricoh_mpc3002.snmprec",
];

/// The cycles read every hour, minutes past the hour each starts.
const CYCLES: [(Cycle, i64); 3] = [
    (Cycle::Discovery, 5),
    (Cycle::MetersAndSupplies, 20),
    (Cycle::Alerts, 40),
];

/// One device's readings in a day.
const READS_A_DAY: usize = 24 * CYCLES.len();

/// The raw exchanges kept, as the server's default.
const RAW_RETENTION_DAYS: u32 = 30;

/// The last migration of the design before issue 15.
const OLD_DESIGN_LAST_MIGRATION: i64 = 20261205000002;

/// Pages a supply lasts from full: a cartridge, and a drum or fuser.
const CARTRIDGE_PAGES: f64 = 3_000.0;
const DRUM_PAGES: f64 = 30_000.0;

/// Runs `$body` with `$conn` a connection of `$backend` to `$url`.
macro_rules! with_connection {
    ($backend:expr, $url:expr, |$conn:ident| $body:expr) => {
        match $backend {
            Backend::Sqlite => {
                let mut $conn = sqlx::SqliteConnection::connect($url).await?;
                $body
            }
            Backend::Postgres => {
                let mut $conn = sqlx::PgConnection::connect($url).await?;
                $body
            }
        }
    };
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let devices = common::devices(RECORDINGS.len())?.clamp(1, RECORDINGS.len());
    let postgres = !std::env::args().any(|a| a == "--no-postgres");

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded");
    let mut years = Vec::new();
    for recording in &RECORDINGS[..devices] {
        years.push(DeviceYear::replayed(&fixtures.join(recording)).await?);
    }
    let readings: usize = years.iter().map(|y| y.readings.len()).sum();
    let json: usize = years
        .iter()
        .flat_map(|y| &y.readings)
        .map(|r| serde_json::to_vec(&r.reading).map_or(0, |j| j.len()))
        .sum();
    let raw: usize = years
        .iter()
        .flat_map(|y| &y.readings)
        .map(|r| compressed_len(&r.raw))
        .sum();
    println!(
        "{devices} device-years ({}), {} readings each (3 cycles hourly); a reading's JSON {} B, its raw exchange {} B compressed; raw kept {RAW_RETENTION_DAYS} days",
        years
            .iter()
            .map(|y| y.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        readings / devices,
        json / readings,
        raw / readings,
    );

    let dir = tempfile::tempdir()?;
    let mut sqlite = Vec::new();
    for design in [Design::Old, Design::New] {
        let url = format!(
            "sqlite://{}",
            dir.path().join(format!("{design:?}.db")).display()
        );
        sqlite.push(measure(design, &url, &years, Backend::Sqlite).await?);
    }
    print_sizes("sqlite", &sqlite, devices);
    if postgres {
        let mut figures = Vec::new();
        for design in [Design::Old, Design::New] {
            let db = quire_testdb::postgres().await;
            figures.push(measure(design, &db.url, &years, Backend::Postgres).await?);
        }
        print_sizes("postgres", &figures, devices);
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Design {
    Old,
    New,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// One reading as an agent uploads it.
struct Read {
    taken_at: DateTime<Utc>,
    cycle: Cycle,
    reading: Reading,
    raw: Arc<str>,
}

/// A device's year of readings.
struct DeviceYear {
    name: String,
    strategy: StrategyRef,
    readings: Vec<Read>,
}

/// What a cycle of a recording reads, as the agent would file it.
struct Template {
    cycle: Cycle,
    reading: Reading,
    raw: Arc<str>,
}

impl DeviceYear {
    /// The recording read once per cycle through the built-in strategies, then a year of
    /// hourly reads evolved from those.
    async fn replayed(path: &Path) -> anyhow::Result<DeviceYear> {
        let name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let recording =
            Arc::new(Recording::load(path).with_context(|| path.display().to_string())?);
        let host = Host::new(HostConfig::default())?;
        let registry = quire_builtin::registry(&host).await?;
        let mut templates = Vec::new();
        let mut strategy = None;
        for (cycle, _) in CYCLES {
            let replay: Arc<dyn DeviceTransport> =
                Arc::new(ReplayTransport::new(recording.clone()));
            let recorder = Arc::new(RecordingTransport::new(replay, name.clone()));
            let transport: Arc<dyn DeviceTransport> = recorder.clone();
            let probe = Probe::read(transport.as_ref()).await?;
            let plugin = registry.select(&probe, transport.clone()).await?.plugin;
            let reading = plugin.collect(transport, cycle).await?;
            strategy = Some(plugin.strategy_ref());
            templates.push(Template {
                cycle,
                reading,
                raw: recorder.recording().to_snmprec().into(),
            });
        }
        let strategy = strategy.expect("three cycles were read");
        Ok(DeviceYear {
            readings: Year::new(&name).evolve(&templates),
            name,
            strategy,
        })
    }
}

/// A device's state over the year: its counters, supply levels and cartridges.
struct Year {
    random: u64,
    printed: u64,
    /// Pages printed since each supply (by index) was last replaced, as a share of its life.
    used: BTreeMap<u32, f64>,
    replaced: BTreeMap<u32, u32>,
}

impl Year {
    fn new(seed: &str) -> Year {
        Year {
            random: seed.bytes().fold(0x9e37_79b9_7f4a_7c15, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            }),
            printed: 0,
            used: BTreeMap::new(),
            replaced: BTreeMap::new(),
        }
    }

    /// xorshift64*: the same year on every run.
    fn next(&mut self, below: u64) -> u64 {
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        self.random.wrapping_mul(0x2545_f491_4f6c_dd1d) % below
    }

    /// Every hour of 2026, each cycle's reading evolved from its template.
    fn evolve(mut self, templates: &[Template]) -> Vec<Read> {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut reads = Vec::with_capacity(365 * 24 * templates.len());
        for hour in 0..365 * 24 {
            let now = start + Duration::hours(hour);
            let office = !matches!(now.weekday(), Weekday::Sat | Weekday::Sun)
                && (8..18).contains(&now.hour());
            let pages = if office { 5 + self.next(60) } else { 0 };
            self.printed += pages;
            for template in templates {
                let offset = CYCLES
                    .iter()
                    .find(|(c, _)| *c == template.cycle)
                    .map_or(0, |c| c.1);
                // An agent's clock: the minute its cycle starts and a few seconds in.
                let taken_at = now
                    + Duration::minutes(offset)
                    + Duration::microseconds(i64::try_from(self.next(9_000_000)).unwrap_or(0));
                let reading = self.read(&template.reading, pages);
                let raw = answered(&template.raw, &reading, hour).into();
                reads.push(Read {
                    taken_at,
                    cycle: template.cycle,
                    reading,
                    raw,
                });
            }
        }
        reads
    }

    /// `template` as read after `pages` more pages: counters up, levels down, a supply
    /// replaced when nearly empty, and an alert for each low supply.
    fn read(&mut self, template: &Reading, pages: u64) -> Reading {
        let mut reading = template.clone();
        for (name, value) in &mut reading.counters {
            let share = if name.contains("color") || name.contains("colour") {
                3
            } else if name.contains("mono") || name.contains("black") {
                7
            } else {
                10
            };
            *value += self.printed * share / 10;
        }
        let mut low = Vec::new();
        for supply in &mut reading.supplies {
            let (Some(level), Some(max)) = (supply.level, supply.max) else {
                continue;
            };
            if level < 0 || max <= 0 {
                continue;
            }
            let life = if supply.kind.contains("toner") || supply.kind.contains("ink") {
                CARTRIDGE_PAGES
            } else {
                DRUM_PAGES
            };
            let used = self
                .used
                .entry(supply.index)
                .or_insert_with(|| 1.0 - f64::from(level) / f64::from(max));
            *used += pages as f64 / life;
            if *used > 0.98 {
                *used = 0.0;
                *self.replaced.entry(supply.index).or_default() += 1;
            }
            let left = ((1.0 - *used) * f64::from(max)).round() as i32;
            supply.level = Some(left);
            let percent = u8::try_from(left * 100 / max).unwrap_or(100);
            supply.percent = Some(percent);
            supply.state = match percent {
                0 => SupplyState::Empty,
                1..=10 => SupplyState::Low,
                _ => SupplyState::Ok,
            };
            if let Some(&n) = self.replaced.get(&supply.index) {
                let base = supply
                    .serial
                    .clone()
                    .unwrap_or_else(|| format!("S{:04}", supply.index));
                supply.serial = Some(format!("{base}-{n}"));
            }
            if supply.state != SupplyState::Ok {
                low.push((supply.index, supply.description.clone()));
            }
        }
        for (index, description) in low {
            reading.alerts.push(DeviceAlert {
                index: 100 + index,
                severity: AlertSeverity::Warning,
                training_level: Some("untrained".into()),
                group: Some("marker-supplies".into()),
                group_index: Some(i32::try_from(index).unwrap_or(0)),
                location: None,
                code: 1104,
                code_name: Some("marker-toner-almost-empty".into()),
                description: Some(format!("{description} low")),
                time: Some(1_000),
            });
        }
        reading
    }
}

/// The recorded exchange as the device would have answered for `reading` in `hour` of the
/// year: its uptime, page counter and supply levels (the standard objects; a vendor's own
/// keep their recorded values).
fn answered(recorded: &str, reading: &Reading, hour: i64) -> String {
    const UPTIME: &str = "1.3.6.1.2.1.1.3.0|";
    const PAGES: &str = "1.3.6.1.2.1.43.10.2.1.4.1.1|";
    const LEVEL: &str = "1.3.6.1.2.1.43.11.1.1.9.1.";
    let mut text = String::with_capacity(recorded.len() + 64);
    for line in recorded.lines() {
        let value = |tag: &str| {
            line.rsplit_once('|')
                .map_or(tag.len(), |(head, _)| head.len() + 1)
        };
        let replaced = if line.starts_with(UPTIME) {
            Some(((hour + 1) * 360_000 + 4_321).to_string())
        } else if line.starts_with(PAGES) {
            reading.counters.get("total").map(u64::to_string)
        } else if let Some(rest) = line.strip_prefix(LEVEL) {
            let index = rest.split('|').next().and_then(|i| i.parse::<u32>().ok());
            reading
                .supplies
                .iter()
                .find(|s| Some(s.index) == index)
                .and_then(|s| s.level)
                .map(|l| l.to_string())
        } else {
            None
        };
        match replaced {
            Some(new) => {
                text.push_str(&line[..value(line)]);
                text.push_str(&new);
            }
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

fn compressed_len(text: &str) -> usize {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(text.as_bytes())
        .expect("writing to memory");
    encoder.finish().map_or(0, |b| b.len())
}

/// Bytes by table (heap and indexes), before and after retention, of one design.
struct Sizes {
    design: Design,
    before: BTreeMap<String, (u64, u64)>,
    after: BTreeMap<String, (u64, u64)>,
    /// PostgreSQL after plain `VACUUM` (the space the retention update freed still in the files).
    after_plain_vacuum: Option<u64>,
    ingest_seconds: f64,
}

/// Files the device-years in `design` at `url`, then measures, runs retention as of the
/// year's end, and measures again.
async fn measure(
    design: Design,
    url: &str,
    years: &[DeviceYear],
    backend: Backend,
) -> anyhow::Result<Sizes> {
    let (baseline, ingest_seconds) = match design {
        Design::New => file_new(url, years, backend).await?,
        Design::Old => file_old(url, years, backend).await?,
    };
    if design == Design::New {
        with_connection!(backend, url, |conn| {
            let (bodies, body_bytes, series, keyframe_bytes): (i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM readings), (SELECT SUM(LENGTH(body)) FROM readings), \
                 (SELECT COUNT(*) FROM reading_series), (SELECT SUM(LENGTH(keyframe)) FROM reading_series)",
            )
            .fetch_one(&mut conn)
            .await?;
            println!(
                "{backend:?}: {bodies} readings, body {} B on average; {series} series, keyframe {} B on average",
                body_bytes / bodies.max(1),
                keyframe_bytes / series.max(1)
            );
        });
    }
    let before = sizes(url, backend, true).await?;
    let year_end = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    match design {
        Design::New => {
            let store = Store::open(url).await?;
            store
                .remove_raw_older_than(RAW_RETENTION_DAYS, year_end)
                .await?;
            store.close().await;
        }
        Design::Old => {
            let cutoff = year_end - Duration::days(i64::from(RAW_RETENTION_DAYS));
            execute(url, backend, "UPDATE readings SET raw = NULL, snmprec_z = NULL, exchanges_z = NULL WHERE taken_at < $1", Some(cutoff)).await?;
        }
    }
    let after_plain_vacuum = match backend {
        Backend::Postgres => Some(
            sizes(url, backend, false)
                .await?
                .values()
                .map(|(t, i)| t + i)
                .sum(),
        ),
        Backend::Sqlite => None,
    };
    let after = sizes(url, backend, true).await?;
    let grown = |sizes: BTreeMap<String, (u64, u64)>| {
        sizes
            .into_iter()
            .map(|(table, (heap, index))| {
                let (heap0, index0) = baseline.get(&table).copied().unwrap_or_default();
                (
                    table,
                    (heap.saturating_sub(heap0), index.saturating_sub(index0)),
                )
            })
            .collect()
    };
    let (before, after) = (grown(before), grown(after));
    let empty: u64 = baseline.values().map(|(t, i)| t + i).sum();
    let after_plain_vacuum = after_plain_vacuum.map(|total: u64| total.saturating_sub(empty));
    Ok(Sizes {
        design,
        before,
        after,
        after_plain_vacuum,
        ingest_seconds,
    })
}

/// An account and an enrolled agent (the baseline: sizes then, and the seconds filing
/// took), and the devices' readings uploaded a day at a time, as the agent reading them
/// all would.
async fn file_new(
    url: &str,
    years: &[DeviceYear],
    backend: Backend,
) -> anyhow::Result<(BTreeMap<String, (u64, u64)>, f64)> {
    let store = Store::open(url).await?;
    let (account, agent) = enrolled(&store).await?;
    let baseline = sizes(url, backend, true).await?;
    let started = Instant::now();
    let mut seq = 0;
    let addresses: Vec<String> = (0..years.len())
        .map(|n| format!("10.0.0.{}", n + 5))
        .collect();
    for day in 0..365 {
        let mut items = Vec::with_capacity(READS_A_DAY * years.len());
        for (year, address) in years.iter().zip(&addresses) {
            for read in &year.readings[day * READS_A_DAY..(day + 1) * READS_A_DAY] {
                seq += 1;
                items.push(AgentIngest {
                    seq,
                    site: None,
                    ingest: Ingest {
                        account,
                        address,
                        taken_at: read.taken_at,
                        cycle: read.cycle,
                        strategy: &year.strategy,
                        reading: &read.reading,
                        raw: Some(&read.raw),
                        exchanges: None,
                    },
                    replaced: &[],
                    assessments: &[],
                });
            }
        }
        store.ingest_upload(&agent, &items).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    store.close().await;
    Ok((baseline, seconds))
}

async fn enrolled(store: &Store) -> anyhow::Result<(AccountId, String)> {
    let account = store.create_account("Acme", None, false).await?;
    let now = Utc::now();
    store
        .issue_enrollment_key(account, "key-hash", now, now + Duration::hours(1))
        .await?;
    let agent = "ag-0123456789abcdef".to_owned();
    let enrolled = NewAgent {
        id: &agent,
        secret_hash: "secret-hash",
        hostname: "site-agent",
        version: "0.1.0",
    };
    store
        .enroll("key-hash", enrolled, now)
        .await?
        .map_err(|refused| anyhow::anyhow!("the enrollment key was refused: {refused:?}"))?;
    Ok((account, agent))
}

async fn execute(
    url: &str,
    backend: Backend,
    sql: &'static str,
    at: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    with_connection!(backend, url, |conn| {
        let mut query = sqlx::query(sql);
        if let Some(at) = at {
            query = query.bind(at);
        }
        query.execute(&mut conn).await?;
    });
    Ok(())
}

/// The old ingest's rows, a day a transaction.
macro_rules! old_rows {
    ($conn:ident, $years:expr, $db:ty, $url:expr, $backend:expr) => {{
        use sqlx::types::Json;
        let agent = "ag-0123456789abcdef";
        sqlx::query("INSERT INTO accounts (name, is_dealer) VALUES ('Acme', FALSE)").execute(&mut $conn).await?;
        sqlx::query("INSERT INTO agents (id, account_id, secret_hash, hostname, version, enrolled_at) VALUES ($1, 1, 'secret-hash', 'site-agent', '0.1.0', $2)")
            .bind(agent).bind(Utc::now()).execute(&mut $conn).await?;
        let baseline = sizes($url, $backend, true).await?;
        let started = Instant::now();
        let mut seq: i64 = 0;
        let mut devices = Vec::new();
        for (n, year) in $years.iter().enumerate() {
            let last = &year.readings.last().expect("a year of readings").reading;
            let device: i64 = sqlx::query_scalar(
                "INSERT INTO devices (account_id, identity, serial, mac, manufacturer, model, first_seen, last_seen, strategy_name, strategy_version, status) \
                 VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, 'running') RETURNING id",
            )
            .bind(format!("serial:{}", year.name))
            .bind(last.identity.serial.as_deref())
            .bind(last.identity.mac.as_deref())
            .bind(last.identity.manufacturer.as_deref())
            .bind(last.identity.model.as_deref())
            .bind(year.readings[0].taken_at)
            .bind(year.readings.last().expect("a year").taken_at)
            .bind(&year.strategy.name)
            .bind(&year.strategy.version)
            .fetch_one(&mut $conn)
            .await?;
            sqlx::query("INSERT INTO device_addresses (device_id, address, first_seen, last_seen) VALUES ($1, $2, $3, $3)")
                .bind(device).bind(format!("10.0.0.{}", n + 5)).bind(year.readings[0].taken_at).execute(&mut $conn).await?;
            devices.push(device);
        }
        for day in 0..365 {
            let mut tx = $conn.begin().await?;
            let mut supplies = Vec::new();
            let mut alerts = Vec::new();
            for (year, &device) in $years.iter().zip(&devices) {
                for read in &year.readings[day * READS_A_DAY..(day + 1) * READS_A_DAY] {
                        seq += 1;
                        let cycle = serde_json::to_value(read.cycle)?.as_str().unwrap_or_default().to_owned();
                        let reading: i64 = sqlx::query_scalar(
                            "INSERT INTO readings (device_id, taken_at, cycle, strategy_name, strategy_version, reading, snmprec_z, exchanges_z, agent_id, agent_seq) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9) RETURNING id",
                        )
                        .bind(device)
                        .bind(read.taken_at)
                        .bind(cycle)
                        .bind(&year.strategy.name)
                        .bind(&year.strategy.version)
                        .bind(Json(&read.reading))
                        .bind(zlib(&read.raw))
                        .bind(agent)
                        .bind(seq)
                        .fetch_one(&mut *tx)
                        .await?;
                        supplies.extend(read.reading.supplies.iter().map(|s| (device, reading, s)));
                        alerts.extend(read.reading.alerts.iter().map(|a| (device, reading, a)));
                }
            }
            if !supplies.is_empty() {
                let mut insert = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO supplies (device_id, reading_id, idx, description, kind, color, level, max_level, percent, state, serial) ",
                );
                insert.push_values(&supplies, |mut row, (device, reading, s)| {
                    let state = serde_json::to_value(s.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                    row.push_bind(*device).push_bind(*reading).push_bind(i64::from(s.index)).push_bind(s.description.clone())
                        .push_bind(s.kind.clone()).push_bind(s.color.clone()).push_bind(s.level).push_bind(s.max)
                        .push_bind(s.percent.map(i32::from)).push_bind(state).push_bind(s.serial.clone());
                });
                insert.build().execute(&mut *tx).await?;
            }
            if !alerts.is_empty() {
                let mut insert = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO alerts (device_id, reading_id, idx, code, severity, alert_group, description) ",
                );
                insert.push_values(&alerts, |mut row, (device, reading, a)| {
                    let severity = serde_json::to_value(a.severity).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                    row.push_bind(*device).push_bind(*reading).push_bind(i64::from(a.index)).push_bind(a.code)
                        .push_bind(severity).push_bind(a.group.clone()).push_bind(a.description.clone());
                });
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        let seconds = started.elapsed().as_secs_f64();
        $conn.close().await?;
        Ok((baseline, seconds))
    }};
}

/// The schema before issue 15, as its migrations left it, filled with the rows its ingest
/// wrote: per reading its JSON, compressed exchange and agent key, and a row per supply and
/// per alert.
async fn file_old(
    url: &str,
    years: &[DeviceYear],
    backend: Backend,
) -> anyhow::Result<(BTreeMap<String, (u64, u64)>, f64)> {
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join(match backend {
        Backend::Sqlite => "../store/migrations/sqlite",
        Backend::Postgres => "../store/migrations/postgres",
    });
    let mut migrator = sqlx::migrate::Migrator::new(migrations.as_path()).await?;
    let old: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= OLD_DESIGN_LAST_MIGRATION)
        .cloned()
        .collect();
    migrator.migrations = Cow::Owned(old);
    match backend {
        Backend::Sqlite => {
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
            migrator.run(&mut conn).await?;
            old_rows!(conn, years, sqlx::Sqlite, url, backend)
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            migrator.run(&mut conn).await?;
            old_rows!(conn, years, sqlx::Postgres, url, backend)
        }
    }
}

fn zlib(text: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(text.as_bytes())
        .expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// Bytes of each table and of its indexes, after `VACUUM` (`full`: PostgreSQL's `VACUUM FULL`).
async fn sizes(
    url: &str,
    backend: Backend,
    full: bool,
) -> anyhow::Result<BTreeMap<String, (u64, u64)>> {
    let rows: Vec<(String, String, i64)> = with_connection!(backend, url, |conn| {
        match backend {
            Backend::Sqlite => {
                sqlx::query("VACUUM").execute(&mut conn).await?;
                sqlx::query_as(
                    "SELECT COALESCE(m.tbl_name, d.name), COALESCE(m.type, 'table'), SUM(d.pgsize) \
                     FROM dbstat d LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1, 2",
                )
                .fetch_all(&mut conn)
                .await?
            }
            Backend::Postgres => {
                sqlx::query(if full { "VACUUM FULL" } else { "VACUUM" })
                    .execute(&mut conn)
                    .await?;
                sqlx::query_as(
                    "SELECT c.relname::text, 'table', pg_total_relation_size(c.oid) - pg_indexes_size(c.oid) \
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = 'public' AND c.relkind = 'r' \
                     UNION ALL SELECT c.relname::text, 'index', pg_indexes_size(c.oid) \
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = 'public' AND c.relkind = 'r'",
                )
                .fetch_all(&mut conn)
                .await?
            }
        }
    });
    let mut sizes = BTreeMap::<String, (u64, u64)>::new();
    for (table, kind, bytes) in rows {
        let entry = sizes.entry(table).or_default();
        let bytes = bytes.unsigned_abs();
        if kind == "index" {
            entry.1 += bytes;
        } else {
            entry.0 += bytes;
        }
    }
    Ok(sizes)
}

/// Bytes as kB per device-year, one decimal.
fn per_year(bytes: u64, devices: usize) -> String {
    format!("{:.1}", bytes as f64 / devices as f64 / 1_000.0)
}

fn print_sizes(backend: &str, designs: &[Sizes], devices: usize) {
    println!();
    println!("{backend}: kB per device-year, table + its indexes, beyond the empty database's");
    print!("{:<22}", "table");
    for sizes in designs {
        let name = if sizes.design == Design::Old {
            "old"
        } else {
            "new"
        };
        print!(
            " {:>21} {:>21}",
            format!("{name} before retention"),
            format!("{name} after")
        );
    }
    println!();
    let mut tables: Vec<&String> = designs
        .iter()
        .flat_map(|s| s.before.keys().chain(s.after.keys()))
        .collect();
    tables.sort();
    tables.dedup();
    let shown = |(table, index): (u64, u64)| {
        if table + index == 0 {
            "-".to_owned()
        } else {
            format!(
                "{} + {}",
                per_year(table, devices),
                per_year(index, devices)
            )
        }
    };
    for table in tables {
        // Tables the readings do not fill (users, sessions, …) take a page or two each.
        let big = designs.iter().any(|s| {
            [&s.before, &s.after].iter().any(|m| {
                m.get(table)
                    .is_some_and(|(t, i)| t + i > 8_192 * devices as u64)
            })
        });
        if !big {
            continue;
        }
        print!("{table:<22}");
        for sizes in designs {
            for map in [&sizes.before, &sizes.after] {
                print!(
                    " {:>21}",
                    shown(map.get(table).copied().unwrap_or_default())
                );
            }
        }
        println!();
    }
    print!("{:<22}", "total (MB)");
    for sizes in designs {
        for map in [&sizes.before, &sizes.after] {
            let total: u64 = map.values().map(|(t, i)| t + i).sum();
            print!(
                " {:>21}",
                format!("{:.2}", total as f64 / devices as f64 / 1e6)
            );
        }
    }
    println!();
    for sizes in designs {
        if let Some(plain) = sizes.after_plain_vacuum {
            println!(
                "{:?} design after retention and plain VACUUM (freed space kept for reuse): {:.2} MB per device-year",
                sizes.design,
                plain as f64 / devices as f64 / 1e6
            );
        }
        println!(
            "{:?} design filed in {:.1} s",
            sizes.design, sizes.ingest_seconds
        );
    }
}
