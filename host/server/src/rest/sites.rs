//! Sites: their schedules, discovery ranges (one by one or as a CSV upload) and IPP printers.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use quire_protocol::{SiteRange, parse_range_csv};
use quire_schedule::ScheduleConfig;
use quire_store::{Account, Page, Site, SiteId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agent_api::default_schedules;
use crate::error::{ApiResult, Failure, json_failure, parse_json, parse_json_list};
use crate::state::AppState;

use super::{ListQuery, Paging, Visible, views};

view! {
    SiteView from Site as site {
        id: i64 = site.id.0,
        account_id: i64 = site.account_id.0,
        name: String,
        schedules: ScheduleConfig = site.schedules.unwrap_or_else(default_schedules),
        ranges: Vec<SiteRange>,
        ipp_printers: Vec<String>,
    }
}

/// `GET /api/v1/accounts/{account_id}/sites?limit=&offset=`, by id.
pub(crate) async fn sites(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<SiteView>>> {
    Ok(views(state.store.sites(account.id, paging.page()?).await?))
}

/// The body of `POST /api/v1/accounts/{account_id}/sites`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewSite {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedules: Option<Value>,
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
    Visible(account): Visible<Account>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SiteView>)> {
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
        .sites(account.id, Page::ALL)
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
pub(crate) async fn site(Visible(site): Visible<Site>) -> Json<SiteView> {
    Json(site.into())
}

/// `PUT /api/v1/sites/{site_id}/schedules`: time zone and the schedules of every cycle.
pub(crate) async fn set_schedules(
    State(state): State<AppState>,
    Visible(site): Visible<Site>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let value: Value = parse_json(&body)?;
    let config = schedules(value, "schedules")?;
    state.store.set_site_schedules(site.id, &config).await?;
    Ok(Json(state.store.site(site.id).await?.into()))
}

/// `PUT /api/v1/sites/{site_id}/ranges`: the site's whole list.
pub(crate) async fn set_ranges(
    State(state): State<AppState>,
    Visible(site): Visible<Site>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let mut ranges: Vec<SiteRange> = Vec::new();
    parse_json_list(&body, "ranges", |value, field| {
        let range: SiteRange =
            serde_json::from_value(value).map_err(|e| json_failure(&e, Some(field)))?;
        if let Some(first) = ranges.iter().position(|r| r.range == range.range) {
            return Err(Failure::invalid(
                &format!("{field}.range"),
                format!("{} is listed already, as ranges[{first}]", range.range),
            ));
        }
        ranges.push(range);
        Ok(())
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
    Visible(site): Visible<Site>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
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
    Visible(account): Visible<Account>,
    body: Bytes,
) -> ApiResult<Json<Vec<SiteView>>> {
    let text = std::str::from_utf8(&body)
        .map_err(|e| Failure::invalid("body", format!("the CSV is not UTF-8: {e}")))?;
    let rows = parse_range_csv(text)
        .map_err(|e| Failure::invalid(&format!("line {}", e.line), e.to_string()))?;
    let sites: HashMap<String, SiteId> = state
        .store
        .sites(account.id, Page::ALL)
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
