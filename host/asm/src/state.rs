//! What the store holds between ticks (open events, settled keys, last invocations),
//! the decisions a tick returns, and the two pure functions that change the state:
//! [`apply`] for a decision and [`record`] for what the outside world reports (a user's
//! approval or rejection, an invocation's outcome). The server mirrors both in its
//! tables, so the engine's own tests prove what the server will do.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::{ActionEvent, ActionKind, ActionProgress};
use crate::events::{AlertEvent, AlertStatus, Approval, ArchiveReason, EventKey};
use crate::frequency::PoolKey;
use crate::ids::{AccountId, ActionDefinitionId, UserId};

/// An event archived because it was answered (all actions finished, or rejected),
/// remembered so the same condition does not raise it again: the key triggers anew only
/// once the level recovers, the supply is replaced, the error clears or the definition
/// changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SettledEvent {
    /// The definition's critical fingerprint the event was raised under.
    pub definition_fingerprint: u64,
    /// The cartridge it was about.
    pub cartridge: Option<String>,
    /// The last reading it took into account.
    pub reading_at: DateTime<Utc>,
}

/// The engine's state: what the store holds between ticks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsmState {
    /// Open alert events by key.
    pub events: BTreeMap<EventKey, AlertEvent>,
    /// Answered keys that must not trigger again while their condition lasts.
    pub settled: BTreeMap<EventKey, SettledEvent>,
    /// When each pool (account, result type) was last invoked.
    pub last_invocations: BTreeMap<PoolKey, DateTime<Utc>>,
}

/// Why an e-mail went to the dealer admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum RedirectReason {
    /// No recipient the processing behaviour names has a valid address.
    NoValidRecipient,
    /// Every attempt to send it failed.
    Failed,
}

/// One invocation (first attempt or retry) of one action event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Invocation {
    /// The alert event.
    pub key: EventKey,
    /// The action definition.
    pub action: ActionDefinitionId,
    /// What to do.
    pub kind: ActionKind,
    /// The pool it was released from.
    pub pool: PoolKey,
    /// Which attempt, from 1.
    pub attempt: u32,
    /// When the tick decided it.
    pub at: DateTime<Utc>,
    /// The same for the same (event, action, attempt) on every tick and every server
    /// process: record it before carrying the invocation out, and carry out a key only
    /// once.
    pub idempotency_key: String,
    /// For an e-mail, who it goes to; empty for other kinds. Shared by every invocation
    /// of one (account, result type) in a tick.
    #[schema(value_type = Vec<String>)]
    pub recipients: Arc<[String]>,
}

/// An e-mail sent to the dealer admin instead of its recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Redirect {
    /// The alert event.
    pub key: EventKey,
    /// The action definition.
    pub action: ActionDefinitionId,
    /// Why.
    pub reason: RedirectReason,
    /// The device's dealer, whose admin it goes to.
    pub dealer: AccountId,
    /// The admin's address (the main dealer's admin when that dealer has none); `None`
    /// when nobody has a valid one, which the e-mail history must show.
    pub to: Option<String>,
    /// When the tick decided it.
    pub at: DateTime<Utc>,
    /// Stable per (event, action), as for [`Invocation::idempotency_key`].
    pub idempotency_key: String,
}

