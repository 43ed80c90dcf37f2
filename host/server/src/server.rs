//! Starting the server: the store, the first-start bootstrap (main dealer, `admin`
//! user, certificate), and the HTTPS listener.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use hyper_util::rt::TokioIo;
use quire_plugins::{Host, HostConfig, TrustedPublishers};
use quire_store::{AccountId, Role, Store, UserId};

use crate::asm::{ASM_JOB, ActionPlugins, AlertLogic, run_tick};
use crate::calculated::{CALCULATED_VALUES_JOB, recompute};
use crate::client::Client;
use crate::connections::{Activity, Admission, ConnectionLimits, TimedBody, Watched};
use crate::depot::{Depot, DepotPolicy, PluginKind};
use crate::error::{Error, Result};
use crate::logins::LoginLimits;
use crate::mailer::{Mailer, MailerPolicy, SmtpSettings};
use crate::periodic::Periodic;
use crate::retention::{RAW_RETENTION_JOB, RawRetention, remove_old_raw};
use crate::secrets_key::secrets_key;
use crate::state::AppState;
use crate::webhooks::{WebhookPolicy, Webhooks};
use crate::{secrets, tls};

/// The name of the administrator created on first start.
pub const ADMIN_USER: &str = "admin";

/// The SQLite database's file in the data directory, unless `--database` names another.
const DATABASE_FILE: &str = "quire.db";

/// The server's configuration; [`Server::start`] runs it.
#[derive(Debug, Clone)]
pub struct Server {
    /// Where the SQLite file (by default) and the generated certificate live.
    pub data_dir: PathBuf,
    /// The address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// `postgres://…` or a SQLite URL; `None` is `quire.db` in the data directory.
    pub database: Option<String>,
    /// A configured certificate chain (PEM); `None` generates a self-signed one.
    pub tls_cert: Option<PathBuf>,
    /// The configured certificate's private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// The `admin` password to set; `None` generates one on first start (and keeps the
    /// stored one after).
    pub admin_password: Option<String>,
    /// How far ahead of the server's clock a reading may be dated; one dated later is
    /// refused (that item alone), saying so.
    pub future_tolerance: std::time::Duration,
    /// Take plugins that no trusted publisher signed; by default they are refused.
    pub allow_unsigned_plugins: bool,
    /// The trusted publishers' keys: one `name base64-public-key` per line.
    pub trusted_publishers: Option<PathBuf>,
    /// The key SNMP secrets are sealed with in the database; `None` is `secrets.key` in
    /// the data directory, generated on first start. Servers sharing one database share it.
    pub secrets_key: Option<PathBuf>,
    /// How long readings keep their raw exchange; the retention job removes it after.
    pub raw_retention: RawRetention,
    /// How often calculated values (average volumes, supply forecasts) are recomputed.
    pub calculated_every: std::time::Duration,
    /// The SMTP server e-mails are sent through; `None` keeps them queued until one is
    /// configured.
    pub smtp: Option<SmtpSettings>,
    /// How often the mailer looks for due e-mails, and how it retries.
    pub mailer: MailerPolicy,
    /// How often the ASM scheduler ticks.
    pub asm_every: std::time::Duration,
    /// How often webhook deliveries are looked for, and how they are retried.
    pub webhooks: WebhookPolicy,
    /// Action plugin components run besides the built-in ones, each by its file name
    /// without `.wasm` (what an action definition's `{"plugin": NAME}` names).
    pub action_plugins: Vec<PathBuf>,
    /// Alert-logic plugin components (the contract's `alert-logic` world) run besides
    /// the built-in ones; one named like a built-in one (by its own `describe`) runs in
    /// its place.
    pub alert_logic_plugins: Vec<PathBuf>,
    /// How long a connection may take and how many may be open (see `connections`).
    pub connections: ConnectionLimits,
    /// How often a login may fail and how many password checks run at once (see
    /// `logins`).
    pub logins: LoginLimits,
    /// Where to serve Prometheus metrics in plain HTTP (README, "Metrics"); `None`, the
    /// default, serves none. An address of its own rather than a path on the HTTPS
    /// port: Prometheus scrapes without a session, and the operator binds it where only
    /// the monitoring host reaches it.
    pub metrics_listen: Option<SocketAddr>,
}

