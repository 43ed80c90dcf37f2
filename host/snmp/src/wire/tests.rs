//! Test vectors are packets net-snmp 5.9 sent and received, hex-dumped by
//! `snmpget -d` against `snmpd` on 127.56.9.1 (config: `rocommunity public`,
//! `createUser quireuser SHA "authpass123" AES "privpass123"`); tcpdump is not
//! on the build machine, and these are the bytes a real peer produces.

use super::usm::{self, AuthProtocol, PrivProtocol};
use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

const V2C_GET: &str = "30 29 02 01 01 04 06 70 75 62 6C 69 63 A0 1C 02
    04 7F 85 6E 09 02 01 00 02 01 00 30 0E 30 0C 06 08 2B 06 01 02 01 01 05 00 05 00";
const V2C_RESPONSE: &str = "30 2B 02 01 01 04 06 70 75 62 6C 69 63 A2 1E 02
    04 7F 85 6E 09 02 01 00 02 01 00 30 10 30 0E 06 08 2B 06 01 02 01 01 05 00 04 02 76 6D";
const V1_NO_SUCH_NAME: &str = "30 29 02 01 00 04 06 70 75 62 6C 69 63 A2 1C 02
    04 54 C0 82 39 02 01 02 02 01 01 30 0E 30 0C 06 08 2B 06 01 02 01 01 63 00 05 00";
const V3_DISCOVERY: &str = "30 3E 02 01 03 30 11 02 04 6B 73 D5 43 02 03 00
    FF E3 04 01 04 02 01 03 04 10 30 0E 04 00 02 01 00 02 01 00 04 00 04 00 04 00 30 14 04 00 04 00
    A0 0E 02 04 64 E2 8C DD 02 01 00 02 01 00 30 00";
const V3_REPORT: &str = "30 71 02 01 03 30 11 02 04 6B 73 D5 43 02 03 00
    FF E3 04 01 00 02 01 03 04 21 30 1F 04 11 80 00 1F 88 80 1F D3 39 5C 37 56 04 6B 00 00 00 00 02
    01 01 02 01 03 04 00 04 00 04 00 30 36 04 11 80 00 1F 88 80 1F D3 39 5C 37 56 04 6B 00 00 00 00
    04 00 A8 1F 02 04 64 E2 8C DD 02 01 00 02 01 00 30 11 30 0F 06 0A 2B 06 01 06 03 0F 01 01 04 00
    41 01 01";
const V3_AUTHPRIV_GET: &str = "30 81 8D 02 01 03 30 11 02 04 6B 73 D5 42 02 03
    00 FF E3 04 01 07 02 01 03 04 3E 30 3C 04 11 80 00 1F 88 80 1F D3 39 5C 37 56 04 6B 00 00 00 00
    02 01 01 02 01 03 04 09 71 75 69 72 65 75 73 65 72 04 0C 12 13 4F 26 8E B1 09 7F C4 40 A7 8C 04
    08 32 3C 24 FC 8D ED 46 6C 04 35 AC DF 7D F4 59 5B 41 95 B5 DA 17 44 DB 8B B8 E0 59 BE 79 15 74
    FF 47 D8 98 C8 24 AB D9 2C F4 7D 2A 95 11 FB 61 DB 9B 79 7D BE BC 3C 03 1D B9 0A 96 B3 D1 85 5E";
const V3_AUTHPRIV_RESPONSE: &str = "30 81 8F 02 01 03 30 11 02 04 6B 73 D5 42 02 03
    00 FF E3 04 01 03 02 01 03 04 3E 30 3C 04 11 80 00 1F 88 80 1F D3 39 5C 37 56 04 6B 00 00 00 00
    02 01 01 02 01 03 04 09 71 75 69 72 65 75 73 65 72 04 0C 68 F1 7D A0 DC B2 F7 74 DF 38 64 6F 04
    08 67 42 70 3B AC 12 13 5B 04 37 D0 90 E0 25 FD 9D 6D 80 D2 D7 A2 23 78 60 FA 33 6A 3E B2 3E 0B
    6A 13 41 A8 A7 B6 25 00 B7 06 70 48 CA 16 0B 19 4B FE D3 0B 68 D7 6C 86 51 35 32 B3 01 7F 8D E5
    97 02";
