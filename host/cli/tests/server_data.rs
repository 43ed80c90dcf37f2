//! The server's data directory: a first start either starts (and prints the `admin`
//! password) or leaves nothing behind; `reset-admin-password` gives a lost password a
//! successor; an alert-logic plugin that does not load stops a start; the tools that
//! read a data directory refuse one where no server has run, and create nothing there.
//! Servers listen on 127.71.15.0/24.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use quire_server::client::Client;

mod server_process;
use server_process::ServerProcess;

fn quire(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

#[test]
fn a_first_start_on_a_busy_port_leaves_no_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("quire-data");
    let busy = TcpListener::bind("127.71.15.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();

    let failed = quire(&["server", "--listen", &address], &data);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains(&address), "{stderr}");
    assert!(
        !data.exists(),
        "the failed start created {}",
        data.display()
    );
    assert!(
        failed.stdout.is_empty(),
        "no password was printed for nothing"
    );

    // The next start is the first, and shows the password.
    drop(busy);
    let server = ServerProcess::start(&data, &["--listen", &address], "admin-password");
    assert_eq!(server.printed["admin-password"].len(), 20);
    assert_eq!(
        server.main_dealer(),
        1,
        "the failed start left an account behind"
    );
}

#[test]
fn an_alert_logic_plugin_that_does_not_load_stops_the_first_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("quire-data");
    let plugin = dir.path().join("kit.wasm");
    std::fs::write(&plugin, "not a component").unwrap();
    let failed = quire(
        &[
            "server",
            "--listen",
            "127.71.15.4:0",
            "--alert-logic-plugin",
            &plugin.display().to_string(),
        ],
        &data,
    );
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains(&*plugin.display().to_string()) && stderr.contains("not WebAssembly"),
        "{stderr}"
    );
    assert!(
        !data.exists(),
        "the failed start created {}",
        data.display()
    );
}

#[tokio::test]
async fn a_reset_admin_password_logs_in_and_the_old_one_no_longer_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("quire-data");
    let server = ServerProcess::start(&data, &["--listen", "127.71.15.2:0"], "admin-password");
    let old = server.printed["admin-password"].clone();

    let reset = quire(&["server", "reset-admin-password"], &data);
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    let stdout = String::from_utf8(reset.stdout).unwrap();
    let new = stdout
        .trim()
        .strip_prefix("admin-password ")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_ne!(new, old);

    let client = Client::new(server.address(), server.certificate_sha256());
    assert!(client.login("admin", new).await.is_ok());
    assert!(client.login("admin", &old).await.is_err());
}

#[test]
fn the_tools_refuse_a_data_directory_where_no_server_has_run() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("quire-dta");
    for args in [
        &["reinterpret"][..],
        &["server", "enrollment-key", "--account", "1"],
        &["server", "reset-admin-password"],
    ] {
        let out = quire(args, &missing);
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&missing.display().to_string()) && stderr.contains("--data"),
            "{args:?}: {stderr}"
        );
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
}
