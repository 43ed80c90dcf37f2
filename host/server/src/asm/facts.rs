//! What the ASM engine judges, read from the store: the account tree, and each
//! device's place, identity, calculated volumes, latest supply levels and current
//! malfunctions.
//!
//! How Quire's records answer the source's filter methods and triggers:
//!
//! - **Managed** devices are those on a contract: a dealer manages what it has a
//!   service agreement for. Contracts have no type yet, so the contract-type filter
//!   matches nothing; a dealer's custom model name is not kept either.
//! - **Model family** is the family of the strategy that reads the device (`kyocera`,
//!   `printer-mib`): how Quire groups models that are read alike.
//! - **Groups** are sites: the one grouping of devices a dealer sets up in Quire.
//! - **Consumables** are the supplies of the device's latest daily level summary (the
//!   last reading of the last day it was read), each named by its position (kind, colour,
//!   and rank among the supplies of that kind and colour, as the supply history names it,
//!   since firmware renumbers rows). Their type follows RFC 3805's
//!   `PrtMarkerSuppliesTypeTC`: toner and toner cartridges are toner; ink, ink cartridges
//!   and ink ribbons ink; solid and ribbon wax wax; fuser, fuser oil, oiler, wick and
//!   cleaning pad the fuser; the transfer unit transfer; the OPC (organic
//!   photoconductor) the drum; waste toner, ink, wax and water waste. The MIB has no
//!   maintenance-kit type: makers report kits as `other` with "maintenance" in the
//!   description (HP's "Maintenance Kit", Lexmark's "Maintenance Kit"), which is how
//!   they are recognised. Every other kind is a custom consumable named by its kind
//!   (`staples`, `developer`), which a custom consumable filter selects by name.
//! - **Error states** are the device's current conditions: its strategy's `map-error`
//!   judgements of its latest alert-bearing reading, with their group. The console
//!   message is not kept by readings yet, so a definition with a console-message match
//!   does not trigger.
//! - **Alert-logic plugins** add custom consumables and error states of their own to
//!   the devices their families read (see [`super::alert_logic`]).

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use quire_asm::{
    AccountNode, AccountTree, ActiveError, ConsumableFact, ConsumableType, DeviceFacts, GroupId,
};
use quire_store::{DailyLevel, Device, DeviceFilter, MaintenanceFilter, Page, Store, Visibility};

use super::alert_logic::AlertLogic;
use crate::supplies::by_device;

/// The account tree, or `None` before the main dealer exists.
pub async fn account_tree(store: &Store) -> quire_store::Result<Option<AccountTree>> {
    let Some(main_dealer) = store.main_dealer().await? else {
        return Ok(None);
    };
    let accounts = store
        .accounts(Visibility::All, Page::ALL)
        .await?
        .into_iter()
        .map(|account| {
            (
                asm_account(account.id),
                AccountNode {
                    parent: account.parent.map(asm_account),
                    is_dealer: account.is_dealer,
                },
            )
        })
        .collect();
    Ok(Some(AccountTree {
        accounts,
        main_dealer: asm_account(main_dealer),
    }))
}

