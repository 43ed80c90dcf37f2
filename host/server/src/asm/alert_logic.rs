//! Alert-logic plugins in the ASM tick: components of the contract's `alert-logic` world
//! (the built-in ones, such as the maintenance kit counted in pages, those the server
//! was started with, and those published to it, which take the place of its own of the
//! same name from the next tick) judge the devices their families read, and what they find
//! joins the device's facts before the engine runs, so definitions select it like
//! anything the device reports.
//!
//! - A **custom consumable** becomes a consumable of type `Custom(name)` at the position
//!   `name` (`maintenance-kit`), at its remaining level: a consumable alert definition
//!   with a custom consumable filter of that name and a threshold selects it. Its
//!   cartridge is the last install the dealer recorded at the position of that name, so
//!   recording a new kit archives the open event as replaced.
//! - A **service state** becomes an active error state in its group: a service alert
//!   definition choosing that state (`maintenance-kit-due`, device group) selects it.
//!
//! What a plugin is told of a device is read for all the judged devices at once: the
//! newest meters-and-supplies reading (the one with counters and supplies) and when it
//! was taken, the calculated volumes, the supply events the dealer recorded (ordered,
//! shipped, installed), each with the device's total counter at the last reading at or
//! before it, and the rated yields of the device's account. A position is named by its
//! kind, colour where it has one, and rank where it is not the first of its kind and
//! colour (`maintenance-kit`, `toner:black`, `toner:black:2`). The installs the supply
//! history works out from the readings are not among the changes: that takes a year of
//! level summaries per device, which a tick every minute cannot read for a fleet.
//!
//! A device no plugin's families include costs nothing, and one never read for meters
//! has nothing to judge. The plugins run a bounded number of calls at a time; a plugin
//! that fails or is stopped on one device is logged and costs only that device's
//! triggers from that plugin this tick.

use std::collections::HashMap;
use std::sync::Arc;

use quire_asm::{ActiveError, ConsumableFact, ConsumableType, DeviceFacts};
use quire_model::Cycle;
use quire_plugins::{AlertLogicPlugin, SupplyChange, Trigger};
use quire_store::{Device, DeviceId, Store, SupplyEvent};
use tokio::task::{Id, JoinSet};

use crate::supplies::by_device;
use crate::words::word;

/// The counter a supply change carries: every page the engine printed, which is what
/// parts are rated in.
const TOTAL: &str = "total";

/// The alert-logic plugins a server runs, shared by its ticks.
#[derive(Clone)]
pub struct AlertLogic {
    plugins: Arc<[Arc<AlertLogicPlugin>]>,
    /// Evaluations in flight at once: the plugin host's concurrent calls, so none waits
    /// for a sandbox slot while holding a device's facts.
    concurrency: usize,
}

impl AlertLogic {
    /// `plugins`, evaluated `concurrency` calls at a time.
    pub fn new(plugins: Vec<Arc<AlertLogicPlugin>>, concurrency: usize) -> AlertLogic {
        AlertLogic {
            plugins: plugins.into(),
            concurrency: concurrency.max(1),
        }
    }

    /// These plugins with `published` ones (the depot's) in place of those of the same
    /// name, the others after them: what one tick runs.
    pub fn with_published(&self, published: &[Arc<AlertLogicPlugin>]) -> AlertLogic {
        let mut plugins = self.plugins.to_vec();
        for plugin in published {
            match plugins
                .iter()
                .position(|p| p.info().name == plugin.info().name)
            {
                Some(at) => plugins[at] = plugin.clone(),
                None => plugins.push(plugin.clone()),
            }
        }
        AlertLogic {
            plugins: plugins.into(),
            concurrency: self.concurrency,
        }
    }

    /// The plugins, in the order their triggers are added.
    pub fn plugins(&self) -> &[Arc<AlertLogicPlugin>] {
        &self.plugins
    }
}

