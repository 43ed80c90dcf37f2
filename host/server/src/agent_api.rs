//! The agent API, exactly as `quire-protocol` defines it: enrollment, configuration
//! (which is also the check-in), and reading uploads.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use quire_model::ErrorSource;
use quire_protocol::{
    AgentConfig, AgentToken, ApiError, DiscoverySettings, EnrollRequest, EnrollResponse,
    ReadingUpload, RejectedItem, SiteConfig, UploadAck, UploadItem,
};
use quire_schedule::{CycleConfig, Day, Schedule, ScheduleConfig};
use quire_store::{Agent, AgentIngest, Ingest, KeyRefusal, NewAgent, Page, SiteId};
use sha2::{Digest, Sha256};

use crate::error::{ApiResult, Body, Failure, from_value, parse_json};
use crate::limits::{MAX_HOST_NAME_CHARS, check_name};
use crate::log_text::untrusted;
use crate::metrics::{Refusal, UploadTimer, count_readings};
use crate::secrets;
use crate::state::AppState;

/// The schedules a site has until someone sets its own: discovery nightly at 02:00,
/// meters and supplies every four hours, alerts hourly, in UTC.
pub(crate) fn default_schedules() -> ScheduleConfig {
    let every_day: BTreeSet<Day> = Day::ALL.into();
    let cycle = |default| CycleConfig {
        default,
        parts: BTreeMap::new(),
    };
    ScheduleConfig {
        time_zone: "UTC".to_owned(),
        discovery: cycle(Schedule::Weekly {
            days: every_day,
            hours: [2].into(),
        }),
        meters_and_supplies: cycle(Schedule::EveryHours {
            n: 4,
            starting_at: 0,
        }),
        alerts: cycle(Schedule::EveryHours {
            n: 1,
            starting_at: 0,
        }),
        local_devices: Schedule::EveryMinutes { n: 30 },
    }
}

/// `POST /api/v1/agent/enroll`.
#[utoipa::path(post, path = "/api/v1/agent/enroll", tag = "agent", request_body = EnrollRequest,
    responses(
        (status = 200, description = "Enrolled: the agent's id and secret, shown once", body = EnrollResponse),
        (status = 403, description = "The enrollment key is used, expired, revoked or unknown; `field` is `key`", body = ApiError),
    ))]
pub(crate) async fn enroll(
    State(state): State<AppState>,
    Body(request): Body<EnrollRequest>,
) -> ApiResult<Json<EnrollResponse>> {
    let key = request.key.trim();
    if key.is_empty() {
        return Err(Failure::invalid("key", "the enrollment key is empty"));
    }
    let hostname = check_name("hostname", &request.hostname, MAX_HOST_NAME_CHARS)?;
    let agent_id = secrets::id("ag");
    let secret = secrets::token();
    let now = Utc::now();
    let agent = NewAgent {
        id: &agent_id,
        secret_hash: &secrets::hash_token(&secret),
        hostname,
        version: request.agent_version.trim(),
    };
    let account = state
        .store
        .enroll(&secrets::hash_token(key), agent, now)
        .await?
        .map_err(|refusal| {
            let fmt = |at: chrono::DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
            Failure::KeyRefused(match refusal {
                KeyRefusal::Unknown => "this enrollment key is not known to the server: check that it was copied whole, or ask for a new one".to_owned(),
                KeyRefusal::Used(at) => format!("this enrollment key was already used by another agent on {}: each key enrolls one agent; ask for a new one", fmt(at)),
                KeyRefusal::Expired(at) => format!("this enrollment key expired on {}; ask for a new one", fmt(at)),
                KeyRefusal::Revoked(at) => format!("this enrollment key was revoked on {}; ask for a new one", fmt(at)),
            })
        })?;
    tracing::info!(agent = %agent_id, hostname = %untrusted(hostname), %account, "agent enrolled");
    Ok(Json(EnrollResponse {
        agent_id,
        secret,
        account_id: account.0,
        certificate_sha256: state.certificate_sha256.to_string(),
        key_sha256: Some(state.key_sha256.to_string()),
    }))
}

