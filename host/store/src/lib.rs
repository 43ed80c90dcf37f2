//! Quire's persistence, on SQLite (one file, the default) or PostgreSQL
//! (several server processes, one database): the tree of accounts with its
//! users, sessions and grants (`tenants.rs`); sites with their ranges,
//! schedules and IPP printers, each account's SNMP credentials, enrollment keys
//! and agents (`agents.rs`); the plugins published to the server, strategies for its agents among them (`plugins.rs`); and the
//! device inventory with the history ingest writes — readings (versioned when re-read:
//! `readings.rs`), each kept for years as a few dozen bytes compressed against its
//! series' keyframe (`series.rs`), with every exchange of the read until retention
//! removes it (`retention.rs`); supply replacements; each day's first and last meters
//! and supply levels, kept for ever (`summaries.rs`); what strategies made of each
//! reading's alerts and error bits and the conditions devices show now
//! (`malfunctions.rs`); work orders with their service settings (`work_orders.rs`);
//! contracts (`contracts.rs`); the costs per page set per device, contract or
//! account with the page counters costs are computed from (`costs.rs`); the
//! cartridges ordered and shipped for a device's supplies with the rated yields of
//! part numbers (`supplies.rs`); and each device's average volumes as the scheduled
//! recompute last found them (`volumes.rs`); and the e-mails the server sends, from
//! queued to sent or failed, which are the e-mail history too (`outbox.rs`), and likewise
//! the webhook endpoints dealers configure with their deliveries (`webhooks.rs`); and the
//! counts an operator watches, agents checking in and work waiting (`operations.rs`).
//!
//! # What a device-year costs
//!
//! Three cycles read hourly are 26,280 readings a year. Kept as they were — each
//! reading's JSON and compressed exchange, a row per supply and per alert, an agent key —
//! that was 93 MB per device-year on SQLite (72 on PostgreSQL), still 50 (44) with the
//! exchanges gone. Kept as bodies against keyframes, with the exchanges of the last 30
//! days, it is 4.3 MB on SQLite and 5.0 on PostgreSQL (`cargo bench -p quire-bench
//! --bench storage`): what is left is mostly each row's own cost (its header, id,
//! device, time, series and index entries).
//!
//! It does not check passwords or tokens (they arrive hashed from `server`),
//! judge readings (that will be `asm`) nor serve them (that is `server`).
//!
//! # Device identity
//!
//! A printer is one device however many addresses it answers on: addresses are
//! attributes, kept in `device_addresses`. Within an account, a device is keyed by
//!
//! 1. its serial number and MAC address together, when the reading has both;
//! 2. the serial alone, when there is no MAC;
//! 3. the MAC alone, when there is no serial;
//! 4. the address, when the device gives neither (so it stays one device while it keeps that address).
//!
//! MACs compare by their hex digits, case- and separator-blind. A device that
//! later starts reporting a serial it hid before becomes a new device: the key
//! never guesses.
//!
//! # Backends
//!
//! [`Store`] is one type over an enum of pools rather than a trait with two
//! implementations, because both backends run the same SQL (see `backend.rs`):
//! callers get one concrete type and the queries are written once. Migrations
//! live in `migrations/{sqlite,postgres}/` and run on [`Store::open`]. Times are UTC.

/// Runs the same query function on whichever backend the store holds: `sqlite::f` or
/// `postgres::f` of the calling module, where each file instantiates its queries.
macro_rules! dispatch {
    ($self:ident . $f:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            $crate::Backend::Sqlite(pool) => sqlite::$f(pool, $($arg),*).await,
            $crate::Backend::Postgres(pool) => postgres::$f(pool, $($arg),*).await,
        }
    };
}

mod agents;
mod asm;
mod asm_settings;
mod backend;
mod contracts;
mod copy_out;
mod costs;
mod devices;
mod error;
mod fleet;
mod forecasts;
mod ingest;
mod listing;
mod malfunctions;
mod operations;
mod outbox;
mod plugins;
mod readings;
mod retention;
mod secrets;
mod series;
mod summaries;
mod supplies;
mod tenants;
mod types;
mod url;
mod volumes;
mod webhooks;
mod work_orders;

