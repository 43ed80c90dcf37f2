//! Sites: their schedules, discovery ranges (one by one or as a CSV upload), how discovery
//! sweeps them, and IPP printers.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use quire_protocol::{ApiError, Range, SiteDiscovery, SiteRange, parse_range_csv};
use quire_schedule::ScheduleConfig;
use quire_store::{Account, Page, Site, SiteId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agent_api::default_schedules;
use crate::error::{ApiResult, Body, Failure, parse_json};
use crate::limits::{
    MAX_CSV_LINES, MAX_IPP_PRINTERS_PER_SITE, MAX_NAME_CHARS, addresses, check_count, check_name,
    check_ranges,
};
use crate::state::AppState;

use super::{Caller, ListQuery, Paging, Visible, views};

view! {
    /// A site of an account: where an agent reads, and when.
    SiteView from Site as site {
        id: i64 = site.id.0,
        account_id: i64 = site.account_id.0,
        /// Unique within the account.
        name: String,
        /// Its own, or the defaults until it has some.
        schedules: ScheduleConfig = site.schedules.unwrap_or_else(default_schedules),
        /// What discovery scans.
        ranges: Vec<SiteRange>,
        /// How discovery sweeps the ranges: its own, or the default until it has some.
        discovery: SiteDiscovery = site.discovery.unwrap_or_default(),
        /// Printers read over IPP by URI.
        ipp_printers: Vec<String>,
    }
}

/// `GET /api/v1/accounts/{account_id}/sites?limit=&offset=`, by id.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/sites", tag = "sites",
    params(("account_id" = i64, Path), Paging),
    responses((status = 200, description = "The account's sites, by id", body = Vec<SiteView>)))]
pub(crate) async fn sites(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(paging): ListQuery<Paging>,
) -> ApiResult<Json<Vec<SiteView>>> {
    Ok(views(state.store.sites(account.id, paging.page()?).await?))
}

/// A new site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewSite {
    /// Unique within the account.
    pub name: String,
    /// The defaults when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedules: Option<ScheduleConfig>,
}

/// Checks schedules beyond their shape (the time zone, hours in range), naming the field
/// (`schedules.alerts.default.kind`) so the console says the refusal beside it.
fn check_schedules(config: &ScheduleConfig) -> ApiResult<()> {
    config.clone().build().map_err(|e| Failure::Invalid {
        field: Some(format!("schedules.{}", e.field())),
        message: format!("schedules.{e}"),
    })?;
    Ok(())
}

/// `POST /api/v1/accounts/{account_id}/sites`.
#[utoipa::path(post, path = "/api/v1/accounts/{account_id}/sites", tag = "sites",
    params(("account_id" = i64, Path)), request_body = NewSite,
    responses(
        (status = 201, description = "Created", body = SiteView),
        (status = 409, description = "The account has a site of that name", body = ApiError),
    ))]
pub(crate) async fn create_site(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    Body(new): Body<NewSite>,
) -> ApiResult<(StatusCode, Json<SiteView>)> {
    let name = check_name("name", &new.name, MAX_NAME_CHARS)?;
    if let Some(config) = &new.schedules {
        check_schedules(config)?;
    }
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
    if let Some(config) = new.schedules {
        state.store.set_site_schedules(site, &config).await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(state.store.site(site).await?.into()),
    ))
}

/// `GET /api/v1/sites/{site_id}`.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}", tag = "sites", params(("site_id" = i64, Path)),
    responses((status = 200, description = "One site with its schedules and ranges", body = SiteView)))]
pub(crate) async fn site(Visible(site): Visible<Site>) -> Json<SiteView> {
    Json(site.into())
}

/// `PUT /api/v1/sites/{site_id}/schedules`: time zone and the schedules of every cycle.
#[utoipa::path(put, path = "/api/v1/sites/{site_id}/schedules", tag = "sites",
    params(("site_id" = i64, Path)), request_body = ScheduleConfig,
    responses((status = 200, description = "The site as changed", body = SiteView)))]
pub(crate) async fn set_schedules(
    State(state): State<AppState>,
    Visible(site): Visible<Site>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let config: ScheduleConfig = parse_json(&body, "schedules")?;
    check_schedules(&config)?;
    state.store.set_site_schedules(site.id, &config).await?;
    Ok(Json(state.store.site(site.id).await?.into()))
}

