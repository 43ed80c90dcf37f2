//! The maintenance dashboard (which devices need whom, since when) and the service
//! settings work orders are priced and closed by.

use std::str::FromStr;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use quire_model::{AssessmentSeverity, ErrorGroup, ErrorSource, SkillLevel};
use quire_store::{
    Account, AccountId, Inherited, LabourRates, MaintenanceFilter, MaintenanceItem, ServiceSettings,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::state::AppState;

use super::{Caller, ListQuery, Visible, page};

/// An amount of money as decimal text (`12.50`): exact in base ten, where a JSON number
/// read as a float is not. Not negative; at most 28 significant digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub Decimal);

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    /// Text only: a JSON number may already have lost digits on the way.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let refused = || {
            serde::de::Error::custom(format!(
                "`{text}` is not an amount such as `12.50` (decimal text, not below zero)"
            ))
        };
        let plain = !text.is_empty()
            && text.chars().all(|c| c.is_ascii_digit() || c == '.')
            && text.chars().filter(|&c| c == '.').count() <= 1;
        if !plain {
            return Err(refused());
        }
        Decimal::from_str(&text).map(Money).map_err(|_| refused())
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[0-9]*\.?[0-9]+$"))
            .description(Some("An amount as decimal text, not below zero"))
            .examples([serde_json::json!("12.50")])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

/// The dashboard's query string: filters that must all hold, and the page of conditions.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct MaintenanceQuery {
    /// Only this account's devices.
    account_id: Option<i64>,
    /// Only conditions needing this skill.
    #[param(inline)]
    skill: Option<SkillLevel>,
    /// Only conditions that need (true) or do not need (false) a field-service visit.
    field_service: Option<bool>,
    /// Conditions of the page, longest waiting first: 1 to 1000, 100 when not given.
    limit: Option<u32>,
    /// Conditions skipped before the page.
    offset: Option<u64>,
}

/// The devices that need maintenance, arranged for two ways of dispatching: by who can
/// fix it, and by whether a field-service visit is needed. Both hold the same page of
/// conditions, the longest waiting first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MaintenanceView {
    /// The time waits are measured to.
    pub at: DateTime<Utc>,
    /// By skill level, the most demanding first; a device appears under each skill its
    /// conditions need, with those conditions.
    pub by_skill: Vec<SkillGroup>,
    /// Field service needed first, then not.
    pub by_field_service: Vec<FieldServiceGroup>,
}

/// The devices waiting for one skill level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SkillGroup {
    /// Who can fix these.
    pub skill: SkillLevel,
    /// The devices, the longest waiting first.
    pub devices: Vec<DeviceMaintenance>,
}

/// The devices that do, or do not, need a field-service visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct FieldServiceGroup {
    /// Whether these need a visit.
    pub field_service: bool,
    /// The devices, the longest waiting first.
    pub devices: Vec<DeviceMaintenance>,
}

/// One device and what it is waiting for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DeviceMaintenance {
    /// Which device.
    pub device: DeviceRef,
    /// Its conditions in this group, the longest waiting first.
    pub conditions: Vec<ConditionView>,
}

/// Enough of a device to find it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DeviceRef {
    pub id: i64,
    pub account_id: i64,
    pub site_id: Option<i64>,
    pub serial: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
}

/// One ASM error state a device shows, how long it has, and what fixing it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ConditionView {
    /// The ASM printer error state (`paper-jam`, `service-call`, …).
    pub state: String,
    pub group: ErrorGroup,
    /// The most severe of its inputs' assessments.
    pub severity: AssessmentSeverity,
    /// The most skilled they ask for.
    pub skill: SkillLevel,
    /// Whether any asks for a field-service visit.
    pub field_service: bool,
    /// The longest repair estimate among them, in minutes.
    pub estimated_minutes: u32,
    /// The alert rows and error bits of the latest reading assessed so: what a work
    /// order is created from.
    pub inputs: Vec<ErrorSource>,
    /// When the first reading of its unbroken run was taken.
    pub since: DateTime<Utc>,
    /// Seconds from `since` to the answer's `at`.
    pub waiting_seconds: i64,
    /// The first reading of the run, while it is kept.
    pub since_reading_id: Option<i64>,
    /// The latest reading that showed it, while it is kept.
    pub reading_id: Option<i64>,
}