/// Adds what the plugins find to `facts`, the facts of `devices` in the same order.
pub(crate) async fn judge(
    store: &Store,
    logic: &AlertLogic,
    devices: &[Device],
    facts: &mut [DeviceFacts],
) -> quire_store::Result<()> {
    let judged: Vec<(usize, Vec<usize>)> = devices
        .iter()
        .enumerate()
        .filter_map(|(at, device)| {
            let family = device.strategy.as_ref().map(|s| s.name.as_str());
            let plugins: Vec<usize> = (0..logic.plugins.len())
                .filter(|&p| logic.plugins[p].judges(family))
                .collect();
            (!plugins.is_empty()).then_some((at, plugins))
        })
        .collect();
    if judged.is_empty() {
        return Ok(());
    }
    let ids: Vec<DeviceId> = judged.iter().map(|(at, _)| devices[*at].id).collect();
    let mut readings: HashMap<_, _> = store
        .latest_readings_of(&ids, Cycle::MetersAndSupplies)
        .await?
        .into_iter()
        .map(|r| (r.device_id, r))
        .collect();
    let mut events = by_device(
        store
            .supply_events_with_counter_of(&ids, TOTAL)
            .await?
            .into_iter()
            .map(|(event, then)| (event.device_id, (event, then))),
    );
    let mut yields = by_device(store.rated_yields_of(&ids).await?);

    let mut jobs = Vec::new();
    let mut installs: HashMap<usize, Vec<SupplyEvent>> = HashMap::new();
    for (at, plugins) in judged {
        let device = &devices[at];
        let Some(reading) = readings.remove(&device.id) else {
            continue;
        };
        let events = events.remove(&device.id).unwrap_or_default();
        let device_facts = Arc::new(quire_plugins::DeviceFacts {
            family: device.strategy.as_ref().map(|s| s.name.clone()),
            reading: reading.reading,
            read_at: reading.taken_at,
            daily_average_volume: facts[at].daily_average_volume,
            monthly_average_volume: facts[at].monthly_average_volume,
            supply_changes: events.iter().map(supply_change).collect(),
            rated_yields: yields
                .remove(&device.id)
                .unwrap_or_default()
                .into_iter()
                .map(|y| (y.part_number, y.rated_pages))
                .collect(),
        });
        installs.insert(
            at,
            events
                .into_iter()
                .filter(|(e, _)| e.kind == quire_store::SupplyEventKind::Installed)
                .map(|(e, _)| e)
                .collect(),
        );
        jobs.extend(plugins.into_iter().map(|p| (at, p, device_facts.clone())));
    }

    let found = evaluate(logic, devices, jobs).await;
    for (at, triggers) in found {
        add(&mut facts[at], triggers, &installs[&at]);
    }
    Ok(())
}

/// Runs `jobs` (device, plugin, facts) at most `logic.concurrency` at a time; each
/// device's triggers by plugin order, the failed calls logged and left out.
async fn evaluate(
    logic: &AlertLogic,
    devices: &[Device],
    jobs: Vec<(usize, usize, Arc<quire_plugins::DeviceFacts>)>,
) -> Vec<(usize, Vec<Trigger>)> {
    let mut found: HashMap<usize, Vec<(usize, Vec<Trigger>)>> = HashMap::new();
    let mut running: JoinSet<_> = JoinSet::new();
    let mut job_of: HashMap<Id, (usize, usize)> = HashMap::new();
    let mut jobs = jobs.into_iter();
    loop {
        while running.len() < logic.concurrency {
            let Some((at, p, device_facts)) = jobs.next() else {
                break;
            };
            let plugin = logic.plugins[p].clone();
            let task = running.spawn(async move { plugin.evaluate(&device_facts).await });
            job_of.insert(task.id(), (at, p));
        }
        let Some(done) = running.join_next_with_id().await else {
            break;
        };
        let (id, outcome) = match done {
            Ok((id, outcome)) => (id, outcome.map_err(|e| e.to_string())),
            Err(panicked) => (panicked.id(), Err(panicked.to_string())),
        };
        let (at, p) = job_of
            .remove(&id)
            .expect("every task was spawned for a job");
        match outcome {
            Ok(triggers) => found.entry(at).or_default().push((p, triggers)),
            Err(error) => {
                let info = logic.plugins[p].info();
                tracing::warn!(device = %devices[at].id, plugin = %info.name,
                    version = %info.version, %error,
                    "an alert-logic plugin failed on a device: its triggers for it are left out this tick");
            }
        }
    }
    let mut found: Vec<_> = found
        .into_iter()
        .map(|(at, mut by_plugin)| {
            by_plugin.sort_by_key(|(p, _)| *p);
            (at, by_plugin.into_iter().flat_map(|(_, t)| t).collect())
        })
        .collect();
    found.sort_by_key(|(at, _)| *at);
    found
}

