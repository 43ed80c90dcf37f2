//! ASM through the REST API: the alert definitions dealers write, the alert events the
//! scheduler raised with their journal, users' approvals and rejections, who the
//! results reach (each account's contacts, each dealer's processing behaviours), and how
//! often an account's actions of one type may run (its alerts frequencies). Webhook
//! endpoints, which webhook actions name, are `rest::webhooks`.
//!
//! A definition is seen through its owner, an event through its device's account.
//! Account users read; dealers' users and administrators write. An approval or
//! rejection is filed for the scheduler's next tick (202), which is the one writer of an
//! event: the answer shows in the event once the tick took it in.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use quire_asm::{
    ActionDefinition, ActionKind, AlertDefinition, AlertStatus, DealerRole, DefinitionId, Filter,
    Interval, Missing, Recipient, ServerSetup, Trigger, missing_preconditions,
};
use quire_protocol::ApiError;
use quire_store::{
    Account, AccountId, AlertEventFilter, AsmDefinitionId, AsmEventId, DeviceId, NewContact,
    StoredAlertEvent, StoredBehaviour, StoredContact, StoredDefinition, StoredFrequency,
    WebhookEndpointId,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::asm::carry::Outcome;
use crate::asm::{StoredEvent, definition, facts, stored_event};
use crate::error::{ApiResult, Body, Failure};
use crate::log_text::untrusted;
use crate::state::AppState;
use crate::stored;

use super::{Caller, ListQuery, Owned, Paging, PathIds, Visible, page};

/// Contacts one account may have.
const MAX_CONTACTS: usize = 100;

/// Alerts frequencies one account may have.
const MAX_FREQUENCIES: usize = 100;

/// A definition as a dealer writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DefinitionBody {
    /// The dealer account that owns it.
    pub owner_account_id: i64,
    /// Its name, shown in e-mails and lists.
    pub name: String,
    /// Whether it reaches the owner's whole hierarchy (true) or only the owner's own
    /// devices.
    pub hierarchical: bool,
    /// A consumable type and threshold, or printer error states.
    pub trigger: Trigger,
    /// After how long an unfinished alert is overdue.
    pub overdue: Interval,
    /// After how long without a reading a device's alerts are archived.
    pub stale: Interval,
    /// Which devices it looks at, in linear precedence; none is every device.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// What it does, at least one.
    pub actions: Vec<ActionDefinition>,
}

