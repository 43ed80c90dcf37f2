//! `quire server enrollment-key`: a key issued from the command line, straight in the
//! database, enrolls an agent with the running server. Servers listen on 127.71.1.0/24.

use std::process::Command;

use quire_protocol::{ENROLL_PATH, EnrollRequest, EnrollResponse};
use quire_server::client::Client;

mod server_process;
use server_process::ServerProcess;

#[tokio::test]
async fn a_key_issued_on_the_command_line_enrolls_an_agent() {
    let data = tempfile::tempdir().unwrap();
    let quire = env!("CARGO_BIN_EXE_quire");
    let server = ServerProcess::start(data.path(), &["--listen", "127.71.1.1:0"], "admin-password");
    let fields = &server.printed;
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

    let issued = issue(&server.main_dealer().to_string());
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let key = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    assert_eq!(key.len(), 64);

    let client = Client::new(server.address(), server.certificate_sha256());
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
    assert_eq!(enrolled.account_id, server.main_dealer());
}
