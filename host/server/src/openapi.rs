//! The OpenAPI document, generated from the request and answer types themselves and the
//! `#[utoipa::path]` beside each handler, so a field added to a type is documented by
//! the same change. A test fails when a route is served that the document does not
//! list, or it lists one not served; another checks live answers against its schemas.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};

use crate::{agent_api, plugins_api, rest};

/// Where the document is served.
pub(crate) const PATH: &str = "/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quire API",
        version = "1",
        description = "Quire's server: the agent API (enrollment, configuration, uploads) and the REST API for people. \
Every answer to a person is filtered by the accounts they may see; a row of an account they may not see answers 404, as one that does not exist. \
Errors are JSON `ApiError` bodies whose `field` names the offending field by its path (`[0].auth-protocol`, `schedules.alerts.default.kind`). \
Request bodies refuse unknown fields. \
Lists page with `limit` (default 100, at most 1000) and `offset` in a stable order (by id, or by time where the list says so); a page shorter than `limit` is the last."
    ),
    paths(
        agent_api::enroll,
        agent_api::config,
        agent_api::readings,
        plugins_api::download,
        plugins_api::list,
        plugins_api::publish,
        plugins_api::rollback,
        plugins_api::list_plugins,
        plugins_api::publish_plugin,
        plugins_api::rollback_plugin,
        plugins_api::list_built_in,
        document,
        rest::sessions::login,
        rest::sessions::logout,
        rest::sessions::me,
        rest::sessions::change_password,
        rest::sessions::sessions,
        rest::sessions::end_session,
        rest::accounts::accounts,
        rest::accounts::create_account,
        rest::accounts::account,
        rest::accounts::set_check_in,
        rest::accounts::credentials,
        rest::accounts::set_credentials,
        rest::sites::sites,
        rest::sites::create_site,
        rest::sites::upload_ranges,
        rest::keys::enrollment_keys,
        rest::keys::issue_key,
        rest::keys::revoke_key,
        rest::sites::site,
        rest::sites::set_schedules,
        rest::sites::set_ranges,
        rest::sites::set_discovery,
        rest::sites::set_ipp_printers,
        rest::agents::agents,
        rest::agents::agent,
        rest::agents::revoke_agent,
        rest::users::users,
        rest::users::create_user,
        rest::users::delete_user,
        rest::users::reset_password,
        rest::users::set_role,
        rest::users::set_disabled,
        rest::users::user_sessions,
        rest::users::end_user_sessions,
        rest::users::end_user_session,
        rest::fleet::fleet,
        rest::devices::devices,
        rest::devices::device,
        rest::devices::readings,
        rest::readings::versions,
        rest::readings::raw_snmprec,
        rest::readings::raw_exchanges,
        rest::readings::reinterpret,
        rest::devices::supply_history,
        rest::devices::alerts,
        rest::devices::replacements,
        rest::maintenance::maintenance,
        rest::maintenance::service_settings,
        rest::maintenance::set_service_settings,
        rest::work_orders::create_work_order,
        rest::work_orders::work_orders,
        rest::work_orders::work_order,
        rest::work_orders::history,
        rest::work_orders::change_status,
        rest::asm::definitions,
        rest::asm::add_definition,
        rest::asm::definition_view,
        rest::asm::replace_definition,
        rest::asm::delete_definition,
        rest::asm::preconditions,
        rest::asm::events,
        rest::asm::event,
        rest::asm::approve,
        rest::asm::reject,
        rest::asm::contacts,
        rest::asm::set_contacts,
        rest::asm::behaviours,
        rest::asm::set_behaviours,
        rest::part_costs::suppliers,
        rest::part_costs::add_supplier,
        rest::part_costs::supplier_part_costs,
        rest::part_costs::set_supplier_part_costs,
        rest::part_costs::dealer_part_costs,
        rest::part_costs::set_dealer_part_costs,
        rest::part_costs::part_cost_setting,
        rest::part_costs::set_part_cost_setting,
        rest::templates::templates,
        rest::templates::set_templates,
        rest::templates::preview,
        rest::asm::frequencies,
        rest::asm::set_frequencies,
        rest::webhooks::webhooks,
        rest::webhooks::add_webhook,
        rest::webhooks::webhook,
        rest::webhooks::replace_webhook,
        rest::webhooks::delete_webhook,
        rest::webhooks::rotate_secret,
        rest::webhooks::deliveries,
        rest::emails::emails,
        rest::emails::email,
        rest::contracts::contracts,
        rest::contracts::create_contract,
        rest::contracts::contract,
        rest::contracts::update_contract,
        rest::contracts::delete_contract,
        rest::contracts::contract_devices,
        rest::contracts::assign_contract,
        rest::contracts::unassign_contract,
        rest::costs::account_rates,
        rest::costs::set_account_rates,
        rest::costs::delete_account_rates,
        rest::costs::contract_rates,
        rest::costs::set_contract_rates,
        rest::costs::delete_contract_rates,
        rest::costs::device_rates,
        rest::costs::set_device_rates,
        rest::costs::delete_device_rates,
        rest::costs::device_cost_view,
        rest::costs::account_cost_view,
        rest::daily::pages_per_day,
        rest::daily::levels_per_day,
        rest::daily::volume,
        rest::daily::account_pages_per_day,
        rest::meter_reads::meter_read_export,
        rest::meter_reads::meter_read_csv,
        rest::supplies::history,
        rest::supplies::forecasts,
        rest::supplies::running_out,
        rest::supplies::events,
        rest::supplies::add_event,
        rest::supplies::rated_yields,
        rest::supplies::set_rated_yields,
    ),
    components(schemas(quire_protocol::ApiError, crate::asm::carry::WebhookBody)),
    tags(
        (name = "agent", description = "What agents call, with the credentials enrollment gave them"),
        (name = "session", description = "Logging in and out"),
        (name = "accounts", description = "The dealer tree and its customers"),
        (name = "credentials", description = "SNMP credentials of an account, tried in order by its agents"),
        (name = "sites", description = "Sites, their schedules, discovery ranges and IPP printers"),
        (name = "enrollment", description = "Enrollment keys, single use, one per agent installation"),
        (name = "agents", description = "Enrolled agents"),
        (name = "users", description = "The people who use Quire (administrators; dealer users for their subtree)"),
        (name = "devices", description = "Devices and what was read from them"),
        (name = "contracts", description = "Contracts of an account, and the devices on each"),
        (name = "costs", description = "Costs per page per counter, set per device, contract or account and inherited down the tree; what printing cost in a period"),
        (name = "supplies", description = "Each supply position's cartridges with their pages and yield, when each runs out, the orders and shipments recorded for them and the rated yields of part numbers"),
        (name = "strategies", description = "Publishing and rolling back strategies"),
        (name = "plugins", description = "Publishing and rolling back plugins of every kind: strategies, action plugins and alert-logic plugins, which ASM runs from its next tick"),
        (name = "maintenance", description = "Devices waiting for service, and the service settings of accounts"),
        (name = "work orders", description = "Work orders for a device's malfunction, their price and every change"),
        (name = "asm", description = "Adaptive Service Management: alert definitions, the alert events they raise with what was decided and carried out, approvals, who the results reach, alerts frequencies, the webhook endpoints webhook actions call with their deliveries (whose body is the WebhookBody schema), suppliers and part costs, and e-mail templates"),
        (name = "e-mails", description = "The e-mail history: every e-mail sent or being tried, its recipients, status, attempts and last error"),
        (name = "meta", description = "This document"),
    )
)]
struct Document;

