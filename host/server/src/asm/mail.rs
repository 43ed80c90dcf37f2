//! What an alert's e-mail says: the alert's fields read from the store, the part cost
//! the administrator's setting quotes for its consumable, and the template of the
//! device's dealer (its own, a dealer's above, or the built-in one) rendered over them
//! (`quire_asm::templates`, `quire_asm::part_costs`).
//!
//! A stored template that no longer renders for this alert (it passed its check when
//! saved, but, say, compares a level a service alert does not have) does not hold the
//! e-mail back: the built-in template writes it instead, and the server logs why.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use quire_asm::{
    AccountTree, AlertFields, CostSetting, CostSource, DeviceFields, EmailTemplate, PartCost,
    PriceBook, RenderedEmail, TemplateKind, TemplateSource, TriggerKey, part_cost,
};
use quire_store::{AsmEventId, Store};
use serde::{Deserialize, Serialize};

use super::{facts, stored_event};
use crate::stored;

/// The name the consumable cost setting is stored under.
pub(crate) const COST_SETTING: &str = "part-costs";

/// The administrator's consumable cost setting; the default (dealer-specific values)
/// until one is set.
pub(crate) async fn cost_setting(store: &Store) -> quire_store::Result<CostSetting> {
    match store.asm_setting(COST_SETTING).await? {
        Some(body) => stored::read("asm_settings.body", COST_SETTING, body),
        None => Ok(CostSetting::default()),
    }
}

/// Every dealer's own templates, as `quire_asm::templates::template_for` takes them.
/// A row of a kind this server does not know is left out, not fatal.
pub(crate) async fn own_templates(
    store: &Store,
) -> quire_store::Result<BTreeMap<(quire_asm::AccountId, TemplateKind), EmailTemplate>> {
    Ok(store
        .email_templates(None)
        .await?
        .into_iter()
        .filter_map(|row| {
            let kind = serde_json::from_value(row.kind.into()).ok()?;
            Some((
                (facts::asm_account(row.dealer), kind),
                EmailTemplate {
                    subject: row.subject,
                    body: row.body,
                },
            ))
        })
        .collect())
}

/// An alert's e-mail and everything it was written from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct WrittenEmail {
    /// The kind of e-mail.
    pub kind: TemplateKind,
    /// Where its template came from.
    pub template_source: TemplateSource,
    /// The part cost quoted, and where it came from; absent when none was found.
    pub part_cost: Option<PartCost>,
    /// The fields the template was given, by the names templates use (snake_case, as
    /// Jinja names must be).
    pub fields: AlertFields,
    /// What it says.
    pub email: RenderedEmail,
}

/// What every e-mail of a batch is written with, read once: the account tree, the
/// dealers' own templates and the consumable cost setting.
pub(crate) struct Writer {
    tree: AccountTree,
    templates: BTreeMap<(quire_asm::AccountId, TemplateKind), EmailTemplate>,
    setting: CostSetting,
}

impl Writer {
    /// Reads what e-mails are written with.
    pub(crate) async fn load(store: &Store) -> quire_store::Result<Writer> {
        let Some(tree) = facts::account_tree(store).await? else {
            return Err(quire_store::Error::NotFound {
                what: "the main dealer".into(),
            });
        };
        Ok(Writer {
            tree,
            templates: own_templates(store).await?,
            setting: cost_setting(store).await?,
        })
    }