/// `PUT /api/v1/sites/{site_id}/discovery`: how the site's agents sweep its ranges. A cap
/// out of range is refused, naming `discovery.packets-per-second`.
#[utoipa::path(put, path = "/api/v1/sites/{site_id}/discovery", tag = "sites",
    params(("site_id" = i64, Path)), request_body = SiteDiscovery,
    responses((status = 200, description = "The site as changed", body = SiteView)))]
pub(crate) async fn set_discovery(
    State(state): State<AppState>,
    Visible(site): Visible<Site>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let discovery: SiteDiscovery = parse_json(&body, "discovery")?;
    discovery
        .check()
        .map_err(|(field, message)| Failure::invalid(&format!("discovery.{field}"), message))?;
    state.store.set_site_discovery(site.id, &discovery).await?;
    Ok(Json(state.store.site(site.id).await?.into()))
}

/// `PUT /api/v1/sites/{site_id}/ranges`: the site's whole list. A range listed twice
/// refuses the whole list, naming the second one's index.
#[utoipa::path(put, path = "/api/v1/sites/{site_id}/ranges", tag = "sites",
    params(("site_id" = i64, Path)), request_body = Vec<SiteRange>,
    responses((status = 200, description = "The site as changed", body = SiteView)))]
pub(crate) async fn set_ranges(
    State(state): State<AppState>,
    Visible(site): Visible<Site>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let ranges: Vec<SiteRange> = parse_json(&body, "ranges")?;
    for (index, range) in ranges.iter().enumerate() {
        dealer_allows(&caller, &format!("ranges[{index}].range"), &range.range)?;
    }
    let elsewhere: u64 = state
        .store
        .sites(site.account_id, Page::ALL)
        .await?
        .iter()
        .filter(|s| s.id != site.id)
        .map(|s| addresses(&s.ranges))
        .sum();
    check_ranges("ranges", &ranges, elsewhere)?;
    for (index, range) in ranges.iter().enumerate() {
        if let Some(first) = ranges[..index].iter().position(|r| r.range == range.range) {
            return Err(Failure::invalid(
                &format!("ranges[{index}].range"),
                format!("{} is listed already, as ranges[{first}]", range.range),
            ));
        }
    }
    state
        .store
        .replace_site_ranges(&[(site.id, ranges)])
        .await?;
    Ok(Json(state.store.site(site.id).await?.into()))
}

/// `PUT /api/v1/sites/{site_id}/ipp-printers`: the printers the site's agents read over
/// IPP by URI, in place of the old list. A URI that could never be read, or one listed
/// twice, refuses the whole list, naming its index.
#[utoipa::path(put, path = "/api/v1/sites/{site_id}/ipp-printers", tag = "sites",
    params(("site_id" = i64, Path)), request_body(content = Vec<String>, description = "Printer URIs (`ipp://host/ipp/print`, `ipps://…`)"),
    responses((status = 200, description = "The site as changed", body = SiteView)))]
pub(crate) async fn set_ipp_printers(
    State(state): State<AppState>,
    Visible(site): Visible<Site>,
    body: Bytes,
) -> ApiResult<Json<SiteView>> {
    let listed: Vec<String> = parse_json(&body, "ipp-printers")?;
    check_count(
        "ipp-printers",
        "printers",
        listed.len(),
        MAX_IPP_PRINTERS_PER_SITE,
    )?;
    let mut printers: Vec<String> = Vec::with_capacity(listed.len());
    let mut parsed = Vec::with_capacity(listed.len());
    for (index, uri) in listed.into_iter().enumerate() {
        let field = format!("ipp-printers[{index}]");
        let uri = uri.trim().to_owned();
        parsed.push(quire_ipp::PrinterUri::parse(&uri).map_err(|e| Failure::invalid(&field, e))?);
        if let Some(first) = printers.iter().position(|p| *p == uri) {
            return Err(Failure::invalid(
                &field,
                format!("{uri} is listed already, as ipp-printers[{first}]"),
            ));
        }
        printers.push(uri);
    }
    for (index, uri) in parsed.iter().enumerate() {
        if let Some(problem) = outside_ranges(&uri.host, &site.ranges) {
            return Err(Failure::invalid(&format!("ipp-printers[{index}]"), problem));
        }
    }
    state
        .store
        .set_site_ipp_printers(site.id, &printers)
        .await?;
    Ok(Json(state.store.site(site.id).await?.into()))
}

