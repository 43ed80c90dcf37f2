//! One reading kept whole: the exchange its read made, as files `quire replay` reads
//! back, its versions, and re-reading it through today's strategies (administrators).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use quire_model::{ErrorAssessment, Reading, StrategyRef};
use quire_protocol::ApiError;
use quire_store::{Device, RawExchange, ReadingId, ReadingVersion, StoredReading};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::depot::DepotError;
use crate::error::{ApiResult, Failure};
use crate::log_text::untrusted;
use crate::reinterpret::{self, RereadError};
use crate::state::AppState;

use super::{Caller, ListQuery, Owned, PathIds, Visible};

/// A reading is seen through its device: one of another device answers 404, as a
/// missing one does.
impl Owned for StoredReading {
    async fn visible(state: &AppState, caller: &Caller, path: &PathIds) -> ApiResult<Self> {
        let device = Device::visible(state, caller, path).await?;
        let id = ReadingId(path.number("reading_id")?);
        let missing = || Failure::NotFound(format!("{id} of {}", device.id));
        let stored = match state.store.reading(id).await {
            Ok(stored) => stored,
            Err(quire_store::Error::NotFound { .. }) => return Err(missing()),
            Err(e) => return Err(e.into()),
        };
        if stored.device_id != device.id {
            return Err(missing());
        }
        Ok(stored)
    }
}

/// `GET /api/v1/devices/{device_id}/readings/{reading_id}/raw.snmprec`: the read's SNMP
/// exchange; `quire replay` reads it (with the log below beside it) to the same reading.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/readings/{reading_id}/raw.snmprec", tag = "devices",
    params(("device_id" = i64, Path), ("reading_id" = i64, Path)),
    responses((status = 200, description = "The read's SNMP exchange as .snmprec (404 when it was not kept)", content_type = "text/plain", body = String)))]
pub(crate) async fn raw_snmprec(
    State(state): State<AppState>,
    Visible(stored): Visible<StoredReading>,
) -> ApiResult<Response> {
    let snmp = |r: RawExchange| r.snmprec;
    raw_part(&state, &stored, snmp, "text/plain; charset=utf-8", "SNMP").await
}

/// `GET /api/v1/devices/{device_id}/readings/{reading_id}/raw.exchanges.jsonl`: the
/// read's web, NPAP and IPP exchanges, as `quire record` logs them.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/readings/{reading_id}/raw.exchanges.jsonl", tag = "devices",
    params(("device_id" = i64, Path), ("reading_id" = i64, Path)),
    responses((status = 200, description = "The read's web, NPAP and IPP exchanges as the .exchanges.jsonl log (404 when the read made none)", content_type = "application/jsonl", body = String)))]
pub(crate) async fn raw_exchanges(
    State(state): State<AppState>,
    Visible(stored): Visible<StoredReading>,
) -> ApiResult<Response> {
    let logged = |r: RawExchange| r.exchanges;
    raw_part(
        &state,
        &stored,
        logged,
        "application/jsonl",
        "web, NPAP or IPP",
    )
    .await
}

/// One part of a reading's kept exchange as a file; 404 naming `what` when the read
/// kept none of it.
async fn raw_part(
    state: &AppState,
    stored: &StoredReading,
    part: impl FnOnce(RawExchange) -> Option<String>,
    content_type: &'static str,
    what: &str,
) -> ApiResult<Response> {
    let raw = state.store.reading_raw(stored.id).await?;
    let removed = raw.removed_after_days;
    let body = part(raw).ok_or_else(|| {
        Failure::NotFound(match removed {
            Some(days) => format!(
                "the exchange of {} was removed when it passed the raw retention period ({days} days)",
                stored.id
            ),
            None => format!("{} was filed without a {what} exchange", stored.id),
        })
    })?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// One version of a reading: the agent's first, then each re-reading filed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct VersionView {
    pub version: u32,
    /// The strategy and version that made it.
    pub strategy: StrategyRef,
    pub made_at: DateTime<Utc>,
    pub reading: Reading,
    /// What that strategy made of the version's alert rows and error bits.
    #[serde(default)]
    pub assessments: Vec<ErrorAssessment>,
}

