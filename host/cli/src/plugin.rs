//! `quire plugin`: what a plugin's maker and a dealer's administrator do with one —
//! make a publisher key, sign a component, publish it to a server (a strategy, an
//! action plugin or an alert-logic plugin: the server tells which), list what a server
//! runs, roll a plugin back.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hyper::Method;
use quire_plugins::SigningKey;
use quire_protocol::SIGNATURE_HEADER;
use quire_server::client::Client;
use serde_json::Value;

/// `quire plugin …`.
#[derive(Subcommand)]
pub enum PluginCommand {
    /// Start a strategy: a crate from Quire's template, with a sample recording
    /// and a snapshot test, that builds and loads as it stands.
    New {
        /// The strategy's name: lower-case words joined by hyphens (`acme-laser`).
        name: String,
        /// Where to create it (default: `./NAME`); must not exist.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Quire's `plugins-sdk` folder (default: the one this binary was built from).
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Make a publisher key pair: writes the secret key to FILE and prints the line a
    /// server's trusted-publishers file takes.
    Keygen {
        /// The publisher's name, as servers will show it.
        #[arg(long)]
        name: String,
        /// Where to write the secret key (refused if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a component with a publisher key: writes `<component>.sig`.
    Sign {
        /// The plugin component (`.wasm`).
        component: PathBuf,
        /// The secret key file `keygen` wrote.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Publish a plugin: the server checks it and tells its kind by its world. A
    /// strategy is handed to agents at their next check-in; an action or alert-logic
    /// plugin runs from the server's next ASM tick. A `<component>.sig` beside it is
    /// sent as its signature.
    Publish {
        /// The plugin component (`.wasm`).
        component: PathBuf,
        /// An action plugin's name, the one action definitions give (`erp-order`): its
        /// world has no `describe` to name it. Others name themselves.
        #[arg(long)]
        name: Option<String>,
        /// An action plugin's version (semver).
        #[arg(long)]
        version: Option<String>,
        #[command(flatten)]
        server: ServerLogin,
    },
    /// Withdraw the version of a plugin in use now; the previous one (or the built-in
    /// one) is used again: by agents at their next check-in, by ASM at its next tick.
    Rollback {
        /// The plugin's name.
        name: String,
        /// Its kind: strategy, action or alert-logic.
        #[arg(long, default_value = "strategy")]
        kind: String,
        #[command(flatten)]
        server: ServerLogin,
    },
    /// List every version published to a server, marking those handed out.
    List {
        #[command(flatten)]
        server: ServerLogin,
    },
}

/// How to reach a server as its administrator.
#[derive(Args)]
pub struct ServerLogin {
    /// The server, `https://HOST:PORT`.
    #[arg(long)]
    server: String,
    /// The server certificate's SHA-256 (hex), as `quire server` printed it.
    #[arg(long, value_name = "SHA256")]
    fingerprint: String,
    /// The administrator's name.
    #[arg(long, default_value = "admin")]
    user: String,
    /// Its password.
    #[arg(long, env = "QUIRE_PASSWORD", hide_env_values = true)]
    password: String,
}

pub async fn run(command: PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::New { name, dir, sdk } => {
            let dir = crate::plugin_new::create(&name, dir, sdk)?;
            outln!("{}", dir.display());
            note!(
                "quire: strategy {name} created; `cargo test` there runs it over its recording, its README says what next"
            );
        }
        PluginCommand::Keygen { name, out } => {
            anyhow::ensure!(
                !name.is_empty() && !name.contains(char::is_whitespace),
                "--name must be one word"
            );
            let key = SigningKey::generate()?;
            write_new(&out, &key.to_text())?;
            outln!("{name} {}", key.public_key());
            note!(
                "quire: secret key in {}; give the line above to servers that should trust it",
                out.display()
            );
        }
        PluginCommand::Sign { component, key } => {
            let text = read_text(&key)?;
            let key = SigningKey::from_text(&text).with_context(|| key.display().to_string())?;
            let bytes = read(&component)?;
            let out = signature_path(&component);
            std::fs::write(&out, key.sign(&bytes) + "\n")
                .with_context(|| format!("cannot write {}", out.display()))?;
            outln!("{}", out.display());
        }
        PluginCommand::Publish {
            component,
            name,
            version,
            server,
        } => {
            let bytes = read(&component)?;
            let signature = signature_path(&component);
            let signature = match signature.exists() {
                true => Some(read_text(&signature)?.trim().to_owned()),
                false => None,
            };
            let session = Session::login(&server).await?;
            let mut headers = Vec::new();
            if let Some(signature) = &signature {
                headers.push((SIGNATURE_HEADER, signature.as_str()));
            }
            let answer = session
                .client
                .send_with(
                    Method::POST,
                    &publish_path(name.as_deref(), version.as_deref()),
                    Some(&session.token),
                    &headers,
                    Some(("application/wasm", bytes)),
                )
                .await?;
            let body = answer.json();
            if answer.status != 201 {
                bail!(
                    "{}: {}",
                    component.display(),
                    message(&body, &answer.text())
                );
            }
            let kind = body["kind"].as_str().unwrap_or("?");
            outln!(
                "published {kind} {}@{} (sha256 {}{}); {}",
                body["name"].as_str().unwrap_or("?"),
                body["version"].as_str().unwrap_or("?"),
                body["sha256"].as_str().unwrap_or("?"),
                body["publisher"]
                    .as_str()
                    .map(|p| format!(", signed by {p}"))
                    .unwrap_or_default(),
                taken_up(kind),
            );
        }
        PluginCommand::Rollback { name, kind, server } => {
            let session = Session::login(&server).await?;
            let body: Value = session
                .client
                .json::<Value, _>(
                    Method::POST,
                    &format!("/api/v1/plugins/{kind}/{name}/rollback"),
                    Some(&session.token),
                    None,
                )
                .await?;
            let now = body["now-serving"].as_str().map(|v| format!("{name}@{v}"));
            let now = match (kind.as_str(), now) {
                ("strategy", Some(now)) => format!("agents now run {now}"),
                ("strategy", None) => "agents now run their built-in version".to_owned(),
                (_, Some(now)) => format!("ASM runs {now} from its next tick"),
                (_, None) => {
                    "ASM runs the built-in one of its name, if any, from its next tick".to_owned()
                }
            };
            outln!(
                "withdrew {kind} {name}@{}; {now}",
                body["withdrawn"].as_str().unwrap_or("?"),
            );
        }
        PluginCommand::List { server } => {
            let session = Session::login(&server).await?;
            let list: Vec<Value> = session
                .client
                .json::<Value, _>(Method::GET, "/api/v1/plugins", Some(&session.token), None)
                .await?;
            for s in &list {
                let state = if s["serving"] == true {
                    "in use"
                } else if s["withdrawn-at"].is_string() {
                    "withdrawn"
                } else {
                    "superseded"
                };
                outln!(
                    "{:<12} {:<24} {:<12} {:<11} {}",
                    s["kind"].as_str().unwrap_or("?"),
                    s["name"].as_str().unwrap_or("?"),
                    s["version"].as_str().unwrap_or("?"),
                    state,
                    s["publisher"].as_str().unwrap_or("unsigned"),
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A logged-in administrator's connection.
struct Session {
    client: Client,
    token: String,
}

impl Session {
    async fn login(login: &ServerLogin) -> anyhow::Result<Session> {
        let address = crate::admin::server_address(&login.server)?;
        let client = Client::new(address, &login.fingerprint);
        let token = client
            .login(&login.user, &login.password)
            .await
            .context("logging in")?;
        Ok(Session { client, token })
    }
}

/// `/api/v1/plugins`, with an action plugin's name and version in the query.
fn publish_path(name: Option<&str>, version: Option<&str>) -> String {
    let query: Vec<String> = [("name", name), ("version", version)]
        .into_iter()
        .filter_map(|(key, value)| {
            value.map(|v| {
                let escaped: String = v
                    .bytes()
                    .map(|b| match b {
                        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                            char::from(b).to_string()
                        }
                        other => format!("%{other:02X}"),
                    })
                    .collect();
                format!("{key}={escaped}")
            })
        })
        .collect();
    match query.is_empty() {
        true => "/api/v1/plugins".to_owned(),
        false => format!("/api/v1/plugins?{}", query.join("&")),
    }
}

/// When a published plugin of `kind` is taken up.
fn taken_up(kind: &str) -> &'static str {
    match kind {
        "strategy" => "agents get it at their next check-in",
        _ => "ASM runs it from its next tick",
    }
}

fn message(body: &Value, text: &str) -> String {
    body["message"]
        .as_str()
        .map_or_else(|| text.to_owned(), str::to_owned)
}

fn signature_path(component: &Path) -> PathBuf {
    let mut name = component.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(file, "{text}").with_context(|| format!("cannot write {}", path.display()))
}
