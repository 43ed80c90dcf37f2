//! A simulated agent's uploads, for the suites that kill servers in the middle of them:
//! its readings numbered from 1 in batches, and one upload that tells only whether it
//! was acknowledged.

use chrono::{Duration, TimeZone, Utc};
use quire_protocol::{READINGS_PATH, UploadAck, UploadItem};
use quire_server::client::Client;
use quire_testdb::kyocera;
use serde_json::json;

/// Agent `agent`'s readings in `batches` batches of `batch`, a minute apart, from
/// `printers` Kyoceras at `10.{net}.{agent}.x`; `net` also keeps their serials and MACs
/// apart from other suites'.
pub fn batches(
    net: u8,
    agent: usize,
    printers: usize,
    batches: usize,
    batch: usize,
) -> Vec<Vec<UploadItem>> {
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    (0..batches)
        .map(|b| {
            (0..batch)
                .map(|i| {
                    let seq = (b * batch + i + 1) as u64;
                    let printer = i % printers;
                    kyocera::uploaded(
                        seq,
                        format!("10.{net}.{agent}.{printer}"),
                        start + Duration::minutes(seq as i64),
                        kyocera::kyocera(
                            &format!("VD{net}{:06}", agent * 100 + printer),
                            &format!("00:17:c8:{net}:{agent:02x}:{printer:02x}"),
                            seq,
                            7000,
                        ),
                    )
                })
                .collect()
        })
        .collect()
}

/// Uploads `batch` as the agent `bearer`; `None` when no acknowledgement came (the
/// server is down or died on it).
pub async fn post(client: &Client, bearer: &str, batch: &[UploadItem]) -> Option<UploadAck> {
    client
        .json(
            "POST".parse().unwrap(),
            READINGS_PATH,
            Some(bearer),
            Some(&json!({ "items": batch })),
        )
        .await
        .ok()
}
