//! Every route, registered through one recorder so the OpenAPI test can compare the
//! document with what is really served.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware;
use axum::routing::{MethodFilter, on};
use quire_protocol::{CONFIG_PATH, ENROLL_PATH, READINGS_PATH};

use crate::state::AppState;
use crate::{agent_api, console, error, limits, openapi, plugins_api, rest};

/// The router with the routes it serves, as (method, path) pairs.
struct Routes {
    router: Router<AppState>,
    listed: Vec<(Method, &'static str)>,
}

impl Routes {
    /// These routes and `other`'s, so a group of routes can be listed in its own function.
    fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.listed.extend(other.listed);
        self
    }

    fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        self.router = self.router.route(path, on(filter, handler));
        self.listed.push((method, path));
        self
    }
}

fn build() -> Routes {
    use Method as M;
    Routes {
        router: Router::new(),
        listed: Vec::new(),
    }
    .add(M::POST, ENROLL_PATH, agent_api::enroll)
    .add(M::GET, CONFIG_PATH, agent_api::config)
    .add(M::POST, READINGS_PATH, agent_api::readings)
    .add(
        M::GET,
        "/api/v1/agent/strategies/{name}/{version}",
        plugins_api::download,
    )
    .add(M::GET, "/api/v1/strategies", plugins_api::list)
    .add(M::POST, "/api/v1/strategies", plugins_api::publish)
    .add(
        M::POST,
        "/api/v1/strategies/{name}/rollback",
        plugins_api::rollback,
    )
    .add(M::GET, "/api/v1/plugins", plugins_api::list_plugins)
    .add(M::POST, "/api/v1/plugins", plugins_api::publish_plugin)
    .add(
        M::GET,
        "/api/v1/built-in-plugins",
        plugins_api::list_built_in,
    )
    .add(
        M::POST,
        "/api/v1/plugins/{kind}/{name}/rollback",
        plugins_api::rollback_plugin,
    )
    .add(M::GET, openapi::PATH, openapi::document)
    .add(M::POST, rest::LOGIN_PATH, rest::sessions::login)
    .add(M::POST, "/api/v1/logout", rest::sessions::logout)
    .add(M::GET, "/api/v1/me", rest::sessions::me)
    .add(
        M::PUT,
        "/api/v1/me/password",
        rest::sessions::change_password,
    )
    .add(M::GET, "/api/v1/sessions", rest::sessions::sessions)
    .add(
        M::DELETE,
        "/api/v1/sessions/{session_id}",
        rest::sessions::end_session,
    )
    .add(M::GET, "/api/v1/accounts", rest::accounts::accounts)
    .add(M::POST, "/api/v1/accounts", rest::accounts::create_account)
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}",
        rest::accounts::account,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/check-in",
        rest::accounts::set_check_in,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/credentials",
        rest::accounts::credentials,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/credentials",
        rest::accounts::set_credentials,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/sites",
        rest::sites::sites,
    )
    .add(
        M::POST,
        "/api/v1/accounts/{account_id}/sites",
        rest::sites::create_site,
    )
    .add(
        M::POST,
        "/api/v1/accounts/{account_id}/ranges-csv",
        rest::sites::upload_ranges,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/enrollment-keys",
        rest::keys::enrollment_keys,
    )
    .add(
        M::POST,
        "/api/v1/accounts/{account_id}/enrollment-keys",
        rest::keys::issue_key,
    )
    .add(
        M::DELETE,
        "/api/v1/enrollment-keys/{key_id}",
        rest::keys::revoke_key,
    )
    .add(M::GET, "/api/v1/sites/{site_id}", rest::sites::site)
    .add(
        M::PUT,
        "/api/v1/sites/{site_id}/schedules",
        rest::sites::set_schedules,
    )
    .add(
        M::PUT,
        "/api/v1/sites/{site_id}/ranges",
        rest::sites::set_ranges,
    )
    .add(
        M::PUT,
        "/api/v1/sites/{site_id}/discovery",
        rest::sites::set_discovery,
    )
    .add(
        M::PUT,
        "/api/v1/sites/{site_id}/ipp-printers",
        rest::sites::set_ipp_printers,
    )
    .add(M::GET, "/api/v1/agents", rest::agents::agents)
    .add(M::GET, "/api/v1/agents/{agent_id}", rest::agents::agent)
    .add(
        M::POST,
        "/api/v1/agents/{agent_id}/revoke",
        rest::agents::revoke_agent,
    )
    .add(M::GET, "/api/v1/users", rest::users::users)
    .add(M::POST, "/api/v1/users", rest::users::create_user)
    .add(
        M::DELETE,
        "/api/v1/users/{user_id}",
        rest::users::delete_user,
    )
    .add(
        M::PUT,
        "/api/v1/users/{user_id}/password",
        rest::users::reset_password,
    )
    .add(
        M::PUT,
        "/api/v1/users/{user_id}/role",
        rest::users::set_role,
    )
    .add(
        M::PUT,
        "/api/v1/users/{user_id}/disabled",
        rest::users::set_disabled,
    )
    .add(
        M::GET,
        "/api/v1/users/{user_id}/sessions",
        rest::users::user_sessions,
    )
    .add(
        M::DELETE,
        "/api/v1/users/{user_id}/sessions",
        rest::users::end_user_sessions,
    )
    .add(
        M::DELETE,
        "/api/v1/users/{user_id}/sessions/{session_id}",
        rest::users::end_user_session,
    )
    .add(M::GET, "/api/v1/fleet", rest::fleet::fleet)
    .add(M::GET, "/api/v1/devices", rest::devices::devices)
    .add(M::GET, "/api/v1/devices/{device_id}", rest::devices::device)
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/readings",
        rest::devices::readings,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/readings/{reading_id}/versions",
        rest::readings::versions,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/readings/{reading_id}/raw.snmprec",
        rest::readings::raw_snmprec,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/readings/{reading_id}/raw.exchanges.jsonl",
        rest::readings::raw_exchanges,
    )
    .add(
        M::POST,
        "/api/v1/devices/{device_id}/readings/{reading_id}/reinterpret",
        rest::readings::reinterpret,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/supplies/{index}",
        rest::devices::supply_history,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/alerts",
        rest::devices::alerts,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/supply-replacements",
        rest::devices::replacements,
    )
    .add(
        M::GET,
        "/api/v1/maintenance",
        rest::maintenance::maintenance,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/service-settings",
        rest::maintenance::service_settings,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/service-settings",
        rest::maintenance::set_service_settings,
    )
    .add(
        M::POST,
        "/api/v1/work-orders",
        rest::work_orders::create_work_order,
    )
    .add(
        M::GET,
        "/api/v1/work-orders",
        rest::work_orders::work_orders,
    )
    .add(
        M::GET,
        "/api/v1/work-orders/{work_order_id}",
        rest::work_orders::work_order,
    )
    .add(
        M::GET,
        "/api/v1/work-orders/{work_order_id}/history",
        rest::work_orders::history,
    )
    .add(
        M::PUT,
        "/api/v1/work-orders/{work_order_id}/status",
        rest::work_orders::change_status,
    )
    .add(M::GET, "/api/v1/asm/definitions", rest::asm::definitions)
    .add(
        M::POST,
        "/api/v1/asm/definitions",
        rest::asm::add_definition,
    )
    .add(
        M::GET,
        "/api/v1/asm/definitions/{definition_id}",
        rest::asm::definition_view,
    )
    .add(
        M::PUT,
        "/api/v1/asm/definitions/{definition_id}",
        rest::asm::replace_definition,
    )
    .add(
        M::DELETE,
        "/api/v1/asm/definitions/{definition_id}",
        rest::asm::delete_definition,
    )
    .add(
        M::GET,
        "/api/v1/asm/preconditions",
        rest::asm::preconditions,
    )
    .add(M::GET, "/api/v1/asm/events", rest::asm::events)
    .add(M::GET, "/api/v1/asm/events/{event_id}", rest::asm::event)
    .add(
        M::POST,
        "/api/v1/asm/events/{event_id}/approve",
        rest::asm::approve,
    )
    .add(
        M::POST,
        "/api/v1/asm/events/{event_id}/reject",
        rest::asm::reject,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/contacts",
        rest::asm::contacts,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/contacts",
        rest::asm::set_contacts,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/processing-behaviours",
        rest::asm::behaviours,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/processing-behaviours",
        rest::asm::set_behaviours,
    )
    .add(M::GET, "/api/v1/asm/suppliers", rest::part_costs::suppliers)
    .add(
        M::POST,
        "/api/v1/asm/suppliers",
        rest::part_costs::add_supplier,
    )
    .add(
        M::GET,
        "/api/v1/asm/suppliers/{supplier_id}/part-costs",
        rest::part_costs::supplier_part_costs,
    )
    .add(
        M::PUT,
        "/api/v1/asm/suppliers/{supplier_id}/part-costs",
        rest::part_costs::set_supplier_part_costs,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/part-costs",
        rest::part_costs::dealer_part_costs,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/part-costs",
        rest::part_costs::set_dealer_part_costs,
    )
    .add(
        M::GET,
        "/api/v1/asm/part-cost-setting",
        rest::part_costs::part_cost_setting,
    )
    .add(
        M::PUT,
        "/api/v1/asm/part-cost-setting",
        rest::part_costs::set_part_cost_setting,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/email-templates",
        rest::templates::templates,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/email-templates",
        rest::templates::set_templates,
    )
    .add(
        M::POST,
        "/api/v1/asm/events/{event_id}/email-preview",
        rest::templates::preview,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/alert-frequencies",
        rest::asm::frequencies,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/alert-frequencies",
        rest::asm::set_frequencies,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/webhooks",
        rest::webhooks::webhooks,
    )
    .add(
        M::POST,
        "/api/v1/accounts/{account_id}/webhooks",
        rest::webhooks::add_webhook,
    )
    .add(
        M::GET,
        "/api/v1/webhooks/{webhook_id}",
        rest::webhooks::webhook,
    )
    .add(
        M::PUT,
        "/api/v1/webhooks/{webhook_id}",
        rest::webhooks::replace_webhook,
    )
    .add(
        M::DELETE,
        "/api/v1/webhooks/{webhook_id}",
        rest::webhooks::delete_webhook,
    )
    .add(
        M::POST,
        "/api/v1/webhooks/{webhook_id}/rotate-secret",
        rest::webhooks::rotate_secret,
    )
    .add(
        M::GET,
        "/api/v1/webhooks/{webhook_id}/deliveries",
        rest::webhooks::deliveries,
    )
    .add(M::GET, "/api/v1/emails", rest::emails::emails)
    .add(M::GET, "/api/v1/emails/{email_id}", rest::emails::email)
    .merge(contract_and_cost_routes())
}

