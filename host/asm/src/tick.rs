//! One run of the ASM scheduler: from what the store holds to what must be done.
//!
//! The tick works in phases, each judged on the state the earlier phases leave (it
//! applies its own decisions to a copy as it goes), and returns the decisions phase by
//! phase, each phase in event-key order:
//!
//! 1. archive, update and settle open events, and forget settled keys whose condition
//!    ended;
//! 2. open events for new triggers, and create missing action events;
//! 3. invoke, retry, redirect or give up actions;
//! 4. record changed statuses.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::{ActionDefinition, ActionKind, ActionProgress};
use crate::definitions::{AlertDefinition, Interval, Trigger};
use crate::events::{AlertEvent, AlertStatus, Approval, ArchiveReason, EventKey, TriggerKey};
use crate::facts::DeviceFacts;
use crate::filters;
use crate::frequency::{PoolKey, is_released};
use crate::hierarchy::AccountTree;
use crate::ids::{AccountId, DefinitionId, DeviceId};
use crate::recipients::{Contacts, ProcessingBehaviour, Resolution, resolve};
use crate::state::{AsmState, Decision, Invocation, Redirect, RedirectReason, apply};

/// Engine settings an administrator may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Archive the open events of a definition whose critical parameters changed. On by
    /// default; turned off, ongoing workflows carry on under the new parameters.
    pub archive_on_critical_change: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            archive_on_critical_change: true,
        }
    }
}

/// Everything a tick reads, as the store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// Every alert definition; ones that do not validate are not run.
    pub definitions: Vec<AlertDefinition>,
    /// The account tree.
    pub accounts: AccountTree,
    /// Every device's facts.
    pub devices: Vec<DeviceFacts>,
    /// Open events, settled keys and last invocations.
    pub state: AsmState,
    /// Alerts frequency intervals per pool; a pool without one is never held back.
    pub frequencies: BTreeMap<PoolKey, Interval>,
    /// Contacts' addresses.
    pub contacts: Contacts,
    /// Every dealer's processing behaviours.
    pub behaviours: Vec<ProcessingBehaviour>,
    /// Engine settings.
    pub settings: Settings,
}

/// What a device shows now for one trigger key.
enum Condition {
    /// It triggers, with this level and cartridge.
    Triggering {
        level: Option<u8>,
        cartridge: Option<String>,
    },
    /// The supply was replaced since the event last looked.
    Replaced,
    /// The level recovered or the error cleared.
    Resolved,
    /// The device cannot say (no level, or the consumable is not in the reading).
    Unknown,
}

fn condition(
    definition: &AlertDefinition,
    device: &DeviceFacts,
    trigger: &TriggerKey,
    remembered: Option<(&Option<String>, DateTime<Utc>)>,
) -> Condition {
    match (&definition.trigger, trigger) {
        (
            Trigger::Consumable {
                consumable,
                threshold_percent,
            },
            TriggerKey::Consumable(position),
        ) => {
            let Some(fact) = device.consumables.iter().find(|fact| {
                &fact.position == position && consumable.matches(&fact.consumable_type)
            }) else {
                return Condition::Unknown;
            };
            if let Some((cartridge, reading_at)) = remembered {
                let swapped =
                    matches!((cartridge, &fact.cartridge), (Some(old), Some(new)) if old != new);
                let reported = fact.replaced_since_last
                    && device.last_read_at.is_some_and(|read| read > reading_at);
                if swapped || reported {
                    return Condition::Replaced;
                }
            }
            match fact.level_percent {
                Some(level) if level < *threshold_percent => Condition::Triggering {
                    level: Some(level),
                    cartridge: fact.cartridge.clone(),
                },
                Some(level) if level > *threshold_percent => Condition::Resolved,
                _ => Condition::Unknown,
            }
        }
        (
            Trigger::Service {
                states,
                console_message,
            },
            TriggerKey::ErrorState(state),
        ) => {
            let active = device.errors.iter().any(|error| {
                error.state == *state
                    && states
                        .iter()
                        .any(|chosen| chosen.state == error.state && chosen.group == error.group)
            });
            let console = console_message.as_ref().is_none_or(|wanted| {
                device
                    .console_message
                    .as_ref()
                    .is_some_and(|text| text.to_lowercase().contains(&wanted.to_lowercase()))
            });
            if active && console {
                Condition::Triggering {
                    level: None,
                    cartridge: None,
                }
            } else {
                Condition::Resolved
            }
        }
        // The definition's kind changed under the key: what it was about is gone.
        _ => Condition::Resolved,
    }
}

