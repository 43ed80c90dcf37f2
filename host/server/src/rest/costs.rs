//! Costs per page and what printing cost.
//!
//! A cost per page is set per counter at a device, a contract or an account; a device
//! pays the nearest setting on its lineage — itself, its contract, its account, then each
//! account above up to the root dealer — and every resolved rate names where it was set.
//! Resolving and pricing are `quire-usage`'s ([`RateCard`], [`device_cost`]); pages are
//! its too ([`device_pages`], [`billing_period`]). This module reads the rows and answers.
//!
//! An account's cost is its own devices', or with `subtree=true` those of every account
//! below it as well (a dealer's whole book). Money is a decimal string both ways: a JSON
//! number is refused, since a float cannot hold 0.0085 exactly.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use quire_protocol::ApiError;
use quire_store::{
    Account, AccountId, Contract, Device, DeviceId, DeviceSelection, PricedDevice, Rate, RateScope,
    RateTree,
};
use quire_usage::costs::{
    DeviceCost, Lineage, MAX_COST_PER_PAGE, RateCard, RateSetting, ResolvedRate, Scope, ScopeRef,
    UnpricedCounter, account_cost, device_cost,
};
use quire_usage::pages::{MeterRead, billing_period};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Body, Failure};
use crate::state::AppState;

use super::{Caller, ListQuery, Visible};

/// Rates one scope may set: far more counters than any device reports.
const MAX_RATES: usize = 200;

/// Longest counter name a rate may price.
const MAX_COUNTER_CHARS: usize = 100;

/// The period a cost covers when the caller names none: the last 30 days.
const DEFAULT_PERIOD: TimeDelta = TimeDelta::days(30);

/// The longest period one call prices: a year and a bit, so an annual statement fits
/// while one call cannot read a fleet's whole history.
const MAX_PERIOD: TimeDelta = TimeDelta::days(400);

/// A cost per page of one counter, as set at one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RateView {
    /// The counter it prices, as the device's readings name it (`mono`, `color`, `print.color`, …).
    pub counter: String,
    /// The cost of one page: a decimal string from `"0"` to `"1000000"`, such as
    /// `"0.0085"`; a JSON number is refused, since a float is not exact.
    #[serde(deserialize_with = "money")]
    #[schema(value_type = String, example = "0.0085")]
    pub cost_per_page: Decimal,
}

/// Where a resolved rate was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RateSource {
    /// The level: `device`, `contract` or `account`.
    pub scope: Scope,
    /// The device's, contract's or account's id.
    pub id: i64,
    /// The contract's or account's name; absent for the device itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The rate a device pays for one counter, and where it was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ResolvedRateView {
    /// The counter it prices.
    pub counter: String,
    /// The cost of one page.
    #[schema(value_type = String, example = "0.0085")]
    pub cost_per_page: Decimal,
    /// The nearest scope that sets it.
    pub source: RateSource,
}

/// One charged counter of a device's period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CostLineView {
    /// The counter.
    pub counter: String,
    /// Its pages in the period: the sum of its corrected intervals (see `meter-reads`).
    pub pages: u64,
    /// The rate applied.
    #[schema(value_type = String, example = "0.0085")]
    pub cost_per_page: Decimal,
    /// Where the rate was set.
    pub source: RateSource,
    /// `pages × cost-per-page`, exact.
    #[schema(value_type = String, example = "10.4890")]
    pub cost: Decimal,
}

/// What one device's printing cost in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DeviceCostView {
    /// The device.
    pub device_id: i64,
    /// Its account.
    pub account_id: i64,
    /// Its contract, if it is on one.
    pub contract_id: Option<i64>,
    /// The period's start.
    pub from: DateTime<Utc>,
    /// The period's end (not included).
    pub to: DateTime<Utc>,
    /// One line per counter with a rate, by counter.
    pub lines: Vec<CostLineView>,
    /// Counters with pages but no rate, by counter: not charged.
    pub unpriced: Vec<UnpricedCounter>,
    /// The sum of the lines, exact.
    #[schema(value_type = String, example = "31.4")]
    pub total: Decimal,
    /// The evidence: per counter, the readings the period starts and ends at, and what
    /// the counter did in between that a plain difference would get wrong.
    pub meter_reads: Vec<MeterRead>,
}

