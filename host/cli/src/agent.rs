//! `quire agent`: enroll this machine's agent with a server, run it, and check the
//! `[agent]` section of a configuration file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use quire_agent::{Agent, AgentOptions, CycleReport, discovery};
use quire_model::Cycle;
use tokio::sync::watch;

use crate::progress::Progress;

/// `quire agent …`.
#[derive(Subcommand)]
pub enum AgentCommand {
    /// Register this agent with a server, using an enrollment key the dealer issued.
    ///
    /// The server's certificate is pinned: from now on the agent talks to that
    /// certificate only.
    Enroll {
        /// The server, `https://HOST:PORT`.
        #[arg(long)]
        server: String,
        /// The enrollment key (single use).
        #[arg(long)]
        key: String,
        /// The server certificate's SHA-256 (hex, colons allowed), as the server's
        /// console or log shows it; enrollment fails unless the server presents it.
        #[arg(long, value_name = "SHA256")]
        fingerprint: Option<String>,
        /// Take `data` from the `[agent]` section of this TOML file, the one `quire agent run
        /// --config` reads; `--data` wins over it.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Where the agent keeps its queue and state.
        #[arg(long, value_name = "DIR", default_value_os_t = crate::places::default_data("agent"))]
        data: PathBuf,
    },
    /// Discover and read printers on the schedules the server sets, and deliver the
    /// readings, until Ctrl-C.
    ///
    /// The log says where the agent looks (ranges, SNMP port, credentials) and when each
    /// next cycle is due; QUIRE_LOG=debug says more.
    ///
    /// Exit codes with --once: 0 when every cycle that had addresses or devices to ask read
    /// at least one and delivery succeeded; 1 when delivery failed (the readings stay
    /// queued); 2 when the agent cannot run (not enrolled, no configuration); 3 when a
    /// cycle asked addresses or devices and read none of them.
    Run {
        /// Read the flags of this command from the `[agent]` section of this TOML file, each
        /// key a long flag (`snmp-port = 1161`, README "Configuration file"); a flag on the
        /// command line wins over the file. Without it no file is read.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Where the agent keeps its queue and state.
        #[arg(long, value_name = "DIR", default_value_os_t = crate::places::default_data("agent"))]
        data: PathBuf,
        /// UDP port the printers answer SNMP on: 161, unless they (or a simulator such as
        /// `quire simulate`) listen on another.
        #[arg(long, value_name = "N", default_value_t = 161)]
        snmp_port: u16,
        /// Run every cycle once now, deliver, and exit (see the exit codes above).
        #[arg(long)]
        once: bool,
        /// Also read every queue of this machine's CUPS server over IPP (the printers
        /// attached by USB), or of the CUPS server at HOST:PORT.
        #[arg(long, value_name = "HOST:PORT", num_args = 0..=1, default_missing_value = quire_agent::ipp::LOCAL_CUPS)]
        cups: Option<String>,
        /// Also read the network printer at this IPP URI (`ipp://HOST/ipp/print`),
        /// one whose SNMP is off; repeat for several.
        #[arg(long, value_name = "URI")]
        ipp: Vec<String>,
        /// Serve Prometheus metrics at http://ADDR/metrics in plain HTTP (README,
        /// "Metrics"): reads by outcome, strategy times, the queue, the last upload. Off
        /// by default.
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<std::net::SocketAddr>,
    },
    /// Check a configuration file's `[agent]` section: print `ok` and the settings `quire
    /// agent run --config FILE` would take, each with where it comes from, or every bad
    /// line; the exit code is 1 then.
    CheckConfig {
        /// The TOML file.
        file: PathBuf,
    },
}