/// The enrolled, unrevoked agent making this call.
pub(crate) async fn authenticate(state: &AppState, headers: &HeaderMap) -> ApiResult<Agent> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(AgentToken::from_header_value)
        .ok_or_else(|| {
            Failure::Unauthorized(
                "this call needs the agent's credentials: `Authorization: Bearer <agent-id>:<secret>`".to_owned(),
            )
        })?;
    let refused = || {
        Failure::Unauthorized("unknown agent or wrong secret; enroll the agent again".to_owned())
    };
    let (agent, hash) = state
        .store
        .agent_with_secret(&token.agent_id)
        .await?
        .ok_or_else(refused)?;
    if !secrets::same_hash(&hash, &secrets::hash_token(&token.secret)) {
        return Err(refused());
    }
    if let Some(at) = agent.revoked_at {
        return Err(Failure::Unauthorized(format!(
            "agent {} was revoked on {}; enroll it again with a new key",
            agent.id,
            at.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    Ok(agent)
}

/// `GET /api/v1/agent/config`: the agent's configuration, and its check-in.
#[utoipa::path(get, path = "/api/v1/agent/config", tag = "agent",
    responses((status = 200, description = "The agent's configuration (also its check-in)", body = AgentConfig)))]
pub(crate) async fn config(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<AgentConfig>> {
    let agent = authenticate(&state, &headers).await?;
    state.store.check_in(&agent.id, Utc::now()).await?;
    let account = state.store.account(agent.account_id).await?;
    let sites = state
        .store
        .sites(agent.account_id, Page::ALL)
        .await?
        .into_iter()
        .map(|site| SiteConfig {
            id: site.id.0,
            name: site.name,
            ranges: site.ranges,
            schedules: site.schedules.unwrap_or_else(default_schedules),
            discovery: site.discovery.unwrap_or_default(),
            ipp_printers: site.ipp_printers,
        })
        .collect();
    let mut config = AgentConfig {
        revision: String::new(),
        check_in_seconds: account.check_in_seconds,
        sites,
        credentials: state.store.credentials(agent.account_id).await?,
        discovery: DiscoverySettings::default(),
        strategies: state.depot.listings().await?,
    };
    let json = serde_json::to_vec(&config).map_err(|e| Failure::Internal(e.to_string()))?;
    config.revision = hex::encode(&Sha256::digest(&json)[..8]);
    Ok(Json(config))
}

/// `POST /api/v1/agent/readings`: files what is new, counts what was filed before,
/// and refuses (acknowledging) items that can never be filed, so one bad reading does
/// not hold up the agent's queue.
#[utoipa::path(post, path = "/api/v1/agent/readings", tag = "agent", request_body = ReadingUpload,
    responses((status = 200, description = "What was filed; items at or below `acked-through` may be deleted", body = UploadAck)))]