impl ConditionView {
    fn of(item: &MaintenanceItem, at: DateTime<Utc>) -> ConditionView {
        let c = &item.condition;
        ConditionView {
            state: c.state.clone(),
            group: c.group,
            severity: c.severity,
            skill: c.skill,
            field_service: c.field_service,
            estimated_minutes: c.estimated_minutes,
            inputs: c.inputs.clone(),
            since: c.since,
            waiting_seconds: (at - c.since).num_seconds().max(0),
            since_reading_id: c.since_reading_id.map(|r| r.0),
            reading_id: c.reading_id.map(|r| r.0),
        }
    }
}

/// The items of one group as devices with their conditions, in the items' order.
fn by_device<'i>(
    items: impl Iterator<Item = &'i MaintenanceItem>,
    at: DateTime<Utc>,
) -> Vec<DeviceMaintenance> {
    let mut devices: Vec<DeviceMaintenance> = Vec::new();
    for item in items {
        let id = item.condition.device_id.0;
        let condition = ConditionView::of(item, at);
        match devices.iter_mut().find(|d| d.device.id == id) {
            Some(device) => device.conditions.push(condition),
            None => devices.push(DeviceMaintenance {
                device: DeviceRef {
                    id,
                    account_id: item.account_id.0,
                    site_id: item.site_id.map(|s| s.0),
                    serial: item.serial.clone(),
                    manufacturer: item.manufacturer.clone(),
                    model: item.model.clone(),
                },
                conditions: vec![condition],
            }),
        }
    }
    devices
}

/// The dashboard of `items` (already in the page's order) at `at`.
fn dashboard(items: &[MaintenanceItem], at: DateTime<Utc>) -> MaintenanceView {
    let skills = [
        SkillLevel::Specialist,
        SkillLevel::Technician,
        SkillLevel::KeyOperator,
        SkillLevel::Anyone,
    ];
    let by_skill = skills
        .into_iter()
        .map(|skill| SkillGroup {
            skill,
            devices: by_device(items.iter().filter(|i| i.condition.skill == skill), at),
        })
        .filter(|group| !group.devices.is_empty())
        .collect();
    let by_field_service = [true, false]
        .into_iter()
        .map(|field_service| FieldServiceGroup {
            field_service,
            devices: by_device(
                items
                    .iter()
                    .filter(|i| i.condition.field_service == field_service),
                at,
            ),
        })
        .filter(|group| !group.devices.is_empty())
        .collect();
    MaintenanceView {
        at,
        by_skill,
        by_field_service,
    }
}

/// `GET /api/v1/maintenance`: the devices of the accounts the caller sees whose latest
/// alert-bearing reading shows a warning or critical ASM error state, grouped by skill
/// level and by field service, each condition since the first reading of its unbroken
/// run and how long it has waited; one page of conditions, the longest waiting first.
#[utoipa::path(get, path = "/api/v1/maintenance", tag = "maintenance", params(MaintenanceQuery),
    responses((status = 200, description = "Devices waiting for maintenance, by skill level and by field service", body = MaintenanceView)))]
pub(crate) async fn maintenance(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<MaintenanceQuery>,
) -> ApiResult<Json<MaintenanceView>> {
    let page = page(query.limit, query.offset)?;
    let filter = MaintenanceFilter {
        account: query.account_id.map(AccountId),
        skill: query.skill,
        field_service: query.field_service,
    };
    let items = state
        .store
        .maintenance(caller.visibility, filter, page)
        .await?;
    Ok(Json(dashboard(&items, Utc::now())))
}

/// Labour rates per hour, by skill level; null inherits from the dealer above.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LabourRatesView {
    #[serde(default)]
    pub anyone: Option<Money>,
    #[serde(default)]
    pub key_operator: Option<Money>,
    #[serde(default)]
    pub technician: Option<Money>,
    #[serde(default)]
    pub specialist: Option<Money>,
}

/// An account's own service settings: what `PUT` sets whole (an absent or null value
/// inherits from the nearest account above that sets it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServiceSettingsView {
    /// Per skill level, per hour; only dealers price labour.
    #[serde(default)]
    pub labour_rates: LabourRatesView,
    /// Whether a work order closes itself (done, by `system`) when a later reading no
    /// longer shows its error.
    #[serde(default)]
    pub auto_close: Option<bool>,
}

/// A setting in force, and the account that set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct InheritedRate {
    pub rate: Money,
    /// This account, or the nearest above it that sets the rate.
    pub from_account_id: i64,
}

/// The labour rates in force, by skill level; null where no account up the chain sets one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct EffectiveRates {
    pub anyone: Option<InheritedRate>,
    pub key_operator: Option<InheritedRate>,
    pub technician: Option<InheritedRate>,
    pub specialist: Option<InheritedRate>,
}

