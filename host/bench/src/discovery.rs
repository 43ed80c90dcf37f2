//! `quire-bench discovery`: sweeps a /16 holding simulated printers, the rest
//! silent, with the agent's discovery at each packet-rate cap asked, beside the
//! scan it replaced (a session per address over shared sockets, a fixed number
//! in flight), a session per address on sockets of their own, and FMAudit's
//! sizing figure. The printers are served by a child process (this
//! binary again, `discovery --serve`) so the scanner's peak memory is its own.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use quire_agent::discovery::{ScanReport, ScanSettings, Target, scan_with_progress};
use quire_protocol::{Range, SiteDiscovery};
use quire_snmp::Oid;
use quire_snmp::client::{ClientConfig, Credentials, Probed, Session, Sweep};
use quire_snmp::responder::{Fleet, FleetConfig};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::child;
use crate::memory::{own_peak_rss_kib, reset_peak_rss};
use crate::progress;

/// FMAudit's own sizing formula for discovering a /16, as issue 4 quotes it:
/// the figure a dealer is used to, printed beside ours (not measured here).
const FMAUDIT_SLASH_16: Duration = Duration::from_secs(54 * 60);

/// `quire-bench discovery`.
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
    /// Packet-rate caps Quire's scan sweeps the range at, one run each: by
    /// default 10,000 packets/s and the sites' default cap.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, SiteDiscovery::DEFAULT_PACKETS_PER_SECOND])]
    rates: Vec<u32>,
    /// Probes in flight in the scan Quire had before the pace (a session per
    /// address over shared sockets); 0 leaves it out.
    #[arg(long, default_value_t = 2_048)]
    previous_in_flight: usize,
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

pub async fn run(args: &DiscoveryArgs) -> anyhow::Result<()> {
    let layout = args.layout()?;
    if args.serve {
        return serve_discovery_fleet(args, &layout).await;
    }
    let mut simulator = child::start_serving(
        "the simulated printers",
        [
            "discovery".to_owned(),
            "--serve".to_owned(),
            "--range".to_owned(),
            args.range.to_string(),
            "--printers".to_owned(),
            args.printers.to_string(),
            "--recordings".to_owned(),
            args.recordings.display().to_string(),
            "--port".to_owned(),
            args.port.to_string(),
            "--baseline-sample".to_owned(),
            args.baseline_sample.to_string(),
        ],
    )
    .await?;
    let credentials = [Credentials::V2c {
        community: "public".into(),
    }];
    let total = layout.addresses.len();
    let mut paced = Vec::with_capacity(args.rates.len());
    for &rate in &args.rates {
        eprintln!(
            "quire: scanning {} ({total} addresses) at {rate} packets/s",
            args.range
        );
        let settings = ScanSettings {
            timeout: Duration::from_millis(u64::from(args.timeout_ms)),
            retries: 0,
            packets_per_second: rate,
        };
        let targets = layout
            .addresses
            .iter()
            .map(|&address| Target {
                address,
                site_id: 1,
                part: None,
            })
            .collect();
        reset_peak_rss();
        let progress = progress::bar("quire", total as u64);
        let report = scan_with_progress(targets, &credentials, &settings, args.port, |p| {
            progress.set_position(p.done as u64);
            progress.set_message(format!("addresses settled, printers found: {}", p.found));
        })
        .await;
        drop(progress);
        paced.push((rate, report, own_peak_rss_kib()));
    }

    let previous = if args.previous_in_flight > 0 {
        eprintln!(
            "previous: a session per address over shared sockets, {} in flight",
            args.previous_in_flight
        );
        reset_peak_rss();
        let (found, wall) = previous_scan(
            &layout.addresses,
            &credentials,
            args.port,
            args.timeout_ms,
            args.previous_in_flight,
        )
        .await;
        Some((found, wall, own_peak_rss_kib()))
    } else {
        None
    };

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
    for (rate, report, rss) in &paced {
        row(
            &format!("quire discovery, paced at {rate} packets/s"),
            report.found.len().to_string(),
            report.elapsed,
            mib(*rss),
        );
    }
    if let Some((found, wall, rss)) = previous {
        row(
            &format!(
                "previous: session per address, {} in flight",
                args.previous_in_flight
            ),
            found.to_string(),
            wall,
            mib(rss),
        );
    }
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
    for (rate, report, _) in &paced {
        println!(
            "quire at {rate} packets/s: {} not printers, {} refused, {} silent",
            report.not_printers, report.refused, report.silent
        );
    }
    for (rate, report, _) in &paced {
        check_found(rate, report, args.printers)?;
    }
    Ok(())
}

fn check_found(rate: &u32, report: &ScanReport, printers: usize) -> anyhow::Result<()> {
    if report.found.len() != printers {
        bail!(
            "quire at {rate} packets/s found {} printers of {printers}",
            report.found.len()
        );
    }
    Ok(())
}

/// The child's side: one simulated printer per printer address, a bound
/// socket that never answers on every held address, until killed.
async fn serve_discovery_fleet(args: &DiscoveryArgs, layout: &Layout) -> anyhow::Result<()> {
    let sources = child::recordings(&args.recordings)?;
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

/// The scan Quire had before the pace: the sweep's [`Sweep::get_next`] (a
/// session per address over shared sockets) for `in_flight` addresses at a
/// time, what is printing told by a Printer-MIB object as in the naive way.
async fn previous_scan(
    addresses: &[IpAddr],
    credentials: &[Credentials],
    port: u16,
    timeout_ms: u32,
    in_flight: usize,
) -> (usize, Duration) {
    let config = ClientConfig {
        timeout: Duration::from_millis(u64::from(timeout_ms)),
        retries: 0,
        backoff: 1.0,
        ..ClientConfig::default()
    };
    let sweep = Arc::new(Sweep::new(credentials, config).await);
    let probe: Arc<[Oid]> = PROBE
        .iter()
        .map(|o| o.parse().expect("probe OIDs parse"))
        .collect();
    let printer_mib: Oid = PROBE[3].parse().expect("Printer-MIB OID parses");
    let progress = progress::bar("previous", addresses.len() as u64);
    let started = Instant::now();
    let mut pending = addresses.iter();
    let mut running = JoinSet::new();
    let mut found = 0;
    loop {
        while running.len() < in_flight.max(1)
            && let Some(&address) = pending.next()
        {
            let (sweep, probe, printer_mib) = (sweep.clone(), probe.clone(), printer_mib.clone());
            running.spawn(async move {
                match sweep.get_next(SocketAddr::new(address, port), &probe).await {
                    Probed::Answered { varbinds, .. } => varbinds
                        .iter()
                        .any(|(oid, value)| oid.starts_with(&printer_mib) && !value.is_exception()),
                    _ => false,
                }
            });
        }
        let Some(printer) = running.join_next().await else {
            break;
        };
        found += usize::from(printer.unwrap_or(false));
        progress.inc(1);
    }
    (found, started.elapsed())
}

/// What the agent's probe asks: sysDescr, sysObjectID, hrDeviceType and the Printer-MIB.
const PROBE: [&str; 4] = [
    "1.3.6.1.2.1.1.1",
    "1.3.6.1.2.1.1.2",
    "1.3.6.1.2.1.25.3.2.1.2",
    "1.3.6.1.2.1.43",
];

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
        PROBE
            .iter()
            .map(|o| o.parse().expect("probe OIDs parse"))
            .collect(),
    );
    let printer_mib: Oid = PROBE[3].parse().expect("Printer-MIB OID parses");
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let progress = progress::bar("naive", addresses.len() as u64);
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
        progress.inc(1);
    }
    Ok((found, started.elapsed()))
}
