//! `quire simulate` as a user runs it: the binary on loopback, read with
//! net-snmp's `snmpwalk` (a real peer: when it is missing the test fails and
//! says to run scripts/install-test-peers).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use quire_snmp::Recording;
use quire_snmp::responder::replicate;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/recorded/printmaster/epson_sc_snmp.snmprec"
);

/// The simulator process, stopped when the test ends however it ends.
struct Simulator(Child);

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_simulated_fleet_copy_walks_as_the_replicated_recording_over_v3() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args([
            "simulate",
            FIXTURE,
            "--fleet",
            "2",
            "--base",
            "127.61.0.1",
            "--port",
            "16171",
            "--v3-user",
            "quireuser:SHA:authpass123:AES:privpass123",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _simulator = Simulator(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("listening:");
        printed.push(line);
        if done {
            break;
        }
    }
    assert!(
        printed[1].starts_with("device     1  127.61.0.2:16171"),
        "{printed:?}"
    );

    // The user `quire simulate` serves by default.
    let v3 = quire_test_peers::net_snmp_v3("quireuser:SHA:authpass123:AES:privpass123");
    let out = Command::new("snmpwalk")
        .args(v3)
        .args(["-On", "-Ox", "-Oe", "127.61.0.2:16171", ".1"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run snmpwalk ({e}): run scripts/install-test-peers"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let walked =
        Recording::parse_snmpwalk("snmpwalk", &String::from_utf8_lossy(&out.stdout)).unwrap();
    let expected = replicate(&[Recording::load(Path::new(FIXTURE)).unwrap()], 2).remove(1);
    assert_eq!(walked.len(), expected.len());
    assert!(walked.iter().eq(expected.iter()));
}

/// `quire probe` speaks the API's words for v3 (`--auth-protocol sha1`, as an account's
/// credentials write `auth-protocol`), reads net-snmp's (`AES`) too, and refuses any
/// other naming the words it takes.
#[test]
fn probe_reads_a_v3_device_with_the_api_s_credential_words() {
    let user = "quireuser:sha1:authpass123:aes128:privpass123";
    let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args([
            "simulate",
            FIXTURE,
            "--base",
            "127.61.1.1",
            "--port",
            "16172",
            "--v3-user",
            user,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _simulator = Simulator(child);
    for line in BufReader::new(stdout).lines() {
        if line.unwrap().starts_with("listening:") {
            break;
        }
    }
    let probe = |auth: &str, privacy: &str| {
        Command::new(env!("CARGO_BIN_EXE_quire"))
            .args(["probe", "127.61.1.1", "--port", "16172", "--format", "json"])
            .args(["--v3-user", "quireuser", "--auth-protocol", auth])
            .args([
                "--auth-password",
                "authpass123",
                "--privacy-protocol",
                privacy,
            ])
            .args(["--privacy-password", "privpass123"])
            .output()
            .unwrap()
    };
    let read = probe("sha1", "AES");
    let stdout = String::from_utf8_lossy(&read.stdout);
    assert!(
        read.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let outcome: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(outcome[0]["identity"]["sys_descr"].is_string(), "{outcome}");

    let refused = probe("bogus", "aes128");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--auth-protocol") && stderr.contains("md5, sha1, sha224"),
        "{stderr}"
    );
}
