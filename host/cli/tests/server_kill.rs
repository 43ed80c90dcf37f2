//! `quire server` killed with SIGKILL in the middle of concurrent uploads and started
//! again on the same data: every acknowledged reading is there exactly once, and the
//! agents' retries of what was not acknowledged fill in the rest without a duplicate.
//! Servers listen on 127.71.0.0/16.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quire_protocol::{EnrollRequest, EnrollResponse};
use quire_server::client::Client;
use serde_json::{Value, json};
use sqlx::Connection as _;

mod server_process;
mod uploads;
use server_process::ServerProcess;
use uploads::{batches, post};

const PASSWORD: &str = "kill-test-password";
const AGENTS: usize = 4;
const BATCHES: usize = 30;
const BATCH: usize = 25;

/// A server on `data` listening on `listen`; what it printed is complete once it names
/// the main dealer.
fn start(data: &Path, listen: &str) -> ServerProcess {
    let args = ["--listen", listen, "--admin-password", PASSWORD];
    ServerProcess::start(data, &args, "main-dealer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_readings_survive_sigkill_and_retries_file_the_rest_once() {
    let data = tempfile::tempdir().unwrap();
    let mut first = start(data.path(), "127.71.0.1:0");
    let (client, admin) = first.sign_in_as_admin(PASSWORD).await;
    let account: Value = client
        .json(
            "POST".parse().unwrap(),
            "/api/v1/accounts",
            Some(&admin),
            Some(&json!({"name": "Acme", "parent-id": first.main_dealer()})),
        )
        .await
        .unwrap();
    let mut bearers = Vec::new();
    for _ in 0..AGENTS {
        let key: Value = client
            .json(
                "POST".parse().unwrap(),
                &format!("/api/v1/accounts/{}/enrollment-keys", account["id"]),
                Some(&admin),
                Some(&json!({})),
            )
            .await
            .unwrap();
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
        bearers.push(format!("{}:{}", enrolled.agent_id, enrolled.secret));
    }

    // Upload until the server dies; each agent remembers what was acknowledged.
    let acked_items = Arc::new(AtomicU64::new(0));
    let mut agents = Vec::new();
    for (agent, bearer) in bearers.iter().enumerate() {
        let client = client.clone();
        let bearer = bearer.clone();
        let acked_items = acked_items.clone();
        agents.push(tokio::spawn(async move {
            let mut acked_through = 0u64;
            for batch in batches(71, agent, 10, BATCHES, BATCH) {
                match post(&client, &bearer, &batch).await {
                    Some(ack) => {
                        acked_through = ack.acked_through;
                        acked_items.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    }
                    None => break,
                }
            }
            acked_through
        }));
    }
    let total = (AGENTS * BATCHES * BATCH) as u64;
    while acked_items.load(Ordering::Relaxed) < total / 3 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let mut acked = Vec::new();
    for agent in agents {
        acked.push(agent.await.unwrap());
    }
    let acked_total: u64 = acked.iter().sum();
    assert!(
        acked_total < total,
        "the kill came after every upload: {acked:?}"
    );

    // Started again on the same data: same certificate, and every agent re-sends what
    // was not acknowledged.
    let second = start(data.path(), "127.71.0.2:0");
    let sha256 = second.certificate_sha256();
    assert_eq!(
        sha256,
        first.certificate_sha256(),
        "the certificate changed across restarts"
    );
    let client = Client::new(second.address(), sha256);
    let mut duplicates = 0;
    for (agent, bearer) in bearers.iter().enumerate() {
        for batch in batches(71, agent, 10, BATCHES, BATCH) {
            if batch.last().unwrap().seq <= acked[agent] {
                continue;
            }
            let ack = post(&client, bearer, &batch)
                .await
                .expect("the restarted server answers");
            duplicates += ack.duplicates;
            assert_eq!(ack.acked_through, batch.last().unwrap().seq);
        }
    }
    eprintln!("acknowledged through {acked:?} before the kill; {duplicates} duplicates on retry");
    // At most the batch each agent had in flight can have been filed unacknowledged.
    assert!(
        duplicates as usize <= AGENTS * BATCH,
        "{duplicates} duplicates"
    );
    drop(second);

    let mut db = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        data.path().join("quire.db").display()
    ))
    .await
    .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM readings")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(rows, total as i64, "acknowledged through {acked:?}");
    // Each agent's numbers were filed once each: one run from the first to the last.
    for (agent, bearer) in bearers.iter().enumerate() {
        let agent_id = bearer.split(':').next().unwrap();
        let runs: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT first_seq, last_seq FROM agent_seq_runs WHERE agent_id = $1 ORDER BY first_seq",
        )
        .bind(agent_id)
        .fetch_all(&mut db)
        .await
        .unwrap();
        assert_eq!(runs, [(1, (BATCHES * BATCH) as i64)], "agent {agent}");
    }
}
