//! `quire.toml`: the flags of `quire server` and `quire agent run` written down once, in
//! a `[server]` and an `[agent]` section, and read with `--config FILE`; the tools beside
//! them (`quire server enrollment-key`, `quire agent enroll`) read the keys of the
//! section they share with it, such as `data`.
//!
//! The file keeps no list of settings of its own: a key is a flag's long name, and its
//! value goes to the command's own clap parser as that flag, after the words typed, so
//! every flag is settable, is checked as on the command line, and a new flag needs
//! nothing here. A flag given on the command line, or through its environment variable,
//! wins over the file, which wins over the defaults. Each key is first parsed alone, so
//! every bad one is reported with its line, not only the first.

use std::ffi::OsString;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory as _, FromArgMatches as _};
use toml_edit::{Document, Item, Key, Value};

use crate::Cli;

/// The id of `--config`, the flag that names the file.
const FLAG: &str = "config";

/// Each section of the file: its name, which is also the first word of the commands that
/// read it, and the command whose flags it holds.
const SECTIONS: &[(&str, &[&str])] = &[("server", &["server"]), ("agent", &["agent", "run"])];

/// Why the command line could not become a [`Cli`].
pub enum Refusal {
    /// The command line itself (or `--help`), as clap answers it.
    Clap(clap::Error),
    /// The configuration file, one message per bad line.
    File(Vec<String>),
}

/// Parses `args` as `quire` does, with the settings of the file `--config` names.
pub fn parse(args: Vec<OsString>) -> Result<Cli, Refusal> {
    // A first, lenient pass finds `--config` and which flags the command line or the
    // environment already set; the real parse below reports what this one let pass.
    let from_file = match Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&args)
    {
        Ok(matches) => words_from_file(&matches).map_err(Refusal::File)?,
        Err(_) => Vec::new(),
    };
    let matches = Cli::command()
        .try_get_matches_from(args.into_iter().chain(from_file))
        .map_err(Refusal::Clap)?;
    Cli::from_arg_matches(&matches).map_err(Refusal::Clap)
}

/// `quire server|agent check-config FILE`: prints `ok` and the settings the section
/// makes, each with where it comes from, or every bad line; exit code 1 on any.
pub fn check(file: &Path, section: &str) -> anyhow::Result<ExitCode> {
    let command = section_command(section);
    let problems = match read(file, section, &command) {
        Ok(settings) => {
            let environment = command
                .clone()
                .ignore_errors(true)
                .no_binary_name(true)
                .try_get_matches_from(Vec::<OsString>::new())
                .unwrap_or_default();
            match parse_alone(&command, &unset_words(&settings, &environment)) {
                Ok(matches) => return print_settings(&command, &matches, &settings),
                Err(e) => vec![format!("{}: {}", file.display(), clap_reason(&e))],
            }
        }
        Err(problems) => problems,
    };
    for problem in problems {
        note!("{problem}");
    }
    Ok(ExitCode::from(1))
}

/// One key of the file, as the flag words it stands for.
struct Setting {
    id: String,
    long: String,
    words: Vec<OsString>,
    line: usize,
}

/// The words the file `--config` names adds to the command line, leaving out the flags
/// the command line or the environment set already.
fn words_from_file(matches: &ArgMatches) -> Result<Vec<OsString>, Vec<String>> {
    let mut path = Vec::new();
    let mut matches = matches;
    while let Some((name, sub)) = matches.subcommand() {
        path.push(name);
        matches = sub;
        let Ok(Some(file)) = matches.try_get_one::<PathBuf>(FLAG) else {
            continue;
        };
        let Some((section, flags_of)) = SECTIONS.iter().find(|(s, _)| *s == path[0]) else {
            continue;
        };
        let settings = read(file, section, &command_at(flags_of))?;
        let reader = command_at(&path);
        let its_own: Vec<Setting> = settings
            .into_iter()
            .filter(|s| {
                reader
                    .get_arguments()
                    .any(|a| a.get_id() == s.id.as_str() && a.get_long() == Some(&s.long))
            })
            .collect();
        return Ok(unset_words(&its_own, matches));
    }
    Ok(Vec::new())
}

