//! placeholder
#![deny(missing_docs)]

pub mod actions;
pub mod definitions;
pub mod events;
pub mod facts;
pub mod filters;
pub mod frequency;
pub mod hierarchy;
pub mod ids;
pub mod preconditions;
pub mod recipients;
pub mod state;
pub mod tick;

pub use actions::{
    ActionDefinition, ActionEvent, ActionKind, ActionProgress, ActionTiming, OverdueFrom,
};
pub use definitions::{
    AlertDefinition, ConsumableType, DefinitionProblem, Interval, IntervalUnit, ServiceErrorState,
    Trigger,
};
pub use events::{AlertEvent, AlertStatus, Approval, ArchiveReason, EventKey, TriggerKey};
pub use facts::{ActiveError, ConsumableFact, DeviceFacts};
pub use filters::{Filter, FilterMethod, Joiner, Managed, VolumeComparison};
pub use frequency::PoolKey;
pub use hierarchy::{AccountNode, AccountTree};
pub use ids::{
    AccountId, ActionDefinitionId, ContactId, ContractId, DefinitionId, DeviceId, GroupId, UserId,
};
pub use preconditions::{Missing, ServerSetup, missing_preconditions};
pub use recipients::{
    Contacts, DealerRole, ProcessingBehaviour, Recipient, Resolution, is_plausible_email, resolve,
};
pub use state::{
    AsmState, Decision, Invocation, Redirect, RedirectReason, Report, ReportError, SettledEvent,
    apply, record,
};
pub use tick::{Inputs, Settings, tick};
