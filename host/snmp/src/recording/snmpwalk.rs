//! net-snmp's `snmpwalk` output: `OID = TYPE: VALUE`, one varbind per line
//! except where net-snmp itself wraps a value:
//!
//! - a quoted `STRING: "…"` holding newlines runs on until its closing quote
//!   (inside the quotes net-snmp escapes only `"` and `\`);
//! - a `Hex-STRING:` (or hex `OPAQUE:`) runs on over lines of hex bytes;
//! - an unquoted `STRING:` (printed through a MIB DISPLAY-HINT) runs on over
//!   every following line that does not start a new varbind.
//!
//! Types are matched case-insensitively, as snmpsim's walk reader does, since
//! net-snmp versions differ in case (`OPAQUE:`/`Opaque:`). `INTEGER: idle(3)`
//! keeps the number, `BITS: 80 00 lowPaper(0)` the bytes, `Timeticks: (n) …`
//! the hundredths; a trailing UNITS suffix (`Gauge32: 80 percent`) is ignored.
//! `Wrong Type (should be X): Y: v` keeps what the device actually sent (Y).
//! `No more variables left in this MIB View` (v2c) and the line `End of MIB`
//! (what net-snmp prints when a v1 walk runs off the end) mark the end of the
//! walk and add nothing. A later line for an OID replaces an earlier one, as in
//! `.snmprec`.
//!
//! A non-printable byte in a quoted STRING is printed by net-snmp as `.`, so
//! such values cannot be recovered; they come back as the text shown.
//!
//! The OID is read as `-On` prints it (`.1.3.6…`), as net-snmp prints it
//! without MIBs (`iso.3.6…`), and as it prints it with MIBs loaded
//! (`SNMPv2-MIB::sysDescr.0`, `sysDescr.0`, and `RicohPrivateMIB::ricohSysName`
//! with no index for an object whose MIB puts the instance in its OID), on the
//! left and in `OID:` values alike; names resolve through
//! [`super::mib_names`], which knows the vendor MIBs the families read. A
//! name that does not resolve costs its own line, reported with the name.
//! With MIBs loaded,
//! net-snmp prints an OCTET STRING through the DISPLAY-HINT of its SYNTAX,
//! unquoted; the reader turns the hints it knows back into the bytes the
//! device sent (`1x:` of PhysAddress and MacAddress, `0:1e:4f:a:b:c`; the
//! DateAndTime hint, `2020-1-1,12:0:0.0,+0:0`; text hints as the text); a
//! line it cannot turn back costs itself and is reported with the object.

use super::mib_names::{self, MibObject, Resolved};
use super::snmprec::parse_number;
use crate::{Recording, RecordingError, Value};

/// One varbind's text, possibly gathered from several lines.
struct Record {
    line: usize,
    /// The OID on the left, or why it did not resolve.
    target: Result<Resolved, String>,
    value: String,
    more: More,
    /// Blank lines seen after a free-text value, kept only if more text follows.
    blanks: usize,
}

/// Which following lines still belong to a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum More {
    /// Inside a quoted string: every line, until the closing quote.
    Quoted { escaped: bool },
    /// Lines of hex bytes.
    Hex,
    /// Any line that does not start a varbind (an unquoted STRING).
    Text,
    /// Nothing: the value is complete.
    Nothing,
}

