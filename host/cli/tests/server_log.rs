//! Issue 18: text an agent sends reaches `quire server`'s log escaped and cut, so it can
//! neither forge a log line nor fill the log. Servers listen on 127.71.16.0/24.

use quire_protocol::{EnrollRequest, EnrollResponse};
use quire_server::client::Client;
use serde_json::{Value, json};

mod server_process;
use server_process::ServerProcess;

const PASSWORD: &str = "server-log-password";

#[tokio::test]
async fn a_forged_line_in_an_agents_host_name_is_logged_escaped_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let args = ["--listen", "127.71.16.1:0", "--admin-password", PASSWORD];
    let server = ServerProcess::start_logging(&dir.path().join("data"), &args, "main-dealer", &log);
    let client = Client::new(server.address(), server.certificate_sha256());
    let post = |path: &'static str, token: Option<String>, body: Value| {
        let client = client.clone();
        async move {
            client
                .json::<_, Value>("POST".parse().unwrap(), path, token.as_deref(), Some(&body))
                .await
                .unwrap()
        }
    };
    let login = post(
        "/api/v1/login",
        None,
        json!({"name": "admin", "password": PASSWORD}),
    )
    .await;
    let admin = login["token"].as_str().unwrap().to_owned();
    let keys = format!("/api/v1/accounts/{}/enrollment-keys", server.main_dealer());
    let key: Value = client
        .json(
            "POST".parse().unwrap(),
            &keys,
            Some(&admin),
            Some(&json!({})),
        )
        .await
        .unwrap();

    let forged =
        "printer\n2026-12-06T00:00:00.000000Z  WARN quire_server: admin logged in from 6.6.6.6";
    let hostname = format!("{forged}{}", "x".repeat(5_000));
    let enrolled: EnrollResponse = client
        .json(
            "POST".parse().unwrap(),
            quire_protocol::ENROLL_PATH,
            None,
            Some(&EnrollRequest {
                key: key["key"].as_str().unwrap().into(),
                hostname,
                agent_version: "0".into(),
            }),
        )
        .await
        .unwrap();
    // Still serving, for the next agent as for the administrator.
    let me: Value = client
        .json::<(), _>("GET".parse().unwrap(), "/api/v1/me", Some(&admin), None)
        .await
        .unwrap();
    assert_eq!(me["user"]["name"], "admin");

    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&enrolled.agent_id))
        .unwrap_or_else(|| panic!("the enrollment is logged: {text}"));
    assert!(line.contains("printer\\n2026-12-06"), "{line}");
    assert!(line.contains("characters)"), "{line}");
    assert!(line.len() < 600, "{} bytes: {line}", line.len());
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("2026-12-06T00:00:00.000000Z")),
        "a forged line: {text}"
    );
}
