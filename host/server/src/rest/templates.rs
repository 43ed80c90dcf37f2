//! ASM's e-mail templates through the REST API (the source's "Dealer Information ->
//! Email Templates"): the templates a dealer's alert e-mails use and where each comes
//! from, the dealer's own set, and a preview of an alert event's e-mail.
//!
//! Templates are seen through the account; a dealer's users (and administrators) set a
//! dealer's own. A template with a syntax error or a field an alert does not have is
//! refused naming the row, the part (`[0].body`) and the line in the message, and
//! nothing of the list is stored (`quire_asm::templates`).

use axum::Json;
use axum::extract::State;
use quire_asm::{EmailTemplate, TemplateKind, TemplateSource};
use quire_protocol::ApiError;
use quire_store::{Account, StoredAlertEvent, StoredTemplate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::asm::carry::redirect_reason;
use crate::asm::facts;
use crate::asm::mail::{Writer, WrittenEmail, own_templates};
use crate::error::{ApiResult, Body, Failure};
use crate::state::AppState;

use super::{Caller, Visible};

/// A dealer's own template of one kind, as set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TemplateView {
    /// Which e-mail it writes.
    pub kind: TemplateKind,
    /// The subject, in Jinja syntax over the alert's fields (`{{ definition }}`).
    pub subject: String,
    /// The plain-text body, likewise.
    pub body: String,
}

/// The template one kind of e-mail uses for an account's devices, and where it is from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct EffectiveTemplate {
    /// Which e-mail it writes.
    pub kind: TemplateKind,
    /// The subject template.
    pub subject: String,
    /// The body template.
    pub body: String,
    /// The dealer whose own it is (the account's dealer, or the nearest dealer above
    /// with one), or the built-in wording.
    pub source: TemplateSource,
}

/// `GET /api/v1/accounts/{account_id}/email-templates`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/email-templates", tag = "asm",
    params(("account_id" = i64, Path)),
    responses((status = 200, description = "For each kind of e-mail, the template the account's devices' alerts use and where it comes from", body = Vec<EffectiveTemplate>)))]
pub(crate) async fn templates(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
) -> ApiResult<Json<Vec<EffectiveTemplate>>> {
    let Some(tree) = facts::account_tree(&state.store).await? else {
        return Err(Failure::Internal("the server has no main dealer".into()));
    };
    let own = own_templates(&state.store).await?;
    let account = facts::asm_account(account.id);
    Ok(Json(
        TemplateKind::ALL
            .into_iter()
            .map(|kind| {
                let (template, source) =
                    quire_asm::templates::template_for(kind, account, &tree, &own);
                EffectiveTemplate {
                    kind,
                    subject: template.subject,
                    body: template.body,
                    source,
                }
            })
            .collect(),
    ))
}

/// `PUT /api/v1/accounts/{account_id}/email-templates`: the dealer's own templates, in
/// place of its old ones; a kind it leaves out is inherited again.
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/email-templates", tag = "asm",
    params(("account_id" = i64, Path)), request_body = Vec<TemplateView>,
    responses(
        (status = 200, description = "For each kind of e-mail, the template the account's devices' alerts now use", body = Vec<EffectiveTemplate>),
        (status = 400, description = "A template is wrong (the message names its line and the unknown field), a kind is set twice, or the account is no dealer; nothing was stored", body = ApiError),
        (status = 403, description = "Account users cannot set templates", body = ApiError),
    ))]
pub(crate) async fn set_templates(
    State(state): State<AppState>,
    caller: Caller,
    Visible(account): Visible<Account>,
    Body(list): Body<Vec<TemplateView>>,
) -> ApiResult<Json<Vec<EffectiveTemplate>>> {
    caller.dealer("set e-mail templates")?;
    if !account.is_dealer {
        return Err(Failure::invalid(
            "account_id",
            format!(
                "{} is not a dealer: e-mail templates are a dealer's",
                account.name
            ),
        ));
    }
    let mut rows = Vec::with_capacity(list.len());
    for (index, view) in list.iter().enumerate() {
        if let Some(first) = list[..index].iter().position(|v| v.kind == view.kind) {
            return Err(Failure::invalid(
                &format!("[{index}].kind"),
                format!(
                    "`{}` is [{first}]'s already",
                    crate::words::word(&view.kind)
                ),
            ));
        }
        let template = EmailTemplate {
            subject: view.subject.clone(),
            body: view.body.clone(),
        };
        checked(&template, &format!("[{index}]."))?;
        rows.push(StoredTemplate {
            dealer: account.id,
            kind: crate::words::word(&view.kind),
            subject: template.subject,
            body: template.body,
        });
    }
    state.store.set_email_templates(account.id, &rows).await?;
    templates(State(state), Visible(account)).await
}

/// `template`, or a 400 naming `{prefix}subject` or `{prefix}body` with the line.
fn checked(template: &EmailTemplate, prefix: &str) -> ApiResult<()> {
    quire_asm::templates::check(template).map_err(|problem| {
        Failure::invalid(
            &format!("{prefix}{}", problem.part),
            format!("line {}: {}", problem.line, problem.message),
        )
    })
}

/// What to preview: the e-mail an event's actions send, or its redirect to the dealer
/// admin, from the template that applies or from one given.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PreviewRequest {
    /// The redirect to the dealer admin (true) rather than the alert's own e-mail.
    #[serde(default)]
    pub redirect: bool,
    /// A template to try instead of the one that applies; checked as when saved.
    #[serde(default)]
    pub template: Option<EmailTemplate>,
}

/// `POST /api/v1/asm/events/{event_id}/email-preview`: renders the event's e-mail now,
/// sending nothing.
#[utoipa::path(post, path = "/api/v1/asm/events/{event_id}/email-preview", tag = "asm",
    params(("event_id" = i64, Path)), request_body = PreviewRequest,
    responses(
        (status = 200, description = "The e-mail, with the template's source, the part cost quoted and the fields it was written from", body = WrittenEmail),
        (status = 400, description = "The template given is wrong; the message names its line", body = ApiError),
    ))]
pub(crate) async fn preview(
    State(state): State<AppState>,
    Visible(row): Visible<StoredAlertEvent>,
    Body(request): Body<PreviewRequest>,
) -> ApiResult<Json<WrittenEmail>> {
    if let Some(template) = &request.template {
        checked(template, "template.")?;
    }
    let reason = request
        .redirect
        .then_some(redirect_reason(quire_asm::RedirectReason::NoValidRecipient));
    let writer = Writer::load(&state.store).await?;
    let (_, written) = writer
        .write(
            &state.store,
            row.id,
            reason,
            request.template,
            chrono::Utc::now(),
        )
        .await?;
    Ok(Json(written))
}