/// A definition as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DefinitionView {
    /// Its id.
    pub id: i64,
    /// The owner.
    pub account_id: i64,
    /// The definition.
    pub definition: AlertDefinition,
    /// How its filters group, as the engine reads them (`(F1) AND (F2 OR F3)`).
    pub filter_grouping: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl DefinitionView {
    fn of(row: &StoredDefinition) -> ApiResult<DefinitionView> {
        let definition = definition(row)?;
        Ok(DefinitionView {
            id: row.id.0,
            account_id: row.owner.0,
            filter_grouping: quire_asm::filters::precedence_text(&definition.filters),
            definition,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A definition is seen through its owner.
impl Owned for StoredDefinition {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Self> {
        let id = AsmDefinitionId(path.number("definition_id")?);
        let row = state.store.asm_definition(id).await?;
        caller.sees(state, row.owner, id, row).await
    }
}

/// An event is seen through its device's account.
impl Owned for StoredAlertEvent {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Self> {
        let id = AsmEventId(path.number("event_id")?);
        let row = state.store.asm_event(id).await?;
        caller.sees(state, row.account_id, id, row).await
    }
}

/// The body checked against the account tree: the engine's definition with id `id`, or
/// a 400 naming the first wrong field (every problem in the message).
async fn checked(
    state: &AppState,
    caller: &Caller,
    id: AsmDefinitionId,
    body: DefinitionBody,
) -> ApiResult<AlertDefinition> {
    caller.dealer("define alerts")?;
    let owner = AccountId(body.owner_account_id);
    if !state.store.sees(caller.visibility, owner).await? {
        return Err(Failure::NotFoundIn {
            field: "owner-account-id".into(),
            message: format!("{owner} not found"),
        });
    }
    let Some(tree) = facts::account_tree(&state.store).await? else {
        return Err(Failure::Internal("the server has no main dealer".into()));
    };
    let definition = AlertDefinition {
        id: DefinitionId(id.0),
        name: body.name.trim().to_owned(),
        owner: facts::asm_account(owner),
        hierarchical: body.hierarchical,
        trigger: body.trigger,
        overdue: body.overdue,
        stale: body.stale,
        filters: body.filters,
        actions: body.actions,
    };
    let problems = definition.validate(&tree);
    if let Some(first) = problems.first() {
        let all: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.problem))
            .collect();
        return Err(Failure::invalid(&first.field, all.join("; ")));
    }
    for (index, action) in definition.actions.iter().enumerate() {
        if let ActionKind::Webhook {
            endpoint_id: Some(endpoint),
        } = action.kind
        {
            let endpoint = WebhookEndpointId(endpoint.0);
            // Another dealer's endpoint is answered as one that does not exist.
            let owners = match state.store.webhook_endpoint(endpoint).await {
                Ok(found) => found.account_id == owner,
                Err(quire_store::Error::NotFound { .. }) => false,
                Err(other) => return Err(other.into()),
            };
            if !owners {
                return Err(Failure::invalid(
                    &format!("actions[{index}].kind.webhook.endpoint-id"),
                    format!("{endpoint} is not one of {owner}'s webhook endpoints"),
                ));
            }
        }
    }
    let mut published = None;
    for (index, action) in definition.actions.iter().enumerate() {
        let ActionKind::Plugin(name) = &action.kind else {
            continue;
        };
        if state.actions.contains(name) {
            continue;
        }
        let published = match &mut published {
            Some(names) => names,
            None => published.insert(state.depot.action_names().await?),
        };
        if !published.contains(name) {
            let mut known: Vec<&str> = state.actions.iter().map(String::as_str).collect();
            known.extend(published.iter().map(String::as_str));
            known.sort_unstable();
            return Err(Failure::invalid(
                &format!("actions[{index}].kind.plugin"),
                format!(
                    "this server has no action plugin named {name:?}, built in or published (it has: {}); publish it first with `quire plugin publish`",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(definition)
}

fn body_of(definition: &AlertDefinition) -> serde_json::Value {
    serde_json::to_value(definition).expect("definitions serialise to JSON")
}

/// `GET /api/v1/asm/definitions?limit=&offset=`.
#[utoipa::path(get, path = "/api/v1/asm/definitions", tag = "asm", params(Paging),
    responses((status = 200, description = "The alert definitions of the dealers the caller sees, by id", body = Vec<DefinitionView>)))]
pub(crate) async fn definitions(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<DefinitionView>>> {
    let rows = state
        .store
        .asm_definitions(caller.visibility, paging.page()?)
        .await?;
    Ok(Json(
        rows.iter()
            .map(DefinitionView::of)
            .collect::<ApiResult<_>>()?,
    ))
}

/// `POST /api/v1/asm/definitions`.
#[utoipa::path(post, path = "/api/v1/asm/definitions", tag = "asm", request_body = DefinitionBody,
    responses(
        (status = 201, description = "The definition as stored; the next tick applies it", body = DefinitionView),
        (status = 400, description = "A field is wrong; the answer names the first and lists all", body = ApiError),
        (status = 403, description = "Account users cannot define alerts", body = ApiError),
        (status = 404, description = "The owner is not an account the caller sees", body = ApiError),
    ))]
pub(crate) async fn add_definition(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DefinitionBody>,
) -> ApiResult<(StatusCode, Json<DefinitionView>)> {
    let now = Utc::now();
    let definition = checked(&state, &caller, AsmDefinitionId(0), body).await?;
    let owner = AccountId(definition.owner.0);
    let id = state
        .store
        .add_asm_definition(owner, &definition.name, &body_of(&definition), now)
        .await?;
    let definition = AlertDefinition {
        id: DefinitionId(id.0),
        ..definition
    };
    state
        .store
        .replace_asm_definition(id, &definition.name, &body_of(&definition), now)
        .await?;
    tracing::info!(definition = %id, by = %untrusted(&caller.user.name), "alert definition created");
    let row = state.store.asm_definition(id).await?;
    Ok((StatusCode::CREATED, Json(DefinitionView::of(&row)?)))
}

/// `GET /api/v1/asm/definitions/{definition_id}`.
#[utoipa::path(get, path = "/api/v1/asm/definitions/{definition_id}", tag = "asm",
    params(("definition_id" = i64, Path)),
    responses((status = 200, description = "One alert definition", body = DefinitionView)))]
pub(crate) async fn definition_view(
    Visible(row): Visible<StoredDefinition>,
) -> ApiResult<Json<DefinitionView>> {
    Ok(Json(DefinitionView::of(&row)?))
}

/// `PUT /api/v1/asm/definitions/{definition_id}`: the whole definition anew. A change of
/// a critical parameter (what triggers, the intervals, filters or actions) archives its
/// open events at the next tick, and new ones follow under the new parameters.
#[utoipa::path(put, path = "/api/v1/asm/definitions/{definition_id}", tag = "asm",
    params(("definition_id" = i64, Path)), request_body = DefinitionBody,
    responses(
        (status = 200, description = "The definition as stored", body = DefinitionView),
        (status = 400, description = "A field is wrong; the answer names the first and lists all", body = ApiError),
        (status = 403, description = "Account users cannot define alerts", body = ApiError),
    ))]
