//! net-snmp's `snmpwalk -On` output: `.OID = TYPE: VALUE`, one varbind per
//! line except where net-snmp itself wraps a value:
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

use super::snmprec::parse_number;
use crate::{Oid, Recording, RecordingError, Value};

/// One varbind's text, possibly gathered from several lines.
struct Record {
    line: usize,
    oid: Oid,
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
            current = Some(start(line_no, oid, value));
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
                format!("expected `.OID = TYPE: VALUE`, found {line:?}"),
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

/// Splits a line that starts a varbind into its OID and value text.
pub(super) fn split_varbind(line: &str) -> Option<(Oid, &str)> {
    let (oid, value) = match line.split_once(" = ") {
        Some(parts) => parts,
        None => (line.strip_suffix(" =")?, ""),
    };
    Some((parse_oid(oid.trim())?, value))
}

/// `-On` gives `.1.3.6…`; without it net-snmp may print `iso.3.6…`.
fn parse_oid(text: &str) -> Option<Oid> {
    match text.strip_prefix("iso") {
        Some("") => Some(Oid::new(vec![1])),
        Some(rest) => format!("1{rest}").parse().ok(),
        None => text.parse().ok(),
    }
}

fn start(line: usize, oid: Oid, value: &str) -> Record {
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
        oid,
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

fn finish(name: &str, recording: &mut Recording, rec: Record, problems: &mut Vec<RecordingError>) {
    match decode(&rec.value) {
        Ok(Some(value)) => {
            recording.insert(rec.oid, value);
        }
        Ok(None) => {}
        Err(message) => problems.push(RecordingError::at(name, rec.line, message)),
    }
}

/// The value of one varbind, `None` for the end-of-walk marker.
fn decode(text: &str) -> std::result::Result<Option<Value>, String> {
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
            body.as_bytes().to_vec()
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
            parse_oid(first()).ok_or_else(|| format!("OID value {:?} is not numeric", first()))?,
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
