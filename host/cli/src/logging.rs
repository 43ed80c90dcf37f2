//! The log on standard error, and what `QUIRE_LOG` selects.
//!
//! `QUIRE_LOG` takes `tracing` filter directives (`LEVEL`, `TARGET=LEVEL`, comma
//! separated), read with one difference: a bare level is for Quire's own crates, and the
//! libraries under them stay at `warn`. `QUIRE_LOG=debug` as it is written means "what is
//! Quire doing"; read literally it also turned on every library's debug output, and
//! Cranelift alone logs each function it compiles (436,000 of the 590,000 lines one agent
//! start wrote). A library is still heard when named: `QUIRE_LOG=debug,hyper=debug`.
//!
//! A filter that does not read is refused with the variable and the directive named,
//! never dropped: `tracing`'s own reading takes a bare word such as `dbug` for a target,
//! which turns off every other log line, warnings included, without a word.
//!
//! `--log-format json` writes one JSON object per line instead, for a log collector.
//!
//! A progress bar on screen is taken away for each line and drawn again under it
//! ([`crate::progress`]).
//!
//! Colours only when standard error is a terminal (and `NO_COLOR` is not set), so a log
//! redirected to a file or a journal holds plain text. The writer does not report its
//! own failures: when standard error is a closed pipe there is nowhere left to report
//! them, and trying would panic (see [`crate::stdio`]).

use std::io::IsTerminal as _;
use std::str::FromStr as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{Directive, LevelFilter};

/// The environment variable holding the filter.
pub const VARIABLE: &str = "QUIRE_LOG";

/// The prefix of every Quire crate's log target: the binary `quire` and the libraries
/// `quire_agent`, `quire_builtin`, `quire_https`, `quire_ipp`, `quire_model`,
/// `quire_plugins` (which logs for the strategies too), `quire_protocol`,
/// `quire_schedule`, `quire_server`, `quire_snmp`, `quire_store`, `quire_transport`.
/// A filter's target matches every target that starts with it.
const QUIRE: &str = "quire";

/// Without `QUIRE_LOG`: warnings, and the agent's progress and counts, which are what
/// its operator watches.
const DEFAULT: &str = "warn,quire_agent=info";

/// Libraries are never louder than this under a bare level.
const LIBRARIES: LevelFilter = LevelFilter::WARN;

/// How the log is written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event, coloured on a terminal.
    Text,
    /// One JSON object per line, for a log collector: no colour, every field its own
    /// member, so nothing has to be parsed back out of the text.
    Json,
}

/// Installs the log in `format`, filtered by `QUIRE_LOG`; a malformed filter is an error.
pub fn init(format: LogFormat) -> Result<(), String> {
    let value = std::env::var(VARIABLE).ok();
    let filter = filter(value.as_deref().unwrap_or(""))?;
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::progress::Stderr)
        .log_internal_errors(false);
    match format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            log.with_ansi(colour).init();
        }
        LogFormat::Json => log.json().with_ansi(false).init(),
    }
    Ok(())
}

/// The filter `QUIRE_LOG=value` asks for: empty is the default; a bare level is Quire's
/// crates at that level with libraries at `warn` at most; `TARGET=LEVEL` directives are
/// kept as written.
fn filter(value: &str) -> Result<EnvFilter, String> {
    let mut level = None;
    let mut targeted = Vec::new();
    for directive in value.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if let Ok(bare) = LevelFilter::from_str(directive) {
            level = Some(bare);
        } else if directive.contains(['=', '[']) {
            Directive::from_str(directive).map_err(|e| {
                format!("{VARIABLE}: `{directive}` is not a filter directive ({e}); write LEVEL or TARGET=LEVEL")
            })?;
            targeted.push(directive);
        } else {
            return Err(format!(
                "{VARIABLE}: `{directive}` is not a level (off, error, warn, info, debug, trace); \
                 a target needs its level: `{directive}=debug`"
            ));
        }
    }
    let base = match level {
        Some(level) => format!("{},{QUIRE}={level}", level.min(LIBRARIES)),
        None => DEFAULT.to_owned(),
    };
    let directives = std::iter::once(base.as_str())
        .chain(targeted)
        .collect::<Vec<_>>()
        .join(",");
    EnvFilter::builder()
        .parse(&directives)
        .map_err(|e| format!("{VARIABLE}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `filter` makes of `value`, as its directives print.
    fn directives(value: &str) -> String {
        filter(value).unwrap().to_string()
    }

    #[test]
    fn a_bare_level_is_for_quire_and_libraries_stay_at_warn_at_most() {
        assert_eq!(directives("debug"), "quire=debug,warn");
        assert_eq!(directives(" info "), "quire=info,warn");
        assert_eq!(directives("error"), "quire=error,error");
        assert_eq!(directives("off"), "quire=off,off");
    }

    #[test]
    fn named_targets_are_kept_and_unset_is_the_default() {
        assert_eq!(directives(""), "quire_agent=info,warn");
        assert_eq!(
            directives("debug,hyper=info"),
            "quire=debug,hyper=info,warn"
        );
        assert_eq!(
            directives("quire_snmp=trace"),
            "quire_agent=info,quire_snmp=trace,warn"
        );
    }

    #[test]
    fn a_malformed_filter_names_the_variable_and_the_directive() {
        let error = filter("debug,dbug").unwrap_err();
        assert!(
            error.starts_with("QUIRE_LOG: `dbug` is not a level"),
            "{error}"
        );
        let error = filter("quire_agent=verbose").unwrap_err();
        assert!(
            error.starts_with("QUIRE_LOG: `quire_agent=verbose` is not a filter directive"),
            "{error}"
        );
    }
}
