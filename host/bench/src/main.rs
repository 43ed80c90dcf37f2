//! `quire-bench`: Quire measured against its peers, figures printed side by
//! side. A binary of its own so the benchmarks, their simulators and their test
//! data stay out of the shipped `quire`.

mod child;
mod discovery;
mod fleet;
mod forecast;
mod ingest;
mod logins;
mod memory;
mod progress;
mod startup;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "quire-bench",
    version,
    about = "Measure Quire against a peer; figures printed side by side"
)]
struct Cli {
    #[command(subcommand)]
    what: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Poll a simulated fleet through the meters & supplies collect, then walk
    /// the same devices with net-snmp's snmpbulkwalk at the same concurrency.
    Fleet(fleet::FleetArgs),
    /// Sweep a /16 of loopback holding simulated printers, the rest silent,
    /// beside a session per address and FMAudit's sizing figure.
    Discovery(discovery::DiscoveryArgs),
    /// Post readings through HTTPS to an in-process server on SQLite and on
    /// PostgreSQL, beside the store's own rate for the same readings.
    Ingest(ingest::IngestArgs),
    /// Replay supply forecasts over simulated cartridges whose true empty dates are
    /// known, beside the naive line through the last two readings.
    Forecast(forecast::ForecastArgs),
    /// Send bursts of concurrent logins to an in-process server, its password checks
    /// bounded by default beside all at once, and report the memory and threads held.
    Logins(logins::LoginsArgs),
    /// Time `quire replay` and `quire server` starting with the built-in components
    /// compiled afresh beside taken from the compiled cache.
    Startup(startup::StartupArgs),
}

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quire-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn try_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.what {
        Bench::Fleet(args) => runtime.block_on(fleet::run(&args)),
        Bench::Discovery(args) => runtime.block_on(discovery::run(&args)),
        Bench::Ingest(args) => runtime.block_on(ingest::run(&args)),
        Bench::Forecast(args) => forecast::run(&args),
        Bench::Logins(args) => runtime.block_on(logins::run(&args)),
        Bench::Startup(args) => startup::run(&args),
    }
}
