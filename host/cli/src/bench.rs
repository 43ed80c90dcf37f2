//! `quire bench discovery`: sweeps a /16 holding simulated printers, the rest
//! silent, with the agent's discovery and with a session per address.
//!
//! `quire bench fleet`: polls a simulated fleet through the full meters &
//! supplies collect — discovery of the strategy, the sandboxed plugin, the
//! live SNMP client — and then has net-snmp's `snmpbulkwalk` walk the same
//! subtrees of the same devices with the same concurrency, and prints both
//! side by side. The simulator runs as a separate `quire simulate` process so
//! the poller's peak memory is its own.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use quire_agent::discovery::{Target, scan_with_progress};
use quire_model::Cycle;
use quire_plugins::Registry;
use quire_protocol::{DiscoverySettings, Range};
use quire_snmp::client::{ClientConfig, CredentialSet, Credentials, Session};
use quire_snmp::responder::{Fleet, FleetConfig};
use quire_snmp::{Oid, Recording};
use quire_transport::{DeviceTransport, LiveTransport};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::output::Outcome;
use crate::replay;

/// The subtrees the generic strategy's meters & supplies collect reads, which
/// net-snmp walks in turn: system, interfaces' MACs, Host Resources' device
/// and printer tables, and the whole Printer-MIB.
const SUBTREES: [&str; 4] = [
    ".1.3.6.1.2.1.1",
    ".1.3.6.1.2.1.2.2.1.6",
    ".1.3.6.1.2.1.25.3",
    ".1.3.6.1.2.1.43",
];

/// `quire bench fleet`.
#[derive(Args)]
pub struct FleetArgs {
    /// How many simulated devices to poll.
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Devices read at once, by Quire and by net-snmp alike.
    #[arg(long, default_value_t = 128)]
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
}

/// One side's figures.
struct Run {
    read: usize,
    failed: usize,
    wall: Duration,
    peak_rss_kib: Option<u64>,
}

pub async fn fleet(args: &FleetArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.base.is_loopback(), "--base must be in 127.0.0.0/8");
    let mut simulator = start_simulator(args).await?;
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
    Ok(())
}

/// The `i`th address after `base`.
fn nth(base: Ipv4Addr, i: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(base) + i as u32)
}

/// Starts `quire simulate` and waits until it says it is listening.
async fn start_simulator(args: &FleetArgs) -> anyhow::Result<tokio::process::Child> {
    let exe = std::env::current_exe().context("cannot find the quire binary")?;
    let mut child = tokio::process::Command::new(exe)
        .arg("simulate")
        .arg(&args.recordings)
        .args(["--fleet", &args.devices.to_string()])
        .args(["--base", &args.base.to_string()])
        .args(["--port", &args.port.to_string()])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start quire simulate")?;
    let stdout = child.stdout.take().context("simulator has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await? {
            if line.starts_with("listening:") {
                return Ok::<bool, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    match ready {
        Ok(Ok(true)) => {}
        Ok(_) => bail!("quire simulate exited before listening"),
        Err(_) => bail!("quire simulate did not start listening within 120 s"),
    }
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(child)
}

async fn poll_with_quire(addresses: &[SocketAddr], concurrency: usize) -> anyhow::Result<Run> {
    let registry = Arc::new(replay::builtin_registry().await?);
    let credentials = Arc::new(CredentialSet::new(vec![Credentials::V2c {
        community: "public".into(),
    }]));
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let started = Instant::now();
    let mut reads = JoinSet::new();
    for &address in addresses {
        let permit = slots.clone().acquire_owned().await?;
        let registry = registry.clone();
        let credentials = credentials.clone();
        reads.spawn(async move {
            let _permit = permit;
            read_one(&registry, &credentials, address).await
        });
    }
    let (mut read, mut failed) = (0, 0);
    while let Some(outcome) = reads.join_next().await {
        match outcome? {
            Outcome::Read { .. } => read += 1,
            Outcome::Failed { file, error, .. } => {
                failed += 1;
                if failed <= 5 {
                    eprintln!("quire: {file}: {error}");
                }
            }
        }
    }
    Ok(Run {
        read,
        failed,
        wall: started.elapsed(),
        peak_rss_kib: own_peak_rss_kib(),
    })
}

async fn read_one(
    registry: &Registry,
    credentials: &CredentialSet,
    address: SocketAddr,
) -> Outcome {
    let name = address.to_string();
    let session = match credentials.open(address, &ClientConfig::default()).await {
        Ok(session) => session,
        Err(e) => {
            return Outcome::Failed {
                file: name,
                strategy: None,
                error: e.to_string(),
            };
        }
    };
    let transport: Arc<dyn DeviceTransport> = Arc::new(LiveTransport::new(session));
    replay::read_device(
        registry,
        name,
        transport,
        None,
        Cycle::MetersAndSupplies,
        false,
        Vec::new(),
    )
    .await
}

async fn poll_with_net_snmp(addresses: &[SocketAddr], concurrency: usize) -> anyhow::Result<Run> {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
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
    })
}

