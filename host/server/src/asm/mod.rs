//! The ASM scheduler: runs the engine (`quire-asm`) over what the store holds, records
//! what it decided, and carries it out — by one server process at a time
//! ([`Periodic`]), every minute unless configured.
//!
//! A tick, in order:
//!
//! 1. carries out what an earlier tick recorded but did not carry out (it crashed);
//! 2. takes in what happened since: the outcome of each action carried out (an e-mail
//!    the mailer sent or gave up on) and users' approvals and rejections, which the API
//!    files for the tick rather than writing events itself, so the scheduler is the one
//!    writer of an event;
//! 3. runs the engine's [`tick`] over the definitions, the account tree, every device's
//!    facts ([`facts`], with what the alert-logic plugins find, [`alert_logic`]) and the
//!    state, and applies its decisions;
//! 4. writes the changed events, settled keys and pools, the outcomes and answers taken
//!    in, and a journal entry per invocation and redirect, in one transaction;
//! 5. carries out the journal's new entries ([`carry`]), marking each done with its
//!    outcome.
//!
//! So a crash loses no action (its journal entry waits for step 1) and repeats none
//! that was marked done: an e-mail or a webhook delivery is queued under its decision's
//! idempotency key, so carrying an entry out twice queues it once. A plugin action hands
//! the plugin its decision's idempotency key, so the system it posts to can refuse a
//! repeat (see [`carry`]).
//!
//! The engine pools actions by the alerts frequencies accounts set
//! (`PUT /api/v1/accounts/{id}/alert-frequencies`), read afresh every tick.

pub mod alert_logic;
pub(crate) mod carry;
pub use alert_logic::AlertLogic;
pub use carry::{ActionPlugins, PURCHASE_ORDER};
pub mod facts;
pub(crate) mod mail;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use quire_asm::{
    AlertDefinition, AlertEvent, ArchiveReason, AsmState, ContactId, Contacts, DealerRole,
    Decision, DefinitionId, EventKey, Inputs, Interval, PoolKey, ProcessingBehaviour, Recipient,
    Report, Settings, SettledEvent, TriggerKey, UserId, apply, record, tick,
};
use quire_store::{
    AsmDefinitionId, AsmEventId, AsmKey, AsmTickChanges, EventWrite, NewJournalEntry, PoolRow,
    SettledRow, Store, StoredAlertEvent, StoredDefinition, Visibility,
};
use serde::{Deserialize, Serialize};

use crate::periodic::Periodic;
use crate::stored;

/// The scheduler: every minute by default, by one server process at a time.
pub const ASM_JOB: Periodic = Periodic {
    name: "asm",
    every: Duration::from_secs(60),
};

/// What the store keeps of an alert event: the engine's event, and once archived, why
/// and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct StoredEvent {
    /// The event as the engine last left it.
    pub event: AlertEvent,
    /// Why and when it was archived; `None` while open.
    pub archived: Option<Archived>,
}

/// Why and when an alert event was archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Archived {
    /// Why.
    pub reason: ArchiveReason,
    /// When.
    pub at: DateTime<Utc>,
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ticked {
    /// Decisions the engine made.
    pub decisions: usize,
    /// Outcomes and answers taken in.
    pub taken_in: usize,
    /// Journal entries carried out.
    pub carried_out: usize,
}

