//! Enrollment keys: issued per account, single use, revocable.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use quire_protocol::ApiError;
use quire_store::{Account, EnrollmentKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Failure, parse_json};
use crate::secrets;
use crate::secrets::IssuedKey;
use crate::state::AppState;

use super::{ListQuery, Paging, Visible, views};

/// The longest an enrollment key may stay valid: a key is meant for one installation soon.
const MAX_KEY_HOURS: u32 = 24 * 30;

view! {
    /// An enrollment key as listed: never the key itself, which only its issue shows.
    KeyView from EnrollmentKey as k {
        id: i64 = k.id.0,
        account_id: i64 = k.account_id.0,
        created_at: DateTime<Utc>,
        /// After this it is refused.
        expires_at: DateTime<Utc>,
        /// When an agent enrolled with it.
        used_at: Option<DateTime<Utc>>,
        /// The agent it enrolled.
        agent_id: Option<String>,
        revoked_at: Option<DateTime<Utc>>,
    }
}

/// `GET /api/v1/accounts/{account_id}/enrollment-keys?limit=&offset=`, newest first.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/enrollment-keys", tag = "enrollment",
    params(("account_id" = i64, Path), Paging),
    responses((status = 200, description = "Enrollment keys issued for the account, newest first", body = Vec<KeyView>)))]
pub(crate) async fn enrollment_keys(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<KeyView>>> {
    let page = paging.page()?;
    Ok(views(state.store.enrollment_keys(account.id, page).await?))
}

/// What a new enrollment key is asked with; the body may be left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewKey {
    /// Hours the key stays valid, 1 to 720; 24 when not given.
    #[serde(default = "default_key_hours")]
    pub valid_hours: u32,
}

fn default_key_hours() -> u32 {
    24
}

/// `POST /api/v1/accounts/{account_id}/enrollment-keys`.
#[utoipa::path(post, path = "/api/v1/accounts/{account_id}/enrollment-keys", tag = "enrollment",
    params(("account_id" = i64, Path)), request_body(content = Option<NewKey>),
    responses((status = 201, description = "Issued; the key is shown only in this answer", body = IssuedKey)))]
pub(crate) async fn issue_key(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<IssuedKey>)> {
    let new: NewKey = if body.is_empty() {
        NewKey {
            valid_hours: default_key_hours(),
        }
    } else {
        parse_json(&body, "")?
    };
    if !(1..=MAX_KEY_HOURS).contains(&new.valid_hours) {
        return Err(Failure::invalid(
            "valid-hours",
            format!("{} is not between 1 and {MAX_KEY_HOURS}", new.valid_hours),
        ));
    }
    let issued =
        secrets::issue_enrollment_key(&state.store, account.id, new.valid_hours, Utc::now())
            .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// `DELETE /api/v1/enrollment-keys/{key_id}`: revokes an unused key. A used one is
/// refused (409): its agent is revoked on its own, and a 200 would say the key had been
/// stopped when it had done its work already.
#[utoipa::path(delete, path = "/api/v1/enrollment-keys/{key_id}", tag = "enrollment",
    params(("key_id" = i64, Path)),
    responses(
        (status = 200, description = "The key as revoked", body = KeyView),
        (status = 409, description = "The key enrolled an agent already", body = ApiError),
    ))]
pub(crate) async fn revoke_key(
    State(state): State<AppState>,
    Visible(key): Visible<EnrollmentKey>,
) -> ApiResult<Json<KeyView>> {
    if let Some(used_at) = key.used_at {
        return Err(Failure::Conflict {
            field: None,
            message: format!(
                "{} enrolled agent {} on {}; revoke the agent instead (POST /api/v1/agents/{{agent_id}}/revoke)",
                key.id,
                key.agent_id.as_deref().unwrap_or("?"),
                used_at.format("%Y-%m-%d %H:%M UTC")
            ),
        });
    }
    state
        .store
        .revoke_enrollment_key(key.id, Utc::now())
        .await?;
    Ok(Json(state.store.enrollment_key(key.id).await?.into()))
}
