//! `quire agent` as an operator meets it: before anything works, the messages must say
//! what to do next; running, it says where it looks and when it runs next, and its exit
//! code says whether it read anything.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use quire_server::Running;
use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, BufReader};

// The shared dealer helpers; this suite runs its agents as processes, so the in-process
// agent helper stays unused here.
#[allow(dead_code)]
mod common;
mod two_printers;

use common::{Dealer, start_server};

/// This test's loopback block: printers on 127.155.0.x, servers on 127.155.1.x.
const SNMP_PORT: u16 = 16155;

fn quire(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn running_before_enrolling_says_how_to_enroll() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("agent");
    let (code, stderr) = quire(&["agent", "run", "--once", "--data", data.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not enrolled") && stderr.contains("quire agent enroll --server"),
        "{stderr}"
    );
}

#[test]
fn enrolling_needs_https_and_a_real_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("agent");
    let data = data.to_str().unwrap();
    // `quire agent enroll --server SERVER --key k [FINGERPRINT…] --data DATA`
    let enroll = |server: &str, fingerprint: &[&str]| {
        let server = ["agent", "enroll", "--server", server, "--key", "k"];
        quire(&[&server[..], fingerprint, &["--data", data]].concat())
    };
    let (code, stderr) = enroll("http://127.80.9.30:8443", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("must start with https://"), "{stderr}");
    let (code, stderr) = enroll("https://127.80.9.30:8443", &["--fingerprint", "12:34"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a SHA-256"), "{stderr}");
}

/// The dealer's setup for an agent run as its own process: a server with an account
/// whose site scans `range` (community `public`), and an agent enrolled for it by
/// `quire agent enroll` in `dir/agent`. Returns the server and the agent's data directory.
async fn enrolled(dir: &Path, listen: SocketAddr, range: &str) -> (Running, PathBuf) {
    let database = format!("sqlite://{}", dir.join("quire.db").display());
    let running = start_server(&dir.join("server"), listen, &database).await;
    let dealer = Dealer::login(&running).await;
    let public = json!([{"version": "v2c", "community": "public"}]);
    let (account, _site) = dealer.customer(&running, range, public).await;
    let key = dealer.enrollment_key(account).await;
    let data = dir.join("agent");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["agent", "enroll", "--server"])
        .arg(format!("https://{}", running.address))
        .args(["--key", &key, "--fingerprint", &running.certificate_sha256])
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
    (running, data)
}

/// `quire agent run --once --data DATA ARGS…`: its exit code and standard error.
async fn run_once(data: &Path, args: &[&str]) -> (i32, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["agent", "run", "--once", "--data"])
        .arg(data)
        .args(args)
        .env_remove("QUIRE_LOG")
        .output()
        .await
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The operator: printers that answer SNMP on another port than 161 are found
/// by no cycle, and the agent says so with the ranges, the port and the flag, and fails;
/// with `--snmp-port` it reads them and succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn once_fails_when_nothing_answers_and_names_the_port_flag() {
    let _fleet = two_printers::start(Ipv4Addr::new(127, 155, 0, 1), SNMP_PORT).await;
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::from(([127, 155, 1, 1], 0));
    let (running, data) = enrolled(dir.path(), listen, "127.155.0.1-127.155.0.2").await;

    let (code, stderr) = run_once(&data, &[]).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(
            "discovery scans 127.155.0.1-127.155.0.2 on SNMP UDP port 161 with 1 credential"
        ),
        "{stderr}"
    );
    let hint = stderr
        .lines()
        .find(|l| l.contains("found no printing device"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        hint.contains("2 addresses (127.155.0.1-127.155.0.2) on SNMP UDP port 161")
            && hint.contains("--snmp-port"),
        "{hint}"
    );
    assert!(
        stderr.contains("the Discovery cycle of site")
            && stderr.contains("asked 2 addresses and read none"),
        "{stderr}"
    );

    let port = SNMP_PORT.to_string();
    let (code, stderr) = run_once(&data, &["--snmp-port", &port]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("--snmp-port"), "{stderr}");
    let devices = Dealer::login(&running).await.devices().await;
    assert_eq!(devices.len(), 2, "{devices:?}");
}