/// The trigger keys a definition could raise on a device: those whose level is below
/// the threshold or whose error state is active, for [`condition`] to judge. Passing
/// over the rest without building a key is what keeps a tick over a large fleet short:
/// almost no (device, definition) pair triggers.
fn candidate_keys(definition: &AlertDefinition, device: &DeviceFacts) -> Vec<TriggerKey> {
    match &definition.trigger {
        Trigger::Consumable {
            consumable,
            threshold_percent,
        } => device
            .consumables
            .iter()
            .filter(|fact| {
                fact.level_percent
                    .is_some_and(|level| level < *threshold_percent)
                    && consumable.matches(&fact.consumable_type)
            })
            .map(|fact| TriggerKey::Consumable(fact.position.clone()))
            .collect(),
        Trigger::Service { states, .. } => states
            .iter()
            .filter(|chosen| {
                device
                    .errors
                    .iter()
                    .any(|error| error.state == chosen.state)
            })
            .map(|chosen| TriggerKey::ErrorState(chosen.state.clone()))
            .collect(),
    }
}

fn is_stale(definition: &AlertDefinition, device: &DeviceFacts, now: DateTime<Utc>) -> bool {
    device
        .last_read_at
        .is_none_or(|read| now - read > definition.stale.duration())
}

/// The idempotency key of one attempt of one action event: the event's key and first
/// trigger (which tells apart successive events of one key), the action and the attempt.
fn invocation_key(event: &AlertEvent, action: &ActionDefinition, what: &str) -> String {
    format!(
        "asm/{}/{}/{}/{what}",
        event.key,
        event.first_triggered_at.timestamp_millis(),
        action.id.0
    )
}

