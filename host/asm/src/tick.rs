//! One run of the ASM scheduler: from what the store holds to what must be done.
//!
//! The tick works in phases, each judged on the state the earlier phases leave, and
//! returns the decisions phase by phase, each phase in event-key order:
//!
//! 1. archive, update and settle open events, and forget settled keys whose condition
//!    ended;
//! 2. open events for new triggers, and create missing action events;
//! 3. invoke, retry, redirect or give up actions;
//! 4. record changed statuses.
//!
//! Every decision is about one key, and what a phase reads of the state the earlier ones
//! leave is that key's event or settled entry (the pools' last invocations, which actions
//! read, change only with the actions' own decisions). So the tick never copies the state
//! nor applies its decisions as it goes: it walks the open and settled keys once in key
//! order, then each definition's devices in key order (skipping the keys the first walk
//! left open or settled by walking beside them), then the events open after both once
//! more, judging each event's actions and status on what the earlier phases decided for
//! it. Over a fleet of 100,000 devices the copy, the applying and the keyed look-ups it
//! replaced took most of a tick.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::{ActionDefinition, ActionKind, ActionProgress};
use crate::definitions::{AlertDefinition, Interval, Trigger};
use crate::events::{AlertEvent, AlertStatus, Approval, ArchiveReason, EventKey, TriggerKey};
use crate::facts::DeviceFacts;
use crate::filters::Prepared;
use crate::frequency::{PoolKey, is_released};
use crate::hierarchy::AccountTree;
use crate::ids::{AccountId, ActionDefinitionId, DefinitionId, DeviceId};
use crate::recipients::{Contacts, ProcessingBehaviour, Resolution, resolve};
use crate::state::{AsmState, Decision, Invocation, Redirect, RedirectReason, moved_on};

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