/// A started server; dropping it stops accepting connections.
pub struct Running {
    /// The bound address.
    pub address: SocketAddr,
    /// SHA-256 (hex) of the certificate's DER, which operators compare at enrollment.
    pub certificate_sha256: String,
    /// SHA-256 (hex) of the certificate's public key, which agents pin.
    pub key_sha256: String,
    /// The `admin` password when this start created or set it (print it once).
    pub admin_password: Option<String>,
    /// The main dealer, root of the account tree.
    pub main_dealer: AccountId,
    /// The open store.
    pub store: Store,
    /// Where metrics are served, when [`Server::metrics_listen`] asked for them.
    pub metrics_address: Option<SocketAddr>,
    /// The metrics listener, stopped with the server.
    _metrics: Option<quire_metrics::Endpoint>,
    accept: tokio::task::JoinHandle<()>,
    /// The scheduled jobs (retention, calculated values, ASM, webhooks, the mailer), stopped
    /// with the server.
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// A client pinned to this server's certificate.
    pub fn client(&self) -> Client {
        Client::new(self.address, &self.certificate_sha256)
    }

    /// Stops accepting connections and closes the store. The listener is closed when
    /// this returns, so a server started next on the same address can bind it.
    pub async fn stop(mut self) {
        self.accept.abort();
        // An aborted task drops what it owns (the listener) only once the runtime gets
        // to it; waiting for it makes that now.
        let _ = (&mut self.accept).await;
        let store = self.store.clone();
        drop(self);
        store.close().await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.accept.abort();
        for job in &self.jobs {
            job.abort();
        }
    }
}

impl Server {
    /// Defaults: listen on 127.0.0.1:8443, SQLite in `data_dir`, a generated certificate.
    pub fn new(data_dir: impl Into<PathBuf>) -> Server {
        Server {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            database: None,
            tls_cert: None,
            tls_key: None,
            admin_password: None,
            future_tolerance: crate::state::DEFAULT_FUTURE_TOLERANCE,
            allow_unsigned_plugins: false,
            trusted_publishers: None,
            secrets_key: None,
            raw_retention: RawRetention::default(),
            calculated_every: CALCULATED_VALUES_JOB.every,
            smtp: None,
            mailer: MailerPolicy::default(),
            asm_every: ASM_JOB.every,
            webhooks: WebhookPolicy::default(),
            action_plugins: Vec::new(),
            alert_logic_plugins: Vec::new(),
            connections: ConnectionLimits::default(),
            logins: LoginLimits::default(),
            metrics_listen: None,
        }
    }

    /// The action plugins this server runs: the built-in ones and
    /// [`Server::action_plugins`], in a sandbox host of their own, reaching their dealers'
    /// endpoints through the webhook client. A file that does not load stops the start.
    pub fn actions(&self) -> Result<ActionPlugins> {
        let config = HostConfig::default();
        let concurrency = config.max_concurrent_calls as usize;
        let host =
            Host::new(config).map_err(|e| Error::Config(format!("the action plugin host: {e}")))?;
        let mut plugins =
            quire_builtin::actions(&host).map_err(|e| Error::Config(e.to_string()))?;
        for path in &self.action_plugins {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let plugin = host
                .load_action(&name, &bytes)
                .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
            plugins.insert(name, Arc::new(plugin));
        }
        Ok(ActionPlugins::new(
            plugins,
            Arc::new(Webhooks::new(self.webhooks.clone())),
            concurrency,
        ))
    }

    /// The alert-logic plugins this server's ASM ticks run: the built-in ones and
    /// [`Server::alert_logic_plugins`], in a sandbox host of their own. A file that does
    /// not load stops the start, naming it.
    pub async fn alert_logic(&self) -> Result<AlertLogic> {
        let config = HostConfig::default();
        let concurrency = config.max_concurrent_calls as usize;
        let host = Host::new(config)
            .map_err(|e| Error::Config(format!("the alert-logic plugin host: {e}")))?;
        let mut plugins = quire_builtin::alert_logic(&host)
            .await
            .map_err(|e| Error::Config(e.to_string()))?;
        for path in &self.alert_logic_plugins {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            let plugin = host.load_alert_logic(&bytes).await.map_err(|e| {
                Error::Config(format!("alert-logic plugin {}: {e}", path.display()))
            })?;
            let name = plugin.info().name.clone();
            if let Some(replaced) = plugins.iter().position(|p| p.info().name == name) {
                tracing::info!(plugin = %name, file = %path.display(),
                    replaced = %plugins[replaced].info().version,
                    "an alert-logic plugin runs in place of the one of its name");
                plugins.remove(replaced);
            }
            plugins.push(Arc::new(plugin));
        }
        Ok(AlertLogic::new(plugins, concurrency))
    }

