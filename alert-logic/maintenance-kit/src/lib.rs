//! The maintenance kit of a device that does not report one, counted in pages.
//!
//! A maintenance kit (fuser, rollers, transfer parts) is replaced after a rated number
//! of pages. Some makers report its remaining life among the Printer-MIB supplies (RFC
//! 3805 has no type for it, so such a row is `other` described as a maintenance kit, or
//! a family's own `maintenance-kit` kind); Kyocera's ECOSYS printers do not: the
//! recorded ECOSYS P2040dn (`fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec`)
//! and the UTAX P-4020DN built on the same engine (`fixtures/recorded/librenms/utax.snmprec`)
//! list only their toner and waste toner box, though Kyocera's service manuals keep a
//! maintenance log of kit replacements by total page count inside the device. A dealer
//! still has to change the kit on time, so this plugin counts it.
//!
//! # The rule
//!
//! - A device that reports a maintenance kit among its supplies is left alone: its own
//!   level is better than any count.
//! - The kit is the last one the dealer recorded as `installed` at the position
//!   `maintenance-kit`, with its part number; the server gives the device's total page
//!   counter at that time. With no such record, or none with a counter, nothing is judged:
//!   the plugin cannot know when the kit in the device went in.
//! - Its rated life is the rated yield the dealer set for that part number (the same
//!   table that gives cartridges their rated yield). With none, nothing is judged: a
//!   kit's life differs by model and is the dealer's to state.
//! - The remaining life is `1 - pages since installed / rated pages`, in whole per
//!   cent, rounded down (the kit is due no later than the count says) and never below
//!   0. It is raised as the custom consumable `maintenance-kit`, which a consumable alert
//!   definition with a custom consumable filter of that name selects; at 0 % a service
//!   state `maintenance-kit-due` (device group) is raised too, for a service alert.
//!
//! The total counter is the reading's `total`: every page the engine printed, which
//! is what kits are rated in.

wit_bindgen::generate!({
    path: "../../plugins-sdk/wit",
    world: "alert-logic",
});

use exports::quire::device::alert_logic_api::{
    AlertLogicInfo, CustomConsumable, DeviceFacts, Guest, ServiceState, Trigger,
};
use quire::device::types::ErrorGroup;

/// The custom consumable this plugin raises.
pub const CONSUMABLE: &str = "maintenance-kit";

/// The service state raised when the kit is spent.
pub const DUE: &str = "maintenance-kit-due";

/// The reading strategies whose devices report no kit (see the module doc).
pub const FAMILIES: &[&str] = &["kyocera"];

/// The plugin.
pub struct MaintenanceKit;