use std::str::FromStr;
use std::time::Duration;

use quire_model::{Cycle, Reading, StrategyRef};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use crate::asm::{
    AlertEventFilter, AsmAnswer, AsmAnswerId, AsmDefinitionId, AsmEventId, AsmKey, AsmTickChanges,
    EventWrite, JournalEntry, JournalId, NewContact, NewJournalEntry, PoolRow, SettledRow,
    StoredAlertEvent, StoredAsmState, StoredBehaviour, StoredContact, StoredDefinition,
    StoredFrequency,
};
pub use crate::asm_settings::{PartCostOwner, PartCostRow, StoredTemplate, Supplier, SupplierId};
use crate::backend::{postgres, sqlite};
pub use crate::contracts::{Contract, ContractTerms};
pub use crate::costs::{
    AccountNode, CounterSample, DeviceSelection, PricedDevice, Rate, RateScope, RateTree,
    ScopedRate,
};
pub use crate::error::{Error, Result};
pub use crate::fleet::{FleetCounts, FleetRow, FleetSortKey, FleetSupply};
pub use crate::forecasts::{NewForecast, StoredForecast};
pub use crate::malfunctions::{Condition, MaintenanceFilter, MaintenanceItem};
pub use crate::operations::{Operations, PoolState};
pub use crate::outbox::{Email, EmailFilter, EmailId, EmailStatus, NewEmail};
pub use crate::plugins::{NewPlugin, PluginKind, StoredPlugin};
pub use crate::readings::{RawExchange, ReadingVersion};
pub use crate::retention::{Exclusive, RawRemoved};
pub use crate::summaries::{DailyLevel, DailyMeter, MeterMark};
pub use crate::supplies::{
    NewSupplyEvent, RatedYield, SupplyEvent, SupplyEventId, SupplyEventKind,
};
pub use crate::types::{
    Account, AccountId, Agent, AgentIngest, AlertRecord, ContractId, Device, DeviceAddress,
    DeviceFilter, DeviceId, EnrollmentKey, EnrollmentKeyId, Ingest, IngestOutcome, KeyRefusal,
    NewAgent, Page, ReadingId, ReplacementRecord, Role, SessionInfo, Site, SiteId, StoredReading,
    SupplyRecord, UploadOutcome, User, UserId, Visibility,
};
pub use crate::url::redact;
pub use crate::volumes::DeviceVolume;
pub use crate::webhooks::{
    AttemptOutcome, DeliveryStatus, EndpointChange, NewDelivery, NewEndpoint, WebhookDelivery,
    WebhookDeliveryId, WebhookEndpoint, WebhookEndpointId,
};
pub use crate::work_orders::{
    Actor, EffectiveSettings, Estimate, Inherited, LabourRates, NewWorkOrder, ServiceSettings,
    WorkOrder, WorkOrderChange, WorkOrderFilter, WorkOrderId, WorkOrderMove, WorkOrderPart,
    WorkOrderStatus,
};
pub use secrets::{SECRETS_KEY_LEN, SecretsKey};

/// How long a SQLite writer waits for another before failing: ingest batches are
/// short, so waiting beats refusing an agent's upload.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// PostgreSQL connections per server process; several processes share one database.
const POSTGRES_MAX_CONNECTIONS: u32 = 16;

/// The open database.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// The URL with its password redacted, for `Debug` and errors.
    url: String,
    /// The reading keyframes this process used last (see `series.rs`).
    keyframes: std::sync::Arc<series::Keyframes>,
    /// What SNMP secrets are sealed with (see `secrets.rs`).
    secrets: Option<std::sync::Arc<SecretsKey>>,
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Why a database could not be opened, as the driver or the migrator says.
type OpenError = Box<dyn std::error::Error + Send + Sync>;

impl Backend {
    /// The SQLite file at `path`, created if missing, in WAL mode so readers do not block
    /// ingest, with its migrations applied.
    async fn open_sqlite(path: &str) -> std::result::Result<Backend, OpenError> {
        create_private(std::path::Path::new(path))?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL loses no committed transaction on a process crash,
            // only possibly the last ones on power loss; FULL would halve ingest.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new().connect_with(options).await?;
        sqlite::migrate(&pool).await?;
        Ok(Backend::Sqlite(pool))
    }