/// What a tick decided. The server records each decision, carries it out, and applies
/// it to its state with [`apply`]. The large variants are boxed: a first tick over a
/// large fleet makes millions of decisions, each as large as the largest variant, and
/// moving and paging in those bytes was a quarter of the tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    rename_all_fields = "kebab-case",
    rename_all = "kebab-case",
    tag = "decision"
)]
pub enum Decision {
    /// Archive an open event.
    ArchiveEvent {
        /// The event.
        key: EventKey,
        /// Why.
        reason: ArchiveReason,
        /// When.
        at: DateTime<Utc>,
    },
    /// The condition an answered event was about has ended: its key may trigger again.
    ForgetSettled {
        /// The key.
        key: EventKey,
    },
    /// A fresh reading still triggers an open event.
    #[serde(rename_all = "kebab-case")]
    UpdateEvent {
        /// The event.
        key: EventKey,
        /// The new last trigger time.
        at: DateTime<Utc>,
        /// The level in that reading.
        level: Option<u8>,
        /// The cartridge in that reading.
        cartridge: Option<String>,
        /// That reading's time.
        reading_at: DateTime<Utc>,
    },
    /// Open a new event (with no action events yet; they follow).
    OpenEvent(Box<AlertEvent>),
    /// Create the action event of one action definition for an open event.
    CreateActionEvent {
        /// The event.
        key: EventKey,
        /// The action definition.
        action: ActionDefinitionId,
    },
    /// Invoke an action for the first time.
    InvokeAction(Box<Invocation>),
    /// Invoke a failed action again.
    RetryAction(Box<Invocation>),
    /// Send an e-mail action to the dealer admin instead.
    RedirectAction(Box<Redirect>),
    /// Stop trying an action that failed on every attempt.
    GiveUpAction {
        /// The event.
        key: EventKey,
        /// The action definition.
        action: ActionDefinitionId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Record an event's new status.
    SetStatus {
        /// The event.
        key: EventKey,
        /// The status.
        status: AlertStatus,
    },
}

/// Carries a decision into the state, as the server does in its tables. Decisions about
/// an event that is no longer open change nothing, an event is opened only once, and an
/// action moves on only from the step the decision was taken at (an invocation of attempt
/// n only from waiting or from a failed attempt n − 1), so applying a decision again,
/// even after later ones, changes no workflow.
pub fn apply(state: &mut AsmState, decision: &Decision) {
    match decision {
        Decision::ArchiveEvent { key, reason, .. } => {
            if let Some(event) = state.events.remove(key)
                && reason.settles()
            {
                state.settled.insert(
                    key.clone(),
                    SettledEvent {
                        definition_fingerprint: event.definition_fingerprint,
                        cartridge: event.cartridge,
                        reading_at: event.reading_at,
                    },
                );
            }
        }
        Decision::ForgetSettled { key } => {
            state.settled.remove(key);
        }
        Decision::UpdateEvent {
            key,
            at,
            level,
            cartridge,
            reading_at,
        } => {
            if let Some(event) = state.events.get_mut(key) {
                event.last_triggered_at = *at;
                event.last_level = *level;
                event.cartridge.clone_from(cartridge);
                event.reading_at = *reading_at;
            }
        }
        Decision::OpenEvent(event) => {
            state.settled.remove(&event.key);
            state
                .events
                .entry(event.key.clone())
                .or_insert_with(|| AlertEvent::clone(event));
        }
        Decision::CreateActionEvent { key, action } => {
            if let Some(event) = state.events.get_mut(key) {
                event.actions.entry(*action).or_insert(ActionEvent {
                    action: *action,
                    progress: ActionProgress::Waiting,
                });
            }
        }
        Decision::InvokeAction(invocation) | Decision::RetryAction(invocation) => {
            if move_action(state, &invocation.key, invocation.action, decision) {
                state
                    .last_invocations
                    .insert(invocation.pool.clone(), invocation.at);
            }
        }
        Decision::RedirectAction(redirect) => {
            move_action(state, &redirect.key, redirect.action, decision);
        }
        Decision::GiveUpAction { key, action, .. } => {
            move_action(state, key, *action, decision);
        }
        Decision::SetStatus { key, status } => {
            if let Some(event) = state.events.get_mut(key) {
                event.status = *status;
            }
        }
    }
}

/// Moves an action event on as the decision says, when its current progress allows it;
/// whether it did.
fn move_action(
    state: &mut AsmState,
    key: &EventKey,
    action: ActionDefinitionId,
    decision: &Decision,
) -> bool {
    let Some(action_event) = state
        .events
        .get_mut(key)
        .and_then(|event| event.actions.get_mut(&action))
    else {
        return false;
    };
    let Some(progress) = moved_on(decision, action_event.progress) else {
        return false;
    };
    action_event.progress = progress;
    true
}

/// Where an action decision takes an action event from `current`: an invocation of
/// attempt n only from waiting (n = 1) or from a failed attempt n − 1, a redirect or a
/// give-up from any step not finished. `None` when it does not move it (or is no action
/// decision). [`apply`] and the tick's own bookkeeping both follow it.
pub(crate) fn moved_on(decision: &Decision, current: ActionProgress) -> Option<ActionProgress> {
    match decision {
        Decision::InvokeAction(invocation) | Decision::RetryAction(invocation) => {
            let attempt = invocation.attempt;
            let allowed = match current {
                ActionProgress::Waiting => attempt == 1,
                ActionProgress::Failed {
                    attempt: failed, ..
                } => attempt == failed + 1,
                _ => false,
            };
            allowed.then_some(ActionProgress::Invoked {
                attempt,
                at: invocation.at,
            })
        }
        Decision::RedirectAction(redirect) => {
            (!current.is_finished()).then_some(ActionProgress::Redirected { at: redirect.at })
        }
        Decision::GiveUpAction { at, .. } => {
            (!current.is_finished()).then_some(ActionProgress::GivenUp { at: *at })
        }
        _ => None,
    }
}

/// What the outside world reports between ticks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    rename_all_fields = "kebab-case",
    rename_all = "kebab-case",
    tag = "report"
)]
pub enum Report {
    /// A user approved an alert: its actions waiting for approval are released.
    Approved {
        /// The event.
        key: EventKey,
        /// Who.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
    },
    /// A user rejected an alert: the next tick archives it.
    Rejected {
        /// The event.
        key: EventKey,
        /// Who.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
    },
    /// An invocation was carried out.
    Succeeded {
        /// The event.
        key: EventKey,
        /// The action definition.
        action: ActionDefinitionId,
        /// The attempt that succeeded.
        attempt: u32,
        /// When.
        at: DateTime<Utc>,
    },
    /// An invocation failed.
    Failed {
        /// The event.
        key: EventKey,
        /// The action definition.
        action: ActionDefinitionId,
        /// The attempt that failed.
        attempt: u32,
        /// When.
        at: DateTime<Utc>,
    },
}

