//! The REST API for people: log in, then everything is filtered by the accounts the
//! user may see. Rows of an account the caller may not see answer 404, exactly as rows
//! that do not exist, so IDs cannot be probed.
//!
//! One module per resource; every handler learns who is asking through [`Caller`], and
//! the store applies what they see inside its queries. Lists page with `limit` and
//! `offset` in a stable order ([`Paging`]).

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use chrono::Utc;
use quire_store::{AccountId, Page, Role, User, Visibility};
use serde::de::DeserializeOwned;

use crate::error::{ApiResult, Failure};
use crate::secrets;
use crate::state::AppState;

pub(crate) mod accounts;
pub(crate) mod agents;
pub(crate) mod devices;
pub(crate) mod keys;
pub(crate) mod readings;
pub(crate) mod sessions;
pub(crate) mod sites;
pub(crate) mod users;

/// Where people log in.
pub(crate) const LOGIN_PATH: &str = "/api/v1/login";

/// Rows a list returns when the caller does not say.
const DEFAULT_LIMIT: u32 = 100;

/// The most rows one page may hold: enough for a screen or an export step, little
/// enough that one call cannot make the server hold a whole fleet.
const MAX_LIMIT: u32 = 1_000;

/// `?limit=&offset=` of a list: `limit` rows (default 100, at most 1,000) after skipping
/// `offset`, in the list's stable order. A page shorter than `limit` is the last.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct Paging {
    pub(crate) limit: Option<u32>,
    pub(crate) offset: Option<u64>,
}

impl Paging {
    pub(crate) fn page(&self) -> ApiResult<Page> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Failure::invalid(
                "limit",
                format!("{limit} is outside 1..={MAX_LIMIT}"),
            ));
        }
        Ok(Page {
            offset: self.offset.unwrap_or(0),
            limit: u64::from(limit),
        })
    }
}

/// A list's answer: each stored row as its API view, in the order the query gave.
pub(crate) fn views<T, V: From<T>>(rows: Vec<T>) -> axum::Json<Vec<V>> {
    axum::Json(rows.into_iter().map(V::from).collect())
}

/// A query string parsed into `T`, a bad one refused as JSON naming the parameter, like
/// every other error of the API.
pub(crate) struct ListQuery<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Sync> FromRequestParts<S> for ListQuery<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<ListQuery<T>> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(query)| ListQuery(query))
            .map_err(|rejection| Failure::Invalid {
                field: None,
                message: rejection.body_text(),
            })
    }
}

/// The logged-in user making a call, with what they may see.
pub(crate) struct Caller {
    pub(crate) user: User,
    visibility: Visibility,
    token_hash: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Caller> {
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                Failure::Unauthorized(format!(
                    "log in first (POST {LOGIN_PATH}) and send `Authorization: Bearer <token>`"
                ))
            })?;
        let token_hash = secrets::hash_token(token.trim());
        let user = state
            .store
            .session_user(&token_hash, Utc::now())
            .await?
            .ok_or_else(|| {
                Failure::Unauthorized("the session is unknown or expired; log in again".to_owned())
            })?;
        let visibility = match user.role {
            Role::Administrator => Visibility::All,
            Role::DealerUser | Role::AccountUser => Visibility::Granted(user.id),
        };
        Ok(Caller {
            user,
            visibility,
            token_hash,
        })
    }
}

impl Caller {
    /// Refuses a row of `account` the caller may not see as "not found".
    async fn require(
        &self,
        state: &AppState,
        account: AccountId,
        what: impl std::fmt::Display,
    ) -> ApiResult<()> {
        if state.store.sees(self.visibility, account).await? {
            Ok(())
        } else {
            Err(Failure::NotFound(format!("{what} not found")))
        }
    }

    /// Refuses anyone but an administrator; `what` finishes "only administrators …".
    pub(crate) fn administrator(&self, what: &str) -> ApiResult<()> {
        if self.user.role == Role::Administrator {
            Ok(())
        } else {
            Err(Failure::Forbidden(format!("only administrators {what}")))
        }
    }
}