    /// The PostgreSQL database at `url`, with its migrations applied.
    async fn open_postgres(url: &str) -> std::result::Result<Backend, OpenError> {
        let options = PgConnectOptions::from_str(url)?;
        // The pool retries a refused connection until its acquire timeout; one
        // direct attempt first reports a wrong host or port at once.
        PgConnection::connect_with(&options).await?.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_MAX_CONNECTIONS)
            .connect_with(options)
            .await?;
        postgres::migrate(&pool).await?;
        Ok(Backend::Postgres(pool))
    }
}

/// Creates the SQLite file at `path`, empty and readable by this user only (0600), when
/// missing: it holds SNMP communities and v3 passwords, and SQLite gives its `-wal` and
/// `-shm` files the same mode. An existing file keeps the mode its owner chose.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    if path.as_os_str() == ":memory:" || path.to_string_lossy().starts_with("file:") {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        )),
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish()
    }
}

impl Store {
    /// Opens `sqlite:///path/quire.db` (or a bare path; the file is created if
    /// missing, in WAL mode so readers do not block ingest) or `postgres://…`,
    /// and applies any migration not yet applied.
    ///
    /// Errors name the URL with its password redacted.
    pub async fn open(url: &str) -> Result<Store> {
        let redacted = redact(url);
        let backend = match url::target(url) {
            Some(url::Target::Sqlite(path)) => Backend::open_sqlite(path).await,
            Some(url::Target::Postgres) => Backend::open_postgres(url).await,
            None => return Err(Error::UnsupportedUrl { url: redacted }),
        }
        .map_err(|source| Error::Open {
            url: redacted.clone(),
            source,
        })?;
        Ok(Store {
            backend,
            url: redacted,
            keyframes: std::sync::Arc::default(),
            secrets: None,
        })
    }

    /// Closes every connection, waiting for them to finish (SQLite checkpoints its WAL).
    pub async fn close(self) {
        match self.backend {
            Backend::Sqlite(pool) => pool.close().await,
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// Creates an account under `parent` (none for the main dealer or an orphan).
    pub async fn create_account(
        &self,
        name: &str,
        parent: Option<AccountId>,
        is_dealer: bool,
    ) -> Result<AccountId> {
        dispatch!(self.create_account(name, parent, is_dealer))
    }

    /// Creates a site within an account.
    pub async fn create_site(&self, account: AccountId, name: &str) -> Result<SiteId> {
        dispatch!(self.create_site(account, name))
    }

    /// Files one reading: upserts its device (see the crate doc for the identity
    /// rule), records the address, stores the reading, its supplies and alerts,
    /// all in one transaction.
    #[allow(clippy::too_many_arguments)] // The arguments are the reading's own facts; a struct is [`Ingest`].
    pub async fn ingest(
        &self,
        account: AccountId,
        address: &str,
        taken_at: chrono::DateTime<chrono::Utc>,
        cycle: Cycle,
        strategy: &StrategyRef,
        reading: &Reading,
        raw: Option<&str>,
    ) -> Result<IngestOutcome> {
        let item = Ingest {
            account,
            address,
            taken_at,
            cycle,
            strategy,
            reading,
            raw,
            exchanges: None,
        };
        let mut outcomes = self.ingest_batch(&[item]).await?;
        Ok(outcomes.remove(0))
    }

    /// Files many readings in one transaction, in order, with a few multi-row
    /// statements per batch rather than a few per reading (see `ingest.rs`): that is
    /// what makes ingest fast. Any failure rolls the whole batch back, so an agent can
    /// retry it without duplicates.
    pub async fn ingest_batch(&self, items: &[Ingest<'_>]) -> Result<Vec<IngestOutcome>> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                ingest::sqlite::ingest_batch(pool, items, &self.keyframes).await
            }
            Backend::Postgres(pool) => {
                ingest::postgres::ingest_batch(pool, items, &self.keyframes).await
            }
        }
    }
}