/// This process's peak resident set (VmHWM), in KiB.
fn own_peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// FMAudit's own sizing formula for discovering a /16, as issue 4 quotes it:
/// the figure a dealer is used to, printed beside ours (not measured here).
const FMAUDIT_SLASH_16: Duration = Duration::from_secs(54 * 60);

/// `quire bench discovery`.
#[derive(Args)]
pub struct DiscoveryArgs {
    /// The range swept (at most a /16, as any discovery range).
    #[arg(long, default_value = "127.200.0.0/16")]
    range: Range,
    /// Simulated printers, spread evenly over the range; the rest is silent.
    #[arg(long, default_value_t = 1_000)]
    printers: usize,
    /// Recordings the printers are copied from (each must be a printing device).
    #[arg(long, default_value = "fixtures/recorded/printmaster")]
    recordings: PathBuf,
    /// UDP port of the simulated printers.
    #[arg(long, default_value_t = 16200)]
    port: u16,
    /// Per-attempt timeout, milliseconds.
    #[arg(long, default_value_t = 1_000)]
    timeout_ms: u32,
    /// Probes in flight in Quire's scan.
    #[arg(long, default_value_t = DiscoverySettings::default().concurrency)]
    concurrency: u32,
    /// Addresses (from the start of the range) the naive baseline probes; its
    /// time is extrapolated to the whole range. They are held silent by
    /// bound sockets, so no ICMP port-unreachable cuts its waits short.
    #[arg(long, default_value_t = 2_048)]
    baseline_sample: usize,
    /// Sessions in flight in the naive baseline.
    #[arg(long, default_value_t = 128)]
    baseline_concurrency: usize,
    /// Only serve the simulated printers (the benchmark runs this in a child
    /// process, so the scanner's peak memory is its own).
    #[arg(long, hide = true)]
    serve: bool,
}

/// Where the benchmark's printers and held-silent addresses are.
struct Layout {
    addresses: Vec<IpAddr>,
    printers: Vec<Ipv4Addr>,
    held: Vec<Ipv4Addr>,
}

impl DiscoveryArgs {
    fn layout(&self) -> anyhow::Result<Layout> {
        let addresses: Vec<IpAddr> = self.range.addresses().collect();
        let v4: Vec<Ipv4Addr> = addresses
            .iter()
            .filter_map(|a| match a {
                IpAddr::V4(v4) if v4.is_loopback() => Some(*v4),
                _ => None,
            })
            .collect();
        let n = addresses.len();
        anyhow::ensure!(
            v4.len() == n,
            "--range {} must lie in 127.0.0.0/8",
            self.range
        );
        anyhow::ensure!(
            (1..=n).contains(&self.printers),
            "--printers must be between 1 and the {n} addresses of the range"
        );
        let step = n / self.printers;
        let printer_at: Vec<usize> = (0..self.printers)
            .map(|i| (i * n / self.printers + step / 2).min(n - 1))
            .collect();
        let printers = printer_at.iter().map(|&i| v4[i]).collect();
        let held = v4
            .iter()
            .take(self.baseline_sample)
            .enumerate()
            .filter(|(i, _)| printer_at.binary_search(i).is_err())
            .map(|(_, a)| *a)
            .collect();
        Ok(Layout {
            addresses,
            printers,
            held,
        })
    }
}

