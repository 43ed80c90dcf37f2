//! `quire admin` against a real `quire server` process, as a dealer sets a server up
//! before any agent exists: log in, then accounts, sites, ranges, credentials, schedules,
//! users, enrollment keys and costs per page, each read back by listing. Every bad input is answered
//! with the field it is about, a non-zero exit, and nothing stored. Servers listen on
//! 127.71.14.0/24.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

mod server_process;
use server_process::ServerProcess;

/// `quire admin` as one user, whose configuration directory (where the session is kept)
/// is a temporary one.
struct Admin {
    config: tempfile::TempDir,
}

impl Admin {
    fn new() -> Admin {
        Admin {
            config: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_quire"))
            .arg("admin")
            .args(args)
            .env("XDG_CONFIG_HOME", self.config.path())
            .env_remove("QUIRE_PASSWORD")
            .env_remove("QUIRE_NEW_PASSWORD")
            .output()
            .unwrap()
    }

    /// Standard output of a command that must succeed.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "quire admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The JSON answer of a command that must succeed.
    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    /// Runs a command that must be refused, and returns its message, which must
    /// hold each of `words`.
    fn refused(&self, args: &[&str], words: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "quire admin {args:?} succeeded");
        for word in words {
            assert!(stderr.contains(word), "quire admin {args:?}: {stderr}");
        }
        stderr
    }

    fn login(&self, server: &ServerProcess) {
        let url = format!("https://{}", server.address());
        let password = &server.printed["admin-password"];
        self.ok(&["login", "--server", &url, "--password", password]);
    }
}

fn start(data: &Path, ip: &str) -> ServerProcess {
    ServerProcess::start(
        &data.join("server"),
        &["--listen", &format!("{ip}:0")],
        "admin-password",
    )
}

fn id(value: &Value) -> String {
    value["id"].as_i64().unwrap().to_string()
}

