//! The REST API for people: log in, then everything is filtered by the accounts the
//! user may see. Rows of an account the caller may not see answer 404, exactly as rows
//! that do not exist, so IDs cannot be probed.
//!
//! One module per resource; every handler learns who is asking through [`Caller`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use quire_store::{AccountId, Role, User, Visibility};

use crate::error::{ApiResult, Failure};
use crate::secrets;
use crate::server::AppState;

pub(crate) mod accounts;
pub(crate) mod agents;
pub(crate) mod devices;
pub(crate) mod keys;
pub(crate) mod readings;
pub(crate) mod sessions;
pub(crate) mod sites;
pub(crate) mod users;

use sessions::LOGIN_PATH;

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
        let visibility = state.store.visibility(&user).await?;
        Ok(Caller {
            user,
            visibility,
            token_hash,
        })
    }
}

impl Caller {
    fn require(&self, account: AccountId, what: impl std::fmt::Display) -> ApiResult<()> {
        if self.visibility.sees(account) {
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