impl Guest for MaintenanceKit {
    fn describe() -> AlertLogicInfo {
        AlertLogicInfo {
            name: "maintenance-kit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            vendor: "Quire".into(),
            description: "A maintenance kit's remaining life from the pages printed since it was installed, for devices that do not report one.".into(),
            families: FAMILIES.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    fn evaluate(facts: DeviceFacts) -> Vec<Trigger> {
        judge(&facts).unwrap_or_default()
    }
}

/// The triggers for `facts`, or `None` when there is nothing to judge by.
pub fn judge(facts: &DeviceFacts) -> Option<Vec<Trigger>> {
    let reports_a_kit =
        facts.reading.supplies.iter().any(|s| {
            s.kind == CONSUMABLE || s.description.to_lowercase().contains("maintenance kit")
        });
    if reports_a_kit {
        return None;
    }
    let installed = facts
        .supply_changes
        .iter()
        .rev()
        .find(|c| c.position == CONSUMABLE && c.event == "installed")?;
    let part = installed.part_number.as_deref()?;
    let at_install = installed.total_pages?;
    let rated = facts
        .rated_yields
        .iter()
        .find(|y| y.part_number.eq_ignore_ascii_case(part))
        .map(|y| y.pages)
        .filter(|&pages| pages > 0)?;
    let total = facts
        .reading
        .counters
        .iter()
        .find(|c| c.name == "total")?
        .value;
    let printed = total.saturating_sub(at_install);
    let remaining = remaining_percent(printed, rated);
    let mut triggers = vec![Trigger::Consumable(CustomConsumable {
        name: CONSUMABLE.into(),
        description: format!(
            "Maintenance kit {part}: {printed} of its {rated} rated pages printed since it was installed on {}",
            installed.at
        ),
        remaining_percent: remaining,
    })];
    if remaining == 0 {
        triggers.push(Trigger::Service(ServiceState {
            state: DUE.into(),
            group: ErrorGroup::Device,
            text: format!("Maintenance kit {part} is due: {printed} pages since it was installed, rated for {rated}"),
        }));
    }
    Some(triggers)
}

/// Whole per cent of `rated` still to print after `printed`, rounded down, never below 0.
pub fn remaining_percent(printed: u64, rated: u64) -> u8 {
    let left = rated.saturating_sub(printed);
    (u128::from(left) * 100 / u128::from(rated)) as u8
}

#[cfg(target_arch = "wasm32")]
export!(MaintenanceKit);

#[cfg(test)]
mod tests {
    use super::*;
    use exports::quire::device::alert_logic_api::{RatedYield, SupplyChange};
    use quire::device::types::{Counter, Identity, Reading, Status, Supply, SupplyState};

    fn facts(total: u64, changes: Vec<SupplyChange>, supplies: Vec<Supply>) -> DeviceFacts {
        DeviceFacts {
            family: Some("kyocera".into()),
            reading: Reading {
                identity: Identity {
                    manufacturer: Some("Kyocera".into()),
                    model: Some("ECOSYS P2040dn".into()),
                    serial: None,
                    mac: None,
                    firmware: None,
                    hostname: None,
                    sys_object_id: None,
                    sys_descr: None,
                    location: None,
                    contact: None,
                },
                status: Status {
                    device: None,
                    printer: None,
                    errors: Vec::new(),
                    console: None,
                },
                counters: vec![Counter {
                    name: "total".into(),
                    value: total,
                }],
                supplies,
                alerts: Vec::new(),
            },
            read_at: "2026-12-05T10:00:00Z".into(),
            daily_average_volume: None,
            monthly_average_volume: None,
            supply_changes: changes,
            rated_yields: vec![RatedYield {
                part_number: "MK-1150".into(),
                pages: 100_000,
            }],
        }
    }

    fn installed(part: Option<&str>, total_pages: Option<u64>) -> SupplyChange {
        SupplyChange {
            position: CONSUMABLE.into(),
            event: "installed".into(),
            part_number: part.map(str::to_owned),
            at: "2026-01-05T09:00:00Z".into(),
            total_pages,
        }
    }

    fn remaining(triggers: &[Trigger]) -> Vec<u8> {
        triggers
            .iter()
            .filter_map(|t| match t {
                Trigger::Consumable(c) => Some(c.remaining_percent),
                Trigger::Service(_) => None,
            })
            .collect()
    }

    #[test]
    fn the_kit_is_counted_from_the_pages_at_its_installation() {
        let triggers = judge(&facts(
            7_432 + 92_000,
            vec![installed(Some("MK-1150"), Some(7_432))],
            Vec::new(),
        ))
        .unwrap();
        assert_eq!(remaining(&triggers), [8]);
        assert_eq!(triggers.len(), 1, "not yet due");
    }

    #[test]
    fn a_spent_kit_is_due_as_a_service_state_too() {
        let triggers = judge(&facts(
            250_000,
            vec![installed(Some("mk-1150"), Some(100_000))],
            Vec::new(),
        ))
        .unwrap();
        assert_eq!(remaining(&triggers), [0]);
        assert!(
            triggers
                .iter()
                .any(|t| matches!(t, Trigger::Service(s) if s.state == DUE))
        );
    }

    #[test]
    fn the_last_installation_counts() {
        let triggers = judge(&facts(
            150_000,
            vec![
                installed(Some("MK-1150"), Some(10_000)),
                installed(Some("MK-1150"), Some(100_000)),
            ],
            Vec::new(),
        ))
        .unwrap();
        assert_eq!(remaining(&triggers), [50]);
    }

    #[test]
    fn nothing_is_judged_without_an_installation_a_part_a_counter_or_a_rated_life() {
        assert!(judge(&facts(5_000, Vec::new(), Vec::new())).is_none());
        assert!(judge(&facts(5_000, vec![installed(None, Some(0))], Vec::new())).is_none());
        assert!(
            judge(&facts(
                5_000,
                vec![installed(Some("MK-1150"), None)],
                Vec::new()
            ))
            .is_none()
        );
        assert!(
            judge(&facts(
                5_000,
                vec![installed(Some("MK-3300"), Some(0))],
                Vec::new()
            ))
            .is_none()
        );
    }

    #[test]
    fn a_device_that_reports_its_kit_is_left_to_its_own_level() {
        let kit = Supply {
            index: 3,
            description: "Maintenance Kit MK-1150".into(),
            kind: "other".into(),
            color: None,
            unit: Some("percent".into()),
            level: Some(40),
            max: Some(100),
            percent: Some(40),
            state: SupplyState::Ok,
            serial: None,
            part_number: None,
        };
        assert!(
            judge(&facts(
                150_000,
                vec![installed(Some("MK-1150"), Some(0))],
                vec![kit]
            ))
            .is_none()
        );
    }

    #[test]
    fn remaining_life_rounds_down_and_stops_at_zero() {
        assert_eq!(remaining_percent(0, 100_000), 100);
        assert_eq!(remaining_percent(1, 100_000), 99);
        assert_eq!(remaining_percent(100_000, 100_000), 0);
        assert_eq!(remaining_percent(300_000, 100_000), 0);
    }
}
