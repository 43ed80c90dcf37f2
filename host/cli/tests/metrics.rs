//! `/metrics` as an operator's Prometheus scrapes it: a `quire server` and a `quire agent
//! run`, each started as the README says with `--metrics-listen`, scraped before and after
//! the agent reads two simulated printers and delivers their readings. The values a user
//! graphs must move: devices read, readings filed, the last upload's time.
//!
//! This test's loopback block: printers on 127.163.0.x at SNMP port 16163, the server and
//! the agent on 127.163.1.x.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt as _, Empty};
use hyper::Method;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use quire_server::client::Client;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};

mod server_process;
mod two_printers;
use server_process::ServerProcess;

const SNMP_PORT: u16 = 16163;
const PASSWORD: &str = "metrics-test-password";

/// One sample of the exposition: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape, parsed: every sample, and each family's `# TYPE`.
#[derive(Debug)]
struct Scrape {
    samples: Vec<Sample>,
    types: BTreeMap<String, String>,
    text: String,
}

impl Scrape {
    /// Parses Prometheus' text format (0.0.4) as the exporter writes it; a line that is
    /// not a comment, a blank or `name{label="value",…} value` fails the test.
    fn parse(text: String) -> Scrape {
        let mut samples = Vec::new();
        let mut types = BTreeMap::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
                types.insert(name.to_owned(), kind.to_owned());
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            let value = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                value => value.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
            };
            let (name, labels) = match series.split_once('{') {
                None => (series, BTreeMap::new()),
                Some((name, labels)) => {
                    let labels = labels.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                    (name, parse_labels(labels, line))
                }
            };
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "{line}"
            );
            samples.push(Sample {
                name: name.to_owned(),
                labels,
                value,
            });
        }
        Scrape {
            samples,
            types,
            text,
        }
    }

    /// The value of the one sample of `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let matching: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        assert_eq!(matching.len(), 1, "{name} {labels:?} in:\n{}", self.text);
        matching[0].value
    }

    /// The sum over every sample of `name` (every label set).
    fn sum(&self, name: &str) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .map(|s| s.value)
            .sum()
    }

    fn kind(&self, family: &str) -> &str {
        self.types
            .get(family)
            .unwrap_or_else(|| panic!("no # TYPE {family} in:\n{}", self.text))
    }
}

/// `a="x",b="y\"z"`: the label pairs, unescaping `\\`, `\"` and `\n`.
fn parse_labels(text: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("{line}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value: {line}"),
            }
        };
        labels.insert(key.to_owned(), value);
        rest = after[end + 1..]
            .strip_prefix(',')
            .unwrap_or(&after[end + 1..]);
    }
    labels
}

/// GETs `url` (`http://ADDR/metrics`) as a scraper does, checking the content type.
async fn scrape(url: &str) -> Scrape {
    let address: SocketAddr = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("{url}"))
        .parse()
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::get("/metrics")
        .header("host", address.to_string())
        .body(Empty::<Bytes>::new())
        .unwrap();
    let answer = sender.send_request(request).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = answer.into_body().collect().await.unwrap().to_bytes();
    Scrape::parse(String::from_utf8(body.to_vec()).unwrap())
}