#[test]
fn a_dealer_sets_up_a_customer_from_login_to_an_enrolled_agent() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "127.71.14.1");
    let url = format!("https://{}", server.address());
    let admin = Admin::new();

    // Without --fingerprint the certificate shown is pinned, and printed to compare.
    let login = admin.ok(&[
        "login",
        "--server",
        &url,
        "--password",
        &server.printed["admin-password"],
    ]);
    assert!(
        login.contains(&format!(
            "certificate-sha256 {}",
            server.certificate_sha256()
        )),
        "{login}"
    );
    let session = admin.config.path().join("quire/admin-session.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&session).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the session file holds a token");
    }
    // With it, the pin is the operator's.
    admin.ok(&[
        "login",
        "--server",
        &url,
        "--fingerprint",
        server.certificate_sha256(),
        "--password",
        &server.printed["admin-password"],
    ]);

    let account = admin.json(&["account", "add", "Acme"]);
    assert_eq!(account["parent-id"], server.main_dealer());
    let account = id(&account);
    let listed = admin.ok(&["account", "list"]);
    assert!(
        listed
            .lines()
            .any(|l| l.contains("Acme") && l.starts_with(&account)),
        "{listed}"
    );

    let site = id(&admin.json(&["site", "add", "--account", &account, "Head office"]));
    admin.ok(&["range", "add", "--site", &site, "127.0.0.1-127.0.0.20"]);
    let csv = dir.path().join("ranges.csv");
    std::fs::write(
        &csv,
        "site,range,part\nHead office,127.0.0.1-127.0.0.20\nHead office,127.0.1.0/30,print-room\n",
    )
    .unwrap();
    admin.ok(&[
        "range",
        "upload",
        "--account",
        &account,
        csv.to_str().unwrap(),
    ]);
    let ranges = admin.ok(&["range", "list", "--site", &site]);
    assert!(
        ranges.contains("127.0.0.1-127.0.0.20") && ranges.contains("print-room"),
        "{ranges}"
    );

    admin.ok(&[
        "credentials",
        "set",
        "--account",
        &account,
        "--community",
        "public",
        "--v3-user",
        "quire",
        "--auth-protocol",
        "sha256",
        "--auth-password",
        "authpass123",
        "--privacy-protocol",
        "aes128",
        "--privacy-password",
        "privpass123",
    ]);
    admin.ok(&[
        "credentials",
        "add",
        "--account",
        &account,
        "--community",
        "private",
        "--snmp-version",
        "v1",
    ]);
    let credentials = admin.json(&["credentials", "list", "--account", &account]);
    let versions: Vec<&str> = credentials
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["v2c", "v3", "v1"]);
    assert_eq!(credentials[1]["auth-protocol"], "sha256");
    let table = admin.ok(&["credentials", "list", "--account", &account]);
    assert!(
        !table.contains("authpass123") && !table.contains("public"),
        "{table}"
    );

    let mut schedules = admin.json(&["schedule", "show", "--site", &site]);
    schedules["time-zone"] = "Europe/Berlin".into();
    let file = dir.path().join("schedules.json");
    std::fs::write(&file, schedules.to_string()).unwrap();
    admin.ok(&["schedule", "set", "--site", &site, file.to_str().unwrap()]);
    let shown = admin.ok(&["schedule", "show", "--site", &site]);
    assert!(shown.contains("Europe/Berlin"), "{shown}");

    admin.ok(&[
        "user",
        "add",
        "alice",
        "--role",
        "account-user",
        "--account",
        &account,
        "--password",
        "alice's long password",
    ]);
    let users = admin.json(&["user", "list"]);
    let alice = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "alice")
        .unwrap();
    assert_eq!(alice["role"], "account-user");
    assert_eq!(alice["account-ids"][0].to_string(), account);

    let key = admin.ok(&["key", "issue", "--account", &account]);
    let key = key.trim();
    assert_eq!(key.len(), 64, "{key}");
    let agent_dir = dir.path().join("agent");
    let enrolled = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["agent", "enroll", "--server", &url, "--key", key, "--data"])
        .arg(&agent_dir)
        .output()
        .unwrap();
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let stdout = String::from_utf8_lossy(&enrolled.stdout);
    assert!(
        stdout.contains(&format!("for account {account}")),
        "{stdout}"
    );
    let keys = admin.ok(&["key", "list", "--account", &account]);
    assert!(keys.contains("used by"), "{keys}");

    admin.ok(&["logout"]);
    admin.refused(&["account", "list"], &["not logged in"]);
}

