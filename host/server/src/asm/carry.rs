//! Carrying out what a tick journaled, and reading back what came of it.
//!
//! The pending entries are carried out side by side, up to the action plugin host's
//! slot count at once ([`ActionPlugins::concurrency`]), so an ERP that takes its 10 s to
//! answer one plugin holds up no other action of the tick. Each entry is marked done
//! once, when its own outcome is known, in whatever order they finish; a store error on
//! one leaves that entry pending for the next tick and stops none of the others.
//!
//! An e-mail invocation or redirect is queued in the outbox under its decision's
//! idempotency key, so carrying an entry out twice queues one e-mail; its outcome is the
//! e-mail's, once the mailer sent it or gave up. The e-mail is written from the device's
//! dealer's template over the alert's fields and its consumable's part cost
//! ([`super::mail`]); a redirect from the redirect template, saying why.
//!
//! A work-order action opens a work order for the device's current condition of the
//! alert's error state, priced as a user's would be (`maintenance::create_work_order`,
//! from the strategy's `map-error` estimate), by the system. Its note carries the
//! decision's idempotency key, and an order of the device with that key is reused, so
//! carrying an entry out again after a crash opens no second order. A consumable alert
//! has no error state to repair, and a condition that cleared meanwhile has nothing to
//! order: both are failures with their reason.
//!
//! A webhook action queues a delivery to its endpoint (`crate::webhooks`) under the
//! decision's idempotency key, so carrying an entry out twice queues one; its body is a
//! [`WebhookBody`], and its outcome is the delivery's, once delivered or given up. An
//! endpoint deleted since the definition named it is a failure with that reason.
//!
//! A plugin action runs the action plugin its definition names (`{"plugin": "erp-order"}`,
//! the built-in ones, those the server was started with, or those published to it, which
//! take the place of its own of the same name from the next tick, [`ActionPlugins`]) in the
//! plugin sandbox. Its only way out is HTTP to the endpoints its dealer configured,
//! which are the dealer's named webhook endpoints (the definition owner's): an endpoint
//! named `erp` with its URL as the base. The plugin gets the alert, and as action
//! parameters the decision's `idempotency-key` (the same when an entry is carried out
//! again after a crash, so the receiving system can refuse a second order), the
//! `dealer`'s name, and for a consumable alert its `consumable-type`, the `part-number`
//! of the position's latest level and a `quantity` of 1. Performed is a success;
//! failed-retry and failed are failures with the plugin's reason (the engine retries
//! either up to its attempts); a plugin the host stopped (its deadline, a trap, an
//! endpoint it was not given) is a failure saying so, and costs only that action.
//!
//! When the ERP purchase-order plugin ([`PURCHASE_ORDER`]) performed, the supply is
//! recorded as ordered in the device's supply lifecycle, as `POST …/supplies/events`
//! records it, with the part number and the plugin's answer (`order N`) and key as the
//! note; a crash-repeat that finds the key in a note records nothing again.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt as _, stream};
use quire_asm::{
    ActionKind, AlertEvent, ConsumableType, Decision, EventKey, Invocation, Redirect,
    RedirectReason, Report, TriggerKey, WebhookEndpointId,
};
use quire_plugins::{ActionAlert, ActionCall, ActionOutcome, ActionPlugin, Endpoint, OutboundHttp};
use quire_store::{
    Account, AccountId, Actor, AsmEventId, DeliveryStatus, Device, DeviceId, EmailId, EmailStatus,
    JournalEntry, JournalId, MaintenanceFilter, NewDelivery, NewEmail, NewSupplyEvent, Page, Store,
    SupplyEventKind, Visibility, WebhookDeliveryId, WorkOrderFilter,
};
use serde::{Deserialize, Serialize};

use super::facts::{consumable_type, latest_at};
use super::mail::Writer;
use super::stored_event;
use crate::log_text::untrusted;
use crate::mailer::queue_email;
use crate::maintenance::{WorkOrderError, WorkOrderRequest, create_work_order};