pub(crate) async fn replace_definition(
    State(state): State<AppState>,
    caller: Caller,
    Visible(row): Visible<StoredDefinition>,
    Body(body): Body<DefinitionBody>,
) -> ApiResult<Json<DefinitionView>> {
    let definition = checked(&state, &caller, row.id, body).await?;
    state
        .store
        .replace_asm_definition(row.id, &definition.name, &body_of(&definition), Utc::now())
        .await?;
    Ok(Json(DefinitionView::of(
        &state.store.asm_definition(row.id).await?,
    )?))
}

/// `DELETE /api/v1/asm/definitions/{definition_id}`: its open events are archived at the
/// next tick.
#[utoipa::path(delete, path = "/api/v1/asm/definitions/{definition_id}", tag = "asm",
    params(("definition_id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Account users cannot delete definitions", body = ApiError),
    ))]
pub(crate) async fn delete_definition(
    State(state): State<AppState>,
    caller: Caller,
    Visible(row): Visible<StoredDefinition>,
) -> ApiResult<StatusCode> {
    caller.dealer("delete alert definitions")?;
    state
        .store
        .delete_asm_definition(row.id, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An alert event with its journal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AlertEventView {
    /// Its id.
    pub id: i64,
    /// The definition that raised it.
    pub definition_id: i64,
    /// The device.
    pub device_id: i64,
    /// The device's account.
    pub account_id: i64,
    /// What triggered (`consumable:toner:black:1`, `error-state:paper-jam`).
    pub trigger: String,
    /// Whether it is still open.
    pub open: bool,
    /// waiting-for-approval, alert, submitted, overdue, submitted-and-overdue, or
    /// archived.
    pub status: String,
    /// The event as the engine keeps it: levels, approval, action events; and once
    /// archived, why and when.
    pub detail: StoredEvent,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl AlertEventView {
    fn of(row: StoredAlertEvent) -> ApiResult<AlertEventView> {
        Ok(AlertEventView {
            detail: stored_event(&row)?,
            id: row.id.0,
            definition_id: row.key.definition.0,
            device_id: row.key.device.0,
            account_id: row.account_id.0,
            trigger: row.key.trigger,
            open: row.open,
            status: row.status,
            updated_at: row.updated_at,
        })
    }
}

/// The event list's query string.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AlertEventQuery {
    /// Only open (true) or archived (false) events.
    open: Option<bool>,
    /// Only events in this status.
    #[param(inline)]
    status: Option<AlertStatus>,
    /// Only this device's.
    device_id: Option<i64>,
    /// Only this definition's.
    definition_id: Option<i64>,
    /// Rows of the page: 1 to 1000, 100 when not given.
    limit: Option<u32>,
    /// Rows skipped before the page.
    offset: Option<u64>,
}

/// `GET /api/v1/asm/events`: the approvals queue is `?status=waiting-for-approval`.
#[utoipa::path(get, path = "/api/v1/asm/events", tag = "asm", params(AlertEventQuery),
    responses((status = 200, description = "Alert events of the accounts the caller sees that match every filter given, newest first", body = Vec<AlertEventView>)))]
