//! `quire demo`: the whole system on one machine — a server on embedded SQLite, a
//! simulated fleet served from recordings on loopback, and an enrolled agent finding
//! and reading it — set up through the same REST API a dealer uses.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use hyper::Method;
use quire_agent::{Agent, AgentOptions};
use quire_model::Cycle;
use quire_server::Server;
use quire_server::client::Client;
use quire_snmp::responder::{Fleet, FleetConfig};
use quire_snmp::{Oid, Recording};
use serde_json::{Value, json};

mod printing;

/// The first simulated printer's address; the rest follow it.
const FLEET_BASE: Ipv4Addr = Ipv4Addr::new(127, 150, 0, 1);

/// The UDP port the simulated printers answer on (161 would need root).
const FLEET_PORT: u16 = 16161;

/// Addresses after the fleet that never answer, as most of a real range does.
const SILENT: usize = 16;

/// The Printer-MIB (RFC 3805): a recording holding none of it is an OS-detection stub
/// (sysDescr and sysObjectID only), which discovery rightly skips, so the demo leaves
/// it out rather than show a printer as "not a printing device".
const PRINTER_MIB: &str = "1.3.6.1.2.1.43";

/// sysObjectID: a recording without it holds only the objects one reader asked for
/// (the brother library's Brother blobs), which discovery cannot tell from a
/// non-printer, so the demo leaves it out too.
const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";

/// `quire demo`'s options.
#[derive(Args)]
pub struct DemoArgs {
    /// Where the server and the agent keep their data; a fresh directory when not given.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Recordings to serve as the simulated fleet (files or directories; repeat for
    /// several). By default `fixtures/recorded` of the current directory, else of the
    /// checkout this binary was built from.
    #[arg(long, value_name = "PATH")]
    recordings: Vec<PathBuf>,
    /// Where the server listens.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// A database URL instead of the SQLite file in the data directory.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Run every cycle once, deliver, print what the server holds, and exit.
    #[arg(long)]
    once: bool,
    /// Seconds between the demo's own reads of every printer's meters and supplies,
    /// besides the site's schedules (every 4 hours), so the pages the simulated printers
    /// print show in the console within minutes.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "300",
        value_parser = clap::value_parser!(u64).range(5..=86_400)
    )]
    meters_every: u64,
    #[command(flatten)]
    asm: crate::server::AsmArgs,
}