/// What an account's devices cost in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountCostView {
    /// The account.
    pub account_id: i64,
    /// The period's start.
    pub from: DateTime<Utc>,
    /// The period's end (not included).
    pub to: DateTime<Utc>,
    /// Whether the devices of the accounts below it are counted too.
    pub subtree: bool,
    /// Each device's cost, by device id; a device without readings in the period costs 0.
    pub devices: Vec<DeviceCostView>,
    /// The sum of the devices' totals, exact.
    #[schema(value_type = String, example = "43.9")]
    pub total: Decimal,
}

/// A cost per page from a JSON string, strictly: digits with at most one point and a
/// sign, so `1e3`, `1_000` and JSON numbers are refused rather than guessed at.
pub(super) fn money<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    struct Money;
    impl serde::de::Visitor<'_> for Money {
        type Value = Decimal;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a decimal string such as \"0.0085\"")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Decimal, E> {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
            let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            if !plain(whole) || !plain(fraction) {
                return Err(E::custom(format!(
                    "`{text}` is not a decimal such as \"0.0085\""
                )));
            }
            Decimal::from_str_exact(text)
                .map_err(|e| E::custom(format!("`{text}` cannot be held exactly: {e}")))
        }
    }
    deserializer.deserialize_str(Money)
}

/// The rates of a body, refused naming the first bad row's field (`[1].cost-per-page`).
fn checked_rates(list: Vec<RateView>) -> ApiResult<Vec<Rate>> {
    if list.len() > MAX_RATES {
        return Err(Failure::invalid(
            &format!("[{MAX_RATES}]"),
            format!(
                "{} rates given; one scope sets at most {MAX_RATES}",
                list.len()
            ),
        ));
    }
    let mut rates: Vec<Rate> = Vec::with_capacity(list.len());
    for (index, rate) in list.into_iter().enumerate() {
        let counter = rate.counter.trim();
        let field = |name: &str| format!("[{index}].{name}");
        if counter.is_empty() {
            return Err(Failure::invalid(&field("counter"), "the counter is empty"));
        }
        if counter.chars().count() > MAX_COUNTER_CHARS {
            return Err(Failure::invalid(
                &field("counter"),
                format!("a counter name has at most {MAX_COUNTER_CHARS} characters"),
            ));
        }
        if let Some(first) = rates.iter().position(|r| r.counter == counter) {
            return Err(Failure::invalid(
                &field("counter"),
                format!("{counter} is priced already, by [{first}]"),
            ));
        }
        // `-0` is zero: stored without its sign.
        let cost = match rate.cost_per_page {
            zero if zero.is_zero() => zero.abs(),
            cost => cost,
        };
        if cost.is_sign_negative() {
            return Err(Failure::invalid(
                &field("cost-per-page"),
                format!("{cost} is negative"),
            ));
        }
        if cost > MAX_COST_PER_PAGE {
            return Err(Failure::invalid(
                &field("cost-per-page"),
                format!("{cost} is over {MAX_COST_PER_PAGE}"),
            ));
        }
        rates.push(Rate {
            counter: counter.to_owned(),
            cost_per_page: cost,
        });
    }
    Ok(rates)
}

fn rate_views(rates: Vec<Rate>) -> Json<Vec<RateView>> {
    Json(
        rates
            .into_iter()
            .map(|rate| RateView {
                counter: rate.counter,
                cost_per_page: rate.cost_per_page,
            })
            .collect(),
    )
}

/// A store scope as `quire-usage` names it.
fn scope_ref(scope: RateScope) -> ScopeRef {
    match scope {
        RateScope::Device(id) => ScopeRef {
            scope: Scope::Device,
            id: id.0,
        },
        RateScope::Contract(id) => ScopeRef {
            scope: Scope::Contract,
            id: id.0,
        },
        RateScope::Account(id) => ScopeRef {
            scope: Scope::Account,
            id: id.0,
        },
    }
}