#[test]
fn every_admin_command_refuses_bad_input_naming_the_field_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "127.71.14.2");
    let admin = Admin::new();
    admin.refused(
        &["account", "list"],
        &["not logged in", "quire admin login"],
    );
    admin.login(&server);

    // Accounts: a parent that does not exist, or is no dealer; no name; a name taken.
    let acme = id(&admin.json(&["account", "add", "Acme"]));
    let before = admin.json(&["account", "list"]);
    admin.refused(
        &["account", "add", "Orphan", "--parent", "999"],
        &["999", "not found"],
    );
    admin.refused(
        &["account", "add", "Sub", "--parent", &acme],
        &["parent-id", "not a dealer"],
    );
    admin.refused(&["account", "add", " "], &["name", "empty"]);
    admin.refused(&["account", "add", "Acme"], &["name", "already"]);
    assert_eq!(admin.json(&["account", "list"]), before);

    // Sites.
    let site = id(&admin.json(&["site", "add", "--account", &acme, "Head office"]));
    admin.refused(
        &["site", "add", "--account", "999", "Depot"],
        &["999", "not found"],
    );
    admin.refused(
        &["site", "add", "--account", &acme, "Head office"],
        &["name", "already"],
    );
    admin.refused(&["site", "add", "--account", &acme, ""], &["name", "empty"]);
    assert_eq!(
        admin
            .json(&["site", "list", "--account", &acme])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Ranges, one by one and uploaded.
    admin.ok(&["range", "add", "--site", &site, "127.0.0.1-127.0.0.20"]);
    let before = admin.json(&["range", "list", "--site", &site]);
    admin.refused(
        &["range", "add", "--site", "999", "127.0.0.1"],
        &["999", "not found"],
    );
    admin.refused(
        &["range", "add", "--site", &site, "127.0.0.300"],
        &["ranges[1]", "127.0.0.300"],
    );
    admin.refused(
        &["range", "add", "--site", &site, "127.0.0.1-127.0.0.20"],
        &["ranges[1]", "listed already"],
    );
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "Head office,127.0.2.0/30\nHead office,127.0.0.0/8\n").unwrap();
    admin.refused(
        &["range", "upload", "--account", &acme, csv.to_str().unwrap()],
        &["line 2"],
    );
    std::fs::write(&csv, "Warehouse,127.0.2.0/30\n").unwrap();
    admin.refused(
        &["range", "upload", "--account", &acme, csv.to_str().unwrap()],
        &["line 1", "no site named `Warehouse`"],
    );
    admin.refused(
        &["range", "upload", "--account", "999", csv.to_str().unwrap()],
        &["999", "not found"],
    );
    assert_eq!(admin.json(&["range", "list", "--site", &site]), before);

    // Credentials.
    admin.ok(&[
        "credentials",
        "set",
        "--account",
        &acme,
        "--community",
        "public",
    ]);
    let before = admin.json(&["credentials", "list", "--account", &acme]);
    admin.refused(
        &[
            "credentials",
            "set",
            "--account",
            "999",
            "--community",
            "public",
        ],
        &["999", "not found"],
    );
    admin.refused(
        &["credentials", "set", "--account", &acme, "--community", ""],
        &["[0].community", "empty"],
    );
    admin.refused(
        &[
            "credentials",
            "add",
            "--account",
            &acme,
            "--v3-user",
            "quire",
            "--auth-protocol",
            "bogus",
            "--auth-password",
            "authpass123",
        ],
        &["[1].auth-protocol"],
    );
    assert_eq!(
        admin.json(&["credentials", "list", "--account", &acme]),
        before
    );

    // Schedules.
    let before = admin.json(&["schedule", "show", "--site", &site]);
    let mut bad = before.clone();
    bad["time-zone"] = "Mars/Olympus".into();
    let file = dir.path().join("schedules.json");
    std::fs::write(&file, bad.to_string()).unwrap();
    admin.refused(
        &["schedule", "set", "--site", &site, file.to_str().unwrap()],
        &["schedules", "Mars/Olympus"],
    );
    admin.refused(
        &["schedule", "set", "--site", "999", file.to_str().unwrap()],
        &["999", "not found"],
    );
    assert_eq!(admin.json(&["schedule", "show", "--site", &site]), before);

    // Users.
    admin.ok(&[
        "user",
        "add",
        "alice",
        "--role",
        "account-user",
        "--account",
        &acme,
        "--password",
        "alice's long password",
    ]);
    let before = admin.json(&["user", "list"]);
    admin.refused(
        &[
            "user",
            "add",
            "bob",
            "--role",
            "boss",
            "--password",
            "bob's long password",
        ],
        &["--role", "boss"],
    );
    admin.refused(
        &[
            "user",
            "add",
            "bob",
            "--role",
            "account-user",
            "--password",
            "short",
        ],
        &["password", "10"],
    );
    admin.refused(
        &[
            "user",
            "add",
            "bob",
            "--role",
            "account-user",
            "--account",
            "999",
            "--password",
            "bob's long password",
        ],
        &["account-ids[0]", "999"],
    );
    admin.refused(
        &[
            "user",
            "add",
            "alice",
            "--role",
            "account-user",
            "--password",
            "alice's long password",
        ],
        &["name", "`alice` already"],
    );
    assert_eq!(admin.json(&["user", "list"]), before);

    // Enrollment keys.
    admin.refused(&["key", "issue", "--account", "999"], &["999", "not found"]);
    admin.refused(
        &["key", "issue", "--account", &acme, "--valid-hours", "0"],
        &["valid-hours"],
    );
    admin.refused(&["key", "revoke", "999"], &["999", "not found"]);
    assert_eq!(
        admin.json(&["key", "list", "--account", &acme]),
        Value::Array(vec![])
    );
}