struct Tick<'a> {
    now: DateTime<Utc>,
    inputs: &'a Inputs,
    definitions: BTreeMap<DefinitionId, (&'a AlertDefinition, u64)>,
    devices: BTreeMap<DeviceId, &'a DeviceFacts>,
    /// The definitions that apply to each account, in id order, worked out once per
    /// tick: the hierarchy walk per device and definition cost most of a tick over a
    /// large fleet, and a lookup per device rather than per (device, definition) pair
    /// keeps the rest short.
    applies: HashMap<AccountId, Vec<(&'a AlertDefinition, u64)>>,
}

impl Tick<'_> {
    fn critical_change(&self, remembered: u64, fingerprint: u64) -> bool {
        self.inputs.settings.archive_on_critical_change && remembered != fingerprint
    }

    fn settle_and_archive(&self, state: &AsmState) -> Vec<Decision> {
        let now = self.now;
        let mut decisions = Vec::new();
        for (key, event) in &state.events {
            let archive = |reason| Decision::ArchiveEvent {
                key: key.clone(),
                reason,
                at: now,
            };
            let Some(&(definition, fingerprint)) = self.definitions.get(&key.definition) else {
                decisions.push(archive(ArchiveReason::DefinitionRemoved));
                continue;
            };
            let Some(device) = self.devices.get(&key.device) else {
                decisions.push(archive(ArchiveReason::DeviceRemoved));
                continue;
            };
            if self.critical_change(event.definition_fingerprint, fingerprint) {
                decisions.push(archive(ArchiveReason::CriticalChange));
                continue;
            }
            if matches!(event.approval, Approval::Rejected { .. }) {
                decisions.push(archive(ArchiveReason::Rejected));
                continue;
            }
            if is_stale(definition, device, now) {
                decisions.push(archive(ArchiveReason::Stale));
                continue;
            }
            let remembered = Some((&event.cartridge, event.reading_at));
            match condition(definition, device, &key.trigger, remembered) {
                Condition::Replaced => decisions.push(archive(ArchiveReason::SupplyReplaced)),
                Condition::Resolved => decisions.push(archive(match key.trigger {
                    TriggerKey::Consumable(_) => ArchiveReason::LevelRecovered,
                    TriggerKey::ErrorState(_) => ArchiveReason::ErrorCleared,
                })),
                _ if event.all_actions_finished(definition) => {
                    decisions.push(archive(ArchiveReason::AllActionsFinished))
                }
                Condition::Triggering { level, cartridge } => {
                    let reading_at = device.last_read_at.expect("a fresh device has a reading");
                    if reading_at > event.reading_at {
                        decisions.push(Decision::UpdateEvent {
                            key: key.clone(),
                            at: now,
                            level,
                            cartridge,
                            reading_at,
                        });
                    }
                }
                Condition::Unknown => {}
            }
        }
        for (key, settled) in &state.settled {
            let forget = match (
                self.definitions.get(&key.definition),
                self.devices.get(&key.device),
            ) {
                (Some(&(definition, fingerprint)), Some(device)) => {
                    self.critical_change(settled.definition_fingerprint, fingerprint)
                        || matches!(
                            condition(
                                definition,
                                device,
                                &key.trigger,
                                Some((&settled.cartridge, settled.reading_at))
                            ),
                            Condition::Replaced | Condition::Resolved
                        )
                }
                _ => true,
            };
            if forget {
                decisions.push(Decision::ForgetSettled { key: key.clone() });
            }
        }
        decisions.sort_by(|a, b| decision_key(a).cmp(decision_key(b)));
        decisions
    }

    fn open(&self, state: &AsmState) -> Vec<Decision> {
        let mut decisions = Vec::new();
        for device in self.devices.values() {
            let Some(definitions) = self.applies.get(&device.account) else {
                continue;
            };
            for &(definition, fingerprint) in definitions {
                let applies = filters::matches(&definition.filters, device)
                    && !is_stale(definition, device, self.now);
                if !applies {
                    continue;
                }
                for trigger in candidate_keys(definition, device) {
                    let key = EventKey {
                        definition: definition.id,
                        device: device.id,
                        trigger,
                    };
                    if state.events.contains_key(&key) || state.settled.contains_key(&key) {
                        continue;
                    }
                    let Condition::Triggering { level, cartridge } =
                        condition(definition, device, &key.trigger, None)
                    else {
                        continue;
                    };
                    decisions.push(Decision::OpenEvent(AlertEvent {
                        key,
                        account: device.account,
                        definition_fingerprint: fingerprint,
                        first_triggered_at: self.now,
                        first_level: level,
                        last_triggered_at: self.now,
                        last_level: level,
                        cartridge,
                        reading_at: device.last_read_at.expect("a fresh device has a reading"),
                        approval: Approval::Unanswered,
                        status: AlertStatus::Alert,
                        actions: BTreeMap::new(),
                    }));
                }
            }
        }
        decisions.sort_by(|a, b| decision_key(a).cmp(decision_key(b)));
        decisions
    }

    fn create_action_events(&self, state: &AsmState) -> Vec<Decision> {
        let mut decisions = Vec::new();
        for (key, event) in &state.events {
            let (definition, _) = self.definitions[&key.definition];
            for action in sorted_actions(definition) {
                if !event.actions.contains_key(&action.id) {
                    decisions.push(Decision::CreateActionEvent {
                        key: key.clone(),
                        action: action.id,
                    });
                }
            }
        }
        decisions
    }

    fn recipients_or_redirect(
        &self,
        event: &AlertEvent,
        action: &ActionDefinition,
    ) -> Result<Vec<String>, RedirectReason> {
        if action.kind != ActionKind::Email {
            return Ok(Vec::new());
        }
        let dealer = self.inputs.accounts.dealer_of(event.account);
        let behaviour = self
            .inputs
            .behaviours
            .iter()
            .find(|b| b.dealer == dealer && b.result_type == action.result_type);
        match resolve(behaviour, &self.inputs.contacts, event.account, dealer) {
            Resolution::Send(recipients) => Ok(recipients),
            Resolution::RedirectToDealerAdmin => Err(RedirectReason::NoValidRecipient),
        }
    }

    fn redirect(
        &self,
        event: &AlertEvent,
        action: &ActionDefinition,
        reason: RedirectReason,
    ) -> Redirect {
        let dealer = self.inputs.accounts.dealer_of(event.account);
        let contacts = &self.inputs.contacts;
        Redirect {
            key: event.key.clone(),
            action: action.id,
            reason,
            dealer,
            to: contacts
                .dealer_admin(dealer)
                .or_else(|| contacts.dealer_admin(self.inputs.accounts.main_dealer))
                .map(str::to_owned),
            at: self.now,
            idempotency_key: invocation_key(event, action, "redirect"),
        }
    }

    fn invocation(
        &self,
        event: &AlertEvent,
        action: &ActionDefinition,
        attempt: u32,
        recipients: Vec<String>,
    ) -> Invocation {
        Invocation {
            key: event.key.clone(),
            action: action.id,
            kind: action.kind.clone(),
            pool: PoolKey {
                account: event.account,
                result_type: action.result_type.clone(),
            },
            attempt,
            at: self.now,
            idempotency_key: invocation_key(event, action, &format!("attempt-{attempt}")),
            recipients,
        }
    }

    /// Every pool is judged against its last invocation before this phase, so pooled
    /// actions of one type are released together.
    fn actions(&self, state: &AsmState) -> Vec<Decision> {
        let now = self.now;
        let mut decisions = Vec::new();
        for (key, event) in &state.events {
            let (definition, _) = self.definitions[&key.definition];
            for action in sorted_actions(definition) {
                let Some(action_event) = event.actions.get(&action.id) else {
                    continue;
                };
                match action_event.progress {
                    ActionProgress::Waiting => {
                        let due = action.due_at(
                            event.first_triggered_at,
                            event.approval.approved_at(),
                            definition.overdue.duration(),
                        );
                        if due.is_none_or(|due| now < due) {
                            continue;
                        }
                        let pool = PoolKey {
                            account: event.account,
                            result_type: action.result_type.clone(),
                        };
                        let interval = self.inputs.frequencies.get(&pool).copied();
                        if !is_released(interval, state.last_invocations.get(&pool).copied(), now) {
                            continue;
                        }
                        decisions.push(match self.recipients_or_redirect(event, action) {
                            Ok(recipients) => Decision::InvokeAction(
                                self.invocation(event, action, 1, recipients),
                            ),
                            Err(reason) => {
                                Decision::RedirectAction(self.redirect(event, action, reason))
                            }
                        });
                    }
                    ActionProgress::Failed { attempt, .. } if attempt < action.max_attempts => {
                        decisions.push(match self.recipients_or_redirect(event, action) {
                            Ok(recipients) => Decision::RetryAction(self.invocation(
                                event,
                                action,
                                attempt + 1,
                                recipients,
                            )),
                            Err(reason) => {
                                Decision::RedirectAction(self.redirect(event, action, reason))
                            }
                        });
                    }
                    ActionProgress::Failed { .. } if action.kind == ActionKind::Email => {
                        decisions.push(Decision::RedirectAction(self.redirect(
                            event,
                            action,
                            RedirectReason::Failed,
                        )));
                    }
                    ActionProgress::Failed { .. } => decisions.push(Decision::GiveUpAction {
                        key: key.clone(),
                        action: action.id,
                        at: now,
                    }),
                    _ => {}
                }
            }
        }
        decisions
    }

    fn statuses(&self, state: &AsmState) -> Vec<Decision> {
        state
            .events
            .iter()
            .filter_map(|(key, event)| {
                let (definition, _) = self.definitions[&key.definition];
                let status = event.status_at(definition, self.now);
                (status != event.status).then(|| Decision::SetStatus {
                    key: key.clone(),
                    status,
                })
            })
            .collect()
    }
}