/// A trigger key borrowed from a device or a definition, ordered as [`TriggerKey`]: a
/// candidate is compared and judged before any key is built for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TriggerRef<'a> {
    Consumable(&'a str),
    ErrorState(&'a str),
}

impl<'a> TriggerRef<'a> {
    fn of(key: &'a TriggerKey) -> Self {
        match key {
            TriggerKey::Consumable(position) => TriggerRef::Consumable(position),
            TriggerKey::ErrorState(state) => TriggerRef::ErrorState(state),
        }
    }

    fn to_key(self) -> TriggerKey {
        match self {
            TriggerRef::Consumable(position) => TriggerKey::Consumable(position.into()),
            TriggerRef::ErrorState(state) => TriggerKey::ErrorState(state.into()),
        }
    }
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
    trigger: TriggerRef<'_>,
    remembered: Option<(&Option<String>, DateTime<Utc>)>,
) -> Condition {
    match (&definition.trigger, trigger) {
        (
            Trigger::Consumable {
                consumable,
                threshold_percent,
            },
            TriggerRef::Consumable(position),
        ) => {
            let Some(fact) = device.consumables.iter().find(|fact| {
                fact.position == position && consumable.matches(&fact.consumable_type)
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
            TriggerRef::ErrorState(state),
        ) => {
            let active = device.errors.iter().any(|error| {
                error.state == state
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

/// The trigger keys a definition could raise on a device, added to `candidates`: those
/// whose level is below the threshold or whose error state is active, for [`condition`]
/// to judge. Passing over the rest without building a key is what keeps a tick over a
/// large fleet short: almost no (device, definition) pair triggers.
fn candidates<'a>(
    definition: &'a AlertDefinition,
    device: &'a DeviceFacts,
    candidates: &mut Vec<TriggerRef<'a>>,
) {
    match &definition.trigger {
        Trigger::Consumable {
            consumable,
            threshold_percent,
        } => candidates.extend(
            device
                .consumables
                .iter()
                .filter(|fact| {
                    fact.level_percent
                        .is_some_and(|level| level < *threshold_percent)
                        && consumable.matches(&fact.consumable_type)
                })
                .map(|fact| TriggerRef::Consumable(&fact.position)),
        ),
        Trigger::Service { states, .. } => candidates.extend(
            states
                .iter()
                .filter(|chosen| {
                    device
                        .errors
                        .iter()
                        .any(|error| error.state == chosen.state)
                })
                .map(|chosen| TriggerRef::ErrorState(&chosen.state)),
        ),
    }
}

fn is_stale(definition: &AlertDefinition, device: &DeviceFacts, now: DateTime<Utc>) -> bool {
    device
        .last_read_at
        .is_none_or(|read| now - read > definition.stale.duration())
}

/// The idempotency key of one attempt of one action event: the event's key and first
/// trigger (which tells apart successive events of one key), the action and the attempt
/// (`None` for the redirect), as `asm/{event key}/{first trigger ms}/{action}/attempt-{n}`
/// or `…/redirect`. Written piece by piece: through `format!` it was a tenth of a first
/// tick over a large fleet.
fn invocation_key(event: &AlertEvent, action: &ActionDefinition, attempt: Option<u32>) -> String {
    use fmt::Write as _;
    let mut numbers = itoa::Buffer::new();
    let mut key = String::with_capacity(80);
    key.push_str("asm/");
    write!(key, "{}", event.key).expect("writing to a String cannot fail");
    key.push('/');
    key.push_str(numbers.format(event.first_triggered_at.timestamp_millis()));
    key.push('/');
    key.push_str(numbers.format(action.id.0));
    match attempt {
        Some(attempt) => {
            key.push_str("/attempt-");
            key.push_str(numbers.format(attempt));
        }
        None => key.push_str("/redirect"),
    }
    key
}

/// A definition that validated, with what the tick works out once for it.
struct Definition<'a> {
    definition: &'a AlertDefinition,
    fingerprint: u64,
    /// Its actions by ordinal, each with its result type shared by every pool key the
    /// tick makes for it.
    actions: Vec<(&'a ActionDefinition, Arc<str>)>,
    filters: Prepared<'a>,
}

/// What the first phase leaves.
struct AfterSettling<'a> {
    decisions: Vec<Decision>,
    /// The events still open, in key order.
    open: Vec<&'a AlertEvent>,
    /// Every key still open or settled, which no trigger may open again, in key order.
    taken: Vec<&'a EventKey>,
}

/// The addresses one pool's e-mails go to, shared by each of its invocations, or why
/// they go to the dealer admin instead.
type PoolRecipients = Result<Arc<[String]>, RedirectReason>;

/// Who e-mails go to, worked out once per (account, result type) and admins once per
/// dealer, instead of once per action event.
#[derive(Default)]
struct Recipients<'a> {
    by_pool: HashMap<(AccountId, &'a str), PoolRecipients>,
    admins: HashMap<AccountId, Option<String>>,
}

struct Tick<'a> {
    now: DateTime<Utc>,
    inputs: &'a Inputs,
    /// The definitions that validate, in id order (the last of an id).
    definitions: Vec<Definition<'a>>,
    /// The definitions (by place in `definitions`) that apply to each account of the
    /// tree (by place in it), worked out once per tick: the hierarchy walk per device
    /// and definition cost most of a tick over a large fleet.
    applying: Vec<Vec<usize>>,
    /// Every device in id order (the last of an id), with its account's place in the
    /// tree (`None` for an account the tree does not hold, which no definition reaches).
    devices: Vec<(&'a DeviceFacts, Option<usize>)>,
    /// Each device's place in `devices`.
    device_places: HashMap<DeviceId, usize>,
    /// The dealer of each account of the tree.
    dealers: HashMap<AccountId, AccountId>,
}

impl<'a> Tick<'a> {
    fn new(now: DateTime<Utc>, inputs: &'a Inputs) -> Self {
        let tree = &inputs.accounts;
        let places: HashMap<AccountId, usize> = tree
            .accounts
            .keys()
            .enumerate()
            .map(|(place, &account)| (account, place))
            .collect();
        let mut definitions: Vec<&AlertDefinition> = inputs
            .definitions
            .iter()
            .filter(|definition| definition.validate(tree).is_empty())
            .collect();
        definitions.sort_by_key(|definition| definition.id);
        let definitions: Vec<Definition> = last_of_each(definitions, |definition| definition.id)
            .into_iter()
            .map(|definition| {
                let mut actions: Vec<(&ActionDefinition, Arc<str>)> = definition
                    .actions
                    .iter()
                    .map(|action| (action, action.result_type.as_str().into()))
                    .collect();
                actions.sort_by_key(|(action, _)| action.ordinal);
                Definition {
                    definition,
                    fingerprint: definition.critical_fingerprint(),
                    actions,
                    filters: Prepared::new(&definition.filters),
                }
            })
            .collect();
        let applying = tree
            .accounts
            .keys()
            .map(|&account| {
                (0..definitions.len())
                    .filter(|&place| {
                        let definition = definitions[place].definition;
                        tree.applies(definition.owner, definition.hierarchical, account)
                    })
                    .collect()
            })
            .collect();
        let mut devices: Vec<&DeviceFacts> = inputs.devices.iter().collect();
        devices.sort_by_key(|device| device.id);
        let devices: Vec<(&DeviceFacts, Option<usize>)> = last_of_each(devices, |device| device.id)
            .into_iter()
            .map(|device| (device, places.get(&device.account).copied()))
            .collect();
        Tick {
            now,
            inputs,
            definitions,
            applying,
            device_places: devices
                .iter()
                .enumerate()
                .map(|(place, (device, _))| (device.id, place))
                .collect(),
            devices,
            dealers: tree
                .accounts
                .keys()
                .map(|&account| (account, tree.dealer_of(account)))
                .collect(),
        }
    }

    fn definition(&self, id: DefinitionId) -> Option<&Definition<'a>> {
        self.definitions
            .binary_search_by_key(&id, |definition| definition.definition.id)
            .ok()
            .map(|place| &self.definitions[place])
    }

    fn device(&self, id: DeviceId) -> Option<&'a DeviceFacts> {
        self.device_places
            .get(&id)
            .map(|&place| self.devices[place].0)
    }

    fn dealer_of(&self, account: AccountId) -> AccountId {
        self.dealers
            .get(&account)
            .copied()
            .unwrap_or_else(|| self.inputs.accounts.dealer_of(account))
    }

    fn critical_change(&self, remembered: u64, fingerprint: u64) -> bool {
        self.inputs.settings.archive_on_critical_change && remembered != fingerprint
    }

    /// The first phase's decision about an open event, if any.
    fn judge_open(&self, key: &EventKey, event: &AlertEvent) -> Option<Decision> {
        let now = self.now;
        let archive = |reason| {
            Some(Decision::ArchiveEvent {
                key: key.clone(),
                reason,
                at: now,
            })
        };
        let Some(definition) = self.definition(key.definition) else {
            return archive(ArchiveReason::DefinitionRemoved);
        };
        let Some(device) = self.device(key.device) else {
            return archive(ArchiveReason::DeviceRemoved);
        };
        let (fingerprint, definition) = (definition.fingerprint, definition.definition);
        if self.critical_change(event.definition_fingerprint, fingerprint) {
            return archive(ArchiveReason::CriticalChange);
        }
        if matches!(event.approval, Approval::Rejected { .. }) {
            return archive(ArchiveReason::Rejected);
        }
        if is_stale(definition, device, now) {
            return archive(ArchiveReason::Stale);
        }
        let remembered = Some((&event.cartridge, event.reading_at));
        match condition(definition, device, TriggerRef::of(&key.trigger), remembered) {
            Condition::Replaced => archive(ArchiveReason::SupplyReplaced),
            Condition::Resolved => archive(match key.trigger {
                TriggerKey::Consumable(_) => ArchiveReason::LevelRecovered,
                TriggerKey::ErrorState(_) => ArchiveReason::ErrorCleared,
            }),
            _ if event.all_actions_finished(definition) => {
                archive(ArchiveReason::AllActionsFinished)
            }
            Condition::Triggering { level, cartridge } => {
                let reading_at = device.last_read_at.expect("a fresh device has a reading");
                (reading_at > event.reading_at).then(|| Decision::UpdateEvent {
                    key: key.clone(),
                    at: now,
                    level,
                    cartridge,
                    reading_at,
                })
            }
            Condition::Unknown => None,
        }
    }

    /// Whether a settled key's condition ended (or its definition or device is gone).
    fn forget(&self, key: &EventKey, settled: &crate::state::SettledEvent) -> bool {
        match (self.definition(key.definition), self.device(key.device)) {
            (Some(definition), Some(device)) => {
                self.critical_change(settled.definition_fingerprint, definition.fingerprint)
                    || matches!(
                        condition(
                            definition.definition,
                            device,
                            TriggerRef::of(&key.trigger),
                            Some((&settled.cartridge, settled.reading_at))
                        ),
                        Condition::Replaced | Condition::Resolved
                    )
            }
            _ => true,
        }
    }

    /// Archive, update and settle open events, and forget settled keys whose condition
    /// ended: the open and settled keys walked together in key order (an open event's
    /// decision before its key's settled one, as they apply).
    fn settle_and_archive(&self) -> AfterSettling<'a> {
        let state = &self.inputs.state;
        let mut events = state.events.iter().peekable();
        let mut settled = state.settled.iter().peekable();
        let mut after = AfterSettling {
            decisions: Vec::new(),
            open: Vec::with_capacity(state.events.len()),
            taken: Vec::with_capacity(state.events.len() + state.settled.len()),
        };
        loop {
            let order = match (events.peek(), settled.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((event, _)), Some((settled, _))) => event.cmp(settled),
            };
            let event = if order.is_le() { events.next() } else { None };
            let remembered = if order.is_ge() { settled.next() } else { None };
            let mut still_open = false;
            let mut still_settled = remembered.is_some();
            if let Some((key, event)) = event {
                let decision = self.judge_open(key, event);
                match &decision {
                    Some(Decision::ArchiveEvent { reason, .. }) => {
                        still_settled |= reason.settles();
                    }
                    _ => {
                        still_open = true;
                        after.open.push(event);
                    }
                }
                after.decisions.extend(decision);
            }
            if let Some((key, remembered)) = remembered
                && self.forget(key, remembered)
            {
                after
                    .decisions
                    .push(Decision::ForgetSettled { key: key.clone() });
                still_settled = false;
            }
            if still_open || still_settled {
                let key = event.map(|(key, _)| key).or(remembered.map(|(key, _)| key));
                after.taken.extend(key);
            }
        }
        after
    }

    /// Open events for new triggers, skipping the keys still open or settled (`taken`,
    /// in key order). Each device is looked at once for all the definitions that reach
    /// it, while its facts are at hand, and what it opens goes to its definition's list;
    /// devices come in id order, so the lists joined in definition order are in key order.
    /// The decisions are added to `decisions`.
    fn open(&self, taken: &[&EventKey], decisions: &mut Vec<Decision>) {
        let mut opened: Vec<Vec<Decision>> = self.definitions.iter().map(|_| Vec::new()).collect();
        // Each definition's taken keys, as (device, trigger), each walked once.
        let mut taken: Vec<_> = self
            .definitions
            .iter()
            .map(|definition| {
                let id = definition.definition.id;
                let from = taken.partition_point(|key| key.definition < id);
                let to = taken.partition_point(|key| key.definition <= id);
                taken[from..to]
                    .iter()
                    .map(|key| (key.device, TriggerRef::of(&key.trigger)))
                    .peekable()
            })
            .collect();
        let mut triggers = Vec::new();
        for &(device, account) in &self.devices {
            let Some(account) = account else {
                continue;
            };
            for &place in &self.applying[account] {
                let definition = &self.definitions[place];
                if is_stale(definition.definition, device, self.now)
                    || !definition.filters.matches(device)
                {
                    continue;
                }
                triggers.clear();
                candidates(definition.definition, device, &mut triggers);
                triggers.sort();
                let taken = &mut taken[place];
                for &trigger in &triggers {
                    let key = (device.id, trigger);
                    while taken.next_if(|taken| *taken < key).is_some() {}
                    if taken.peek() == Some(&key) {
                        continue;
                    }
                    let Condition::Triggering { level, cartridge } =
                        condition(definition.definition, device, trigger, None)
                    else {
                        continue;
                    };
                    opened[place].push(Decision::OpenEvent(Box::new(AlertEvent {
                        key: EventKey {
                            definition: definition.definition.id,
                            device: device.id,
                            trigger: trigger.to_key(),
                        },
                        account: device.account,
                        definition_fingerprint: definition.fingerprint,
                        first_triggered_at: self.now,
                        first_level: level,
                        last_triggered_at: self.now,
                        last_level: level,
                        cartridge,
                        reading_at: device.last_read_at.expect("a fresh device has a reading"),
                        approval: Approval::Unanswered,
                        status: AlertStatus::Alert,
                        actions: BTreeMap::new(),
                    })));
                }
            }
        }
        decisions.reserve(opened.iter().map(Vec::len).sum());
        for opened in opened {
            decisions.extend(opened);
        }
    }

    /// Create missing action events; invoke, retry, redirect or give up actions; record
    /// changed statuses: over the events open after the first two phases (`open`, still
    /// open from the first, and `opened` by the second), in key order. Returns the three
    /// phases' decisions.
    fn workflows(&self, open: &[&AlertEvent], opened: &[Decision]) -> [Vec<Decision>; 3] {
        let mut phases: [Vec<Decision>; 3] = Default::default();
        let mut recipients = Recipients::default();
        let mut moved = Vec::new();
        let mut open = open.iter().copied().peekable();
        let mut opened = opened
            .iter()
            .filter_map(|decision| match decision {
                Decision::OpenEvent(event) => Some(&**event),
                _ => None,
            })
            .peekable();
        loop {
            let event = match (open.peek(), opened.peek()) {
                (None, None) => break,
                (Some(_), None) => open.next(),
                (None, Some(_)) => opened.next(),
                (Some(still), Some(new)) => {
                    if still.key <= new.key {
                        open.next()
                    } else {
                        opened.next()
                    }
                }
            }
            .expect("one of the two walks gave an event");
            // A key opened twice (two facts at one position) is one event.
            while opened.next_if(|new| new.key == event.key).is_some() {}
            self.workflow(event, &mut phases, &mut recipients, &mut moved);
        }
        phases
    }

    /// One event's part of [`Tick::workflows`]; `moved` is scratch space.
    fn workflow(
        &self,
        event: &AlertEvent,
        [created, acted, statuses]: &mut [Vec<Decision>; 3],
        recipients: &mut Recipients<'a>,
        moved: &mut Vec<(ActionDefinitionId, ActionProgress)>,
    ) {
        let definition = self
            .definition(event.key.definition)
            .expect("the first phase archived the events of removed definitions");
        let created_before = created.len();
        for (action, _) in &definition.actions {
            if !event.actions.contains_key(&action.id) {
                created.push(Decision::CreateActionEvent {
                    key: event.key.clone(),
                    action: action.id,
                });
            }
        }
        // A created action event waits.
        let progress = |action: ActionDefinitionId| {
            event
                .actions
                .get(&action)
                .map_or(ActionProgress::Waiting, |action_event| {
                    action_event.progress
                })
        };
        let acted_before = acted.len();
        for (action, result_type) in &definition.actions {
            acted.extend(self.act(
                event,
                definition,
                (action, result_type),
                progress(action.id),
                recipients,
            ));
        }
        let status = if created.len() == created_before && acted.len() == acted_before {
            event.status_at(definition.definition, self.now)
        } else {
            // The action events as the decisions leave them, without applying them.
            moved.clear();
            for decision in &acted[acted_before..] {
                let action = match decision {
                    Decision::InvokeAction(invocation) | Decision::RetryAction(invocation) => {
                        invocation.action
                    }
                    Decision::RedirectAction(redirect) => redirect.action,
                    Decision::GiveUpAction { action, .. } => *action,
                    _ => continue,
                };
                let current = moved
                    .iter()
                    .rev()
                    .find(|(id, _)| *id == action)
                    .map_or_else(|| progress(action), |&(_, progress)| progress);
                moved.extend(moved_on(decision, current).map(|progress| (action, progress)));
            }
            let now_at = |action: ActionDefinitionId| {
                moved
                    .iter()
                    .rev()
                    .find(|(id, _)| *id == action)
                    .map(|&(_, progress)| progress)
                    .or_else(|| event.actions.get(&action).map(|event| event.progress))
                    .or_else(|| {
                        definition
                            .actions
                            .iter()
                            .any(|(known, _)| known.id == action)
                            .then_some(ActionProgress::Waiting)
                    })
            };
            let submitted = event
                .actions
                .keys()
                .chain(moved.iter().map(|(action, _)| action))
                .any(|&action| now_at(action).is_some_and(ActionProgress::was_invoked));
            event.status_with(definition.definition, self.now, now_at, submitted)
        };
        if status != event.status {
            statuses.push(Decision::SetStatus {
                key: event.key.clone(),
                status,
            });
        }
    }

    /// The decision about one action of an event whose action event is at `progress`.
    /// Every pool is judged against its last invocation before this phase, so pooled
    /// actions of one type are released together.
    fn act(
        &self,
        event: &AlertEvent,
        definition: &Definition<'a>,
        (action, result_type): (&'a ActionDefinition, &Arc<str>),
        progress: ActionProgress,
        recipients: &mut Recipients<'a>,
    ) -> Option<Decision> {
        let now = self.now;
        let pool = || PoolKey {
            account: event.account,
            result_type: Arc::clone(result_type),
        };
        match progress {
            ActionProgress::Waiting => {
                let due = action.due_at(
                    event.first_triggered_at,
                    event.approval.approved_at(),
                    definition.definition.overdue.duration(),
                );
                if due.is_none_or(|due| now < due) {
                    return None;
                }
                let pool = pool();
                let interval = self.inputs.frequencies.get(&pool).copied();
                let last = self.inputs.state.last_invocations.get(&pool).copied();
                if !is_released(interval, last, now) {
                    return None;
                }
                Some(
                    match self.recipients_or_redirect(event, action, recipients) {
                        Ok(to) => {
                            Decision::InvokeAction(self.invocation(event, action, 1, pool, to))
                        }
                        Err(reason) => Decision::RedirectAction(
                            self.redirect(event, action, reason, recipients),
                        ),
                    },
                )
            }
            ActionProgress::Failed { attempt, .. } if attempt < action.max_attempts => Some(
                match self.recipients_or_redirect(event, action, recipients) {
                    Ok(to) => Decision::RetryAction(self.invocation(
                        event,
                        action,
                        attempt + 1,
                        pool(),
                        to,
                    )),
                    Err(reason) => {
                        Decision::RedirectAction(self.redirect(event, action, reason, recipients))
                    }
                },
            ),
            ActionProgress::Failed { .. } if action.kind == ActionKind::Email => {
                Some(Decision::RedirectAction(self.redirect(
                    event,
                    action,
                    RedirectReason::Failed,
                    recipients,
                )))
            }
            ActionProgress::Failed { .. } => Some(Decision::GiveUpAction {
                key: event.key.clone(),
                action: action.id,
                at: now,
            }),
            _ => None,
        }
    }

    fn recipients_or_redirect(
        &self,
        event: &AlertEvent,
        action: &'a ActionDefinition,
        recipients: &mut Recipients<'a>,
    ) -> PoolRecipients {
        if action.kind != ActionKind::Email {
            return Ok(Arc::default());
        }
        recipients
            .by_pool
            .entry((event.account, &action.result_type))
            .or_insert_with(|| {
                let dealer = self.dealer_of(event.account);
                let behaviour = self
                    .inputs
                    .behaviours
                    .iter()
                    .find(|b| b.dealer == dealer && b.result_type == action.result_type);
                match resolve(behaviour, &self.inputs.contacts, event.account, dealer) {
                    Resolution::Send(recipients) => Ok(recipients.into()),
                    Resolution::RedirectToDealerAdmin => Err(RedirectReason::NoValidRecipient),
                }
            })
            .clone()
    }

    fn redirect(
        &self,
        event: &AlertEvent,
        action: &ActionDefinition,
        reason: RedirectReason,
        recipients: &mut Recipients<'a>,
    ) -> Box<Redirect> {
        let dealer = self.dealer_of(event.account);
        let contacts = &self.inputs.contacts;
        let to = recipients.admins.entry(dealer).or_insert_with(|| {
            contacts
                .dealer_admin(dealer)
                .or_else(|| contacts.dealer_admin(self.inputs.accounts.main_dealer))
                .map(str::to_owned)
        });
        Box::new(Redirect {
            key: event.key.clone(),
            action: action.id,
            reason,
            dealer,
            to: to.clone(),
            at: self.now,
            idempotency_key: invocation_key(event, action, None),
        })
    }

    fn invocation(
        &self,
        event: &AlertEvent,
        action: &ActionDefinition,
        attempt: u32,
        pool: PoolKey,
        recipients: Arc<[String]>,
    ) -> Box<Invocation> {
        Box::new(Invocation {
            key: event.key.clone(),
            action: action.id,
            kind: action.kind.clone(),
            pool,
            attempt,
            at: self.now,
            idempotency_key: invocation_key(event, action, Some(attempt)),
            recipients,
        })
    }
}

/// The last item of each run of equal keys in `sorted`, as collecting into a map keeps.
fn last_of_each<T: Copy, K: PartialEq>(sorted: Vec<T>, key: impl Fn(T) -> K) -> Vec<T> {
    let mut last: Vec<T> = Vec::with_capacity(sorted.len());
    for item in sorted {
        match last.last_mut() {
            Some(previous) if key(*previous) == key(item) => *previous = item,
            _ => last.push(item),
        }
    }
    last
}

/// One run of the ASM scheduler at `now`: every decision, in phase order and within a
/// phase by event key (see the module doc). Pure: the same inputs give the same
/// decisions, and once they are applied a second tick at the same instant decides
/// nothing that invokes again.
pub fn tick(now: DateTime<Utc>, inputs: &Inputs) -> Vec<Decision> {
    let tick = Tick::new(now, inputs);
    let AfterSettling {
        mut decisions,
        open,
        taken,
    } = tick.settle_and_archive();
    let settled = decisions.len();
    tick.open(&taken, &mut decisions);
    let later = tick.workflows(&open, &decisions[settled..]);
    decisions.reserve(later.iter().map(Vec::len).sum());
    for phase in later {
        decisions.extend(phase);
    }
    decisions
}