pub async fn discovery(args: &DiscoveryArgs) -> anyhow::Result<()> {
    let layout = args.layout()?;
    if args.serve {
        return serve_discovery_fleet(args, &layout).await;
    }
    let mut simulator = start_discovery_fleet(args).await?;
    let settings = DiscoverySettings {
        timeout_ms: args.timeout_ms,
        retries: 0,
        concurrency: args.concurrency,
    };
    let credentials = [Credentials::V2c {
        community: "public".into(),
    }];
    let total = layout.addresses.len();
    let targets = layout
        .addresses
        .iter()
        .map(|&address| Target {
            address,
            site_id: 1,
            part: None,
        })
        .collect();
    eprintln!(
        "quire: scanning {} ({total} addresses), {} in flight",
        args.range, args.concurrency
    );
    reset_peak_rss();
    let report = scan_with_progress(targets, &credentials, &settings, args.port, |p| {
        eprint!(
            "\r  {:>6}/{} settled, {} printers, {:.0} s",
            p.done,
            p.total,
            p.found,
            p.elapsed.as_secs_f64()
        );
    })
    .await;
    eprintln!();
    let quire_rss = own_peak_rss_kib();

    let sample = &layout.addresses[..args.baseline_sample.min(total)];
    eprintln!(
        "naive: one session per address, {} at a time, on the first {} addresses",
        args.baseline_concurrency,
        sample.len()
    );
    reset_peak_rss();
    let (naive_found, naive_wall) = naive_discovery(
        sample,
        args.port,
        args.timeout_ms,
        args.baseline_concurrency,
    )
    .await?;
    let naive_rss = own_peak_rss_kib();
    simulator.kill().await.ok();

    let scale = total as f64 / sample.len().max(1) as f64;
    println!(
        "discovery of {}: {total} addresses, {} simulated printers spread over it, the rest silent; timeout {} ms, no retries",
        args.range, args.printers, args.timeout_ms
    );
    println!(
        "{:<58} {:>9} {:>9} {:>12} {:>13}",
        "scanner", "printers", "wall s", "addresses/s", "peak RSS MiB"
    );
    let mib = |kib: Option<u64>| {
        kib.map(|k| format!("{:.1}", k as f64 / 1024.0))
            .unwrap_or_else(|| "-".into())
    };
    let row = |name: &str, found: String, wall: Duration, rss: String| {
        println!(
            "{:<58} {:>9} {:>9.1} {:>12.0} {:>13}",
            name,
            found,
            wall.as_secs_f64(),
            total as f64 / wall.as_secs_f64(),
            rss
        );
    };
    row(
        &format!(
            "quire discovery ({} in flight, shared sockets)",
            args.concurrency
        ),
        report.found.len().to_string(),
        report.elapsed,
        mib(quire_rss),
    );
    row(
        &format!(
            "naive Session GET per address, {} at a time (*)",
            args.baseline_concurrency
        ),
        format!("~{:.0}", naive_found as f64 * scale),
        naive_wall.mul_f64(scale),
        mib(naive_rss),
    );
    row(
        "FMAudit sizing formula for a /16 (quoted, not run)",
        "-".into(),
        FMAUDIT_SLASH_16,
        "-".into(),
    );
    println!(
        "(*) extrapolated: {} addresses probed in {:.1} s, {naive_found} printers found, times {scale:.1}",
        sample.len(),
        naive_wall.as_secs_f64()
    );
    println!(
        "quire: {} not printers, {} refused, {} silent",
        report.not_printers, report.refused, report.silent
    );
    if report.found.len() != args.printers {
        bail!(
            "quire found {} printers of {}",
            report.found.len(),
            args.printers
        );
    }
    Ok(())
}