fn sorted_actions(definition: &AlertDefinition) -> Vec<&ActionDefinition> {
    let mut actions: Vec<&ActionDefinition> = definition.actions.iter().collect();
    actions.sort_by_key(|action| action.ordinal);
    actions
}

fn decision_key(decision: &Decision) -> &EventKey {
    match decision {
        Decision::ArchiveEvent { key, .. }
        | Decision::ForgetSettled { key }
        | Decision::UpdateEvent { key, .. }
        | Decision::CreateActionEvent { key, .. }
        | Decision::GiveUpAction { key, .. }
        | Decision::SetStatus { key, .. } => key,
        Decision::OpenEvent(event) => &event.key,
        Decision::InvokeAction(invocation) | Decision::RetryAction(invocation) => &invocation.key,
        Decision::RedirectAction(redirect) => &redirect.key,
    }
}

/// One run of the ASM scheduler at `now`: every decision, in phase order and within a
/// phase by event key (see the module doc). Pure: the same inputs give the same
/// decisions, and once they are applied a second tick at the same instant decides
/// nothing that invokes again.
pub fn tick(now: DateTime<Utc>, inputs: &Inputs) -> Vec<Decision> {
    let definitions: BTreeMap<DefinitionId, (&AlertDefinition, u64)> = inputs
        .definitions
        .iter()
        .filter(|definition| definition.validate(&inputs.accounts).is_empty())
        .map(|definition| {
            (
                definition.id,
                (definition, definition.critical_fingerprint()),
            )
        })
        .collect();
    let mut applies: HashMap<AccountId, Vec<(&AlertDefinition, u64)>> = HashMap::new();
    for &account in inputs.accounts.accounts.keys() {
        let applying: Vec<(&AlertDefinition, u64)> = definitions
            .values()
            .filter(|(definition, _)| {
                inputs
                    .accounts
                    .applies(definition.owner, definition.hierarchical, account)
            })
            .copied()
            .collect();
        if !applying.is_empty() {
            applies.insert(account, applying);
        }
    }
    let tick = Tick {
        now,
        inputs,
        definitions,
        applies,
        devices: inputs
            .devices
            .iter()
            .map(|device| (device.id, device))
            .collect(),
    };
    let mut state = inputs.state.clone();
    let mut decisions = Vec::new();
    for phase in 0..5 {
        let phase_decisions = match phase {
            0 => tick.settle_and_archive(&state),
            1 => tick.open(&state),
            2 => tick.create_action_events(&state),
            3 => tick.actions(&state),
            _ => tick.statuses(&state),
        };
        for decision in &phase_decisions {
            apply(&mut state, decision);
        }
        decisions.extend(phase_decisions);
    }
    decisions
}
