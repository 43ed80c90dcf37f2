//! Two `quire server` processes on one PostgreSQL database, both running the ASM
//! scheduler every second, and 1,000 alerts due at once: every e-mail action is decided
//! and carried out exactly once, even when the process doing it is killed with SIGKILL
//! in the middle of carrying them out. Servers listen on 127.72.0.0/16.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use quire_model::{Supply, SupplyState};
use quire_protocol::{EnrollRequest, EnrollResponse, UploadAck, UploadItem};
use quire_server::client::Client;
use serde_json::{Value, json};
use sqlx::Connection as _;

use quire_testdb::kyocera;

mod server_process;
use server_process::ServerProcess;

const PASSWORD: &str = "asm-two-servers-password";
const DEVICES: usize = 1_000;

/// A server on `database`, ticking ASM every second, with no SMTP server: the e-mail
/// action is queueing the e-mail, which is what must happen once.
fn start(data: &Path, listen: &str, database: &str) -> ServerProcess {
    let args = [
        "--listen",
        listen,
        "--admin-password",
        PASSWORD,
        "--database",
        database,
        "--asm-every",
        "1",
    ];
    ServerProcess::start(data, &args, "main-dealer")
}

async fn call(client: &Client, token: &str, method: &str, path: &str, body: Value) -> Value {
    client
        .json(method.parse().unwrap(), path, Some(token), Some(&body))
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Printer `n` read a minute ago with its black toner at 10 %.
fn low_toner(n: usize) -> UploadItem {
    let mut reading = kyocera::kyocera(
        &format!("VD7{n:07}"),
        &format!("00:17:c8:72:{:02x}:{:02x}", n / 256, n % 256),
        10_000,
        7000,
    );
    reading.supplies = vec![Supply {
        index: 1,
        description: "TK-5240K".into(),
        kind: "toner".into(),
        color: Some("black".into()),
        unit: Some("percent".into()),
        level: Some(10),
        max: Some(100),
        percent: Some(10),
        state: SupplyState::Low,
        serial: Some(format!("BK-{n}")),
        part_number: Some("TK-5240K".into()),
    }];
    kyocera::uploaded(
        n as u64 + 1,
        format!("10.72.{}.{}", n / 256, n % 256),
        Utc::now() - chrono::Duration::minutes(1),
        reading,
    )
}

/// (journal entries, of them carried out, e-mails queued, open events).
async fn progress(db: &mut sqlx::PgConnection) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM asm_journal), \
         (SELECT count(*) FROM asm_journal WHERE carried_out_at IS NOT NULL), \
         (SELECT count(*) FROM email_outbox), \
         (SELECT count(*) FROM asm_events WHERE is_open)",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_alerts_are_acted_on_exactly_once_by_two_servers_one_killed_mid_tick() {
    let db = quire_testdb::postgres().await;
    let data_a = tempfile::tempdir().unwrap();
    let data_b = tempfile::tempdir().unwrap();
    let mut first = start(data_a.path(), "127.72.0.1:0", &db.url);
    let (client, admin) = first.sign_in_as_admin(PASSWORD).await;
    let dealer = call(
        &client,
        &admin,
        "POST",
        "/api/v1/accounts",
        json!({"name": "Northwind", "parent-id": first.main_dealer(), "is-dealer": true}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let customer = call(
        &client,
        &admin,
        "POST",
        "/api/v1/accounts",
        json!({"name": "Acme", "parent-id": dealer}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    call(
        &client,
        &admin,
        "PUT",
        &format!("/api/v1/accounts/{dealer}/contacts"),
        json!([{"role": "supplies", "name": "Sam", "email": "supplies@northwind.example"}]),
    )
    .await;
    call(
        &client,
        &admin,
        "PUT",
        &format!("/api/v1/accounts/{dealer}/processing-behaviours"),
        json!([{"result-type": "email", "recipients": [{"primary-dealer-contact": "supplies"}]}]),
    )
    .await;
    let key = call(
        &client,
        &admin,
        "POST",
        &format!("/api/v1/accounts/{customer}/enrollment-keys"),
        json!({}),
    )
    .await;
    let enrolled: EnrollResponse = client
        .json(
            "POST".parse().unwrap(),
            quire_protocol::ENROLL_PATH,
            None,
            Some(&EnrollRequest {
                key: key["key"].as_str().unwrap().into(),
                hostname: "h".into(),
                agent_version: "0".into(),
            }),
        )
        .await
        .unwrap();
    let bearer = format!("{}:{}", enrolled.agent_id, enrolled.secret);
    let items: Vec<UploadItem> = (0..DEVICES).map(low_toner).collect();
    for batch in items.chunks(250) {
        let ack: UploadAck = client
            .json(
                "POST".parse().unwrap(),
                quire_protocol::READINGS_PATH,
                Some(&bearer),
                Some(&json!({ "items": batch })),
            )
            .await
            .unwrap();
        assert_eq!(ack.acked_through, batch.last().unwrap().seq);
    }

    // The definition comes last, so its first tick finds all 1,000 alerts due at once.
    let mut watch = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let created = call(
        &client,
        &admin,
        "POST",
        "/api/v1/asm/definitions",
        json!({
        "owner-account-id": dealer, "name": "Toner low", "hierarchical": true,
        "trigger": {"consumable": {"consumable": "toner", "threshold-percent": 20}},
        "overdue": {"unit": "days", "value": 2}, "stale": {"unit": "days", "value": 7},
        "actions": [{"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
            "requires-approval": false, "timing": "immediate", "max-attempts": 3}]}),
    )
    .await;
    assert!(created["id"].is_i64(), "{created}");

    // The first server decides; once it is carrying the e-mails out, the second starts
    // (and waits for the job's hold), and the first is killed mid-way.
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed_at = loop {
        let (journaled, carried, _, _) = progress(&mut watch).await;
        if journaled > 0 && carried > 0 {
            break (journaled, carried);
        }
        assert!(Instant::now() < deadline, "no tick decided anything");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let second = start(data_b.path(), "127.72.0.2:0", &db.url);
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let (_, carried_when_killed, _, _) = progress(&mut watch).await;
    println!(
        "killed the first server with {} of {} journal entries carried out (seen at {} / {})",
        carried_when_killed, DEVICES, killed_at.1, killed_at.0
    );

    // The second finishes: every alert journaled once, carried out once, one e-mail each.
    let deadline = Instant::now() + Duration::from_secs(180);
    let done = loop {
        let now = progress(&mut watch).await;
        if now.1 == DEVICES as i64 && now.2 == DEVICES as i64 {
            break now;
        }
        assert!(Instant::now() < deadline, "stuck at {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // A few more ticks of the survivor change nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(progress(&mut watch).await, done);
    assert_eq!(
        done,
        (
            DEVICES as i64,
            DEVICES as i64,
            DEVICES as i64,
            DEVICES as i64
        )
    );
    let per_event: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT e.id, (SELECT count(*) FROM email_outbox o WHERE o.idempotency_key = j.idempotency_key) \
         FROM asm_events e JOIN asm_journal j ON j.event_id = e.id",
    )
    .fetch_all(&mut watch)
    .await
    .unwrap();
    let events: HashMap<i64, i64> = per_event.into_iter().collect();
    assert_eq!(events.len(), DEVICES, "one journal entry per event");
    assert!(
        events.values().all(|&emails| emails == 1),
        "one e-mail per entry"
    );
    let recipients: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT to_addresses::text FROM email_outbox")
            .fetch_all(&mut watch)
            .await
            .unwrap();
    assert_eq!(recipients.len(), 1, "{recipients:?}");
    assert!(recipients[0].0.contains("supplies@northwind.example"));
    drop(second);
}
