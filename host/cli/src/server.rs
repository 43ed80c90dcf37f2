//! `quire server`: runs the server until Ctrl-C; `quire server enrollment-key`, which
//! issues a key straight in the database, for the administrator at the console before
//! anyone has logged in; `quire server reset-admin-password`; and `quire server
//! check-config`, which checks a configuration file's `[server]` section. The tools refuse
//! a data directory where no server has run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use quire_server::mailer::SmtpSettings;
use quire_server::{ConnectionLimits, LoginLimits, RawRetention, Server};
use quire_store::AccountId;

/// `quire server`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServerArgs {
    #[command(subcommand)]
    action: Option<Action>,
    #[command(flatten)]
    place: Place,
    #[command(flatten)]
    run: RunArgs,
}

/// Where the server keeps its state; shared by running it and by its tools.
#[derive(Args)]
struct Place {
    /// Read flags from the `[server]` section of this TOML file, each key a long flag of
    /// `quire server` (`listen = "0.0.0.0:8443"`, README "Configuration file"); the tools
    /// take the keys they share with it (`data`, `database`, `secrets-key`). A flag on the
    /// command line, or its environment variable, wins over the file. Without it no file
    /// is read.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The data directory: the SQLite database (by default) and the generated certificate.
    #[arg(long = "data", value_name = "DIR", default_value_os_t = crate::places::default_data("server"))]
    data: PathBuf,
    /// `postgres://…` for PostgreSQL; by default `quire.db` in the data directory.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// The key SNMP communities and v3 passwords are sealed with in the database (32
    /// bytes, base64); by default `secrets.key` in the data directory, made on first
    /// start. Every server process on one database is given the same file.
    #[arg(long, value_name = "FILE")]
    secrets_key: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    /// The address to listen on for HTTPS.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Serve Prometheus metrics at http://ADDR/metrics, in plain HTTP on an address of
    /// their own (README, "Metrics"); bind it where only the monitoring reaches. Off by
    /// default.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// A certificate chain (PEM) to serve instead of the generated self-signed one.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Set the `admin` password (otherwise one is generated on first start and printed once).
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "QUIRE_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    admin_password: Option<String>,
    /// How many hours ahead of the server's clock a reading may be dated; one dated later
    /// is refused (that reading alone), since it would leave its printer's later readings
    /// looking stale.
    #[arg(long, value_name = "H", default_value_t = 24)]
    future_tolerance_hours: u64,
    /// Trusted plugin publishers: one `name base64-public-key` per line (the line
    /// `quire plugin keygen` prints). Only plugins one of them signed are published.
    #[arg(long, value_name = "FILE")]
    trusted_publishers: Option<PathBuf>,
    /// Also publish plugins no trusted publisher signed: they reach every tenant's agents
    /// (strategies) or every ASM tick (action and alert-logic plugins), so by default
    /// they are refused.
    #[arg(long)]
    allow_unsigned_plugins: bool,
    /// An action plugin component (the contract's `action` world) to run besides the
    /// built-in ones; ASM action definitions name it `{"plugin": NAME}`, NAME being the
    /// file's name without `.wasm`. Repeat for more.
    #[arg(long = "action-plugin", value_name = "FILE")]
    action_plugins: Vec<PathBuf>,
    /// An alert-logic plugin component (the contract's `alert-logic` world) whose
    /// triggers ASM adds to the devices it judges, besides the built-in ones (one of the
    /// same name replaces the built-in). Repeat for more.
    #[arg(long = "alert-logic-plugin", value_name = "FILE")]
    alert_logic_plugins: Vec<PathBuf>,
    /// How long a reading keeps its raw exchange (what a newer strategy re-reads), in
    /// days (0 removes it within the hour) or `never`; readings and daily summaries are
    /// kept for ever.
    #[arg(
        long,
        value_name = "DAYS|never",
        env = "QUIRE_RAW_RETENTION",
        default_value = "30"
    )]
    raw_retention: RawRetention,
    /// Minutes between two recomputes of calculated values (each device's average daily
    /// and monthly volume, each supply's run-out forecast), by one server process at a
    /// time.
    #[arg(
        long,
        value_name = "MINUTES",
        env = "QUIRE_CALCULATED_EVERY",
        default_value = "60",
        value_parser = clap::value_parser!(u64).range(1..=10_080)
    )]
    calculated_every: u64,
    #[command(flatten)]
    asm: AsmArgs,
    /// Boxed: the flags are many, and `quire`'s other commands need not carry their size.
    #[command(flatten)]
    limits: Box<LimitArgs>,
}