/// What carrying out a journal entry did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum Outcome {
    /// The e-mail was queued; its fate is the outbox's.
    #[serde(rename_all = "kebab-case")]
    EmailQueued {
        /// The e-mail.
        email_id: i64,
    },
    /// The webhook delivery was queued; its fate is the delivery's.
    #[serde(rename_all = "kebab-case")]
    WebhookQueued {
        /// The delivery.
        delivery_id: i64,
        /// The endpoint it goes to.
        endpoint_id: i64,
    },
    /// A work order was opened (or found opened by an earlier attempt).
    #[serde(rename_all = "kebab-case")]
    WorkOrderCreated {
        /// The order.
        work_order_id: i64,
    },
    /// An action plugin performed it.
    #[serde(rename_all = "kebab-case")]
    PluginPerformed {
        /// The plugin.
        plugin: String,
        /// What it said it did (`order 4711`).
        result: String,
    },
    /// It could not be carried out.
    Failed {
        /// Why.
        reason: String,
    },
}

/// Carries out every journal entry not carried out yet; how many were.
pub(crate) async fn carry_out(
    store: &Store,
    plugins: &ActionPlugins,
    now: DateTime<Utc>,
) -> quire_store::Result<usize> {
    let pending = store.asm_journal_pending().await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let writer = Writer::load(store).await?;
    let writer = &writer;
    // The futures are made before they are streamed: a stream mapping over borrowed
    // entries would not be `Send` for every lifetime, which the ASM job's task needs.
    let each: Vec<_> = pending
        .iter()
        .map(|entry| carry_and_mark(store, plugins, writer, entry, now))
        .collect();
    let carried: Vec<(JournalId, quire_store::Result<()>)> = stream::iter(each)
        .buffer_unordered(plugins.concurrency)
        .collect()
        .await;
    let mut done = 0;
    let mut first_error = None;
    for (entry, carried) in carried {
        match carried {
            Ok(()) => done += 1,
            Err(error) => {
                tracing::warn!(%entry, %error, "a journal entry was not carried out; the next tick tries it again");
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(done),
    }
}

/// Carries `entry` out and marks it done with its outcome; its id, and an error only
/// when the store failed (the entry then stays pending).
async fn carry_and_mark(
    store: &Store,
    plugins: &ActionPlugins,
    writer: &Writer,
    entry: &JournalEntry,
    now: DateTime<Utc>,
) -> (JournalId, quire_store::Result<()>) {
    let marked = async {
        let outcome = carry_one(store, plugins, writer, entry, now).await?;
        let outcome = serde_json::to_value(&outcome).expect("outcomes serialise to JSON");
        store.asm_journal_done(entry.id, &outcome, now).await
    };
    (entry.id, marked.await)
}

/// What carrying out `entry` came to; an error only when the store failed.
async fn carry_one(
    store: &Store,
    plugins: &ActionPlugins,
    writer: &Writer,
    entry: &JournalEntry,
    now: DateTime<Utc>,
) -> quire_store::Result<Outcome> {
    Ok(
        match serde_json::from_value::<Decision>(entry.decision.clone()) {
            Ok(Decision::InvokeAction(invocation) | Decision::RetryAction(invocation)) => {
                invoke(store, plugins, writer, entry, &invocation, now).await?
            }
            Ok(Decision::RedirectAction(redirect)) => {
                redirect_email(store, writer, entry, &redirect, now).await?
            }
            Ok(other) => Outcome::Failed {
                reason: format!("{other:?} is not an action"),
            },
            Err(e) => Outcome::Failed {
                reason: format!("the journaled decision does not read: {e}"),
            },
        },
    )
}

/// What the engine should hear of a carried-out entry: `None` while its e-mail waits in
/// the outbox, `Some(None)` when there is nothing to report (a redirect is final as
/// decided), `Some(Some(report))` otherwise.
pub(crate) async fn outcome(
    store: &Store,
    entry: &JournalEntry,
) -> quire_store::Result<Option<Option<Report>>> {
    let Ok(Decision::InvokeAction(invocation) | Decision::RetryAction(invocation)) =
        serde_json::from_value::<Decision>(entry.decision.clone())
    else {
        return Ok(Some(None));
    };
    let outcome = entry
        .outcome
        .clone()
        .and_then(|o| serde_json::from_value::<Outcome>(o).ok());
    let (key, action, attempt) = (invocation.key, invocation.action, invocation.attempt);
    let at = entry.carried_out_at.unwrap_or(entry.decided_at);
    let failed = Report::Failed {
        key: key.clone(),
        action,
        attempt,
        at,
    };
    Ok(match outcome {
        Some(Outcome::EmailQueued { email_id }) => {
            let email = store.email(EmailId(email_id)).await?;
            match email.status {
                EmailStatus::Queued => None,
                EmailStatus::Sent => Some(Some(Report::Succeeded {
                    key,
                    action,
                    attempt,
                    at: email.sent_at.unwrap_or(at),
                })),
                EmailStatus::Failed => Some(Some(failed)),
            }
        }
        Some(Outcome::WebhookQueued { delivery_id, .. }) => {
            let delivery = store
                .webhook_delivery(WebhookDeliveryId(delivery_id))
                .await?;
            match delivery.status {
                DeliveryStatus::Queued => None,
                DeliveryStatus::Delivered => Some(Some(Report::Succeeded {
                    key,
                    action,
                    attempt,
                    at: delivery.delivered_at.unwrap_or(at),
                })),
                DeliveryStatus::Failed => Some(Some(failed)),
            }
        }
        Some(Outcome::WorkOrderCreated { .. } | Outcome::PluginPerformed { .. }) => {
            Some(Some(Report::Succeeded {
                key,
                action,
                attempt,
                at,
            }))
        }
        Some(Outcome::Failed { .. }) | None => Some(Some(failed)),
    })
}

async fn invoke(
    store: &Store,
    plugins: &ActionPlugins,
    writer: &Writer,
    entry: &JournalEntry,
    invocation: &Invocation,
    now: DateTime<Utc>,
) -> quire_store::Result<Outcome> {
    match &invocation.kind {
        ActionKind::Email => {
            let message = message(store, writer, entry, None, now).await?;
            email(
                store,
                entry,
                &NewEmail {
                    idempotency_key: Some(&entry.idempotency_key),
                    account: Some(message.account),
                    from: None,
                    to: &invocation.recipients,
                    subject: &message.subject,
                    body_text: &message.body,
                    redirected_from: None,
                    redirect_reason: None,
                },
                now,
            )
            .await
        }
        ActionKind::WorkOrder => work_order(store, writer, entry, &invocation.key, now).await,
        ActionKind::Webhook { endpoint_id } => {
            webhook(store, entry, invocation, *endpoint_id, now).await
        }
        ActionKind::Plugin(name) => {
            plugin(store, plugins, writer, entry, invocation, name, now).await
        }
    }
}

/// The built-in plugin that orders consumables from a dealer's ERP.
pub const PURCHASE_ORDER: &str = "erp-order";

/// The action plugins a server runs, by name, and the client their requests go out by.
#[derive(Clone)]
pub struct ActionPlugins {
    plugins: HashMap<String, Arc<ActionPlugin>>,
    client: Arc<dyn OutboundHttp>,
    concurrency: usize,
}

impl ActionPlugins {
    /// `plugins` by name, reaching their endpoints through `client`, with up to
    /// `concurrency` journal entries carried out at once (the plugin host's slots: more
    /// would only wait for one).
    pub fn new(
        plugins: HashMap<String, Arc<ActionPlugin>>,
        client: Arc<dyn OutboundHttp>,
        concurrency: usize,
    ) -> ActionPlugins {
        ActionPlugins {
            plugins,
            client,
            concurrency: concurrency.max(1),
        }
    }

    /// How many journal entries one tick carries out at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// These plugins with `published` ones (the depot's) in place of those of the same
    /// name: what one tick runs.
    pub fn with_published(&self, published: &[(String, Arc<ActionPlugin>)]) -> ActionPlugins {
        let mut plugins = self.plugins.clone();
        for (name, plugin) in published {
            plugins.insert(name.clone(), plugin.clone());
        }
        ActionPlugins {
            plugins,
            client: self.client.clone(),
            concurrency: self.concurrency,
        }
    }

    /// The names action definitions may give these plugins.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.plugins.keys().map(String::as_str)
    }
}

async fn plugin(
    store: &Store,
    plugins: &ActionPlugins,
    writer: &Writer,
    entry: &JournalEntry,
    invocation: &Invocation,
    name: &str,
    now: DateTime<Utc>,
) -> quire_store::Result<Outcome> {
    let Some(plugin) = plugins.plugins.get(name) else {
        return Ok(Outcome::Failed {
            reason: format!("no action plugin named {name:?} is installed on this server"),
        });
    };
    let alert = alert(store, entry).await?;
    let mut parameters = vec![("idempotency-key".to_owned(), entry.idempotency_key.clone())];
    let mut endpoints = Vec::new();
    if let Some(owner) = alert.owner {
        parameters.push(("dealer".into(), store.account(owner).await?.name));
        endpoints = store
            .webhook_endpoints(owner, Page::ALL)
            .await?
            .into_iter()
            .map(|e| Endpoint {
                name: e.name,
                base_url: e.url,
                headers: e.headers,
            })
            .collect();
    }
    let (kind, subject, level) = match &alert.event.key.trigger {
        TriggerKey::Consumable(position) => {
            let level = latest_at(store, alert.device.id, position, now).await?;
            if let Some((level, _)) = &level {
                let consumable = match consumable_type(&level.kind, &level.description) {
                    ConsumableType::Custom(name) => name,
                    known => crate::words::word(&known),
                };
                parameters.push(("consumable-type".into(), consumable));
                if let Some(part) = &level.last_part_number {
                    parameters.push(("part-number".into(), part.clone()));
                }
            }
            parameters.push(("quantity".into(), "1".into()));
            ("consumable", position.to_string(), level)
        }
        TriggerKey::ErrorState(state) => ("service", state.to_string(), None),
    };
    let message = message(store, writer, entry, None, now).await?;
    let call_alert = ActionAlert {
        id: u64::try_from(alert.event_id.0).unwrap_or_default(),
        definition: alert.definition.clone(),
        kind: kind.into(),
        device_serial: alert.device.serial.clone(),
        device_model: alert.device.model.clone(),
        account: alert.account.name.clone(),
        subject,
        message: message.subject,
        opened_at: alert.event.first_triggered_at.to_rfc3339(),
    };
    let call = ActionCall {
        id: u64::try_from(invocation.action.0).unwrap_or_default(),
        action_definition: invocation.action.0.to_string(),
        action_type: name.into(),
        parameters,
        attempt: invocation.attempt,
    };
    let performed = plugin
        .perform(endpoints, plugins.client.clone(), &call_alert, &call)
        .await;
    let result = match performed {
        Ok(ActionOutcome::Performed(result)) => result,
        Ok(ActionOutcome::FailedRetry(reason)) => {
            return Ok(Outcome::Failed {
                reason: format!("{name}: {reason} (worth retrying)"),
            });
        }
        Ok(ActionOutcome::Failed(reason)) => {
            return Ok(Outcome::Failed {
                reason: format!("{name}: {reason}"),
            });
        }
        Err(stopped) => {
            tracing::warn!(entry = %entry.id, error = %stopped, "an action plugin failed");
            return Ok(Outcome::Failed {
                reason: stopped.to_string(),
            });
        }
    };
    if name == PURCHASE_ORDER
        && let Some((level, rank)) = level
        && let Some(part) = &level.last_part_number
    {
        let marker = format!("[{}]", entry.idempotency_key);
        let recorded = store
            .supply_events(alert.device.id, Page::ALL)
            .await?
            .iter()
            .any(|e| e.note.as_deref().is_some_and(|n| n.contains(&marker)));
        if !recorded {
            let note = format!("{result} {marker}");
            store
                .add_supply_event(
                    alert.device.id,
                    &NewSupplyEvent {
                        supply_kind: &level.kind,
                        supply_color: level.color.as_deref(),
                        supply_rank: rank,
                        kind: SupplyEventKind::Ordered,
                        part_number: part,
                        quantity: 1,
                        at: now,
                        note: Some(&note),
                    },
                    now,
                )
                .await?;
        }
    }
    Ok(Outcome::PluginPerformed {
        plugin: name.into(),
        result,
    })
}

async fn webhook(
    store: &Store,
    entry: &JournalEntry,
    invocation: &Invocation,
    endpoint: Option<WebhookEndpointId>,
    now: DateTime<Utc>,
) -> quire_store::Result<Outcome> {
    let Some(endpoint) = endpoint else {
        return Ok(Outcome::Failed {
            reason: "the webhook action names no endpoint".into(),
        });
    };
    let endpoint = quire_store::WebhookEndpointId(endpoint.0);
    match store.webhook_endpoint(endpoint).await {
        Ok(_) => {}
        Err(quire_store::Error::NotFound { .. }) => {
            return Ok(Outcome::Failed {
                reason: format!("{endpoint} was deleted"),
            });
        }
        Err(other) => return Err(other),
    }
    let alert = alert(store, entry).await?;
    let body = serde_json::to_string(&WebhookBody::of(&alert, entry, invocation))
        .expect("webhook bodies serialise to JSON");
    let (id, _) = store
        .queue_webhook_delivery(
            &NewDelivery {
                idempotency_key: &entry.idempotency_key,
                endpoint,
                event: entry.event_id,
                body: &body,
            },
            now,
        )
        .await?;
    Ok(Outcome::WebhookQueued {
        delivery_id: id.0,
        endpoint_id: endpoint.0,
    })
}

async fn work_order(
    store: &Store,
    writer: &Writer,
    entry: &JournalEntry,
    key: &EventKey,
    now: DateTime<Utc>,
) -> quire_store::Result<Outcome> {
    let TriggerKey::ErrorState(state) = &key.trigger else {
        return Ok(Outcome::Failed {
            reason: "a consumable alert has no error state to open a work order for".into(),
        });
    };
    let device = DeviceId(key.device.0);
    let marker = format!("[{}]", entry.idempotency_key);
    let orders = store
        .work_orders(
            Visibility::All,
            WorkOrderFilter {
                device: Some(device),
                ..WorkOrderFilter::default()
            },
            Page::ALL,
        )
        .await?;
    if let Some(order) = orders
        .iter()
        .find(|o| o.note.as_deref().is_some_and(|n| n.contains(&marker)))
    {
        return Ok(Outcome::WorkOrderCreated {
            work_order_id: order.id.0,
        });
    }
    let message = message(store, writer, entry, None, now).await?;
    let condition = store
        .maintenance(
            Visibility::All,
            MaintenanceFilter {
                account: Some(message.account),
                ..MaintenanceFilter::default()
            },
            Page::ALL,
        )
        .await?
        .into_iter()
        .find(|item| item.condition.device_id == device && *item.condition.state == **state);
    let Some(input) = condition.and_then(|item| item.condition.inputs.first().copied()) else {
        return Ok(Outcome::Failed {
            reason: format!("{device} no longer shows {state}"),
        });
    };
    let request = WorkOrderRequest {
        device,
        input,
        reading: None,
        parts: Vec::new(),
        note: Some(format!("{} {marker}", message.subject)),
    };
    match create_work_order(store, &request, Actor::System, now).await {
        Ok(order) => Ok(Outcome::WorkOrderCreated {
            work_order_id: order.id.0,
        }),
        Err(WorkOrderError::Store(e)) => Err(e),
        Err(other) => Ok(Outcome::Failed {
            reason: other.to_string(),
        }),
    }
}

async fn redirect_email(
    store: &Store,
    writer: &Writer,
    entry: &JournalEntry,
    redirect: &Redirect,
    now: DateTime<Utc>,
) -> quire_store::Result<Outcome> {
    let Some(admin) = &redirect.to else {
        return Ok(Outcome::Failed {
            reason: format!(
                "no dealer admin of {} or of the main dealer has a valid address",
                redirect.dealer
            ),
        });
    };
    let message = message(store, writer, entry, Some(redirect.reason), now).await?;
    let reason = crate::words::word(&redirect.reason);
    email(
        store,
        entry,
        &NewEmail {
            idempotency_key: Some(&entry.idempotency_key),
            account: Some(message.account),
            from: None,
            to: std::slice::from_ref(admin),
            subject: &message.subject,
            body_text: &message.body,
            redirected_from: Some(&[]),
            redirect_reason: Some(&reason),
        },
        now,
    )
    .await
}

async fn email(
    store: &Store,
    entry: &JournalEntry,
    email: &NewEmail<'_>,
    now: DateTime<Utc>,
) -> quire_store::Result<Outcome> {
    match queue_email(store, email, now).await {
        Ok((id, _)) => Ok(Outcome::EmailQueued { email_id: id.0 }),
        Err(quire_store::Error::Invalid { field, message }) => {
            tracing::info!(entry = %entry.id, field = %untrusted(&field), message = %untrusted(&message), "an alert e-mail was refused");
            Ok(Outcome::Failed {
                reason: format!("{field}: {message}"),
            })
        }
        Err(other) => Err(other),
    }
}

/// What an action says about: the alert event and what it names, read in one pass.
struct Alert {
    event_id: AsmEventId,
    event: AlertEvent,
    account: Account,
    definition_id: i64,
    /// The dealer that owns the definition; `None` when it was deleted since.
    owner: Option<AccountId>,
    /// The definition's name; its id when it was deleted since.
    definition: String,
    device: Device,
}

/// What an e-mail action says about its alert: the account it is about, and the subject
/// and body a dealer's staff read to act on it.
struct Message {
    account: AccountId,
    subject: String,
    body: String,
}

/// The message of the alert `entry` is for; of the redirect kind when it is redirected.
async fn message(
    store: &Store,
    writer: &Writer,
    entry: &JournalEntry,
    redirected: Option<RedirectReason>,
    now: DateTime<Utc>,
) -> quire_store::Result<Message> {
    let reason = redirected.map(redirect_reason);
    let (account, written) = writer
        .write(store, entry.event_id, reason, None, now)
        .await?;
    Ok(Message {
        account,
        subject: written.email.subject,
        body: written.email.body,
    })
}

/// The alert `entry` is for.
async fn alert(store: &Store, entry: &JournalEntry) -> quire_store::Result<Alert> {
    let row = store.asm_event(entry.event_id).await?;
    let event = stored_event(&row)?.event;
    let device = store.device(row.key.device).await?;
    let account = store.account(row.account_id).await?;
    let (definition, owner) = match store.asm_definition(row.key.definition).await {
        Ok(definition) => (definition.name, Some(definition.owner)),
        Err(quire_store::Error::NotFound { .. }) => (row.key.definition.to_string(), None),
        Err(other) => return Err(other),
    };
    Ok(Alert {
        event_id: row.id,
        event,
        account,
        definition_id: row.key.definition.0,
        owner,
        definition,
        device,
    })
}

impl Alert {
    fn address(&self) -> Option<String> {
        self.device.addresses.first().map(|a| a.address.to_string())
    }
}

/// The JSON body a webhook action POSTs (see `crate::webhooks` for the headers and the
/// signature): the alert event as a receiver's system needs it to act, and which action
/// and attempt it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct WebhookBody {
    /// What happened: always `asm.action`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The ASM decision's key, one per event, action and attempt of the action.
    pub idempotency_key: String,
    /// The alert event.
    pub alert: WebhookAlert,
    /// The action carried out.
    pub action: WebhookAction,
}