pub(crate) async fn readings(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<UploadAck>> {
    let _timer = UploadTimer::start();
    let agent = authenticate(&state, &headers).await?;
    // The common case parses straight into the protocol's types; only an upload with a
    // bad item is parsed again item by item, to refuse that item alone.
    let (items, mut rejected, acked_through) = match serde_json::from_slice::<ReadingUpload>(&body)
    {
        Ok(upload) => {
            let acked_through = upload.items.iter().map(|i| i.seq).max().unwrap_or(0);
            (upload.items, Vec::new(), acked_through)
        }
        Err(_) => item_by_item(&body)?,
    };
    let mut refusals = vec![Refusal::Malformed; rejected.len()];
    let sites: HashSet<i64> = state
        .store
        .site_ids(agent.account_id)
        .await?
        .iter()
        .map(|s| s.0)
        .collect();
    let (items, refused): (Vec<UploadItem>, Vec<UploadItem>) = items
        .into_iter()
        .partition(|item| item.site_id.is_none_or(|site| sites.contains(&site)));
    refusals.extend(refused.iter().map(|_| Refusal::Site));
    rejected.extend(refused.iter().map(|item| RejectedItem {
        seq: item.seq,
        message: format!(
            "site-id: {} is not a site of this agent's account",
            item.site_id.unwrap_or_default()
        ),
    }));
    let now = Utc::now();
    let (items, misjudged): (Vec<UploadItem>, Vec<(u64, Refusal, String)>) = items
        .into_iter()
        .fold((Vec::new(), Vec::new()), |(mut good, mut bad), item| {
            match refused_item(&item, now, state.future_tolerance) {
                Some((refusal, message)) => bad.push((item.seq, refusal, message)),
                None => good.push(item),
            }
            (good, bad)
        });
    for (seq, refusal, message) in misjudged {
        refusals.push(refusal);
        rejected.push(RejectedItem { seq, message });
    }
    rejected.sort_by_key(|r| r.seq);
    let ingest: Vec<AgentIngest<'_>> = items
        .iter()
        .map(|item| AgentIngest {
            seq: item.seq,
            site: item.site_id.map(SiteId),
            ingest: Ingest {
                account: agent.account_id,
                address: &item.address,
                taken_at: item.taken_at,
                cycle: item.cycle,
                strategy: &item.strategy,
                reading: &item.reading,
                raw: item.raw.as_deref(),
                exchanges: item.exchanges.as_deref(),
            },
            replaced: &item.replaced_supplies,
            assessments: &item.assessments,
        })
        .collect();
    let outcome = state.store.ingest_upload(&agent.id, &ingest).await?;
    // Counted once the upload is filed: one the store failed is sent again, and counted then.
    count_readings(outcome.filed, outcome.duplicates, &refusals);
    for item in &rejected {
        tracing::warn!(agent = %agent.id, seq = item.seq, message = %untrusted(&item.message), "reading refused");
    }
    Ok(Json(UploadAck {
        acked_through,
        filed: outcome.filed,
        duplicates: outcome.duplicates,
        rejected,
    }))
}

/// Why an item can never be filed, naming the field: a sequence number beyond what the
/// store keeps (2^63 - 1), a reading dated further ahead of the server's clock than the
/// operator tolerates (it would pin the device's last-seen in the future, leaving every
/// later reading stale), or assessments of something the reading does not hold.
fn refused_item(
    item: &UploadItem,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Option<(Refusal, String)> {
    if i64::try_from(item.seq).is_err() {
        let message = format!(
            "seq: {} is beyond {}, the largest sequence number kept",
            item.seq,
            i64::MAX
        );
        return Some((Refusal::Sequence, message));
    }
    if item.taken_at > now + tolerance {
        let message = format!(
            "taken-at: {} is more than {} h ahead of the server's clock ({}); check the agent's clock",
            item.taken_at.to_rfc3339(),
            tolerance.num_hours(),
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        return Some((Refusal::Future, message));
    }
    misjudged_input(item).map(|message| (Refusal::Assessments, message))
}

/// Why an item's assessments cannot be filed, naming the entry: each must judge an alert
/// row or error bit of its own reading, and each one once.
fn misjudged_input(item: &UploadItem) -> Option<String> {
    let mut seen = HashSet::new();
    for (index, judged) in item.assessments.iter().enumerate() {
        let present = match judged.input {
            ErrorSource::Alert { index } => item.reading.alerts.iter().any(|a| a.index == index),
            ErrorSource::State { state } => item.reading.status.errors.contains(&state),
        };
        let problem = if !present {
            "is not an alert row or error bit of the reading"
        } else if !seen.insert(judged.input) {
            "is judged twice"
        } else {
            continue;
        };
        return Some(format!(
            "assessments[{index}].input: {} {problem}",
            crate::maintenance::input_words(&judged.input)
        ));
    }
    None
}

/// An upload that did not parse whole: each item on its own, so the bad ones are refused
/// (and acknowledged) and the rest filed. An item without a sequence number cannot be
/// acknowledged, so it refuses the upload.
fn item_by_item(body: &[u8]) -> ApiResult<(Vec<UploadItem>, Vec<RejectedItem>, u64)> {
    #[derive(serde::Deserialize)]
    struct Upload {
        items: Vec<serde_json::Value>,
    }
    let upload: Upload = parse_json(body, "")?;
    let mut acked_through = 0;
    let mut items = Vec::with_capacity(upload.items.len());
    let mut rejected = Vec::new();
    for (index, value) in upload.items.into_iter().enumerate() {
        let seq = value
            .get("seq")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| {
                Failure::invalid(
                    &format!("items[{index}].seq"),
                    "every item needs its sequence number",
                )
            })?;
        acked_through = acked_through.max(seq);
        match from_value::<UploadItem>(value, &format!("items[{index}]")) {
            Ok(item) => items.push(item),
            Err(failure) => rejected.push(RejectedItem {
                seq,
                message: failure.to_string(),
            }),
        }
    }
    Ok((items, rejected, acked_through))
}
