//! `quire admin`: what a dealer sets up on a server before any agent exists — accounts,
//! sites with their ranges and schedules, SNMP credentials, users, enrollment keys, costs
//! per page — over the server's REST API, logged in once with `quire admin login`.
//!
//! Requests and answers are the server's own types (`quire_server::api`), so the two
//! sides cannot drift apart. Values a person types (a range, an SNMP protocol, a schedule)
//! go to the server as typed and the server judges them: a refusal prints the field it
//! names (`ranges[2].range: …`) and exits non-zero, and nothing is stored.

mod session;

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use hyper::Method;
use quire_server::api::{
    AccountView, CredentialSpec, DeviceView, Disabled, IssuedKey, KeyView, NewAccount, NewKey,
    NewPassword, NewRole, NewSite, NewUser, PasswordChange, RateView, ReadingView,
    ResolvedRateView, Role, SessionView, SiteView, UserView,
};
use serde::Serialize;
use serde_json::{Value, json};

use session::Session;
pub use session::server_address;

use crate::Format;

/// `quire admin …`.
#[derive(Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
    /// Output format: a table for people, JSON (the API's own answer) for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Log in to a server; the session and the server's pinned certificate are kept in
    /// this user's configuration directory for the other `quire admin` commands.
    Login {
        /// The server, `https://IP:PORT`, as `quire server` printed it.
        #[arg(long)]
        server: String,
        /// The server certificate's SHA-256, as `quire server` printed it; without it the
        /// certificate shown now is pinned, and printed to compare.
        #[arg(long, value_name = "SHA256")]
        fingerprint: Option<String>,
        /// The user's name.
        #[arg(long, default_value = "admin")]
        user: String,
        /// The password; asked for when neither this nor QUIRE_PASSWORD is given.
        #[arg(long, env = "QUIRE_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// How long to wait for a server that is still starting (its port not yet
        /// open), as when it was started a moment before in the same script.
        #[arg(long, value_name = "SECONDS", default_value_t = 15)]
        wait: u64,
    },
    /// End the session and forget it.
    Logout,
    /// Change the logged-in user's own password; their other sessions end.
    Password {
        /// The password now; asked for when neither this nor QUIRE_PASSWORD is given.
        #[arg(long, env = "QUIRE_PASSWORD", hide_env_values = true)]
        current: Option<String>,
        /// The new password; asked for when neither this nor QUIRE_NEW_PASSWORD is given.
        #[arg(long = "new", env = "QUIRE_NEW_PASSWORD", hide_env_values = true)]
        new: Option<String>,
    },
    /// The logged-in user's own sessions.
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// Customer and dealer accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// An account's sites: the places an agent reads.
    Site {
        #[command(subcommand)]
        command: SiteCommand,
    },
    /// The address ranges a site's agents discover printers in.
    Range {
        #[command(subcommand)]
        command: RangeCommand,
    },
    /// The SNMP credentials an account's agents try on each printer, in order.
    Credentials {
        #[command(subcommand)]
        command: CredentialsCommand,
    },
    /// When a site's agents run discovery, meters & supplies and alerts.
    Schedule {
        #[command(subcommand)]
        command: ScheduleCommand,
    },
    /// The people who log in (administrators; dealer users for their subtree).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Enrollment keys: what `quire agent enroll --key` takes.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// The printers agents found, as the server holds them.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// What agents read from a printer, newest first.
    Reading {
        #[command(subcommand)]
        command: ReadingCommand,
    },
    /// Costs per page per counter, set at an account, a contract or a device and
    /// inherited down the tree.
    Rates {
        #[command(subcommand)]
        command: RatesCommand,
    },
}

#[derive(Subcommand)]
enum RatesCommand {
    /// Replace the rates set at one scope with the pairs given; none clears them.
    Set {
        #[command(flatten)]
        scope: RateScopeArgs,
        /// `COUNTER=COST`, the cost a decimal such as `mono=0.0085` (repeat for several).
        #[arg(value_name = "COUNTER=COST")]
        rates: Vec<String>,
    },
    /// The rates set at an account or a contract; for a device, the rates it pays,
    /// each with where it was set.
    List {
        #[command(flatten)]
        scope: RateScopeArgs,
    },
}