/// Every device's facts as of `now`, with what `alert_logic` finds: what one tick reads
/// of the fleet.
pub async fn device_facts(
    store: &Store,
    alert_logic: &AlertLogic,
    now: DateTime<Utc>,
) -> quire_store::Result<Vec<DeviceFacts>> {
    let devices = store
        .list_devices(Visibility::All, &DeviceFilter::default(), Page::ALL)
        .await?;
    let ids: Vec<_> = devices.iter().map(|d| d.id).collect();
    let volumes: HashMap<_, _> = store
        .volumes_of(&ids)
        .await?
        .into_iter()
        .map(|v| (v.device_id, v))
        .collect();
    // A week of daily summaries: a device last read before that shows no consumables,
    // which neither opens nor resolves an alert (stale intervals close those).
    let today = now.date_naive();
    let levels = store
        .daily_levels(&ids, today - Days::new(LEVEL_DAYS)..=today)
        .await?;
    let replaced_since = (today - Days::new(LEVEL_DAYS))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let mut replacements = by_device(store.supply_replacements_of(&ids, replaced_since).await?);
    let mut latest = latest_levels(levels);
    let mut errors = by_device(
        store
            .maintenance(Visibility::All, MaintenanceFilter::default(), Page::ALL)
            .await?
            .into_iter()
            .map(|item| {
                let error = ActiveError {
                    group: item.condition.group,
                    state: item.condition.state,
                };
                (item.condition.device_id, error)
            }),
    );
    let mut facts: Vec<DeviceFacts> = devices
        .iter()
        .map(|device| {
            let levels = latest.remove(&device.id).unwrap_or_default();
            let replaced: Vec<u32> = replacements
                .remove(&device.id)
                .unwrap_or_default()
                .into_iter()
                .filter(|record| {
                    levels
                        .iter()
                        .any(|l| l.index == record.index && l.last_at == record.taken_at)
                })
                .map(|record| record.index)
                .collect();
            facts(
                device,
                volumes.get(&device.id).map(|v| (v.daily, v.monthly)),
                &levels,
                &replaced,
                errors.remove(&device.id).unwrap_or_default(),
            )
        })
        .collect();
    super::alert_logic::judge(store, alert_logic, &devices, &mut facts).await?;
    Ok(facts)
}

/// Days of level summaries read besides today's.
const LEVEL_DAYS: u64 = 7;

/// Each device's supplies of the last day it was read in the window, by index (as the
/// store gives them, by device, day and index).
fn latest_levels(levels: Vec<DailyLevel>) -> HashMap<quire_store::DeviceId, Vec<DailyLevel>> {
    let mut last_day: HashMap<quire_store::DeviceId, NaiveDate> = HashMap::new();
    for level in &levels {
        let day = last_day.entry(level.device_id).or_insert(level.day);
        *day = (*day).max(level.day);
    }
    let mut latest: HashMap<_, Vec<DailyLevel>> = HashMap::new();
    for level in levels {
        if last_day.get(&level.device_id) == Some(&level.day) {
            latest.entry(level.device_id).or_default().push(level);
        }
    }
    latest
}

fn facts(
    device: &Device,
    volumes: Option<(f64, f64)>,
    levels: &[DailyLevel],
    replaced: &[u32],
    errors: Vec<ActiveError>,
) -> DeviceFacts {
    let consumables = levels
        .iter()
        .zip(positions(levels))
        .map(|(level, position)| ConsumableFact {
            position,
            consumable_type: consumable_type(&level.kind, &level.description),
            level_percent: level.last_percent,
            cartridge: level.last_serial.clone(),
            replaced_since_last: replaced.contains(&level.index),
        })
        .collect();
    DeviceFacts {
        id: quire_asm::DeviceId(device.id.0),
        account: asm_account(device.account_id),
        managed: device.contract_id.is_some(),
        contract: device.contract_id.map(|c| quire_asm::ContractId(c.0)),
        contract_type: None,
        manufacturer: device.manufacturer.clone(),
        model_family: device.strategy.as_ref().map(|s| s.name.clone()),
        custom_model: None,
        model: device.model.clone(),
        groups: device.site_id.map(|s| GroupId(s.0)).into_iter().collect(),
        daily_average_volume: volumes.map(|v| v.0),
        monthly_average_volume: volumes.map(|v| v.1),
        // The device row is read before the levels: a reading filed in between shows
        // in the levels (and its replacement report) but not in `last_seen`, and the
        // engine would take the new level for a recovery rather than a replacement.
        last_read_at: levels
            .iter()
            .map(|l| l.last_at)
            .chain([device.last_seen])
            .max(),
        consumables,
        errors,
        console_message: None,
    }
}

/// Each of one day's supplies' positions (kind, colour and rank among the supplies of
/// that kind and colour, `toner:black:1`), in the order given (by index).
pub(crate) fn positions(levels: &[DailyLevel]) -> Vec<String> {
    let mut seen: HashMap<(&str, Option<&str>), u32> = HashMap::new();
    levels
        .iter()
        .map(|level| {
            let rank = seen
                .entry((level.kind.as_str(), level.color.as_deref()))
                .or_default();
            *rank += 1;
            match &level.color {
                Some(color) => format!("{}:{color}:{rank}", level.kind),
                None => format!("{}:{rank}", level.kind),
            }
        })
        .collect()
}