/// Scrapes `url` until `done` holds, or fails naming `what` after a minute.
async fn scrape_until(url: &str, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let scraped = scrape(url).await;
        if done(&scraped) {
            return scraped;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} never came; last scrape:\n{}",
            scraped.text
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The dealer at a server process: its admin's session.
struct Dealer {
    client: Client,
    token: String,
}

impl Dealer {
    async fn call(&self, method: Method, path: &str, body: Value) -> Value {
        self.client
            .json(method, path, Some(&self.token), Some(&body))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }
}

/// An account checking in every 10 s whose one site scans `range` (community `public`),
/// and an agent enrolled for it by `quire agent enroll` in `dir`. Returns the site and
/// the agent's data directory. No cycle is scheduled, so the only reads are the discovery
/// a part of the network with no known device gets at once: an hourly alerts cycle falling
/// within the test would add readings.
async fn enrolled_agent(
    server: &ServerProcess,
    dealer: &Dealer,
    range: &str,
    dir: &Path,
) -> (i64, PathBuf) {
    let account = dealer
        .call(
            Method::POST,
            "/api/v1/accounts",
            json!({"name": "Acme", "parent-id": server.main_dealer()}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let site = dealer
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{account}/sites"),
            json!({"name": "Head office"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let calls = [
        (
            format!("/api/v1/sites/{site}/ranges"),
            json!([{ "range": range }]),
        ),
        (
            format!("/api/v1/accounts/{account}/credentials"),
            json!([{"version": "v2c", "community": "public"}]),
        ),
        (
            format!("/api/v1/accounts/{account}/check-in"),
            json!({"check-in-seconds": 10}),
        ),
        (
            format!("/api/v1/sites/{site}/schedules"),
            json!({
                "time-zone": "UTC",
                "discovery": {"default": {"kind": "disabled"}},
                "meters-and-supplies": {"default": {"kind": "disabled"}},
                "alerts": {"default": {"kind": "disabled"}},
            }),
        ),
    ];
    for (path, body) in calls {
        dealer.call(Method::PUT, &path, body).await;
    }
    let key = dealer
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{account}/enrollment-keys"),
            json!({"valid-hours": 1}),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let data = dir.join("agent");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["agent", "enroll", "--server"])
        .arg(format!("https://{}", server.address()))
        .args(["--key", &key, "--fingerprint", server.certificate_sha256()])
        .arg("--data")
        .arg(&data)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (site, data)
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test(flavor = "multi_thread")]
async fn server_and_agent_metrics_move_as_printers_are_read_and_uploaded() {
    let _fleet = two_printers::start(Ipv4Addr::new(127, 163, 0, 1), SNMP_PORT).await;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &dir.path().join("server"),
        &[
            "--listen",
            "127.163.1.1:0",
            "--metrics-listen",
            "127.163.1.1:0",
            "--admin-password",
            PASSWORD,
        ],
        "main-dealer",
    );
    let server_metrics = server.printed["metrics"].clone();
    assert!(
        server_metrics.starts_with("http://127.163.1.1:"),
        "{server_metrics}"
    );
    let (client, token) = server.sign_in_as_admin(PASSWORD).await;
    let dealer = Dealer { client, token };
    // At first the site scans an address where no printer answers.
    let (site, data) = enrolled_agent(&server, &dealer, "127.163.0.9", dir.path()).await;

    let before = scrape(&server_metrics).await;
    assert_eq!(before.kind("quire_server_readings_total"), "counter");
    assert_eq!(before.kind("quire_server_agents_connected"), "gauge");
    let filed = [("outcome", "filed")];
    assert_eq!(before.value("quire_server_readings_total", &filed), 0.0);
    assert_eq!(before.value("quire_server_agents_enrolled", &[]), 1.0);
    assert_eq!(before.value("quire_server_agents_connected", &[]), 0.0);
    assert_eq!(before.value("quire_server_emails_queued", &[]), 0.0);
    assert_eq!(before.value("quire_server_asm_actions_pending", &[]), 0.0);
    assert!(before.value("quire_server_db_connections", &[]) >= 1.0);
    assert!(
        before.value("quire_server_db_connections", &[])
            <= before.value("quire_server_db_connections_max", &[])
    );

    let started = unix_now();
    let mut agent = tokio::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["agent", "run", "--snmp-port", &SNMP_PORT.to_string()])
        .args(["--metrics-listen", "127.163.1.2:0", "--data"])
        .arg(&data)
        .env_remove("QUIRE_LOG")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(agent.stderr.take().unwrap()).lines();
    let agent_metrics = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some((_, url)) = line.split_once("quire agent: metrics at ") {
                return url.to_owned();
            }
        }
        panic!("the agent ended without saying where its metrics are");
    })
    .await
    .expect("the agent says where its metrics are");
    // Keep reading, so the agent never writes into a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    assert!(
        agent_metrics.starts_with("http://127.163.1.2:"),
        "{agent_metrics}"
    );

    let discovery_ok = [("cycle", "discovery"), ("outcome", "ok")];
    let empty = scrape_until(&agent_metrics, "the first discovery", |s| {
        s.value("quire_agent_cycles_total", &[("cycle", "discovery")]) >= 1.0
    })
    .await;
    assert_eq!(empty.kind("quire_agent_device_reads_total"), "counter");
    assert_eq!(
        empty.value("quire_agent_device_reads_total", &discovery_ok),
        0.0
    );
    assert_eq!(
        empty.sum("quire_agent_strategy_duration_seconds_count"),
        0.0
    );
    assert_eq!(
        empty.value("quire_agent_last_upload_timestamp_seconds", &[]),
        0.0
    );
    assert_eq!(empty.value("quire_agent_queue_depth", &[]), 0.0);
    // Values read from the database are refreshed at most once a second.
    scrape_until(&server_metrics, "the agent's check-in", |s| {
        s.value("quire_server_agents_connected", &[]) == 1.0
    })
    .await;

    // The dealer points the site at the printers; the agent's next check-in (within 10 s)
    // brings the new range, and discovery of it is due at once.
    dealer
        .call(
            Method::PUT,
            &format!("/api/v1/sites/{site}/ranges"),
            json!([{ "range": "127.163.0.1-127.163.0.2" }]),
        )
        .await;
    let read = scrape_until(&agent_metrics, "two printers read and uploaded", |s| {
        s.value("quire_agent_device_reads_total", &discovery_ok) >= 2.0
            && s.value("quire_agent_last_upload_timestamp_seconds", &[]) > 0.0
    })
    .await;
    assert_eq!(
        read.value("quire_agent_device_reads_total", &discovery_ok),
        2.0
    );
    for outcome in ["timeout", "refused", "strategy_failed", "error"] {
        let labels = [("cycle", "discovery"), ("outcome", outcome)];
        assert_eq!(read.value("quire_agent_device_reads_total", &labels), 0.0);
    }
    let uploaded = read.value("quire_agent_last_upload_timestamp_seconds", &[]);
    assert!(
        (started..=unix_now()).contains(&uploaded),
        "{uploaded} is not between {started} and now"
    );
    assert_eq!(
        read.value("quire_agent_readings_uploaded_total", &filed),
        2.0
    );
    // Each printer was read by its family's strategy: two collects timed in all, and each
    // family's computing within its time.
    // A histogram is written from its first sample on.
    assert_eq!(
        read.kind("quire_agent_strategy_duration_seconds"),
        "histogram"
    );
    assert_eq!(read.sum("quire_agent_strategy_duration_seconds_count"), 2.0);
    let families: Vec<&str> = read
        .samples
        .iter()
        .filter(|s| s.name == "quire_agent_strategy_duration_seconds_count")
        .map(|s| s.labels["strategy"].as_str())
        .collect();
    for family in families {
        let strategy = [("strategy", family)];
        let took = read.value("quire_agent_strategy_duration_seconds_sum", &strategy);
        let computed = read.value("quire_agent_strategy_compute_seconds_sum", &strategy);
        assert!(
            computed > 0.0 && computed <= took,
            "{family}: computed {computed} s of {took} s"
        );
    }

    // The queue's depth is read at a scrape at most once a second: it empties once the
    // upload is acknowledged.
    scrape_until(&agent_metrics, "the queue emptied", |s| {
        s.value("quire_agent_queue_depth", &[]) == 0.0
    })
    .await;

    let after = scrape_until(&server_metrics, "two readings filed", |s| {
        s.value("quire_server_readings_total", &filed) >= 2.0
    })
    .await;
    assert_eq!(after.value("quire_server_readings_total", &filed), 2.0);
    assert_eq!(
        after.value("quire_server_readings_total", &[("outcome", "duplicate")]),
        0.0
    );
    let refused: f64 = after
        .samples
        .iter()
        .filter(|s| {
            s.name == "quire_server_readings_total"
                && s.labels.get("outcome").map(String::as_str) == Some("refused")
        })
        .map(|s| s.value)
        .sum();
    assert_eq!(refused, 0.0);
    assert_eq!(
        after.kind("quire_server_upload_duration_seconds"),
        "histogram"
    );
    let uploads = after.value("quire_server_upload_duration_seconds_count", &[]);
    assert!(uploads >= 1.0, "{uploads}");
    assert_eq!(
        after.value(
            "quire_server_upload_duration_seconds_bucket",
            &[("le", "+Inf")]
        ),
        uploads
    );
    assert_eq!(after.value("quire_server_agents_connected", &[]), 1.0);
}

/// The listener answers its one path: a typo is told where metrics are, and a POST is
/// refused.
#[tokio::test(flavor = "multi_thread")]
async fn the_server_metrics_listener_answers_only_get_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &dir.path().join("server"),
        &[
            "--listen",
            "127.163.1.3:0",
            "--metrics-listen",
            "127.163.1.3:0",
            "--admin-password",
            PASSWORD,
        ],
        "main-dealer",
    );
    let address: SocketAddr = server.printed["metrics"]
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .parse()
        .unwrap();
    let ask = |method: &'static str, path: &'static str| async move {
        let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        tokio::spawn(connection);
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", address.to_string())
            .body(Empty::<Bytes>::new())
            .unwrap();
        let answer = sender.send_request(request).await.unwrap();
        let status = answer.status().as_u16();
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    };
    let (status, body) = ask("GET", "/metric").await;
    assert_eq!(status, 404);
    assert!(body.contains("/metrics"), "{body}");
    let (status, _) = ask("POST", "/metrics").await;
    assert_eq!(status, 405);
    let (status, body) = ask("GET", "/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("quire_server_readings_total"), "{body}");
}