/// The one scope a rates command is about.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct RateScopeArgs {
    /// An account (its subtree inherits its rates).
    #[arg(long, value_name = "ID")]
    account: Option<i64>,
    /// A contract (its devices inherit its rates).
    #[arg(long, value_name = "ID")]
    contract: Option<i64>,
    /// A device.
    #[arg(long, value_name = "ID")]
    device: Option<i64>,
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// The devices you see, by id.
    List {
        /// Only this account's.
        #[arg(long, value_name = "ID")]
        account: Option<i64>,
        /// Only this site's.
        #[arg(long, value_name = "ID")]
        site: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ReadingCommand {
    /// A device's readings, newest first.
    List {
        /// The device's id.
        #[arg(long, value_name = "ID")]
        device: i64,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account under a dealer.
    Add {
        /// Its name.
        name: String,
        /// The dealer it belongs to; by default the main dealer.
        #[arg(long, value_name = "ID")]
        parent: Option<i64>,
        /// Make it a dealer, which has accounts of its own.
        #[arg(long)]
        dealer: bool,
    },
    /// The accounts you see.
    List,
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Create a site of an account.
    Add {
        /// The account.
        #[arg(long, value_name = "ID")]
        account: i64,
        /// Its name, unique in the account.
        name: String,
    },
    /// An account's sites.
    List {
        /// The account.
        #[arg(long, value_name = "ID")]
        account: i64,
    },
}

#[derive(Subcommand)]
enum RangeCommand {
    /// Add ranges to a site's list: `192.168.1.10`, `192.168.1.10-192.168.1.50` or
    /// `192.168.1.0/24`.
    Add {
        /// The site.
        #[arg(long, value_name = "ID")]
        site: i64,
        /// The part of the network they are (schedules may differ per part).
        #[arg(long)]
        part: Option<String>,
        /// The ranges.
        #[arg(required = true)]
        ranges: Vec<String>,
    },
    /// A site's ranges.
    List {
        /// The site.
        #[arg(long, value_name = "ID")]
        site: i64,
    },
    /// Replace the ranges of an account's sites from a CSV file of `site,range[,part]`
    /// lines, sites named as the account knows them; sites not named keep theirs. One
    /// bad line refuses the whole file.
    Upload {
        /// The account whose sites the lines name.
        #[arg(long, value_name = "ID")]
        account: i64,
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum CredentialsCommand {
    /// Replace an account's credentials: the communities in the order given, then the v3
    /// user.
    Set {
        #[command(flatten)]
        credentials: CredentialArgs,
    },
    /// Add credentials after the account's others.
    Add {
        #[command(flatten)]
        credentials: CredentialArgs,
    },
    /// An account's credentials, in the order agents try them.
    List {
        /// The account.
        #[arg(long, value_name = "ID")]
        account: i64,
    },
}

/// Credentials as the API words them.
#[derive(Args)]
struct CredentialArgs {
    /// The account.
    #[arg(long, value_name = "ID")]
    account: i64,
    /// An SNMP community (repeat for several).
    #[arg(long, value_name = "C")]
    community: Vec<String>,
    /// The SNMP version of the communities.
    #[arg(long, value_name = "V", default_value = "v2c", value_parser = ["v1", "v2c"])]
    snmp_version: String,
    /// An SNMPv3 user.
    #[arg(long, value_name = "NAME", required_unless_present = "community")]
    v3_user: Option<String>,
    /// `md5`, `sha1`, `sha224`, `sha256`, `sha384` or `sha512`; none for noAuthNoPriv.
    #[arg(long, value_name = "P", requires = "v3_user")]
    auth_protocol: Option<String>,
    /// The authentication password.
    #[arg(long, value_name = "PASSWORD", requires = "auth_protocol")]
    auth_password: Option<String>,
    /// `des` or `aes128`; none for authNoPriv.
    #[arg(long, value_name = "P", requires = "auth_protocol")]
    privacy_protocol: Option<String>,
    /// The privacy password.
    #[arg(long, value_name = "PASSWORD", requires = "privacy_protocol")]
    privacy_password: Option<String>,
    /// The v3 context name.
    #[arg(long, value_name = "NAME", requires = "v3_user")]
    context: Option<String>,
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// A site's schedules (the defaults until set).
    Show {
        /// The site.
        #[arg(long, value_name = "ID")]
        site: i64,
    },
    /// Set a site's schedules from a JSON file (`-` reads standard input), in the shape
    /// `show --format json` prints.
    Set {
        /// The site.
        #[arg(long, value_name = "ID")]
        site: i64,
        /// The JSON file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Add {
        /// The login name.
        name: String,
        /// `administrator`, `dealer-user` (sees the dealers granted and their accounts)
        /// or `account-user` (sees the accounts granted).
        #[arg(long)]
        role: String,
        /// An account the user is granted (repeat for several).
        #[arg(long, value_name = "ID")]
        account: Vec<i64>,
        /// The password (at least 10 characters); asked for when neither this nor
        /// QUIRE_NEW_PASSWORD is given.
        #[arg(long, env = "QUIRE_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Every user.
    List,
    /// Set a user's password (they choose their own with `quire admin password`); their
    /// sessions end.
    Password {
        /// The user's id.
        id: i64,
        /// The new password; asked for when neither this nor QUIRE_NEW_PASSWORD is given.
        #[arg(long, env = "QUIRE_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Give a user another role and other accounts; their sessions end.
    Role {
        /// The user's id.
        id: i64,
        /// `administrator`, `dealer-user` or `account-user`.
        #[arg(long)]
        role: String,
        /// An account the user is granted (repeat for several); replaces the grants.
        #[arg(long, value_name = "ID")]
        account: Vec<i64>,
    },
    /// Stop a user from logging in, ending their sessions.
    Disable {
        /// The user's id.
        id: i64,
    },
    /// Let a disabled user log in again.
    Enable {
        /// The user's id.
        id: i64,
    },
    /// Delete a user; one that history names (alert answers, work orders) is refused:
    /// disable them instead.
    Delete {
        /// The user's id.
        id: i64,
    },
    /// A user's live sessions.
    Sessions {
        /// The user's id.
        id: i64,
    },
    /// End every session of a user.
    EndSessions {
        /// The user's id.
        id: i64,
    },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// The sessions open under this user, the one in use marked.
    List,
    /// End one of them (a browser left logged in elsewhere).
    End {
        /// The session's id, as listed.
        id: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Issue a single-use enrollment key for an account's agent and print it (shown
    /// only this once).
    Issue {
        /// The account the enrolled agent reads for.
        #[arg(long, value_name = "ID")]
        account: i64,
        /// How long the key stays valid.
        #[arg(long, value_name = "H", default_value_t = 24)]
        valid_hours: u32,
    },
    /// An account's keys, newest first.
    List {
        /// The account.
        #[arg(long, value_name = "ID")]
        account: i64,
    },
    /// Revoke an unused key.
    Revoke {
        /// The key's id (not the key).
        id: i64,
    },
}

pub async fn run(args: AdminArgs) -> anyhow::Result<ExitCode> {
    let format = args.format;
    match args.command {
        AdminCommand::Login {
            server,
            fingerprint,
            user,
            password,
            wait,
        } => {
            session::wait_for(&server, std::time::Duration::from_secs(wait)).await?;
            let password = match password {
                Some(password) => password,
                None => ask(&format!("password of {user}: "), "QUIRE_PASSWORD")?,
            };
            let session = Session::login(&server, fingerprint.as_deref(), &user, &password).await?;
            if fingerprint.is_none() {
                note!(
                    "quire: pinned the certificate the server showed; check it is the one `quire server` printed"
                );
            }
            outln!("logged in to {} as {}", session.server(), session.user());
            outln!("certificate-sha256 {}", session.certificate_sha256());
            outln!(
                "session valid until {}",
                session.expires_at().format("%Y-%m-%d %H:%M UTC")
            );
        }
        AdminCommand::Logout => {
            let session = Session::load()?;
            let server = session.server().to_owned();
            session.logout().await?;
            outln!("logged out of {server}");
        }
        AdminCommand::Account { command } => account(&Session::load()?, command, format).await?,
        AdminCommand::Site { command } => site(&Session::load()?, command, format).await?,
        AdminCommand::Range { command } => range(&Session::load()?, command, format).await?,
        AdminCommand::Credentials { command } => {
            credentials(&Session::load()?, command, format).await?
        }
        AdminCommand::Schedule { command } => schedule(&Session::load()?, command, format).await?,
        AdminCommand::Password { current, new } => {
            let session = Session::load()?;
            let current = match current {
                Some(current) => current,
                None => ask("current password: ", "QUIRE_PASSWORD")?,
            };
            let new = match new {
                Some(new) => new,
                None => ask("new password: ", "QUIRE_NEW_PASSWORD")?,
            };
            let change = PasswordChange {
                current_password: current,
                new_password: new,
            };
            let () = session
                .call(Method::PUT, "/api/v1/me/password", Some(&change))
                .await?;
            outln!(
                "password of {} changed; its other sessions are ended",
                session.user()
            );
        }
        AdminCommand::Session {
            command: SessionCommand::List,
        } => {
            let session = Session::load()?;
            let sessions: Vec<SessionView> = session
                .call(Method::GET, "/api/v1/sessions", None::<&()>)
                .await?;
            print_sessions(&sessions, format)?;
        }
        AdminCommand::Session {
            command: SessionCommand::End { id },
        } => {
            let session = Session::load()?;
            let () = session
                .call(
                    Method::DELETE,
                    &format!("/api/v1/sessions/{id}"),
                    None::<&()>,
                )
                .await?;
            outln!("session {id} ended");
        }
        AdminCommand::User { command } => user(&Session::load()?, command, format).await?,
        AdminCommand::Key { command } => key(&Session::load()?, command, format).await?,
        AdminCommand::Rates { command } => rates(&Session::load()?, command, format).await?,
        AdminCommand::Device {
            command: DeviceCommand::List { account, site },
        } => {
            let mut filters = Vec::new();
            filters.extend(account.map(|id| format!("account-id={id}")));
            filters.extend(site.map(|id| format!("site-id={id}")));
            let path = match filters.is_empty() {
                true => "/api/v1/devices".to_owned(),
                false => format!("/api/v1/devices?{}", filters.join("&")),
            };
            let devices: Vec<DeviceView> = list_all(&Session::load()?, &path).await?;
            print_devices(&devices, format)?;
        }
        AdminCommand::Reading {
            command: ReadingCommand::List { device, limit },
        } => {
            let path = format!("/api/v1/devices/{device}/readings?limit={limit}");
            let readings: Vec<ReadingView> = Session::load()?
                .call(Method::GET, &path, None::<&()>)
                .await?;
            print_readings(&readings, format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a secret from the terminal without echoing it; with no terminal, says which
/// flag or variable `env` gives it instead.
fn ask(prompt: &str, env: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "no password: give --password or set {env}"
    );
    rpassword::prompt_password(prompt).context("reading the password")
}

async fn account(session: &Session, command: AccountCommand, format: Format) -> anyhow::Result<()> {
    match command {
        AccountCommand::Add {
            name,
            parent,
            dealer,
        } => {
            let parent_id = match parent {
                Some(id) => id,
                None => main_dealer(session).await?,
            };
            let new = NewAccount {
                name,
                parent_id,
                is_dealer: dealer,
            };
            let account: AccountView = session
                .call(Method::POST, "/api/v1/accounts", Some(&new))
                .await?;
            print_one(account, format, print_accounts)?;
        }
        AccountCommand::List => {
            let accounts: Vec<AccountView> = list_all(session, "/api/v1/accounts").await?;
            print_accounts(&accounts, format)?;
        }
    }
    Ok(())
}

/// The root of the accounts the caller sees: the account without a parent.
async fn main_dealer(session: &Session) -> anyhow::Result<i64> {
    let first: Vec<AccountView> = session
        .call(Method::GET, "/api/v1/accounts?limit=1", None::<&()>)
        .await?;
    first
        .into_iter()
        .find(|a| a.parent_id.is_none())
        .map(|a| a.id)
        .context("you see no main dealer; give --parent ID")
}

async fn site(session: &Session, command: SiteCommand, format: Format) -> anyhow::Result<()> {
    match command {
        SiteCommand::Add { account, name } => {
            let new = NewSite {
                name,
                schedules: None,
            };
            let path = format!("/api/v1/accounts/{account}/sites");
            let site: SiteView = session.call(Method::POST, &path, Some(&new)).await?;
            print_one(site, format, print_sites)?;
        }
        SiteCommand::List { account } => {
            let sites: Vec<SiteView> =
                list_all(session, &format!("/api/v1/accounts/{account}/sites")).await?;
            print_sites(&sites, format)?;
        }
    }
    Ok(())
}

async fn range(session: &Session, command: RangeCommand, format: Format) -> anyhow::Result<()> {
    match command {
        RangeCommand::Add { site, part, ranges } => {
            let path = format!("/api/v1/sites/{site}");
            let current: SiteView = session.call(Method::GET, &path, None::<&()>).await?;
            // The new ones as typed, so the server judges them and names the one it refuses.
            let mut list: Vec<Value> = current
                .ranges
                .iter()
                .map(|r| serde_json::to_value(r).expect("a range serialises"))
                .collect();
            list.extend(ranges.iter().map(|range| match &part {
                Some(part) => json!({"range": range, "part": part}),
                None => json!({"range": range}),
            }));
            let site: SiteView = session
                .call(Method::PUT, &format!("{path}/ranges"), Some(&list))
                .await?;
            print_one(site, format, print_ranges)?;
        }
        RangeCommand::List { site } => {
            let path = format!("/api/v1/sites/{site}");
            let site: SiteView = session.call(Method::GET, &path, None::<&()>).await?;
            print_one(site, format, print_ranges)?;
        }
        RangeCommand::Upload { account, file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let path = format!("/api/v1/accounts/{account}/ranges-csv");
            let sites: Vec<SiteView> = session
                .send(Method::POST, &path, "text/csv", bytes)
                .await
                .with_context(|| file.display().to_string())?;
            print_ranges(&sites, format)?;
        }
    }
    Ok(())
}

async fn credentials(
    session: &Session,
    command: CredentialsCommand,
    format: Format,
) -> anyhow::Result<()> {
    let (args, keep) = match command {
        CredentialsCommand::List { account } => {
            let path = format!("/api/v1/accounts/{account}/credentials");
            let list: Vec<CredentialSpec> = session.call(Method::GET, &path, None::<&()>).await?;
            print_credentials(&list, format)?;
            return Ok(());
        }
        CredentialsCommand::Set { credentials } => (credentials, false),
        CredentialsCommand::Add { credentials } => (credentials, true),
    };
    let path = format!("/api/v1/accounts/{}/credentials", args.account);
    let mut list: Vec<Value> = Vec::new();
    if keep {
        let stored: Vec<CredentialSpec> = session.call(Method::GET, &path, None::<&()>).await?;
        list.extend(
            stored
                .iter()
                .map(|c| serde_json::to_value(c).expect("credentials serialise")),
        );
    }
    list.extend(args.entries());
    let stored: Vec<CredentialSpec> = session.call(Method::PUT, &path, Some(&list)).await?;
    print_credentials(&stored, format)?;
    Ok(())
}

impl CredentialArgs {
    /// The entries as typed, in the API's words: the communities, then the v3 user.
    fn entries(&self) -> Vec<Value> {
        let mut entries: Vec<Value> = self
            .community
            .iter()
            .map(|c| json!({"version": self.snmp_version, "community": c}))
            .collect();
        if let Some(user) = &self.v3_user {
            let mut v3 = json!({"version": "v3", "user": user});
            for (field, value) in [
                ("auth-protocol", &self.auth_protocol),
                ("auth-password", &self.auth_password),
                ("privacy-protocol", &self.privacy_protocol),
                ("privacy-password", &self.privacy_password),
                ("context", &self.context),
            ] {
                if let Some(value) = value {
                    v3[field] = json!(value);
                }
            }
            entries.push(v3);
        }
        entries
    }
}

async fn schedule(
    session: &Session,
    command: ScheduleCommand,
    format: Format,
) -> anyhow::Result<()> {
    let site: SiteView = match command {
        ScheduleCommand::Show { site } => {
            let path = format!("/api/v1/sites/{site}");
            session.call(Method::GET, &path, None::<&()>).await?
        }
        ScheduleCommand::Set { site, file } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("reading standard input")?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?
            };
            let schedules: Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", file.display()))?;
            let path = format!("/api/v1/sites/{site}/schedules");
            session.call(Method::PUT, &path, Some(&schedules)).await?
        }
    };
    match format {
        Format::Json => print_json(&site.schedules)?,
        Format::Table => {
            let s = &site.schedules;
            let mut rows = vec![vec!["time-zone".to_owned(), s.time_zone.clone()]];
            for (cycle, config) in [
                ("discovery", &s.discovery),
                ("meters-and-supplies", &s.meters_and_supplies),
                ("alerts", &s.alerts),
            ] {
                rows.push(vec![cycle.to_owned(), compact(&config.default)]);
                for (part, schedule) in &config.parts {
                    rows.push(vec![format!("{cycle} ({part})"), compact(schedule)]);
                }
            }
            rows.push(vec!["local-devices".to_owned(), compact(&s.local_devices)]);
            out!("{}", table(&["cycle", "schedule"], &rows));
        }
    }
    Ok(())
}

async fn user(session: &Session, command: UserCommand, format: Format) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            name,
            role,
            account,
            password,
        } => {
            let role = parse_role(&role)?;
            let password = match password {
                Some(password) => password,
                None => ask(&format!("password for {name}: "), "QUIRE_NEW_PASSWORD")?,
            };
            let new = NewUser {
                name,
                password,
                role,
                account_ids: account,
            };
            let user: UserView = session
                .call(Method::POST, "/api/v1/users", Some(&new))
                .await?;
            print_one(user, format, print_users)?;
        }
        UserCommand::List => {
            let users: Vec<UserView> = list_all(session, "/api/v1/users").await?;
            print_users(&users, format)?;
        }
        UserCommand::Password { id, password } => {
            let password = match password {
                Some(password) => password,
                None => ask(
                    &format!("new password of user {id}: "),
                    "QUIRE_NEW_PASSWORD",
                )?,
            };
            let path = format!("/api/v1/users/{id}/password");
            let () = session
                .call(Method::PUT, &path, Some(&NewPassword { password }))
                .await?;
            outln!("password of user {id} set; their sessions are ended");
        }
        UserCommand::Role { id, role, account } => {
            let new = NewRole {
                role: parse_role(&role)?,
                account_ids: account,
            };
            let path = format!("/api/v1/users/{id}/role");
            let user: UserView = session.call(Method::PUT, &path, Some(&new)).await?;
            print_one(user, format, print_users)?;
        }
        UserCommand::Disable { id } | UserCommand::Enable { id } => {
            let disabled = Disabled {
                disabled: matches!(command, UserCommand::Disable { .. }),
            };
            let path = format!("/api/v1/users/{id}/disabled");
            let user: UserView = session.call(Method::PUT, &path, Some(&disabled)).await?;
            print_one(user, format, print_users)?;
        }
        UserCommand::Delete { id } => {
            let path = format!("/api/v1/users/{id}");
            let () = session.call(Method::DELETE, &path, None::<&()>).await?;
            outln!("user {id} deleted");
        }
        UserCommand::Sessions { id } => {
            let path = format!("/api/v1/users/{id}/sessions");
            let sessions: Vec<SessionView> = session.call(Method::GET, &path, None::<&()>).await?;
            print_sessions(&sessions, format)?;
        }
        UserCommand::EndSessions { id } => {
            let path = format!("/api/v1/users/{id}/sessions");
            let () = session.call(Method::DELETE, &path, None::<&()>).await?;
            outln!("the sessions of user {id} are ended");
        }
    }
    Ok(())
}

/// A role as typed (`dealer-user`), in the API's words.
fn parse_role(role: &str) -> anyhow::Result<Role> {
    serde_json::from_value(Value::String(role.to_owned()))
        .map_err(|e| anyhow::anyhow!("--role {role}: {e}"))
}

fn print_sessions(sessions: &[SessionView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(sessions);
    }
    let time = |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let rows: Vec<Vec<String>> = sessions
        .iter()
        .map(|s| {
            let current = if s.current { "yes" } else { "" };
            vec![
                s.id.clone(),
                time(&s.created_at),
                time(&s.expires_at),
                current.to_owned(),
            ]
        })
        .collect();
    out!("{}", table(&["id", "opened", "expires", "current"], &rows));
    Ok(())
}

async fn key(session: &Session, command: KeyCommand, format: Format) -> anyhow::Result<()> {
    match command {
        KeyCommand::Issue {
            account,
            valid_hours,
        } => {
            let path = format!("/api/v1/accounts/{account}/enrollment-keys");
            let issued: IssuedKey = session
                .call(Method::POST, &path, Some(&NewKey { valid_hours }))
                .await?;
            match format {
                Format::Json => print_json(&issued)?,
                Format::Table => {
                    // The key alone on standard output, as `quire server enrollment-key`.
                    outln!("{}", issued.key);
                    note!(
                        "quire: enrollment key {} for account {}, single use, valid until {}",
                        issued.id,
                        issued.account_id,
                        issued.expires_at.format("%Y-%m-%d %H:%M UTC")
                    );
                }
            }
        }
        KeyCommand::List { account } => {
            let keys: Vec<KeyView> = list_all(
                session,
                &format!("/api/v1/accounts/{account}/enrollment-keys"),
            )
            .await?;
            print_keys(&keys, format)?;
        }
        KeyCommand::Revoke { id } => {
            let path = format!("/api/v1/enrollment-keys/{id}");
            let key: KeyView = session.call(Method::DELETE, &path, None::<&()>).await?;
            print_one(key, format, print_keys)?;
        }
    }
    Ok(())
}

async fn rates(session: &Session, command: RatesCommand, format: Format) -> anyhow::Result<()> {
    let (scope, pairs) = match command {
        RatesCommand::Set { scope, rates } => (scope, Some(rates)),
        RatesCommand::List { scope } => (scope, None),
    };
    let path = match (scope.account, scope.contract, scope.device) {
        (Some(id), _, _) => format!("/api/v1/accounts/{id}/rates"),
        (_, Some(id), _) => format!("/api/v1/contracts/{id}/rates"),
        (_, _, Some(id)) => format!("/api/v1/devices/{id}/rates"),
        (None, None, None) => unreachable!("clap requires one scope"),
    };
    // The costs go as typed, as strings: the server judges them and names a bad one.
    let body = pairs
        .map(|pairs| {
            pairs
                .iter()
                .map(|pair| {
                    let (counter, cost) = pair.split_once('=').with_context(|| {
                        format!("`{pair}` is not COUNTER=COST (such as `mono=0.0085`)")
                    })?;
                    Ok(json!({"counter": counter, "cost-per-page": cost}))
                })
                .collect::<anyhow::Result<Vec<Value>>>()
        })
        .transpose()?;
    let method = if body.is_some() {
        Method::PUT
    } else {
        Method::GET
    };
    if scope.device.is_some() {
        let rates: Vec<ResolvedRateView> = session.call(method, &path, body.as_ref()).await?;
        if let Format::Json = format {
            return print_json(&rates);
        }
        let rows: Vec<Vec<String>> = rates
            .iter()
            .map(|rate| {
                let name = rate
                    .source
                    .name
                    .as_deref()
                    .map_or_else(String::new, |name| format!(" ({name})"));
                vec![
                    rate.counter.clone(),
                    rate.cost_per_page.to_string(),
                    format!("{} {}{name}", compact(&rate.source.scope), rate.source.id),
                ]
            })
            .collect();
        out!("{}", table(&["counter", "cost per page", "set at"], &rows));
    } else {
        let rates: Vec<RateView> = session.call(method, &path, body.as_ref()).await?;
        if let Format::Json = format {
            return print_json(&rates);
        }
        let rows: Vec<Vec<String>> = rates
            .iter()
            .map(|rate| vec![rate.counter.clone(), rate.cost_per_page.to_string()])
            .collect();
        out!("{}", table(&["counter", "cost per page"], &rows));
    }
    Ok(())
}

/// Every row of a list, page by page.
async fn list_all<T: serde::de::DeserializeOwned>(
    session: &Session,
    path: &str,
) -> anyhow::Result<Vec<T>> {
    const PAGE: usize = 1_000;
    let mut all = Vec::new();
    loop {
        let glue = if path.contains('?') { '&' } else { '?' };
        let page: Vec<T> = session
            .call(
                Method::GET,
                &format!("{path}{glue}limit={PAGE}&offset={}", all.len()),
                None::<&()>,
            )
            .await?;
        let last = page.len() < PAGE;
        all.extend(page);
        if last {
            return Ok(all);
        }
    }
}

/// One row: its JSON object, or the list's table of one row.
fn print_one<T: Serialize>(
    row: T,
    format: Format,
    print: fn(&[T], Format) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&row),
        Format::Table => print(&[row], format),
    }
}

fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("answers serialise")
    );
    Ok(())
}

/// Columns padded to their widest cell, two spaces apart.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&headers).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end()).unwrap();
    }
    out
}