/// Why an agent may not be sent to read `host`: only what the site's ranges hold (an
/// address inside one, or a host name listed as one) is the site's network. Anything
/// else could turn the agent into a reader of the customer's other machines, of the
/// cloud's metadata service (169.254.169.254) or of the agent's own host (loopback);
/// those two are named, since a dealer who means them lists them as ranges first.
fn outside_ranges(host: &str, ranges: &[SiteRange]) -> Option<String> {
    let inside = match host.parse::<std::net::IpAddr>() {
        Ok(address) => ranges.iter().any(|r| r.range.contains(address)),
        Err(_) => ranges
            .iter()
            .any(|r| matches!(&r.range, Range::Host(name) if name.eq_ignore_ascii_case(host))),
    };
    if inside {
        return None;
    }
    let what = match host.parse::<std::net::IpAddr>() {
        Ok(address) if address.is_loopback() => "a loopback address (the agent's own machine)",
        Ok(std::net::IpAddr::V4(v4)) if v4.is_link_local() => "a link-local address",
        Ok(std::net::IpAddr::V6(v6)) if v6.is_unicast_link_local() => "a link-local address",
        _ => "a printer",
    };
    Some(format!(
        "{host} is {what} outside the site's ranges; an agent reads only its site's network, \
         so add {host} to the site's ranges first"
    ))
}

/// Refuses an account user a range that reaches the agent's own machine or its link
/// ([`Range::reaches_local`]): the customer's network is theirs to list, but reading
/// there turns their agent on its own host or a cloud's metadata service, which only the
/// dealer that installed the agent may decide. A dealer user or an administrator listing
/// such a range is that decision.
fn dealer_allows(caller: &Caller, field: &str, range: &Range) -> ApiResult<()> {
    let Some(local) = range.reaches_local() else {
        return Ok(());
    };
    caller
        .dealer(&format!("list {range}, which reaches {local}"))
        .map_err(|refused| Failure::ForbiddenIn {
            field: field.to_owned(),
            message: refused.to_string(),
        })
}

/// `POST /api/v1/accounts/{account_id}/ranges-csv`: `site,range[,part]` lines. Every
/// site named gets the ranges of its lines in place of its old ones; sites not named keep
/// theirs. A bad line, or a site the account does not have, refuses the whole upload.
#[utoipa::path(post, path = "/api/v1/accounts/{account_id}/ranges-csv", tag = "sites",
    params(("account_id" = i64, Path)),
    request_body(content = String, content_type = "text/csv", description = "`site,range[,part]` lines; a header line `site,range,part` is skipped"),
    responses((status = 200, description = "The sites whose ranges changed", body = Vec<SiteView>)))]
pub(crate) async fn upload_ranges(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Json<Vec<SiteView>>> {
    let text = std::str::from_utf8(&body)
        .map_err(|e| Failure::invalid("body", format!("the CSV is not UTF-8: {e}")))?;
    check_count("body", "lines", text.lines().count(), MAX_CSV_LINES)?;
    let rows = parse_range_csv(text)
        .map_err(|e| Failure::invalid(&format!("line {}", e.line), e.to_string()))?;
    let stored = state.store.sites(account.id, Page::ALL).await?;
    // The account's addresses as the upload would leave them, line by line: a site named
    // gives up its old ranges for the upload's.
    let mut account_addresses: u64 = stored.iter().map(|s| addresses(&s.ranges)).sum();
    let sites: HashMap<String, (SiteId, u64)> = stored
        .into_iter()
        .map(|s| {
            let old = addresses(&s.ranges);
            (s.name, (s.id, old))
        })
        .collect();
    let mut by_site: Vec<(SiteId, Vec<SiteRange>)> = Vec::new();
    for row in rows {
        let field = format!("line {}", row.line);
        let (site, old) = *sites.get(row.site.trim()).ok_or_else(|| {
            Failure::invalid(
                &format!("line {}", row.line),
                format!(
                    "line {}: {} has no site named `{}`; create it first",
                    row.line, account.id, row.site
                ),
            )
        })?;
        dealer_allows(&caller, &field, &row.range)?;
        let range = SiteRange {
            range: row.range,
            part: row.part,
        };
        let index = match by_site.iter().position(|(s, _)| *s == site) {
            Some(index) => index,
            None => {
                account_addresses -= old;
                by_site.push((site, Vec::new()));
                by_site.len() - 1
            }
        };
        let list = &mut by_site[index].1;
        account_addresses += range.range.len();
        list.push(range);
        let elsewhere = account_addresses - addresses(list);
        check_ranges(&field, list, elsewhere)?;
    }
    state.store.replace_site_ranges(&by_site).await?;
    let mut changed = Vec::with_capacity(by_site.len());
    for (site, _) in by_site {
        changed.push(state.store.site(site).await?.into());
    }
    Ok(Json(changed))
}
