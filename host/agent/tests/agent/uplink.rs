//! Enrollment and the pinned connection: what an operator sees when the server, its
//! certificate or the key is not what it should be.

use std::sync::atomic::Ordering;

use quire_agent::{Agent, AgentError, Uplink, UplinkError, enroll};

use crate::fleet::config;
use crate::peer::{KEY, Peer};

#[tokio::test]
async fn enrollment_pins_the_certificates_key_and_another_key_is_refused() {
    let mut peer = Peer::start("127.80.9.1", config("127.80.0.1")).await;
    let enrollment = enroll(&peer.url(), KEY, None, "branch-office")
        .await
        .unwrap();
    assert_eq!(enrollment.certificate_sha256, peer.sha256);
    assert_eq!(enrollment.server, peer.url());
    let uplink = Uplink::new(&enrollment).unwrap();
    assert_eq!(uplink.fetch_config().await.unwrap(), config("127.80.0.1"));

    // The key is pinned: the certificate was checked against what the server named, and
    // the key it carries is what the agent accepts from now on.
    let pinned = enrollment.key_sha256.clone().expect("the key is pinned");
    assert_ne!(pinned, peer.sha256);
    // A certificate over another key is another server.
    peer.replace_certificate().await;
    let error = uplink.fetch_config().await.unwrap_err();
    assert!(
        matches!(&error, UplinkError::CertificateMismatch { pinned: p, presented, .. }
            if *p == pinned && *presented == peer.sha256),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&pinned) && message.contains("enroll this agent again"),
        "{message}"
    );
    assert!(!error.is_transient());
    assert_eq!(peer.filed.check_ins.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_operators_fingerprint_must_match_the_certificate_shown() {
    let peer = Peer::start("127.80.9.2", config("127.80.0.1")).await;
    let colons: Vec<String> = peer
        .sha256
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8(pair.to_vec()).unwrap().to_uppercase())
        .collect();
    let enrollment = enroll(&peer.url(), KEY, Some(&colons.join(":")), "branch-office")
        .await
        .unwrap();
    assert_eq!(enrollment.certificate_sha256, peer.sha256);

    let wrong = "ab".repeat(32);
    let error = enroll(&peer.url(), KEY, Some(&wrong), "branch-office")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, UplinkError::CertificateMismatch { pinned, presented, .. }
            if *pinned == wrong && *presented == peer.sha256),
        "{error:?}"
    );
    let error = enroll(&peer.url(), KEY, Some("abc"), "branch-office")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("64 hex digits"), "{error}");
}

#[tokio::test]
async fn a_server_naming_another_certificate_than_it_shows_is_not_trusted() {
    let peer = Peer::start("127.80.9.3", config("127.80.0.1")).await;
    peer.filed.lie_at_enrollment.store(true, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let error = Agent::enroll(dir.path(), &peer.url(), KEY, None)
        .await
        .unwrap_err();
    let AgentError::Uplink(UplinkError::EnrollmentMismatch {
        presented, claimed, ..
    }) = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*presented, peer.sha256);
    assert_eq!(*claimed, "00".repeat(32));
    assert!(error.to_string().contains("intercepting"), "{error}");
    // Nothing was kept: the agent is still not enrolled.
    let error = Agent::open(crate::fleet::options(dir.path()))
        .await
        .err()
        .unwrap();
    assert!(matches!(error, AgentError::NotEnrolled { .. }), "{error}");
    assert!(error.to_string().contains("quire agent enroll"), "{error}");
}

#[tokio::test]
async fn refusals_carry_the_servers_message_and_a_down_server_is_transient() {
    let mut peer = Peer::start("127.80.9.4", config("127.80.0.1")).await;
    let error = enroll(&peer.url(), "a-wrong-key", None, "branch-office")
        .await
        .unwrap_err();
    let UplinkError::Refused {
        status,
        message,
        field,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!((*status, field.as_deref()), (403, Some("key")));
    assert_eq!(message, "the enrollment key is not valid");
    assert!(error.to_string().contains("(field key)"), "{error}");

    let url = peer.url();
    peer.stop();
    tokio::task::yield_now().await;
    let error = enroll(&url, KEY, None, "branch-office").await.unwrap_err();
    assert!(
        matches!(error, UplinkError::Unreachable { .. }) && error.is_transient(),
        "{error:?}"
    );
    assert!(error.to_string().contains(&url), "{error}");
}