/// The alert event of a webhook body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct WebhookAlert {
    /// The alert event's id (`GET /api/v1/asm/events/{id}`).
    pub event_id: i64,
    /// The definition that raised it.
    pub definition_id: i64,
    /// The definition's name.
    pub definition: String,
    /// The device's account.
    pub account_id: i64,
    /// The account's name.
    pub account: String,
    /// The device.
    pub device_id: i64,
    /// Its manufacturer, when known.
    pub manufacturer: Option<String>,
    /// Its model, when known.
    pub model: Option<String>,
    /// Its serial number, when known.
    pub serial: Option<String>,
    /// The address it was last read at.
    pub address: Option<String>,
    /// What triggered (`consumable:toner:black:1`, `error-state:paper-jam`).
    pub trigger: String,
    /// The consumable's level when it first triggered, percent.
    pub first_level: Option<u8>,
    /// Its level in the last reading, percent.
    pub level: Option<u8>,
    /// The printer error state, for a service alert.
    pub error_state: Option<String>,
    /// waiting-for-approval, alert, submitted, overdue or submitted-and-overdue.
    pub status: String,
    /// When it first triggered.
    pub first_triggered_at: DateTime<Utc>,
    /// When a reading last showed it.
    pub last_triggered_at: DateTime<Utc>,
}