pub async fn run(command: AgentCommand) -> anyhow::Result<ExitCode> {
    match command {
        AgentCommand::Enroll {
            server,
            key,
            fingerprint,
            config,
            data,
        } => {
            if let Some(file) = &config {
                tracing::info!(file = %file.display(), "settings from the configuration file");
            }
            let enrollment = Agent::enroll(&data, &server, &key, fingerprint.as_deref()).await?;
            outln!(
                "enrolled with {} as agent {} for account {}",
                enrollment.server,
                enrollment.agent_id,
                enrollment.account_id
            );
            outln!(
                "server certificate sha256 {}",
                enrollment.certificate_sha256
            );
            if let Some(key) = &enrollment.key_sha256 {
                outln!("pinned server key sha256 {key} (renewed certificates keep it)");
            }
            outln!("data in {}", data.display());
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::CheckConfig { file } => crate::config_file::check(&file, "agent"),
        AgentCommand::Run {
            config,
            data,
            snmp_port,
            once,
            cups,
            ipp,
            metrics_listen,
        } => {
            if let Some(file) = &config {
                tracing::info!(file = %file.display(), "settings from the configuration file");
            }
            for uri in &ipp {
                quire_agent::ipp::check(uri).map_err(anyhow::Error::msg)?;
            }
            let agent = Agent::open(AgentOptions {
                snmp_port,
                cups,
                ipp,
                ..AgentOptions::new(data)
            })
            .await?;
            // Kept until the command ends, `--once` included: a long discovery is watched too.
            let _metrics = match metrics_listen {
                Some(listen) => {
                    let endpoint = agent.serve_metrics(listen).await?;
                    note!(
                        "quire agent: metrics at http://{}{}",
                        endpoint.address(),
                        quire_metrics::PATH
                    );
                    Some(endpoint)
                }
                None => None,
            };
            if once {
                return once_now(&agent).await;
            }
            note!(
                "quire agent: running against {}, asking devices on SNMP UDP port {snmp_port}; Ctrl-C stops",
                agent.uplink().server()
            );
            let running = agent.start();
            tokio::signal::ctrl_c().await?;
            note!("quire agent: stopping after the cycle in progress");
            running.stop().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn once_now(agent: &Agent) -> anyhow::Result<ExitCode> {
    let run = agent.run_once();
    tokio::pin!(run);
    // The bar goes with the `select!`, cleared before the table is printed.
    let report = tokio::select! {
        report = &mut run => report,
        () = show_discovery(agent.discovery_progress()) => run.await,
    }?;
    outln!(
        "{:>5} {:<10} {:<18} {:>9} {:>6} {:>6} {:>7} {:>8} {:>4} {:>9}",
        "site",
        "part",
        "cycle",
        "addresses",
        "found",
        "read",
        "failed",
        "devices",
        "new",
        "replaced"
    );
    for cycle in &report.cycles {
        outln!(
            "{:>5} {:<10} {:<18} {:>9} {:>6} {:>6} {:>7} {:>8} {:>4} {:>9}",
            cycle.site_id,
            cycle.part.as_deref().unwrap_or("-"),
            format!("{:?}", cycle.cycle),
            cycle.addresses,
            cycle.found,
            cycle.read,
            cycle.failures.len(),
            cycle.devices,
            cycle.new_devices,
            cycle.replaced_supplies,
        );
        for failure in &cycle.failures {
            note!("quire agent: {failure}");
        }
    }
    let delivered = match &report.delivery {
        Ok(delivery) => {
            outln!(
                "delivered {} readings ({} filed, {} already filed, {} refused); {} queued",
                delivery.sent,
                delivery.filed,
                delivery.duplicates,
                delivery.rejected,
                report.queued
            );
            true
        }
        Err(e) => {
            note!("quire agent: {e}; {} readings stay queued", report.queued);
            false
        }
    };
    let unread: Vec<&CycleReport> = report.cycles.iter().filter(|c| c.read_nothing()).collect();
    for cycle in &unread {
        let (one, many) = match cycle.cycle {
            Cycle::Discovery => ("address", "addresses"),
            Cycle::MetersAndSupplies | Cycle::Alerts => ("device", "devices"),
        };
        note!(
            "quire agent: the {:?} cycle of site {} asked {} and read none",
            cycle.cycle,
            cycle.site_id,
            plural(cycle.addresses, one, many)
        );
    }
    Ok(if !delivered {
        ExitCode::from(1)
    } else if !unread.is_empty() {
        ExitCode::from(NOTHING_READ)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--once`'s exit code when a cycle asked addresses or devices and read none: 1 says
/// delivery failed, 2 that the agent could not run at all.
const NOTHING_READ: u8 = 3;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Draws each discovery scan as a bar while it runs (only on a terminal); returns only if
/// the agent is gone.
async fn show_discovery(mut scans: watch::Receiver<discovery::Progress>) {
    let mut bar = None;
    while scans.changed().await.is_ok() {
        let scan = *scans.borrow_and_update();
        if scan.done == scan.total {
            bar = None;
            continue;
        }
        let bar = bar.get_or_insert_with(|| Progress::counted("discovery", scan.total as u64));
        bar.set_length(scan.total as u64);
        bar.set_position(scan.done as u64);
        bar.set_message(format!("addresses, printers found: {}", scan.found));
    }
}