/// The rates of a [`RateTree`] ready to resolve any of its devices, with the names of
/// the scopes they come from.
struct Pricing {
    card: RateCard,
    /// Each account's chain to the root, nearest first.
    chains: HashMap<AccountId, Vec<i64>>,
    names: HashMap<ScopeRef, String>,
}

impl Pricing {
    fn new(tree: &RateTree) -> Pricing {
        let settings = tree.rates.iter().map(|rate| RateSetting {
            at: scope_ref(rate.scope),
            counter: rate.rate.counter.clone(),
            cost_per_page: rate.rate.cost_per_page,
        });
        let (card, refused) = RateCard::new(settings);
        // Stored rates passed the API's checks; one that did not is left out, not fatal.
        for error in refused {
            tracing::warn!(%error, "a stored rate is not applied");
        }
        let parents: HashMap<AccountId, Option<AccountId>> = tree
            .accounts
            .iter()
            .map(|account| (account.id, account.parent))
            .collect();
        let chains = parents
            .keys()
            .map(|&start| {
                let mut chain = Vec::new();
                let mut next = Some(start);
                while let Some(id) = next.filter(|_| chain.len() < parents.len()) {
                    chain.push(id.0);
                    next = parents.get(&id).copied().flatten();
                }
                (start, chain)
            })
            .collect();
        let mut names: HashMap<ScopeRef, String> = tree
            .accounts
            .iter()
            .map(|account| {
                (
                    scope_ref(RateScope::Account(account.id)),
                    account.name.clone(),
                )
            })
            .collect();
        for (contract, name) in tree.devices.iter().filter_map(|d| d.contract.as_ref()) {
            names.insert(scope_ref(RateScope::Contract(*contract)), name.clone());
        }
        Pricing {
            card,
            chains,
            names,
        }
    }

    fn resolve(&self, device: &PricedDevice) -> Vec<ResolvedRate> {
        let accounts = self
            .chains
            .get(&device.account_id)
            .map_or(&[][..], Vec::as_slice);
        self.card.resolve(&Lineage {
            device: device.id.0,
            contract: device.contract.as_ref().map(|(id, _)| id.0),
            accounts,
        })
    }

    fn source(&self, at: ScopeRef) -> RateSource {
        RateSource {
            scope: at.scope,
            id: at.id,
            name: self.names.get(&at).cloned(),
        }
    }
}

/// `?from=&to=` as instants: RFC 3339 (`2026-11-01T00:00:00Z`) or a date (`2026-11-01`,
/// midnight UTC), `to` now and `from` 30 days before `to` when not given.
pub(super) fn period(
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    fn instant(field: &str, text: &str) -> ApiResult<DateTime<Utc>> {
        if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
            return Ok(instant.with_timezone(&Utc));
        }
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(date.and_time(NaiveTime::MIN).and_utc());
        }
        Err(Failure::invalid(
            field,
            format!(
                "`{text}` is neither an RFC 3339 instant (`2026-11-01T00:00:00Z`) nor a date (`2026-11-01`)"
            ),
        ))
    }
    let to = to.map(|t| instant("to", t)).transpose()?.unwrap_or(now);
    let from = match from {
        Some(text) => instant("from", text)?,
        None => to - DEFAULT_PERIOD,
    };
    if to <= from {
        return Err(Failure::invalid(
            "to",
            format!("{to} is not after the period's start ({from})"),
        ));
    }
    if to - from > MAX_PERIOD {
        return Err(Failure::invalid(
            "to",
            format!(
                "the period from {from} to {to} is longer than {} days; ask for less at a time",
                MAX_PERIOD.num_days()
            ),
        ));
    }
    Ok((from, to))
}