/// How the server runs ASM and hands its e-mail on; shared by `quire server` and `quire
/// demo`, so a demo's alerts reach a real mailbox the same way.
#[derive(Args)]
pub(crate) struct AsmArgs {
    /// Seconds between two ASM scheduler ticks (alert definitions checked against every
    /// device, actions carried out), by one server process at a time.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "QUIRE_ASM_EVERY",
        default_value = "60",
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    asm_every: u64,
    /// The SMTP server e-mails (ASM's e-mail actions) go through:
    /// `smtp://[user:password@]host[:port][?security=starttls|tls|plain]`, STARTTLS by
    /// default; a user or password holding `@`, `:` or `%` writes it as `%40`, `%3A`, `%25`.
    /// Without it e-mails stay queued (and are sent once it is given).
    #[arg(
        long,
        value_name = "URL",
        env = "QUIRE_SMTP_URL",
        hide_env_values = true,
        requires = "smtp_from"
    )]
    smtp_url: Option<String>,
    /// The sender of e-mails: `quire@dealer.example` or `Quire <quire@dealer.example>`.
    #[arg(
        long,
        value_name = "ADDRESS",
        env = "QUIRE_SMTP_FROM",
        requires = "smtp_url"
    )]
    smtp_from: Option<String>,
}

/// How much one client may hold of the server (README, "Hardening"); the defaults are
/// the library's.
#[derive(Args)]
struct LimitArgs {
    /// Seconds a client may take over the TLS handshake.
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::default().handshake_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    handshake_timeout: u64,
    /// Seconds a client may take to send a request's head, from its first byte.
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::default().header_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::default().idle_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Seconds a request's body may pause while the server waits for it; answered 408
    /// after.
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::default().body_stall_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    body_stall_timeout: u64,
    /// Seconds a request's body may take in all, from when the server first asks for it;
    /// answered 408 after.
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::default().body_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Connections one client address may hold at once.
    #[arg(long, value_name = "N", default_value_t = ConnectionLimits::default().per_address)]
    max_connections_per_address: usize,
    /// Connections all clients together may hold at once.
    #[arg(long, value_name = "N", default_value_t = ConnectionLimits::default().total)]
    max_connections: usize,
    /// Failed logins from one address (an IPv6 /64) within --login-window after which
    /// it is answered 429 until the window ends.
    #[arg(long, value_name = "N", default_value_t = LoginLimits::default().failures_per_address)]
    login_failures_per_address: u32,
    /// Failed logins for one user name within --login-window after which it is
    /// answered 429 until the window ends.
    #[arg(long, value_name = "N", default_value_t = LoginLimits::default().failures_per_user)]
    login_failures_per_user: u32,
    /// Minutes over which failed logins are counted, from the first.
    #[arg(long, value_name = "MINUTES", default_value_t = LoginLimits::default().window.as_secs() / 60,
        value_parser = clap::value_parser!(u64).range(1..))]
    login_window: u64,
    /// Password checks run at once (by default one per core, at least 2); logins beyond
    /// these and --password-checks-waiting are answered 503.
    #[arg(long, value_name = "N", default_value_t = LoginLimits::default().concurrent_checks)]
    password_checks: usize,
    /// Logins that may wait for a password check.
    #[arg(long, value_name = "N", default_value_t = LoginLimits::default().waiting_checks)]
    password_checks_waiting: usize,
}

impl LimitArgs {
    fn apply(self, server: &mut Server) {
        let seconds = std::time::Duration::from_secs;
        server.connections = ConnectionLimits {
            handshake_timeout: seconds(self.handshake_timeout),
            header_timeout: seconds(self.header_timeout),
            idle_timeout: seconds(self.idle_timeout),
            body_stall_timeout: seconds(self.body_stall_timeout),
            body_timeout: seconds(self.body_timeout),
            per_address: self.max_connections_per_address,
            total: self.max_connections,
        };
        server.logins = LoginLimits {
            failures_per_address: self.login_failures_per_address,
            failures_per_user: self.login_failures_per_user,
            window: seconds(self.login_window * 60),
            concurrent_checks: self.password_checks,
            waiting_checks: self.password_checks_waiting,
        };
    }
}

