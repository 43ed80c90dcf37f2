//! `quire reinterpret`: a reading stored with its raw exchange, re-read by today's
//! strategies, reads exactly what `quire replay` reads from the same recording.

use chrono::Utc;
use quire_model::{Cycle, Reading, StrategyRef};
use serde_json::Value;

mod quire_cli;
use quire_cli::quire_json;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec"
);

#[tokio::test]
async fn a_stored_exchange_reads_as_its_recording_replays() {
    let data = tempfile::tempdir().unwrap();
    let store = quire_store::Store::open(&format!(
        "sqlite://{}",
        data.path().join("quire.db").display()
    ))
    .await
    .unwrap();
    let account = store.create_account("Acme", None, false).await.unwrap();
    let mut stale = Reading::default();
    stale.identity.serial = Some("read-by-an-old-strategy".into());
    let raw = std::fs::read_to_string(FIXTURE).unwrap();
    let old = StrategyRef {
        name: "printer-mib".into(),
        version: "0.0.1".into(),
    };
    store
        .ingest(
            account,
            "10.0.0.5",
            Utc::now(),
            Cycle::MetersAndSupplies,
            &old,
            &stale,
            Some(&raw),
        )
        .await
        .unwrap();
    store.close().await;

    let data_arg = data.path().to_str().unwrap();
    let reread = quire_json(&["reinterpret", "--data", data_arg, "--format", "json"]);
    let replayed = quire_json(&[
        "replay",
        FIXTURE,
        "--cycle",
        "meters-and-supplies",
        "--format",
        "json",
    ]);
    assert_eq!(reread.as_array().map(Vec::len), Some(1), "{reread:?}");
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("file");
        v
    };
    let reread = strip(reread[0].clone());
    assert_ne!(reread["identity"]["serial"], "read-by-an-old-strategy");
    assert_eq!(reread, strip(replayed[0].clone()));
}
