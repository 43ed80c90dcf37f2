//! What the store hands back: plain rows turned into domain types, so callers never see sqlx.
//! A type whose fields are its table's columns as stored derives `sqlx::FromRow` rather
//! than having a mapper written out for each query, and the ids decode as the BIGINT they wrap.

use chrono::{DateTime, Utc};
use quire_model::{AlertSeverity, Cycle, DeviceStatus, Reading, StrategyRef, SupplyState};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($what, " {}"), self.0)
            }
        }
    };
}

pub(crate) use id_type;

id_type!(
    /// An account (a customer or a dealer): every device belongs to one.
    AccountId,
    "account"
);
id_type!(
    /// A site within an account: where discovery ranges and devices live.
    SiteId,
    "site"
);
id_type!(
    /// A device in the inventory, stable across address changes.
    DeviceId,
    "device"
);
id_type!(
    /// One stored reading.
    ReadingId,
    "reading"
);
id_type!(
    /// A contract of an account, which its devices (and those below it) may be on.
    ContractId,
    "contract"
);

/// One read of one device, as the agent delivers it.
#[derive(Debug, Clone, Copy)]
pub struct Ingest<'a> {
    /// The account the reading's agent is enrolled for.
    pub account: AccountId,
    /// The address the device answered on (IP or hostname).
    pub address: &'a str,
    /// When the agent read it (UTC).
    pub taken_at: DateTime<Utc>,
    /// Which cycle read it.
    pub cycle: Cycle,
    /// The strategy that read it, recorded on the reading and the device.
    pub strategy: &'a StrategyRef,
    /// What was read.
    pub reading: &'a Reading,
    /// The SNMP exchange as `.snmprec` text, kept so a newer strategy can re-interpret it.
    pub raw: Option<&'a str>,
    /// The web, NPAP and IPP exchanges as an `.exchanges.jsonl` log, kept for the same.
    pub exchanges: Option<&'a str>,
}

/// What ingesting one reading did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestOutcome {
    /// The device the reading was filed under.
    pub device_id: DeviceId,
    /// The stored reading.
    pub reading_id: ReadingId,
    /// Whether this reading created the device (discovery reports it as new).
    pub new_device: bool,
}

/// An address a device has answered on; a device keeps every one it was seen at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAddress {
    /// IP address or hostname.
    pub address: String,
    /// The first reading taken there.
    pub first_seen: DateTime<Utc>,
    /// The latest reading taken there.
    pub last_seen: DateTime<Utc>,
}

/// A device in the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its id.
    pub id: DeviceId,
    /// The account it belongs to.
    pub account_id: AccountId,
    /// The site it was placed in, if any.
    pub site_id: Option<SiteId>,
    /// The contract it is on, if any: its account's or an ancestor's.
    pub contract_id: Option<ContractId>,
    /// Serial number, as last reported.
    pub serial: Option<String>,
    /// MAC address, as last reported.
    pub mac: Option<String>,
    /// Manufacturer, as last reported.
    pub manufacturer: Option<String>,
    /// Model, as last reported.
    pub model: Option<String>,
    /// The first reading's time.
    pub first_seen: DateTime<Utc>,
    /// The latest reading's time.
    pub last_seen: DateTime<Utc>,
    /// The strategy that took the latest reading.
    pub strategy: Option<StrategyRef>,
    /// hrDeviceStatus as the latest reading reported it.
    pub status: Option<DeviceStatus>,
    /// Every address it was seen at, oldest first.
    pub addresses: Vec<DeviceAddress>,
}

/// A reading as stored, in its latest version (see [`crate::ReadingVersion`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReading {
    /// Its id.
    pub id: ReadingId,
    /// The device it belongs to.
    pub device_id: DeviceId,
    /// When it was taken (UTC).
    pub taken_at: DateTime<Utc>,
    /// Which cycle took it.
    pub cycle: Cycle,
    /// Which strategy made this version: the agent's for version 1, a re-read's after.
    pub strategy: StrategyRef,
    /// What was read.
    pub reading: Reading,
    /// The version shown: 1 as the agent read it, one more for each stored re-read.
    pub version: u32,
    /// Whether the read's exchange was kept, so it can be downloaded and re-read.
    pub has_raw: bool,
}

