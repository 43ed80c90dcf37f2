//! `quire plugin`: what a strategy's maker and a dealer's administrator do with one —
//! make a publisher key, sign a component, publish it to a server, list what a server
//! hands out, roll a strategy back.

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
        /// The strategy component (`.wasm`).
        component: PathBuf,
        /// The secret key file `keygen` wrote.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Publish a strategy: the server checks it and hands it to agents at their next
    /// check-in. A `<component>.sig` beside it is sent as its signature.
    Publish {
        /// The strategy component (`.wasm`).
        component: PathBuf,
        #[command(flatten)]
        server: ServerLogin,
    },
    /// Withdraw the version of a strategy handed out now; agents go back to the
    /// previous one (or their built-in one) at their next check-in.
    Rollback {
        /// The strategy's name.
        name: String,
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
        PluginCommand::Publish { component, server } => {
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
                    "/api/v1/strategies",
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
            outln!(
                "published {}@{} (sha256 {}{}); agents get it at their next check-in",
                body["name"].as_str().unwrap_or("?"),
                body["version"].as_str().unwrap_or("?"),
                body["sha256"].as_str().unwrap_or("?"),
                body["publisher"]
                    .as_str()
                    .map(|p| format!(", signed by {p}"))
                    .unwrap_or_default(),
            );
        }
        PluginCommand::Rollback { name, server } => {
            let session = Session::login(&server).await?;
            let body: Value = session
                .client
                .json::<Value, _>(
                    Method::POST,
                    &format!("/api/v1/strategies/{name}/rollback"),
                    Some(&session.token),
                    None,
                )
                .await?;
            outln!(
                "withdrew {name}@{}; agents now run {}",
                body["withdrawn"].as_str().unwrap_or("?"),
                body["now-serving"].as_str().map_or_else(
                    || "their built-in version".to_owned(),
                    |v| format!("{name}@{v}")
                ),
            );
        }
        PluginCommand::List { server } => {
            let session = Session::login(&server).await?;
            let list: Vec<Value> = session
                .client
                .json::<Value, _>(
                    Method::GET,
                    "/api/v1/strategies",
                    Some(&session.token),
                    None,
                )
                .await?;
            for s in &list {
                let state = if s["serving"] == true {
                    "handed out"
                } else if s["withdrawn-at"].is_string() {
                    "withdrawn"
                } else {
                    "superseded"
                };
                outln!(
                    "{:<24} {:<12} {:<11} {}",
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