/// Starts `quire bench discovery --serve` with the same layout and waits until
/// it listens.
async fn start_discovery_fleet(args: &DiscoveryArgs) -> anyhow::Result<tokio::process::Child> {
    let exe = std::env::current_exe().context("cannot find the quire binary")?;
    let mut child = tokio::process::Command::new(exe)
        .args(["bench", "discovery", "--serve"])
        .args(["--range", &args.range.to_string()])
        .args(["--printers", &args.printers.to_string()])
        .arg("--recordings")
        .arg(&args.recordings)
        .args(["--port", &args.port.to_string()])
        .args(["--baseline-sample", &args.baseline_sample.to_string()])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the simulated printers")?;
    let stdout = child.stdout.take().context("simulator has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await? {
            if line.starts_with("listening:") {
                return Ok::<bool, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    match ready {
        Ok(Ok(true)) => Ok(child),
        Ok(_) => bail!("the simulated printers exited before listening"),
        Err(_) => bail!("the simulated printers did not listen within 120 s"),
    }
}

/// The child's side: one simulated printer per printer address, a bound
/// socket that never answers on every held address, until killed.
async fn serve_discovery_fleet(args: &DiscoveryArgs, layout: &Layout) -> anyhow::Result<()> {
    let mut sources = Vec::new();
    for file in replay::expand(std::slice::from_ref(&args.recordings)) {
        sources
            .push(Recording::load(&file).with_context(|| format!("loading {}", file.display()))?);
    }
    anyhow::ensure!(
        !sources.is_empty(),
        "no recordings in {}",
        args.recordings.display()
    );
    let mut fleets = Vec::with_capacity(layout.printers.len());
    for (i, &base) in layout.printers.iter().enumerate() {
        let config = FleetConfig {
            base,
            port: args.port,
            ..FleetConfig::default()
        };
        let source = sources[i % sources.len()].clone();
        fleets.push(
            Fleet::start(vec![source], config)
                .await
                .with_context(|| format!("serving a printer on {base}"))?,
        );
    }
    let mut held = Vec::with_capacity(layout.held.len());
    for &address in &layout.held {
        held.push(
            tokio::net::UdpSocket::bind((address, args.port))
                .await
                .with_context(|| format!("holding {address}"))?,
        );
    }
    println!(
        "listening: {} printers, {} held silent addresses",
        fleets.len(),
        held.len()
    );
    std::future::pending::<()>().await;
    Ok(())
}

/// The way without shared sockets: a [`quire_snmp::client::Session`] per
/// address (its own socket and timeout), the probe GETNEXT on those that answer.
async fn naive_discovery(
    addresses: &[IpAddr],
    port: u16,
    timeout_ms: u32,
    concurrency: usize,
) -> anyhow::Result<(usize, Duration)> {
    let config = ClientConfig {
        timeout: Duration::from_millis(u64::from(timeout_ms)),
        retries: 0,
        ..ClientConfig::default()
    };
    let probe: Arc<Vec<Oid>> = Arc::new(
        [
            "1.3.6.1.2.1.1.1",
            "1.3.6.1.2.1.1.2",
            "1.3.6.1.2.1.25.3.2.1.2",
            "1.3.6.1.2.1.43",
        ]
        .iter()
        .map(|o| o.parse().expect("probe OIDs parse"))
        .collect(),
    );
    let printer_mib: Oid = "1.3.6.1.2.1.43".parse().expect("Printer-MIB OID parses");
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let started = Instant::now();
    let mut probes = JoinSet::new();
    for &address in addresses {
        let permit = slots.clone().acquire_owned().await?;
        let (config, probe, printer_mib) = (config.clone(), probe.clone(), printer_mib.clone());
        probes.spawn(async move {
            let _permit = permit;
            let credentials = Credentials::V2c {
                community: "public".into(),
            };
            let Ok(session) =
                Session::open(SocketAddr::new(address, port), credentials, config).await
            else {
                return false;
            };
            session.get_next(&probe).await.is_ok_and(|answers| {
                answers
                    .iter()
                    .any(|(oid, value)| oid.starts_with(&printer_mib) && !value.is_exception())
            })
        });
    }
    let mut found = 0;
    while let Some(printer) = probes.join_next().await {
        found += usize::from(printer?);
    }
    Ok((found, started.elapsed()))
}

/// Resets this process's peak resident set (Linux `clear_refs` 5), so each
/// side's peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
