//! Agents that get SNMP wrong in ways real printers do, played by a loopback
//! UDP socket in the test (no real agent here misbehaves on demand): GETBULK
//! answered empty, a late answer to a timed-out request, and garbage.

use std::net::SocketAddr;
use std::time::Duration;

use quire_snmp::client::{ClientConfig, ClientErrorKind, Credentials, Session};
use quire_snmp::wire::{Message, PduKind};
use quire_snmp::{Oid, Value};
use tokio::net::UdpSocket;

/// The agent's whole MIB: the first three system objects, as integers.
const TABLE: &[(&[u32], i64)] = &[
    (&[1, 3, 6, 1, 2, 1, 1, 1, 0], 1),
    (&[1, 3, 6, 1, 2, 1, 1, 2, 0], 2),
    (&[1, 3, 6, 1, 2, 1, 1, 3, 0], 3),
];

/// What the agent does with its `n`th request (counted from 0).
#[derive(Clone, Copy)]
enum Act {
    Answer,
    AnswerLate(Duration),
    Garbage,
    /// An answer to another request-id and garbage first, then the answer.
    NoiseThenAnswer,
}

/// A BER TLV; the test's packets stay under 128 bytes per element, so short lengths do.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag, u8::try_from(content.len()).unwrap()];
    out.extend_from_slice(content);
    out
}

fn integer(n: i64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes
        .windows(2)
        .take_while(|w| (w[0] == 0 && w[1] & 0x80 == 0) || (w[0] == 0xff && w[1] & 0x80 != 0))
        .count();
    tlv(0x02, &bytes[skip..])
}

fn object_id(arcs: &[u32]) -> Vec<u8> {
    let mut body = vec![u8::try_from(arcs[0] * 40 + arcs[1]).unwrap()];
    for &arc in &arcs[2..] {
        let mut groups = vec![u8::try_from(arc & 0x7f).unwrap()];
        let mut rest = arc >> 7;
        while rest > 0 {
            groups.push(u8::try_from(rest & 0x7f).unwrap() | 0x80);
            rest >>= 7;
        }
        body.extend(groups.iter().rev());
    }
    tlv(0x06, &body)
}

fn response(request_id: i64, varbinds: &[(&[u32], i64)]) -> Vec<u8> {
    let list: Vec<u8> = varbinds
        .iter()
        .flat_map(|(oid, value)| tlv(0x30, &[object_id(oid), integer(*value)].concat()))
        .collect();
    let pdu = [
        integer(request_id),
        integer(0),
        integer(0),
        tlv(0x30, &list),
    ]
    .concat();
    tlv(
        0x30,
        &[integer(1), tlv(0x04, b"public"), tlv(0xa2, &pdu)].concat(),
    )
}

/// Serves TABLE on `address`: GET and GETNEXT right, GETBULK always empty.
async fn agent(address: &str, act: impl Fn(usize) -> Act + Send + 'static) -> SocketAddr {
    let socket = std::sync::Arc::new(UdpSocket::bind(address).await.unwrap());
    let address = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut packet = vec![0; 65536];
        for n in 0.. {
            let Ok((len, peer)) = socket.recv_from(&mut packet).await else {
                return;
            };
            let Ok(Message::Community(request)) = Message::decode(&packet[..len]) else {
                continue;
            };
            let asked: Vec<Vec<u32>> = request
                .pdu
                .varbinds
                .iter()
                .map(|(oid, _)| oid.arcs().to_vec())
                .collect();
            let answer: Vec<(&[u32], i64)> = match request.pdu.kind {
                PduKind::Get => asked
                    .iter()
                    .filter_map(|a| TABLE.iter().find(|(o, _)| *o == a.as_slice()).copied())
                    .collect(),
                PduKind::GetNext => asked
                    .iter()
                    .map(|a| {
                        TABLE
                            .iter()
                            .find(|(o, _)| *o > a.as_slice())
                            .copied()
                            .unwrap_or((&[1, 3, 6, 1, 6], 0))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let bytes = response(request.pdu.request_id.into(), &answer);
            let socket = socket.clone();
            match act(n) {
                Act::Answer => drop(socket.send_to(&bytes, peer).await),
                Act::AnswerLate(delay) => {
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = socket.send_to(&bytes, peer).await;
                    });
                }
                Act::Garbage => drop(socket.send_to(&[0x30, 0x05, 0x02, 0x01], peer).await),
                Act::NoiseThenAnswer => {
                    let stale = response(i64::from(request.pdu.request_id) - 7, &answer);
                    let _ = socket.send_to(&stale, peer).await;
                    let _ = socket.send_to(&[0x30, 0x05, 0x02, 0x01], peer).await;
                    let _ = socket.send_to(&bytes, peer).await;
                }
            }
        }
    });
    address
}

#[tokio::test]
async fn stale_answers_and_garbage_are_skipped_without_a_retry() {
    let address = agent("127.58.0.4:0", |_| Act::NoiseThenAnswer).await;
    let session = Session::open(address, v2c(), config()).await.unwrap();
    let started = std::time::Instant::now();
    let asked: Vec<Oid> = TABLE.iter().map(|(o, _)| Oid::from(*o)).collect();
    let got = session.get(&asked).await.unwrap();
    assert_eq!(got[1], (asked[1].clone(), Value::Integer(2)));
    let next = session.get_next(&asked[..2]).await.unwrap();
    assert_eq!(next[0], (asked[1].clone(), Value::Integer(2)));
    assert_eq!(next[1], (asked[2].clone(), Value::Integer(3)));
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "waited for a retry: {:?}",
        started.elapsed()
    );
}

fn v2c() -> Credentials {
    Credentials::V2c {
        community: "public".into(),
    }
}

fn config() -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_millis(200),
        retries: 1,
        ..ClientConfig::default()
    }
}

#[tokio::test]
async fn a_walk_falls_back_to_getnext_when_getbulk_comes_back_empty() {
    let address = agent("127.58.0.1:0", |_| Act::Answer).await;
    let session = Session::open(address, v2c(), config()).await.unwrap();
    let walked = session
        .walk(&"1.3.6.1.2.1.1".parse().unwrap())
        .await
        .unwrap();
    let expected: Vec<(Oid, Value)> = TABLE
        .iter()
        .map(|(o, v)| (Oid::from(*o), Value::Integer(*v)))
        .collect();
    assert_eq!(walked, expected);
}

#[tokio::test]
async fn a_late_answer_never_answers_the_next_request() {
    // Request 1 (the first GET after open) is answered after its timeout; its
    // retry and every later request are answered at once.
    let address = agent("127.58.0.2:0", |n| {
        if n == 1 {
            Act::AnswerLate(Duration::from_millis(300))
        } else {
            Act::Answer
        }
    })
    .await;
    let session = Session::open(address, v2c(), config()).await.unwrap();
    let first = session.get(&[Oid::from(TABLE[0].0)]).await.unwrap();
    assert_eq!(first[0].1, Value::Integer(1));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = session.get(&[Oid::from(TABLE[2].0)]).await.unwrap();
    assert_eq!(second, vec![(Oid::from(TABLE[2].0), Value::Integer(3))]);
}

#[tokio::test]
async fn garbage_is_an_error_naming_the_device() {
    let address = agent("127.58.0.3:0", |_| Act::Garbage).await;
    let error = Session::open(address, v2c(), config()).await.unwrap_err();
    assert!(
        matches!(error.kind, ClientErrorKind::Malformed(_)),
        "{error}"
    );
    assert!(
        error.to_string().starts_with(&address.to_string()),
        "{error}"
    );
}
