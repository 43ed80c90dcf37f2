//! SNMP messages on the wire: BER encoding and decoding of v1 (RFC 1157),
//! v2c (RFC 1901, RFC 3416) and v3 (RFC 3412 with the RFC 3414 USM security
//! parameters), mapped to and from [`Oid`] and [`Value`].
//!
//! Pure: no sockets, no clocks. Decoding never panics, whatever the bytes,
//! and an error names what was wrong and the byte offset in the message, so
//! a malformed packet from a device costs one error, never the process. The
//! cryptography of v3 (keys, digests, privacy) lives in [`usm`]; this module
//! only moves its parameters.

mod ber;
pub mod usm;

use crate::{Oid, Value, WireError};
use ber::{Reader, write_octets, write_oid, write_signed, write_tlv, write_unsigned};

/// Most varbinds decoded from one PDU; a request asking for more is refused
/// rather than allowed to make the responder allocate without bound.
pub const MAX_VARBINDS: usize = 4096;

/// The SNMP version field of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// SNMPv1 (version field 0).
    V1,
    /// SNMPv2c (version field 1).
    V2c,
    /// SNMPv3 (version field 3).
    V3,
}

/// Which operation a PDU is, by its context tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduKind {
    /// GetRequest-PDU (0xA0).
    Get,
    /// GetNextRequest-PDU (0xA1).
    GetNext,
    /// Response-PDU (0xA2), GetResponse in v1.
    Response,
    /// SetRequest-PDU (0xA3): decoded so a read-only agent can refuse it properly.
    Set,
    /// GetBulkRequest-PDU (0xA5), v2c and v3 only.
    GetBulk,
    /// InformRequest-PDU (0xA6).
    Inform,
    /// SNMPv2-Trap-PDU (0xA7).
    TrapV2,
    /// Report-PDU (0xA8), the USM's way to say why a v3 request failed.
    Report,
}

impl PduKind {
    fn tag(self) -> u8 {
        match self {
            PduKind::Get => 0xa0,
            PduKind::GetNext => 0xa1,
            PduKind::Response => 0xa2,
            PduKind::Set => 0xa3,
            PduKind::GetBulk => 0xa5,
            PduKind::Inform => 0xa6,
            PduKind::TrapV2 => 0xa7,
            PduKind::Report => 0xa8,
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        Some(match tag {
            0xa0 => PduKind::Get,
            0xa1 => PduKind::GetNext,
            0xa2 => PduKind::Response,
            0xa3 => PduKind::Set,
            0xa5 => PduKind::GetBulk,
            0xa6 => PduKind::Inform,
            0xa7 => PduKind::TrapV2,
            0xa8 => PduKind::Report,
            _ => return None,
        })
    }
}

/// RFC 3416 error-status values an agent sends.
pub mod error_status {
    /// No error.
    pub const NO_ERROR: i32 = 0;
    /// The response would not fit in a message.
    pub const TOO_BIG: i32 = 1;
    /// v1: no such variable (v2 uses exceptions in the varbind instead).
    pub const NO_SUCH_NAME: i32 = 2;
    /// v1: the variable is read-only.
    pub const READ_ONLY: i32 = 4;
    /// The agent failed for a reason not otherwise listed.
    pub const GEN_ERR: i32 = 5;
    /// v2: the variable cannot be accessed (a SET to a read-only community).
    pub const NO_ACCESS: i32 = 6;
}

/// One PDU. For GETBULK, `error_status` and `error_index` carry
/// non-repeaters and max-repetitions, as on the wire; use the accessors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// The operation.
    pub kind: PduKind,
    /// Matches a response to its request.
    pub request_id: i32,
    /// Error status, or non-repeaters in a GETBULK.
    pub error_status: i32,
    /// 1-based index of the failing varbind, or max-repetitions in a GETBULK.
    pub error_index: i32,
    /// The variable bindings.
    pub varbinds: Vec<(Oid, Value)>,
}