impl AsmArgs {
    /// Sets the tick and the SMTP relay on `server`; a bad `--smtp-url` or `--smtp-from`
    /// is refused naming what is wrong.
    pub(crate) fn apply(&self, server: &mut Server) -> anyhow::Result<()> {
        server.asm_every = std::time::Duration::from_secs(self.asm_every);
        if let (Some(url), Some(from)) = (&self.smtp_url, &self.smtp_from) {
            server.smtp = Some(SmtpSettings::from_url(url, from)?);
        }
        Ok(())
    }
}

#[derive(Subcommand)]
enum Action {
    /// Issue an enrollment key for an account and print it (shown only this once).
    EnrollmentKey {
        /// The account the enrolled agent will read for.
        #[arg(long, value_name = "ID")]
        account: i64,
        /// How long the key stays valid.
        #[arg(long, value_name = "H", default_value_t = 24)]
        valid_hours: u32,
        #[command(flatten)]
        place: Place,
    },
    /// Give `admin` a new password and print it, for the operator who lost the one
    /// printed on first start. The server may be running.
    ResetAdminPassword {
        #[command(flatten)]
        place: Place,
    },
    /// Check a configuration file's `[server]` section: print `ok` and the settings a
    /// server started with `--config FILE` would take, each with where it comes from
    /// (secrets hidden), or every bad line; the exit code is 1 then.
    CheckConfig {
        /// The TOML file.
        file: PathBuf,
    },
}

pub async fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        Some(Action::EnrollmentKey {
            account,
            valid_hours,
            place,
        }) => enrollment_key(place, account, valid_hours).await?,
        Some(Action::ResetAdminPassword { place }) => {
            let password = server(place).reset_admin_password().await?;
            // The same line, read the same way, as on first start.
            outln!("admin-password {password}");
            note!("quire: log in as `admin` with the password above; it is not shown again");
        }
        Some(Action::CheckConfig { file }) => return crate::config_file::check(&file, "server"),
        None => serve(args.place, args.run).await?,
    }
    Ok(ExitCode::SUCCESS)
}

fn server(place: Place) -> Server {
    if let Some(file) = &place.config {
        tracing::info!(file = %file.display(), "settings from the configuration file");
    }
    let mut server = Server::new(place.data);
    server.database = place.database;
    server.secrets_key = place.secrets_key;
    server
}

async fn serve(place: Place, run: RunArgs) -> anyhow::Result<()> {
    let mut server = server(place);
    server.listen = run.listen;
    server.metrics_listen = run.metrics_listen;
    server.tls_cert = run.tls_cert;
    server.tls_key = run.tls_key;
    server.trusted_publishers = run.trusted_publishers;
    server.future_tolerance =
        std::time::Duration::from_secs(run.future_tolerance_hours.saturating_mul(3600));
    server.allow_unsigned_plugins = run.allow_unsigned_plugins;
    server.action_plugins = run.action_plugins;
    server.alert_logic_plugins = run.alert_logic_plugins;
    server.raw_retention = run.raw_retention;
    server.calculated_every = std::time::Duration::from_secs(run.calculated_every * 60);
    run.asm.apply(&mut server)?;
    (*run.limits).apply(&mut server);
    let password_given = run.admin_password.is_some();
    server.admin_password = run.admin_password;
    let database = quire_store::redact(&server.database_url());
    let running = server.start().await?;
    // These lines are read by scripts and tests: keep their shape.
    outln!("listening https://{}", running.address);
    outln!("certificate-sha256 {}", running.certificate_sha256);
    outln!("key-sha256 {}", running.key_sha256);
    outln!("database {database}");
    if let Some(address) = running.metrics_address {
        outln!("metrics http://{address}{}", quire_metrics::PATH);
    }
    outln!("main-dealer {}", running.main_dealer.0);
    if let Some(password) = running.admin_password.as_ref().filter(|_| !password_given) {
        outln!("admin-password {password}");
        note!("quire: log in as `admin` with the password above; it is not shown again");
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    note!("quire: stopping");
    running.stop().await;
    Ok(())
}

async fn enrollment_key(place: Place, account: i64, valid_hours: u32) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=24 * 30).contains(&valid_hours),
        "--valid-hours must be 1 to 720"
    );
    let store = server(place).open_existing_store().await?;
    let issued = quire_server::issue_enrollment_key(
        &store,
        AccountId(account),
        valid_hours,
        chrono::Utc::now(),
    )
    .await
    .with_context(|| format!("--account {account}"))?;
    store.close().await;
    outln!("{}", issued.key);
    note!(
        "quire: enrollment key {} for account {account}, single use, valid until {}",
        issued.id,
        issued.expires_at.format("%Y-%m-%d %H:%M UTC")
    );
    Ok(())
}
