//! `quire-bench fleet`: polls a simulated fleet through the full meters &
//! supplies collect — discovery of the strategy, the sandboxed plugin, the
//! live SNMP client — and then has net-snmp's `snmpbulkwalk` walk the same
//! subtrees of the same devices with the same concurrency, and prints both
//! side by side. The simulated fleet is served by a child process (this
//! binary again, `fleet --serve`) so the poller's peak memory is its own.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use quire_model::Cycle;
use quire_plugins::{Host, HostConfig, Probe, Registry};
use quire_snmp::client::{ClientConfig, CredentialSet, Credentials};
use quire_snmp::responder::{Fleet, FleetConfig};
use quire_transport::{DeviceTransport, LiveTransport};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::child;
use crate::memory::{own_peak_rss_kib, own_status};
use crate::progress;

/// The subtrees the generic strategy's meters & supplies collect reads, which
/// net-snmp walks in turn: system, interfaces' MACs, Host Resources' device
/// and printer tables, and the whole Printer-MIB.
const SUBTREES: [&str; 4] = [
    ".1.3.6.1.2.1.1",
    ".1.3.6.1.2.1.2.2.1.6",
    ".1.3.6.1.2.1.25.3",
    ".1.3.6.1.2.1.43",
];

/// `quire-bench fleet`.
#[derive(Args)]
pub struct FleetArgs {
    /// How many simulated devices to poll.
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Devices read at once, by Quire and by net-snmp alike; the agent's own
    /// default (`AgentOptions::concurrency`), so the figures are an agent's.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Recordings the fleet is copied from.
    #[arg(long, default_value = "fixtures/recorded")]
    recordings: PathBuf,
    /// Address of the first simulated device (loopback only).
    #[arg(long, default_value = "127.20.0.1")]
    base: Ipv4Addr,
    /// UDP port every simulated device listens on.
    #[arg(long, default_value_t = 16161)]
    port: u16,
    /// Skip the net-snmp side (when its tools are not installed).
    #[arg(long)]
    no_net_snmp: bool,
    /// Only serve the simulated fleet (the benchmark runs this in a child
    /// process, so the poller's peak memory is its own).
    #[arg(long, hide = true)]
    serve: bool,
}

/// One side's figures.
struct Run {
    read: usize,
    failed: usize,
    wall: Duration,
    peak_rss_kib: Option<u64>,
    /// Resident before the first read, the strategies loaded: what reading adds is the rest.
    loaded_rss_kib: Option<u64>,
}

pub async fn run(args: &FleetArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.base.is_loopback(), "--base must be in 127.0.0.0/8");
    if args.serve {
        return serve(args).await;
    }
    let mut simulator = child::start_serving(
        "the simulated fleet",
        [
            "fleet".to_owned(),
            "--serve".to_owned(),
            "--recordings".to_owned(),
            args.recordings.display().to_string(),
            "--devices".to_owned(),
            args.devices.to_string(),
            "--base".to_owned(),
            args.base.to_string(),
            "--port".to_owned(),
            args.port.to_string(),
        ],
    )
    .await?;
    let addresses: Vec<SocketAddr> = (0..args.devices)
        .map(|i| SocketAddr::from((nth(args.base, i), args.port)))
        .collect();

    eprintln!(
        "quire: reading {} devices, {} at a time",
        args.devices, args.concurrency
    );
    let quire = poll_with_quire(&addresses, args.concurrency).await?;
    let net_snmp = if args.no_net_snmp {
        None
    } else {
        eprintln!(
            "net-snmp: walking the same {} subtrees of each device",
            SUBTREES.len()
        );
        Some(poll_with_net_snmp(&addresses, args.concurrency).await?)
    };
    simulator.kill().await.ok();

    println!(
        "{} simulated devices, concurrency {}, meters & supplies",
        args.devices, args.concurrency
    );
    println!(
        "{:<34} {:>8} {:>7} {:>10} {:>10} {:>14}",
        "poller", "read", "failed", "wall s", "devices/s", "peak RSS MiB"
    );
    let row = |name: &str, run: &Run| {
        let rss = run
            .peak_rss_kib
            .map(|k| format!("{:.1}", k as f64 / 1024.0))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<34} {:>8} {:>7} {:>10.1} {:>10.0} {:>14}",
            name,
            run.read,
            run.failed,
            run.wall.as_secs_f64(),
            run.read as f64 / run.wall.as_secs_f64(),
            rss
        );
    };
    row("quire (strategy in the sandbox)", &quire);
    if let Some(net_snmp) = &net_snmp {
        row("net-snmp snmpbulkwalk (per process)", net_snmp);
    }
    if let Some(loaded) = quire.loaded_rss_kib {
        println!(
            "quire resident before the first read, its strategies loaded: {:.1} MiB",
            loaded as f64 / 1024.0
        );
    }
    Ok(())
}

/// The `i`th address after `base`.
fn nth(base: Ipv4Addr, i: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(base) + i as u32)
}

