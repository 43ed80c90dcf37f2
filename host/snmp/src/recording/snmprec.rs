//! snmpsim's `.snmprec` format: one `OID|TAG|VALUE` per line.
//!
//! TAG is the BER type number, optionally followed by `x` (the value is hex)
//! or `e` (the value is escaped text). Only the first two `|` separate fields:
//! a value may itself contain `|`.

use crate::{Oid, Recording, RecordingError, Result, Value};

pub(super) fn parse(name: &str, text: &str) -> Result<Recording> {
    let mut recording = Recording::new(name);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| RecordingError {
            file: name.to_owned(),
            line: i + 1,
            message,
        };
        let mut fields = line.splitn(3, '|');
        let (Some(oid), Some(tag), Some(value)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(err(format!("expected OID|TAG|VALUE, found {line:?}")));
        };
        let oid: Oid = oid.trim().parse().map_err(|e| err(format!("{e}")))?;
        let value = decode(tag, value).map_err(err)?;
        recording.insert(oid, value);
    }
    Ok(recording)
}

fn decode(tag: &str, text: &str) -> std::result::Result<Value, String> {
    let (number, hex) = match tag.strip_suffix('x') {
        Some(n) => (n, true),
        None => (tag.strip_suffix('e').unwrap_or(tag), false),
    };
    let bytes = || -> std::result::Result<Vec<u8>, String> {
        if hex {
            unhex(text)
        } else {
            Ok(text.as_bytes().to_vec())
        }
    };
    let int = |what: &str| -> std::result::Result<i64, String> {
        let t = text.trim();
        t.parse::<i64>()
            .map_err(|_| format!("{what} value {t:?} is not a number"))
    };
    let unsigned = |what: &str| -> std::result::Result<u32, String> {
        let v = int(what)?;
        u32::try_from(v).map_err(|_| format!("{what} value {v} is out of range"))
    };
    Ok(match number {
        "2" => Value::Integer(int("Integer32")?),
        "4" => Value::OctetString(bytes()?),
        "5" => Value::Null,
        "6" => Value::ObjectId(
            text.trim()
                .parse()
                .map_err(|e| format!("OBJECT IDENTIFIER value: {e}"))?,
        ),
        "64" => {
            if hex {
                let a: [u8; 4] = bytes()?
                    .try_into()
                    .map_err(|_| "IpAddress must be 4 bytes".to_string())?;
                Value::IpAddress(a)
            } else {
                let ip: std::net::Ipv4Addr = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("IpAddress value {text:?} is not dotted quad"))?;
                Value::IpAddress(ip.octets())
            }
        }
        "65" => Value::Counter32(unsigned("Counter32")?),
        "66" => Value::Gauge32(unsigned("Gauge32")?),
        "67" => Value::TimeTicks(unsigned("TimeTicks")?),
        "68" => Value::Opaque(bytes()?),
        "70" => {
            let t = text.trim();
            Value::Counter64(
                t.parse::<u64>()
                    .map_err(|_| format!("Counter64 value {t:?} is not a number"))?,
            )
        }
        "128" => Value::NoSuchObject,
        "129" => Value::NoSuchInstance,
        "130" => Value::EndOfMibView,
        _ => return Err(format!("unknown tag {tag:?}")),
    })
}

fn unhex(text: &str) -> std::result::Result<Vec<u8>, String> {
    let t = text.trim();
    if t.len() % 2 != 0 {
        return Err(format!("hex value {t:?} has an odd number of digits"));
    }
    (0..t.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&t[i..i + 2], 16)
                .map_err(|_| format!("hex value {t:?} has a non-hex digit"))
        })
        .collect()
}
