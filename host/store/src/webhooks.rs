//! ASM's webhooks: the endpoints dealers configure, and the deliveries the server makes
//! to them — every one a row here before it is tried, and after, as the list a dealer
//! reads to see what reached their system.
//!
//! Queueing and delivering are apart, as for e-mails (`outbox.rs`), so nothing is lost
//! while an endpoint is down: a delivery waits, `queued`, until an attempt succeeds
//! (`delivered`) or the server gives up on it (`failed`). A delivery is queued once per
//! idempotency key (the ASM decision's), so a crashed tick that queues it again gets the
//! first row back. An endpoint's secret signs its deliveries, so the store keeps it as
//! it was given out; the server shows it only when it generates one. An endpoint's
//! static headers (an ERP's API key) are kept in clear for the same reason: they must be
//! sent; the server checks them before they are stored and never shows their values.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Store;
use crate::asm::AsmEventId;
use crate::error::Result;
use crate::types::{AccountId, Page, id_type};

id_type!(
    /// A webhook endpoint of a dealer.
    WebhookEndpointId,
    "webhook endpoint"
);
id_type!(
    /// One delivery to a webhook endpoint.
    WebhookDeliveryId,
    "webhook delivery"
);

/// A webhook endpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: WebhookEndpointId,
    /// The dealer account it belongs to.
    pub account_id: AccountId,
    /// The dealer's name for it.
    pub name: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The key deliveries are signed with.
    pub secret: String,
    /// Headers sent on every request to it (name, value), in the dealer's order.
    pub headers: Vec<(String, String)>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its name, URL or headers last changed.
    pub updated_at: DateTime<Utc>,
    /// When its secret was generated.
    pub secret_rotated_at: DateTime<Utc>,
    /// When it was deleted; deliveries still queued to it then fail.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (never tried, or tried and refused for now).
    Queued,
    /// Answered 2xx by the endpoint.
    Delivered,
    /// Given up: out of attempts, or its endpoint was deleted.
    Failed,
}

/// An endpoint to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEndpoint<'a> {
    /// The dealer's name for it.
    pub name: &'a str,
    /// Where deliveries are POSTed.
    pub url: &'a str,
    /// The key deliveries are signed with.
    pub secret: &'a str,
    /// Headers sent on every request to it.
    pub headers: &'a [(String, String)],
}

/// What changes of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointChange<'a> {
    /// Its new name.
    pub name: &'a str,
    /// Its new URL.
    pub url: &'a str,
    /// Its headers in place of the stored ones; `None` keeps them.
    pub headers: Option<&'a [(String, String)]>,
}

/// A static header as the `headers` column keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredHeader {
    name: String,
    value: String,
}

fn stored_headers(headers: &[(String, String)]) -> Vec<StoredHeader> {
    headers
        .iter()
        .map(|(name, value)| StoredHeader {
            name: name.clone(),
            value: value.clone(),
        })
        .collect()
}

/// A delivery to queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewDelivery<'a> {
    /// Queueing the same key again returns the first delivery.
    pub idempotency_key: &'a str,
    /// The endpoint.
    pub endpoint: WebhookEndpointId,
    /// The alert event it is about.
    pub event: AsmEventId,
    /// The JSON body to POST.
    pub body: &'a str,
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// Its id, sent with every attempt so the receiver can tell a retry.
    pub id: WebhookDeliveryId,
    /// The key it was queued with.
    pub idempotency_key: String,
    /// The endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// The alert event it is about.
    pub event_id: AsmEventId,
    /// The JSON body POSTed.
    pub body: String,
    /// Queued, delivered or failed.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When a queued delivery is tried next.
    pub next_attempt_at: DateTime<Utc>,
    /// The HTTP status of the last answer.
    pub last_status: Option<u16>,
    /// Why the last failed attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the endpoint accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was given up.
    pub failed_at: Option<DateTime<Utc>>,
}

/// What one attempt came to, to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptOutcome<'a> {
    /// The HTTP status answered, if any answer came.
    pub status: Option<u16>,
    /// Why it failed; `None` when it was delivered.
    pub error: Option<&'a str>,
}