const ENGINE_ID: &str = "80 00 1F 88 80 1F D3 39 5C 37 56 04 6B 00 00 00 00";
const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";

fn community(bytes: &[u8]) -> CommunityMessage {
    match Message::decode(bytes).unwrap() {
        Message::Community(m) => m,
        other => panic!("not a community message: {other:?}"),
    }
}

fn v3(bytes: &[u8]) -> V3Message {
    match Message::decode(bytes).unwrap() {
        Message::V3(m) => m,
        other => panic!("not a v3 message: {other:?}"),
    }
}

#[test]
fn net_snmp_v2c_get_and_response_decode_and_re_encode_byte_for_byte() {
    let get = hex(V2C_GET);
    let m = community(&get);
    assert_eq!(m.version, Version::V2c);
    assert_eq!(m.community, b"public");
    assert_eq!(
        m.pdu,
        Pdu::request(PduKind::Get, 0x7f85_6e09, [oid(SYS_NAME)])
    );
    assert_eq!(Message::Community(m).encode(), get);

    let response = hex(V2C_RESPONSE);
    let m = community(&response);
    assert_eq!(m.pdu.kind, PduKind::Response);
    assert_eq!(
        m.pdu.varbinds,
        vec![(oid(SYS_NAME), Value::OctetString(b"vm".to_vec()))]
    );
    assert_eq!(Message::Community(m).encode(), response);
}

#[test]
fn net_snmp_v1_no_such_name_names_the_varbind() {
    let m = community(&hex(V1_NO_SUCH_NAME));
    assert_eq!(m.version, Version::V1);
    assert_eq!(m.pdu.error_status, error_status::NO_SUCH_NAME);
    assert_eq!(m.pdu.error_index, 1);
    assert_eq!(
        m.pdu.varbinds,
        vec![(oid("1.3.6.1.2.1.1.99.0"), Value::Null)]
    );
}

#[test]
fn net_snmp_v3_discovery_and_unknown_engine_report() {
    let probe = hex(V3_DISCOVERY);
    let m = v3(&probe);
    assert_eq!(
        m.flags,
        MsgFlags {
            auth: false,
            privacy: false,
            reportable: true
        }
    );
    assert_eq!(m.max_size, 65507);
    assert!(m.usm.engine_id.is_empty() && m.usm.user_name.is_empty());
    assert_eq!(Message::V3(m).encode(), probe);

    let report = hex(V3_REPORT);
    let m = v3(&report);
    assert_eq!(m.usm.engine_id, hex(ENGINE_ID));
    assert_eq!((m.usm.engine_boots, m.usm.engine_time), (1, 3));
    let ScopedPduData::Plain(scoped) = &m.data else {
        panic!("report is plaintext")
    };
    assert_eq!(scoped.pdu.kind, PduKind::Report);
    assert_eq!(
        scoped.pdu.varbinds,
        vec![(oid("1.3.6.1.6.3.15.1.1.4.0"), Value::Counter32(1))]
    );
    assert_eq!(Message::V3(m).encode(), report);
}

#[test]
fn net_snmp_v3_auth_priv_verifies_and_decrypts_with_rfc3414_keys() {
    let user = usm::UsmUser::new("quireuser")
        .with_auth(AuthProtocol::Sha1, b"authpass123")
        .unwrap()
        .with_privacy(PrivProtocol::Aes128, b"privpass123")
        .unwrap()
        .localize(&hex(ENGINE_ID));
    let (auth, auth_key) = user.auth.clone().unwrap();
    let (privacy, priv_key) = user.privacy.clone().unwrap();
    for (packet, kind, value) in [
        (V3_AUTHPRIV_GET, PduKind::Get, Value::Null),
        (
            V3_AUTHPRIV_RESPONSE,
            PduKind::Response,
            Value::OctetString(b"vm".to_vec()),
        ),
    ] {
        let bytes = hex(packet);
        assert!(usm::verify(auth, &auth_key, &bytes).unwrap());
        let mut tampered = bytes.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(!usm::verify(auth, &auth_key, &tampered).unwrap());

        let m = v3(&bytes);
        assert_eq!(m.usm.user_name, b"quireuser");
        let ScopedPduData::Encrypted(cipher) = &m.data else {
            panic!("authPriv is encrypted")
        };
        let plain = usm::decrypt(
            privacy,
            &priv_key,
            m.usm.engine_boots,
            m.usm.engine_time,
            &m.usm.priv_params,
            cipher,
        )
        .unwrap();
        let scoped = ScopedPdu::decode(&plain).unwrap();
        assert_eq!(scoped.context_engine_id, hex(ENGINE_ID));
        assert_eq!(scoped.pdu.kind, kind);
        assert_eq!(scoped.pdu.varbinds, vec![(oid(SYS_NAME), value)]);

        let mut resigned = bytes.clone();
        usm::sign(auth, &auth_key, &mut resigned).unwrap();
        assert_eq!(resigned, bytes, "sign reproduces net-snmp's digest");
    }
}

