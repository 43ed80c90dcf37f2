//! Every `quire` command the README shows is one the binary takes: parsed
//! by the real argument parser, so a renamed flag or command fails here and
//! not in a dealer's first hour. A synopsis line (`quire probe <host>
//! [--port N]`) cannot be parsed whole; each of its flags must be one the
//! command it names has.

use clap::{CommandFactory, Parser};

use crate::Cli;
use crate::readme_blocks::{blocks, commands};

const README: &str = include_str!("../../../README.md");

/// Shell words that end one command and start another.
const SEPARATORS: &[&str] = &["&&", "||", "|", ";", "&"];

/// The `quire` invocations of one shell command line: `quire ...` and
/// `cargo run --release -- ...` (the binary of this crate), in every segment
/// of a pipeline or list, and inside `$(...)`. A `NAME=value` before one is
/// passed as the flag that reads `NAME` from the environment, as the shell
/// would pass the variable.
fn invocations(command: &str) -> Vec<Vec<String>> {
    let opened = command.replace("$(", " ").replace(')', " ");
    let Some(words) = shlex::split(&opened) else {
        return vec![vec![format!("unbalanced quotes: {command}")]];
    };
    words
        .split(|w| SEPARATORS.contains(&w.as_str()))
        .filter_map(|segment| {
            let start = segment.iter().position(|w| !is_assignment(w))?;
            let (assignments, segment) = segment.split_at(start);
            let args = quire_args(segment)?;
            let flags: Vec<String> = assignments
                .iter()
                .filter_map(|a| env_flag(&args, a))
                .collect();
            Some(args.into_iter().chain(flags).collect())
        })
        .collect()
}

/// `quire ...` or `cargo run --release -- ...` as the binary's arguments.
fn quire_args(segment: &[String]) -> Option<Vec<String>> {
    let rest = match segment {
        [first, rest @ ..] if first == "quire" => rest,
        [cargo, run, release, dashes, rest @ ..]
            if cargo == "cargo" && run == "run" && release == "--release" && dashes == "--" =>
        {
            rest
        }
        _ => return None,
    };
    Some(
        std::iter::once("quire".to_owned())
            .chain(rest.iter().cloned())
            .collect(),
    )
}

/// `NAME=value` as the flag of the command `args` names that reads `NAME`.
fn env_flag(args: &[String], assignment: &str) -> Option<String> {
    let (name, value) = assignment.split_once('=')?;
    let command = named_command(args).0;
    let flag = command
        .get_arguments()
        .find(|a| a.get_env().is_some_and(|env| env == name))?
        .get_long()?
        .to_owned();
    Some(format!("--{flag}={value}"))
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    })
}

/// A usage synopsis rather than a command: placeholders and alternatives.
fn is_synopsis(args: &[String]) -> bool {
    args.iter()
        .any(|a| a.contains('<') || a.starts_with('[') || a.contains("...") || a.contains('…'))
}

/// The (sub)command `args` names, and the words after its name.
fn named_command(args: &[String]) -> (clap::Command, Vec<String>) {
    let mut command = Cli::command();
    let mut words = args[1..].iter().map(|a| a.trim_matches(['[', ']']));
    let mut rest = Vec::new();
    for word in words.by_ref() {
        match command.find_subcommand(word) {
            Some(sub) => command = sub.clone(),
            None => {
                rest.push(word.to_owned());
                break;
            }
        }
    }
    rest.extend(words.map(str::to_owned));
    (command, rest)
}

/// The flags of a synopsis that the command it names does not have.
fn unknown_flags(args: &[String]) -> Vec<String> {
    let (command, rest) = named_command(args);
    let known: Vec<String> = command
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_owned))
        .chain(["help".to_owned()])
        .collect();
    rest.iter()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| w.split(['=', ']', '|']).next().unwrap_or(w))
        .filter(|flag| !flag.is_empty() && !known.iter().any(|k| k == flag))
        .map(|flag| format!("--{flag}"))
        .collect()
}

#[test]
fn every_quire_command_in_the_readme_parses() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for block in blocks(README).iter().filter(|b| b.language == "sh") {
        for (line, command) in commands(block) {
            for args in invocations(&command) {
                checked += 1;
                if is_synopsis(&args) {
                    let unknown = unknown_flags(&args);
                    if !unknown.is_empty() {
                        failures.push(format!(
                            "README.md:{line}: `{command}`: no such flag {}",
                            unknown.join(", ")
                        ));
                    }
                } else if let Err(e) = Cli::try_parse_from(&args) {
                    let first = e.to_string().lines().next().unwrap_or("").to_owned();
                    failures.push(format!("README.md:{line}: `{command}`: {first}"));
                }
            }
        }
    }
    assert!(checked > 10, "only {checked} commands found in the README");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn commands_are_found_in_pipelines_lists_and_substitutions() {
    let found = invocations(
        "KEY=$(quire server enrollment-key --account 2) && cargo run --release -- demo | head",
    );
    assert_eq!(
        found,
        [
            vec!["quire", "server", "enrollment-key", "--account", "2"],
            vec!["quire", "demo"]
        ]
    );
    assert_eq!(
        invocations("QUIRE_PASSWORD=pw quire plugin publish x.wasm"),
        [vec![
            "quire",
            "plugin",
            "publish",
            "x.wasm",
            "--password=pw"
        ]]
    );
    assert!(invocations("cargo run --release -p quire-bench -- fleet").is_empty());
    let synopsis: Vec<String> = [
        "quire",
        "replay",
        "<recording>",
        "[--strategy",
        "NAME]",
        "[--bogus]",
    ]
    .map(str::to_owned)
    .into();
    assert!(is_synopsis(&synopsis));
    assert_eq!(unknown_flags(&synopsis), ["--bogus"]);
}

#[test]
fn blocks_carry_their_marker_line_and_language() {
    let markdown = "# T\n\n<!-- readme-test: walkthrough -->\n```sh\nquire a \\\n  --b # note\n\n# only a comment\nquire c '#x'\n```\n\n```\nplain\n```\n";
    let found = blocks(markdown);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].language, "sh");
    assert_eq!(found[0].marker.as_deref(), Some("walkthrough"));
    assert_eq!(found[0].line, 4);
    assert_eq!(
        commands(&found[0]),
        [
            (5, "quire a --b".to_owned()),
            (9, "quire c '#x'".to_owned())
        ]
    );
    assert_eq!(
        (found[1].language.as_str(), found[1].marker.as_deref()),
        ("", None)
    );
}