/// Parses every varbind it can; each one it cannot is added to `problems` with
/// its line number, and the rest of the walk is still read.
pub(super) fn parse(name: &str, text: &str, problems: &mut Vec<RecordingError>) -> Recording {
    let mut recording = Recording::new(name);
    let mut current: Option<Record> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rec) = current.as_mut()
            && let More::Quoted { escaped } = rec.more
        {
            rec.value.push('\n');
            rec.value.push_str(line);
            rec.more = scan_quoted(line, escaped);
            continue;
        }
        if let Some((oid, value)) = split_varbind(line) {
            if let Some(done) = current.take() {
                finish(name, &mut recording, done, problems);
            }
            current = Some(start(line_no, mib_names::resolve(oid), value));
            continue;
        }
        if line.trim() == "End of MIB" {
            if let Some(done) = current.take() {
                finish(name, &mut recording, done, problems);
            }
            continue;
        }
        let Some(rec) = current.as_mut() else {
            if line.trim().is_empty() {
                continue;
            }
            problems.push(RecordingError::at(
                name,
                line_no,
                format!("expected `.OID = TYPE: VALUE` or `MODULE::name.index = TYPE: VALUE`, found {line:?}"),
            ));
            continue;
        };
        match rec.more {
            More::Hex if is_hex_row(line) => {
                rec.value.push(' ');
                rec.value.push_str(line);
            }
            More::Text if line.trim().is_empty() => rec.blanks += 1,
            More::Text => {
                for _ in 0..=rec.blanks {
                    rec.value.push('\n');
                }
                rec.blanks = 0;
                rec.value.push_str(line);
            }
            _ if line.trim().is_empty() => {}
            _ => problems.push(RecordingError::at(
                name,
                line_no,
                format!(
                    "expected `.OID = TYPE: VALUE` or a continuation of line {}, found {line:?}",
                    rec.line
                ),
            )),
        }
    }
    if let Some(rec) = current {
        if let More::Quoted { .. } = rec.more {
            problems.push(RecordingError::at(
                name,
                rec.line,
                "quoted STRING never closes",
            ));
        } else {
            finish(name, &mut recording, rec, problems);
        }
    }
    recording
}

/// Splits a line that starts a varbind into its OID text and value text. The
/// OID need only look like one (numeric, `iso.…` or a name with an index):
/// whether a name resolves is the varbind's own business.
pub(super) fn split_varbind(line: &str) -> Option<(&str, &str)> {
    let (oid, value) = match line.split_once(" = ") {
        Some(parts) => parts,
        None => (line.strip_suffix(" =")?, ""),
    };
    let oid = oid.trim();
    mib_names::looks_like_instance(oid).then_some((oid, value))
}

fn start(line: usize, target: Result<Resolved, String>, value: &str) -> Record {
    let body = strip_wrong_type(value).unwrap_or(value);
    let more = if let Some(inner) = body.strip_prefix('"') {
        scan_quoted(inner, false)
    } else {
        match body.split_once(':') {
            Some((ty, rest)) => {
                let ty = ty.to_ascii_uppercase();
                let rest = rest.strip_prefix(' ').unwrap_or(rest);
                match ty.as_str() {
                    "STRING" => match rest.strip_prefix('"') {
                        Some(inner) => scan_quoted(inner, false),
                        None => More::Text,
                    },
                    "HEX-STRING" | "OPAQUE" => More::Hex,
                    _ => More::Nothing,
                }
            }
            None => More::Nothing,
        }
    };
    Record {
        line,
        target,
        value: value.to_owned(),
        more,
        blanks: 0,
    }
}

/// Scans text inside a quoted string: still open, or closed on this line.
fn scan_quoted(text: &str, mut escaped: bool) -> More {
    for c in text.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return More::Nothing;
        }
    }
    More::Quoted { escaped }
}

fn is_hex_row(line: &str) -> bool {
    let mut tokens = line.split_whitespace().peekable();
    tokens.peek().is_some() && tokens.all(|t| t.len() == 2 && hex_byte(t).is_some())
}

fn hex_byte(token: &str) -> Option<u8> {
    if token.len() == 2 {
        u8::from_str_radix(token, 16).ok()
    } else {
        None
    }
}

fn strip_wrong_type(value: &str) -> Option<&str> {
    let rest = value.strip_prefix("Wrong Type (should be ")?;
    rest.split_once("): ").map(|(_, actual)| actual)
}

/// Adds the varbind, or reports why not.
fn finish(name: &str, recording: &mut Recording, rec: Record, problems: &mut Vec<RecordingError>) {
    let decoded = rec.target.and_then(|target| {
        let value = decode(&rec.value, target.object)?;
        Ok(value.map(|value| (target.oid, value)))
    });
    match decoded {
        Ok(Some((oid, value))) => {
            recording.insert(oid, value);
        }
        Ok(None) => {}
        Err(message) => problems.push(RecordingError::at(name, rec.line, message)),
    }
}

