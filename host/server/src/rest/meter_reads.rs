//! The meter-read export dealers bill from: one row per device and counter of an
//! account (with `subtree=true`, of every account below it too) for a period, with the
//! start and end reading, their times, and the pages between them. Pages are the sum of
//! the corrected intervals (`quire-usage`'s `billing_period`), so a row whose counter was
//! reset or rolled over says so in its events, and its pages are not `end − start`.
//!
//! The same rows come as JSON (with each event's evidence) and as CSV (event kinds only,
//! `;`-separated), the file a billing clerk opens in a spreadsheet. Serials, makers and
//! models are what devices say about themselves, so a CSV text cell that a spreadsheet
//! would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) is written with a leading `'`, as OWASP's CSV-injection advice has it.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use quire_store::{Account, AccountId, Device, DeviceId, DeviceSelection};
use quire_usage::pages::PageEvent;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, Failure};
use crate::state::AppState;
use crate::words::word;

use super::costs::{AccountCostQuery, meter_reads, period};
use super::{ListQuery, Visible};

/// One counter of one device over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MeterReadRow {
    /// The device's account.
    pub account_id: i64,
    /// That account's name.
    pub account: String,
    /// The device.
    pub device_id: i64,
    /// Its serial number, as last read.
    pub serial: Option<String>,
    /// Its maker, as last read.
    pub manufacturer: Option<String>,
    /// Its model, as last read.
    pub model: Option<String>,
    /// The counter (`total`, `mono`, `print.color`, …).
    pub counter: String,
    /// The start reading's value: the last at or before the period's start, else the first inside it.
    pub start_value: u64,
    /// When the start reading was taken.
    pub start_at: DateTime<Utc>,
    /// The end reading's value: the last before the period's end.
    pub end_value: u64,
    /// When the end reading was taken.
    pub end_at: DateTime<Utc>,
    /// The pages between them, corrected for resets, rollovers and board swaps.
    pub pages: u64,
    /// What happened to the counter between them, with the evidence.
    pub events: Vec<PageEvent>,
}

/// The export of one account and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MeterReadExport {
    /// The account asked for.
    pub account_id: i64,
    /// The period's start.
    pub from: DateTime<Utc>,
    /// The period's end, not included.
    pub to: DateTime<Utc>,
    /// Whether the accounts below count.
    pub subtree: bool,
    /// By device, then counter.
    pub rows: Vec<MeterReadRow>,
}

/// `GET /api/v1/accounts/{account_id}/meter-reads?from=&to=&subtree=`.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/meter-reads", tag = "costs",
    params(("account_id" = i64, Path), AccountCostQuery),
    responses((status = 200, description = "One row per device and counter read in the period", body = MeterReadExport)))]
pub(crate) async fn meter_read_export(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(query): ListQuery<AccountCostQuery>,
) -> ApiResult<Json<MeterReadExport>> {
    Ok(Json(export(&state, &account, &query).await?))
}

/// `GET /api/v1/accounts/{account_id}/meter-reads.csv?from=&to=&subtree=`: the same rows
/// as a CSV file, with a header line.
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/meter-reads.csv", tag = "costs",
    params(("account_id" = i64, Path), AccountCostQuery),
    responses((status = 200, description = "One line per device and counter read in the period, after a header line", content_type = "text/csv", body = String)))]
pub(crate) async fn meter_read_csv(
    State(state): State<AppState>,
    Visible(account): Visible<Account>,
    ListQuery(query): ListQuery<AccountCostQuery>,
) -> ApiResult<impl IntoResponse> {
    let export = export(&state, &account, &query).await?;
    let file = format!(
        "attachment; filename=\"meter-reads-{}-{}-{}.csv\"",
        account.id.0,
        export.from.format("%Y%m%d"),
        export.to.format("%Y%m%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, file),
        ],
        csv_text(&export.rows)?,
    ))
}

async fn export(
    state: &AppState,
    account: &Account,
    query: &AccountCostQuery,
) -> ApiResult<MeterReadExport> {
    let (from, to) = period(query.from.as_deref(), query.to.as_deref(), Utc::now())?;
    let subtree = query.subtree.unwrap_or(false);
    let tree = state
        .store
        .rate_tree(DeviceSelection::Account {
            account: account.id,
            subtree,
        })
        .await?;
    let names: HashMap<AccountId, &str> = tree
        .accounts
        .iter()
        .map(|a| (a.id, a.name.as_str()))
        .collect();
    let mut devices: HashMap<DeviceId, Device> = HashMap::new();
    let mut accounts: Vec<AccountId> = tree.devices.iter().map(|d| d.account_id).collect();
    accounts.sort();
    accounts.dedup();
    for id in accounts {
        devices.extend(
            state
                .store
                .devices(id)
                .await?
                .into_iter()
                .map(|d| (d.id, d)),
        );
    }
    let ids: Vec<DeviceId> = tree.devices.iter().map(|d| d.id).collect();
    let reads = meter_reads(state, &ids, from, to).await?;
    let mut rows = Vec::new();
    for (priced, reads) in tree.devices.iter().zip(reads) {
        let device = devices.get(&priced.id);
        for read in reads {
            rows.push(MeterReadRow {
                account_id: priced.account_id.0,
                account: names
                    .get(&priced.account_id)
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                device_id: priced.id.0,
                serial: device.and_then(|d| d.serial.clone()),
                manufacturer: device.and_then(|d| d.manufacturer.clone()),
                model: device.and_then(|d| d.model.clone()),
                counter: read.counter,
                start_value: read.start.value,
                start_at: read.start.taken_at,
                end_value: read.end.value,
                end_at: read.end.taken_at,
                pages: read.pages,
                events: read.events,
            });
        }
    }
    Ok(MeterReadExport {
        account_id: account.id.0,
        from,
        to,
        subtree,
        rows,
    })
}

/// The rows as CSV: RFC 4180 quoting (the `csv` crate's), times in RFC 3339 UTC.
fn csv_text(rows: &[MeterReadRow]) -> ApiResult<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Failure::Internal(format!("writing the meter-read CSV: {e}"));
    out.write_record([
        "account_id",
        "account",
        "device_id",
        "serial",
        "manufacturer",
        "model",
        "counter",
        "start_value",
        "start_at",
        "end_value",
        "end_at",
        "pages",
        "events",
    ])
    .map_err(failed)?;
    for row in rows {
        let events: Vec<String> = row.events.iter().map(|e| word(&e.kind)).collect();
        let text = |value: Option<&str>| inert(value.unwrap_or_default());
        out.write_record([
            row.account_id.to_string(),
            text(Some(&row.account)),
            row.device_id.to_string(),
            text(row.serial.as_deref()),
            text(row.manufacturer.as_deref()),
            text(row.model.as_deref()),
            text(Some(&row.counter)),
            row.start_value.to_string(),
            row.start_at.to_rfc3339(),
            row.end_value.to_string(),
            row.end_at.to_rfc3339(),
            row.pages.to_string(),
            events.join(";"),
        ])
        .map_err(failed)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Failure::Internal(format!("writing the meter-read CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Failure::Internal(e.to_string()))
}

/// `text` as a cell no spreadsheet evaluates.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}