/// A stored supply event as a plugin is told of it.
fn supply_change((event, total_then): &(SupplyEvent, Option<u64>)) -> SupplyChange {
    SupplyChange {
        position: position_name(event),
        event: word(&event.kind),
        part_number: Some(event.part_number.clone()),
        at: event.at,
        total_pages: *total_then,
    }
}

/// `maintenance-kit`, `toner:black`, `toner:black:2` (see the module doc).
pub(crate) fn position_name(event: &SupplyEvent) -> String {
    let mut name = event.supply_kind.clone();
    if let Some(color) = &event.supply_color {
        name = format!("{name}:{color}");
    }
    if event.supply_rank > 1 {
        name = format!("{name}:{}", event.supply_rank);
    }
    name
}

/// Adds a device's triggers to its facts; one the device or an earlier plugin already
/// gives is not added twice.
fn add(facts: &mut DeviceFacts, triggers: Vec<Trigger>, installs: &[SupplyEvent]) {
    for trigger in triggers {
        match trigger {
            Trigger::Consumable {
                name,
                remaining_percent,
                ..
            } => {
                if facts.consumables.iter().any(|c| c.position == name) {
                    continue;
                }
                let cartridge = installs
                    .iter()
                    .rev()
                    .find(|e| position_name(e) == name)
                    .map(|e| format!("{} installed {}", e.part_number, e.at.to_rfc3339()));
                facts.consumables.push(ConsumableFact {
                    consumable_type: ConsumableType::Custom(name.clone()),
                    position: name,
                    level_percent: Some(remaining_percent),
                    cartridge,
                    replaced_since_last: false,
                });
            }
            Trigger::Service { state, group, .. } => {
                let error = ActiveError { group, state };
                if !facts.errors.contains(&error) {
                    facts.errors.push(error);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use quire_model::ErrorGroup;

    use super::*;

    fn event(kind: &str, color: Option<&str>, rank: u32) -> SupplyEvent {
        SupplyEvent {
            id: quire_store::SupplyEventId(1),
            device_id: DeviceId(1),
            supply_kind: kind.into(),
            supply_color: color.map(str::to_owned),
            supply_rank: rank,
            kind: quire_store::SupplyEventKind::Installed,
            part_number: "MK-1150".into(),
            quantity: 1,
            at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            note: None,
            recorded_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 5, 0).unwrap(),
        }
    }

    #[test]
    fn positions_are_named_by_kind_colour_and_a_rank_past_the_first() {
        assert_eq!(
            position_name(&event("maintenance-kit", None, 1)),
            "maintenance-kit"
        );
        assert_eq!(
            position_name(&event("toner", Some("black"), 1)),
            "toner:black"
        );
        assert_eq!(
            position_name(&event("toner", Some("black"), 2)),
            "toner:black:2"
        );
    }

    #[test]
    fn a_custom_consumable_is_a_consumable_at_its_name_and_a_state_an_error_once() {
        let mut facts = DeviceFacts {
            id: quire_asm::DeviceId(1),
            account: quire_asm::AccountId(1),
            managed: false,
            contract: None,
            contract_type: None,
            manufacturer: None,
            model: None,
            model_family: Some("kyocera".into()),
            custom_model: None,
            groups: Vec::new(),
            daily_average_volume: None,
            monthly_average_volume: None,
            last_read_at: None,
            consumables: Vec::new(),
            errors: Vec::new(),
            console_message: None,
        };
        let kit = Trigger::Consumable {
            name: "maintenance-kit".into(),
            description: "Maintenance kit MK-1150".into(),
            remaining_percent: 0,
        };
        let due = Trigger::Service {
            state: "maintenance-kit-due".into(),
            group: ErrorGroup::Device,
            text: "Maintenance kit MK-1150 is due".into(),
        };
        let installed = [event("maintenance-kit", None, 1)];
        add(&mut facts, vec![kit.clone(), due.clone()], &installed);
        add(&mut facts, vec![kit, due], &installed);
        assert_eq!(
            facts.consumables,
            [ConsumableFact {
                position: "maintenance-kit".into(),
                consumable_type: ConsumableType::Custom("maintenance-kit".into()),
                level_percent: Some(0),
                cartridge: Some("MK-1150 installed 2026-12-01T09:00:00+00:00".into()),
                replaced_since_last: false,
            }]
        );
        assert_eq!(
            facts.errors,
            [ActiveError {
                group: ErrorGroup::Device,
                state: "maintenance-kit-due".into(),
            }]
        );
    }
}
