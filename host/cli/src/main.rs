//! `quire`: the one binary. Subcommands are thin: each parses its arguments,
//! calls the crates that own the work, and prints.

#[macro_use]
mod stdio;

mod admin;
mod agent;
mod config_file;
mod demo;
mod ipp;
mod logging;
mod output;
mod places;
mod plugin;
mod plugin_new;
mod probe;
mod progress;
#[cfg(test)]
mod readme_blocks;
#[cfg(test)]
mod readme_check;
mod record;
mod reinterpret;
mod replay;
mod server;
mod simulate;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use quire_snmp::responder::{self, Faults, FleetConfig};
use quire_snmp::wire::usm::UsmUser;

#[derive(Parser)]
#[command(
    name = "quire",
    version,
    about = "Printer-fleet monitoring for Managed Print Services",
    after_help = "The log goes to standard error, filtered by QUIRE_LOG: a level (`QUIRE_LOG=debug`) \
                  for Quire's own crates, whose libraries stay at warn, and TARGET=LEVEL for \
                  others (`QUIRE_LOG=debug,hyper=debug`)."
)]
struct Cli {
    /// How the log on standard error is written: `text` for a person, `json` for a log
    /// collector (one object per line with its time, level, target and fields).
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Text)]
    log_format: logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read recorded devices through the strategies, as if they were live.
    ///
    /// Each argument is a recording (`.snmprec` or `snmpwalk -On` output) or a
    /// directory of them. A device recorded through its web server or NPAP
    /// only is replayed from its exchange log (`NAME.exchanges.jsonl`) with
    /// `--strategy`, since there is no SNMP to choose one from. A recording
    /// that cannot be read is reported and the rest still print; the exit
    /// code is 1 when any failed.
    Replay {
        /// Recordings, or directories holding them.
        #[arg(required = true)]
        recordings: Vec<PathBuf>,
        /// Load this strategy component (`.wasm`) beside the built-in ones; it
        /// replaces a built-in one of the same name (repeat for several).
        #[arg(long, value_name = "COMPONENT")]
        load: Vec<PathBuf>,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Serve recordings as live SNMP agents (v1, v2c, v3) until Ctrl-C.
    ///
    /// Device i listens on `--base` + i (loopback only) at `--port`. Each
    /// argument is a recording or a directory of them.
    Simulate {
        /// Recordings, or directories holding them.
        #[arg(required = true)]
        recordings: Vec<PathBuf>,
        /// Address of the first device, in 127.0.0.0/8.
        #[arg(long, default_value_t = responder::DEFAULT_BASE)]
        base: Ipv4Addr,
        /// UDP port on every address (161 needs root).
        #[arg(long, default_value_t = responder::DEFAULT_PORT)]
        port: u16,
        /// Serve N devices, copying the recordings round-robin; each copy
        /// gets its own serial numbers (`<serial>-<i>`) and MACs (`02:…`).
        #[arg(long, value_name = "N")]
        fleet: Option<usize>,
        /// v1/v2c community to accept (repeat for several).
        #[arg(long = "community", value_name = "C", default_values_t = [String::from("public")])]
        communities: Vec<String>,
        /// v3 user `NAME[:AUTH:PASS[:PRIV:PASS]]`, e.g.
        /// `quire:sha1:authpass123:aes128:privpass123`, the words of `--auth-protocol` and
        /// `--privacy-protocol` (repeat for several).
        #[arg(long = "v3-user", value_name = "SPEC")]
        v3_users: Vec<UsmUser>,
        /// Probability (0-1) that a request is ignored.
        #[arg(long, value_name = "RATE", default_value_t = 0.0)]
        drop: f64,
        /// Hold every answer back this many milliseconds.
        #[arg(long, value_name = "MS", default_value_t = 0)]
        delay: u64,
        /// Probability (0-1) that an answer has a byte flipped.
        #[arg(long, value_name = "RATE", default_value_t = 0.0)]
        corrupt: f64,
        /// Device numbers that start switched off (repeat for several).
        #[arg(long, value_name = "I")]
        offline: Vec<usize>,
        /// Hold N more addresses after the fleet that never answer.
        #[arg(long, value_name = "N", default_value_t = 0)]
        silent: usize,
        /// Largest response in bytes; GETBULK answers shrink to fit.
        #[arg(long, value_name = "BYTES", default_value_t = responder::DEFAULT_MAX_MESSAGE_SIZE)]
        max_size: usize,
    },
    /// Read one live device through the strategies, as `replay` reads a recording.
    ///
    /// Prints the same table or JSON as `quire replay`. The exit code is 1 when
    /// the device could not be read.
    Probe {
        #[command(flatten)]
        device: probe::DeviceArgs,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Read printers over IPP (Get-Printer-Attributes) instead of SNMP: network
    /// printers by URI, and the queues of a CUPS server, which is how the USB
    /// printers of the machine it runs on are reached.
    ///
    /// Prints the same table or JSON as `quire replay`; the exit code is 1 when
    /// any printer could not be read.
    Ipp {
        /// Printer URIs (`ipp://HOST[:PORT]/ipp/print`, `ipps://...`).
        uris: Vec<String>,
        /// Also read every queue of the CUPS server at HOST[:PORT].
        #[arg(long, value_name = "HOST[:PORT]", num_args = 0..=1, default_missing_value = ipp::LOCAL_CUPS)]
        cups: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Everything on one machine: a server on SQLite, a simulated fleet from the
    /// recordings on loopback, and an enrolled agent discovering and reading it.
    ///
    /// Prints the server's address and the administrator's login, then runs
    /// until Ctrl-C (`--once`: one round of every cycle, then exit).
    Demo(demo::DemoArgs),
    /// The agent: enroll it with a server, run it.
    Agent {
        #[command(subcommand)]
        command: agent::AgentCommand,
    },
    /// Re-read stored readings through today's strategies, from the exchange the
    /// server kept with each, and print what they read now (as `quire replay`);
    /// with `--store`, file it as each reading's next version.
    ///
    /// The exit code is 1 when any could not be read.
    Reinterpret {
        #[command(flatten)]
        args: reinterpret::ReinterpretArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Run the server: agent API and REST API over HTTPS, until Ctrl-C.
    ///
    /// Prints its address, certificate fingerprint and, on first start, the
    /// generated `admin` password. `quire server enrollment-key` issues a key.
    // Boxed: its flags outweigh every other command's.
    Server(Box<server::ServerArgs>),
    /// Set a server up for a dealer over its REST API: log in, then accounts, sites,
    /// ranges, SNMP credentials, schedules, users and enrollment keys.
    Admin(admin::AdminArgs),
    /// Strategies: make a publisher key, sign, publish to a server, list, roll back.
    Plugin {
        #[command(subcommand)]
        command: plugin::PluginCommand,
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

/// How `replay` and `probe` read a device, and how they print it.
#[derive(Args)]
struct ReadArgs {
    /// Use this strategy instead of choosing one for each device.
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
    let cli = match config_file::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(config_file::Refusal::Clap(e)) => e.exit(),
        Err(config_file::Refusal::File(problems)) => {
            for problem in problems {
                note!("quire: {problem}");
            }
            return ExitCode::from(2);
        }
    };
    if let Err(e) = logging::init(cli.log_format) {
        note!("quire: {e}");
        return ExitCode::from(2);
    }
    match try_main(cli) {
        Ok(code) => code,
        Err(e) if e.is::<stdio::StdoutClosed>() => ExitCode::SUCCESS,
        Err(e) => {
            note!("quire: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn try_main(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Replay {
            recordings,
            load,
            read,
        } => {
            let outcomes = runtime.block_on(replay::run(
                &recordings,
                &load,
                read.strategy.as_deref(),
                read.cycle.into(),
                read.explain,
            ))?;
            print(&outcomes, read.format)
        }
        Command::Probe { device, read } => {
            let outcome = runtime.block_on(probe::run(
                &device,
                read.strategy.as_deref(),
                read.cycle.into(),
                read.explain,
            ))?;
            print(&[outcome], read.format)
        }
        Command::Ipp { uris, cups, format } => {
            let outcomes = runtime.block_on(ipp::run(&uris, cups.as_deref()))?;
            print(&outcomes, format)
        }
        Command::Admin(args) => runtime.block_on(admin::run(args)),
        Command::Agent { command } => runtime.block_on(agent::run(command)),
        Command::Demo(args) => runtime.block_on(demo::run(args)),
        Command::Plugin { command } => runtime.block_on(plugin::run(command)),
        Command::Reinterpret { args, format } => {
            let outcomes = runtime.block_on(reinterpret::run(&args))?;
            print(&outcomes, format)
        }
        Command::Server(args) => runtime.block_on(server::run(*args)),
        Command::Record {
            device,
            all,
            output,
        } => {
            let (recording, exchanges) = runtime.block_on(record::run(&device, all))?;
            let text = recording.to_snmprec();
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    if !exchanges.exchanges().is_empty() {
                        let log = quire_transport::exchanges_beside(&path);
                        exchanges
                            .save(&log)
                            .with_context(|| format!("cannot write {}", log.display()))?;
                    }
                }
                None => {
                    out!("{text}");
                    if !exchanges.exchanges().is_empty() {
                        note!(
                            "quire: the read also made {} NPAP/HTTP exchanges; give -o FILE to keep them beside the recording",
                            exchanges.exchanges().len()
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate {
            recordings,
            base,
            port,
            fleet,
            communities,
            v3_users,
            drop,
            delay,
            corrupt,
            offline,
            silent,
            max_size,
        } => {
            let options = simulate::Options {
                recordings,
                fleet,
                offline,
                config: FleetConfig {
                    base,
                    port,
                    communities: communities.into_iter().map(String::into_bytes).collect(),
                    users: v3_users,
                    faults: Faults {
                        drop,
                        delay: Duration::from_millis(delay),
                        corrupt,
                    },
                    max_message_size: max_size,
                    silent,
                },
            };
            runtime.block_on(simulate::run(options))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints readings as asked; exit code 1 when any device could not be read.
fn print(outcomes: &[output::Outcome], format: Format) -> anyhow::Result<ExitCode> {
    let text = match format {
        Format::Json => output::json(outcomes),
        Format::Table => output::table(outcomes),
    };
    outln!("{text}");
    Ok(if outcomes.iter().any(output::Outcome::failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
