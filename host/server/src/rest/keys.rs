//! Enrollment keys: issued per account, single use, revocable.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use quire_store::{Account, EnrollmentKey};
use serde::{Deserialize, Serialize};

use crate::error::{ApiResult, Failure, parse_json};
use crate::secrets;
use crate::secrets::IssuedKey;
use crate::state::AppState;

use super::{ListQuery, Paging, Visible, views};

/// The longest an enrollment key may stay valid: a key is meant for one installation soon.
const MAX_KEY_HOURS: u32 = 24 * 30;

view! {
    KeyView from EnrollmentKey as k {
        id: i64 = k.id.0,
        account_id: i64 = k.account_id.0,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        used_at: Option<DateTime<Utc>>,
        agent_id: Option<String>,
        revoked_at: Option<DateTime<Utc>>,
    }
}

/// `GET /api/v1/accounts/{account_id}/enrollment-keys?limit=&offset=`, newest first.
pub(crate) async fn enrollment_keys(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<KeyView>>> {
    let page = paging.page()?;
    Ok(views(state.store.enrollment_keys(account.id, page).await?))
}

/// The body of `POST /api/v1/accounts/{account_id}/enrollment-keys`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewKey {
    #[serde(default = "default_key_hours")]
    pub valid_hours: u32,
}

fn default_key_hours() -> u32 {
    24
}

/// `POST /api/v1/accounts/{account_id}/enrollment-keys`.
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
        parse_json(&body)?
    };
    if !(1..=MAX_KEY_HOURS).contains(&new.valid_hours) {
        return Err(Failure::invalid(
            "valid-hours",
            format!("{} is outside 1..={MAX_KEY_HOURS}", new.valid_hours),
        ));
    }
    let issued =
        secrets::issue_enrollment_key(&state.store, account.id, new.valid_hours, Utc::now())
            .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// `DELETE /api/v1/enrollment-keys/{key_id}`: revokes an unused key.
pub(crate) async fn revoke_key(
    State(state): State<AppState>,
    Visible(key): Visible<EnrollmentKey>,
) -> ApiResult<Json<KeyView>> {
    state
        .store
        .revoke_enrollment_key(key.id, Utc::now())
        .await?;
    Ok(Json(state.store.enrollment_key(key.id).await?.into()))
}
