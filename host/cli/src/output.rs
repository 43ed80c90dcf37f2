//! How `quire replay` and `quire probe` print readings: the stable JSON shape
//! documented in the README, or a table for people.

use std::fmt::Write as _;

use quire_model::{Reading, StrategyRef};
use serde::Serialize;

/// One recording's outcome: a reading, or the error that stopped it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    /// The strategy read the device.
    Read {
        /// The recording or address read.
        file: String,
        /// Which strategy read it.
        strategy: StrategyRef,
        /// Lines of the recording that could not be read (file:line: why);
        /// the reading holds everything else.
        warnings: Vec<String>,
        /// What it read.
        #[serde(flatten)]
        reading: Box<Reading>,
    },
    /// Nothing could be read; the message says where and why.
    Failed {
        /// The recording or address.
        file: String,
        /// The strategy, when the failure came from one.
        #[serde(skip_serializing_if = "Option::is_none")]
        strategy: Option<StrategyRef>,
        /// File and line, or plugin and cause.
        error: String,
    },
}

impl Outcome {
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }
}

pub fn json(outcomes: &[Outcome]) -> String {
    serde_json::to_string_pretty(outcomes).expect("readings serialize")
}

pub fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Failed { file, error, .. } => {
                writeln!(out, "{file}\n  error: {error}\n").unwrap();
            }
            Outcome::Read {
                file,
                strategy,
                warnings,
                reading,
            } => {
                for warning in warnings {
                    writeln!(out, "  warning: {warning}").unwrap();
                }
                let id = &reading.identity;
                let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                writeln!(out, "{file}  (strategy {strategy})").unwrap();
                writeln!(
                    out,
                    "  {} {}  serial {}  mac {}  firmware {}",
                    or_dash(&id.manufacturer),
                    or_dash(&id.model),
                    or_dash(&id.serial),
                    or_dash(&id.mac),
                    or_dash(&id.firmware)
                )
                .unwrap();
                let status = &reading.status;
                let word = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                writeln!(
                    out,
                    "  status: device {}, printer {}, errors [{}]",
                    word(status.device.map(|d| kebab(&d))),
                    word(status.printer.map(|p| kebab(&p))),
                    status
                        .errors
                        .iter()
                        .map(kebab)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
                .unwrap();
                for (name, value) in &reading.counters {
                    writeln!(out, "  counter {name:<18} {value:>12}").unwrap();
                }
                for s in &reading.supplies {
                    let percent = s
                        .percent
                        .map(|p| format!("{p:>3}%"))
                        .unwrap_or_else(|| "   -".into());
                    writeln!(
                        out,
                        "  supply  {percent} {:<15} {:<14} {}",
                        kebab(&s.state),
                        s.kind,
                        s.description
                    )
                    .unwrap();
                }
                for a in &reading.alerts {
                    let what = a
                        .code_name
                        .clone()
                        .unwrap_or_else(|| format!("code {}", a.code));
                    writeln!(
                        out,
                        "  alert   {:<8} {what} {}",
                        kebab(&a.severity),
                        a.description.as_deref().unwrap_or("")
                    )
                    .unwrap();
                }
                out.push('\n');
            }
        }
    }
    out
}

/// The serde name of an enum value: the same word the JSON uses.
fn kebab<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}
