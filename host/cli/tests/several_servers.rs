//! Issue 19, several servers on one PostgreSQL: three `quire server` processes share one
//! database, one certificate key and one secrets key, as the README's "Several servers"
//! part sets them up. A session made on one works on the others, a strategy published on
//! one is handed out by the others, agents spread over them file every reading exactly
//! once, and one process killed with SIGKILL mid-ingest loses nothing it acknowledged:
//! its agents go on through the others, as behind a load balancer. Servers listen on
//! 127.73.0.0/16.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quire_protocol::{
    AgentConfig, CONFIG_PATH, ENROLL_PATH, EnrollRequest, EnrollResponse, STRATEGIES_PATH,
};
use quire_server::client::Client;
use serde_json::{Value, json};
use sqlx::Connection as _;

mod server_process;
mod uploads;
use server_process::ServerProcess;
use uploads::{batches, post};

const PASSWORD: &str = "several-servers-password";
const AGENTS: usize = 6;
const BATCHES: usize = 20;
const BATCH: usize = 20;

/// A server on `database` with the first server's key pair and secrets key (`shared`).
fn start(data: &Path, listen: &str, database: &str, shared: Option<&Path>) -> ServerProcess {
    let mut args: Vec<String> = [
        "--listen",
        listen,
        "--admin-password",
        PASSWORD,
        "--database",
        database,
        "--allow-unsigned-plugins",
    ]
    .map(str::to_owned)
    .into();
    if let Some(first) = shared {
        for (flag, file) in [
            ("--tls-cert", "server-cert.pem"),
            ("--tls-key", "server-key.pem"),
            ("--secrets-key", "secrets.key"),
        ] {
            args.push(flag.to_owned());
            args.push(first.join(file).display().to_string());
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ServerProcess::start(data, &args, "main-dealer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_on_one_database_file_every_reading_once_and_share_sessions_and_strategies() {
    let db = quire_testdb::postgres().await;
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let first = start(dirs[0].path(), "127.73.0.1:0", &db.url, None);
    let shared = dirs[0].path();
    let mut servers = vec![first];
    for (n, dir) in dirs.iter().enumerate().skip(1) {
        let listen = format!("127.73.0.{}:0", n + 1);
        servers.push(start(dir.path(), &listen, &db.url, Some(shared)));
    }
    // One key behind every process: what an agent pins holds whichever it reaches.
    let keys: Vec<&str> = servers
        .iter()
        .map(|s| s.printed["key-sha256"].as_str())
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    let clients: Vec<Client> = servers
        .iter()
        .map(|s| Client::new(s.address(), s.certificate_sha256()))
        .collect();

    // A session made on the first works on the others.
    let (_, admin) = servers[0].sign_in_as_admin(PASSWORD).await;
    for client in &clients[1..] {
        let accounts: Value = client
            .json::<(), _>(
                "GET".parse().unwrap(),
                "/api/v1/accounts",
                Some(&admin),
                None,
            )
            .await
            .unwrap();
        assert!(!accounts.as_array().unwrap().is_empty(), "{accounts}");
    }
    let account: Value = clients[1]
        .json(
            "POST".parse().unwrap(),
            "/api/v1/accounts",
            Some(&admin),
            Some(&json!({"name": "Acme", "parent-id": servers[0].main_dealer()})),
        )
        .await
        .unwrap();

    // Agents enroll through whichever server the balancer gives them.
    let mut bearers = Vec::new();
    for agent in 0..AGENTS {
        let client = &clients[agent % clients.len()];
        let key: Value = client
            .json(
                "POST".parse().unwrap(),
                &format!("/api/v1/accounts/{}/enrollment-keys", account["id"]),
                Some(&admin),
                Some(&json!({})),
            )
            .await
            .unwrap();
        let enrolled: EnrollResponse = clients[(agent + 1) % clients.len()]
            .json(
                "POST".parse().unwrap(),
                ENROLL_PATH,
                None,
                Some(&EnrollRequest {
                    key: key["key"].as_str().unwrap().into(),
                    hostname: format!("agent-{agent}"),
                    agent_version: "0".into(),
                }),
            )
            .await
            .unwrap();
        assert_eq!(enrolled.key_sha256.as_deref(), Some(keys[0]));
        bearers.push(format!("{}:{}", enrolled.agent_id, enrolled.secret));
    }

    // A strategy published on the second is handed out by the first and the third.
    let component = quire_test_guests::bytes("quire_guest_printer_mib_next");
    let published = clients[1]
        .send(
            "POST".parse().unwrap(),
            "/api/v1/strategies",
            Some(&admin),
            Some(("application/wasm", component.clone())),
        )
        .await
        .unwrap();
    assert_eq!(published.status, 201, "{}", published.text());
    let published = published.json();
    for client in [&clients[0], &clients[2]] {
        let config: AgentConfig = client
            .json::<(), _>("GET".parse().unwrap(), CONFIG_PATH, Some(&bearers[0]), None)
            .await
            .unwrap();
        let listing = config
            .strategies
            .iter()
            .find(|s| s.name == published["name"])
            .unwrap_or_else(|| panic!("{published} not in {:?}", config.strategies));
        assert_eq!(listing.version, published["version"].as_str().unwrap());
        let download = client
            .send(
                "GET".parse().unwrap(),
                &format!("{STRATEGIES_PATH}/{}/{}", listing.name, listing.version),
                Some(&bearers[0]),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            (download.status, download.body.len()),
            (200, component.len())
        );
    }

    // Every agent uploads its batches round robin over the three; the second process
    // is killed a third of the way in, and its agents' next batches go to the others.
    let killed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acked_items = Arc::new(AtomicU64::new(0));
    let mut agents = Vec::new();
    for (agent, bearer) in bearers.iter().enumerate() {
        let (clients, bearer) = (clients.clone(), bearer.clone());
        let (killed, acked_items) = (killed.clone(), acked_items.clone());
        agents.push(tokio::spawn(async move {
            let mut retried = 0;
            for (b, batch) in batches(73, agent, 5, BATCHES, BATCH)
                .into_iter()
                .enumerate()
            {
                let mut target = (agent + b) % clients.len();
                let ack = loop {
                    if killed.load(Ordering::Relaxed) && target == 1 {
                        target = 2;
                    }
                    match post(&clients[target], &bearer, &batch).await {
                        Some(ack) => break ack,
                        // The balancer takes the dead process out; the batch goes again.
                        None => {
                            retried += 1;
                            target = (target + 1) % clients.len();
                        }
                    }
                };
                assert_eq!(ack.acked_through, batch.last().unwrap().seq, "{ack:?}");
                acked_items.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            retried
        }));
    }
    let total = (AGENTS * BATCHES * BATCH) as u64;
    while acked_items.load(Ordering::Relaxed) < total / 3 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    killed.store(true, Ordering::Relaxed);
    servers[1].child.kill().unwrap(); // SIGKILL
    servers[1].child.wait().unwrap();
    let mut retried = 0;
    for agent in agents {
        retried += agent.await.unwrap();
    }
    eprintln!("{retried} batches sent again after the kill");

    // Every reading once: as many rows as items, and each agent's numbers one run.
    let mut pg = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM readings")
        .fetch_one(&mut pg)
        .await
        .unwrap();
    assert_eq!(rows, total as i64);
    for (agent, bearer) in bearers.iter().enumerate() {
        let agent_id = bearer.split(':').next().unwrap();
        let runs: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT first_seq, last_seq FROM agent_seq_runs WHERE agent_id = $1 ORDER BY first_seq",
        )
        .bind(agent_id)
        .fetch_all(&mut pg)
        .await
        .unwrap();
        assert_eq!(runs, [(1, (BATCHES * BATCH) as i64)], "agent {agent}");
    }
}