impl Pdu {
    /// A request of `kind` for `oids`, each bound to NULL.
    pub fn request(kind: PduKind, request_id: i32, oids: impl IntoIterator<Item = Oid>) -> Self {
        Pdu {
            kind,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: oids.into_iter().map(|o| (o, Value::Null)).collect(),
        }
    }

    /// A GETBULK request.
    pub fn get_bulk(
        request_id: i32,
        non_repeaters: i32,
        max_repetitions: i32,
        oids: impl IntoIterator<Item = Oid>,
    ) -> Self {
        Pdu {
            error_status: non_repeaters,
            error_index: max_repetitions,
            ..Pdu::request(PduKind::GetBulk, request_id, oids)
        }
    }

    /// GETBULK non-repeaters; a negative value counts as 0 (RFC 3416 4.2.3).
    pub fn non_repeaters(&self) -> usize {
        usize::try_from(self.error_status).unwrap_or(0)
    }

    /// GETBULK max-repetitions; a negative value counts as 0.
    pub fn max_repetitions(&self) -> usize {
        usize::try_from(self.error_index).unwrap_or(0)
    }

    /// BER encoding of the PDU alone.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.varbinds.len() * 32);
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        write_tlv(out, self.kind.tag(), |out| {
            write_signed(out, 0x02, i64::from(self.request_id));
            write_signed(out, 0x02, i64::from(self.error_status));
            write_signed(out, 0x02, i64::from(self.error_index));
            write_tlv(out, 0x30, |out| {
                for (oid, value) in &self.varbinds {
                    write_tlv(out, 0x30, |out| {
                        write_oid(out, 0x06, oid);
                        write_value(out, value);
                    });
                }
            });
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Pdu, WireError> {
        let at = r.position();
        let (tag, _, mut body) = r.tlv()?;
        let kind = PduKind::from_tag(tag).ok_or_else(|| {
            r.error(
                at,
                match tag {
                    0xa4 => "v1 Trap-PDU is not supported".to_owned(),
                    _ => format!("tag 0x{tag:02x} is not an SNMP PDU"),
                },
            )
        })?;
        let request_id = body.integer32("request-id")?;
        let error_status = body.integer32("error-status")?;
        let error_index = body.integer32("error-index")?;
        let mut list = body.expect(0x30, "varbind list")?;
        let mut varbinds = Vec::new();
        while !list.is_empty() {
            if varbinds.len() == MAX_VARBINDS {
                return Err(list.error(
                    list.position(),
                    format!("more than {MAX_VARBINDS} varbinds"),
                ));
            }
            let mut vb = list.expect(0x30, "varbind")?;
            let oid_at = vb.position();
            let oid = vb.expect(0x06, "varbind name")?.oid(oid_at)?;
            let value = read_value(&mut vb)?;
            trailing(&vb, "varbind")?;
            varbinds.push((oid, value));
        }
        trailing(&body, "PDU")?;
        Ok(Pdu {
            kind,
            request_id,
            error_status,
            error_index,
            varbinds,
        })
    }
}

/// A v1 or v2c message: community and PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityMessage {
    /// [`Version::V1`] or [`Version::V2c`].
    pub version: Version,
    /// The community string, bytes as sent.
    pub community: Vec<u8>,
    /// The PDU.
    pub pdu: Pdu,
}

/// msgFlags of a v3 message (RFC 3412 6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MsgFlags {
    /// The message is authenticated.
    pub auth: bool,
    /// The scoped PDU is encrypted.
    pub privacy: bool,
    /// The sender wants a Report if the message cannot be processed.
    pub reportable: bool,
}

impl MsgFlags {
    fn byte(self) -> u8 {
        u8::from(self.auth) | (u8::from(self.privacy) << 1) | (u8::from(self.reportable) << 2)
    }
}

/// RFC 3414 UsmSecurityParameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsmParams {
    /// msgAuthoritativeEngineID.
    pub engine_id: Vec<u8>,
    /// msgAuthoritativeEngineBoots.
    pub engine_boots: i32,
    /// msgAuthoritativeEngineTime, seconds.
    pub engine_time: i32,
    /// msgUserName.
    pub user_name: Vec<u8>,
    /// msgAuthenticationParameters: the truncated HMAC, or empty.
    pub auth_params: Vec<u8>,
    /// msgPrivacyParameters: the salt, or empty.
    pub priv_params: Vec<u8>,
}

