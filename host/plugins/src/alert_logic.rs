//! Alert-logic plugins: components of the contract's `alert-logic` world, which judge
//! one device for ASM where the device itself reports nothing to judge (a maintenance
//! kit counted in pages since it was changed, a part a maker's MIB leaves out).
//!
//! The server hands a plugin what it knows of a device ([`DeviceFacts`]: the latest
//! reading, the calculated volumes, the supply changes it recorded) and gets back
//! [`Trigger`]s: custom consumables, which custom consumable alert definitions select by
//! name, and service states, which service alert definitions select like a printer's
//! own. The plugin runs in the same sandbox as strategies with no device and no
//! endpoint at all: its only import is `log`, so it can compute and nothing else.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use quire_model::{ErrorGroup, Reading};
use quire_transport::NoDevice;
use sha2::{Digest, Sha256};
use wasmtime::Store;

use crate::bindings::alert_logic::exports::quire::device::alert_logic_api as wit;
use crate::bindings::alert_logic::{AlertLogic, AlertLogicPre};
use crate::host::{Host, World, hash_label, hex};
use crate::plugin::{call_within, settle};
use crate::sandbox::Sandbox;
use crate::{MAX_ROWS, PluginError, Result, Stop, convert};

/// What an alert-logic plugin says about itself when loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertLogicInfo {
    /// Its name (`maintenance-kit`).
    pub name: String,
    /// Its version.
    pub version: semver::Version,
    /// Who publishes it.
    pub vendor: String,
    /// One line for people.
    pub description: String,
    /// The reading strategies whose devices it judges; empty for every device.
    pub families: Vec<String>,
}

/// A change of a part the server recorded: a cartridge the agent saw installed, or a
/// part the dealer recorded as ordered, shipped or installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyChange {
    /// The part's position (`toner:black`, `maintenance-kit`).
    pub position: String,
    /// `ordered`, `shipped` or `installed`.
    pub event: String,
    /// The part, where the agent or the dealer named it.
    pub part_number: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The device's total page counter at the last reading at or before `at`.
    pub total_pages: Option<u64>,
}

/// What the server knows of one device when ASM runs.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceFacts {
    /// The reading strategy that read it.
    pub family: Option<String>,
    /// The latest reading.
    pub reading: Reading,
    /// When it was taken.
    pub read_at: DateTime<Utc>,
    /// Calculated daily average volume.
    pub daily_average_volume: Option<f64>,
    /// Calculated monthly average volume.
    pub monthly_average_volume: Option<f64>,
    /// Oldest first.
    pub supply_changes: Vec<SupplyChange>,
    /// The pages each part is rated for, as the dealer set them for the device's
    /// account: (part number, pages).
    pub rated_yields: Vec<(String, u64)>,
}

/// What an alert-logic plugin found holds for a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A consumable the device does not report.
    Consumable {
        /// What custom consumable filters select on (`maintenance-kit`).
        name: String,
        /// For people: what it is and how its level was judged.
        description: String,
        /// 0–100.
        remaining_percent: u8,
    },
    /// A printer error state the device does not report.
    Service {
        /// What service alert definitions select on (`maintenance-due`).
        state: String,
        /// Its ASM error group.
        group: ErrorGroup,
        /// For people.
        text: String,
    },
}

/// A loaded alert-logic plugin. Each call runs in a fresh sandbox, so it is shared
/// freely between ticks and devices.
pub struct AlertLogicPlugin {
    host: Host,
    pre: AlertLogicPre<Sandbox>,
    info: AlertLogicInfo,
    hash: [u8; 32],
    label: Arc<str>,
}

impl fmt::Debug for AlertLogicPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertLogicPlugin")
            .field("plugin", &self.label)
            .field("hash", &self.content_hash())
            .finish()
    }
}

impl Host {
    /// Loads an alert-logic plugin: checks that the bytes are a component of the
    /// `alert-logic` world, compiles them (once per content hash), links them, and
    /// asks the plugin to describe itself.
    pub async fn load_alert_logic(&self, bytes: &[u8]) -> Result<AlertLogicPlugin> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let label: Arc<str> = hash_label(&hash).into();
        let invalid = |reason: String| PluginError::Invalid {
            plugin: label.to_string(),
            reason,
        };
        let prepared = self
            .prepare(&hash, bytes, World::AlertLogic)
            .map_err(invalid)?;
        let pre = AlertLogicPre::new(prepared.pre).map_err(|e| {
            invalid(format!(
                "its {} does not match Quire's: {e:#}",
                prepared.export
            ))
        })?;
        let (_slot, mut store, guest) = enter(self, &pre, &label).await?;
        let outcome = call_within(
            self,
            guest
                .quire_device_alert_logic_api()
                .call_describe(&mut store),
        )
        .await;
        let info = settle(self, &store, outcome)?;
        let stop = |what: String| PluginError::Stopped {
            plugin: label.to_string(),
            cause: Stop::Malformed(what),
        };
        let version = semver::Version::parse(&info.version).map_err(|e| {
            stop(format!(
                "version {:?} from describe, which is not semver ({e})",
                info.version
            ))
        })?;
        if info.name.is_empty() {
            return Err(stop("an empty name from describe".into()));
        }
        let info = AlertLogicInfo {
            version,
            name: info.name,
            vendor: info.vendor,
            description: info.description,
            families: info.families,
        };
        let label = format!("{}@{} (alert logic)", info.name, info.version).into();
        Ok(AlertLogicPlugin {
            host: self.clone(),
            pre,
            info,
            hash,
            label,
        })
    }
}