/// Runs one tick as of `now` (see the module doc).
pub async fn run_tick(
    store: &Store,
    plugins: &ActionPlugins,
    alert_logic: &AlertLogic,
    now: DateTime<Utc>,
) -> quire_store::Result<Ticked> {
    let mut done = Ticked {
        carried_out: carry::carry_out(store, plugins, now).await?,
        ..Ticked::default()
    };
    let Some(accounts) = facts::account_tree(store).await? else {
        return Ok(done);
    };
    let (loaded, keys) = engine_state(&store.asm_state().await?)?;
    let mut state = loaded.clone();
    let mut changes = AsmTickChanges::default();

    for entry in store.asm_journal_unreported().await? {
        if let Some(report) = carry::outcome(store, &entry).await? {
            if let Some(report) = report
                && let Err(refused) = record(&mut state, &report)
            {
                tracing::debug!(%refused, "an action's outcome came after its event moved on");
            }
            changes.reported.push(entry.id);
            done.taken_in += 1;
        }
    }
    for answer in store.asm_answers_waiting().await? {
        if let Some(key) = keys.get(&answer.event_id) {
            let (key, by, at) = (key.clone(), UserId(answer.user_id.0), answer.answered_at);
            let report = if answer.approve {
                Report::Approved { key, by, at }
            } else {
                Report::Rejected { key, by, at }
            };
            if let Err(refused) = record(&mut state, &report) {
                tracing::info!(%refused, "an answer came after its event moved on");
            }
        }
        changes.answers_taken.push(answer.id);
        done.taken_in += 1;
    }

    let definitions = definitions(store).await?;
    // With no definition and nothing open or settled, no device can matter: a server
    // without alerts does not read its whole fleet every minute.
    let idle = definitions.is_empty() && state.events.is_empty() && state.settled.is_empty();
    let devices = if idle {
        Vec::new()
    } else {
        facts::device_facts(store, alert_logic, now).await?
    };
    let inputs = Inputs {
        definitions,
        accounts,
        devices,
        state: state.clone(),
        frequencies: frequencies(store).await?,
        contacts: contacts(store).await?,
        behaviours: behaviours(store, None).await?,
        settings: Settings::default(),
    };
    let decisions = tick(now, &inputs);
    done.decisions = decisions.len();
    let mut archived = HashMap::new();
    for decision in &decisions {
        match decision {
            Decision::ArchiveEvent { key, reason, at } => {
                if let Some(event) = state.events.get(key) {
                    archived.insert(
                        key.clone(),
                        (
                            event.clone(),
                            Archived {
                                reason: *reason,
                                at: *at,
                            },
                        ),
                    );
                }
            }
            Decision::InvokeAction(invocation) | Decision::RetryAction(invocation) => {
                changes.journal.push(journal_entry(
                    &invocation.idempotency_key,
                    &invocation.key,
                    decision,
                ));
            }
            Decision::RedirectAction(redirect) => {
                changes.journal.push(journal_entry(
                    &redirect.idempotency_key,
                    &redirect.key,
                    decision,
                ));
            }
            _ => {}
        }
        apply(&mut state, decision);
    }
    changed(&loaded, &state, archived, &mut changes);
    store.save_asm_tick(&changes, now).await?;
    done.carried_out += carry::carry_out(store, plugins, now).await?;
    Ok(done)
}

/// The store's key of an engine event.
pub(crate) fn store_key(key: &EventKey) -> AsmKey {
    AsmKey {
        definition: AsmDefinitionId(key.definition.0),
        device: quire_store::DeviceId(key.device.0),
        trigger: match &key.trigger {
            TriggerKey::Consumable(position) => format!("consumable:{position}"),
            TriggerKey::ErrorState(state) => format!("error-state:{state}"),
        },
    }
}

fn journal_entry(idempotency_key: &str, key: &EventKey, decision: &Decision) -> NewJournalEntry {
    NewJournalEntry {
        idempotency_key: idempotency_key.to_owned(),
        key: store_key(key),
        decision: serde_json::to_value(decision).expect("decisions serialise to JSON"),
    }
}

/// An event row's body as the engine's event.
pub(crate) fn stored_event(row: &StoredAlertEvent) -> quire_store::Result<StoredEvent> {
    stored::read("asm_events.body", row.id, row.body.clone())
}

/// The engine's state as stored, and each open event's key by its row id (what users'
/// answers name).
fn engine_state(
    stored: &quire_store::StoredAsmState,
) -> quire_store::Result<(AsmState, HashMap<AsmEventId, EventKey>)> {
    let mut state = AsmState::default();
    let mut keys = HashMap::with_capacity(stored.events.len());
    for row in &stored.events {
        let event = stored_event(row)?.event;
        keys.insert(row.id, event.key.clone());
        state.events.insert(event.key.clone(), event);
    }
    for row in &stored.settled {
        let (key, settled): (EventKey, SettledEvent) =
            stored::read("asm_settled.body", &row.key.trigger, row.body.clone())?;
        state.settled.insert(key, settled);
    }
    for row in &stored.pools {
        state.last_invocations.insert(
            PoolKey {
                account: facts::asm_account(row.account_id),
                result_type: row.result_type.as_str().into(),
            },
            row.last_invoked_at,
        );
    }
    Ok((state, keys))
}