/// One point of a supply's history: its level in one reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyRecord {
    /// The reading it came from.
    pub reading_id: ReadingId,
    /// When that reading was taken.
    pub taken_at: DateTime<Utc>,
    /// The device's row index.
    pub index: u32,
    /// The device's description.
    pub description: String,
    /// The kind (`toner`, `opc`, …).
    pub kind: String,
    /// The colorant.
    pub color: Option<String>,
    /// Raw level, special values included.
    pub level: Option<i32>,
    /// Raw maximum.
    pub max: Option<i32>,
    /// 0–100 where known.
    pub percent: Option<u8>,
    /// The level in words.
    pub state: SupplyState,
    /// The cartridge serial: a change means a new cartridge.
    pub serial: Option<String>,
}

/// One row of a device's alert table, as one reading saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    /// The reading it came from.
    pub reading_id: ReadingId,
    /// When that reading was taken.
    pub taken_at: DateTime<Utc>,
    /// The device's row index.
    pub index: u32,
    /// prtAlertCode or the vendor's code.
    pub code: i32,
    /// How severe the device says it is.
    pub severity: AlertSeverity,
    /// The sub-unit concerned.
    pub group: Option<String>,
    /// The device's own text.
    pub description: Option<String>,
}

id_type!(
    /// A person who logs in to the console or the REST API.
    UserId,
    "user"
);
id_type!(
    /// An enrollment key, by its row (the key itself is shown once and kept only hashed).
    EnrollmentKeyId,
    "enrollment key"
);

/// An account as the tenant tree holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// The dealer above it; `None` for the main dealer and orphans.
    pub parent: Option<AccountId>,
    /// Its name.
    pub name: String,
    /// Whether it services other accounts (its subtree).
    pub is_dealer: bool,
    /// How often its agents check in.
    pub check_in_seconds: u32,
}

/// What a user may do; which accounts they see is [`User::accounts`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Sees and manages everything, users included.
    Administrator,
    /// Works for a dealer: sees the subtrees of the dealers granted.
    DealerUser,
    /// Works for a customer: sees the accounts granted.
    AccountUser,
}

/// A user, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The login name, unique.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// The accounts granted (a dealer brings its subtree).
    pub accounts: Vec<AccountId>,
    /// A disabled user cannot log in and has no session; their history stays theirs.
    pub disabled: bool,
}

/// A live login session, named by a prefix of its token's hash: enough to tell it apart
/// and revoke it, never enough to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The first 16 hex digits of the token's SHA-256.
    pub id: String,
    /// When it was opened.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it ends unless revoked first.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Whose rows a query may return: the condition every listing and lookup applies in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// An administrator: every account.
    All,
    /// The accounts granted to this user, each granted dealer with its whole subtree.
    Granted(UserId),
}

/// One page of a list, in the list's stable order: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows skipped.
    pub offset: u64,
    /// Rows returned at most.
    pub limit: u64,
}

impl Page {
    /// Every row: for callers that need the whole list (an agent's sites, re-reading).
    pub const ALL: Page = Page {
        offset: 0,
        limit: i64::MAX as u64,
    };

    /// The bounds as the BIGINT binds `LIMIT $n OFFSET $m` take.
    pub(crate) fn binds(self) -> (i64, i64) {
        let bind = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        (bind(self.limit), bind(self.offset))
    }
}

/// The first `limit` rows.
impl From<u32> for Page {
    fn from(limit: u32) -> Page {
        Page {
            offset: 0,
            limit: u64::from(limit),
        }
    }
}