/// A scopedPDU: the PDU and the context it addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedPdu {
    /// contextEngineID.
    pub context_engine_id: Vec<u8>,
    /// contextName.
    pub context_name: Vec<u8>,
    /// The PDU.
    pub pdu: Pdu,
}

impl ScopedPdu {
    /// BER encoding, the plaintext that privacy encrypts.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// Decodes a scopedPDU, such as the plaintext of an encrypted one. Bytes
    /// after it are ignored, because DES pads the plaintext to 8 bytes.
    pub fn decode(bytes: &[u8]) -> Result<ScopedPdu, WireError> {
        Self::read(&mut Reader::new(bytes))
    }

    fn write(&self, out: &mut Vec<u8>) {
        write_tlv(out, 0x30, |out| {
            write_octets(out, 0x04, &self.context_engine_id);
            write_octets(out, 0x04, &self.context_name);
            self.pdu.write(out);
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<ScopedPdu, WireError> {
        let mut body = r.expect(0x30, "scopedPDU")?;
        let context_engine_id = body.octets("contextEngineID")?.to_vec();
        let context_name = body.octets("contextName")?.to_vec();
        let pdu = Pdu::read(&mut body)?;
        trailing(&body, "scopedPDU")?;
        Ok(ScopedPdu {
            context_engine_id,
            context_name,
            pdu,
        })
    }
}

/// msgData: a plaintext scopedPDU, or one encrypted by the USM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopedPduData {
    /// Sent without privacy.
    Plain(ScopedPdu),
    /// The encrypted scopedPDU; [`usm::decrypt`] turns it back into bytes.
    Encrypted(Vec<u8>),
}

/// A v3 message with the User-based Security Model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Message {
    /// msgID.
    pub msg_id: i32,
    /// msgMaxSize: the largest message the sender accepts.
    pub max_size: i32,
    /// msgFlags.
    pub flags: MsgFlags,
    /// The USM security parameters (the only security model supported, 3).
    pub usm: UsmParams,
    /// The scoped PDU.
    pub data: ScopedPduData,
}

/// The USM's msgSecurityModel number.
const USM: i64 = 3;

/// Any SNMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// v1 or v2c.
    Community(CommunityMessage),
    /// v3.
    V3(V3Message),
}

impl Message {
    /// Decodes one message. Bytes after the message are an error.
    pub fn decode(bytes: &[u8]) -> Result<Message, WireError> {
        let mut outer = Reader::new(bytes);
        let mut body = outer.expect(0x30, "message")?;
        trailing(&outer, "message")?;
        let version_at = body.position();
        let message = match body.integer("version")? {
            number @ (0 | 1) => {
                let version = if number == 0 {
                    Version::V1
                } else {
                    Version::V2c
                };
                let community = body.octets("community")?.to_vec();
                let pdu_at = body.position();
                let pdu = Pdu::read(&mut body)?;
                if version == Version::V1 && pdu.kind == PduKind::GetBulk {
                    return Err(body.error(pdu_at, "GetBulkRequest in a v1 message"));
                }
                Message::Community(CommunityMessage {
                    version,
                    community,
                    pdu,
                })
            }
            3 => Message::V3(read_v3(&mut body)?),
            other => {
                return Err(body.error(version_at, format!("unknown SNMP version {other}")));
            }
        };
        trailing(&body, "message")?;
        Ok(message)
    }