#[test]
fn every_value_type_round_trips() {
    let values = [
        Value::Integer(0),
        Value::Integer(-1),
        Value::Integer(i64::from(i32::MIN)),
        Value::Integer(128),
        Value::OctetString(vec![0, 255, 7]),
        Value::Null,
        Value::ObjectId(oid("1.3.6.1.4.1.4294967295.0")),
        Value::ObjectId(oid("2.999.3")),
        Value::IpAddress([10, 0, 0, 1]),
        Value::Counter32(u32::MAX),
        Value::Gauge32(0x80),
        Value::TimeTicks(123_456),
        Value::Opaque(vec![0x9f, 0x78, 0x04, 0, 0, 0, 0]),
        Value::Counter64(u64::MAX),
        Value::NoSuchObject,
        Value::NoSuchInstance,
        Value::EndOfMibView,
    ];
    let pdu = Pdu {
        kind: PduKind::Response,
        request_id: -5,
        error_status: 0,
        error_index: 0,
        varbinds: values
            .iter()
            .map(|v| (oid("1.3.6.1.2.1.1.1.0"), v.clone()))
            .collect(),
    };
    let m = Message::Community(CommunityMessage {
        version: Version::V2c,
        community: b"c".to_vec(),
        pdu,
    });
    assert_eq!(Message::decode(&m.encode()).unwrap(), m);
}

#[test]
fn long_messages_use_long_form_lengths() {
    let pdu = Pdu {
        kind: PduKind::Response,
        request_id: 1,
        error_status: 0,
        error_index: 0,
        varbinds: vec![(oid(SYS_NAME), Value::OctetString(vec![b'x'; 70_000 / 2]))],
    };
    let bytes = pdu.encode();
    assert_eq!(&bytes[..2], &[0xa2, 0x82]);
    let m = Message::Community(CommunityMessage {
        version: Version::V1,
        community: b"public".to_vec(),
        pdu,
    });
    assert_eq!(Message::decode(&m.encode()).unwrap(), m);
}

#[test]
fn every_truncation_and_byte_flip_is_an_error_or_a_message_never_a_panic() {
    for packet in [V2C_GET, V1_NO_SUCH_NAME, V3_REPORT, V3_AUTHPRIV_GET] {
        let bytes = hex(packet);
        for len in 0..bytes.len() {
            let err = Message::decode(&bytes[..len]).unwrap_err();
            assert!(err.offset <= len, "{err} for {len} bytes");
        }
        for i in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let _ = Message::decode(&b);
            }
        }
    }
}

#[test]
fn errors_say_what_and_where() {
    let mut bytes = hex(V2C_GET);
    bytes[1] = 0x80;
    assert_eq!(
        Message::decode(&bytes).unwrap_err().to_string(),
        "byte 1: message: indefinite length is not allowed in SNMP"
    );
    let mut bytes = hex(V2C_GET);
    bytes[4] = 2;
    assert_eq!(
        Message::decode(&bytes).unwrap_err().to_string(),
        "byte 2: unknown SNMP version 2"
    );
    let mut bytes = hex(V2C_GET);
    bytes.push(0);
    assert!(
        Message::decode(&bytes)
            .unwrap_err()
            .message
            .contains("unexpected bytes")
    );
}
