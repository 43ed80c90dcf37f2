//! Consumable and service alert definitions: what triggers, for whom, when an alert is
//! overdue or stale, which devices it looks at and what it does.

use chrono::Duration;
use quire_model::ErrorGroup;
use serde::{Deserialize, Serialize};

use crate::actions::{ActionDefinition, ActionKind, ActionTiming, OverdueFrom};
use crate::filters::{Filter, FilterMethod, VolumeComparison};
use crate::hierarchy::AccountTree;
use crate::ids::{AccountId, DefinitionId};

/// The units a dealer picks an overdue or stale interval in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum IntervalUnit {
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
    /// Weeks.
    Weeks,
}

/// An interval as the dealer entered it (type and value), kept so it shows as entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Interval {
    /// The unit.
    pub unit: IntervalUnit,
    /// How many of them; zero is refused by [`AlertDefinition::validate`].
    pub value: u32,
}

impl Interval {
    /// The interval as a duration.
    pub fn duration(self) -> Duration {
        let value = i64::from(self.value);
        match self.unit {
            IntervalUnit::Minutes => Duration::minutes(value),
            IntervalUnit::Hours => Duration::hours(value),
            IntervalUnit::Days => Duration::days(value),
            IntervalUnit::Weeks => Duration::weeks(value),
        }
    }
}

/// The consumable a consumable alert watches.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum ConsumableType {
    /// Toner.
    Toner,
    /// Ink.
    Ink,
    /// Solid ink (wax).
    Wax,
    /// Fuser.
    Fuser,
    /// Transfer belt or roller.
    Transfer,
    /// Drum (photoconductor).
    Drum,
    /// Maintenance kit.
    MaintenanceKit,
    /// Waste toner or ink container.
    Waste,
    /// A consumable a plugin raises under its own name, matched by that name
    /// (case-insensitively).
    Custom(String),
}

impl ConsumableType {
    /// Whether a device's consumable is the kind this definition watches.
    pub fn matches(&self, actual: &ConsumableType) -> bool {
        match (self, actual) {
            (ConsumableType::Custom(wanted), ConsumableType::Custom(actual)) => {
                wanted.to_lowercase() == actual.to_lowercase()
            }
            _ => self == actual,
        }
    }
}

/// A printer error state as a service definition selects it: from one of the groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ServiceErrorState {
    /// The group it was picked from; a device's state matches only in the same group.
    pub group: ErrorGroup,
    /// The state.
    /// The ASM printer error state as strategies' `map-error` names it, kebab-case
    /// (`paper-jam`, `door-open`, `toner-empty`): what the malfunctions of a reading carry.
    pub state: String,
}

/// What makes a definition trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum Trigger {
    /// A consumable level strictly below the threshold triggers; strictly above it
    /// recovers (the source: "levels lower than the threshold" and "became higher than
    /// the Alert Threshold"); exactly at it neither.
    #[serde(rename_all = "kebab-case")]
    Consumable {
        /// The consumable watched.
        consumable: ConsumableType,
        /// The alert threshold (minimum), percent.
        threshold_percent: u8,
    },
    /// Any of these error states active on the device triggers, one event per state;
    /// with a console message, only while the device's console text contains it
    /// (case-insensitively).
    #[serde(rename_all = "kebab-case")]
    Service {
        /// The states watched.
        states: Vec<ServiceErrorState>,
        /// Text the console message must contain.
        console_message: Option<String>,
    },
}

/// A consumable or service alert definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AlertDefinition {
    /// Its id.
    pub id: DefinitionId,
    /// The dealer's name for it.
    pub name: String,
    /// The dealer account that owns it.
    pub owner: AccountId,
    /// Whether it reaches the owner's whole hierarchy or only the owner's own devices.
    pub hierarchical: bool,
    /// What triggers it.
    pub trigger: Trigger,
    /// After this long since first triggering, an unfinished alert is overdue (and
    /// on-overdue actions become due).
    pub overdue: Interval,
    /// A device whose last reading is older than this no longer keeps its alerts open.
    pub stale: Interval,
    /// Which devices it looks at, in linear precedence.
    pub filters: Vec<Filter>,
    /// What it does, by ordinal.
    pub actions: Vec<ActionDefinition>,
}

/// One thing wrong with a definition, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DefinitionProblem {
    /// The field, as a path (`actions[1].max-attempts`).
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

/// The parameters whose change archives the events a definition raised: everything
/// that decides what triggers, where, when and what is done. Its name is not.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct CriticalParameters<'a> {
    owner: AccountId,
    hierarchical: bool,
    trigger: &'a Trigger,
    overdue: Interval,
    stale: Interval,
    filters: &'a [Filter],
    actions: &'a [ActionDefinition],
}