/// Each of `devices`' meter reads from `from` to `to`, in the order given (ascending
/// ids): the counters of all of them read in one query, each device's pages worked out
/// from its own.
pub(super) async fn meter_reads(
    state: &AppState,
    devices: &[DeviceId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<Vec<Vec<MeterRead>>> {
    let samples = state.store.counter_samples(devices, from, to).await?;
    crate::pages::pages_by_device(devices, &samples)
        .iter()
        .map(|pages| billing_period(pages, from, to).map_err(|e| Failure::Internal(e.to_string())))
        .collect()
}

/// The cost of every device of `tree` from `from` to `to`, by device id, as computed and
/// as answered.
async fn device_costs(
    state: &AppState,
    tree: &RateTree,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<(Vec<DeviceCost>, Vec<DeviceCostView>)> {
    let pricing = Pricing::new(tree);
    let ids: Vec<DeviceId> = tree.devices.iter().map(|d| d.id).collect();
    let all_reads = meter_reads(state, &ids, from, to).await?;
    let mut costs = Vec::with_capacity(tree.devices.len());
    let mut views = Vec::with_capacity(tree.devices.len());
    for (device, reads) in tree.devices.iter().zip(all_reads) {
        let rates = pricing.resolve(device);
        let cost = device_cost(
            device.id.0,
            reads.iter().map(|read| (read.counter.as_str(), read.pages)),
            &rates,
        )
        .map_err(|e| Failure::Internal(e.to_string()))?;
        views.push(DeviceCostView {
            device_id: device.id.0,
            account_id: device.account_id.0,
            contract_id: device.contract.as_ref().map(|(id, _)| id.0),
            from,
            to,
            lines: cost
                .lines
                .iter()
                .cloned()
                .map(|line| CostLineView {
                    counter: line.counter,
                    pages: line.pages,
                    cost_per_page: line.cost_per_page,
                    source: pricing.source(line.source),
                    cost: line.cost,
                })
                .collect(),
            unpriced: cost.unpriced.clone(),
            total: cost.total,
            meter_reads: reads,
        });
        costs.push(cost);
    }
    Ok((costs, views))
}

/// The rates a device pays, each with its source.
async fn resolved(state: &AppState, device: DeviceId) -> ApiResult<Json<Vec<ResolvedRateView>>> {
    let tree = state.store.rate_tree(DeviceSelection::One(device)).await?;
    let pricing = Pricing::new(&tree);
    let rates = tree.devices.first().map_or_else(Vec::new, |device| {
        pricing
            .resolve(device)
            .into_iter()
            .map(|rate| ResolvedRateView {
                counter: rate.counter,
                cost_per_page: rate.cost_per_page,
                source: pricing.source(rate.source),
            })
            .collect()
    });
    Ok(Json(rates))
}

/// `GET /api/v1/accounts/{account_id}/rates`: the rates set at the account itself.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/rates", tag = "costs",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "The account's own rates, by counter", body = Vec<RateView>)))]
pub(crate) async fn account_rates(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<RateView>>> {
    let rates = state.store.rates(RateScope::Account(account.id)).await?;
    Ok(rate_views(rates))
}

/// `PUT /api/v1/accounts/{account_id}/rates`: the account's rates, in place of its old
/// ones; its subtree inherits them where nothing nearer sets a counter. One bad row
/// refuses the list, naming it, and nothing is stored.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/rates", tag = "costs",
    params(("account_id" = i64, Path)), request_body = Vec<RateView>,
    responses(
        (status = 200, description = "The account's rates as stored, by counter", body = Vec<RateView>),
        (status = 403, description = "Account users cannot set rates", body = ApiError),
    ))]
pub(crate) async fn set_account_rates(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
    Body(list): Body<Vec<RateView>>,
) -> ApiResult<Json<Vec<RateView>>> {
    caller.dealer("set rates")?;
    let scope = RateScope::Account(account.id);
    state.store.set_rates(scope, &checked_rates(list)?).await?;
    Ok(rate_views(state.store.rates(scope).await?))
}

/// `DELETE /api/v1/accounts/{account_id}/rates`: clears the account's own rates.
#[utoipa::path(delete, path = "/api/v1/accounts/{account_id}/rates", tag = "costs",
    params(("account_id" = i64, Path)),
    responses(
        (status = 204, description = "Cleared"),
        (status = 403, description = "Account users cannot set rates", body = ApiError),
    ))]