pub(crate) async fn events(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<AlertEventQuery>,
) -> ApiResult<Json<Vec<AlertEventView>>> {
    let page = page(query.limit, query.offset)?;
    let status = query.status.map(|s| crate::words::word(&s));
    let rows = state
        .store
        .asm_events(
            caller.visibility,
            AlertEventFilter {
                open: query.open,
                status: status.as_deref(),
                device: query.device_id.map(DeviceId),
                definition: query.definition_id.map(AsmDefinitionId),
            },
            page,
        )
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(AlertEventView::of)
            .collect::<ApiResult<_>>()?,
    ))
}

/// One invocation or redirect the scheduler decided for an event, and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct JournalView {
    /// The decision's idempotency key: one per event, action and attempt.
    pub idempotency_key: String,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
    /// The decision, as the engine made it.
    pub decision: quire_asm::Decision,
    /// When it was carried out.
    pub carried_out_at: Option<DateTime<Utc>>,
    /// What came of it.
    pub outcome: Option<Outcome>,
}

/// An event and its journal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AlertEventDetail {
    /// The event.
    #[serde(flatten)]
    pub event: AlertEventView,
    /// What was decided and carried out for it, oldest first.
    pub journal: Vec<JournalView>,
}

/// `GET /api/v1/asm/events/{event_id}`.
#[utoipa::path(get, path = "/api/v1/asm/events/{event_id}", tag = "asm",
    params(("event_id" = i64, Path)),
    responses((status = 200, description = "One alert event with what was decided and carried out for it", body = AlertEventDetail)))]
pub(crate) async fn event(
    State(state): State<AppState>,
    Visible(row): Visible<StoredAlertEvent>,
) -> ApiResult<Json<AlertEventDetail>> {
    let journal = state
        .store
        .asm_journal_of(row.id)
        .await?
        .into_iter()
        .map(|entry| {
            Ok(JournalView {
                decision: stored::read("asm_journal.decision", entry.id, entry.decision)?,
                outcome: entry
                    .outcome
                    .map(|outcome| stored::read("asm_journal.outcome", entry.id, outcome))
                    .transpose()?,
                idempotency_key: entry.idempotency_key,
                decided_at: entry.decided_at,
                carried_out_at: entry.carried_out_at,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Json(AlertEventDetail {
        event: AlertEventView::of(row)?,
        journal,
    }))
}

/// An answer as filed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AnswerFiled {
    /// The event.
    pub event_id: i64,
    /// Approved (true) or rejected.
    pub approve: bool,
    /// When.
    pub answered_at: DateTime<Utc>,
}

async fn answer(
    state: &AppState,
    caller: &Caller,
    row: &StoredAlertEvent,
    approve: bool,
) -> ApiResult<(StatusCode, Json<AnswerFiled>)> {
    caller.dealer("answer alerts")?;
    if !row.open {
        return Err(Failure::Conflict {
            field: None,
            message: format!("{} is archived", row.id),
        });
    }
    let now = Utc::now();
    state
        .store
        .add_asm_answer(row.id, approve, caller.user.id, now)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(AnswerFiled {
            event_id: row.id.0,
            approve,
            answered_at: now,
        }),
    ))
}

/// `POST /api/v1/asm/events/{event_id}/approve`: releases its actions waiting for
/// approval at the next tick.
#[utoipa::path(post, path = "/api/v1/asm/events/{event_id}/approve", tag = "asm",
    params(("event_id" = i64, Path)),
    responses(
        (status = 202, description = "Filed; the next tick takes it in", body = AnswerFiled),
        (status = 403, description = "Account users cannot answer alerts", body = ApiError),
        (status = 409, description = "The event is archived", body = ApiError),
    ))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Visible(row): Visible<StoredAlertEvent>,
) -> ApiResult<(StatusCode, Json<AnswerFiled>)> {
    answer(&state, &caller, &row, true).await
}

