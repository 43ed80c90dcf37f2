//! What the store knows about a device when the scheduler runs: its place (account,
//! contract, groups), its identity for filters, its calculated volumes, and its latest
//! consumables and error states. The engine judges only these; it never reads a reading.

use chrono::{DateTime, Utc};
use quire_model::ErrorGroup;
use serde::{Deserialize, Serialize};

use crate::definitions::ConsumableType;
use crate::ids::{AccountId, ContractId, DeviceId, GroupId};

/// One device as the alert engine sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DeviceFacts {
    /// The device.
    pub id: DeviceId,
    /// The account it belongs to: decides which definitions apply and who is told.
    pub account: AccountId,
    /// Whether the dealer manages it (the first cut of every filter).
    pub managed: bool,
    /// The contract it is on, if any.
    pub contract: Option<ContractId>,
    /// That contract's type, for the contract-type filter.
    pub contract_type: Option<String>,
    /// The maker.
    pub manufacturer: Option<String>,
    /// The model family.
    pub model_family: Option<String>,
    /// The dealer's own model name.
    pub custom_model: Option<String>,
    /// The model as the device reports it.
    pub model: Option<String>,
    /// The groups it is in.
    pub groups: Vec<GroupId>,
    /// Calculated daily average volume; `None` until calculated (then no volume filter matches).
    pub daily_average_volume: Option<f64>,
    /// Calculated monthly average volume; `None` until calculated.
    pub monthly_average_volume: Option<f64>,
    /// When the device was last read; `None` if never. Decides staleness.
    pub last_read_at: Option<DateTime<Utc>>,
    /// Its consumables in the latest reading.
    pub consumables: Vec<ConsumableFact>,
    /// Its active printer error states in the latest reading.
    pub errors: Vec<ActiveError>,
    /// The operator panel's text in the latest reading.
    pub console_message: Option<String>,
}

/// One consumable of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ConsumableFact {
    /// What tells this consumable apart on its device (`toner:black`, a supply index):
    /// the trigger key of its consumable alert events.
    pub position: String,
    /// What kind it is; a custom consumable carries the name its plugin raises.
    pub consumable_type: ConsumableType,
    /// 0–100; `None` when the device cannot say, which neither triggers nor recovers.
    pub level_percent: Option<u8>,
    /// What identifies the cartridge (its serial), so a swap is noticed.
    pub cartridge: Option<String>,
    /// Whether the supply history saw a replacement in the latest reading.
    pub replaced_since_last: bool,
}

/// One active printer error state, with the group its strategy assessed it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ActiveError {
    /// The group (device, supply, paper, tray).
    pub group: ErrorGroup,
    /// The error state.
    /// The ASM printer error state, as `map-error` named it (`paper-jam`).
    pub state: String,
}