/// The value of one varbind, `None` for the end-of-walk marker. `object` is
/// the MIB object the varbind is an instance of, where the table knows it:
/// its display hint says how an unquoted STRING was printed.
fn decode(text: &str, object: Option<&MibObject>) -> std::result::Result<Option<Value>, String> {
    let text = if text.starts_with("Wrong Type (") {
        strip_wrong_type(text)
            .ok_or_else(|| format!("`Wrong Type` without `(should be …): `: {text:?}"))?
    } else {
        text
    };
    if text.starts_with("No more variables left in this MIB View") {
        return Ok(None);
    }
    if text.starts_with("No Such Object available on this agent") {
        return Ok(Some(Value::NoSuchObject));
    }
    if text.starts_with("No Such Instance currently exists") {
        return Ok(Some(Value::NoSuchInstance));
    }
    if text.trim_end() == "NULL" {
        return Ok(Some(Value::Null));
    }
    if text.starts_with('"') {
        return unquote(text).map(|b| Some(Value::OctetString(b)));
    }
    let Some((ty, body)) = text.split_once(':') else {
        return Err(if text.trim().is_empty() {
            "missing value after `=`".to_owned()
        } else {
            format!("expected `TYPE: VALUE`, found {text:?}")
        });
    };
    let body = body.strip_prefix(' ').unwrap_or(body);
    let first = || body.split_whitespace().next().unwrap_or("");
    let value = match ty.to_ascii_uppercase().as_str() {
        "STRING" => Value::OctetString(if body.starts_with('"') {
            unquote(body)?
        } else {
            hinted(body, object)?
        }),
        "HEX-STRING" => Value::OctetString(hex_bytes(body)?),
        "INTEGER" => {
            let token = first();
            // An enumeration prints as `label(number)`.
            let number = match token.strip_suffix(')').and_then(|t| t.rsplit_once('(')) {
                Some((_, n)) => n,
                None => token,
            };
            let v: i32 = parse_number(number, "INTEGER")?;
            Value::Integer(v.into())
        }
        "OID" => Value::ObjectId(
            mib_names::resolve(first())
                .map_err(|e| format!("OID value: {e}"))?
                .oid,
        ),
        "TIMETICKS" => {
            let ticks = match body.strip_prefix('(') {
                Some(rest) => rest.split_once(')').map(|(n, _)| n).unwrap_or(rest),
                None => first(),
            };
            Value::TimeTicks(parse_number(ticks, "Timeticks")?)
        }
        "COUNTER32" => Value::Counter32(parse_number(first(), "Counter32")?),
        "GAUGE32" | "UNSIGNED32" | "UINTEGER32" => {
            Value::Gauge32(parse_number(first(), "Gauge32")?)
        }
        "COUNTER64" => Value::Counter64(parse_number(first(), "Counter64")?),
        "IPADDRESS" => {
            let ip: std::net::Ipv4Addr = first()
                .parse()
                .map_err(|_| format!("IpAddress value {:?} is not a dotted quad", first()))?;
            Value::IpAddress(ip.octets())
        }
        "NETWORK ADDRESS" => {
            let bytes = first()
                .split(':')
                .map(|t| u8::from_str_radix(t, 16).ok().filter(|_| t.len() <= 2))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| format!("Network Address {:?} is not hex bytes", first()))?;
            let n = bytes.len();
            Value::IpAddress(
                bytes
                    .try_into()
                    .map_err(|_| format!("Network Address must be 4 bytes, found {n}"))?,
            )
        }
        "OPAQUE" => Value::Opaque(opaque(body)?),
        "BITS" => {
            // Hex bytes, then the names of the bits set: `80 00 lowPaper(0)`.
            let bytes: Vec<u8> = body.split_whitespace().map_while(hex_byte).collect();
            Value::OctetString(bytes)
        }
        other => return Err(format!("unknown snmpwalk type {other:?}")),
    };
    Ok(Some(value))
}