/// A value's JSON word (`dealer-user`), or its compact JSON when it is not a string.
fn compact<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value).expect("answers serialise") {
        Value::String(word) => word,
        other => other.to_string(),
    }
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn print_accounts(accounts: &[AccountView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(accounts);
    }
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                or_dash(a.parent_id),
                a.name.clone(),
                if a.is_dealer { "dealer" } else { "account" }.to_owned(),
                a.check_in_seconds.to_string(),
            ]
        })
        .collect();
    out!(
        "{}",
        table(&["id", "parent", "name", "kind", "check-in-s"], &rows)
    );
    Ok(())
}

fn print_sites(sites: &[SiteView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(sites);
    }
    let rows: Vec<Vec<String>> = sites
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.account_id.to_string(),
                s.name.clone(),
                s.ranges.len().to_string(),
                s.schedules.time_zone.clone(),
            ]
        })
        .collect();
    out!(
        "{}",
        table(&["id", "account", "name", "ranges", "time-zone"], &rows)
    );
    Ok(())
}

fn print_ranges(sites: &[SiteView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(sites);
    }
    let rows: Vec<Vec<String>> = sites
        .iter()
        .flat_map(|s| {
            s.ranges.iter().map(|r| {
                vec![
                    s.id.to_string(),
                    s.name.clone(),
                    r.range.to_string(),
                    or_dash(r.part.as_ref()),
                ]
            })
        })
        .collect();
    out!("{}", table(&["site", "name", "range", "part"], &rows));
    Ok(())
}