#[test]
fn rates_are_set_per_scope_and_a_bad_one_is_refused_by_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "127.71.14.3");
    let admin = Admin::new();
    admin.login(&server);
    let acme = id(&admin.json(&["account", "add", "Acme"]));

    let set = admin.json(&[
        "rates",
        "set",
        "--account",
        &acme,
        "mono=0.0085",
        "color=0.065",
    ]);
    assert_eq!(
        set,
        json!([
            {"counter": "color", "cost-per-page": "0.065"},
            {"counter": "mono", "cost-per-page": "0.0085"},
        ])
    );
    let table = admin.ok(&["rates", "list", "--account", &acme]);
    assert!(
        table.starts_with("counter  cost per page\n") && table.contains("mono     0.0085"),
        "{table}"
    );

    // The server judges each cost and names the bad one; nothing is stored.
    admin.refused(
        &["rates", "set", "--account", &acme, "mono=0.01", "color=-1"],
        &["[1].cost-per-page", "negative"],
    );
    admin.refused(
        &["rates", "set", "--account", &acme, "mono=0.01", "mono=0.02"],
        &["[1].counter", "[0]"],
    );
    admin.refused(
        &["rates", "set", "--account", &acme, "mono=1e-2"],
        &["[0].cost-per-page", "1e-2"],
    );
    admin.refused(
        &["rates", "set", "--account", &acme, "mono"],
        &["`mono`", "COUNTER=COST"],
    );
    admin.refused(
        &[
            "rates",
            "set",
            "--account",
            &acme,
            "--device",
            "1",
            "mono=1",
        ],
        &["cannot be used with"],
    );
    admin.refused(&["rates", "list"], &["--account"]);
    admin.refused(
        &["rates", "list", "--contract", "999"],
        &["999", "not found"],
    );
    admin.refused(&["rates", "list", "--device", "999"], &["999", "not found"]);
    assert_eq!(admin.json(&["rates", "list", "--account", &acme]), set);

    // No pairs clears the scope.
    assert_eq!(admin.json(&["rates", "set", "--account", &acme]), json!([]));
}

/// `quire admin login` as `user` into `cli`'s own configuration.
fn login_as(cli: &Admin, server: &ServerProcess, user: &str, password: &str) -> Output {
    let url = format!("https://{}", server.address());
    cli.run(&[
        "login",
        "--server",
        &url,
        "--fingerprint",
        server.certificate_sha256(),
        "--user",
        user,
        "--password",
        password,
    ])
}

/// Whether `cli`'s kept session still works.
fn session_works(cli: &Admin) -> bool {
    cli.run(&["account", "list"]).status.success()
}

