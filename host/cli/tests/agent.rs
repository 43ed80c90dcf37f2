//! `quire agent` as an operator meets it before anything works: the messages must say
//! what to do next.

use std::process::Command;

fn quire(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn running_before_enrolling_says_how_to_enroll() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("agent");
    let (code, stderr) = quire(&["agent", "run", "--once", "--data", data.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not enrolled") && stderr.contains("quire agent enroll --server"),
        "{stderr}"
    );
}

#[test]
fn enrolling_needs_https_and_a_real_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("agent");
    let data = data.to_str().unwrap();
    // `quire agent enroll --server SERVER --key k [FINGERPRINT…] --data DATA`
    let enroll = |server: &str, fingerprint: &[&str]| {
        let server = ["agent", "enroll", "--server", server, "--key", "k"];
        quire(&[&server[..], fingerprint, &["--data", data]].concat())
    };
    let (code, stderr) = enroll("http://127.80.9.30:8443", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("must start with https://"), "{stderr}");
    let (code, stderr) = enroll("https://127.80.9.30:8443", &["--fingerprint", "12:34"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a SHA-256"), "{stderr}");
}