/// A discovery that takes a while (a /22 of silent addresses: 1,022 probes at the sites'
/// default 250 packets/s take 4 s, and the last waits out the one-second timeout) is drawn as a bar counting the addresses
/// when standard error is a terminal (util-linux `script` gives it one), and adds nothing
/// to a redirected standard error, whose log lines stay as they were.
#[tokio::test(flavor = "multi_thread")]
async fn once_draws_discovery_as_a_bar_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::from(([127, 155, 1, 4], 0));
    let (_running, data) = enrolled(dir.path(), listen, "127.155.16.0/22").await;
    let port = SNMP_PORT.to_string();
    let args = ["--snmp-port", port.as_str()];

    let command = shlex::try_join(
        [
            env!("CARGO_BIN_EXE_quire"),
            "agent",
            "run",
            "--once",
            "--data",
        ]
        .into_iter()
        .chain([data.to_str().unwrap()])
        .chain(args),
    )
    .unwrap();
    let terminal = tokio::process::Command::new("script")
        .args(["--quiet", "--return", "--command"])
        .arg(format!("{command} > /dev/null"))
        .arg("/dev/null")
        .env("TERM", "xterm")
        .env_remove("QUIRE_LOG")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("util-linux `script` runs");
    let screen = String::from_utf8_lossy(&terminal.stdout);
    assert_eq!(terminal.status.code(), Some(3), "{screen}");
    assert!(screen.contains("discovery ["), "{screen:?}");
    assert!(screen.contains("/1022 "), "{screen:?}");

    let (code, stderr) = run_once(&data, &args).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("scan done"), "{stderr}");
    assert!(
        !stderr.contains("discovery [") && !stderr.contains(['\r', '\x1b']),
        "{stderr:?}"
    );
}

/// A running agent says where it looks, with the port it was given, and when its next
/// cycle is due.
#[tokio::test(flavor = "multi_thread")]
async fn run_says_where_it_looks_and_when_the_next_cycle_is_due() {
    let _fleet = two_printers::start(Ipv4Addr::new(127, 155, 0, 11), SNMP_PORT).await;
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::from(([127, 155, 1, 2], 0));
    let (_running, data) = enrolled(dir.path(), listen, "127.155.0.11-127.155.0.12").await;

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args([
            "agent",
            "run",
            "--snmp-port",
            &SNMP_PORT.to_string(),
            "--data",
        ])
        .arg(&data)
        .env_remove("QUIRE_LOG")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let next = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            seen.push(line);
            let line = seen.last().unwrap();
            if line.contains(" cycle at ") {
                return line.clone();
            }
        }
        panic!("the agent ended: {seen:#?}")
    })
    .await
    .unwrap_or_else(|_| panic!("no next cycle announced"));
    child.kill().await.unwrap();

    let text = seen.join("\n");
    assert!(
        text.contains(&format!("asking devices on SNMP UDP port {SNMP_PORT}")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "discovery scans 127.155.0.11-127.155.0.12 on SNMP UDP port {SNMP_PORT} with 1 credential"
        )),
        "{text}"
    );
    // Discovery ran at start (no device was known); the site's default schedules then
    // run alerts hourly, meters & supplies every four hours on the hour, and discovery
    // nightly at 02:00: the next cycle is on the next hour, alerts, or another kind where
    // that hour is theirs too (all are due then, and any may be announced first).
    assert!(
        text.contains("cycle done") && !text.contains("found no printing device"),
        "{text}"
    );
    let alerts = next.contains("next alerts cycle at ");
    let meters = next.contains("next meters & supplies cycle at ");
    let discovery = next.contains("next discovery cycle at ");
    assert!(
        (alerts || meters || discovery) && next.contains(":00:00 UTC (in "),
        "{next}"
    );
    if discovery {
        assert!(
            next.contains("cycle at 02:00:00 UTC"),
            "discovery announced first outside 02:00: {next}"
        );
    }
    if meters {
        let hour: u32 = next
            .split("cycle at ")
            .nth(1)
            .and_then(|rest| rest.get(..2))
            .and_then(|h| h.parse().ok())
            .unwrap_or_else(|| panic!("no hour in {next}"));
        assert_eq!(
            hour % 4,
            0,
            "meters & supplies announced first at {hour}h: {next}"
        );
    }
}