impl Store {
    /// Adds an endpoint to a dealer account.
    pub async fn add_webhook_endpoint(
        &self,
        account: AccountId,
        endpoint: &NewEndpoint<'_>,
        at: DateTime<Utc>,
    ) -> Result<WebhookEndpointId> {
        dispatch!(self.add_webhook_endpoint(account, endpoint, at))
    }

    /// An endpoint that is not deleted, or [`crate::Error::NotFound`].
    pub async fn webhook_endpoint(&self, id: WebhookEndpointId) -> Result<WebhookEndpoint> {
        dispatch!(self.webhook_endpoint(id))
    }

    /// The endpoints of `account` that are not deleted, by id.
    pub async fn webhook_endpoints(
        &self,
        account: AccountId,
        page: Page,
    ) -> Result<Vec<WebhookEndpoint>> {
        dispatch!(self.webhook_endpoints(account, page))
    }

    /// Renames an endpoint or points it elsewhere; its headers are replaced when
    /// `endpoint.headers` is given and kept when not. Its secret stays.
    pub async fn update_webhook_endpoint(
        &self,
        id: WebhookEndpointId,
        endpoint: &EndpointChange<'_>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.update_webhook_endpoint(id, endpoint, at))
    }

    /// Gives an endpoint a new secret: deliveries tried from now on are signed with it.
    pub async fn rotate_webhook_secret(
        &self,
        id: WebhookEndpointId,
        secret: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.rotate_webhook_secret(id, secret, at))
    }

    /// Deletes an endpoint: kept for its deliveries, whose queued ones then fail.
    pub async fn delete_webhook_endpoint(
        &self,
        id: WebhookEndpointId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.delete_webhook_endpoint(id, at))
    }

    /// Queues a delivery to be tried at once (`at`), or finds the one queued before
    /// with the same idempotency key; its id, and whether it was queued now.
    pub async fn queue_webhook_delivery(
        &self,
        delivery: &NewDelivery<'_>,
        at: DateTime<Utc>,
    ) -> Result<(WebhookDeliveryId, bool)> {
        dispatch!(self.queue_webhook_delivery(delivery, at))
    }

    /// Up to `limit` queued deliveries whose next attempt is due at `now`, the longest
    /// waiting first, each with its endpoint (deleted ones too).
    pub async fn due_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(WebhookDelivery, WebhookEndpoint)>> {
        dispatch!(self.due_webhook_deliveries(now, limit))
    }

    /// Marks a queued delivery delivered at `at`, counting the attempt.
    pub async fn webhook_delivered(
        &self,
        id: WebhookDeliveryId,
        outcome: AttemptOutcome<'_>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.webhook_delivered(id, outcome, at))
    }

    /// Counts a failed attempt of a queued delivery, which stays queued until
    /// `next_attempt_at`.
    pub async fn webhook_failed_attempt(
        &self,
        id: WebhookDeliveryId,
        outcome: AttemptOutcome<'_>,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.webhook_failed_attempt(id, outcome, next_attempt_at))
    }

    /// Gives a queued delivery up at `at`, counting the attempt that failed last when
    /// `counted` (not when it was given up untried, its endpoint deleted).
    pub async fn webhook_given_up(
        &self,
        id: WebhookDeliveryId,
        outcome: AttemptOutcome<'_>,
        counted: bool,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.webhook_given_up(id, outcome, counted, at))
    }

    /// A page of one endpoint's deliveries, in `status` when given, newest first.
    pub async fn webhook_deliveries(
        &self,
        endpoint: WebhookEndpointId,
        status: Option<DeliveryStatus>,
        page: Page,
    ) -> Result<Vec<WebhookDelivery>> {
        dispatch!(self.webhook_deliveries(endpoint, status, page))
    }

    /// One delivery, or [`crate::Error::NotFound`].
    pub async fn webhook_delivery(&self, id: WebhookDeliveryId) -> Result<WebhookDelivery> {
        dispatch!(self.webhook_delivery(id))
    }
}