/// The part number the device last reported for the consumable at `position`, from its
/// latest daily levels of the last week; for a consumable the device does not report
/// (one an alert-logic plugin raised, `maintenance-kit`), the part the dealer last
/// recorded installed at that position.
pub(crate) async fn part_number(
    store: &Store,
    device: quire_store::DeviceId,
    position: &str,
    now: DateTime<Utc>,
) -> quire_store::Result<Option<String>> {
    if let Some((level, _)) = latest_at(store, device, position, now).await? {
        return Ok(level.last_part_number);
    }
    Ok(store
        .supply_events_of(&[device])
        .await?
        .into_iter()
        .rev()
        .find(|e| {
            e.kind == quire_store::SupplyEventKind::Installed
                && super::alert_logic::position_name(e) == position
        })
        .map(|e| e.part_number))
}

/// The consumable at `position` in the device's latest daily levels of the last week,
/// with its rank among the supplies of its kind and colour: what an order for it names.
pub(crate) async fn latest_at(
    store: &Store,
    device: quire_store::DeviceId,
    position: &str,
    now: DateTime<Utc>,
) -> quire_store::Result<Option<(DailyLevel, u32)>> {
    let today = now.date_naive();
    let levels = store
        .daily_levels(&[device], today - Days::new(LEVEL_DAYS)..=today)
        .await?;
    let levels = latest_levels(levels).remove(&device).unwrap_or_default();
    let rank = position
        .rsplit(':')
        .next()
        .and_then(|r| r.parse::<u32>().ok());
    let named = positions(&levels);
    Ok(levels
        .into_iter()
        .zip(named)
        .find(|(_, at)| at == position)
        .zip(rank)
        .map(|((level, _), rank)| (level, rank)))
}

/// A supply's ASM consumable type from its RFC 3805 kind (see the module doc).
pub(crate) fn consumable_type(kind: &str, description: &str) -> ConsumableType {
    match kind {
        "toner" | "toner-cartridge" => ConsumableType::Toner,
        "ink" | "ink-cartridge" | "ink-ribbon" => ConsumableType::Ink,
        "solid-wax" | "ribbon-wax" => ConsumableType::Wax,
        "fuser" | "fuser-oil" | "fuser-oil-wick" | "fuser-oiler" | "fuser-cleaning-pad" => {
            ConsumableType::Fuser
        }
        "transfer-unit" => ConsumableType::Transfer,
        "opc" => ConsumableType::Drum,
        "waste-toner" | "waste-ink" | "waste-wax" | "waste-water" => ConsumableType::Waste,
        "other" | "unknown" if description.to_lowercase().contains("maintenance") => {
            ConsumableType::MaintenanceKit
        }
        other => ConsumableType::Custom(other.to_owned()),
    }
}

pub(crate) fn asm_account(id: quire_store::AccountId) -> quire_asm::AccountId {
    quire_asm::AccountId(id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supply_kinds_map_to_the_consumable_types_of_the_source() {
        for (kind, description, expected) in [
            ("toner", "Black Toner", ConsumableType::Toner),
            ("toner-cartridge", "TK-5240K", ConsumableType::Toner),
            ("ink-cartridge", "Cyan Ink", ConsumableType::Ink),
            ("solid-wax", "Yellow", ConsumableType::Wax),
            ("fuser-oil-wick", "Fuser Oil", ConsumableType::Fuser),
            ("transfer-unit", "Transfer Belt", ConsumableType::Transfer),
            ("opc", "Drum Unit", ConsumableType::Drum),
            ("waste-toner", "Waste Toner Box", ConsumableType::Waste),
            ("other", "Maintenance Kit", ConsumableType::MaintenanceKit),
            (
                "other",
                "Document Feeder Kit",
                ConsumableType::Custom("other".into()),
            ),
            (
                "staples",
                "Stapler",
                ConsumableType::Custom("staples".into()),
            ),
        ] {
            assert_eq!(
                consumable_type(kind, description),
                expected,
                "{kind} {description}"
            );
        }
    }
}