/// An unquoted STRING: the value as net-snmp printed it through the display
/// hint of `object`'s SYNTAX, turned back into the device's bytes. Without a
/// known object, or with a text hint (`255a`, `255t`), it is the text itself.
fn hinted(body: &str, object: Option<&MibObject>) -> std::result::Result<Vec<u8>, String> {
    let Some(object) = object.filter(|o| !o.hint.is_empty()) else {
        return Ok(body.as_bytes().to_vec());
    };
    let hint = object.hint;
    let bytes = match hint {
        "1x:" => physical_address(body),
        DATE_AND_TIME => date_and_time(body),
        _ if hint.ends_with('a') || hint.ends_with('t') => Some(body.as_bytes().to_vec()),
        _ => None,
    };
    bytes.ok_or_else(|| {
        format!(
            "{body:?} cannot be turned back into the bytes of {}::{} ({}, DISPLAY-HINT {hint:?})",
            object.module, object.name, object.syntax
        )
    })
}

/// SNMPv2-TC's DateAndTime hint (RFC 2579): `2d-1d-1d,1d:1d:1d.1d,1a1d:1d`.
const DATE_AND_TIME: &str = "2d-1d-1d,1d:1d:1d.1d,1a1d:1d";

/// `1x:`: each byte in hex without leading zero, `:` between (`0:1e:4f:a:b:c`).
fn physical_address(body: &str) -> Option<Vec<u8>> {
    let body = body.trim();
    if body.is_empty() {
        return Some(Vec::new());
    }
    body.split(':')
        .map(|t| {
            u8::from_str_radix(t, 16)
                .ok()
                .filter(|_| (1..=2).contains(&t.len()))
        })
        .collect()
}

/// `2020-1-28,14:25:29.0,+0:0`: year (two bytes), month, day, hour, minutes,
/// seconds, deci-seconds, then optionally the direction from UTC as a byte
/// (`+`/`-`), its hours and minutes: 8 or 11 bytes.
fn date_and_time(body: &str) -> Option<Vec<u8>> {
    let body = body.trim();
    let (date, rest) = body.split_once(',')?;
    let (time, zone) = match rest.split_once(',') {
        Some((time, zone)) => (time, Some(zone)),
        None => (rest, None),
    };
    let mut date = date.splitn(3, '-');
    let year: u16 = date.next()?.parse().ok()?;
    let mut out = year.to_be_bytes().to_vec();
    let small = |t: &str| t.parse::<u8>().ok();
    out.push(small(date.next()?)?);
    out.push(small(date.next()?)?);
    let (clock, deci) = time.split_once('.')?;
    let mut clock = clock.splitn(3, ':');
    for _ in 0..3 {
        out.push(small(clock.next()?)?);
    }
    out.push(small(deci)?);
    if let Some(zone) = zone {
        let direction = zone.chars().next().filter(|c| matches!(c, '+' | '-'))?;
        let (hours, minutes) = zone[1..].split_once(':')?;
        out.extend([direction as u8, small(hours)?, small(minutes)?]);
    }
    Some(out)
}

/// A quoted net-snmp string: `\"` and `\\` are the only escapes.
fn unquote(text: &str) -> std::result::Result<Vec<u8>, String> {
    let inner = text.strip_prefix('"').unwrap_or(text);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => out.push(escaped),
                None => return Err("quoted STRING ends in a lone backslash".into()),
            },
            '"' => {
                let rest = chars.as_str().trim();
                return if rest.is_empty() {
                    Ok(out.into_bytes())
                } else {
                    Err(format!("text after the closing quote: {rest:?}"))
                };
            }
            c => out.push(c),
        }
    }
    Err("quoted STRING never closes".into())
}

fn hex_bytes(body: &str) -> std::result::Result<Vec<u8>, String> {
    body.split_whitespace()
        .map(|t| hex_byte(t).ok_or_else(|| format!("{t:?} is not a hex byte")))
        .collect()
}