    /// The database URL this server opens.
    pub fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join(DATABASE_FILE).display()))
    }

    /// Creates the data directory (0700: it holds the database and the TLS and secrets
    /// keys) and opens (migrating) the store, whose SQLite file is created 0600, sealing
    /// SNMP secrets with the secrets key (generated on first start) and sealing those an
    /// older version left in plaintext.
    pub async fn open_store(&self) -> Result<Store> {
        let mut dir = std::fs::DirBuilder::new();
        dir.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
        dir.create(&self.data_dir).map_err(|source| Error::Io {
            path: self.data_dir.display().to_string(),
            source,
        })?;
        let key = secrets_key(&self.data_dir, self.secrets_key.as_deref(), true)?
            .expect("a key is generated where none exists");
        let store = Store::open(&self.database_url())
            .await?
            .with_secrets_key(key);
        let sealed = store.seal_credentials().await?;
        if sealed > 0 {
            tracing::info!(
                sealed,
                "SNMP credential sets left in plaintext are now sealed"
            );
        }
        Ok(store)
    }

    /// Opens the store of a server that has started here before. The tools that read one
    /// (`reinterpret`, `enrollment-key`, `reset-admin-password`) use this, so a mistyped
    /// `--data` is refused instead of answered from a new, empty database.
    pub async fn open_existing_store(&self) -> Result<Store> {
        if self.database.is_none() && !self.data_dir.join(DATABASE_FILE).is_file() {
            return Err(Error::NoData {
                dir: self.data_dir.display().to_string(),
            });
        }
        let store = Store::open(&self.database_url()).await?;
        Ok(
            match secrets_key(&self.data_dir, self.secrets_key.as_deref(), false)? {
                Some(key) => store.with_secrets_key(key),
                None => store,
            },
        )
    }

    /// Gives `admin` a new generated password, for the operator who lost the one printed
    /// on first start, and returns it. The sessions `admin` had open are ended.
    pub async fn reset_admin_password(&self) -> Result<String> {
        let store = self.open_existing_store().await?;
        let reset = bootstrap(&store, Some(secrets::password())).await;
        store.close().await;
        let (_, password) = reset?;
        Ok(password.expect("bootstrap returns the password it was given"))
    }

    /// Binds, opens the store, bootstraps a fresh installation and serves in the current
    /// runtime until the [`Running`] is dropped or stopped.
    ///
    /// A first start is all or nothing: the port is bound before anything is written, and
    /// a data directory this start created is removed again when a later step fails, so
    /// the start that succeeds is the one that creates the `admin` user and prints its
    /// password.
    pub async fn start(self) -> Result<Running> {
        let configured = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some((cert.as_path(), key.as_path())),
            (None, None) => None,
            _ => {
                return Err(Error::Tls(
                    "give both --tls-cert and --tls-key, or neither to use a generated certificate"
                        .to_owned(),
                ));
            }
        };
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| Error::Listen {
                address: self.listen,
                source,
            })?;
        // Bound before anything is written too: a taken port is refused like the main one.
        let metrics_listener = match self.metrics_listen {
            Some(address) => Some(
                tokio::net::TcpListener::bind(address)
                    .await
                    .map_err(|source| Error::Listen { address, source })?,
            ),
            None => None,
        };
        let address = listener.local_addr().map_err(|source| Error::Listen {
            address: self.listen,
            source,
        })?;
        // A TLS setting that cannot be built is refused before anything is written.
        let mailer = self
            .smtp
            .clone()
            .map(|smtp| Mailer::new(smtp, self.mailer.clone()))
            .transpose()?;
        let actions = self.actions()?;
        let alert_logic = self.alert_logic().await?;
        let fresh = !self.data_dir.exists();
        let prepared = self.prepare(configured).await;
        if prepared.is_err() && fresh {
            // Only what this start created; the error says what failed.
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
        let (store, identity, depot, (main_dealer, admin_password)) = prepared?;
        let state = AppState::new(
            store.clone(),
            (&identity.sha256, &identity.key_sha256),
            depot.clone(),
        )
        .with_smtp(self.smtp.is_some())
        .with_actions(actions.names())
        .with_logins(self.logins.clone())
        .with_future_tolerance(self.future_tolerance);
        // Off the listener's way: the first unknown name then answers as fast as the rest.
        let logins = state.logins.clone();
        tokio::spawn(async move { logins.hashing(secrets::prepare_dummy_hash).await });
        let app = crate::routes::app(state);
        let metrics = metrics_listener
            .map(|listener| {
                let store = store.clone();
                let refresh: quire_metrics::Refresh = std::sync::Arc::new(move || {
                    let store = store.clone();
                    Box::pin(async move { crate::metrics::refresh(&store).await })
                });
                quire_metrics::serve(listener, crate::metrics::describe, refresh).map_err(
                    |source| Error::Listen {
                        address: self.metrics_listen.unwrap_or(address),
                        source,
                    },
                )
            })
            .transpose()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(identity.config);
        let accept = tokio::spawn(serve(listener, acceptor, app, self.connections.clone()));
        let mut jobs = Vec::new();
        if self.raw_retention != RawRetention::Never {
            let retention = self.raw_retention;
            jobs.push(
                RAW_RETENTION_JOB.spawn(store.clone(), move |store| async move {
                    remove_old_raw(&store, retention, Utc::now()).await
                }),
            );
        }
        let calculated = Periodic {
            every: self.calculated_every,
            ..CALCULATED_VALUES_JOB
        };
        jobs.push(calculated.spawn(store.clone(), |store| async move {
            recompute(&store, Utc::now()).await
        }));
        let asm = Periodic {
            every: self.asm_every,
            ..ASM_JOB
        };
        jobs.push(asm.spawn(store.clone(), move |store| {
            let (actions, alert_logic, depot) =
                (actions.clone(), alert_logic.clone(), depot.clone());
            async move {
                // What is published now, read afresh every tick: a plugin published or
                // rolled back through any server process runs from the next tick.
                let published = depot.asm_plugins().await?;
                let actions = actions.with_published(&published.actions);
                let alert_logic = alert_logic.with_published(&published.alert_logic);
                run_tick(&store, &actions, &alert_logic, Utc::now()).await
            }
        }));
        jobs.push(Webhooks::new(self.webhooks.clone()).spawn(store.clone()));
        match mailer {
            Some(mailer) => jobs.push(mailer.spawn(store.clone())),
            None => tracing::warn!(
                "SMTP is not configured (--smtp-url, --smtp-from): e-mails stay queued until it is"
            ),
        }
        tracing::info!(%address, certificate = %identity.sha256, key = %identity.key_sha256, raw_retention = %self.raw_retention, "server listening");
        Ok(Running {
            address,
            certificate_sha256: identity.sha256,
            key_sha256: identity.key_sha256,
            admin_password,
            main_dealer,
            store,
            metrics_address: metrics.as_ref().map(quire_metrics::Endpoint::address),
            _metrics: metrics,
            accept,
            jobs,
        })
    }
}