/// Sets everything up, then runs until Ctrl-C (or once).
pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let printer_mib: Oid = PRINTER_MIB.parse().expect("a valid OID");
    let sys_object_id: Oid = SYS_OBJECT_ID.parse().expect("a valid OID");
    let paths = recordings(args.recordings)?;
    let recordings: Vec<Recording> = crate::simulate::load(&paths)
        .with_context(|| format!("--recordings {}", shown(&paths)))?
        .into_iter()
        .filter(|r| {
            r.subtree(&printer_mib).next().is_some() && r.subtree(&sys_object_id).next().is_some()
        })
        .collect();
    if recordings.is_empty() {
        bail!(
            "--recordings {}: none holds sysObjectID and Printer-MIB data to serve as a printer",
            shown(&paths)
        );
    }
    let data = match args.data {
        Some(dir) => dir,
        None => tempfile::Builder::new()
            .prefix("quire-demo-")
            .tempdir()
            .context("creating the demo's data directory")?
            .keep(),
    };
    let printing = printing::Printing::new(&recordings);
    let fleet = Fleet::start(
        recordings,
        FleetConfig {
            base: FLEET_BASE,
            port: FLEET_PORT,
            silent: SILENT,
            ..FleetConfig::default()
        },
    )
    .await
    .context("starting the simulated fleet")?;
    let fleet = Arc::new(fleet);
    let last = Ipv4Addr::from(u32::from(FLEET_BASE) + (fleet.len() + SILENT) as u32 - 1);
    let range = format!("{FLEET_BASE}-{last}");

    let mut server = Server::new(data.join("server"));
    server.listen = args.listen;
    server.database = args.database;
    // A demo is where a plugin author tries an unsigned build; `quire server` refuses them.
    server.allow_unsigned_plugins = true;
    args.asm.apply(&mut server)?;
    let running = server.start().await.context("starting the server")?;
    let url = format!("https://{}", running.address);
    let client = running.client();
    let password = match &running.admin_password {
        Some(password) => password.clone(),
        None => bail!(
            "{} already has an administrator from an earlier demo; give a fresh --data directory",
            data.display()
        ),
    };
    let admin = Dealer::login(client, &password).await?;
    let account = admin
        .call(
            Method::POST,
            "/api/v1/accounts",
            json!({"name": "Demo customer", "parent-id": running.main_dealer.0}),
        )
        .await?["id"]
        .as_i64()
        .context("the new account's id")?;
    let site = admin
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{account}/sites"),
            json!({"name": "Head office"}),
        )
        .await?["id"]
        .as_i64()
        .context("the new site's id")?;
    admin
        .call(
            Method::PUT,
            &format!("/api/v1/sites/{site}/ranges"),
            json!([{"range": range}]),
        )
        .await?;
    admin
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{account}/credentials"),
            json!([{"version": "v2c", "community": "public"}]),
        )
        .await?;
    let key = admin
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{account}/enrollment-keys"),
            json!({"valid-hours": 1}),
        )
        .await?["key"]
        .as_str()
        .context("the enrollment key")?
        .to_owned();

    let agent_dir = data.join("agent");
    Agent::enroll(&agent_dir, &url, &key, Some(&running.certificate_sha256)).await?;
    let agent = Agent::open(AgentOptions {
        snmp_port: FLEET_PORT,
        ..AgentOptions::new(&agent_dir)
    })
    .await?;

    outln!("Quire demo");
    outln!("  data          {}", data.display());
    outln!("  console       {url}/  (a browser; sign in with the login below)");
    outln!("  server        {url}  (API described at {url}/api/v1/openapi.json)");
    outln!("  certificate   sha256 {}", running.certificate_sha256);
    outln!("  login         admin / {password}");
    outln!("  plugins       unsigned ones published too (a demo: `quire server` refuses them)");
    outln!(
        "  fleet         {} simulated printers on {range} (UDP {FLEET_PORT}), {SILENT} silent addresses",
        fleet.len()
    );
    outln!(
        "  agent         enrolled for account {account} \"Demo customer\", site \"Head office\""
    );

    if args.once {
        let report = agent.run_once().await?;
        for cycle in &report.cycles {
            outln!(
                "  {:<20} {} asked, {} read, {} failed",
                format!("{:?}", cycle.cycle),
                cycle.addresses,
                cycle.read,
                cycle.failures.len()
            );
        }
        report.delivery.context("delivering the readings")?;
        let devices = admin
            .call(Method::GET, "/api/v1/devices", Value::Null)
            .await?;
        let devices = devices.as_array().map_or(&[][..], Vec::as_slice);
        outln!("  the server now holds {} devices:", devices.len());
        for device in devices {
            let text = |field: &str| device[field].as_str().unwrap_or("-").to_owned();
            outln!(
                "    {:>4}  {:<16} {:<40} serial {}",
                device["id"].as_i64().unwrap_or_default(),
                text("manufacturer"),
                text("model"),
                text("serial"),
            );
        }
        running.stop().await;
        return Ok(ExitCode::SUCCESS);
    }

    // One round of every cycle first, so the console opens onto counters and supplies
    // rather than waiting for the schedules' next meters & supplies hour.
    outln!(
        "Reading every printer once on every cycle, then on the site's schedules; Ctrl-C to stop."
    );
    let first = agent.run_once().await?;
    first
        .delivery
        .context("delivering the first round's readings")?;
    let agent_loop = agent.start();
    let printers = printing.start(fleet.clone());
    let meters = read_meters(agent.clone(), Duration::from_secs(args.meters_every));
    outln!(
        "The printers print (200 to 4,000 pages a day each); their meters are read every {} s.",
        args.meters_every
    );
    outln!("Try:");
    outln!("  curl -sk {url}/api/v1/login -d '{{\"name\":\"admin\",\"password\":\"{password}\"}}'");
    outln!("  curl -sk -H 'Authorization: Bearer TOKEN' {url}/api/v1/devices");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    printers.abort();
    meters.abort();
    agent_loop.stop().await;
    running.stop().await;
    outln!("stopped; the data stays in {}", data.display());
    Ok(ExitCode::SUCCESS)
}

/// Reads every printer's meters and supplies every `every`, besides the schedules, until
/// the returned task is aborted; a round that fails is logged and the next one tried.
fn read_meters(agent: Agent, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if let Err(e) = agent.run_now(&[Cycle::MetersAndSupplies]).await {
                tracing::warn!(error = %e, "the demo's meters round failed");
            }
        }
    })
}

/// Where the recordings are looked for without `--recordings`, in order: a checkout the
/// demo is run from, then the checkout it was built from. They are never built into
/// the binary: they are the project's test data, far bigger than the program.
fn default_recordings() -> [PathBuf; 2] {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("host/cli sits two levels under the checkout");
    [PathBuf::from(RECORDINGS), built_from.join(RECORDINGS)]
}

/// The recordings under the checkout.
const RECORDINGS: &str = "fixtures/recorded";

/// The recordings to serve: those named, each of which must exist, or the first
/// default that does.
fn recordings(named: Vec<PathBuf>) -> anyhow::Result<Vec<PathBuf>> {
    if named.is_empty() {
        let defaults = default_recordings();
        return match defaults.iter().find(|path| path.is_dir()) {
            Some(found) => Ok(vec![found.clone()]),
            None => bail!(
                "no recordings to serve: neither {} nor {} exists; name them with \
                 `--recordings PATH` (the fixtures/recorded directory of a Quire checkout)",
                defaults[0].display(),
                defaults[1].display()
            ),
        };
    }
    for path in &named {
        if !path.exists() {
            bail!(
                "--recordings {}: no such file or directory; name recordings or a directory of them \
                 (the fixtures/recorded directory of a Quire checkout)",
                path.display()
            );
        }
    }
    Ok(named)
}

/// Paths as the user would type them, space separated.
fn shown(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The dealer's administrator, logged in.
struct Dealer {
    client: Client,
    token: String,
}

impl Dealer {
    async fn login(client: Client, password: &str) -> anyhow::Result<Dealer> {
        let token = client.login("admin", password).await?;
        Ok(Dealer { client, token })
    }

    /// One call as the administrator; a refusal carries the server's message.
    async fn call(&self, method: Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let body = (!body.is_null()).then_some(&body);
        self.client
            .json(method, path, Some(&self.token), body)
            .await
            .with_context(|| path.to_owned())
    }
}