/// Contracts, rates, costs, meter reads, a device's days and its supplies' lifecycle
/// (`rest::contracts`, `rest::costs`, `rest::meter_reads`, `rest::daily`,
/// `rest::supplies`).
fn contract_and_cost_routes() -> Routes {
    use Method as M;
    use rest::{contracts, costs, daily, meter_reads, supplies};
    Routes {
        router: Router::new(),
        listed: Vec::new(),
    }
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/contracts",
        contracts::contracts,
    )
    .add(
        M::POST,
        "/api/v1/accounts/{account_id}/contracts",
        contracts::create_contract,
    )
    .add(
        M::GET,
        "/api/v1/contracts/{contract_id}",
        contracts::contract,
    )
    .add(
        M::PUT,
        "/api/v1/contracts/{contract_id}",
        contracts::update_contract,
    )
    .add(
        M::DELETE,
        "/api/v1/contracts/{contract_id}",
        contracts::delete_contract,
    )
    .add(
        M::GET,
        "/api/v1/contracts/{contract_id}/devices",
        contracts::contract_devices,
    )
    .add(
        M::PUT,
        "/api/v1/devices/{device_id}/contract",
        contracts::assign_contract,
    )
    .add(
        M::DELETE,
        "/api/v1/devices/{device_id}/contract",
        contracts::unassign_contract,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/rates",
        costs::account_rates,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/rates",
        costs::set_account_rates,
    )
    .add(
        M::DELETE,
        "/api/v1/accounts/{account_id}/rates",
        costs::delete_account_rates,
    )
    .add(
        M::GET,
        "/api/v1/contracts/{contract_id}/rates",
        costs::contract_rates,
    )
    .add(
        M::PUT,
        "/api/v1/contracts/{contract_id}/rates",
        costs::set_contract_rates,
    )
    .add(
        M::DELETE,
        "/api/v1/contracts/{contract_id}/rates",
        costs::delete_contract_rates,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/rates",
        costs::device_rates,
    )
    .add(
        M::PUT,
        "/api/v1/devices/{device_id}/rates",
        costs::set_device_rates,
    )
    .add(
        M::DELETE,
        "/api/v1/devices/{device_id}/rates",
        costs::delete_device_rates,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/cost",
        costs::device_cost_view,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/cost",
        costs::account_cost_view,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/pages-per-day",
        daily::pages_per_day,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/levels-per-day",
        daily::levels_per_day,
    )
    .add(M::GET, "/api/v1/devices/{device_id}/volume", daily::volume)
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/pages-per-day",
        daily::account_pages_per_day,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/supplies/history",
        supplies::history,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/supplies/forecast",
        supplies::forecasts,
    )
    .add(
        M::GET,
        "/api/v1/supplies/running-out",
        supplies::running_out,
    )
    .add(
        M::GET,
        "/api/v1/devices/{device_id}/supplies/events",
        supplies::events,
    )
    .add(
        M::POST,
        "/api/v1/devices/{device_id}/supplies/events",
        supplies::add_event,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/rated-yields",
        supplies::rated_yields,
    )
    .add(
        M::PUT,
        "/api/v1/accounts/{account_id}/rated-yields",
        supplies::set_rated_yields,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/meter-reads",
        meter_reads::meter_read_export,
    )
    .add(
        M::GET,
        "/api/v1/accounts/{account_id}/meter-reads.csv",
        meter_reads::meter_read_csv,
    )
}

/// The whole HTTP application over `state`; what the listener serves.
pub fn app(state: AppState) -> Router {
    build()
        .router
        .fallback(console::fallback)
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .layer(middleware::from_fn(limits::refuse_oversized))
        .layer(middleware::from_fn(error::json_errors))
        .with_state(state)
}

/// Every (method, path) the application serves, methods in capitals and paths with
/// `{parameter}`s as the OpenAPI document writes them.
pub fn registered_routes() -> Vec<(String, String)> {
    build()
        .listed
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_owned()))
        .collect()
}