    /// BER encoding. A v3 message is encoded as given: to authenticate it,
    /// put zeros of the digest's length in `auth_params` and call [`usm::sign`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        write_tlv(&mut out, 0x30, |out| match self {
            Message::Community(m) => {
                write_signed(out, 0x02, if m.version == Version::V1 { 0 } else { 1 });
                write_octets(out, 0x04, &m.community);
                m.pdu.write(out);
            }
            Message::V3(m) => {
                write_signed(out, 0x02, 3);
                write_tlv(out, 0x30, |out| {
                    write_signed(out, 0x02, i64::from(m.msg_id));
                    write_signed(out, 0x02, i64::from(m.max_size));
                    write_octets(out, 0x04, &[m.flags.byte()]);
                    write_signed(out, 0x02, USM);
                });
                let mut params = Vec::new();
                write_tlv(&mut params, 0x30, |p| {
                    write_octets(p, 0x04, &m.usm.engine_id);
                    write_signed(p, 0x02, i64::from(m.usm.engine_boots));
                    write_signed(p, 0x02, i64::from(m.usm.engine_time));
                    write_octets(p, 0x04, &m.usm.user_name);
                    write_octets(p, 0x04, &m.usm.auth_params);
                    write_octets(p, 0x04, &m.usm.priv_params);
                });
                write_octets(out, 0x04, &params);
                match &m.data {
                    ScopedPduData::Plain(scoped) => scoped.write(out),
                    ScopedPduData::Encrypted(bytes) => write_octets(out, 0x04, bytes),
                }
            }
        });
        out
    }
}

fn read_v3(body: &mut Reader<'_>) -> Result<V3Message, WireError> {
    let mut global = body.expect(0x30, "msgGlobalData")?;
    let msg_id = global.integer32("msgID")?;
    let max_size = global.integer32("msgMaxSize")?;
    let flags_at = global.position();
    let flags = match global.octets("msgFlags")? {
        [b] => MsgFlags {
            auth: b & 1 != 0,
            privacy: b & 2 != 0,
            reportable: b & 4 != 0,
        },
        other => {
            return Err(global.error(
                flags_at,
                format!("msgFlags has {} bytes, not 1", other.len()),
            ));
        }
    };
    if flags.privacy && !flags.auth {
        return Err(global.error(flags_at, "msgFlags asks for privacy without authentication"));
    }
    let model_at = global.position();
    let model = global.integer("msgSecurityModel")?;
    if model != USM {
        return Err(global.error(
            model_at,
            format!("security model {model} is not the USM (3)"),
        ));
    }
    trailing(&global, "msgGlobalData")?;
    let mut params_outer = body.expect(0x04, "msgSecurityParameters")?;
    let mut params = params_outer.expect(0x30, "UsmSecurityParameters")?;
    trailing(&params_outer, "msgSecurityParameters")?;
    let usm = UsmParams {
        engine_id: params.octets("msgAuthoritativeEngineID")?.to_vec(),
        engine_boots: params.integer32("msgAuthoritativeEngineBoots")?,
        engine_time: params.integer32("msgAuthoritativeEngineTime")?,
        user_name: params.octets("msgUserName")?.to_vec(),
        auth_params: params.octets("msgAuthenticationParameters")?.to_vec(),
        priv_params: params.octets("msgPrivacyParameters")?.to_vec(),
    };
    trailing(&params, "UsmSecurityParameters")?;
    let data = if flags.privacy {
        ScopedPduData::Encrypted(body.octets("encryptedPDU")?.to_vec())
    } else {
        ScopedPduData::Plain(ScopedPdu::read(body)?)
    };
    Ok(V3Message {
        msg_id,
        max_size,
        flags,
        usm,
        data,
    })
}

/// Where msgAuthenticationParameters' content lies in an encoded v3 message,
/// the bytes an HMAC is computed with zeroed and then written into.
pub fn auth_params_range(bytes: &[u8]) -> Result<std::ops::Range<usize>, WireError> {
    let mut body = Reader::new(bytes).expect(0x30, "message")?;
    let version_at = body.position();
    if body.integer("version")? != 3 {
        return Err(body.error(version_at, "not a v3 message"));
    }
    body.expect(0x30, "msgGlobalData")?;
    let mut params = body
        .expect(0x04, "msgSecurityParameters")?
        .expect(0x30, "UsmSecurityParameters")?;
    params.octets("msgAuthoritativeEngineID")?;
    params.integer("msgAuthoritativeEngineBoots")?;
    params.integer("msgAuthoritativeEngineTime")?;
    params.octets("msgUserName")?;
    let auth = params.expect(0x04, "msgAuthenticationParameters")?;
    let start = auth.position();
    Ok(start..start + auth.rest().len())
}

