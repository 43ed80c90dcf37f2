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
