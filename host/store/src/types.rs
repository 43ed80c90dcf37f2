//! What the store hands back: plain rows turned into domain types, so callers never see sqlx.

use chrono::{DateTime, Utc};
use quire_model::{AlertSeverity, Cycle, Reading, StrategyRef, SupplyState};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($what, " {}"), self.0)
            }
        }
    };
}

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
    /// The recorded exchange as `.snmprec` text, kept so a newer strategy can re-interpret it.
    pub raw: Option<&'a str>,
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
    /// Every address it was seen at, oldest first.
    pub addresses: Vec<DeviceAddress>,
}

/// A reading as stored.
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
    /// Which strategy took it.
    pub strategy: StrategyRef,
    /// What was read.
    pub reading: Reading,
    /// The recorded exchange, when the agent sent it.
    pub raw: Option<String>,
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
