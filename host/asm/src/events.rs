//! Alert events: one per (definition, device, trigger key), from first trigger to
//! archive, and the status derived from its action events and the time.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::{ActionEvent, ActionProgress};
use crate::definitions::AlertDefinition;
use crate::ids::{AccountId, ActionDefinitionId, DefinitionId, DeviceId, UserId};

/// What on a device triggered: a consumable (by its position) or an error state. The
/// text is shared, not owned: every decision about an event carries its key, and a first
/// tick over 100,000 devices makes two million of them.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum TriggerKey {
    /// A consumable, by [`crate::ConsumableFact::position`].
    #[schema(value_type = String)]
    Consumable(Arc<str>),
    /// A printer error state.
    #[schema(value_type = String)]
    ErrorState(Arc<str>),
}

/// What identifies an open alert event: at most one is open per key.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub struct EventKey {
    /// The definition that raised it.
    pub definition: DefinitionId,
    /// The device.
    pub device: DeviceId,
    /// What triggered.
    pub trigger: TriggerKey,
}

/// `{definition}/{device}/consumable:{position}` or `…/error-state:{state}`. Numbers are
/// written with `itoa`: every action's idempotency key starts with this, two million of
/// them in a first tick over a large fleet.
impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut numbers = itoa::Buffer::new();
        f.write_str(numbers.format(self.definition.0))?;
        f.write_str("/")?;
        f.write_str(numbers.format(self.device.0))?;
        match &self.trigger {
            TriggerKey::Consumable(position) => {
                f.write_str("/consumable:")?;
                f.write_str(position)
            }
            TriggerKey::ErrorState(state) => {
                f.write_str("/error-state:")?;
                f.write_str(state)
            }
        }
    }
}

/// A user's answer to an alert whose actions need approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    rename_all_fields = "kebab-case",
    rename_all = "kebab-case",
    tag = "answer"
)]
pub enum Approval {
    /// No answer yet.
    Unanswered,
    /// Approved: every action waiting for approval is released.
    Approved {
        /// Who.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Rejected: the alert is archived.
    Rejected {
        /// Who.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
    },
}

impl Approval {
    /// When it was approved, if it was.
    pub fn approved_at(self) -> Option<DateTime<Utc>> {
        match self {
            Approval::Approved { at, .. } => Some(at),
            _ => None,
        }
    }
}

/// The alert status the console shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum AlertStatus {
    /// Triggered; an action needs a user's approval before anything is done.
    WaitingForApproval,
    /// Triggered; nothing done yet.
    Alert,
    /// At least one action has been invoked.
    Submitted,
    /// Past its overdue interval with nothing invoked yet.
    Overdue,
    /// Past its overdue interval, some actions invoked, not all finished.
    SubmittedAndOverdue,
    /// No longer open; see its [`ArchiveReason`].
    Archived,
}

/// Why an event was archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum ArchiveReason {
    /// Every action's workflow ended. The key does not trigger again until its
    /// condition ends (see [`crate::SettledEvent`]).
    AllActionsFinished,
    /// The consumable level rose back above the threshold.
    LevelRecovered,
    /// The consumable was replaced; a new drop opens a new event.
    SupplyReplaced,
    /// The error state (or the console message) is no longer present.
    ErrorCleared,
    /// The device's last reading is older than the stale interval.
    Stale,
    /// A critical parameter of the definition or its actions changed.
    CriticalChange,
    /// A user rejected the alert. Like a finished one, it does not trigger again until
    /// its condition ends.
    Rejected,
    /// The definition was deleted or no longer validates.
    DefinitionRemoved,
    /// The device is gone from the inventory.
    DeviceRemoved,
}

impl ArchiveReason {
    /// Whether the alert was answered (finished or rejected) rather than resolved: such
    /// a key must not trigger again while the same condition lasts.
    pub fn settles(self) -> bool {
        matches!(
            self,
            ArchiveReason::AllActionsFinished | ArchiveReason::Rejected
        )
    }
}

/// An open alert event and its action events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AlertEvent {
    /// What it is about.
    pub key: EventKey,
    /// The device's account when it opened: pools its actions and finds its recipients.
    pub account: AccountId,
    /// The definition's critical fingerprint when it opened.
    pub definition_fingerprint: u64,
    /// When it first triggered.
    pub first_triggered_at: DateTime<Utc>,
    /// The consumable level then (`None` for a service alert).
    pub first_level: Option<u8>,
    /// When it last triggered (the last fresh reading that still triggers).
    pub last_triggered_at: DateTime<Utc>,
    /// The consumable level then.
    pub last_level: Option<u8>,
    /// The cartridge it is about, to notice a replacement.
    pub cartridge: Option<String>,
    /// The device's reading time it last took into account, so an old reading is not
    /// counted twice.
    pub reading_at: DateTime<Utc>,
    /// A user's answer, if any.
    pub approval: Approval,
    /// The status as last recorded.
    pub status: AlertStatus,
    /// Its action events, by action definition (the id as the JSON key).
    #[schema(value_type = BTreeMap<String, ActionEvent>)]
    pub actions: BTreeMap<ActionDefinitionId, ActionEvent>,
}

impl AlertEvent {
    /// Whether every action of the definition has an action event whose workflow ended.
    pub fn all_actions_finished(&self, definition: &AlertDefinition) -> bool {
        all_finished(definition, |action| self.progress(action))
    }

    /// The status at `now`: overdue once `now − first trigger` exceeds the overdue
    /// interval while not every action is finished; submitted once any action was
    /// invoked; waiting for approval while nothing was invoked and an action needs an
    /// approval not yet given.
    pub fn status_at(&self, definition: &AlertDefinition, now: DateTime<Utc>) -> AlertStatus {
        let submitted = self
            .actions
            .values()
            .any(|event| event.progress.was_invoked());
        self.status_with(definition, now, |action| self.progress(action), submitted)
    }

    fn progress(&self, action: ActionDefinitionId) -> Option<ActionProgress> {
        self.actions.get(&action).map(|event| event.progress)
    }

    /// [`AlertEvent::status_at`] with its action events' progress as `progress` says and
    /// `submitted` telling whether any was invoked: the status once a tick's decisions
    /// are applied, which the tick works out without applying them to a copy.
    pub(crate) fn status_with(
        &self,
        definition: &AlertDefinition,
        now: DateTime<Utc>,
        progress: impl Fn(ActionDefinitionId) -> Option<ActionProgress>,
        submitted: bool,
    ) -> AlertStatus {
        let overdue = now - self.first_triggered_at > definition.overdue.duration()
            && !all_finished(definition, progress);
        let waiting = self.approval.approved_at().is_none()
            && definition
                .actions
                .iter()
                .any(|action| action.requires_approval);
        match (submitted, overdue) {
            (true, true) => AlertStatus::SubmittedAndOverdue,
            (false, true) => AlertStatus::Overdue,
            (true, false) => AlertStatus::Submitted,
            (false, false) if waiting => AlertStatus::WaitingForApproval,
            (false, false) => AlertStatus::Alert,
        }
    }
}

fn all_finished(
    definition: &AlertDefinition,
    progress: impl Fn(ActionDefinitionId) -> Option<ActionProgress>,
) -> bool {
    definition
        .actions
        .iter()
        .all(|action| progress(action.id).is_some_and(ActionProgress::is_finished))
}