/// The user named `name` in `quire admin user list`, if listed.
fn listed_user(admin: &Admin, name: &str) -> Option<Value> {
    admin
        .json(&["user", "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .cloned()
}

#[test]
fn an_operator_resets_regrants_disables_and_deletes_a_user_and_ends_their_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "127.71.14.4");
    let admin = Admin::new();
    admin.login(&server);
    let acme = id(&admin.json(&["account", "add", "Acme"]));
    let alice = id(&admin.json(&[
        "user",
        "add",
        "alice",
        "--role",
        "account-user",
        "--account",
        &acme,
        "--password",
        "alice's first password",
    ]));
    // Alice logged in on two machines.
    let (laptop, desk) = (Admin::new(), Admin::new());
    for cli in [&laptop, &desk] {
        let login = login_as(cli, &server, "alice", "alice's first password");
        assert!(login.status.success(), "{login:?}");
    }
    let sessions = admin.json(&["user", "sessions", &alice]);
    assert_eq!(sessions.as_array().unwrap().len(), 2, "{sessions}");
    let table = admin.ok(&["user", "sessions", &alice]);
    for session in sessions.as_array().unwrap() {
        assert!(table.contains(session["id"].as_str().unwrap()), "{table}");
    }

    // A password reset: her sessions end, the old password is refused, the new one works.
    let reset = admin.ok(&[
        "user",
        "password",
        &alice,
        "--password",
        "alice's second password",
    ]);
    assert!(reset.contains("sessions are ended"), "{reset}");
    assert!(!session_works(&laptop) && !session_works(&desk));
    assert_eq!(admin.json(&["user", "sessions", &alice]), json!([]));
    assert!(
        !login_as(&laptop, &server, "alice", "alice's first password")
            .status
            .success()
    );
    assert!(
        login_as(&laptop, &server, "alice", "alice's second password")
            .status
            .success()
    );
    // A weak one is refused naming the password, and changes nothing.
    admin.refused(
        &["user", "password", &alice, "--password", "          "],
        &["password"],
    );
    assert!(session_works(&laptop));

    // Another role and other accounts: her session ends, she sees what she is granted.
    let dealer = id(&admin.json(&["account", "add", "Dealer", "--dealer"]));
    let regranted = admin.json(&[
        "user",
        "role",
        &alice,
        "--role",
        "dealer-user",
        "--account",
        &dealer,
    ]);
    assert_eq!(regranted["role"], "dealer-user");
    assert_eq!(
        regranted["account-ids"],
        json!([dealer.parse::<i64>().unwrap()])
    );
    assert!(!session_works(&laptop));
    assert!(
        login_as(&laptop, &server, "alice", "alice's second password")
            .status
            .success()
    );
    let seen = laptop.json(&["account", "list"]);
    let names: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Dealer"], "{seen}");

    // Disabled: her session ends and she cannot log in, until enabled.
    let disabled = admin.json(&["user", "disable", &alice]);
    assert_eq!(disabled["disabled"], true);
    assert!(!session_works(&laptop));
    assert!(
        !login_as(&laptop, &server, "alice", "alice's second password")
            .status
            .success()
    );
    assert_eq!(listed_user(&admin, "alice").unwrap()["disabled"], true);
    let enabled = admin.json(&["user", "enable", &alice]);
    assert_eq!(enabled["disabled"], false);
    assert!(
        login_as(&laptop, &server, "alice", "alice's second password")
            .status
            .success()
    );

    // Her sessions ended on their own.
    let ended = admin.ok(&["user", "end-sessions", &alice]);
    assert!(
        ended.contains(&format!("sessions of user {alice} are ended")),
        "{ended}"
    );
    assert!(!session_works(&laptop));
    assert_eq!(admin.json(&["user", "sessions", &alice]), json!([]));

    // Deleted: gone from the list, and her name no longer logs in.
    assert!(
        login_as(&desk, &server, "alice", "alice's second password")
            .status
            .success()
    );
    let deleted = admin.ok(&["user", "delete", &alice]);
    assert!(
        deleted.contains(&format!("user {alice} deleted")),
        "{deleted}"
    );
    assert!(listed_user(&admin, "alice").is_none());
    assert!(!session_works(&desk));
    assert!(
        !login_as(&desk, &server, "alice", "alice's second password")
            .status
            .success()
    );

    // A user that is not there is named in a clear refusal by every command; one that
    // is not a number is refused before anything is sent.
    for command in [
        &[
            "user",
            "password",
            "999",
            "--password",
            "a long enough password",
        ][..],
        &[
            "user",
            "role",
            "999",
            "--role",
            "account-user",
            "--account",
            &acme,
        ],
        &["user", "disable", "999"],
        &["user", "enable", "999"],
        &["user", "delete", "999"],
        &["user", "sessions", "999"],
        &["user", "end-sessions", "999"],
        &["user", "delete", &alice],
    ] {
        let id = command[2];
        admin.refused(command, &[id, "not found"]);
    }
    admin.refused(&["user", "disable", "alice"], &["invalid value 'alice'"]);
    // The administrator cannot lock themselves out, and is still logged in.
    let me = listed_user(&admin, "admin").unwrap();
    admin.refused(&["user", "disable", &id(&me)], &["disable"]);
    admin.refused(&["user", "delete", &id(&me)], &["delete"]);
    assert!(session_works(&admin));
}