/// An account's service settings: its own, and those in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountServiceSettings {
    pub account_id: i64,
    /// What the account sets itself.
    pub own: ServiceSettingsView,
    /// The labour rates in force.
    pub labour_rates: EffectiveRates,
    /// Whether orders close themselves when their error clears (false when no account
    /// up the chain says).
    pub auto_close: bool,
    /// The account that decided `auto-close`; null when none did.
    pub auto_close_from_account_id: Option<i64>,
}

async fn settings_of(state: &AppState, account: AccountId) -> ApiResult<AccountServiceSettings> {
    let own = state.store.service_settings(account).await?;
    let effective = state.store.effective_service_settings(account).await?;
    let rate = |skill| {
        effective
            .rate(skill)
            .map(|Inherited { value, from }| InheritedRate {
                rate: Money(value),
                from_account_id: from.0,
            })
    };
    let money = |rate: Option<Decimal>| rate.map(Money);
    let rates = &own.labour_rates;
    Ok(AccountServiceSettings {
        account_id: account.0,
        own: ServiceSettingsView {
            labour_rates: LabourRatesView {
                anyone: money(rates.anyone),
                key_operator: money(rates.key_operator),
                technician: money(rates.technician),
                specialist: money(rates.specialist),
            },
            auto_close: own.auto_close,
        },
        labour_rates: EffectiveRates {
            anyone: rate(SkillLevel::Anyone),
            key_operator: rate(SkillLevel::KeyOperator),
            technician: rate(SkillLevel::Technician),
            specialist: rate(SkillLevel::Specialist),
        },
        auto_close: effective.auto_close.is_some_and(|a| a.value),
        auto_close_from_account_id: effective.auto_close.map(|a| a.from.0),
    })
}

/// `GET /api/v1/accounts/{account_id}/service-settings`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/service-settings", tag = "maintenance",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "The account's own service settings and those in force", body = AccountServiceSettings)))]
pub(crate) async fn service_settings(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<AccountServiceSettings>> {
    Ok(Json(settings_of(&state, account.id).await?))
}

/// `PUT /api/v1/accounts/{account_id}/service-settings`: replaces the account's own
/// settings; its children inherit what they do not set.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/service-settings", tag = "maintenance",
    params(("account_id" = i64, Path)), request_body = ServiceSettingsView,
    responses(
        (status = 200, description = "The settings as stored, and those now in force", body = AccountServiceSettings),
        (status = 400, description = "A bad amount, or labour rates on an account that is no dealer; `field` names it", body = quire_protocol::ApiError),
        (status = 403, description = "Account users cannot change service settings", body = quire_protocol::ApiError),
    ))]
pub(crate) async fn set_service_settings(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    caller: Caller,
    Body(settings): Body<ServiceSettingsView>,
) -> ApiResult<Json<AccountServiceSettings>> {
    if caller.user.role == quire_store::Role::AccountUser {
        return Err(Failure::Forbidden(
            "account users cannot change service settings".to_owned(),
        ));
    }
    let rates = &settings.labour_rates;
    let any_rate = [
        &rates.anyone,
        &rates.key_operator,
        &rates.technician,
        &rates.specialist,
    ]
    .iter()
    .any(|r| r.is_some());
    if any_rate && !account.is_dealer {
        return Err(Failure::invalid(
            "labour-rates",
            format!(
                "{} is not a dealer; only dealers price labour, their customers inherit it",
                account.id
            ),
        ));
    }
    let decimal = |rate: &Option<Money>| rate.map(|m| m.0);
    state
        .store
        .set_service_settings(
            account.id,
            &ServiceSettings {
                labour_rates: LabourRates {
                    anyone: decimal(&rates.anyone),
                    key_operator: decimal(&rates.key_operator),
                    technician: decimal(&rates.technician),
                    specialist: decimal(&rates.specialist),
                },
                auto_close: settings.auto_close,
            },
        )
        .await?;
    Ok(Json(settings_of(&state, account.id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_decimal_text_and_nothing_else() {
        for good in ["12.50", "0", "0.0085", ".5"] {
            let money: Money = serde_json::from_value(serde_json::json!(good)).unwrap();
            assert_eq!(money.0, Decimal::from_str(good).unwrap(), "{good}");
        }
        for bad in [
            serde_json::json!("-1.00"),
            serde_json::json!("1e3"),
            serde_json::json!("12,50"),
            serde_json::json!(""),
            serde_json::json!("1.2.3"),
            serde_json::json!(12.5),
        ] {
            assert!(
                serde_json::from_value::<Money>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            serde_json::to_value(Money(Decimal::from_str("7.50").unwrap())).unwrap(),
            serde_json::json!("7.50")
        );
    }
}