/// What changed from `before` to `after`, added to `changes`.
fn changed(
    before: &AsmState,
    after: &AsmState,
    archived: HashMap<EventKey, (AlertEvent, Archived)>,
    changes: &mut AsmTickChanges,
) {
    for (key, event) in &after.events {
        if before.events.get(key) != Some(event) {
            changes.events.push(event_write(event, None));
        }
    }
    let mut archived: Vec<_> = archived.into_iter().collect();
    archived.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, (event, how)) in archived {
        if !after.events.contains_key(&key) {
            changes.events.push(event_write(&event, Some(how)));
        }
    }
    for (key, settled) in &after.settled {
        if before.settled.get(key) != Some(settled) {
            changes.settled.push(SettledRow {
                key: store_key(key),
                body: serde_json::to_value((key, settled)).expect("settled keys serialise to JSON"),
            });
        }
    }
    for key in before.settled.keys() {
        if !after.settled.contains_key(key) {
            changes.unsettled.push(store_key(key));
        }
    }
    for (pool, at) in &after.last_invocations {
        if before.last_invocations.get(pool) != Some(at) {
            changes.pools.push(PoolRow {
                account_id: quire_store::AccountId(pool.account.0),
                result_type: pool.result_type.to_string(),
                last_invoked_at: *at,
            });
        }
    }
}

fn event_write(event: &AlertEvent, archived: Option<Archived>) -> EventWrite {
    let status = match archived {
        Some(_) => "archived".to_owned(),
        None => crate::words::word(&event.status),
    };
    EventWrite {
        key: store_key(&event.key),
        account_id: quire_store::AccountId(event.account.0),
        open: archived.is_none(),
        status,
        first_triggered_at: event.first_triggered_at,
        body: serde_json::to_value(StoredEvent {
            event: event.clone(),
            archived,
        })
        .expect("alert events serialise to JSON"),
    }
}

/// A stored definition as the engine's.
pub(crate) fn definition(row: &StoredDefinition) -> quire_store::Result<AlertDefinition> {
    let mut definition: AlertDefinition =
        stored::read("asm_definitions.body", row.id, row.body.clone())?;
    definition.id = DefinitionId(row.id.0);
    definition.owner = facts::asm_account(row.owner);
    definition.name.clone_from(&row.name);
    Ok(definition)
}

async fn definitions(store: &Store) -> quire_store::Result<Vec<AlertDefinition>> {
    store
        .asm_definitions(Visibility::All, quire_store::Page::ALL)
        .await?
        .iter()
        .map(definition)
        .collect()
}

/// Every contact's address as the engine reads them.
pub(crate) async fn contacts(store: &Store) -> quire_store::Result<Contacts> {
    let mut contacts = Contacts::default();
    for row in store.asm_contacts(None).await? {
        let account = facts::asm_account(row.account_id);
        match row.role.as_deref() {
            Some("account-primary") => {
                contacts.account_primary.insert(account, row.email);
            }
            Some(role) => {
                if let Ok(role) = serde_json::from_value::<DealerRole>(role.into()) {
                    contacts
                        .dealer_primary
                        .entry(account)
                        .or_default()
                        .insert(role, row.email);
                }
            }
            None => {
                contacts
                    .alternates
                    .insert(ContactId(row.id), (account, row.email));
            }
        }
    }
    Ok(contacts)
}

/// Every account's alerts frequencies, by pool.
pub(crate) async fn frequencies(store: &Store) -> quire_store::Result<BTreeMap<PoolKey, Interval>> {
    store
        .asm_frequencies(None)
        .await?
        .into_iter()
        .map(|row| {
            let interval: Interval =
                stored::read("asm_frequencies.frequency", &row.result_type, row.frequency)?;
            Ok((
                PoolKey {
                    account: facts::asm_account(row.account_id),
                    result_type: row.result_type.into(),
                },
                interval,
            ))
        })
        .collect()
}

/// The processing behaviours of `dealer`, or of every dealer when `None`.
pub(crate) async fn behaviours(
    store: &Store,
    dealer: Option<quire_store::AccountId>,
) -> quire_store::Result<Vec<ProcessingBehaviour>> {
    store
        .asm_behaviours(dealer)
        .await?
        .into_iter()
        .map(|row| {
            let recipients: Vec<Recipient> = stored::read(
                "asm_behaviours.recipients",
                &row.result_type,
                row.recipients,
            )?;
            Ok(ProcessingBehaviour {
                dealer: facts::asm_account(row.dealer),
                result_type: row.result_type,
                recipients,
            })
        })
        .collect()
}