/// Accepts connections within `limits` and serves `app` on each, until aborted.
async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: axum::Router,
    limits: ConnectionLimits,
) {
    let admission = Arc::new(Admission::default());
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait, do not spin.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(admitted) = admission.admit(peer.ip(), &limits) else {
            tracing::debug!(%peer, "connection closed: its address or everyone holds as many as allowed");
            continue;
        };
        tcp.set_nodelay(true).ok();
        let (acceptor, app, limits) = (acceptor.clone(), app.clone(), limits.clone());
        tokio::spawn(async move {
            let _admitted = admitted;
            let tls =
                match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(error)) => {
                        tracing::debug!(%peer, %error, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            let activity = Activity::new(&limits);
            let watched = activity.clone();
            let service = hyper_util::service::TowerToHyperService::new(app);
            let body_limits = limits.clone();
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    let busy = watched.busy();
                    let (parts, body) = request.into_parts();
                    let (body, body_watch) = TimedBody::new(body, &body_limits);
                    let request = hyper::Request::from_parts(parts, body);
                    let answer = hyper::service::Service::call(&service, request);
                    async move {
                        let answer = answer.await.map(|answer| body_watch.answer(answer));
                        drop(busy);
                        answer
                    }
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .max_header_size(crate::limits::MAX_HEADER_BYTES_READ)
                .serve_connection(TokioIo::new(Watched::new(tls, activity.clone())), service);
            tokio::select! {
                served = connection => if let Err(error) = served {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                },
                () = activity.overstayed() => {
                    tracing::debug!(%peer, "connection closed: idle or slow to send a request's head");
                }
            }
        });
    }
}