macro_rules! webhook_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use sqlx::{Pool, Row};

        use super::{
            AttemptOutcome, DeliveryStatus, EndpointChange, NewDelivery, NewEndpoint, StoredHeader, WebhookDelivery,
            WebhookDeliveryId, WebhookEndpoint, WebhookEndpointId, stored_headers,
        };
        use crate::asm::AsmEventId;
        use crate::backend::$backend::{one_row, page_of, update_one};
        use crate::backend::{parse_word, stored_u32, word};
        use crate::error::{Context, Error, Result};
        use crate::types::{AccountId, Page};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        const ENDPOINT_COLUMNS: &str = "SELECT id, account_id, name, url, secret, headers, created_at, updated_at, \
             secret_rotated_at, deleted_at FROM asm_webhook_endpoints WHERE ";

        const DELIVERY_COLUMNS: &str = "SELECT id, idempotency_key, endpoint_id, event_id, body, status, attempts, \
             next_attempt_at, last_status, last_error, created_at, delivered_at, failed_at \
             FROM asm_webhook_deliveries WHERE ";

        fn endpoint_from_row(row: &DbRow, prefix: &str) -> Result<WebhookEndpoint> {
            let context = || "reading a webhook endpoint".to_owned();
            let column = |name: &str| format!("{prefix}{name}");
            let Json(headers): Json<Vec<StoredHeader>> =
                row.try_get(column("headers").as_str()).context(context)?;
            Ok(WebhookEndpoint {
                id: WebhookEndpointId(row.try_get(column("id").as_str()).context(context)?),
                account_id: AccountId(row.try_get(column("account_id").as_str()).context(context)?),
                name: row.try_get(column("name").as_str()).context(context)?,
                url: row.try_get(column("url").as_str()).context(context)?,
                secret: row.try_get(column("secret").as_str()).context(context)?,
                headers: headers.into_iter().map(|h| (h.name, h.value)).collect(),
                created_at: row.try_get(column("created_at").as_str()).context(context)?,
                updated_at: row.try_get(column("updated_at").as_str()).context(context)?,
                secret_rotated_at: row.try_get(column("secret_rotated_at").as_str()).context(context)?,
                deleted_at: row.try_get(column("deleted_at").as_str()).context(context)?,
            })
        }

        fn delivery_from_row(row: &DbRow) -> Result<WebhookDelivery> {
            let context = || "reading a webhook delivery".to_owned();
            let last_status: Option<i64> = row.try_get("last_status").context(context)?;
            Ok(WebhookDelivery {
                id: WebhookDeliveryId(row.try_get("id").context(context)?),
                idempotency_key: row.try_get("idempotency_key").context(context)?,
                endpoint_id: WebhookEndpointId(row.try_get("endpoint_id").context(context)?),
                event_id: AsmEventId(row.try_get("event_id").context(context)?),
                body: row.try_get("body").context(context)?,
                status: parse_word("asm_webhook_deliveries.status", row.try_get("status").context(context)?)?,
                attempts: stored_u32("asm_webhook_deliveries.attempts", row.try_get("attempts").context(context)?)?,
                next_attempt_at: row.try_get("next_attempt_at").context(context)?,
                last_status: last_status
                    .map(|status| {
                        u16::try_from(status).map_err(|e| Error::Corrupt {
                            column: "asm_webhook_deliveries.last_status",
                            value: status.to_string(),
                            reason: e.to_string(),
                        })
                    })
                    .transpose()?,
                last_error: row.try_get("last_error").context(context)?,
                created_at: row.try_get("created_at").context(context)?,
                delivered_at: row.try_get("delivered_at").context(context)?,
                failed_at: row.try_get("failed_at").context(context)?,
            })
        }

        pub(crate) async fn add_webhook_endpoint(
            pool: &Pool<Db>,
            account: AccountId,
            endpoint: &NewEndpoint<'_>,
            at: DateTime<Utc>,
        ) -> Result<WebhookEndpointId> {
            sqlx::query_scalar(
                "INSERT INTO asm_webhook_endpoints (account_id, name, url, secret, headers, created_at, updated_at, \
                 secret_rotated_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING id",
            )
            .bind(account.0)
            .bind(endpoint.name)
            .bind(endpoint.url)
            .bind(endpoint.secret)
            .bind(Json(stored_headers(endpoint.headers)))
            .bind(at)
            .fetch_one(pool)
            .await
            .map(WebhookEndpointId)
            .context(|| format!("adding the webhook endpoint {:?} of {account}", endpoint.name))
        }

        pub(crate) async fn webhook_endpoint(pool: &Pool<Db>, id: WebhookEndpointId) -> Result<WebhookEndpoint> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{ENDPOINT_COLUMNS}id = $1 AND deleted_at IS NULL"
            )));
            endpoint_from_row(&one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?, "")
        }

        pub(crate) async fn webhook_endpoints(
            pool: &Pool<Db>,
            account: AccountId,
            page: Page,
        ) -> Result<Vec<WebhookEndpoint>> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{ENDPOINT_COLUMNS}account_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT $2 OFFSET $3"
            )));
            let rows = page_of(pool, select.bind(account.0), page, || {
                format!("listing the webhook endpoints of {account}")
            })
            .await?;
            rows.iter().map(|row| endpoint_from_row(row, "")).collect()
        }

        pub(crate) async fn update_webhook_endpoint(
            pool: &Pool<Db>,
            id: WebhookEndpointId,
            endpoint: &EndpointChange<'_>,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_webhook_endpoints SET name = $2, url = $3, headers = COALESCE($4, headers), \
                 updated_at = $5 WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id.0)
            .bind(endpoint.name)
            .bind(endpoint.url)
            .bind(endpoint.headers.map(|h| Json(stored_headers(h))))
            .bind(at);
            update_one(pool, update, id, || format!("changing {id}")).await
        }

        pub(crate) async fn rotate_webhook_secret(
            pool: &Pool<Db>,
            id: WebhookEndpointId,
            secret: &str,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_webhook_endpoints SET secret = $2, secret_rotated_at = $3 \
                 WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id.0)
            .bind(secret)
            .bind(at);
            update_one(pool, update, id, || format!("rotating the secret of {id}")).await
        }

        pub(crate) async fn delete_webhook_endpoint(pool: &Pool<Db>, id: WebhookEndpointId, at: DateTime<Utc>) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_webhook_endpoints SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id.0)
            .bind(at);
            update_one(pool, update, id, || format!("deleting {id}")).await
        }

        pub(crate) async fn queue_webhook_delivery(
            pool: &Pool<Db>,
            delivery: &NewDelivery<'_>,
            at: DateTime<Utc>,
        ) -> Result<(WebhookDeliveryId, bool)> {
            let context = || format!("queueing a delivery to {}", delivery.endpoint);
            // A taken key inserts nothing: the row queued first is the delivery.
            let queued: Option<i64> = sqlx::query_scalar(
                "INSERT INTO asm_webhook_deliveries (idempotency_key, endpoint_id, event_id, body, status, \
                 attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) \
                 ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            )
            .bind(delivery.idempotency_key)
            .bind(delivery.endpoint.0)
            .bind(delivery.event.0)
            .bind(delivery.body)
            .bind(word(&DeliveryStatus::Queued))
            .bind(at)
            .fetch_optional(pool)
            .await
            .context(context)?;
            if let Some(id) = queued {
                return Ok((WebhookDeliveryId(id), true));
            }
            let id: i64 = sqlx::query_scalar("SELECT id FROM asm_webhook_deliveries WHERE idempotency_key = $1")
                .bind(delivery.idempotency_key)
                .fetch_one(pool)
                .await
                .context(context)?;
            Ok((WebhookDeliveryId(id), false))
        }

        pub(crate) async fn due_webhook_deliveries(
            pool: &Pool<Db>,
            now: DateTime<Utc>,
            limit: u32,
        ) -> Result<Vec<(WebhookDelivery, WebhookEndpoint)>> {
            let rows = sqlx::query(
                "SELECT d.id, d.idempotency_key, d.endpoint_id, d.event_id, d.body, d.status, d.attempts, \
                 d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at, d.failed_at, \
                 e.id AS e_id, e.account_id AS e_account_id, e.name AS e_name, e.url AS e_url, \
                 e.secret AS e_secret, e.headers AS e_headers, e.created_at AS e_created_at, e.updated_at AS e_updated_at, \
                 e.secret_rotated_at AS e_secret_rotated_at, e.deleted_at AS e_deleted_at \
                 FROM asm_webhook_deliveries d JOIN asm_webhook_endpoints e ON e.id = d.endpoint_id \
                 WHERE d.status = $1 AND d.next_attempt_at <= $2 ORDER BY d.next_attempt_at, d.id LIMIT $3",
            )
            .bind(word(&DeliveryStatus::Queued))
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .context(|| "finding the webhook deliveries due".into())?;
            rows.iter()
                .map(|row| Ok((delivery_from_row(row)?, endpoint_from_row(row, "e_")?)))
                .collect()
        }

        pub(crate) async fn webhook_delivered(
            pool: &Pool<Db>,
            id: WebhookDeliveryId,
            outcome: AttemptOutcome<'_>,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_webhook_deliveries SET status = $2, attempts = attempts + 1, last_status = $3, \
                 delivered_at = $4 WHERE id = $1 AND status = $5",
            )
            .bind(id.0)
            .bind(word(&DeliveryStatus::Delivered))
            .bind(outcome.status.map(i64::from))
            .bind(at)
            .bind(word(&DeliveryStatus::Queued));
            update_one(pool, update, format!("queued {id}"), || format!("marking {id} delivered")).await
        }

        pub(crate) async fn webhook_failed_attempt(
            pool: &Pool<Db>,
            id: WebhookDeliveryId,
            outcome: AttemptOutcome<'_>,
            next_attempt_at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, \
                 next_attempt_at = $4 WHERE id = $1 AND status = $5",
            )
            .bind(id.0)
            .bind(outcome.status.map(i64::from))
            .bind(outcome.error)
            .bind(next_attempt_at)
            .bind(word(&DeliveryStatus::Queued));
            update_one(pool, update, format!("queued {id}"), || format!("counting a failed attempt of {id}")).await
        }

        pub(crate) async fn webhook_given_up(
            pool: &Pool<Db>,
            id: WebhookDeliveryId,
            outcome: AttemptOutcome<'_>,
            counted: bool,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_webhook_deliveries SET status = $2, attempts = attempts + $3, \
                 last_status = COALESCE($4, last_status), last_error = $5, failed_at = $6 \
                 WHERE id = $1 AND status = $7",
            )
            .bind(id.0)
            .bind(word(&DeliveryStatus::Failed))
            .bind(i64::from(counted))
            .bind(outcome.status.map(i64::from))
            .bind(outcome.error)
            .bind(at)
            .bind(word(&DeliveryStatus::Queued));
            update_one(pool, update, format!("queued {id}"), || format!("giving {id} up")).await
        }

        pub(crate) async fn webhook_deliveries(
            pool: &Pool<Db>,
            endpoint: WebhookEndpointId,
            status: Option<DeliveryStatus>,
            page: Page,
        ) -> Result<Vec<WebhookDelivery>> {
            let mut query = sqlx::QueryBuilder::<Db>::new(DELIVERY_COLUMNS);
            query.push("endpoint_id = ").push_bind(endpoint.0);
            crate::listing::equal(&mut query, "status", status.map(|s| word(&s)));
            crate::listing::page(&mut query, "id DESC", page);
            let rows = query
                .build()
                .fetch_all(pool)
                .await
                .context(|| format!("listing the deliveries of {endpoint}"))?;
            rows.iter().map(delivery_from_row).collect()
        }

        pub(crate) async fn webhook_delivery(pool: &Pool<Db>, id: WebhookDeliveryId) -> Result<WebhookDelivery> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!("{DELIVERY_COLUMNS}id = $1")));
            delivery_from_row(&one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?)
        }
    };
}

mod sqlite {
    webhook_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    webhook_queries!(sqlx::Postgres, postgres);
}
