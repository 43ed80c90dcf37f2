//! The REST API for people: log in, then everything is filtered by the accounts the
//! user may see. Rows of an account the caller may not see answer 404, exactly as rows
//! that do not exist, so IDs cannot be probed.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use quire_model::{Cycle, Reading, StrategyRef};
use quire_protocol::{CredentialSpec, SiteRange, parse_range_csv};
use quire_schedule::ScheduleConfig;
use quire_store::{
    Account, AccountId, Agent, Device, DeviceId, EnrollmentKey, EnrollmentKeyId, Role, Site,
    SiteId, User, Visibility,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agent_api::default_schedules;
use crate::error::{ApiResult, Failure, json_failure, parse_json, parse_json_list};
use crate::secrets;
use crate::server::{AppState, IssuedKey};

/// How long a login lasts.
const SESSION_HOURS: i64 = 12;
/// The longest an enrollment key may stay valid: a key is meant for one installation soon.
const MAX_KEY_HOURS: u32 = 24 * 30;
/// Check-in bounds: more often than every 10 s is load for nothing; less than daily
/// leaves an agent deaf to configuration changes.
const CHECK_IN_RANGE: std::ops::RangeInclusive<u32> = 10..=86_400;

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

/// Where people log in.
pub(crate) const LOGIN_PATH: &str = "/api/v1/login";

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Login {
    name: String,
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Session {
    token: String,
    expires_at: DateTime<Utc>,
    user: UserView,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct UserView {
    id: i64,
    name: String,
    role: Role,
    account_ids: Vec<i64>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id.0,
            name: user.name,
            role: user.role,
            account_ids: user.accounts.iter().map(|a| a.0).collect(),
        }
    }
}

/// `POST /api/v1/login`.
pub(crate) async fn login(State(state): State<AppState>, body: Bytes) -> ApiResult<Json<Session>> {
    let login: Login = parse_json(&body)?;
    let refused = || Failure::Unauthorized("wrong user name or password".to_owned());
    let (user, hash) = state
        .store
        .user_by_name(login.name.trim())
        .await?
        .ok_or_else(refused)?;
    let password = login.password;
    let verified = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .map_err(|e| Failure::Internal(e.to_string()))?;
    if !verified {
        return Err(refused());
    }
    let token = secrets::token();
    let now = Utc::now();
    let expires_at = now + chrono::Duration::hours(SESSION_HOURS);
    state
        .store
        .create_session(&secrets::hash_token(&token), user.id, now, expires_at)
        .await?;
    Ok(Json(Session {
        token,
        expires_at,
        user: user.into(),
    }))
}

/// `POST /api/v1/logout`.
pub(crate) async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    state.store.delete_session(&caller.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Me {
    user: UserView,
    visible_account_ids: Option<Vec<i64>>,
}

/// `GET /api/v1/me`: who is logged in and what they see (`null`: everything).
pub(crate) async fn me(caller: Caller) -> Json<Me> {
    let visible_account_ids = match &caller.visibility {
        Visibility::All => None,
        Visibility::Accounts(set) => Some(set.iter().map(|a| a.0).collect()),
    };
    Json(Me {
        user: caller.user.into(),
        visible_account_ids,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AccountView {
    id: i64,
    parent_id: Option<i64>,
    name: String,
    is_dealer: bool,
    check_in_seconds: u32,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            id: a.id.0,
            parent_id: a.parent.map(|p| p.0),
            name: a.name,
            is_dealer: a.is_dealer,
            check_in_seconds: a.check_in_seconds,
        }
    }
}

async fn visible_account(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Account> {
    let id = AccountId(id);
    caller.require(id, id)?;
    Ok(state.store.account(id).await?)
}

/// `GET /api/v1/accounts`.
pub(crate) async fn accounts(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AccountView>>> {
    Ok(Json(
        state
            .store
            .accounts()
            .await?
            .into_iter()
            .filter(|a| caller.visibility.sees(a.id))
            .map(Into::into)
            .collect(),
    ))
}

/// `GET /api/v1/accounts/{account_id}`.
pub(crate) async fn account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(visible_account(&state, &caller, id).await?.into()))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct NewAccount {
    name: String,
    parent_id: i64,
    #[serde(default)]
    is_dealer: bool,
}

/// `POST /api/v1/accounts`: a child account under a dealer the caller sees.
pub(crate) async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    let new: NewAccount = parse_json(&body)?;
    let parent = visible_account(&state, &caller, new.parent_id).await?;
    if caller.user.role == Role::AccountUser {
        return Err(Failure::Forbidden(
            "account users cannot create accounts".to_owned(),
        ));
    }
    if !parent.is_dealer {
        return Err(Failure::invalid(
            "parent-id",
            format!(
                "{} is not a dealer; only dealers have child accounts",
                parent.id
            ),
        ));
    }
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Failure::invalid("name", "the name is empty"));
    }
    let id = state
        .store
        .create_account(name, Some(parent.id), new.is_dealer)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.account(id).await?.into()),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct CheckIn {
    check_in_seconds: u32,
}

/// `PUT /api/v1/accounts/{account_id}/check-in`.
pub(crate) async fn set_check_in(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<AccountView>> {
    let account = visible_account(&state, &caller, id).await?;
    let CheckIn { check_in_seconds } = parse_json(&body)?;
    if !CHECK_IN_RANGE.contains(&check_in_seconds) {
        return Err(Failure::invalid(
            "check-in-seconds",
            format!(
                "{check_in_seconds} is outside {}..={}",
                CHECK_IN_RANGE.start(),
                CHECK_IN_RANGE.end()
            ),
        ));
    }
    state
        .store
        .set_check_in_seconds(account.id, check_in_seconds)
        .await?;
    Ok(Json(state.store.account(account.id).await?.into()))
}

/// `GET /api/v1/accounts/{account_id}/credentials`.
pub(crate) async fn credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<CredentialSpec>>> {
    let account = visible_account(&state, &caller, id).await?;
    Ok(Json(state.store.credentials(account.id).await?))
}

/// `PUT /api/v1/accounts/{account_id}/credentials`: the whole ordered list.
pub(crate) async fn set_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<Vec<CredentialSpec>>> {
    let account = visible_account(&state, &caller, id).await?;
    let list = parse_json_list(&body, "", |value, field| {
        let spec: CredentialSpec =
            serde_json::from_value(value).map_err(|e| json_failure(&e, Some(field)))?;
        if let CredentialSpec::V1 { community } | CredentialSpec::V2c { community } = &spec
            && community.is_empty()
        {
            return Err(Failure::invalid(
                &format!("{field}.community"),
                "the community is empty",
            ));
        }
        Ok(spec)
    })?;
    state.store.set_credentials(account.id, &list).await?;
    Ok(Json(list))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct SiteView {
    id: i64,
    account_id: i64,
    name: String,
    schedules: ScheduleConfig,
    ranges: Vec<SiteRange>,
    ipp_printers: Vec<String>,
}

impl From<Site> for SiteView {
    fn from(site: Site) -> Self {
        SiteView {
            id: site.id.0,
            account_id: site.account_id.0,
            name: site.name,
            schedules: site.schedules.unwrap_or_else(default_schedules),
            ranges: site.ranges,
            ipp_printers: site.ipp_printers,
        }
    }
}

async fn visible_site(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Site> {
    let id = SiteId(id);
    let site = state.store.site(id).await?;
    caller.require(site.account_id, id)?;
    Ok(site)
}

/// `GET /api/v1/accounts/{account_id}/sites`.
pub(crate) async fn sites(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<SiteView>>> {
    let account = visible_account(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .sites(account.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct NewSite {
    name: String,
    #[serde(default)]
    schedules: Option<Value>,
}

/// Parses and validates schedules, naming the field (`schedules.alerts.default.kind`).
fn schedules(value: Value, prefix: &str) -> ApiResult<ScheduleConfig> {
    let config: ScheduleConfig =
        serde_json::from_value(value).map_err(|e| json_failure(&e, Some(prefix)))?;
    config.clone().build().map_err(|e| Failure::Invalid {
        field: Some(prefix.to_owned()),
        message: e.to_string(),
    })?;
    Ok(config)
}

/// `POST /api/v1/accounts/{account_id}/sites`.
pub(crate) async fn create_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SiteView>)> {
    let account = visible_account(&state, &caller, id).await?;
    let new: NewSite = parse_json(&body)?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Failure::invalid("name", "the name is empty"));
    }
    let config = new
        .schedules
        .map(|v| schedules(v, "schedules"))
        .transpose()?;
    if state
        .store
        .sites(account.id)
        .await?
        .iter()
        .any(|s| s.name == name)
    {
        return Err(Failure::Conflict {
            field: Some("name".to_owned()),
            message: format!("{} has a site named `{name}` already", account.id),
        });
    }
    let site = state.store.create_site(account.id, name).await?;
    if let Some(config) = config {
        state.store.set_site_schedules(site, &config).await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(state.store.site(site).await?.into()),
    ))
}

/// `GET /api/v1/sites/{site_id}`.
pub(crate) async fn site(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SiteView>> {
    Ok(Json(visible_site(&state, &caller, id).await?.into()))
}

/// `PUT /api/v1/sites/{site_id}/schedules`: time zone and the schedules of every cycle.
pub(crate) async fn set_schedules(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let site = visible_site(&state, &caller, id).await?;
    let value: Value = parse_json(&body)?;
    let config = schedules(value, "schedules")?;
    state.store.set_site_schedules(site.id, &config).await?;
    Ok(Json(state.store.site(site.id).await?.into()))
}

/// `PUT /api/v1/sites/{site_id}/ranges`: the site's whole list.
pub(crate) async fn set_ranges(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let site = visible_site(&state, &caller, id).await?;
    let ranges: Vec<SiteRange> = parse_json_list(&body, "ranges", |value, field| {
        serde_json::from_value(value).map_err(|e| json_failure(&e, Some(field)))
    })?;
    state
        .store
        .replace_site_ranges(&[(site.id, ranges)])
        .await?;
    Ok(Json(state.store.site(site.id).await?.into()))
}

/// `PUT /api/v1/sites/{site_id}/ipp-printers`: the printers the site's agents read over
/// IPP by URI, in place of the old list. A URI that could never be read, or one listed
/// twice, refuses the whole list, naming its index.
pub(crate) async fn set_ipp_printers(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let site = visible_site(&state, &caller, id).await?;
    let mut printers: Vec<String> = Vec::new();
    parse_json_list(&body, "ipp-printers", |value, field| {
        let Value::String(uri) = value else {
            return Err(Failure::invalid(field, "a printer URI is a string"));
        };
        let uri = uri.trim().to_owned();
        quire_ipp::PrinterUri::parse(&uri).map_err(|e| Failure::invalid(field, e))?;
        if let Some(first) = printers.iter().position(|p| *p == uri) {
            return Err(Failure::invalid(
                field,
                format!("{uri} is listed already, as ipp-printers[{first}]"),
            ));
        }
        printers.push(uri);
        Ok(())
    })?;
    state
        .store
        .set_site_ipp_printers(site.id, &printers)
        .await?;
    Ok(Json(state.store.site(site.id).await?.into()))
}

/// `POST /api/v1/accounts/{account_id}/ranges-csv`: `site,range[,part]` lines. Every
/// site named gets the ranges of its lines in place of its old ones; sites not named keep
/// theirs. A bad line, or a site the account does not have, refuses the whole upload.
pub(crate) async fn upload_ranges(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<Vec<SiteView>>> {
    let account = visible_account(&state, &caller, id).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| Failure::invalid("body", format!("the CSV is not UTF-8: {e}")))?;
    let rows = parse_range_csv(text)
        .map_err(|e| Failure::invalid(&format!("line {}", e.line), e.to_string()))?;
    let sites: HashMap<String, SiteId> = state
        .store
        .sites(account.id)
        .await?
        .into_iter()
        .map(|s| (s.name, s.id))
        .collect();
    let mut by_site: Vec<(SiteId, Vec<SiteRange>)> = Vec::new();
    for row in rows {
        let site = *sites.get(row.site.trim()).ok_or_else(|| {
            Failure::invalid(
                &format!("line {}", row.line),
                format!(
                    "line {}: {} has no site named `{}`; create it first",
                    row.line, account.id, row.site
                ),
            )
        })?;
        let range = SiteRange {
            range: row.range,
            part: row.part,
        };
        match by_site.iter_mut().find(|(s, _)| *s == site) {
            Some((_, list)) => list.push(range),
            None => by_site.push((site, vec![range])),
        }
    }
    state.store.replace_site_ranges(&by_site).await?;
    let mut changed = Vec::with_capacity(by_site.len());
    for (site, _) in by_site {
        changed.push(state.store.site(site).await?.into());
    }
    Ok(Json(changed))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct KeyView {
    id: i64,
    account_id: i64,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    agent_id: Option<String>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<EnrollmentKey> for KeyView {
    fn from(k: EnrollmentKey) -> Self {
        KeyView {
            id: k.id.0,
            account_id: k.account_id.0,
            created_at: k.created_at,
            expires_at: k.expires_at,
            used_at: k.used_at,
            agent_id: k.agent_id,
            revoked_at: k.revoked_at,
        }
    }
}

/// `GET /api/v1/accounts/{account_id}/enrollment-keys`.
pub(crate) async fn enrollment_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<KeyView>>> {
    let account = visible_account(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .enrollment_keys(account.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct NewKey {
    #[serde(default = "default_key_hours")]
    valid_hours: u32,
}

fn default_key_hours() -> u32 {
    24
}

/// `POST /api/v1/accounts/{account_id}/enrollment-keys`.
pub(crate) async fn issue_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<IssuedKey>)> {
    let account = visible_account(&state, &caller, id).await?;
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
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<KeyView>> {
    let id = EnrollmentKeyId(id);
    let key = state.store.enrollment_key(id).await?;
    caller.require(key.account_id, id)?;
    state.store.revoke_enrollment_key(id, Utc::now()).await?;
    Ok(Json(state.store.enrollment_key(id).await?.into()))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AgentView {
    id: String,
    account_id: i64,
    hostname: String,
    version: String,
    enrolled_at: DateTime<Utc>,
    last_check_in: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<Agent> for AgentView {
    fn from(a: Agent) -> Self {
        AgentView {
            id: a.id,
            account_id: a.account_id.0,
            hostname: a.hostname,
            version: a.version,
            enrolled_at: a.enrolled_at,
            last_check_in: a.last_check_in,
            revoked_at: a.revoked_at,
        }
    }
}

async fn visible_agent(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Agent> {
    let agent = state.store.agent(id).await?;
    caller.require(agent.account_id, format_args!("agent {id}"))?;
    Ok(agent)
}

/// `GET /api/v1/agents`.
pub(crate) async fn agents(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AgentView>>> {
    Ok(Json(
        state
            .store
            .agents()
            .await?
            .into_iter()
            .filter(|a| caller.visibility.sees(a.account_id))
            .map(Into::into)
            .collect(),
    ))
}

/// `GET /api/v1/agents/{agent_id}`.
pub(crate) async fn agent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AgentView>> {
    Ok(Json(visible_agent(&state, &caller, &id).await?.into()))
}

/// `POST /api/v1/agents/{agent_id}/revoke`.
pub(crate) async fn revoke_agent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AgentView>> {
    let agent = visible_agent(&state, &caller, &id).await?;
    state.store.revoke_agent(&agent.id, Utc::now()).await?;
    tracing::info!(agent = %agent.id, by = %caller.user.name, "agent revoked");
    Ok(Json(state.store.agent(&agent.id).await?.into()))
}

/// `GET /api/v1/users` (administrators).
pub(crate) async fn users(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<UserView>>> {
    caller.administrator("manage users")?;
    Ok(Json(
        state
            .store
            .users()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct NewUser {
    name: String,
    password: String,
    role: Role,
    #[serde(default)]
    account_ids: Vec<i64>,
}

/// The shortest password accepted.
const MIN_PASSWORD: usize = 10;

/// `POST /api/v1/users` (administrators).
pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    caller.administrator("manage users")?;
    let new: NewUser = parse_json(&body)?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Failure::invalid("name", "the name is empty"));
    }
    if new.password.chars().count() < MIN_PASSWORD {
        return Err(Failure::invalid(
            "password",
            format!("a password has at least {MIN_PASSWORD} characters"),
        ));
    }
    let mut accounts = Vec::with_capacity(new.account_ids.len());
    for (index, id) in new.account_ids.iter().enumerate() {
        let account = state.store.account(AccountId(*id)).await.map_err(|_| {
            Failure::invalid(
                &format!("account-ids[{index}]"),
                format!("account {id} does not exist"),
            )
        })?;
        if new.role == Role::DealerUser && !account.is_dealer {
            return Err(Failure::invalid(
                &format!("account-ids[{index}]"),
                format!(
                    "{} is not a dealer; a dealer user is granted dealers",
                    account.id
                ),
            ));
        }
        accounts.push(account.id);
    }
    let password = new.password;
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|e| Failure::Internal(e.to_string()))?;
    let id = state
        .store
        .create_user(name, &hash, new.role, &accounts, Utc::now())
        .await?;
    let user = state
        .store
        .users()
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| Failure::Internal(format!("{id} vanished after its creation")))?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct DeviceView {
    id: i64,
    account_id: i64,
    site_id: Option<i64>,
    serial: Option<String>,
    mac: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    strategy: Option<StrategyRef>,
    addresses: Vec<AddressView>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AddressView {
    address: String,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> Self {
        DeviceView {
            id: d.id.0,
            account_id: d.account_id.0,
            site_id: d.site_id.map(|s| s.0),
            serial: d.serial,
            mac: d.mac,
            manufacturer: d.manufacturer,
            model: d.model,
            first_seen: d.first_seen,
            last_seen: d.last_seen,
            strategy: d.strategy,
            addresses: d
                .addresses
                .into_iter()
                .map(|a| AddressView {
                    address: a.address,
                    first_seen: a.first_seen,
                    last_seen: a.last_seen,
                })
                .collect(),
        }
    }
}

async fn visible_device(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Device> {
    let id = DeviceId(id);
    let device = state.store.device(id).await?;
    caller.require(device.account_id, id)?;
    Ok(device)
}

/// `GET /api/v1/devices`: every device of every account the caller sees.
pub(crate) async fn devices(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<DeviceView>>> {
    let mut out = Vec::new();
    for account in state.store.accounts().await? {
        if caller.visibility.sees(account.id) {
            out.extend(
                state
                    .store
                    .devices(account.id)
                    .await?
                    .into_iter()
                    .map(DeviceView::from),
            );
        }
    }
    Ok(Json(out))
}

/// `GET /api/v1/devices/{device_id}`.
pub(crate) async fn device(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(visible_device(&state, &caller, id).await?.into()))
}

#[derive(Deserialize)]
pub(crate) struct Limit {
    limit: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ReadingView {
    id: i64,
    taken_at: DateTime<Utc>,
    cycle: Cycle,
    strategy: StrategyRef,
    reading: Reading,
    has_raw: bool,
}

/// `GET /api/v1/devices/{device_id}/readings?limit=N` (newest first, default 100).
pub(crate) async fn readings(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(limit): Query<Limit>,
) -> ApiResult<Json<Vec<ReadingView>>> {
    let device = visible_device(&state, &caller, id).await?;
    let limit = limit.limit.unwrap_or(100).min(10_000);
    Ok(Json(
        state
            .store
            .readings(device.id, limit)
            .await?
            .into_iter()
            .map(|r| ReadingView {
                id: r.id.0,
                taken_at: r.taken_at,
                cycle: r.cycle,
                strategy: r.strategy,
                reading: r.reading,
                has_raw: r.raw.is_some(),
            })
            .collect(),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct SupplyPoint {
    reading_id: i64,
    taken_at: DateTime<Utc>,
    description: String,
    kind: String,
    color: Option<String>,
    level: Option<i32>,
    max: Option<i32>,
    percent: Option<u8>,
    state: quire_model::SupplyState,
    serial: Option<String>,
}

/// `GET /api/v1/devices/{device_id}/supplies/{index}`: one supply's history.
pub(crate) async fn supply_history(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, index)): Path<(i64, u32)>,
) -> ApiResult<Json<Vec<SupplyPoint>>> {
    let device = visible_device(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .supply_history(device.id, index)
            .await?
            .into_iter()
            .map(|s| SupplyPoint {
                reading_id: s.reading_id.0,
                taken_at: s.taken_at,
                description: s.description,
                kind: s.kind,
                color: s.color,
                level: s.level,
                max: s.max,
                percent: s.percent,
                state: s.state,
                serial: s.serial,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AlertView {
    reading_id: i64,
    taken_at: DateTime<Utc>,
    index: u32,
    code: i32,
    severity: quire_model::AlertSeverity,
    group: Option<String>,
    description: Option<String>,
}

/// `GET /api/v1/devices/{device_id}/alerts`: the alert rows over time.
pub(crate) async fn alerts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<AlertView>>> {
    let device = visible_device(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .alert_history(device.id)
            .await?
            .into_iter()
            .map(|a| AlertView {
                reading_id: a.reading_id.0,
                taken_at: a.taken_at,
                index: a.index,
                code: a.code,
                severity: a.severity,
                group: a.group,
                description: a.description,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ReplacementView {
    reading_id: i64,
    taken_at: DateTime<Utc>,
    index: u32,
    description: String,
    evidence: quire_protocol::ReplacementEvidence,
}

/// `GET /api/v1/devices/{device_id}/supply-replacements`.
pub(crate) async fn replacements(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<ReplacementView>>> {
    let device = visible_device(&state, &caller, id).await?;
    Ok(Json(
        state
            .store
            .supply_replacements(device.id)
            .await?
            .into_iter()
            .map(|r| ReplacementView {
                reading_id: r.reading_id.0,
                taken_at: r.taken_at,
                index: r.index,
                description: r.description,
                evidence: r.evidence,
            })
            .collect(),
    ))
}
