//! The client against the fleet simulator: v3 at every security level, the
//! USM reports told apart, and GETNEXT of many OIDs in one request. Both
//! sides use the crate's wire codec, so net-snmp's snmpd (tests/snmpd.rs)
//! stays the independent peer; this covers what snmpd is not set up for.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use quire_snmp::client::{
    AuthProtocol, ClientConfig, ClientErrorKind, Credentials, PrivProtocol, Session, V3User,
};
use quire_snmp::responder::{Fleet, FleetConfig};
use quire_snmp::wire::usm::UsmUser;
use quire_snmp::{Oid, Recording, Value};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec"
);

fn recording() -> Recording {
    Recording::load(Path::new(FIXTURE)).unwrap()
}

async fn fleet(third_octet: u8) -> (Fleet, SocketAddr) {
    let users = [
        "shaaes:SHA:authpass123:AES:privpass123",
        "md5des:MD5:authpass123:DES:privpass123",
        "sha512:SHA-512:authpass123",
        "plain",
    ];
    let fleet = Fleet::start(
        vec![recording()],
        FleetConfig {
            base: Ipv4Addr::new(127, 62, third_octet, 1),
            port: 16262,
            users: users
                .iter()
                .map(|u| u.parse::<UsmUser>().unwrap())
                .collect(),
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    let address = fleet.addr(0).unwrap();
    (fleet, address)
}

fn v3(
    user: &str,
    auth: Option<(AuthProtocol, &str)>,
    privacy: Option<(PrivProtocol, &str)>,
) -> Credentials {
    Credentials::V3(V3User {
        user: user.into(),
        auth: auth.map(|(p, s)| (p, s.to_owned())),
        privacy: privacy.map(|(p, s)| (p, s.to_owned())),
        context: String::new(),
    })
}

fn quick() -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_millis(500),
        retries: 1,
        ..ClientConfig::default()
    }
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn v3_reads_at_every_security_level() {
    let (_fleet, address) = fleet(1).await;
    let sys_name = oid("1.3.6.1.2.1.1.5.0");
    for credentials in [
        v3(
            "shaaes",
            Some((AuthProtocol::Sha1, "authpass123")),
            Some((PrivProtocol::Aes128, "privpass123")),
        ),
        v3(
            "md5des",
            Some((AuthProtocol::Md5, "authpass123")),
            Some((PrivProtocol::Des, "privpass123")),
        ),
        v3("sha512", Some((AuthProtocol::Sha512, "authpass123")), None),
        v3("plain", None, None),
    ] {
        let session = Session::open(address, credentials.clone(), quick())
            .await
            .unwrap_or_else(|e| panic!("{credentials:?}: {e}"));
        let got = session.get(std::slice::from_ref(&sys_name)).await.unwrap();
        assert_eq!(got[0].1, recording().get(&sys_name), "{credentials:?}");
        let walked = session.walk(&oid("1.3.6.1.2.1.1")).await.unwrap();
        assert!(walked.len() >= 7, "{credentials:?}: {walked:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_usm_report_says_what_was_wrong() {
    let (_fleet, address) = fleet(2).await;
    let cases = [
        (
            v3(
                "shaaes",
                Some((AuthProtocol::Sha1, "wrongpass123")),
                Some((PrivProtocol::Aes128, "privpass123")),
            ),
            "wrong password",
        ),
        (
            v3(
                "shaaes",
                Some((AuthProtocol::Sha1, "authpass123")),
                Some((PrivProtocol::Aes128, "wrongpriv123")),
            ),
            "wrong privacy password",
        ),
        (
            v3("nobody", Some((AuthProtocol::Sha1, "authpass123")), None),
            "unknown user",
        ),
        (
            v3("shaaes", Some((AuthProtocol::Sha1, "authpass123")), None),
            "security level not allowed",
        ),
    ];
    for (credentials, says) in cases {
        let error = Session::open(address, credentials.clone(), quick())
            .await
            .expect_err("the agent must refuse");
        assert!(
            matches!(error.kind, ClientErrorKind::Authentication(_)),
            "{credentials:?}: {error}"
        );
        assert!(error.to_string().contains(says), "{credentials:?}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn getnext_of_many_oids_is_answered_in_order() {
    let (_fleet, address) = fleet(3).await;
    let credentials = Credentials::V2c {
        community: "public".into(),
    };
    let session = Session::open(address, credentials, quick()).await.unwrap();
    let asked = [
        oid("1.3.6.1.2.1.1.1"),
        oid("1.3.6.1.2.1.1.5"),
        oid("1.3.6.1.2.1.1.3"),
    ];
    let got = session.get_next(&asked).await.unwrap();
    let expected: Vec<(Oid, Value)> = asked.iter().map(|o| recording().get_next(o)).collect();
    assert_eq!(got, expected);
}

/// Relays between the client and `upstream`, setting the engine time in
/// every unauthenticated v3 message from the agent (the discovery report)
/// to `time`. Returns the relay's address and a count of messages relayed
/// to the agent.
async fn time_warping_relay(
    upstream: SocketAddr,
    time: i32,
) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use quire_snmp::wire::Message;
    use tokio::net::UdpSocket;
    let front = UdpSocket::bind("127.62.9.1:0").await.unwrap();
    let back = UdpSocket::bind("127.62.9.1:0").await.unwrap();
    back.connect(upstream).await.unwrap();
    let address = front.local_addr().unwrap();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        let mut buf = vec![0; 65536];
        loop {
            let Ok((len, peer)) = front.recv_from(&mut buf).await else {
                return;
            };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            back.send(&buf[..len]).await.unwrap();
            let Ok(Ok(len)) =
                tokio::time::timeout(Duration::from_millis(300), back.recv(&mut buf)).await
            else {
                continue;
            };
            let mut answer = buf[..len].to_vec();
            if let Ok(Message::V3(mut m)) = Message::decode(&answer)
                && !m.flags.auth
            {
                m.usm.engine_time = time;
                answer = Message::V3(m).encode();
            }
            front.send_to(&answer, peer).await.unwrap();
        }
    });
    (address, sent)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_engine_time_from_discovery_is_resynchronised_once() {
    let (_fleet, upstream) = fleet(4).await;
    let (relay, relayed) = time_warping_relay(upstream, 1_000_000).await;
    let credentials = v3(
        "shaaes",
        Some((AuthProtocol::Sha1, "authpass123")),
        Some((PrivProtocol::Aes128, "privpass123")),
    );
    let session = Session::open(relay, credentials, quick()).await.unwrap();
    // Discovery, the GET refused as notInTimeWindow, the GET again.
    assert_eq!(relayed.load(std::sync::atomic::Ordering::SeqCst), 3);
    let sys_name = oid("1.3.6.1.2.1.1.5.0");
    let got = session.get(std::slice::from_ref(&sys_name)).await.unwrap();
    assert_eq!(got[0].1, recording().get(&sys_name));
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupted_answers_are_refused_in_time_and_never_panic() {
    // Every answer has one byte flipped. A flip in the framing, the community
    // or the request-id must make the client refuse the answer; a flip inside
    // the value comes back as a (wrong) value, as it would from a real line;
    // a flip in error-index is harmless. Whatever lands, each request ends
    // within its timeout and nothing panics.
    let fleet = Fleet::start(
        vec![recording()],
        FleetConfig {
            base: Ipv4Addr::new(127, 62, 40, 1),
            port: 16262,
            faults: quire_snmp::responder::Faults {
                corrupt: 1.0,
                ..Default::default()
            },
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    let address = fleet.addr(0).unwrap();
    let sys_descr = oid("1.3.6.1.2.1.1.1.0");
    let config = ClientConfig {
        timeout: Duration::from_millis(100),
        retries: 0,
        ..ClientConfig::default()
    };
    let mut refused = 0;
    for _ in 0..20 {
        let community = Credentials::V2c {
            community: "public".into(),
        };
        let started = std::time::Instant::now();
        let outcome = match Session::open(address, community, config.clone()).await {
            Err(e) => Err(e),
            Ok(session) => session.get(std::slice::from_ref(&sys_descr)).await,
        };
        assert!(started.elapsed() < Duration::from_secs(1), "{outcome:?}");
        if outcome.is_err() {
            refused += 1;
        }
    }
    assert!(
        fleet.answered() >= 20,
        "the simulator answered {}",
        fleet.answered()
    );
    assert!(refused > 0, "no corrupted answer was refused in 20");
}
