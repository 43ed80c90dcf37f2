//! The REST API for people: log in, then everything is filtered by the accounts the
//! user may see. Rows of an account the caller may not see answer 404, exactly as rows
//! that do not exist, so IDs cannot be probed.
//!
//! One module per resource; every handler learns who is asking through [`Caller`], and
//! the store applies what they see inside its queries. A handler of one row takes it as
//! [`Visible`], which loads it and refuses it unseen the same way for every resource.
//! Lists page with `limit` and `offset` in a stable order ([`Paging`]).

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use chrono::Utc;
use quire_store::{
    AccountId, Device, DeviceId, EnrollmentKey, EnrollmentKeyId, Page, Role, Site, SiteId, User,
    Visibility,
};
use serde::de::DeserializeOwned;

use crate::error::{ApiResult, Failure, from_deserializer};
use crate::secrets;
use crate::state::AppState;

/// An API view of a stored row: a struct that answers as kebab-case JSON (and reads back,
/// for clients), with its schema for the OpenAPI document, and `From<row>` filling each
/// field from the row's field of the same name, or from the expression after `=` over
/// the row (`id: i64 = row.id.0`), so a field is named once.
macro_rules! view {
    (
        $(#[$doc:meta])*
        $view:ident from $row:ty as $r:ident {
            $($(#[$field_doc:meta])* $field:ident: $ty:ty $(= $value:expr)?),* $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "kebab-case")]
        pub struct $view {
            $($(#[$field_doc])* pub $field: $ty,)*
        }

        impl From<$row> for $view {
            fn from($r: $row) -> Self {
                $view {
                    $($field: view!(@field $r.$field $(= $value)?),)*
                }
            }
        }
    };
    (@field $r:ident.$field:ident) => {
        $r.$field
    };
    (@field $r:ident.$field:ident = $value:expr) => {
        $value
    };
}

pub(crate) mod accounts;
pub(crate) mod agents;
pub(crate) mod asm;
pub(crate) mod contracts;
pub(crate) mod costs;
pub(crate) mod daily;
pub(crate) mod devices;
pub(crate) mod emails;
pub(crate) mod fleet;
pub(crate) mod keys;
pub(crate) mod maintenance;
pub(crate) mod meter_reads;
pub(crate) mod part_costs;
pub(crate) mod readings;
pub(crate) mod sessions;
pub(crate) mod sites;
pub(crate) mod supplies;
pub(crate) mod templates;
pub(crate) mod users;
pub(crate) mod webhooks;
pub(crate) mod work_orders;

/// Where people log in.
pub const LOGIN_PATH: &str = "/api/v1/login";

/// Rows a list returns when the caller does not say.
const DEFAULT_LIMIT: u32 = 100;

/// The most rows one page may hold: enough for a screen or an export step, little
/// enough that one call cannot make the server hold a whole fleet.
const MAX_LIMIT: u32 = 1_000;

/// `?limit=&offset=` of a list: `limit` rows (default 100, at most 1,000) after skipping
/// `offset`, in the list's stable order. A page shorter than `limit` is the last.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct Paging {
    /// Rows of the page: 1 to 1000, 100 when not given.
    pub(crate) limit: Option<u32>,
    /// Rows skipped before the page.
    pub(crate) offset: Option<u64>,
}

impl Paging {
    pub(crate) fn page(&self) -> ApiResult<Page> {
        page(self.limit, self.offset)
    }
}

/// The page `?limit=&offset=` asks for, of a list whose query string has filters too.
pub(crate) fn page(limit: Option<u32>, offset: Option<u64>) -> ApiResult<Page> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Failure::invalid(
            "limit",
            format!("{limit} is not between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(Page {
        offset: offset.unwrap_or(0),
        limit: u64::from(limit),
    })
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
        let query = parts.uri.query().unwrap_or_default();
        let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        from_deserializer(pairs, "")
            .map(ListQuery)
            .map_err(|failure| match failure {
                Failure::Invalid {
                    field: Some(field),
                    message,
                } => Failure::Invalid {
                    message: format!("query parameter `{field}`: {message}"),
                    field: Some(field),
                },
                other => other,
            })
    }
}

/// The logged-in user making a call, with what they may see.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) user: User,
    visibility: Visibility,
    token_hash: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Caller> {
        // A handler taking both a `Visible` row and the caller looks the session up once.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
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
        let caller = Caller {
            user,
            visibility,
            token_hash,
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl Caller {
    /// `row`, which belongs to `account`, when the caller sees that account; otherwise
    /// "not found" naming `what`, exactly as a row that does not exist.
    async fn sees<T>(
        &self,
        state: &AppState,
        account: AccountId,
        what: impl std::fmt::Display,
        row: T,
    ) -> ApiResult<T> {
        if state.store.sees(self.visibility, account).await? {
            Ok(row)
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

    /// Refuses account users: contracts and prices are their dealer's to set.
    pub(crate) fn dealer(&self, what: &str) -> ApiResult<()> {
        if self.user.role == Role::AccountUser {
            Err(Failure::Forbidden(format!(
                "account users cannot {what}; their dealer does"
            )))
        } else {
            Ok(())
        }
    }
}

/// A row of one account that the request's path names, read by [`Visible`].
pub(crate) trait Owned: Sized {
    /// The row `path` names, when `caller` sees its account; "not found" otherwise,
    /// exactly as a row that does not exist.
    fn visible(
        state: &AppState,
        caller: &Caller,
        path: &PathIds,
    ) -> impl Future<Output = ApiResult<Self>> + Send;
}

/// Rows that belong to an account by their `account_id`, each named in the path by its
/// id: `Row: Id from "parameter" by store_method`.
macro_rules! owned_by_account {
    ($($row:ty: $id:ident from $param:literal by $load:ident),* $(,)?) => {$(
        impl Owned for $row {
            async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Self> {
                let id = $id(path.number($param)?);
                let row = state.store.$load(id).await?;
                caller.sees(state, row.account_id, id, row).await
            }
        }
    )*};
}

owned_by_account! {
    Site: SiteId from "site_id" by site,
    Device: DeviceId from "device_id" by device,
    EnrollmentKey: EnrollmentKeyId from "key_id" by enrollment_key,
}

/// The row of type `T` the request's path names, loaded once the caller is known and
/// refused as "not found" when the caller may not see it.
pub(crate) struct Visible<T>(pub(crate) T);

impl<T: Owned> FromRequestParts<AppState> for Visible<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Visible<T>> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|rejection| Failure::Invalid {
                field: None,
                message: rejection.body_text(),
            })?;
        Ok(Visible(T::visible(state, &caller, &PathIds(params)).await?))
    }
}

/// The `{parameter}`s of the request's path, each read as the id it holds.
pub(crate) struct PathIds(RawPathParams);

impl PathIds {
    /// The parameter `name` as given.
    pub(crate) fn text(&self, name: &str) -> ApiResult<&str> {
        self.0
            .iter()
            .find_map(|(param, value)| (param == name).then_some(value))
            .ok_or_else(|| Failure::Internal(format!("the route has no {{{name}}}")))
    }

    /// The parameter `name` as a number; a 400 naming it when it is none.
    pub(crate) fn number(&self, name: &str) -> ApiResult<i64> {
        let text = self.text(name)?;
        text.parse().map_err(|_| Failure::Invalid {
            field: Some(name.to_owned()),
            message: format!("{{{name}}} is `{text}`, not a number"),
        })
    }
}