/// The words of the settings whose flags `given` (the command line and the environment)
/// left unset.
fn unset_words(settings: &[Setting], given: &ArgMatches) -> Vec<OsString> {
    settings
        .iter()
        .filter(|s| {
            !matches!(
                given.value_source(&s.id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        })
        .flat_map(|s| s.words.iter().cloned())
        .collect()
}

/// The command a section's flags belong to, with the global flags (`--log-format`) it
/// takes too.
fn section_command(section: &str) -> Command {
    let (_, path) = SECTIONS
        .iter()
        .find(|(name, _)| *name == section)
        .expect("a section of SECTIONS");
    command_at(path)
}

/// The (sub)command of `quire` that `path` names, built, so that it holds the global flags.
fn command_at(path: &[&str]) -> Command {
    let mut command = Cli::command();
    command.build();
    let mut command = &command;
    for name in path {
        command = command
            .find_subcommand(name)
            .expect("a path of commands of Cli");
    }
    command.clone()
}

/// The settings of `section` in `file`, each checked alone by the command's parser, or
/// a message for every bad line of the whole file.
fn read(file: &Path, section: &str, command: &Command) -> Result<Vec<Setting>, Vec<String>> {
    let name = file.display();
    let text =
        std::fs::read_to_string(file).map_err(|e| vec![format!("cannot read {name}: {e}")])?;
    let document = Document::parse(text.as_str()).map_err(|e| {
        vec![format!(
            "{name}:{}: {}",
            line_of(&text, e.span()),
            e.message().trim_end()
        )]
    })?;
    let mut problems = Vec::new();
    let mut settings = Vec::new();
    let root = document.as_table();
    for (key, item) in root.iter() {
        let (key, _) = root.get_key_value(key).expect("a key of this table");
        let line = line_of(&text, key.span());
        let table = match item.as_table_like() {
            Some(table) if SECTIONS.iter().any(|(s, _)| *s == key.get()) => table,
            Some(_) => {
                problems.push(format!(
                    "{name}:{line}: [{}]: no such section; there are {}",
                    key.get(),
                    section_list()
                ));
                continue;
            }
            None => {
                problems.push(format!(
                    "{name}:{line}: key `{}`: a setting goes in a section, {}",
                    key.get(),
                    section_list()
                ));
                continue;
            }
        };
        if key.get() != section {
            continue;
        }
        for (key, item) in table.iter() {
            let (key, _) = table.get_key_value(key).expect("a key of this table");
            match setting(command, key, item, &text) {
                Ok(setting) => settings.push(setting),
                Err((line, reason)) => {
                    problems.push(format!("{name}:{line}: key `{}`: {reason}", key.get()));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

fn section_list() -> String {
    let names: Vec<String> = SECTIONS.iter().map(|(s, _)| format!("[{s}]")).collect();
    names.join(" and ")
}

/// One key as the words of its flag, each value parsed alone as the command line's would
/// be; a refusal carries the line of the value refused.
fn setting(
    command: &Command,
    key: &Key,
    item: &Item,
    text: &str,
) -> Result<Setting, (usize, String)> {
    let key_line = line_of(text, key.span());
    let arg = command
        .get_arguments()
        .find(|a| a.get_long() == Some(key.get()) && is_setting(a))
        .ok_or_else(|| {
            (
                key_line,
                format!(
                    "no such setting; the keys are the long flags of `quire {}`",
                    command.get_name()
                ),
            )
        })?;
    let Some(value) = item.as_value() else {
        return Err((key_line, "expected a value, not a table".to_owned()));
    };
    let values: Vec<&Value> = match value {
        Value::Array(array) if matches!(arg.get_action(), ArgAction::Append) => {
            array.iter().collect()
        }
        Value::Array(_) => {
            return Err((key_line, "takes one value, not a list".to_owned()));
        }
        value => vec![value],
    };
    let mut words = Vec::new();
    for value in values {
        let line = line_of(text, value.span()).max(key_line);
        let word = word(arg, value).map_err(|reason| (line, reason))?;
        if let Some(word) = word {
            match parse_alone(command, std::slice::from_ref(&word)) {
                // Another flag this one needs may come from elsewhere; the whole command
                // line is checked once it is put together.
                Err(e) if e.kind() != clap::error::ErrorKind::MissingRequiredArgument => {
                    return Err((line, clap_reason(&e)));
                }
                _ => {}
            }
            words.push(word);
        }
    }
    Ok(Setting {
        id: arg.get_id().to_string(),
        long: key.get().to_owned(),
        words,
        line: key_line,
    })
}

/// Whether `arg` is one the file may set: a flag, neither `--config` nor help or version.
fn is_setting(arg: &Arg) -> bool {
    arg.get_id() != FLAG
        && !arg.is_positional()
        && !matches!(
            arg.get_action(),
            ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
        )
}

/// Whether `arg` is a switch, or may stand without a value (`--cups`).
fn takes_no_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.min_values() == 0)
}

/// The command-line word for one value of `arg`; `false` for a switch is none.
fn word(arg: &Arg, value: &Value) -> Result<Option<OsString>, String> {
    let long = arg.get_long().expect("a setting has a long name");
    let text = match value {
        Value::Boolean(b) if takes_no_value(arg) => {
            return Ok(b.value().then(|| format!("--{long}").into()));
        }
        _ if arg.get_num_args().is_some_and(|n| !n.takes_values()) => {
            return Err("a switch: true or false".to_owned());
        }
        Value::String(s) => s.value().clone(),
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => f.value().to_string(),
        Value::Boolean(b) => b.value().to_string(),
        Value::Datetime(_) => return Err("expected a string or a number, not a date".to_owned()),
        Value::Array(_) => return Err("expected a string or a number, not a list".to_owned()),
        Value::InlineTable(_) => return Err("expected a value, not a table".to_owned()),
    };
    // `--long=VALUE`, so a value starting with `-` is not taken for a flag.
    Ok(Some(format!("--{long}={text}").into()))
}

/// `words` parsed by `command` alone, as if typed after its name.
fn parse_alone(command: &Command, words: &[OsString]) -> Result<ArgMatches, clap::Error> {
    command
        .clone()
        .no_binary_name(true)
        .color(clap::ColorChoice::Never)
        .try_get_matches_from(words)
}

/// Clap's message without its `error:` label, usage and pointer to `--help`.
fn clap_reason(error: &clap::Error) -> String {
    let text = error.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
        .collect();
    lines.join(" ").trim_start_matches("error: ").to_owned()
}

/// The 1-based line `span` starts on (0 when the parser gave none).
fn line_of(text: &str, span: Option<Range<usize>>) -> usize {
    span.map_or(0, |span| {
        text[..span.start.min(text.len())].matches('\n').count() + 1
    })
}

/// `ok`, then each flag of `command` that has a value, as a TOML line saying where the
/// value came from; a secret (a flag whose environment value `--help` hides) shows only
/// that it is set.
fn print_settings(
    command: &Command,
    matches: &ArgMatches,
    settings: &[Setting],
) -> anyhow::Result<ExitCode> {
    outln!("ok");
    for arg in command.get_arguments().filter(|a| is_setting(a)) {
        let id = arg.get_id().as_str();
        let (Some(raw), Some(source)) = (matches.get_raw(id), matches.value_source(id)) else {
            continue;
        };
        let long = arg.get_long().expect("a setting has a long name");
        let values: Vec<String> = raw.map(|v| toml_value(arg, &v.to_string_lossy())).collect();
        let value = if arg.is_hide_env_values_set() {
            "(hidden)".to_owned()
        } else if matches!(arg.get_action(), ArgAction::Append) {
            format!("[{}]", values.join(", "))
        } else {
            values.join(" ")
        };
        let from = match source {
            ValueSource::CommandLine => {
                let line = settings.iter().find(|s| s.id == id).map_or(0, |s| s.line);
                format!("line {line}")
            }
            ValueSource::EnvVariable => format!(
                "environment {}",
                arg.get_env()
                    .map_or_else(String::new, |e| e.to_string_lossy().into_owned())
            ),
            _ => "default".to_owned(),
        };
        outln!("{:<48} # {from}", format!("{long} = {value}"));
    }
    Ok(ExitCode::SUCCESS)
}

/// A raw value as TOML writes it: a switch's as a boolean, a number bare, the rest as a
/// string.
fn toml_value(arg: &Arg, raw: &str) -> String {
    let bare = if takes_no_value(arg) {
        raw.parse::<bool>().is_ok()
    } else {
        raw.parse::<i64>().is_ok() || raw.parse::<f64>().is_ok_and(f64::is_finite)
    };
    if bare {
        raw.to_owned()
    } else {
        Value::from(raw).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_names_a_command_that_takes_the_file() {
        for (section, _) in SECTIONS {
            let command = section_command(section);
            assert!(
                command.get_arguments().any(|a| a.get_id() == FLAG),
                "`quire {}` has no --{FLAG}",
                command.get_name()
            );
        }
    }

    #[test]
    fn every_command_that_takes_the_file_has_a_section() {
        fn walk(command: &Command, path: &mut Vec<String>, found: &mut Vec<String>) {
            if command.get_arguments().any(|a| a.get_id() == FLAG) {
                found.push(path.join(" "));
                assert!(
                    SECTIONS.iter().any(|(s, _)| *s == path[0]),
                    "`quire {}` takes --{FLAG} but no section is named `{}`",
                    path.join(" "),
                    path[0]
                );
            }
            for sub in command.get_subcommands() {
                path.push(sub.get_name().to_owned());
                walk(sub, path, found);
                path.pop();
            }
        }
        let mut found = Vec::new();
        walk(&Cli::command(), &mut Vec::new(), &mut found);
        assert_eq!(
            found,
            [
                "agent enroll",
                "agent run",
                "server",
                "server enrollment-key",
                "server reset-admin-password"
            ]
        );
    }

    #[test]
    fn values_are_written_as_toml_reads_them() {
        let command = section_command("server");
        let arg = |id: &str| {
            command
                .get_arguments()
                .find(|a| a.get_id() == id)
                .unwrap()
                .clone()
        };
        assert_eq!(toml_value(&arg("login_window"), "15"), "15");
        assert_eq!(
            toml_value(&arg("listen"), "0.0.0.0:8443"),
            "\"0.0.0.0:8443\""
        );
        assert_eq!(toml_value(&arg("allow_unsigned_plugins"), "false"), "false");
        assert_eq!(toml_value(&arg("raw_retention"), "never"), "\"never\"");
    }
}