/// Issue 18, rotating the certificate without enrolling every agent again: agents pin the
/// server's key, and the server renews the certificate around the same key, on start when
/// it nears its end or when the operator deletes it. An agent enrolled before key pinning
/// learns the key on its next check-in. A new key is another server: refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_renewed_certificate_keeps_the_agents_a_new_key_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::from(([127, 155, 1, 3], 0));
    let (running, data) = enrolled(dir.path(), listen, "127.155.0.31").await;
    let (address, first, key) = (
        running.address,
        running.certificate_sha256.clone(),
        running.key_sha256.clone(),
    );
    running.stop().await;
    let server_dir = dir.path().join("server");
    let database = format!("sqlite://{}", dir.path().join("quire.db").display());
    let restart = || start_server(&server_dir, address, &database);
    // The agent as it starts: its kept enrollment, one check-in, what it kept after.
    let check_in = || {
        let data = data.clone();
        async move {
            let agent = quire_agent::Agent::open(quire_agent::AgentOptions::new(&data))
                .await
                .unwrap();
            let outcome = agent
                .check_in()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string());
            let enrollment = agent.queue().enrollment().await.unwrap().unwrap();
            (outcome, enrollment)
        }
    };

    // A certificate near its end, made by the operator's own tool for the same key, is
    // renewed on start: another certificate, the same key, for 397 days.
    let cert = server_dir.join("server-cert.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-days",
            "5",
            "-subj",
            "/CN=localhost",
            "-key",
        ])
        .arg(server_dir.join("server-key.pem"))
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl req");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let renewed = restart().await;
    assert_ne!(renewed.certificate_sha256, first);
    assert_eq!(renewed.key_sha256, key);
    let (outcome, enrollment) = check_in().await;
    assert_eq!(outcome, Ok(()));
    assert_eq!(enrollment.key_sha256.as_deref(), Some(key.as_str()));

    // An enrollment kept before key pinning holds only the certificate's hash: its next
    // check-in pins the key, which then outlives a deleted certificate.
    let agent = quire_agent::Agent::open(quire_agent::AgentOptions::new(&data))
        .await
        .unwrap();
    let mut legacy = agent.queue().enrollment().await.unwrap().unwrap();
    legacy.certificate_sha256 = renewed.certificate_sha256.clone();
    legacy.key_sha256 = None;
    agent.queue().save_enrollment(&legacy).await.unwrap();
    drop(agent);
    let (outcome, enrollment) = check_in().await;
    assert_eq!(outcome, Ok(()));
    assert_eq!(enrollment.key_sha256.as_deref(), Some(key.as_str()));
    let renewed_certificate = renewed.certificate_sha256.clone();
    renewed.stop().await;
    std::fs::remove_file(&cert).unwrap();
    let remade = restart().await;
    assert_ne!(remade.certificate_sha256, renewed_certificate);
    assert_eq!(remade.key_sha256, key);
    let (outcome, _) = check_in().await;
    assert_eq!(outcome, Ok(()));
    remade.stop().await;

    // A new key and certificate are another server, whoever holds them.
    std::fs::remove_file(&cert).unwrap();
    std::fs::remove_file(server_dir.join("server-key.pem")).unwrap();
    let stranger = restart().await;
    assert_ne!(stranger.key_sha256, key);
    let (outcome, _) = check_in().await;
    let error = outcome.unwrap_err();
    assert!(
        error.contains(&stranger.certificate_sha256) && error.contains(&key),
        "{error}"
    );
    assert!(error.contains("enroll this agent again"), "{error}");
}

/// Issue 19, "every line about a device names it": with the log at debug in JSON, each
/// line from the parts that ask devices (discovery, the SNMP client, the plugin host and
/// the strategies it runs) or from within a device's read carries the device's address,
/// as a field of its own or of the `read` span around it, so a collector can pick out
/// one printer's lines.
#[tokio::test(flavor = "multi_thread")]
async fn every_log_line_about_a_device_names_it() {
    let _fleet = two_printers::start(Ipv4Addr::new(127, 155, 0, 21), SNMP_PORT).await;
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::from(([127, 155, 1, 5], 0));
    // .23 stays silent: discovery logs about an address that never answers too.
    let (_running, data) = enrolled(dir.path(), listen, "127.155.0.21-127.155.0.23").await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args([
            "--log-format",
            "json",
            "agent",
            "run",
            "--once",
            "--snmp-port",
        ])
        .arg(SNMP_PORT.to_string())
        .arg("--data")
        .arg(&data)
        .env("QUIRE_LOG", "debug")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let spans = |line: &serde_json::Value| line["spans"].as_array().cloned().unwrap_or_default();
    let in_read = |line: &serde_json::Value| spans(line).iter().any(|s| s["name"] == "read");
    let asks_devices = |line: &serde_json::Value| {
        let target = line["target"].as_str().unwrap_or_default();
        [
            "quire_snmp::client",
            "quire_agent::discovery",
            "quire_plugins",
        ]
        .iter()
        .any(|part| target.starts_with(part))
    };
    let names_device = |line: &serde_json::Value| {
        line["fields"]["device"].is_string() || spans(line).iter().any(|s| s["device"].is_string())
    };
    let about: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| in_read(l) || asks_devices(l))
        .collect();
    // Clean reads log nothing at debug; discovery's found and silent addresses do.
    assert!(about.len() >= 3, "no line about a device: {stderr}");
    let unnamed: Vec<_> = about.iter().filter(|l| !names_device(l)).collect();
    assert!(
        unnamed.is_empty(),
        "lines about a device that do not name it: {unnamed:#?}"
    );
}