/// Why a report could not be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The event is not open (archived meanwhile, or never was).
    #[error("alert event {0} is not open")]
    NotOpen(EventKey),
    /// The alert was already approved or rejected.
    #[error("alert event {0} was already answered")]
    AlreadyAnswered(EventKey),
    /// The outcome is not for the attempt in flight (late or duplicate).
    #[error("alert event {key}: action {action} has no attempt {attempt} in flight")]
    NotInFlight {
        /// The event.
        key: EventKey,
        /// The action definition.
        action: ActionDefinitionId,
        /// The attempt reported.
        attempt: u32,
    },
}

/// Records a report in the state, as the server does in its tables.
pub fn record(state: &mut AsmState, report: &Report) -> Result<(), ReportError> {
    let key = match report {
        Report::Approved { key, .. }
        | Report::Rejected { key, .. }
        | Report::Succeeded { key, .. }
        | Report::Failed { key, .. } => key,
    };
    let event = state
        .events
        .get_mut(key)
        .ok_or_else(|| ReportError::NotOpen(key.clone()))?;
    match *report {
        Report::Approved { by, at, .. } | Report::Rejected { by, at, .. } => {
            if event.approval != Approval::Unanswered {
                return Err(ReportError::AlreadyAnswered(key.clone()));
            }
            event.approval = if matches!(report, Report::Approved { .. }) {
                Approval::Approved { by, at }
            } else {
                Approval::Rejected { by, at }
            };
        }
        Report::Succeeded {
            action,
            attempt,
            at,
            ..
        }
        | Report::Failed {
            action,
            attempt,
            at,
            ..
        } => {
            let action_event = event
                .actions
                .get_mut(&action)
                .filter(|found| {
                    matches!(found.progress, ActionProgress::Invoked { attempt: current, .. } if current == attempt)
                })
                .ok_or_else(|| ReportError::NotInFlight {
                    key: key.clone(),
                    action,
                    attempt,
                })?;
            action_event.progress = if matches!(report, Report::Succeeded { .. }) {
                ActionProgress::Done { at }
            } else {
                ActionProgress::Failed { attempt, at }
            };
        }
    }
    Ok(())
}