/// Which devices a listing returns; every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFilter {
    /// Devices of this account only.
    pub account: Option<AccountId>,
    /// Devices placed in this site only.
    pub site: Option<SiteId>,
    /// Devices on this contract only.
    pub contract: Option<ContractId>,
    /// The manufacturer, case-blind.
    pub manufacturer: Option<String>,
    /// The model, case-blind.
    pub model: Option<String>,
    /// hrDeviceStatus as the latest reading reported it.
    pub status: Option<DeviceStatus>,
    /// The strategy (by name) that made the latest reading: which devices a strategy
    /// reads, before it is upgraded or rolled back.
    pub strategy: Option<String>,
    /// Text found (case-blind) in the serial, MAC, manufacturer, model or any address.
    pub text: Option<String>,
    /// Only devices after this one in id order (the last of the previous page): the
    /// database then starts at that id instead of counting past an offset, so a deep page
    /// costs what the first does.
    pub after: Option<DeviceId>,
}

/// An enrollment key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EnrollmentKey {
    /// Its id.
    pub id: EnrollmentKeyId,
    /// The account an agent enrolled with it reads for.
    pub account_id: AccountId,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// After this it is refused.
    pub expires_at: DateTime<Utc>,
    /// When an agent spent it.
    pub used_at: Option<DateTime<Utc>>,
    /// The agent that spent it.
    pub agent_id: Option<String>,
    /// When it was withdrawn before use.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why an enrollment key was refused: each is told apart so the person installing the
/// agent knows whether to ask for a new key or to check what they typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// No such key.
    Unknown,
    /// Another agent enrolled with it already.
    Used(DateTime<Utc>),
    /// Its validity ended.
    Expired(DateTime<Utc>),
    /// It was withdrawn.
    Revoked(DateTime<Utc>),
}

/// An enrolled agent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Agent {
    /// The id enrollment gave it.
    pub id: String,
    /// The account it reads for.
    pub account_id: AccountId,
    /// Its machine's host name.
    pub hostname: String,
    /// Its version at enrollment.
    pub version: String,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// When it last fetched its configuration.
    pub last_check_in: Option<DateTime<Utc>>,
    /// When it was cut off; a revoked agent is refused on every call.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A site with the configuration its agents fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Its id.
    pub id: SiteId,
    /// The account it belongs to.
    pub account_id: AccountId,
    /// Its name, unique within the account.
    pub name: String,
    /// Its schedules and time zone; `None` until set (the server then hands out its default).
    pub schedules: Option<quire_schedule::ScheduleConfig>,
    /// What its agents scan, in order.
    pub ranges: Vec<quire_protocol::SiteRange>,
    /// How its agents sweep the ranges; `None` until set (the server then hands out the default).
    pub discovery: Option<quire_protocol::SiteDiscovery>,
    /// The printers its agents read over IPP by URI, in order.
    pub ipp_printers: Vec<String>,
}

/// One reading of an agent's upload, with what makes it exactly-once.
#[derive(Debug, Clone, Copy)]
pub struct AgentIngest<'a> {
    /// The agent's sequence number for it.
    pub seq: u64,
    /// The site the device was found in; the device is placed there.
    pub site: Option<SiteId>,
    /// The reading itself (its `account` is the agent's).
    pub ingest: Ingest<'a>,
    /// Supplies the agent saw replaced, stored as replacement events.
    pub replaced: &'a [quire_protocol::SupplyReplacement],
    /// What the reading's strategy made of its alerts and error bits.
    pub assessments: &'a [quire_model::ErrorAssessment],
}

/// What filing an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadOutcome {
    /// Readings filed now.
    pub filed: u32,
    /// Readings an earlier upload had filed already.
    pub duplicates: u32,
}

/// A supply the agent saw replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacementRecord {
    /// The reading that saw the new supply.
    pub reading_id: ReadingId,
    /// When that reading was taken.
    pub taken_at: DateTime<Utc>,
    /// The device's row index of the supply.
    pub index: u32,
    /// Its description.
    pub description: String,
    /// Why the agent thinks it was replaced.
    pub evidence: quire_protocol::ReplacementEvidence,
}

/// An agent being enrolled: its id and the hash of the secret it was given.
#[derive(Debug, Clone, Copy)]
pub struct NewAgent<'a> {
    /// The id the server chose.
    pub id: &'a str,
    /// SHA-256 of its secret.
    pub secret_hash: &'a str,
    /// Its machine's host name.
    pub hostname: &'a str,
    /// Its version.
    pub version: &'a str,
}