/// `POST /api/v1/asm/events/{event_id}/reject`: archives the event at the next tick.
#[utoipa::path(post, path = "/api/v1/asm/events/{event_id}/reject", tag = "asm",
    params(("event_id" = i64, Path)),
    responses(
        (status = 202, description = "Filed; the next tick takes it in", body = AnswerFiled),
        (status = 403, description = "Account users cannot answer alerts", body = ApiError),
        (status = 409, description = "The event is archived", body = ApiError),
    ))]
pub(crate) async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Visible(row): Visible<StoredAlertEvent>,
) -> ApiResult<(StatusCode, Json<AnswerFiled>)> {
    answer(&state, &caller, &row, false).await
}

/// `GET /api/v1/asm/preconditions`: what must be configured before alerts can do their
/// work (the source's "ASM Preconditions"), of the accounts the caller sees. Every
/// dealer has e-mail templates (its own, a dealer's above, or the built-in ones); one
/// it saved that no longer passes the template check is missing.
#[utoipa::path(get, path = "/api/v1/asm/preconditions", tag = "asm",
    responses((status = 200, description = "Each missing precondition naming the dealer or account concerned; empty when ASM is ready", body = Vec<Missing>)))]
pub(crate) async fn preconditions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Missing>>> {
    let Some(tree) = facts::account_tree(&state.store).await? else {
        return Err(Failure::Internal("the server has no main dealer".into()));
    };
    let missing = missing_preconditions(
        &tree,
        &crate::asm::contacts(&state.store).await?,
        &crate::asm::behaviours(&state.store, None).await?,
        &ServerSetup {
            unusable_templates: crate::asm::mail::own_templates(&state.store)
                .await?
                .into_iter()
                .filter(|(_, template)| quire_asm::templates::check(template).is_err())
                .map(|(key, _)| key)
                .collect(),
            smtp_enabled: state.smtp_enabled,
        },
    );
    let mut seen = Vec::with_capacity(missing.len());
    for item in missing {
        let account = match &item {
            Missing::MainDealerPrimaryEmail { dealer }
            | Missing::PrimaryDealerContact { dealer, .. }
            | Missing::ProcessingBehaviour { dealer }
            | Missing::EmailTemplate { dealer, .. } => Some(*dealer),
            Missing::PrimaryAccountContact { account } => Some(*account),
            Missing::Smtp => None,
        };
        let visible = match account {
            Some(account) => {
                state
                    .store
                    .sees(caller.visibility, AccountId(account.0))
                    .await?
            }
            None => true,
        };
        if visible {
            seen.push(item);
        }
    }
    Ok(Json(seen))
}

/// A contact of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ContactView {
    /// Its id, which processing behaviours name an alternate contact by; ignored when
    /// setting.
    #[serde(default)]
    pub id: i64,
    /// `admin`, `support`, `service`, `supplies` or `billing` for a dealer's primary
    /// contacts, `account-primary` for the account's primary contact, absent for an
    /// alternate contact.
    #[serde(default)]
    pub role: Option<String>,
    /// The person's name.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
}

impl From<StoredContact> for ContactView {
    fn from(c: StoredContact) -> Self {
        ContactView {
            id: c.id,
            role: c.role,
            name: c.name,
            email: c.email,
        }
    }
}

/// `GET /api/v1/accounts/{account_id}/contacts`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/contacts", tag = "asm",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "The account's contacts", body = Vec<ContactView>)))]
pub(crate) async fn contacts(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<ContactView>>> {
    let rows = state.store.asm_contacts(Some(account.id)).await?;
    Ok(Json(rows.into_iter().map(ContactView::from).collect()))
}

/// `PUT /api/v1/accounts/{account_id}/contacts`: the account's contacts, in place of
/// its old ones. One bad row refuses the list, naming it.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/contacts", tag = "asm",
    params(("account_id" = i64, Path)), request_body = Vec<ContactView>,
    responses(
        (status = 200, description = "The account's contacts as stored", body = Vec<ContactView>),
        (status = 400, description = "A row is wrong; the answer names it", body = ApiError),
        (status = 403, description = "Account users cannot set contacts", body = ApiError),
    ))]
