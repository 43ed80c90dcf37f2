//! `quire server enrollment-key`: a key issued from the command line, straight in the
//! database, enrolls an agent with the running server. Servers listen on 127.71.1.0/24.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use quire_protocol::{ENROLL_PATH, EnrollRequest, EnrollResponse};
use quire_server::client::Client;

#[tokio::test]
async fn a_key_issued_on_the_command_line_enrolls_an_agent() {
    let data = tempfile::tempdir().unwrap();
    let quire = env!("CARGO_BIN_EXE_quire");
    let mut server = Command::new(quire)
        .args(["server", "--data"])
        .arg(data.path())
        .args(["--listen", "127.71.1.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut fields = std::collections::HashMap::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let (name, value) = line.split_once(' ').unwrap();
        fields.insert(name.to_owned(), value.to_owned());
        if name == "admin-password" {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    assert_eq!(fields["admin-password"].len(), 20, "{fields:?}");

    let issue = |account: &str| {
        Command::new(quire)
            .args(["server", "enrollment-key", "--data"])
            .arg(data.path())
            .args(["--account", account, "--valid-hours", "2"])
            .output()
            .unwrap()
    };
    let missing = issue("999");
    assert!(!missing.status.success());
    let message = String::from_utf8_lossy(&missing.stderr);
    assert!(
        message.contains("--account 999") && message.contains("not found"),
        "{message}"
    );

    let issued = issue(&fields["main-dealer"]);
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let key = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    assert_eq!(key.len(), 64);

    let address = fields["listening"]
        .trim_start_matches("https://")
        .parse()
        .unwrap();
    let client = Client::new(address, &fields["certificate-sha256"]);
    let enrolled: EnrollResponse = client
        .json(
            "POST".parse().unwrap(),
            ENROLL_PATH,
            None,
            Some(&EnrollRequest {
                key,
                hostname: "cli-test".into(),
                agent_version: "0".into(),
            }),
        )
        .await
        .unwrap();
    assert_eq!(enrolled.account_id.to_string(), fields["main-dealer"]);
    server.kill().unwrap();
    server.wait().unwrap();
}
