//! The certificate: generated once into the data directory, or the one configured.

use quire_server::Server;

#[tokio::test]
async fn a_configured_certificate_is_served_instead_of_a_generated_one() {
    let first_dir = tempfile::tempdir().unwrap();
    let mut first = Server::new(first_dir.path());
    first.listen = "127.70.1.1:0".parse().unwrap();
    let first = first.start().await.unwrap();
    let generated = first.certificate_sha256.clone();
    assert_eq!(generated.len(), 64);
    assert!(first.admin_password.as_ref().is_some_and(|p| p.len() >= 16));
    first.stop().await;

    // Restarted on the same data: the same certificate, and the password is not shown again.
    let mut again = Server::new(first_dir.path());
    again.listen = "127.70.1.2:0".parse().unwrap();
    let again = again.start().await.unwrap();
    assert_eq!(again.certificate_sha256, generated);
    assert_eq!(again.admin_password, None);
    again.stop().await;

    let second_dir = tempfile::tempdir().unwrap();
    let mut second = Server::new(second_dir.path());
    second.listen = "127.70.1.3:0".parse().unwrap();
    second.tls_cert = Some(first_dir.path().join("server-cert.pem"));
    second.tls_key = Some(first_dir.path().join("server-key.pem"));
    let second = second.start().await.unwrap();
    assert_eq!(second.certificate_sha256, generated);
    assert!(!second_dir.path().join("server-cert.pem").exists());
    // A client pinned to another fingerprint refuses to talk to it.
    let stranger = quire_server::client::Client::new(second.address, &"0".repeat(64));
    let error = stranger
        .call::<()>("GET".parse().unwrap(), "/api/v1/openapi.json", None, None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not the pinned"), "{error}");
    let answer = second
        .client()
        .call::<()>("GET".parse().unwrap(), "/api/v1/openapi.json", None, None)
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    second.stop().await;

    let mut half = Server::new(second_dir.path());
    half.tls_cert = Some(first_dir.path().join("server-cert.pem"));
    let error = half
        .start()
        .await
        .err()
        .expect("a certificate without its key is refused");
    assert!(error.to_string().contains("--tls-key"), "{error}");
}

/// Issue 18: what the server creates holds SNMP secrets and the TLS key, so only its
/// user reads it; the generated certificate is valid for a bounded period from today.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private_and_the_certificate_is_valid_for_397_days() {
    use std::os::unix::fs::PermissionsExt as _;

    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let mut server = Server::new(&data);
    server.listen = "127.70.1.4:0".parse().unwrap();
    let running = server.start().await.unwrap();
    let mode = |name: &str| {
        let path = data.join(name);
        std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700, "the data directory");
    for file in ["quire.db", "quire.db-wal", "quire.db-shm", "server-key.pem"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    // Still serving.
    let answer = running
        .client()
        .call::<()>("GET".parse().unwrap(), "/api/v1/openapi.json", None, None)
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    running.stop().await;

    let dates = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-startdate", "-enddate", "-in"])
        .arg(data.join("server-cert.pem"))
        .output()
        .expect("openssl x509");
    assert!(
        dates.status.success(),
        "{}",
        String::from_utf8_lossy(&dates.stderr)
    );
    let dates = String::from_utf8(dates.stdout).unwrap();
    let date = |key: &str| {
        let line = dates.lines().find_map(|l| l.strip_prefix(key)).unwrap();
        chrono::NaiveDateTime::parse_from_str(line.trim_end_matches(" GMT"), "%b %e %H:%M:%S %Y")
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .and_utc()
    };
    let (start, end) = (date("notBefore="), date("notAfter="));
    let now = chrono::Utc::now();
    assert!(
        start <= now && now - start <= chrono::Duration::days(2),
        "{dates}"
    );
    assert_eq!(end - start, chrono::Duration::days(397), "{dates}");
}