pub(crate) async fn delete_account_rates(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
) -> ApiResult<StatusCode> {
    caller.dealer("set rates")?;
    state
        .store
        .set_rates(RateScope::Account(account.id), &[])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/contracts/{contract_id}/rates`: the rates set at the contract itself.
#[utoipa::path(get, path = "/api/v1/contracts/{contract_id}/rates", tag = "costs",
    params(("contract_id" = i64, Path)),
    responses((status = 200, description = "The contract's own rates, by counter", body = Vec<RateView>)))]
pub(crate) async fn contract_rates(
    State(state): State<AppState>,
    Visible(contract): Visible<Contract>,
) -> ApiResult<Json<Vec<RateView>>> {
    let rates = state.store.rates(RateScope::Contract(contract.id)).await?;
    Ok(rate_views(rates))
}

/// `PUT /api/v1/contracts/{contract_id}/rates`: the contract's rates, in place of its
/// old ones; they override its devices' accounts' rates. One bad row refuses the list.
#[utoipa::path(put, path = "/api/v1/contracts/{contract_id}/rates", tag = "costs",
    params(("contract_id" = i64, Path)), request_body = Vec<RateView>,
    responses(
        (status = 200, description = "The contract's rates as stored, by counter", body = Vec<RateView>),
        (status = 403, description = "Account users cannot set rates", body = ApiError),
    ))]
pub(crate) async fn set_contract_rates(
    State(state): State<AppState>,
    caller: Caller,
    Visible(contract): Visible<Contract>,
    Body(list): Body<Vec<RateView>>,
) -> ApiResult<Json<Vec<RateView>>> {
    caller.dealer("set rates")?;
    let scope = RateScope::Contract(contract.id);
    state.store.set_rates(scope, &checked_rates(list)?).await?;
    Ok(rate_views(state.store.rates(scope).await?))
}

/// `DELETE /api/v1/contracts/{contract_id}/rates`: clears the contract's own rates.
#[utoipa::path(delete, path = "/api/v1/contracts/{contract_id}/rates", tag = "costs",
    params(("contract_id" = i64, Path)),
    responses(
        (status = 204, description = "Cleared"),
        (status = 403, description = "Account users cannot set rates", body = ApiError),
    ))]
pub(crate) async fn delete_contract_rates(
    State(state): State<AppState>,
    caller: Caller,
    Visible(contract): Visible<Contract>,
) -> ApiResult<StatusCode> {
    caller.dealer("set rates")?;
    state
        .store
        .set_rates(RateScope::Contract(contract.id), &[])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/devices/{device_id}/rates`: the rates the device pays, resolved — for
/// each counter priced anywhere on its lineage, the nearest setting and where it is.
/// The device's own rates are those whose source is the device.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/rates", tag = "costs",
    params(("device_id" = i64, Path)),
    responses((status = 200, description = "The device's resolved rates, by counter, each naming its source", body = Vec<ResolvedRateView>)))]
pub(crate) async fn device_rates(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
) -> ApiResult<Json<Vec<ResolvedRateView>>> {
    resolved(&state, device.id).await
}

/// `PUT /api/v1/devices/{device_id}/rates`: the device's own rates, in place of its old
/// ones; they override everything above it. One bad row refuses the list. Answers as
/// the `GET` does: the rates resolved.
#[utoipa::path(put, path = "/api/v1/devices/{device_id}/rates", tag = "costs",
    params(("device_id" = i64, Path)), request_body = Vec<RateView>,
    responses(
        (status = 200, description = "The device's resolved rates after the change, each naming its source", body = Vec<ResolvedRateView>),
        (status = 403, description = "Account users cannot set rates", body = ApiError),
    ))]
pub(crate) async fn set_device_rates(
    State(state): State<AppState>,
    caller: Caller,
    Visible(device): Visible<Device>,
    Body(list): Body<Vec<RateView>>,
) -> ApiResult<Json<Vec<ResolvedRateView>>> {
    caller.dealer("set rates")?;
    state
        .store
        .set_rates(RateScope::Device(device.id), &checked_rates(list)?)
        .await?;
    resolved(&state, device.id).await
}