    /// The e-mail of alert event `event` (of the redirect kind with `redirect_reason`),
    /// from `template` when given (a preview), else from the device's dealer's template.
    pub(crate) async fn write(
        &self,
        store: &Store,
        event: AsmEventId,
        redirect_reason: Option<&str>,
        template: Option<EmailTemplate>,
        now: DateTime<Utc>,
    ) -> quire_store::Result<(quire_store::AccountId, WrittenEmail)> {
        let tree = &self.tree;
        let row = store.asm_event(event).await?;
        let alert = stored_event(&row)?.event;
        let device = store.device(row.key.device).await?;
        let account = store.account(row.account_id).await?;
        let definition = match store.asm_definition(row.key.definition).await {
            Ok(definition) => definition.name,
            Err(quire_store::Error::NotFound { .. }) => row.key.definition.to_string(),
            Err(other) => return Err(other),
        };
        let (kind, consumable, error_state) = match &alert.key.trigger {
            TriggerKey::Consumable(position) => (
                TemplateKind::ConsumableAlert,
                Some(position.to_string()),
                None,
            ),
            TriggerKey::ErrorState(state) => {
                (TemplateKind::ServiceAlert, None, Some(state.to_string()))
            }
        };
        let kind = if redirect_reason.is_some() {
            TemplateKind::Redirect
        } else {
            kind
        };
        let trigger = match (&consumable, &error_state, alert.last_level) {
            (Some(position), _, Some(level)) => format!("{position} at {level} %"),
            (Some(position), _, None) => position.clone(),
            (None, Some(state), _) => state.clone(),
            (None, None, _) => String::new(),
        };
        let part_number = match &consumable {
            Some(position) => facts::part_number(store, device.id, position, now).await?,
            None => None,
        };
        let account_key = facts::asm_account(row.account_id);
        let cost = match &part_number {
            Some(part) => quote(store, part, account_key, tree, &self.setting).await?,
            None => None,
        };
        let cost_source = match cost.map(|c| c.source) {
            Some(CostSource::Dealer { dealer }) => Some(format!(
                "dealer {}",
                store.account(quire_store::AccountId(dealer.0)).await?.name
            )),
            Some(CostSource::Supplier { supplier }) => Some(format!(
                "supplier {}",
                store
                    .supplier(quire_store::SupplierId(supplier.0))
                    .await?
                    .name
            )),
            None => None,
        };
        let name = [device.manufacturer.as_deref(), device.model.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let fields = AlertFields {
            definition,
            account: account.name,
            account_id: account.id.0,
            device: DeviceFields {
                id: device.id.0,
                manufacturer: device.manufacturer.clone(),
                model: device.model.clone(),
                name,
                serial: device.serial.clone(),
                address: device.addresses.first().map(|a| a.address.to_string()),
            },
            trigger,
            consumable,
            level: alert.last_level,
            error_state,
            first_triggered: alert.first_triggered_at.to_rfc3339(),
            last_triggered: alert.last_triggered_at.to_rfc3339(),
            status: crate::words::word(&alert.status),
            part_number,
            part_cost: cost.map(|c| c.cost.to_string()),
            part_cost_source: cost_source,
            redirect_reason: redirect_reason.map(str::to_owned),
        };
        let (template, template_source) = match template {
            Some(template) => (template, TemplateSource::Given),
            None => quire_asm::templates::template_for(kind, account_key, tree, &self.templates),
        };
        let email = match quire_asm::templates::render(&template, &fields) {
            Ok(email) => email,
            Err(problem) => {
                tracing::warn!(%event, ?template_source, %problem,
                    "an e-mail template does not render for this alert; the built-in one writes it");
                quire_asm::templates::render(&quire_asm::templates::built_in(kind), &fields)
                    .map_err(|problem| quire_store::Error::Invalid {
                        field: "template".into(),
                        message: problem.to_string(),
                    })?
            }
        };
        Ok((
            row.account_id,
            WrittenEmail {
                kind,
                template_source,
                part_cost: cost,
                fields,
                email,
            },
        ))
    }
}

/// The cost of `part` for a device of `account` under the administrator's setting.
async fn quote(
    store: &Store,
    part: &str,
    account: quire_asm::AccountId,
    tree: &AccountTree,
    setting: &CostSetting,
) -> quire_store::Result<Option<PartCost>> {
    let key = quire_asm::part_costs::part_key(part);
    let (dealers, suppliers) = store.costs_of_part(&key).await?;
    let mut book = PriceBook::default();
    for (dealer, cost) in dealers {
        book.dealer_price(facts::asm_account(dealer), &key, cost);
    }
    for (supplier, cost) in suppliers {
        book.supplier_price(quire_asm::SupplierId(supplier.0), &key, cost);
    }
    Ok(part_cost(part, account, tree, setting, &book))
}
