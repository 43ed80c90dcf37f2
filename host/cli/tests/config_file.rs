//! `quire.toml`: `quire server` and `quire agent run` take their flags from it with
//! `--config`, the command line winning; a bad key is named with its line, and
//! `check-config` says whether a file is good. Servers listen on 127.71.20.0/24.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod server_process;
use server_process::ServerProcess;

const PASSWORD: &str = "from the configuration file";

/// Writes `text` as `quire.toml` in `dir`.
fn config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("quire.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn quire(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .arg(file)
        .env_remove("QUIRE_ADMIN_PASSWORD")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_server_runs_with_the_settings_of_its_file_and_its_tools_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let agent_data = dir.path().join("agent");
    let file = config(
        dir.path(),
        &format!(
            "[server]\nlisten = \"127.71.20.1:0\"\nadmin-password = \"{PASSWORD}\"\ndata = \"{}\"\n\n[agent]\ndata = \"{}\"\nsnmp-port = 1161\n",
            data.display(),
            agent_data.display()
        ),
    );
    let server = ServerProcess::start(&data, &["--config", file.to_str().unwrap()], "main-dealer");
    assert_eq!(
        server.address().ip(),
        "127.71.20.1".parse::<IpAddr>().unwrap()
    );
    assert!(
        !server.printed.contains_key("admin-password"),
        "the file's password was not taken: {:?}",
        server.printed
    );
    let (_, token) = server.sign_in_as_admin(PASSWORD).await;
    assert!(!token.is_empty());

    // The tools find the data directories in the file alone.
    let account = server.main_dealer().to_string();
    let issued = quire(
        &[
            "server",
            "enrollment-key",
            "--account",
            &account,
            "--config",
        ],
        &file,
    );
    assert!(issued.status.success(), "{}", text(&issued.stderr));
    let key = text(&issued.stdout).trim().to_owned();
    let url = format!("https://{}", server.address());
    let enrolled = quire(
        &[
            "agent",
            "enroll",
            "--server",
            &url,
            "--key",
            &key,
            "--fingerprint",
            server.certificate_sha256(),
            "--config",
        ],
        &file,
    );
    let stdout = text(&enrolled.stdout);
    assert!(enrolled.status.success(), "{}", text(&enrolled.stderr));
    assert!(
        stdout.contains(&format!("data in {}", agent_data.display())),
        "{stdout}"
    );
}

#[test]
fn the_command_line_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(
        dir.path(),
        &format!("[server]\nlisten = \"127.71.20.2:0\"\nadmin-password = \"{PASSWORD}\"\n"),
    );
    let data = dir.path().join("data");
    let server = ServerProcess::start(
        &data,
        &[
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.71.20.3:0",
        ],
        "main-dealer",
    );
    assert_eq!(
        server.address().ip(),
        "127.71.20.3".parse::<IpAddr>().unwrap()
    );
}

#[test]
fn every_bad_key_is_named_with_its_line_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(
        dir.path(),
        "[server]\nlisten = \"127.71.20.4:0\"\nlogin-window = 0\n# a comment\ncolour = \"blue\"\n",
    );
    let out = quire(&["server", "--data", "unused", "--config"], &file);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let name = file.display();
    assert!(
        stderr.contains(&format!("{name}:3: key `login-window`: invalid value '0'")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:5: key `colour`: no such setting")),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
}

#[test]
fn the_agent_reads_its_own_section() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(
        dir.path(),
        "[server]\nlisten = \"127.71.20.5:0\"\n\n[agent]\nsnmp-port = 70000\n",
    );
    let out = quire(&["agent", "run", "--config"], &file);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:5: key `snmp-port`: invalid value '70000'",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn check_config_prints_the_settings_and_where_they_come_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(
        dir.path(),
        &format!(
            "[server]\nlisten = \"127.71.20.6:0\"\nadmin-password = \"{PASSWORD}\"\naction-plugin = [\"a.wasm\", \"b.wasm\"]\n\n[agent]\ncups = true\n"
        ),
    );
    let out = quire(&["server", "check-config"], &file);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "ok");
    let setting = |key: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    assert_eq!(
        setting("listen").as_deref(),
        Some("listen = \"127.71.20.6:0\" # line 2")
    );
    assert_eq!(
        setting("action-plugin").as_deref(),
        Some("action-plugin = [\"a.wasm\", \"b.wasm\"] # line 4")
    );
    assert_eq!(
        setting("login-window").as_deref(),
        Some("login-window = 15 # default")
    );
    assert_eq!(
        setting("admin-password").as_deref(),
        Some("admin-password = (hidden) # line 3")
    );
    assert!(!stdout.contains(PASSWORD), "{stdout}");
    assert_eq!(setting("metrics-listen"), None, "{stdout}");

    let agent = quire(&["agent", "check-config"], &file);
    let stdout = text(&agent.stdout);
    assert!(agent.status.success(), "{}", text(&agent.stderr));
    assert!(
        stdout.lines().any(|l| l.starts_with("cups = \"")),
        "{stdout}"
    );
    assert!(!stdout.contains("listen"), "{stdout}");
}

#[test]
fn the_environment_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(
        dir.path(),
        &format!("[server]\nadmin-password = \"{PASSWORD}\"\n"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["server", "check-config"])
        .arg(&file)
        .env("QUIRE_ADMIN_PASSWORD", "from the environment")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("admin-password = (hidden)")
                && l.ends_with("# environment QUIRE_ADMIN_PASSWORD")),
        "{stdout}"
    );
}

#[test]
fn check_config_fails_on_every_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let name = |file: &Path| file.display().to_string();

    let file = config(
        dir.path(),
        "[server]\nlisten = 8443\nallow-unsigned-plugins = \"yes\"\n\n[servers]\nlisten = \"127.0.0.1:1\"\n",
    );
    let out = quire(&["server", "check-config"], &file);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(text(&out.stdout).is_empty());
    let f = name(&file);
    let expected = [
        format!("{f}:2: key `listen`: invalid value '8443'"),
        format!("{f}:3: key `allow-unsigned-plugins`: a switch: true or false"),
        format!("{f}:5: [servers]: no such section"),
    ];
    for (line, expected) in stderr.lines().zip(&expected) {
        assert!(line.starts_with(expected.as_str()), "{stderr}");
    }
    assert_eq!(stderr.lines().count(), expected.len(), "{stderr}");

    let file = config(dir.path(), "[server]\nlisten = \n");
    let out = quire(&["server", "check-config"], &file);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(&format!("{}:2: ", name(&file))),
        "{}",
        text(&out.stderr)
    );

    let file = config(dir.path(), "[server]\ntls-cert = \"cert.pem\"\n");
    let out = quire(&["server", "check-config"], &file);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
}

/// The README's example file, as an operator would copy it.
fn readme_example() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let section = &readme[readme.find("### Configuration file").unwrap()..];
    let block = &section[section.find("```toml\n").unwrap() + "```toml\n".len()..];
    block[..block.find("```").unwrap()].to_owned()
}

#[test]
fn the_readme_example_passes_check_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), &readme_example());
    for part in ["server", "agent"] {
        let out = quire(&[part, "check-config"], &file);
        assert!(
            out.status.success(),
            "quire {part} check-config: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).starts_with("ok\n"));
    }
}
