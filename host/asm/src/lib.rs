//! ASM (Adaptive Service Management) as pure logic over a clock: dealer-defined
//! consumable and service alerts, which devices they reach, the alert events they raise,
//! and the actions those events run. It does no I/O and reads no clock: every function
//! takes `now`, the store feeds it rows, and it returns what must be done.
//!
//! # The model (FMAudit's ASM help, "Definitions used by ASM" and "Important Remarks")
//!
//! - An [`AlertDefinition`] is a consumable alert (consumable type and threshold) or a
//!   service alert (printer error states from the device, supply, paper and tray groups,
//!   and an optional console message), owned by a dealer, hierarchical or not, with
//!   overdue and stale intervals, [`filters`] in linear precedence, and ordered
//!   [`ActionDefinition`]s. [`AlertDefinition::validate`] names every wrong field.
//! - Which accounts a definition reaches follows the source's four hierarchy rules
//!   ([`hierarchy`]).
//! - An [`AlertEvent`] is "uniquely identified by the alert definition, the device and
//!   the consumable type or the printer error state" ([`EventKey`]). It is archived when
//!   all its actions are done, the level recovers, the supply is replaced ("if the
//!   consumable goes below a predefined alert level shortly after it was replaced, a new
//!   alert triggers and a new alert event is created"), the error state clears, the stale
//!   period passes, or a critical parameter of its definition changes (unless
//!   [`Settings::archive_on_critical_change`] is off). A finished or rejected event
//!   keeps its key from triggering again until its condition ends ([`SettledEvent`]).
//! - An [`ActionEvent`] per (alert event, action definition) tracks the workflow
//!   ([`actions`]); its status derives from its action events and the time
//!   ([`AlertEvent::status_at`]).
//! - Alerts frequency pools due actions per (account, result type) ([`frequency`]);
//!   processing behaviours decide who receives, and e-mails with no valid recipient or
//!   that failed every attempt go to the dealer admin ([`recipients`]).
//! - A consumable's part cost comes from dealer- or supplier-specific values by the
//!   administrator's rule ([`part_costs`]); e-mails are written from dealers' templates
//!   ([`templates`]).
//! - [`missing_preconditions`] lists what must be configured before alerts can be defined.
//!
//! # How the server drives it
//!
//! Each scheduler run (one process at a time) loads [`Inputs`] from the store and calls
//! [`tick`]. It then, decision by decision and in the order given: records the decision
//! (its [`Invocation::idempotency_key`] or [`Redirect::idempotency_key`], stable per
//! event, action and attempt, as a unique key), mirrors [`apply`] in its tables, and only
//! then carries out invocations and redirects, reporting each outcome back with
//! [`record`] (as it does a user's approval or rejection). Recording before carrying out
//! means a crash neither loses an action (the recorded, uncarried decision is found and
//! carried out on restart) nor repeats one (a key already carried out is skipped); and
//! since a tick on the applied state decides no invocation twice, re-running a tick is
//! harmless.
//!
//! # Dependencies
//!
//! Besides serde and chrono: `rust_decimal`, since a part cost such as 89.90 must stay
//! exact as the rest of Quire's money does; and `minijinja` for dealers' e-mail
//! templates, a small, well-kept engine of the Jinja syntax dealers may know, with
//! strict undefined values, line numbers in its errors and a fuel limit, and no I/O.
#![deny(missing_docs)]

pub mod actions;
pub mod definitions;
pub mod events;
pub mod facts;
pub mod filters;
pub mod frequency;
pub mod hierarchy;
pub mod ids;
pub mod part_costs;
pub mod preconditions;
pub mod recipients;
pub mod state;
pub mod templates;
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
    AccountId, ActionDefinitionId, ContactId, ContractId, DefinitionId, DeviceId, GroupId,
    SupplierId, UserId, WebhookEndpointId,
};
pub use part_costs::{CostRule, CostSetting, CostSource, PartCost, PriceBook, part_cost};
pub use preconditions::{Missing, ServerSetup, missing_preconditions};
pub use recipients::{
    Contacts, DealerRole, ProcessingBehaviour, Recipient, Resolution, is_plausible_email, resolve,
};
pub use state::{
    AsmState, Decision, Invocation, Redirect, RedirectReason, Report, ReportError, SettledEvent,
    apply, record,
};
pub use templates::{
    AlertFields, DeviceFields, EmailTemplate, RenderedEmail, TemplateKind, TemplateProblem,
    TemplateSource,
};
pub use tick::{Inputs, Settings, tick};
