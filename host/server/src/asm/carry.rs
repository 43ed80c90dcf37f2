//! Carrying out what a tick journaled, and reading back what came of it.
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
//! Webhook and plugin actions are not carried out by this server yet: they are recorded
//! as failed with that reason, so the engine retries and gives up on them as on any
//! failure and the event's journal says why.

use chrono::{DateTime, Utc};
use quire_asm::{
    ActionKind, Decision, EventKey, Invocation, Redirect, RedirectReason, Report, TriggerKey,
};
use quire_store::{
    AccountId, Actor, DeviceId, EmailId, EmailStatus, JournalEntry, MaintenanceFilter, NewEmail,
    Page, Store, Visibility, WorkOrderFilter,
};
use serde::{Deserialize, Serialize};

use super::mail::Writer;
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
    /// A work order was opened (or found opened by an earlier attempt).
    #[serde(rename_all = "kebab-case")]
    WorkOrderCreated {
        /// The order.
        work_order_id: i64,
    },
    /// It could not be carried out.
    Failed {
        /// Why.
        reason: String,
    },
}

/// Carries out every journal entry not carried out yet; how many were.
pub(crate) async fn carry_out(store: &Store, now: DateTime<Utc>) -> quire_store::Result<usize> {
    let pending = store.asm_journal_pending().await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let writer = Writer::load(store).await?;
    for entry in &pending {
        let outcome = match serde_json::from_value::<Decision>(entry.decision.clone()) {
            Ok(Decision::InvokeAction(invocation) | Decision::RetryAction(invocation)) => {
                invoke(store, &writer, entry, &invocation, now).await?
            }
            Ok(Decision::RedirectAction(redirect)) => {
                redirect_email(store, &writer, entry, &redirect, now).await?
            }
            Ok(other) => Outcome::Failed {
                reason: format!("{other:?} is not an action"),
            },
            Err(e) => Outcome::Failed {
                reason: format!("the journaled decision does not read: {e}"),
            },
        };
        let outcome = serde_json::to_value(&outcome).expect("outcomes serialise to JSON");
        store.asm_journal_done(entry.id, &outcome, now).await?;
    }
    Ok(pending.len())
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
        Some(Outcome::WorkOrderCreated { .. }) => Some(Some(Report::Succeeded {
            key,
            action,
            attempt,
            at,
        })),
        Some(Outcome::Failed { .. }) | None => Some(Some(failed)),
    })
}

async fn invoke(
    store: &Store,
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
        other => Ok(Outcome::Failed {
            reason: format!(
                "{} actions are not carried out by this server yet",
                crate::words::word(other)
            ),
        }),
    }
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
        .find(|item| item.condition.device_id == device && item.condition.state == *state);
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
            tracing::info!(entry = %entry.id, %field, %message, "an alert e-mail was refused");
            Ok(Outcome::Failed {
                reason: format!("{field}: {message}"),
            })
        }
        Err(other) => Err(other),
    }
}

/// What an action says about its alert: the account it is about, and the subject and
/// body a dealer's staff read to act on it.
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

/// Why a redirected e-mail came to the dealer admin, finishing "… because".
pub(crate) fn redirect_reason(reason: RedirectReason) -> &'static str {
    match reason {
        RedirectReason::NoValidRecipient => "no recipient it is meant for has a valid address",
        RedirectReason::Failed => "it could not be sent to the recipients it is meant for",
    }
}
