//! `quire plugin` from a maker's key to a server's rollback, against a server that
//! requires signatures from its trusted publishers.

use std::path::Path;
use std::process::{Command, Output};

use quire_server::Server;

const PASSWORD: &str = "plugin test admin";

fn quire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .env("QUIRE_PASSWORD", PASSWORD)
        .output()
        .expect("quire runs")
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The command failed as a refusal does (exit code 2), saying `reason`.
fn assert_refused(output: &Output, reason: &str) {
    assert_eq!(output.status.code(), Some(2), "{}", text(output));
    assert!(text(output).contains(reason), "{}", text(output));
}

fn guest(name: &str, dir: &Path) -> String {
    let to = dir.join(format!("{name}.wasm"));
    std::fs::copy(quire_test_guests::path(name), &to).unwrap();
    to.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_strategy_is_published_listed_and_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("acme.key");
    let keygen_args = [
        "plugin",
        "keygen",
        "--name",
        "acme",
        "--out",
        key.to_str().unwrap(),
    ];
    let keygen = quire(&keygen_args);
    assert!(keygen.status.success(), "{}", text(&keygen));
    let trusted_line = String::from_utf8(keygen.stdout).unwrap();
    assert!(trusted_line.starts_with("acme "), "{trusted_line}");
    let again = quire(&keygen_args);
    assert!(
        !again.status.success(),
        "an existing key is never overwritten"
    );
    let trusted = dir.path().join("trusted.txt");
    std::fs::write(&trusted, &trusted_line).unwrap();

    let mut server = Server::new(dir.path().join("server"));
    server.listen = "127.153.0.1:0".parse().unwrap();
    server.admin_password = Some(PASSWORD.to_owned());
    server.trusted_publishers = Some(trusted);
    let running = server.start().await.unwrap();
    let url = format!("https://{}", running.address);
    let login = [
        "--server",
        url.as_str(),
        "--fingerprint",
        running.certificate_sha256.as_str(),
    ];
    let with_login = |head: &[&str]| -> Vec<String> {
        head.iter()
            .chain(login.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: Vec<String>| quire(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let hostile = guest("quire_guest_hostile", dir.path());
    let unsigned = run(with_login(&["plugin", "publish", &hostile]));
    assert_refused(&unsigned, "accepts only plugins a trusted publisher signed");

    let signed = quire(&["plugin", "sign", &hostile, "--key", key.to_str().unwrap()]);
    assert!(signed.status.success(), "{}", text(&signed));
    let published = run(with_login(&["plugin", "publish", &hostile]));
    assert!(published.status.success(), "{}", text(&published));
    assert!(
        text(&published).contains("published strategy hostile@1.0.0")
            && text(&published).contains("signed by acme"),
        "{}",
        text(&published)
    );

    // Another component under hostile's signature: refused, and nothing changes.
    let reformed = guest("quire_guest_reformed", dir.path());
    std::fs::copy(format!("{hostile}.sig"), format!("{reformed}.sig")).unwrap();
    let forged = run(with_login(&["plugin", "publish", &reformed]));
    assert_refused(&forged, "signature refused");

    let list = run(with_login(&["plugin", "list"]));
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert_eq!(listed.lines().count(), 1, "{}", text(&list));
    assert!(
        listed.contains("strategy")
            && listed.contains("hostile")
            && listed.contains("in use")
            && listed.contains("acme"),
        "{listed}"
    );

    let rollback = run(with_login(&["plugin", "rollback", "hostile"]));
    assert!(rollback.status.success(), "{}", text(&rollback));
    assert!(
        text(&rollback)
            .contains("withdrew strategy hostile@1.0.0; agents now run their built-in version"),
        "{}",
        text(&rollback)
    );
    let list = run(with_login(&["plugin", "list"]));
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("withdrawn"),
        "{}",
        text(&list)
    );

    // An alert-logic plugin names itself; an action plugin is named by its publisher.
    let logic = guest("quire_guest_runaway_alert_logic", dir.path());
    let erp = guest("quire_guest_runaway_action", dir.path());
    for component in [&logic, &erp] {
        let signed = quire(&["plugin", "sign", component, "--key", key.to_str().unwrap()]);
        assert!(signed.status.success(), "{}", text(&signed));
    }
    let published = run(with_login(&["plugin", "publish", &logic]));
    assert!(
        text(&published).contains("published alert-logic runaway@0.1.0")
            && text(&published).contains("ASM runs it from its next tick"),
        "{}",
        text(&published)
    );
    let unnamed = run(with_login(&["plugin", "publish", &erp]));
    assert_refused(&unnamed, "its publisher names it");
    let named = run(with_login(&[
        "plugin",
        "publish",
        &erp,
        "--name",
        "ticket",
        "--version",
        "1.0.0+build.7",
    ]));
    assert!(
        text(&named).contains("published action ticket@1.0.0+build.7"),
        "{}",
        text(&named)
    );
    let list = run(with_login(&["plugin", "list"]));
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert_eq!(listed.lines().count(), 3, "{listed}");
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("alert-logic") && l.contains("runaway")),
        "{listed}"
    );
    let rollback = run(with_login(&[
        "plugin",
        "rollback",
        "runaway",
        "--kind",
        "alert-logic",
    ]));
    assert!(
        text(&rollback).contains("withdrew alert-logic runaway@0.1.0"),
        "{}",
        text(&rollback)
    );
    running.stop().await;
}
