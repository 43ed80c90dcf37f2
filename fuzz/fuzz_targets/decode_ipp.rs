//! Any bytes a printer or CUPS server answers an IPP request with: decoding
//! must not panic, an error names an offset inside the bytes, whatever follows
//! end-of-attributes is ignored, a decoded message maps to a reading without
//! panicking, and a decoded message encoded again (by the encoder below, the
//! crate has none for responses) decodes to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_ipp::{Attribute, Group, Message, Value};

fuzz_target!(|data: &[u8]| {
    let message = match quire_ipp::decode(data) {
        Ok(message) => message,
        Err(error) => {
            assert!(
                error.offset <= data.len(),
                "{error} in {} bytes",
                data.len()
            );
            return;
        }
    };
    let mut longer = data.to_vec();
    longer.extend_from_slice(b"\x03\x01trailing");
    assert_eq!(quire_ipp::decode(&longer).as_ref(), Ok(&message));
    let _ = quire_ipp::reading(&message);
    if let Some(bytes) = encode(&message) {
        assert_eq!(quire_ipp::decode(&bytes).as_ref(), Ok(&message));
    }
});

const TEXT_WITHOUT_LANGUAGE: u8 = 0x41;
const MEMBER_NAME: u8 = 0x4A;
const BEG_COLLECTION: u8 = 0x34;
const END_COLLECTION: u8 = 0x37;
const EXTENSION: u8 = 0x7F;

/// RFC 8010 encoding of `message`; `None` when a name or value is too long for
/// its 16-bit length (decoding replaces bad UTF-8 with U+FFFD, three bytes
/// for one).
fn encode(message: &Message) -> Option<Vec<u8>> {
    let mut out = vec![message.version.0, message.version.1];
    out.extend_from_slice(&message.status.to_be_bytes());
    out.extend_from_slice(&message.request_id.to_be_bytes());
    for Group { tag, attributes } in &message.groups {
        out.push(*tag);
        for Attribute { name, values } in attributes {
            for (i, value) in values.iter().enumerate() {
                let name = if i == 0 { name.as_str() } else { "" };
                put_value(&mut out, name, value)?;
            }
        }
    }
    out.push(0x03);
    Some(out)
}

fn put_value(out: &mut Vec<u8>, name: &str, value: &Value) -> Option<()> {
    match value {
        Value::Integer(v) => put(out, 0x21, name, &v.to_be_bytes()),
        Value::Boolean(v) => put(out, 0x22, name, &[u8::from(*v)]),
        Value::Enum(v) => put(out, 0x23, name, &v.to_be_bytes()),
        Value::Text(text) => put(out, TEXT_WITHOUT_LANGUAGE, name, text.as_bytes()),
        Value::Octets(bytes) => put(out, 0x30, name, bytes),
        Value::Collection(members) => {
            put(out, BEG_COLLECTION, name, b"")?;
            for member in members {
                put(out, MEMBER_NAME, "", member.name.as_bytes())?;
                for value in &member.values {
                    put_value(out, "", value)?;
                }
            }
            put(out, END_COLLECTION, "", b"")
        }
        // Through the extension tag, so a tag that means something else as a
        // single byte (a group delimiter, the end of a collection) stays a value.
        Value::Other { tag, bytes } => {
            out.push(EXTENSION);
            out.extend_from_slice(&tag.to_be_bytes());
            put_rest(out, name, bytes)
        }
    }
}

fn put(out: &mut Vec<u8>, tag: u8, name: &str, value: &[u8]) -> Option<()> {
    out.push(tag);
    put_rest(out, name, value)
}

fn put_rest(out: &mut Vec<u8>, name: &str, value: &[u8]) -> Option<()> {
    out.extend_from_slice(&u16::try_from(name.len()).ok()?.to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&u16::try_from(value.len()).ok()?.to_be_bytes());
    out.extend_from_slice(value);
    Some(())
}