/// `GET /api/v1/devices/{device_id}/readings/{reading_id}/versions`: every version, the
/// agent's first.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/readings/{reading_id}/versions", tag = "devices",
    params(("device_id" = i64, Path), ("reading_id" = i64, Path)),
    responses((status = 200, description = "Every version of the reading, the agent's first", body = Vec<VersionView>)))]
pub(crate) async fn versions(
    State(state): State<AppState>,
    Visible(stored): Visible<StoredReading>,
) -> ApiResult<Json<Vec<VersionView>>> {
    let versions = state.store.reading_versions(stored.id).await?;
    let mut found = state.store.assessments(&[stored.id]).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|v: ReadingVersion| VersionView {
                assessments: found.remove(&(stored.id, v.version)).unwrap_or_default(),
                version: v.version,
                strategy: v.strategy,
                made_at: v.made_at,
                reading: v.reading,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RereadQuery {
    /// File the result as the reading's next version.
    #[serde(default)]
    store: bool,
    /// Read with this strategy instead of the one the device's probe chooses.
    strategy: Option<String>,
    /// Read with this version of `strategy` (a published one, withdrawn ones too, or the
    /// built-in one) instead of the one in use; needs `strategy`.
    version: Option<String>,
}

/// A reading read again from its stored exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RereadView {
    pub reading_id: i64,
    /// The version filed; null when only shown.
    pub version: Option<u32>,
    /// The strategy that read it now.
    pub strategy: StrategyRef,
    pub reading: Reading,
    /// What that strategy made of the alert rows and error bits it read.
    #[serde(default)]
    pub assessments: Vec<ErrorAssessment>,
}

/// `POST /api/v1/devices/{device_id}/readings/{reading_id}/reinterpret?store=true`:
/// re-reads the stored exchange through the strategies agents run now.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/readings/{reading_id}/reinterpret", tag = "devices",
    params(("device_id" = i64, Path), ("reading_id" = i64, Path), RereadQuery),
    responses(
        (status = 200, description = "The reading as the strategies agents run now read it", body = RereadView),
        (status = 400, description = "A version without its strategy, or a version of the strategy this server never held", body = ApiError),
        (status = 403, description = "Only administrators re-read stored readings", body = ApiError),
        (status = 409, description = "The reading kept no exchange (or retention removed it), or the strategy failed on it", body = ApiError),
    ))]
pub(crate) async fn reinterpret(
    State(state): State<AppState>,
    // A reading the caller may not see is "not found" before anything else, as everywhere.
    Visible(stored): Visible<StoredReading>,
    caller: Caller,
    ListQuery(query): ListQuery<RereadQuery>,
) -> ApiResult<Json<RereadView>> {
    caller.administrator("re-read stored readings")?;
    let registry = match (&query.strategy, &query.version) {
        (Some(name), Some(version)) => state
            .depot
            .registry_with(name, version.trim())
            .await
            .map_err(|e| match e {
                DepotError::NotFound(message) => Failure::invalid("version", message),
                e => e.into(),
            })?,
        (None, Some(_)) => {
            return Err(Failure::invalid(
                "version",
                "a version is of a strategy: name it too (strategy=)",
            ));
        }
        _ => state.depot.registry().await?,
    };
    let reread = reinterpret::reread(
        &state.store,
        &registry,
        stored.id,
        query.strategy.as_deref(),
        query.store,
    )
    .await
    .map_err(|e| match e {
        RereadError::Store(e) => e.into(),
        RereadError::NoExchange(_) | RereadError::RawRemoved { .. } | RereadError::Read { .. } => {
            Failure::Conflict {
                field: None,
                message: e.to_string(),
            }
        }
        RereadError::Corrupt(message) => Failure::Internal(message),
    })?;
    if let Some(version) = reread.version {
        tracing::info!(reading = %stored.id, version, strategy = %untrusted(&reread.strategy.to_string()), by = %untrusted(&caller.user.name), "reading re-read");
    }
    Ok(Json(RereadView {
        reading_id: stored.id.0,
        version: reread.version,
        strategy: reread.strategy,
        reading: reread.reading,
        assessments: reread.assessments,
    }))
}
