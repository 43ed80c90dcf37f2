//! `quire demo --once`, the README's first command in one round: the server ends up
//! holding every simulated printer, read on every cycle, on SQLite and on PostgreSQL,
//! run from the checkout or from anywhere else.

use std::path::Path;
use std::process::Command;

use quire_store::{AccountId, Store};

/// How many recordings the demo serves: those with Printer-MIB data and a
/// sysObjectID (the rest are OS-detection stubs holding only sysDescr and
/// sysObjectID, or one reader's objects without the system group).
fn printers_recorded() -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded");
    let mut count = 0;
    for set in std::fs::read_dir(&root).unwrap() {
        let set = set.unwrap().path();
        if !set.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&set).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_none_or(|e| e != "snmprec") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let holds = |prefix: &str| text.lines().any(|l| l.starts_with(prefix));
            if holds("1.3.6.1.2.1.43.") && holds("1.3.6.1.2.1.1.2.0|") {
                count += 1;
            }
        }
    }
    count
}

#[tokio::test(flavor = "multi_thread")]
async fn one_round_files_every_simulated_printer_on_both_backends() {
    let printers = printers_recorded();
    assert!(printers >= 20, "{printers}");
    for (n, db) in quire_testdb::backends().await.into_iter().enumerate() {
        let backend = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let listen = format!("127.154.0.{}:0", n + 1);
        // Run from the checkout, where `fixtures/recorded` is, and from elsewhere, where
        // the demo finds the recordings of the checkout it was built from.
        let elsewhere = tempfile::tempdir().unwrap();
        let cwd = match n {
            0 => Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")),
            _ => elsewhere.path(),
        };
        let output = Command::new(env!("CARGO_BIN_EXE_quire"))
            .current_dir(cwd)
            .args(["demo", "--once", "--listen", &listen, "--database", &db.url])
            .arg("--data")
            .arg(dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{backend}: {stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!("the server now holds {printers} devices")),
            "{backend}: {stdout}"
        );
        assert!(
            stdout.contains("login         admin / "),
            "{backend}: {stdout}"
        );
        let kyocera = stdout
            .lines()
            .find(|l| l.contains("ECOSYS P2040dw"))
            .unwrap_or_else(|| panic!("{backend}: {stdout}"));
        assert!(
            kyocera.contains("Kyocera") && kyocera.ends_with("serial VD21457943"),
            "{kyocera}"
        );

        let account: i64 = stdout
            .split("enrolled for account ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{backend}: {stdout}"));
        let store = Store::open(&db.url).await.unwrap();
        let devices = store.devices(AccountId(account)).await.unwrap();
        assert_eq!(devices.len(), printers, "{backend}");
        for device in &devices {
            let readings = store.readings(device.id, 10).await.unwrap();
            assert_eq!(
                readings.len(),
                3,
                "{backend}: {} read on every cycle",
                device.id
            );
            assert!(
                readings.iter().all(|r| r.has_raw),
                "{backend}: exchanges kept"
            );
        }
        store.close().await;
    }
}

/// Recordings that are not there are named with the flag that names them, before
/// anything is started or created.
#[test]
fn recordings_that_are_not_there_are_named_with_the_flag() {
    let elsewhere = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .current_dir(elsewhere.path())
        .args(["demo", "--once", "--recordings", "no/such/recordings"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("quire: --recordings no/such/recordings: no such file or directory"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(elsewhere.path())
            .unwrap()
            .next()
            .is_none()
    );
}
