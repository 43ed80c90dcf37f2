//! The e-mail outbox: every e-mail the server sends (ASM's e-mail actions) is a row here
//! before the mailer tries it, and stays after as the e-mail history.
//!
//! Queueing and sending are apart so nothing is lost while the SMTP server is down or not
//! configured: an e-mail waits, `queued`, until an attempt succeeds (`sent`) or the mailer
//! gives up on it (`failed`, with the SMTP server's last word). A row is queued once per
//! idempotency key, so a crashed tick that queues the same e-mail again gets the first
//! row back. Addresses are checked by the server before they reach the store; the store
//! keeps them as given.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, Page, Visibility, id_type};

id_type!(
    /// An e-mail in the outbox.
    EmailId,
    "e-mail"
);

/// Where an e-mail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EmailStatus {
    /// Waiting for its next attempt (never tried, or tried and refused for now).
    Queued,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up: rejected for good, or out of attempts.
    Failed,
}

/// An e-mail to queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEmail<'a> {
    /// Queueing the same key again returns the first e-mail; `None` always queues.
    pub idempotency_key: Option<&'a str>,
    /// The account it is about; `None` for an e-mail only administrators may see.
    pub account: Option<AccountId>,
    /// The sender; `None` sends as the server's configured sender.
    pub from: Option<&'a str>,
    /// The recipients, at least one.
    pub to: &'a [String],
    /// The subject line.
    pub subject: &'a str,
    /// The plain-text body.
    pub body_text: &'a str,
    /// The recipients meant before the e-mail was redirected (none were valid, say).
    pub redirected_from: Option<&'a [String]>,
    /// Why it was redirected.
    pub redirect_reason: Option<&'a str>,
}

/// An e-mail as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Its id.
    pub id: EmailId,
    /// The key it was queued with.
    pub idempotency_key: Option<String>,
    /// The account it is about.
    pub account_id: Option<AccountId>,
    /// The sender; `None` is the server's configured sender.
    pub from: Option<String>,
    /// The recipients.
    pub to: Vec<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body_text: String,
    /// Queued, sent or failed.
    pub status: EmailStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When a queued e-mail is tried next.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The recipients meant before it was redirected.
    pub redirected_from: Option<Vec<String>>,
    /// Why it was redirected.
    pub redirect_reason: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the mailer gave up on it.
    pub failed_at: Option<DateTime<Utc>>,
}

/// Which e-mails the history lists; every condition set must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailFilter {
    /// In this status.
    pub status: Option<EmailStatus>,
    /// About this account.
    pub account: Option<AccountId>,
}

impl Store {
    /// Queues an e-mail to be tried at once (`at`), or finds the one queued before with
    /// the same idempotency key; its id, and whether it was queued now.
    pub async fn queue_email(
        &self,
        email: &NewEmail<'_>,
        at: DateTime<Utc>,
    ) -> Result<(EmailId, bool)> {
        dispatch!(self.queue_email(email, at))
    }

    /// Up to `limit` queued e-mails whose next attempt is due at `now`, the longest
    /// waiting first.
    pub async fn due_emails(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Email>> {
        dispatch!(self.due_emails(now, limit))
    }

    /// Marks a queued e-mail sent at `at`.
    pub async fn email_sent(&self, id: EmailId, at: DateTime<Utc>) -> Result<()> {
        dispatch!(self.email_sent(id, at))
    }

    /// Counts a failed attempt of a queued e-mail, which stays queued until `next_attempt_at`.
    pub async fn email_failed_attempt(
        &self,
        id: EmailId,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.email_failed_attempt(id, error, next_attempt_at))
    }

    /// Counts a last failed attempt and gives the e-mail up at `at`.
    pub async fn email_given_up(&self, id: EmailId, error: &str, at: DateTime<Utc>) -> Result<()> {
        dispatch!(self.email_given_up(id, error, at))
    }

    /// A page of the e-mails `visibility` covers that match `filter`, newest first. An
    /// e-mail of no account is an administrator's only.
    pub async fn email_history(
        &self,
        visibility: Visibility,
        filter: EmailFilter,
        page: Page,
    ) -> Result<Vec<Email>> {
        dispatch!(self.email_history(visibility, filter, page))
    }

    /// One e-mail, or [`crate::Error::NotFound`].
    pub async fn email(&self, id: EmailId) -> Result<Email> {
        dispatch!(self.email(id))
    }
}