impl AlertDefinition {
    /// Everything wrong with the definition; empty when it can be saved. A definition
    /// with problems is never run.
    pub fn validate(&self, tree: &AccountTree) -> Vec<DefinitionProblem> {
        let mut problems = Vec::new();
        let mut problem = |field: String, text: &str| {
            problems.push(DefinitionProblem {
                field,
                problem: text.to_owned(),
            })
        };
        if self.name.trim().is_empty() {
            problem("name".into(), "is empty");
        }
        if !tree.is_dealer(self.owner) {
            problem("owner".into(), "is not a dealer account");
        }
        match &self.trigger {
            Trigger::Consumable {
                consumable,
                threshold_percent,
            } => {
                if !(1..=100).contains(threshold_percent) {
                    problem(
                        "trigger.threshold-percent".into(),
                        "must be 1 to 100 (no level is below 0)",
                    );
                }
                if let ConsumableType::Custom(name) = consumable
                    && name.trim().is_empty()
                {
                    problem("trigger.consumable".into(), "custom consumable has no name");
                }
            }
            Trigger::Service {
                states,
                console_message,
            } => {
                if states.is_empty() {
                    problem("trigger.states".into(), "no printer error state chosen");
                }
                for (index, chosen) in states.iter().enumerate() {
                    let kebab = !chosen.state.is_empty()
                        && chosen
                            .state
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    if !kebab {
                        problem(
                            format!("trigger.states[{index}].state"),
                            "a printer error state is named in kebab-case, as strategies assess it (paper-jam)",
                        );
                    }
                }
                if console_message
                    .as_deref()
                    .is_some_and(|text| text.trim().is_empty())
                {
                    problem("trigger.console-message".into(), "is empty");
                }
            }
        }
        for (field, interval) in [("overdue", self.overdue), ("stale", self.stale)] {
            if interval.value == 0 {
                problem(format!("{field}.value"), "must be more than zero");
            }
        }
        for (index, filter) in self.filters.iter().enumerate() {
            let field = format!("filters[{index}].method");
            match &filter.method {
                FilterMethod::ContractType(text)
                | FilterMethod::Manufacturer(text)
                | FilterMethod::ModelFamily(text)
                | FilterMethod::CustomModel(text)
                | FilterMethod::Model(text)
                    if text.trim().is_empty() =>
                {
                    problem(field, "has no value");
                }
                FilterMethod::DailyAverageVolume(comparison)
                | FilterMethod::MonthlyAverageVolume(comparison) => {
                    let (low, high) = match *comparison {
                        VolumeComparison::AtLeast(low) => (low, f64::INFINITY),
                        VolumeComparison::AtMost(high) => (0.0, high),
                        VolumeComparison::Between { low, high } => (low, high),
                    };
                    if !(low >= 0.0 && low <= high) {
                        problem(field, "volume bounds must be non-negative and low ≤ high");
                    }
                }
                _ => {}
            }
        }
        if self.actions.is_empty() {
            problem("actions".into(), "at least one action is required");
        }
        let first_ordinal = self.actions.iter().map(|action| action.ordinal).min();
        for (index, action) in self.actions.iter().enumerate() {
            let field = |name: &str| format!("actions[{index}].{name}");
            if self.actions[..index]
                .iter()
                .any(|other| other.ordinal == action.ordinal)
            {
                problem(field("ordinal"), "is used by another action");
            }
            if self.actions[..index]
                .iter()
                .any(|other| other.id == action.id)
            {
                problem(field("id"), "is used by another action");
            }
            if action.max_attempts == 0 {
                problem(field("max-attempts"), "must be at least 1");
            }
            if action.result_type.trim().is_empty() {
                problem(field("result-type"), "is empty");
            }
            match &action.kind {
                ActionKind::Plugin(name) if name.trim().is_empty() => {
                    problem(field("kind"), "plugin has no name");
                }
                ActionKind::Webhook { endpoint_id: None } => problem(
                    field("kind"),
                    "a webhook names the endpoint it calls: {\"webhook\": {\"endpoint-id\": ID}}",
                ),
                _ => {}
            }
            if Some(action.ordinal) == first_ordinal
                && matches!(action.timing, ActionTiming::OnOverdue { .. })
            {
                problem(
                    field("timing"),
                    "the first action runs when the alert triggers, not on overdue",
                );
            }
            if action.timing
                == (ActionTiming::OnOverdue {
                    from: OverdueFrom::Approval,
                })
                && !action.requires_approval
            {
                problem(
                    field("timing"),
                    "counts from approval but the action does not require approval",
                );
            }
        }
        problems
    }

    /// A fingerprint of the critical parameters (everything but the name). An event
    /// remembers the fingerprint it was raised under; when it changes the event is
    /// archived (unless turned off in [`crate::Settings`]). FNV-1a over the parameters'
    /// JSON, so it stays the same across Rust releases and can be stored.
    pub fn critical_fingerprint(&self) -> u64 {
        let critical = CriticalParameters {
            owner: self.owner,
            hierarchical: self.hierarchical,
            trigger: &self.trigger,
            overdue: self.overdue,
            stale: self.stale,
            filters: &self.filters,
            actions: &self.actions,
        };
        let json = serde_json::to_vec(&critical).expect("definitions serialise to JSON");
        json.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
}
