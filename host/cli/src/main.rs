//! `quire`: the one binary. Subcommands are thin: each parses its arguments,
//! calls the crates that own the work, and prints.

mod output;
mod probe;
mod record;
mod replay;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
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
    /// Read one live device through the strategies, as `replay` reads a recording.
    ///
    /// Prints the same table or JSON as `quire replay`. The exit code is 1 when
    /// the device could not be read.
    Probe {
        #[command(flatten)]
        device: probe::DeviceArgs,
        /// Use this strategy instead of choosing one for the device.
        #[arg(long)]
        strategy: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Which cycle's reading to take.
        #[arg(long, value_enum, default_value_t = CycleArg::Discovery)]
        cycle: CycleArg,
        /// Print why the strategy was chosen (to stderr).
        #[arg(long)]
        explain: bool,
    },
    /// Save a live device as a `.snmprec` recording (sorted, one line per OID)
    /// that snmpsim can serve and `quire replay` reads.
    Record {
        #[command(flatten)]
        device: probe::DeviceArgs,
        /// Walk everything under 1.3.6.1, not only what strategies read.
        #[arg(long)]
        all: bool,
        /// Write here instead of to standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
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
            Ok(print(&outcomes, format))
        }
        Command::Probe {
            device,
            strategy,
            format,
            cycle,
            explain,
        } => {
            let outcome = runtime.block_on(probe::run(
                &device,
                strategy.as_deref(),
                cycle.into(),
                explain,
            ))?;
            Ok(print(&[outcome], format))
        }
        Command::Record {
            device,
            all,
            output,
        } => {
            let recording = runtime.block_on(record::run(&device, all))?;
            let text = recording.to_snmprec();
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints readings as asked; exit code 1 when any device could not be read.
fn print(outcomes: &[output::Outcome], format: Format) -> ExitCode {
    let text = match format {
        Format::Json => output::json(outcomes),
        Format::Table => output::table(outcomes),
    };
    println!("{text}");
    if outcomes.iter().any(output::Outcome::failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