/// The action of a webhook body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct WebhookAction {
    /// The action definition's id within its alert definition.
    pub id: i64,
    /// Its result type, as the definition names it.
    pub result_type: String,
    /// Which attempt of the action this is, from 1 (a failed delivery the engine retries
    /// is a new attempt, with a new idempotency key).
    pub attempt: u32,
    /// When the scheduler decided it.
    pub decided_at: DateTime<Utc>,
}

impl WebhookBody {
    fn of(alert: &Alert, entry: &JournalEntry, invocation: &Invocation) -> WebhookBody {
        let event = &alert.event;
        WebhookBody {
            kind: "asm.action".into(),
            idempotency_key: entry.idempotency_key.clone(),
            alert: WebhookAlert {
                event_id: alert.event_id.0,
                definition_id: alert.definition_id,
                definition: alert.definition.clone(),
                account_id: alert.account.id.0,
                account: alert.account.name.clone(),
                device_id: alert.device.id.0,
                manufacturer: alert.device.manufacturer.clone(),
                model: alert.device.model.clone(),
                serial: alert.device.serial.clone(),
                address: alert.address(),
                trigger: super::store_key(&event.key).trigger,
                first_level: event.first_level,
                level: event.last_level,
                error_state: match &event.key.trigger {
                    TriggerKey::ErrorState(state) => Some(state.to_string()),
                    TriggerKey::Consumable(_) => None,
                },
                status: crate::words::word(&event.status),
                first_triggered_at: event.first_triggered_at,
                last_triggered_at: event.last_triggered_at,
            },
            action: WebhookAction {
                id: invocation.action.0,
                result_type: invocation.pool.result_type.to_string(),
                attempt: invocation.attempt,
                decided_at: invocation.at,
            },
        }
    }
}

/// Why a redirected e-mail came to the dealer admin, finishing "… because".
pub(crate) fn redirect_reason(reason: RedirectReason) -> &'static str {
    match reason {
        RedirectReason::NoValidRecipient => "no recipient it is meant for has a valid address",
        RedirectReason::Failed => "it could not be sent to the recipients it is meant for",
    }
}
