//! Quire's client against net-snmp's `snmpd`, started here on loopback with
//! its own configuration and persistent directory (shared PEERS.md recipe).
//! A missing `snmpd` fails the test: run `scripts/install-test-peers`.

use std::time::{Duration, Instant};

use quire_snmp::client::{
    AuthProtocol, ClientConfig, ClientErrorKind, CredentialSet, Credentials, PrivProtocol, Session,
    V3User,
};
use quire_snmp::{Oid, Value};
use quire_test_peers::Snmpd;

const AUTH_PASS: &str = "authpass123";
const PRIV_PASS: &str = "privpass123";

/// `snmpd` on `address` with the v1/v2c communities and the v3 users the
/// tests log in as, once it answers v2c, so each test starts on a live agent.
async fn snmpd(address: &str) -> Snmpd {
    let agent = Snmpd::start(
        address.parse().unwrap(),
        &format!(
            "rocommunity public 127.0.0.0/8\n\
             com2sec v1only 127.0.0.0/8 oldcommunity\n\
             group v1group v1 v1only\n\
             view everything included .1\n\
             access v1group \"\" v1 noauth exact everything none none\n\
             createUser shaaes SHA \"{AUTH_PASS}\" AES \"{PRIV_PASS}\"\n\
             createUser md5des MD5 \"{AUTH_PASS}\" DES \"{PRIV_PASS}\"\n\
             createUser sha256 SHA-256 \"{AUTH_PASS}\" AES \"{PRIV_PASS}\"\n\
             createUser authonly SHA \"{AUTH_PASS}\"\n\
             rouser shaaes priv\n\
             rouser md5des priv\n\
             rouser sha256 priv\n\
             rouser authonly auth\n\
             sysDescr Quire test agent\n\
             sysLocation loopback\n"
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Session::open(agent.address(), v2c("public"), quick()).await {
            Ok(_) => return agent,
            Err(e) if Instant::now() > deadline => panic!(
                "snmpd on {} never answered: {e}; log: {}",
                agent.address(),
                agent.log()
            ),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn quick() -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_millis(300),
        retries: 1,
        ..ClientConfig::default()
    }
}

fn v2c(community: &str) -> Credentials {
    Credentials::V2c {
        community: community.into(),
    }
}

fn v3(
    user: &str,
    auth: AuthProtocol,
    privacy: Option<PrivProtocol>,
    auth_pass: &str,
) -> Credentials {
    Credentials::V3(V3User {
        user: user.into(),
        auth: Some((auth, auth_pass.into())),
        privacy: privacy.map(|p| (p, PRIV_PASS.into())),
        context: String::new(),
    })
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

/// sysDescr.0 and sysLocation.0 in one GET, then the system group walked.
async fn read_system(session: &Session) {
    let got = session
        .get(&[
            oid("1.3.6.1.2.1.1.1.0"),
            oid("1.3.6.1.2.1.1.6.0"),
            oid("1.3.6.1.2.1.1.99.0"),
        ])
        .await
        .unwrap();
    assert_eq!(
        got[0].1,
        Value::OctetString(b"Quire test agent".to_vec()),
        "{got:?}"
    );
    assert_eq!(got[1].1, Value::OctetString(b"loopback".to_vec()));
    assert!(got[2].1.is_exception(), "{got:?}");
    let system = session.walk(&oid("1.3.6.1.2.1.1")).await.unwrap();
    assert!(system.len() >= 7, "{system:?}");
    assert!(system.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(
        system
            .iter()
            .all(|(o, _)| o.starts_with(&oid("1.3.6.1.2.1.1")))
    );
    assert!(system.iter().any(|(o, _)| *o == oid("1.3.6.1.2.1.1.1.0")));
}

#[tokio::test]
async fn reads_the_system_group_over_v1_v2c_and_v3() {
    let agent = snmpd("127.56.0.1:16201").await;
    let credentials = [
        Credentials::V1 {
            community: "public".into(),
        },
        v2c("public"),
        v3(
            "shaaes",
            AuthProtocol::Sha1,
            Some(PrivProtocol::Aes128),
            AUTH_PASS,
        ),
        v3(
            "md5des",
            AuthProtocol::Md5,
            Some(PrivProtocol::Des),
            AUTH_PASS,
        ),
        v3(
            "sha256",
            AuthProtocol::Sha256,
            Some(PrivProtocol::Aes128),
            AUTH_PASS,
        ),
        v3("authonly", AuthProtocol::Sha1, None, AUTH_PASS),
    ];
    for credentials in credentials {
        let session = Session::open(agent.address(), credentials.clone(), quick())
            .await
            .unwrap_or_else(|e| panic!("{credentials:?}: {e}"));
        read_system(&session).await;
    }
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_fails_fast_and_says_so() {
    let agent = snmpd("127.56.0.2:16202").await;
    let patient = ClientConfig {
        timeout: Duration::from_secs(3),
        retries: 2,
        ..ClientConfig::default()
    };
    for (credentials, says) in [
        (
            v3(
                "shaaes",
                AuthProtocol::Sha1,
                Some(PrivProtocol::Aes128),
                "wrongpass123",
            ),
            "wrong password",
        ),
        (
            v3(
                "nosuchuser",
                AuthProtocol::Sha1,
                Some(PrivProtocol::Aes128),
                AUTH_PASS,
            ),
            "unknown user",
        ),
    ] {
        let started = Instant::now();
        let error = Session::open(agent.address(), credentials.clone(), patient.clone())
            .await
            .expect_err("the agent must refuse");
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "{credentials:?} took {took:?}"
        );
        assert!(
            matches!(error.kind, ClientErrorKind::Authentication(_)),
            "{error}"
        );
        let text = error.to_string();
        assert!(
            text.contains("authentication failed") && text.contains(says),
            "{text}"
        );
        let other = if says == "unknown user" {
            "wrong password"
        } else {
            "unknown user"
        };
        assert!(!text.contains(other), "{text}");
        assert!(text.contains("127.56.0.2:16202"), "{text}");
    }
}

#[tokio::test]
async fn v1_walks_by_getnext_and_the_credential_that_worked_is_remembered() {
    let agent = snmpd("127.56.0.3:16203").await;
    let set = CredentialSet::new(vec![
        v2c("not-a-community"),
        Credentials::V1 {
            community: "oldcommunity".into(),
        },
    ]);
    let session = set.open(agent.address(), &quick()).await.unwrap();
    assert_eq!(session.credentials(), &set.credentials()[1]);
    assert_eq!(set.remembered(agent.address()), Some(&set.credentials()[1]));
    read_system(&session).await;
    let bulk = session
        .get_bulk(1, 3, &[oid("1.3.6.1.2.1.1.1"), oid("1.3.6.1.2.1.1.2")])
        .await
        .unwrap();
    assert_eq!(bulk.len(), 4, "{bulk:?}");
    assert_eq!(bulk[0].0, oid("1.3.6.1.2.1.1.1.0"));
    // The remembered one is tried first: no timeout on the bad community now.
    let started = Instant::now();
    set.open(agent.address(), &quick()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
}