/// Encoded size of one varbind, for keeping a response under a size limit. It is
/// written into `scratch` (cleared first), so sizing a whole response reuses one
/// buffer instead of allocating one per varbind.
pub(crate) fn encoded_varbind_len(scratch: &mut Vec<u8>, oid: &Oid, value: &Value) -> usize {
    scratch.clear();
    write_tlv(scratch, 0x30, |out| {
        write_oid(out, 0x06, oid);
        write_value(out, value);
    });
    scratch.len()
}

fn trailing(r: &Reader<'_>, what: &str) -> Result<(), WireError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(r.error(
            r.position(),
            format!(
                "{} unexpected bytes at the end of the {what}",
                r.rest().len()
            ),
        ))
    }
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Integer(v) => write_signed(out, 0x02, *v),
        Value::OctetString(b) => write_octets(out, 0x04, b),
        Value::Null => write_octets(out, 0x05, &[]),
        Value::ObjectId(oid) => write_oid(out, 0x06, oid),
        Value::IpAddress(ip) => write_octets(out, 0x40, ip),
        Value::Counter32(v) => write_unsigned(out, 0x41, u64::from(*v)),
        Value::Gauge32(v) => write_unsigned(out, 0x42, u64::from(*v)),
        Value::TimeTicks(v) => write_unsigned(out, 0x43, u64::from(*v)),
        Value::Opaque(b) => write_octets(out, 0x44, b),
        Value::Counter64(v) => write_unsigned(out, 0x46, *v),
        Value::NoSuchObject => write_octets(out, 0x80, &[]),
        Value::NoSuchInstance => write_octets(out, 0x81, &[]),
        Value::EndOfMibView => write_octets(out, 0x82, &[]),
    }
}

fn read_value(r: &mut Reader<'_>) -> Result<Value, WireError> {
    let at = r.position();
    let (tag, _, content) = r.tlv()?;
    let u32_of =
        |what: &str| -> Result<u32, WireError> { Ok(content.unsigned(at, 32, what)? as u32) };
    let empty = |what: &str| -> Result<(), WireError> {
        if content.rest().is_empty() {
            Ok(())
        } else {
            Err(content.error(at, format!("{what} has content")))
        }
    };
    Ok(match tag {
        0x02 => Value::Integer(content.signed(at, "INTEGER")?),
        0x04 => Value::OctetString(content.rest().to_vec()),
        0x05 => {
            empty("NULL")?;
            Value::Null
        }
        0x06 => Value::ObjectId(content.oid(at)?),
        0x40 => match <[u8; 4]>::try_from(content.rest()) {
            Ok(ip) => Value::IpAddress(ip),
            Err(_) => {
                return Err(content.error(
                    at,
                    format!("IpAddress has {} bytes, not 4", content.rest().len()),
                ));
            }
        },
        0x41 => Value::Counter32(u32_of("Counter32")?),
        0x42 => Value::Gauge32(u32_of("Gauge32")?),
        0x43 => Value::TimeTicks(u32_of("TimeTicks")?),
        0x44 => Value::Opaque(content.rest().to_vec()),
        0x46 => Value::Counter64(content.unsigned(at, 64, "Counter64")?),
        0x80 => {
            empty("noSuchObject")?;
            Value::NoSuchObject
        }
        0x81 => {
            empty("noSuchInstance")?;
            Value::NoSuchInstance
        }
        0x82 => {
            empty("endOfMibView")?;
            Value::EndOfMibView
        }
        other => {
            return Err(content.error(at, format!("tag 0x{other:02x} is not an SNMP value type")));
        }
    })
}

#[cfg(test)]
mod tests;