impl Server {
    /// Everything [`Server::start`] serves with, the `admin` user last, so nothing after
    /// it can fail; the store is closed again when a step fails.
    async fn prepare(
        &self,
        configured: Option<(&Path, &Path)>,
    ) -> Result<(Store, tls::Identity, Depot, (AccountId, Option<String>))> {
        let store = self.open_store().await?;
        let rest = async {
            let identity = tls::identity(&self.data_dir, configured)?;
            let depot = self.depot(store.clone()).await?;
            let admin = bootstrap(&store, self.admin_password.clone()).await?;
            Ok((identity, depot, admin))
        }
        .await;
        match rest {
            Ok((identity, depot, admin)) => Ok((store, identity, depot, admin)),
            Err(error) => {
                store.close().await;
                Err(error)
            }
        }
    }

    /// The depot with this server's signature policy, knowing the built-in versions so
    /// nothing older is ever handed out.
    pub async fn depot(&self, store: Store) -> Result<Depot> {
        let trusted = match &self.trusted_publishers {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                TrustedPublishers::parse(&text)
                    .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?
            }
            None => TrustedPublishers::default(),
        };
        let host = Host::new(HostConfig::default())
            .map_err(|e| Error::Config(format!("the strategy host: {e}")))?;
        let mut builtin: Vec<_> = quire_builtin::registry(&host)
            .await
            .map_err(|e| Error::Config(e.to_string()))?
            .snapshot()
            .values()
            .map(|plugin| {
                let name = plugin.name().to_owned();
                (PluginKind::Strategy, name, plugin.version().clone())
            })
            .collect();
        for plugin in quire_builtin::alert_logic(&host)
            .await
            .map_err(|e| Error::Config(e.to_string()))?
        {
            let info = plugin.info();
            builtin.push((
                PluginKind::AlertLogic,
                info.name.clone(),
                info.version.clone(),
            ));
        }
        let actions_version = semver::Version::parse(quire_builtin::ACTIONS_VERSION)
            .map_err(|e| Error::Config(format!("the built-in action plugins' version: {e}")))?;
        for (name, _) in quire_builtin::ACTIONS {
            builtin.push((
                PluginKind::Action,
                (*name).to_owned(),
                actions_version.clone(),
            ));
        }
        let policy = DepotPolicy {
            allow_unsigned: self.allow_unsigned_plugins,
            trusted,
        };
        Ok(Depot::new(store, host, policy, builtin))
    }
}

/// Gives `admin` the password `given` unless it is the one `stored` already; a new one
/// ends every session opened with the old one (an operator who sets a new password at a
/// restart means to lock out whoever knew the old one).
async fn set_admin_password(store: &Store, admin: UserId, stored: &str, given: &str) -> Result<()> {
    if secrets::verify_password(given, stored) {
        return Ok(());
    }
    store
        .set_password(admin, &secrets::hash_password(given), None)
        .await?;
    Ok(())
}

/// Creates the main dealer and the `admin` user when missing; sets the admin password
/// when one is given. Returns the main dealer and the password when it was set now.
async fn bootstrap(
    store: &Store,
    admin_password: Option<String>,
) -> Result<(AccountId, Option<String>)> {
    let main_dealer = match store.main_dealer().await? {
        Some(id) => id,
        None => store.create_account("Main dealer", None, true).await?,
    };
    if let Some(given) = &admin_password {
        secrets::check_password(ADMIN_USER, given)
            .map_err(|rule| Error::Config(format!("the admin password: {rule}")))?;
    }
    let password = match (store.user_by_name(ADMIN_USER).await?, admin_password) {
        (None, given) => {
            let password = given.unwrap_or_else(secrets::password);
            store
                .create_user(
                    ADMIN_USER,
                    &secrets::hash_password(&password),
                    Role::Administrator,
                    &[main_dealer],
                    Utc::now(),
                )
                .await?;
            Some(password)
        }
        (Some((user, stored)), Some(given)) => {
            set_admin_password(store, user.id, &stored, &given).await?;
            Some(given)
        }
        (Some(_), None) => None,
    };
    Ok((main_dealer, password))
}
