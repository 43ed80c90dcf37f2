//! Quire's server: enrolls agents, hands them their configuration, files their readings
//! exactly once, and serves the REST API people and the console use — over HTTPS only.
//!
//! It owns the HTTP side (axum on hyper, rustls) and the checks every call passes
//! (who is asking, which accounts they may see); what is stored and how is `quire-store`,
//! what agents and server say to each other is `quire-protocol`.
//!
//! [`Server`] is the configuration; [`Server::start`] runs it in the caller's runtime and
//! returns a [`Running`] with the bound address and the certificate's fingerprint, so
//! `quire server`, `quire demo` and the tests all run the same thing in-process.
//!
//! # Secrets
//!
//! Passwords are stored as argon2 hashes. Session tokens, enrollment keys and agent
//! secrets are 256-bit random values, so a plain SHA-256 of them is as good as a slow
//! hash and keeps every agent call cheap; only hashes reach the database.

mod agent_api;
pub mod asm;
pub mod calculated;
pub mod client;
mod connections;
mod console;

/// The REST API's request and answer bodies, for a client to send and read (the agent
/// API's are `quire-protocol`'s; `quire admin` is one), so both sides read one
/// definition; the OpenAPI document is generated from them.
pub mod api {
    pub use crate::plugins_api::{PluginView, RollbackView};
    pub use crate::rest::LOGIN_PATH;
    pub use crate::rest::accounts::{AccountView, CheckIn, NewAccount};
    pub use crate::rest::agents::AgentView;
    pub use crate::rest::contracts::{ContractTermsBody, ContractView, DeviceContract};
    pub use crate::rest::costs::{
        AccountCostView, CostLineView, DeviceCostView, RateSource, RateView, ResolvedRateView,
    };
    pub use crate::rest::devices::{
        AddressView, AlertView, DeviceView, ReadingView, ReplacementView, SupplyPoint,
    };
    pub use crate::rest::emails::EmailView;
    pub use crate::rest::keys::{KeyView, NewKey};
    pub use crate::rest::maintenance::{
        AccountServiceSettings, ConditionView, DeviceMaintenance, DeviceRef, EffectiveRates,
        FieldServiceGroup, InheritedRate, LabourRatesView, MaintenanceView, Money,
        ServiceSettingsView, SkillGroup,
    };
    pub use crate::rest::readings::{RereadView, VersionView};
    pub use crate::rest::sessions::{Login, Me, Session};
    pub use crate::rest::sessions::{PasswordChange, SessionView};
    pub use crate::rest::sites::{NewSite, SiteView};
    pub use crate::rest::users::{Disabled, NewPassword, NewRole, NewUser, UserView};
    pub use crate::rest::webhooks::{WebhookDeliveryView, WebhookEndpointView, WebhookSecretView};
    pub use crate::rest::work_orders::{
        NewWorkOrder, PartView, StatusChange, WorkOrderChangeView, WorkOrderView,
    };
    pub use crate::secrets::IssuedKey;
    pub use quire_protocol::{ApiError, AuthProtocol, CredentialSpec, PrivacyProtocol, SiteRange};
    pub use quire_schedule::ScheduleConfig;
    pub use quire_store::{EmailStatus, Role, WorkOrderStatus};
    pub use quire_usage::costs::{Scope, UnpricedCounter};
    pub use quire_usage::pages::MeterRead;
}
pub mod depot;
mod error;
mod limits;
mod log_text;
mod logins;
pub mod mailer;
pub mod maintenance;
mod metrics;
mod openapi;
mod pages;
pub mod periodic;
mod plugins_api;
pub mod reinterpret;
mod rest;
pub mod retention;
mod retry;
mod routes;
mod secrets;
mod secrets_key;
mod server;
mod state;
mod stored;
mod supplies;
mod tls;
pub mod webhooks;
mod words;

pub use crate::connections::ConnectionLimits;
pub use crate::error::{Error, Result};
pub use crate::logins::LoginLimits;
pub use crate::openapi::openapi_json;
pub use crate::retention::RawRetention;
pub use crate::routes::{app, registered_routes};
pub use crate::secrets::{IssuedKey, issue_enrollment_key};
pub use crate::server::{Running, Server};
pub use crate::state::AppState;