/// The document as served, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    let mut document = Document::openapi();
    let components = document.components.get_or_insert_with(Default::default);
    for (name, description) in [
        ("session", "The token POST /api/v1/login answers."),
        (
            "agentToken",
            "`<agent-id>:<secret>` as enrollment answered.",
        ),
    ] {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(description))
            .build();
        components.add_security_scheme(name, SecurityScheme::Http(scheme));
    }
    for (status, description) in ERRORS {
        let response = ResponseBuilder::new()
            .description(*description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ApiError"))),
            )
            .build();
        components
            .responses
            .insert(format!("E{status}"), RefOr::T(response));
    }
    for (path, item) in document.paths.paths.iter_mut() {
        for operation in operations(item) {
            complete(path, operation);
        }
    }
    document
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

/// The answers any call may give, by the rules of [`complete`].
const ERRORS: &[(u16, &str)] = &[
    (400, "The request is wrong; `field` names what, by its path"),
    (401, "No valid session or agent credentials"),
    (403, "Not allowed"),
    (404, "Absent, or not the caller's to see"),
    (409, "Conflicts with what is stored; `field` names what"),
];

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// What every operation of `path` shares, so each handler documents only its own: who
/// may call it (agents under `/api/v1/agent/`, no one needs to log in to log in, enroll
/// or read this document, a session everywhere else), and the errors its shape allows
/// (400 with a body or parameters, 401 when it needs credentials, 404 with a `{row}`).
fn complete(path: &str, operation: &mut Operation) {
    let open = [rest::LOGIN_PATH, quire_protocol::ENROLL_PATH, PATH].contains(&path);
    let scheme = if path.starts_with("/api/v1/agent/") {
        "agentToken"
    } else {
        "session"
    };
    operation.security = Some(if open {
        Vec::new()
    } else {
        vec![SecurityRequirement::new::<_, _, &str>(scheme, [])]
    });
    let takes_input = operation.request_body.is_some()
        || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let responses = &mut operation.responses.responses;
    for (status, applies) in [
        (400, takes_input && path != PATH),
        (401, !open),
        (404, path.contains('{')),
    ] {
        if applies {
            responses
                .entry(status.to_string())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(format!("E{status}"))));
        }
    }
}

/// The document's text.
pub fn openapi_json() -> &'static str {
    &DOCUMENT
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub(crate) async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}