impl AlertLogicPlugin {
    /// Everything `describe` returned.
    pub fn info(&self) -> &AlertLogicInfo {
        &self.info
    }

    /// `sha256:<hex>` of the component bytes.
    pub fn content_hash(&self) -> String {
        format!("sha256:{}", hex(&self.hash))
    }

    /// Whether a device read by `family` is one this plugin judges: asking it about
    /// any other would only spend a sandbox.
    pub fn judges(&self, family: Option<&str>) -> bool {
        self.info.families.is_empty()
            || family.is_some_and(|f| self.info.families.iter().any(|mine| mine == f))
    }

    /// Asks the plugin what holds for the device of `facts`.
    ///
    /// A trigger with a name that is not lower-case words joined by hyphens, or a level
    /// over 100, is the plugin's fault and stops the call ([`Stop::Malformed`]), as does
    /// anything the sandbox stops; either way it costs only this device's judgement.
    pub async fn evaluate(&self, facts: &DeviceFacts) -> Result<Vec<Trigger>> {
        let (_slot, mut store, guest) = enter(&self.host, &self.pre, &self.label).await?;
        let input = wit::DeviceFacts {
            family: facts.family.clone(),
            reading: convert::reading_out(&facts.reading),
            read_at: rfc3339(facts.read_at),
            daily_average_volume: facts.daily_average_volume,
            monthly_average_volume: facts.monthly_average_volume,
            supply_changes: facts
                .supply_changes
                .iter()
                .map(|c| wit::SupplyChange {
                    position: c.position.clone(),
                    event: c.event.clone(),
                    part_number: c.part_number.clone(),
                    at: rfc3339(c.at),
                    total_pages: c.total_pages,
                })
                .collect(),
            rated_yields: facts
                .rated_yields
                .iter()
                .map(|(part_number, pages)| wit::RatedYield {
                    part_number: part_number.clone(),
                    pages: *pages,
                })
                .collect(),
        };
        let outcome = call_within(
            &self.host,
            guest
                .quire_device_alert_logic_api()
                .call_evaluate(&mut store, &input),
        )
        .await;
        let triggers = settle(&self.host, &store, outcome)?;
        let stop = |cause| PluginError::Stopped {
            plugin: self.label.to_string(),
            cause,
        };
        if triggers.len() > MAX_ROWS {
            return Err(stop(Stop::Rows {
                list: "triggers",
                count: triggers.len(),
            }));
        }
        let max = self.host.config().max_output_bytes;
        triggers
            .into_iter()
            .map(|trigger| {
                let (name, texts) = match &trigger {
                    wit::Trigger::Consumable(c) => (&c.name, [&c.description, &c.name]),
                    wit::Trigger::Service(s) => (&s.state, [&s.text, &s.state]),
                };
                for text in texts {
                    convert::check_string(text, max).map_err(stop)?;
                }
                if !is_word_list(name) {
                    return Err(stop(Stop::Malformed(format!(
                        "a trigger named {name:?}; names are lower-case words joined by hyphens"
                    ))));
                }
                Ok(match trigger {
                    wit::Trigger::Consumable(c) if c.remaining_percent > 100 => {
                        return Err(stop(Stop::Malformed(format!(
                            "{} at {} %, over 100",
                            c.name, c.remaining_percent
                        ))));
                    }
                    wit::Trigger::Consumable(c) => Trigger::Consumable {
                        name: c.name,
                        description: c.description,
                        remaining_percent: c.remaining_percent,
                    },
                    wit::Trigger::Service(s) => Trigger::Service {
                        state: s.state,
                        group: convert::error_group(s.group),
                        text: s.text,
                    },
                })
            })
            .collect()
    }
}

/// `maintenance-kit`, `fuser-due`: what ASM's filters and trigger keys can hold.
fn is_word_list(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A fresh store and instance for one call, once a pool slot is free.
async fn enter(
    host: &Host,
    pre: &AlertLogicPre<Sandbox>,
    label: &Arc<str>,
) -> Result<(
    tokio::sync::OwnedSemaphorePermit,
    Store<Sandbox>,
    AlertLogic,
)> {
    let slot = host.slot().await;
    let mut store = Sandbox::store(
        host.engine(),
        host.config(),
        label.clone(),
        Arc::new(NoDevice),
    );
    let instantiated = call_within(host, pre.instantiate_async(&mut store)).await;
    let guest = settle(host, &store, instantiated)?;
    Ok((slot, store, guest))
}

#[cfg(test)]
mod tests {
    use super::is_word_list;

    #[test]
    fn trigger_names_are_lower_case_words_joined_by_hyphens() {
        for good in ["maintenance-kit", "fuser", "kit-2"] {
            assert!(is_word_list(good), "{good}");
        }
        for bad in ["", "Maintenance", "kit--2", "-kit", "kit ", "toner:black"] {
            assert!(!is_word_list(bad), "{bad}");
        }
    }
}
