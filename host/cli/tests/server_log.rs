//! Issue 18: text an agent sends can neither forge a line of `quire server`'s log nor fill
//! it. A host name with a line break or beyond 253 characters is refused at enrollment
//! (naming the field, the key left usable); what is accepted is logged through the escaping
//! helper, whose own tests cut and escape. Servers listen on 127.71.16.0/24.

use quire_protocol::{EnrollRequest, EnrollResponse};
use quire_server::client::Client;
use serde_json::{Value, json};

mod server_process;
use server_process::ServerProcess;

const PASSWORD: &str = "server-log-password";

#[tokio::test]
async fn a_forged_line_in_an_agents_host_name_is_refused_and_never_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let args = ["--listen", "127.71.16.1:0", "--admin-password", PASSWORD];
    let server = ServerProcess::start_logging(&dir.path().join("data"), &args, "main-dealer", &log);
    let (client, admin, key) = sign_in_and_make_a_key(&server).await;

    let forged =
        "printer\n2026-12-06T00:00:00.000000Z  WARN quire_server: admin logged in from 6.6.6.6";
    let enroll = |hostname: String| {
        let client = client.clone();
        let key = key.clone();
        async move {
            client
                .json::<_, EnrollResponse>(
                    "POST".parse().unwrap(),
                    quire_protocol::ENROLL_PATH,
                    None,
                    Some(&EnrollRequest {
                        key,
                        hostname,
                        agent_version: "0".into(),
                    }),
                )
                .await
        }
    };
    for hostname in [forged.to_owned(), format!("printer{}", "x".repeat(5_000))] {
        let refused = enroll(hostname.clone()).await.unwrap_err().to_string();
        assert!(
            refused.contains("400") && refused.contains("hostname"),
            "{hostname:.40}: {refused}"
        );
    }
    // The key is still good, and the server still serves the administrator.
    let enrolled = enroll("printer-room-1".into()).await.unwrap();
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
    assert!(line.contains("printer-room-1"), "{line}");
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("2026-12-06T00:00:00.000000Z")),
        "a forged line: {text}"
    );
    assert!(
        !text.contains(&"x".repeat(300)),
        "the long name is logged: {text}"
    );
}

/// Issue 19: `--log-format json` writes one JSON object per line for a log collector, each
/// with its time, level, target and fields, and a device's or agent's line names it in a
/// field of its own; text an agent sent stays inside its JSON string.
#[tokio::test]
async fn the_json_log_is_one_object_per_line_naming_the_agent() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let args = [
        "--listen",
        "127.71.16.2:0",
        "--admin-password",
        PASSWORD,
        "--log-format",
        "json",
    ];
    let server = ServerProcess::start_logging(&dir.path().join("data"), &args, "main-dealer", &log);
    let (client, _, key) = sign_in_and_make_a_key(&server).await;
    let hostname = r#"printer "room" 2"#;
    let enrolled: EnrollResponse = client
        .json(
            "POST".parse().unwrap(),
            quire_protocol::ENROLL_PATH,
            None,
            Some(&EnrollRequest {
                key,
                hostname: hostname.into(),
                agent_version: "0".into(),
            }),
        )
        .await
        .unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for line in &lines {
        for field in ["timestamp", "level", "target"] {
            assert!(line[field].is_string(), "no {field}: {line}");
        }
        assert!(line["fields"]["message"].is_string(), "no message: {line}");
    }
    let enrollment = lines
        .iter()
        .find(|line| line["fields"]["agent"] == enrolled.agent_id.as_str())
        .unwrap_or_else(|| panic!("the enrollment is logged with the agent: {text}"));
    assert_eq!(enrollment["level"], "INFO");
    assert_eq!(enrollment["fields"]["message"], "agent enrolled");
    assert_eq!(enrollment["fields"]["hostname"], hostname);
}

/// Signs in as the administrator and makes an enrollment key of the main dealer: a
/// client, the administrator's token and the key.
async fn sign_in_and_make_a_key(server: &ServerProcess) -> (Client, String, String) {
    let (client, admin) = server.sign_in_as_admin(PASSWORD).await;
    let key: Value = client
        .json(
            "POST".parse().unwrap(),
            &format!("/api/v1/accounts/{}/enrollment-keys", server.main_dealer()),
            Some(&admin),
            Some(&json!({})),
        )
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    (client, admin, key)
}