pub(crate) async fn set_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
    Body(list): Body<Vec<ContactView>>,
) -> ApiResult<Json<Vec<ContactView>>> {
    caller.dealer("set contacts")?;
    if list.len() > MAX_CONTACTS {
        return Err(Failure::invalid(
            &format!("[{MAX_CONTACTS}]"),
            format!("an account has at most {MAX_CONTACTS} contacts"),
        ));
    }
    for (index, contact) in list.iter().enumerate() {
        let field = |name: &str| format!("[{index}].{name}");
        if let Some(role) = contact.role.as_deref() {
            let dealer_role = serde_json::from_value::<DealerRole>(role.into()).is_ok();
            if !dealer_role && role != "account-primary" {
                return Err(Failure::invalid(
                    &field("role"),
                    format!(
                        "`{role}` is none of admin, support, service, supplies, billing, account-primary"
                    ),
                ));
            }
            if dealer_role && !account.is_dealer {
                return Err(Failure::invalid(
                    &field("role"),
                    format!(
                        "{} is not a dealer: it has no dealer contacts",
                        account.name
                    ),
                ));
            }
            if let Some(first) = list[..index]
                .iter()
                .position(|c| c.role.as_deref() == Some(role))
            {
                return Err(Failure::invalid(
                    &field("role"),
                    format!("`{role}` is [{first}]'s already"),
                ));
            }
        }
        if contact.name.trim().is_empty() {
            return Err(Failure::invalid(&field("name"), "is empty"));
        }
        if !quire_asm::is_plausible_email(contact.email.trim()) {
            return Err(Failure::invalid(
                &field("email"),
                format!("`{}` is not an e-mail address", contact.email),
            ));
        }
    }
    let rows: Vec<NewContact<'_>> = list
        .iter()
        .map(|c| NewContact {
            role: c.role.as_deref(),
            name: c.name.trim(),
            email: c.email.trim(),
        })
        .collect();
    state.store.set_asm_contacts(account.id, &rows).await?;
    contacts(State(state), Visible(account)).await
}

/// Who receives one action result type's results for a dealer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BehaviourView {
    /// The action result type (`email`), as action definitions name it.
    pub result_type: String,
    /// Who receives, in order.
    pub recipients: Vec<Recipient>,
}

/// `GET /api/v1/accounts/{account_id}/processing-behaviours`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/processing-behaviours", tag = "asm",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "The dealer's processing behaviours, by result type", body = Vec<BehaviourView>)))]
pub(crate) async fn behaviours(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<BehaviourView>>> {
    let behaviours = crate::asm::behaviours(&state.store, Some(account.id)).await?;
    Ok(Json(
        behaviours
            .into_iter()
            .map(|b| BehaviourView {
                result_type: b.result_type,
                recipients: b.recipients,
            })
            .collect(),
    ))
}

/// `PUT /api/v1/accounts/{account_id}/processing-behaviours`: a dealer's behaviours, in
/// place of its old ones.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/processing-behaviours", tag = "asm",
    params(("account_id" = i64, Path)), request_body = Vec<BehaviourView>,
    responses(
        (status = 200, description = "The dealer's processing behaviours as stored", body = Vec<BehaviourView>),
        (status = 400, description = "A row is wrong, or the account is no dealer; the answer names it", body = ApiError),
        (status = 403, description = "Account users cannot set processing behaviours", body = ApiError),
    ))]