/// `DELETE /api/v1/devices/{device_id}/rates`: clears the device's own rates, so it
/// inherits every rate again.
#[utoipa::path(delete, path = "/api/v1/devices/{device_id}/rates", tag = "costs",
    params(("device_id" = i64, Path)),
    responses(
        (status = 204, description = "Cleared"),
        (status = 403, description = "Account users cannot set rates", body = ApiError),
    ))]
pub(crate) async fn delete_device_rates(
    State(state): State<AppState>,
    caller: Caller,
    Visible(device): Visible<Device>,
) -> ApiResult<StatusCode> {
    caller.dealer("set rates")?;
    state
        .store
        .set_rates(RateScope::Device(device.id), &[])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A device's cost query: the period.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeviceCostQuery {
    /// The period's start: an RFC 3339 instant (`2026-11-01T00:00:00Z`) or a date
    /// (`2026-11-01`, midnight UTC); 30 days before `to` when not given.
    from: Option<String>,
    /// The period's end, not included, written as `from`; now when not given. At most
    /// 400 days after `from`.
    to: Option<String>,
}

/// An account's cost query: the period, and whether the accounts below count.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AccountCostQuery {
    /// The period's start: an RFC 3339 instant (`2026-11-01T00:00:00Z`) or a date
    /// (`2026-11-01`, midnight UTC); 30 days before `to` when not given.
    pub(super) from: Option<String>,
    /// The period's end, not included, written as `from`; now when not given. At most
    /// 400 days after `from`.
    pub(super) to: Option<String>,
    /// Whether the devices of every account below this one count too; false when not given.
    pub(super) subtree: Option<bool>,
}

/// `GET /api/v1/devices/{device_id}/cost?from=&to=`: what the device's pages of the
/// period cost at its resolved rates.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/cost", tag = "costs",
    params(("device_id" = i64, Path), DeviceCostQuery),
    responses((status = 200, description = "The device's cost in the period, per counter, with the meter reads it comes from", body = DeviceCostView)))]
pub(crate) async fn device_cost_view(
    State(state): State<AppState>,
    Visible(device): Visible<Device>,
    ListQuery(query): ListQuery<DeviceCostQuery>,
) -> ApiResult<Json<DeviceCostView>> {
    let (from, to) = period(query.from.as_deref(), query.to.as_deref(), Utc::now())?;
    let tree = state
        .store
        .rate_tree(DeviceSelection::One(device.id))
        .await?;
    let (_, mut views) = device_costs(&state, &tree, from, to).await?;
    let cost = views
        .pop()
        .ok_or_else(|| Failure::NotFound(format!("{} not found", device.id)))?;
    Ok(Json(cost))
}

/// `GET /api/v1/accounts/{account_id}/cost?from=&to=&subtree=`: what the account's
/// devices (with `subtree=true`, also those of every account below it) cost in the period.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/cost", tag = "costs",
    params(("account_id" = i64, Path), AccountCostQuery),
    responses((status = 200, description = "The account's cost in the period, per device", body = AccountCostView)))]