/// The child's side: copies of the recordings on consecutive addresses from
/// `--base`, as `quire simulate --fleet` serves them, until killed.
async fn serve(args: &FleetArgs) -> anyhow::Result<()> {
    let recordings = child::recordings(&args.recordings)?;
    let config = FleetConfig {
        base: args.base,
        port: args.port,
        ..FleetConfig::default()
    };
    let fleet = Fleet::start_replicated(recordings, args.devices, config).await?;
    println!("listening: {} devices", fleet.len());
    std::future::pending::<()>().await;
    Ok(())
}

async fn poll_with_quire(addresses: &[SocketAddr], concurrency: usize) -> anyhow::Result<Run> {
    let host = Host::new(HostConfig::default())?;
    let registry = Arc::new(quire_builtin::registry(&host).await?);
    let loaded_rss_kib = own_status("VmRSS:");
    let credentials = Arc::new(CredentialSet::new(vec![Credentials::V2c {
        community: "public".into(),
    }]));
    let progress = progress::bar("quire", addresses.len() as u64);
    let started = Instant::now();
    // Each read's outcome is taken as soon as it is done, as the agent takes them: a
    // finished task kept until the end would hold its memory, and the figure would be
    // the benchmark's rather than the reads'.
    let mut pending = addresses.iter().copied();
    let mut reads = JoinSet::new();
    let (mut read, mut failed) = (0, 0);
    loop {
        while reads.len() < concurrency.max(1)
            && let Some(address) = pending.next()
        {
            let registry = registry.clone();
            let credentials = credentials.clone();
            reads.spawn(async move { read_one(&registry, &credentials, address).await });
        }
        let Some(outcome) = reads.join_next().await else {
            break;
        };
        match outcome? {
            Ok(()) => read += 1,
            Err(error) => {
                failed += 1;
                if failed <= 5 {
                    progress.suspend(|| eprintln!("quire: {error}"));
                }
            }
        }
        progress.inc(1);
    }
    Ok(Run {
        read,
        failed,
        wall: started.elapsed(),
        peak_rss_kib: own_peak_rss_kib(),
        loaded_rss_kib,
    })
}

/// Reads one device as the agent does: its probe chooses the strategy, which
/// then collects. The error names the device.
async fn read_one(
    registry: &Registry,
    credentials: &CredentialSet,
    address: SocketAddr,
) -> Result<(), String> {
    let failed = |e: &dyn std::fmt::Display| format!("{address}: {e}");
    let (session, opening) = credentials
        .open_asking(address, &ClientConfig::default(), &Probe::oids())
        .await
        .map_err(|e| failed(&e))?;
    let transport: Arc<dyn DeviceTransport> = Arc::new(LiveTransport::opened(session, opening));
    let probe = Probe::read(transport.as_ref())
        .await
        .map_err(|e| failed(&format!("cannot identify the device: {e}")))?;
    let plugin = registry
        .select(&probe, transport.clone())
        .await
        .map_err(|e| failed(&e))?
        .plugin;
    plugin
        .collect(transport, Cycle::MetersAndSupplies)
        .await
        .map_err(|e| failed(&e))?;
    Ok(())
}

async fn poll_with_net_snmp(addresses: &[SocketAddr], concurrency: usize) -> anyhow::Result<Run> {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let progress = progress::bar("net-snmp", addresses.len() as u64);
    let started = Instant::now();
    let mut walks = JoinSet::new();
    for &address in addresses {
        let permit = slots.clone().acquire_owned().await?;
        walks.spawn(async move {
            let _permit = permit;
            let mut peak_kib = 0;
            for subtree in SUBTREES {
                // GNU time forks (never vfork), so the figure is snmpbulkwalk's
                // own, not this process's memory inherited before the exec.
                let out = tokio::process::Command::new("/usr/bin/time")
                    .args(["-f", "%M", "snmpbulkwalk", "-v2c", "-c", "public", "-On"])
                    .args(["-t", "1", "-r", "2"])
                    .arg(address.to_string())
                    .arg(subtree)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .output()
                    .await?;
                let stderr = String::from_utf8_lossy(&out.stderr);
                let kib = stderr.lines().last().and_then(|l| l.trim().parse().ok());
                peak_kib = peak_kib.max(kib.unwrap_or(0));
                if !out.status.success() {
                    return Ok::<_, std::io::Error>((false, peak_kib));
                }
            }
            Ok((true, peak_kib))
        });
    }
    let (mut read, mut failed, mut peak_kib) = (0, 0, 0);
    while let Some(done) = walks.join_next().await {
        progress.inc(1);
        match done? {
            Ok((ok, kib)) => {
                peak_kib = peak_kib.max(kib);
                if ok {
                    read += 1;
                } else {
                    failed += 1;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!(
                    "/usr/bin/time or snmpbulkwalk is missing: run scripts/install-test-peers, or pass --no-net-snmp"
                )
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Run {
        read,
        failed,
        wall: started.elapsed(),
        peak_rss_kib: (peak_kib > 0).then_some(peak_kib),
        loaded_rss_kib: None,
    })
}
