//! Action definitions (what an alert does, in which order, when) and action events
//! (how far one action of one alert event has got).
//!
//! From the source: non-approval actions are invoked when the alert first triggers;
//! actions that require approval after a user approves; immediate actions with the
//! first action; on-overdue actions once the overdue time has elapsed, "counting from
//! the moment the alert was firstly triggered or approved".
//!
//! The workflow of one action event: pending approval → approved → due → invoked
//! (attempt n) → done, or failed → retried up to the maximum attempts → given up; a
//! failed e-mail is then redirected to the dealer admin.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{ActionDefinitionId, WebhookEndpointId};

/// What kind of thing an action does. Open-ended: plugins add their own.
///
/// Written as `"email"`, `{"webhook": {"endpoint-id": 3}}`, `{"plugin": "erp"}` or
/// `"work-order"`. A bare `"webhook"`, as definitions said before webhooks named their
/// endpoint, still reads (as a webhook with no endpoint) so those definitions load; they
/// do not validate until they name one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum ActionKind {
    /// An e-mail to the recipients the processing behaviour names.
    Email,
    /// A signed HTTP POST to a webhook endpoint the dealer configured.
    Webhook {
        /// The endpoint; `None` only in a definition written before webhooks named one.
        endpoint_id: Option<WebhookEndpointId>,
    },
    /// An action a plugin implements (an ERP purchase order, a service-desk ticket), by
    /// the plugin's name.
    Plugin(String),
    /// A work order in Quire itself.
    WorkOrder,
}

impl<'de> Deserialize<'de> for ActionKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// The kinds as written today.
        #[derive(Deserialize)]
        #[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
        enum Written {
            Email,
            Webhook { endpoint_id: WebhookEndpointId },
            Plugin(String),
            WorkOrder,
        }
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.as_str() == Some("webhook") {
            return Ok(ActionKind::Webhook { endpoint_id: None });
        }
        Ok(
            match Written::deserialize(value).map_err(serde::de::Error::custom)? {
                Written::Email => ActionKind::Email,
                Written::Webhook { endpoint_id } => ActionKind::Webhook {
                    endpoint_id: Some(endpoint_id),
                },
                Written::Plugin(name) => ActionKind::Plugin(name),
                Written::WorkOrder => ActionKind::WorkOrder,
            },
        )
    }
}

/// Where an on-overdue action's overdue time counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum OverdueFrom {
    /// From when the alert first triggered.
    FirstTrigger,
    /// From when a user approved the alert (only for actions requiring approval).
    Approval,
}

/// When an action becomes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum ActionTiming {
    /// With the first action: on first trigger, or on approval if it requires one.
    Immediate,
    /// As an escalation, once the overdue interval has elapsed.
    OnOverdue {
        /// Where the interval counts from.
        from: OverdueFrom,
    },
}

/// One action of an alert definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ActionDefinition {
    /// Its id.
    pub id: ActionDefinitionId,
    /// Its place in the definition's list (the first, the second, …).
    pub ordinal: u32,
    /// What it does.
    pub kind: ActionKind,
    /// What it produces (`email`, `xml`, `purchase-order`): alerts frequency pools and
    /// processing behaviours are per result type.
    pub result_type: String,
    /// Whether a user must approve the alert before it runs.
    pub requires_approval: bool,
    /// When it becomes due.
    pub timing: ActionTiming,
    /// How many times it is tried before it is given up (at least 1).
    pub max_attempts: u32,
}

impl ActionDefinition {
    /// When the action becomes due for an alert first triggered at `first_triggered_at`
    /// and approved at `approved_at`; `None` while it waits for an approval.
    pub fn due_at(
        &self,
        first_triggered_at: DateTime<Utc>,
        approved_at: Option<DateTime<Utc>>,
        overdue: chrono::Duration,
    ) -> Option<DateTime<Utc>> {
        let released_at = if self.requires_approval {
            approved_at?
        } else {
            first_triggered_at
        };
        Some(match self.timing {
            ActionTiming::Immediate => released_at,
            ActionTiming::OnOverdue {
                from: OverdueFrom::FirstTrigger,
            } => released_at.max(first_triggered_at + overdue),
            ActionTiming::OnOverdue {
                from: OverdueFrom::Approval,
            } => released_at + overdue,
        })
    }
}

/// How far one action event has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    rename_all_fields = "kebab-case",
    rename_all = "kebab-case",
    tag = "stage"
)]
pub enum ActionProgress {
    /// Not invoked yet: waiting for approval, its due time or its frequency pool.
    Waiting,
    /// Handed to the server; its outcome is not known yet.
    Invoked {
        /// Which attempt (from 1).
        attempt: u32,
        /// When.
        at: DateTime<Utc>,
    },
    /// The attempt failed; retried while attempts remain.
    Failed {
        /// Which attempt failed.
        attempt: u32,
        /// When it was reported.
        at: DateTime<Utc>,
    },
    /// Performed.
    Done {
        /// When it was reported.
        at: DateTime<Utc>,
    },
    /// An e-mail sent to the dealer admin instead (failed, or no valid recipient).
    Redirected {
        /// When.
        at: DateTime<Utc>,
    },
    /// Failed on every attempt and not an e-mail, so nothing more can be done.
    GivenUp {
        /// When.
        at: DateTime<Utc>,
    },
}

impl ActionProgress {
    /// Whether the workflow of this action has ended.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            ActionProgress::Done { .. }
                | ActionProgress::Redirected { .. }
                | ActionProgress::GivenUp { .. }
        )
    }

    /// Whether it was invoked at least once (the alert counts as submitted).
    pub fn was_invoked(self) -> bool {
        !matches!(self, ActionProgress::Waiting)
    }
}

/// One action definition applied to one alert event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ActionEvent {
    /// The action definition it carries out.
    pub action: ActionDefinitionId,
    /// How far it has got.
    pub progress: ActionProgress,
}