/// Credentials with their secrets left out: the table is for reading over a shoulder.
fn print_credentials(list: &[CredentialSpec], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let value = serde_json::to_value(spec).expect("credentials serialise");
            let word = |field: &str| value[field].as_str().unwrap_or("-").to_owned();
            let who = match value["user"].as_str() {
                Some(user) => format!("user {user}"),
                None => "community ***".to_owned(),
            };
            vec![
                index.to_string(),
                word("version"),
                who,
                word("auth-protocol"),
                word("privacy-protocol"),
            ]
        })
        .collect();
    out!(
        "{}",
        table(&["#", "version", "who", "auth", "privacy"], &rows)
    );
    Ok(())
}

fn print_users(users: &[UserView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(users);
    }
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            let accounts: Vec<String> = u.account_ids.iter().map(i64::to_string).collect();
            let state = if u.disabled { "disabled" } else { "active" };
            vec![
                u.id.to_string(),
                u.name.clone(),
                compact(&u.role),
                accounts.join(","),
                state.to_owned(),
            ]
        })
        .collect();
    out!(
        "{}",
        table(&["id", "name", "role", "accounts", "state"], &rows)
    );
    Ok(())
}

fn print_keys(keys: &[KeyView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(keys);
    }
    let time = |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let state = match (&k.revoked_at, &k.agent_id) {
                (Some(_), _) => "revoked".to_owned(),
                (None, Some(agent)) => format!("used by {agent}"),
                (None, None) if k.expires_at < chrono::Utc::now() => "expired".to_owned(),
                (None, None) => "unused".to_owned(),
            };
            vec![
                k.id.to_string(),
                k.account_id.to_string(),
                time(&k.created_at),
                time(&k.expires_at),
                state,
            ]
        })
        .collect();
    out!(
        "{}",
        table(&["id", "account", "created", "expires", "state"], &rows)
    );
    Ok(())
}