/// net-snmp prints the opaque-wrapped float and double of the
/// draft-perkins-opaque types as numbers; re-encode them as the device sent
/// them (tag 0x9f78/0x9f79, length, IEEE big-endian). Anything else is hex.
fn opaque(body: &str) -> std::result::Result<Vec<u8>, String> {
    let (kind, number) = body.split_once(':').unwrap_or(("", body));
    let number = number.trim();
    match kind.trim().to_ascii_uppercase().as_str() {
        "FLOAT" => {
            let f: f32 = number
                .parse()
                .map_err(|_| format!("Opaque Float {number:?} is not a number"))?;
            Ok([&[0x9f, 0x78, 0x04][..], &f.to_be_bytes()].concat())
        }
        "DOUBLE" => {
            let f: f64 = number
                .parse()
                .map_err(|_| format!("Opaque Double {number:?} is not a number"))?;
            Ok([&[0x9f, 0x79, 0x08][..], &f.to_be_bytes()].concat())
        }
        _ => hex_bytes(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Value {
        let r = Recording::parse_snmpwalk("t", text).unwrap();
        assert_eq!(r.len(), 1, "{text}");
        r.iter().next().unwrap().1.clone()
    }

    fn error(text: &str) -> RecordingError {
        Recording::parse_snmpwalk("t.walk", text).unwrap_err()
    }

    #[test]
    fn a_v1_walk_ends_with_end_of_mib() {
        let r = Recording::parse_snmpwalk(
            "v1.walk",
            ".1.3.6.1.2.1.1.1.0 = STRING: \"Printer\"\n.1.3.6.1.2.1.1.5.0 = STRING: \"lp\"\nEnd of MIB\n",
        )
        .unwrap();
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn quoted_strings_unescape_and_run_over_lines() {
        assert_eq!(
            one(".1.3 = STRING: \"say \\\"hi\\\" \\\\ bye\"\n"),
            Value::OctetString(b"say \"hi\" \\ bye".to_vec())
        );
        assert_eq!(
            one(".1.3 = STRING: \"one\r\n.1.3.4 = INTEGER: 5\r\nthree\"\r\n"),
            Value::OctetString(b"one\n.1.3.4 = INTEGER: 5\nthree".to_vec())
        );
        assert_eq!(one(".1.3 = \"\"\n"), Value::OctetString(vec![]));
    }

    #[test]
    fn unquoted_strings_run_until_the_next_varbind() {
        let r = Recording::parse_snmpwalk(
            "t",
            ".1.3.1 = STRING: first\n\nsecond\n\n.1.3.2 = STRING: \n.1.3.3 = INTEGER: 1\n",
        )
        .unwrap();
        let values: Vec<_> = r.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::OctetString(b"first\n\nsecond".to_vec()),
                Value::OctetString(vec![]),
                Value::Integer(1),
            ]
        );
    }

    #[test]
    fn iso_prefix_and_units() {
        let r = Recording::parse_snmpwalk("t", "iso.3.6.1 = Gauge32: 80 percent\n").unwrap();
        assert_eq!(r.get(&"1.3.6.1".parse().unwrap()), Value::Gauge32(80));
    }

    #[test]
    fn opaque_float_is_re_encoded() {
        assert_eq!(
            one(".1.3 = Opaque: Float: 1.5\n"),
            Value::Opaque(vec![0x9f, 0x78, 0x04, 0x3f, 0xc0, 0, 0])
        );
    }

    #[test]
    fn names_resolve_on_the_left_and_in_oid_values() {
        let r = Recording::parse_snmpwalk(
            "named.walk",
            concat!(
                "SNMPv2-MIB::sysObjectID.0 = OID: SNMPv2-SMI::enterprises.367.1.1\n",
                "hrDeviceType.1 = OID: HOST-RESOURCES-TYPES::hrDevicePrinter\n",
                "Printer-MIB::prtMarkerSuppliesType.1.1 = INTEGER: toner(3)\n",
                "IF-MIB::ifSpecific.1 = OID: SNMPv2-SMI::zeroDotZero\n",
            ),
        )
        .unwrap();
        let values: Vec<(String, Value)> =
            r.iter().map(|(o, v)| (o.to_string(), v.clone())).collect();
        let oid = |s: &str| Value::ObjectId(s.parse().unwrap());
        assert_eq!(
            values,
            vec![
                ("1.3.6.1.2.1.1.2.0".into(), oid("1.3.6.1.4.1.367.1.1")),
                ("1.3.6.1.2.1.2.2.1.22.1".into(), oid("0.0")),
                (
                    "1.3.6.1.2.1.25.3.2.1.2.1".into(),
                    oid("1.3.6.1.2.1.25.3.1.5")
                ),
                ("1.3.6.1.2.1.43.11.1.1.5.1.1".into(), Value::Integer(3)),
            ]
        );
    }

    #[test]
    fn a_vendor_object_printed_without_an_index_reads_at_its_oid() {
        let r = Recording::parse_snmpwalk(
            "ricoh.walk",
            concat!(
                "RicohPrivateMIB::ricohSysName = STRING: \"Aficio MP C3002\"\n",
                "RicohPrivateMIB::ricohEngSerialNumber = STRING: \"W492KB03439\"\n",
            ),
        )
        .unwrap();
        assert_eq!(
            r.get(&"1.3.6.1.4.1.367.3.2.1.1.1.1.0".parse().unwrap()),
            Value::OctetString(b"Aficio MP C3002".to_vec())
        );
        assert_eq!(
            r.get(&"1.3.6.1.4.1.367.3.2.1.2.1.4.0".parse().unwrap()),
            Value::OctetString(b"W492KB03439".to_vec())
        );
    }

    #[test]
    fn display_hints_turn_back_into_the_device_bytes() {
        let bytes = |text: &str| match one(text) {
            Value::OctetString(b) => b,
            other => panic!("{other:?}"),
        };
        // PhysAddress (`1x:`), by name and by number: the hint comes from the
        // object's SYNTAX either way.
        assert_eq!(
            bytes("IF-MIB::ifPhysAddress.1 = STRING: 0:1e:4f:a:b:c\n"),
            vec![0x00, 0x1e, 0x4f, 0x0a, 0x0b, 0x0c]
        );
        assert_eq!(
            bytes(".1.3.6.1.2.1.2.2.1.6.1 = STRING: f8:d0:27:29:f1:6f\n"),
            vec![0xf8, 0xd0, 0x27, 0x29, 0xf1, 0x6f]
        );
        assert_eq!(
            bytes("IF-MIB::ifPhysAddress.2 = STRING: \n"),
            Vec::<u8>::new()
        );
        // DateAndTime, with and without the offset from UTC.
        assert_eq!(
            bytes("HOST-RESOURCES-MIB::hrSystemDate.0 = STRING: 2026-1-28,14:25:29.0,+0:0\n"),
            vec![0x07, 0xea, 1, 28, 14, 25, 29, 0, b'+', 0, 0]
        );
        assert_eq!(
            bytes("hrSystemDate.0 = STRING: 1992-5-26,13:30:15.0\n"),
            vec![0x07, 0xc8, 5, 26, 13, 30, 15, 0]
        );
        // A text hint is the text; a quoted STRING has no hint applied.
        assert_eq!(
            bytes("SNMPv2-MIB::sysName.0 = STRING: EPSON29F16F\n"),
            b"EPSON29F16F"
        );
        assert_eq!(bytes("IF-MIB::ifPhysAddress.3 = STRING: \"ab\"\n"), b"ab");
    }

    #[test]
    fn the_other_value_forms_print_the_same_with_names() {
        assert_eq!(
            one("SNMPv2-MIB::sysUpTime.0 = Timeticks: (366052940) 42 days, 8:48:49.40\n"),
            Value::TimeTicks(366052940)
        );
        assert_eq!(
            one("HOST-RESOURCES-MIB::hrPrinterDetectedErrorState.1 = Hex-STRING: 00 \n"),
            Value::OctetString(vec![0])
        );
        assert_eq!(
            one("hrPrinterDetectedErrorState.1 = BITS: 80 00 lowPaper(0) \n"),
            Value::OctetString(vec![0x80, 0])
        );
        assert_eq!(
            one("SNMPv2-SMI::mib-2.4.20.1.1.192.168.0.5 = IpAddress: 192.168.0.5\n"),
            Value::IpAddress([192, 168, 0, 5])
        );
        assert_eq!(
            one("SNMPv2-SMI::enterprises.11.2.3.9.4.2.1.1.3.3.0 = Network Address: C0:A8:00:05\n"),
            Value::IpAddress([192, 168, 0, 5])
        );
        assert_eq!(
            one("Printer-MIB::prtMarkerSuppliesMaxCapacity.1.1 = INTEGER: -2\n"),
            Value::Integer(-2)
        );
    }

    #[test]
    fn an_unknown_name_is_reported_and_the_rest_reads() {
        let mut problems = Vec::new();
        let r = parse(
            "lab/printer.walk",
            concat!(
                "SNMPv2-MIB::sysDescr.0 = STRING: Printer\n",
                "IP-MIB::ipAdEntIfIndex.192.168.0.5 = STRING: \"one\n",
                "two\"\n",
                "SNMPv2-MIB::sysObjectID.0 = OID: IP-MIB::ipForwarding.1\n",
                "SNMPv2-MIB::sysName.0 = STRING: lp\n",
            ),
            &mut problems,
        );
        assert_eq!(r.len(), 2);
        // Each line that names what the table lacks, with its file and line.
        let expected = [
            "lab/printer.walk:2: MIB name IP-MIB::ipAdEntIfIndex is not in",
            "lab/printer.walk:4: OID value: MIB name IP-MIB::ipForwarding is not in",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:?}");
        for (problem, start) in problems.iter().zip(expected) {
            assert!(problem.to_string().starts_with(start), "{problem}");
        }
    }

    #[test]
    fn a_hinted_value_that_does_not_read_back_costs_its_line_and_says_why() {
        let mut problems = Vec::new();
        let r = parse(
            "t",
            "IF-MIB::ifPhysAddress.1 = STRING: not-hex\nIF-MIB::ifIndex.1 = INTEGER: 1\n",
            &mut problems,
        );
        assert_eq!(r.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .message
                .contains("IF-MIB::ifPhysAddress (PhysAddress, DISPLAY-HINT \"1x:\")"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (".1.3 = INTEGER: 1\nnonsense\n", 2, "continuation of line 1"),
            ("garbage\n", 1, "expected `.OID = TYPE: VALUE`"),
            (
                ".1.3 = INTEGER: 1\n.1.4 = INTEGER: many\n",
                2,
                "not a number",
            ),
            (".1.3 = Counter32: 4294967296\n", 1, "out of range"),
            (".1.3 = Hex-STRING: 0G\n", 1, "not a hex byte"),
            (
                ".1.3 = Hex-STRING: 00 01\n02 0\n",
                2,
                "continuation of line 1",
            ),
            ("\n.1.3 = STRING: \"open\nstill\n", 2, "never closes"),
            (".1.3 = STRING: \"a\" b\n", 1, "after the closing quote"),
            (".1.3 = Float: 2\n", 1, "unknown snmpwalk type"),
            (".1.3 = \n", 1, "missing value"),
            (".1.3 = IpAddress: 1.2.3\n", 1, "dotted quad"),
            (".1.3 = OID: .1.x\n", 1, "not numeric"),
            (".1.3 = Network Address: 0A:00:01\n", 1, "4 bytes"),
            (".1.3 = Wrong Type (should be INTEGER) 5\n", 1, "Wrong Type"),
        ];
        for (text, line, what) in cases {
            let e = error(text);
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(what), "{text:?}: {e}");
            assert_eq!(e.file, "t.walk");
        }
    }
}
