//! The e-mail history through the REST API: every e-mail the server sent or tried to, its
//! recipients (and whom it was meant for when it was redirected), status, attempts and
//! the SMTP server's last word. An e-mail is seen through its account; one of no account
//! by administrators only.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use quire_store::{AccountId, Email, EmailFilter, EmailId, EmailStatus, Visibility};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Failure};
use crate::state::AppState;

use super::{Caller, ListQuery, Owned, PathIds, Visible, page};

/// One e-mail of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct EmailView {
    pub id: i64,
    /// The account it is about; null for one of no account (administrators see those).
    pub account_id: Option<i64>,
    /// The sender; null sends as the server's configured sender (`--smtp-from`).
    pub from: Option<String>,
    /// The recipients it is sent to.
    pub to: Vec<String>,
    pub subject: String,
    pub body_text: String,
    /// queued (waiting for its next attempt), sent, or failed (given up).
    pub status: EmailStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When a queued e-mail is tried next.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed, as the SMTP server or the connection said.
    pub last_error: Option<String>,
    /// The recipients it was meant for before it was redirected (none was valid, say).
    pub redirected_from: Option<Vec<String>>,
    /// Why it was redirected.
    pub redirect_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

impl From<Email> for EmailView {
    fn from(e: Email) -> Self {
        EmailView {
            id: e.id.0,
            account_id: e.account_id.map(|a| a.0),
            from: e.from,
            to: e.to,
            subject: e.subject,
            body_text: e.body_text,
            status: e.status,
            attempts: e.attempts,
            next_attempt_at: e.next_attempt_at,
            last_error: e.last_error,
            redirected_from: e.redirected_from,
            redirect_reason: e.redirect_reason,
            created_at: e.created_at,
            sent_at: e.sent_at,
            failed_at: e.failed_at,
        }
    }
}

/// An e-mail is seen through its account; one of no account only by administrators.
impl Owned for Email {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Self> {
        let id = EmailId(path.number("email_id")?);
        let email = state.store.email(id).await?;
        match email.account_id {
            Some(account) => caller.sees(state, account, id, email).await,
            None if caller.visibility == Visibility::All => Ok(email),
            None => Err(Failure::NotFound(format!("{id} not found"))),
        }
    }
}

/// The e-mail history's query string: filters that must all hold, and the page.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct EmailQuery {
    /// Only e-mails in this status.
    #[param(inline)]
    status: Option<EmailStatus>,
    /// Only e-mails about this account.
    account_id: Option<i64>,
    /// Rows of the page: 1 to 1000, 100 when not given.
    limit: Option<u32>,
    /// Rows skipped before the page.
    offset: Option<u64>,
}

/// `GET /api/v1/emails`: the e-mails of the accounts the caller sees, newest first.
#[utoipa::path(get, path = "/api/v1/emails", tag = "e-mails", params(EmailQuery),
    responses((status = 200, description = "E-mails of the accounts the user sees (and, for administrators, those of no account) that match every filter given, newest first", body = Vec<EmailView>)))]
pub(crate) async fn emails(
    State(state): State<AppState>,
    caller: Caller,
    ListQuery(query): ListQuery<EmailQuery>,
) -> ApiResult<Json<Vec<EmailView>>> {
    let page = page(query.limit, query.offset)?;
    let filter = EmailFilter {
        status: query.status,
        account: query.account_id.map(AccountId),
    };
    let emails = state
        .store
        .email_history(caller.visibility, filter, page)
        .await?;
    Ok(Json(emails.into_iter().map(EmailView::from).collect()))
}

/// `GET /api/v1/emails/{email_id}`.
#[utoipa::path(get, path = "/api/v1/emails/{email_id}", tag = "e-mails",
    params(("email_id" = i64, Path)),
    responses((status = 200, description = "One e-mail", body = EmailView)))]
pub(crate) async fn email(Visible(email): Visible<Email>) -> Json<EmailView> {
    Json(email.into())
}