macro_rules! outbox_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use sqlx::{Pool, Row};

        use super::{Email, EmailFilter, EmailId, EmailStatus, NewEmail};
        use crate::backend::$backend::{one_row, update_one};
        use crate::backend::{parse_word, stored_u32, word};
        use crate::error::{Context, Error, Result};
        use crate::types::{AccountId, Page, Visibility};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        const EMAIL_COLUMNS: &str = "SELECT id, idempotency_key, account_id, from_address, to_addresses, subject, \
             body_text, status, attempts, next_attempt_at, last_error, redirected_from, redirect_reason, \
             created_at, sent_at, failed_at FROM email_outbox WHERE ";

        fn email_from_row(row: &DbRow) -> Result<Email> {
            let context = || "reading an e-mail of the outbox".to_owned();
            let Json(to): Json<Vec<String>> = row.try_get("to_addresses").context(context)?;
            let redirected: Option<Json<Vec<String>>> = row.try_get("redirected_from").context(context)?;
            Ok(Email {
                id: EmailId(row.try_get("id").context(context)?),
                idempotency_key: row.try_get("idempotency_key").context(context)?,
                account_id: row.try_get::<Option<i64>, _>("account_id").context(context)?.map(AccountId),
                from: row.try_get("from_address").context(context)?,
                to,
                subject: row.try_get("subject").context(context)?,
                body_text: row.try_get("body_text").context(context)?,
                status: parse_word("email_outbox.status", row.try_get("status").context(context)?)?,
                attempts: stored_u32("email_outbox.attempts", row.try_get("attempts").context(context)?)?,
                next_attempt_at: row.try_get("next_attempt_at").context(context)?,
                last_error: row.try_get("last_error").context(context)?,
                redirected_from: redirected.map(|Json(list)| list),
                redirect_reason: row.try_get("redirect_reason").context(context)?,
                created_at: row.try_get("created_at").context(context)?,
                sent_at: row.try_get("sent_at").context(context)?,
                failed_at: row.try_get("failed_at").context(context)?,
            })
        }

        pub(crate) async fn queue_email(
            pool: &Pool<Db>,
            email: &NewEmail<'_>,
            at: DateTime<Utc>,
        ) -> Result<(EmailId, bool)> {
            let context = || format!("queueing the e-mail `{}`", email.subject);
            if email.to.is_empty() {
                return Err(Error::Invalid { field: "to".into(), message: "an e-mail needs at least one recipient".into() });
            }
            // A taken key inserts nothing: the row queued first is the e-mail.
            let queued: Option<i64> = sqlx::query_scalar(
                "INSERT INTO email_outbox (idempotency_key, account_id, from_address, to_addresses, subject, \
                 body_text, status, attempts, next_attempt_at, redirected_from, redirect_reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $8) \
                 ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            )
            .bind(email.idempotency_key)
            .bind(email.account.map(|a| a.0))
            .bind(email.from)
            .bind(Json(email.to))
            .bind(email.subject)
            .bind(email.body_text)
            .bind(word(&EmailStatus::Queued))
            .bind(at)
            .bind(email.redirected_from.map(Json))
            .bind(email.redirect_reason)
            .fetch_optional(pool)
            .await
            .context(context)?;
            if let Some(id) = queued {
                return Ok((EmailId(id), true));
            }
            let id: i64 = sqlx::query_scalar("SELECT id FROM email_outbox WHERE idempotency_key = $1")
                .bind(email.idempotency_key)
                .fetch_one(pool)
                .await
                .context(context)?;
            Ok((EmailId(id), false))
        }

        pub(crate) async fn due_emails(pool: &Pool<Db>, now: DateTime<Utc>, limit: u32) -> Result<Vec<Email>> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{EMAIL_COLUMNS}status = $1 AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3"
            )));
            let rows = select
                .bind(word(&EmailStatus::Queued))
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .context(|| "finding the e-mails due".into())?;
            rows.iter().map(email_from_row).collect()
        }

        pub(crate) async fn email_sent(pool: &Pool<Db>, id: EmailId, at: DateTime<Utc>) -> Result<()> {
            let update = sqlx::query(
                "UPDATE email_outbox SET status = $2, attempts = attempts + 1, sent_at = $3 WHERE id = $1 AND status = $4",
            )
            .bind(id.0)
            .bind(word(&EmailStatus::Sent))
            .bind(at)
            .bind(word(&EmailStatus::Queued));
            update_one(pool, update, format!("queued {id}"), || format!("marking {id} sent")).await
        }

        pub(crate) async fn email_failed_attempt(
            pool: &Pool<Db>,
            id: EmailId,
            error: &str,
            next_attempt_at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE email_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 \
                 WHERE id = $1 AND status = $4",
            )
            .bind(id.0)
            .bind(error)
            .bind(next_attempt_at)
            .bind(word(&EmailStatus::Queued));
            update_one(pool, update, format!("queued {id}"), || format!("counting a failed attempt of {id}")).await
        }

        pub(crate) async fn email_given_up(pool: &Pool<Db>, id: EmailId, error: &str, at: DateTime<Utc>) -> Result<()> {
            let update = sqlx::query(
                "UPDATE email_outbox SET status = $2, attempts = attempts + 1, last_error = $3, failed_at = $4 \
                 WHERE id = $1 AND status = $5",
            )
            .bind(id.0)
            .bind(word(&EmailStatus::Failed))
            .bind(error)
            .bind(at)
            .bind(word(&EmailStatus::Queued));
            update_one(pool, update, format!("queued {id}"), || format!("giving {id} up")).await
        }

        pub(crate) async fn email_history(
            pool: &Pool<Db>,
            visibility: Visibility,
            filter: EmailFilter,
            page: Page,
        ) -> Result<Vec<Email>> {
            let mut query = crate::listing::select::<Db>(visibility, &format!("{EMAIL_COLUMNS}TRUE"));
            // An e-mail of no account is outside every granted subtree: `NULL IN (…)` is not true.
            crate::listing::restrict(&mut query, visibility, "account_id");
            crate::listing::equal(&mut query, "status", filter.status.map(|s| word(&s)));
            crate::listing::equal(&mut query, "account_id", filter.account.map(|a| a.0));
            crate::listing::page(&mut query, "id DESC", page);
            let rows = query.build().fetch_all(pool).await.context(|| "listing the e-mail history".into())?;
            rows.iter().map(email_from_row).collect()
        }

        pub(crate) async fn email(pool: &Pool<Db>, id: EmailId) -> Result<Email> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!("{EMAIL_COLUMNS}id = $1")));
            email_from_row(&one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?)
        }
    };
}

mod sqlite {
    outbox_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    outbox_queries!(sqlx::Postgres, postgres);
}