fn print_devices(devices: &[DeviceView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(devices);
    }
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            let addresses: Vec<&str> = d.addresses.iter().map(|a| a.address.as_str()).collect();
            vec![
                d.id.to_string(),
                d.account_id.to_string(),
                or_dash(d.site_id),
                or_dash(d.manufacturer.as_deref()),
                or_dash(d.model.as_deref()),
                or_dash(d.serial.as_deref()),
                addresses.join(" "),
                d.last_seen.format("%Y-%m-%d %H:%M").to_string(),
            ]
        })
        .collect();
    out!(
        "{}",
        table(
            &[
                "id",
                "account",
                "site",
                "maker",
                "model",
                "serial",
                "address",
                "last seen"
            ],
            &rows
        )
    );
    Ok(())
}

/// A reading's line: its total counter and its lowest supply, what a dealer looks
/// at first; `--format json` has the whole reading.
fn print_readings(readings: &[ReadingView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(readings);
    }
    let rows: Vec<Vec<String>> = readings
        .iter()
        .map(|r| {
            let total = r.reading.counters.get("total").copied();
            let lowest = r
                .reading
                .supplies
                .iter()
                .filter_map(|s| Some((s.percent?, s.description.as_str())))
                .min()
                .map(|(percent, name)| format!("{name} {percent}%"));
            vec![
                r.id.to_string(),
                r.taken_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                compact(&r.cycle),
                format!("{}@{}", r.strategy.name, r.strategy.version),
                or_dash(total),
                r.reading.supplies.len().to_string(),
                or_dash(lowest),
            ]
        })
        .collect();
    out!(
        "{}",
        table(
            &[
                "id",
                "taken",
                "cycle",
                "strategy",
                "total",
                "supplies",
                "lowest supply"
            ],
            &rows
        )
    );
    Ok(())
}