pub(crate) async fn set_behaviours(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
    Body(list): Body<Vec<BehaviourView>>,
) -> ApiResult<Json<Vec<BehaviourView>>> {
    caller.dealer("set processing behaviours")?;
    if !account.is_dealer {
        return Err(Failure::invalid(
            "account_id",
            format!(
                "{} is not a dealer: processing behaviours are a dealer's",
                account.name
            ),
        ));
    }
    for (index, behaviour) in list.iter().enumerate() {
        let field = |name: &str| format!("[{index}].{name}");
        if behaviour.result_type.trim().is_empty() {
            return Err(Failure::invalid(&field("result-type"), "is empty"));
        }
        if let Some(first) = list[..index]
            .iter()
            .position(|b| b.result_type == behaviour.result_type)
        {
            return Err(Failure::invalid(
                &field("result-type"),
                format!("`{}` is [{first}]'s already", behaviour.result_type),
            ));
        }
        if behaviour.recipients.is_empty() {
            return Err(Failure::invalid(&field("recipients"), "nobody receives"));
        }
    }
    let rows: Vec<StoredBehaviour> = list
        .iter()
        .map(|b| StoredBehaviour {
            dealer: account.id,
            result_type: b.result_type.clone(),
            recipients: serde_json::to_value(&b.recipients).expect("recipients serialise to JSON"),
        })
        .collect();
    state.store.set_asm_behaviours(account.id, &rows).await?;
    behaviours(State(state), Visible(account)).await
}

/// An alerts frequency: an account's actions of one result type are pooled and released
/// no sooner than this interval after the last of that type was invoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FrequencyView {
    /// The action result type (`email`, `webhook`), as action definitions name it.
    pub result_type: String,
    /// The interval.
    pub interval: Interval,
}

/// `GET /api/v1/accounts/{account_id}/alert-frequencies`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/alert-frequencies", tag = "asm",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "The account's alerts frequencies, by result type; a type not listed is invoked as soon as it is due", body = Vec<FrequencyView>)))]
pub(crate) async fn frequencies(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<FrequencyView>>> {
    state
        .store
        .asm_frequencies(Some(account.id))
        .await?
        .into_iter()
        .map(|row| {
            Ok(FrequencyView {
                interval: stored::read(
                    "asm_frequencies.frequency",
                    &row.result_type,
                    row.frequency,
                )?,
                result_type: row.result_type,
            })
        })
        .collect::<ApiResult<_>>()
        .map(Json)
}

/// `PUT /api/v1/accounts/{account_id}/alert-frequencies`: the account's frequencies, in
/// place of its old ones; the next tick pools by them. One bad row refuses the list,
/// naming it.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/alert-frequencies", tag = "asm",
    params(("account_id" = i64, Path)), request_body = Vec<FrequencyView>,
    responses(
        (status = 200, description = "The account's alerts frequencies as stored", body = Vec<FrequencyView>),
        (status = 400, description = "A row is wrong; the answer names it", body = ApiError),
        (status = 403, description = "Account users cannot set alerts frequencies", body = ApiError),
    ))]
pub(crate) async fn set_frequencies(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
    Body(list): Body<Vec<FrequencyView>>,
) -> ApiResult<Json<Vec<FrequencyView>>> {
    caller.dealer("set alerts frequencies")?;
    if list.len() > MAX_FREQUENCIES {
        return Err(Failure::invalid(
            &format!("[{MAX_FREQUENCIES}]"),
            format!("an account has at most {MAX_FREQUENCIES} alerts frequencies"),
        ));
    }
    for (index, frequency) in list.iter().enumerate() {
        let field = |name: &str| format!("[{index}].{name}");
        if frequency.result_type.trim().is_empty() {
            return Err(Failure::invalid(&field("result-type"), "is empty"));
        }
        if let Some(first) = list[..index]
            .iter()
            .position(|f| f.result_type == frequency.result_type)
        {
            return Err(Failure::invalid(
                &field("result-type"),
                format!("`{}` is [{first}]'s already", frequency.result_type),
            ));
        }
        if frequency.interval.value == 0 {
            return Err(Failure::invalid(
                &field("interval.value"),
                "must be more than zero; leave the type out to invoke its actions as soon as they are due",
            ));
        }
    }
    let rows: Vec<StoredFrequency> = list
        .iter()
        .map(|f| StoredFrequency {
            account_id: account.id,
            result_type: f.result_type.clone(),
            frequency: serde_json::to_value(f.interval).expect("intervals serialise to JSON"),
        })
        .collect();
    state.store.set_asm_frequencies(account.id, &rows).await?;
    frequencies(State(state), Visible(account)).await
}