pub(crate) async fn account_cost_view(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(query): ListQuery<AccountCostQuery>,
) -> ApiResult<Json<AccountCostView>> {
    let (from, to) = period(query.from.as_deref(), query.to.as_deref(), Utc::now())?;
    let subtree = query.subtree.unwrap_or(false);
    let tree = state
        .store
        .rate_tree(DeviceSelection::Account {
            account: account.id,
            subtree,
        })
        .await?;
    let (costs, devices) = device_costs(&state, &tree, from, to).await?;
    let total = account_cost(account.id.0, costs)
        .map_err(|e| Failure::Internal(e.to_string()))?
        .total;
    Ok(Json(AccountCostView {
        account_id: account.id.0,
        from,
        to,
        subtree,
        devices,
        total,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(body: serde_json::Value) -> ApiResult<Vec<Rate>> {
        let list: Vec<RateView> = crate::error::parse_json(body.to_string().as_bytes(), "")?;
        checked_rates(list)
    }

    fn refusal(body: serde_json::Value) -> String {
        match rates(body) {
            Err(Failure::Invalid {
                field: Some(field), ..
            }) => field,
            other => panic!("not refused by field: {other:?}"),
        }
    }

    #[test]
    fn a_bad_row_is_refused_by_its_place() {
        let good = serde_json::json!({"counter": "mono", "cost-per-page": "0.01"});
        let cases = [
            (
                serde_json::json!([good, {"counter": "color", "cost-per-page": "-0.01"}]),
                "[1].cost-per-page",
            ),
            (
                serde_json::json!([good, {"counter": "color", "cost-per-page": "1000000.01"}]),
                "[1].cost-per-page",
            ),
            (
                serde_json::json!([good, {"counter": "mono", "cost-per-page": "0.02"}]),
                "[1].counter",
            ),
            (
                serde_json::json!([good, {"counter": " ", "cost-per-page": "0.02"}]),
                "[1].counter",
            ),
            (
                serde_json::json!([{"counter": "mono", "cost-per-page": "0,01"}]),
                "[0].cost-per-page",
            ),
            (
                serde_json::json!([{"counter": "mono", "cost-per-page": "1e-2"}]),
                "[0].cost-per-page",
            ),
            (
                serde_json::json!([{"counter": "mono", "cost-per-page": "1_0"}]),
                "[0].cost-per-page",
            ),
            (
                serde_json::json!([{"counter": "mono", "cost-per-page": ".5"}]),
                "[0].cost-per-page",
            ),
            (
                serde_json::json!([{"counter": "mono", "cost-per-page": 0.01}]),
                "[0].cost-per-page",
            ),
            (
                serde_json::json!([{"counter": "mono"}]),
                "[0].cost-per-page",
            ),
            (
                serde_json::json!([{"counter": "mono", "cost-per-page": "0.01", "currency": "EUR"}]),
                "[0].currency",
            ),
        ];
        for (body, field) in cases {
            assert_eq!(refusal(body.clone()), field, "{body}");
        }
    }

    #[test]
    fn good_rows_keep_every_digit_and_the_bounds_are_allowed() {
        let stored = rates(serde_json::json!([
            {"counter": " mono ", "cost-per-page": "0.0085"},
            {"counter": "color", "cost-per-page": "1000000"},
            {"counter": "scan", "cost-per-page": "0"},
            {"counter": "fax", "cost-per-page": "-0"},
        ]))
        .expect("accepted");
        let texts: Vec<(String, String)> = stored
            .into_iter()
            .map(|r| (r.counter, r.cost_per_page.to_string()))
            .collect();
        assert_eq!(
            texts,
            [
                ("mono".to_owned(), "0.0085".to_owned()),
                ("color".to_owned(), "1000000".to_owned()),
                ("scan".to_owned(), "0".to_owned()),
                ("fax".to_owned(), "0".to_owned()),
            ]
        );
    }

    #[test]
    fn a_period_is_instants_or_dates_and_ends_after_it_starts() {
        let now: DateTime<Utc> = "2026-12-05T10:00:00Z".parse().unwrap();
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            period(None, None, now).unwrap(),
            (at("2026-11-05T10:00:00Z"), now)
        );
        assert_eq!(
            period(Some("2026-11-01"), Some("2026-12-01T00:00:00+01:00"), now).unwrap(),
            (at("2026-11-01T00:00:00Z"), at("2026-11-30T23:00:00Z"))
        );
        for (from, to, field) in [
            (Some("yesterday"), None, "from"),
            (None, Some("2026-13-01"), "to"),
            (Some("2026-12-01"), Some("2026-12-01"), "to"),
            (Some("2025-01-01"), Some("2026-12-01"), "to"),
        ] {
            match period(from, to, now) {
                Err(Failure::Invalid { field: Some(f), .. }) => {
                    assert_eq!(f, field, "{from:?} {to:?}")
                }
                other => panic!("{from:?} {to:?}: {other:?}"),
            }
        }
    }
}
