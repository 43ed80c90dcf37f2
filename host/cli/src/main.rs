//! `quire`: the one binary. Subcommands are thin: each parses its arguments,
//! calls the crates that own the work, and prints.

mod output;
mod replay;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "quire",
    version,
    about = "Printer-fleet monitoring for Managed Print Services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read recorded devices through the strategies, as if they were live.
    ///
    /// Each argument is a recording (`.snmprec` or `snmpwalk -On` output) or a
    /// directory of them. A recording that cannot be read is reported and the
    /// rest still print; the exit code is 1 when any failed.
    Replay {
        /// Recordings, or directories holding them.
        #[arg(required = true)]
        recordings: Vec<PathBuf>,
        /// Use this strategy instead of choosing one per device.
        #[arg(long)]
        strategy: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Which cycle's reading to take. Discovery reads everything a
        /// strategy can; the meter & supply and alert cycles read their part.
        #[arg(long, value_enum, default_value_t = CycleArg::Discovery)]
        cycle: CycleArg,
        /// Print why each strategy was chosen (to stderr).
        #[arg(long)]
        explain: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CycleArg {
    Discovery,
    MetersAndSupplies,
    Alerts,
}

impl From<CycleArg> for quire_model::Cycle {
    fn from(cycle: CycleArg) -> Self {
        match cycle {
            CycleArg::Discovery => quire_model::Cycle::Discovery,
            CycleArg::MetersAndSupplies => quire_model::Cycle::MetersAndSupplies,
            CycleArg::Alerts => quire_model::Cycle::Alerts,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QUIRE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match try_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("quire: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Replay {
            recordings,
            strategy,
            format,
            cycle,
            explain,
        } => {
            let outcomes = runtime.block_on(replay::run(
                &recordings,
                strategy.as_deref(),
                cycle.into(),
                explain,
            ))?;
            let text = match format {
                Format::Json => output::json(&outcomes),
                Format::Table => output::table(&outcomes),
            };
            println!("{text}");
            Ok(if outcomes.iter().any(output::Outcome::failed) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
