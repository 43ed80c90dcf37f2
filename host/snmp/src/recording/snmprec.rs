//! snmpsim's `.snmprec` format: one `OID|TAG|VALUE` per line.
//!
//! This follows snmpsim's own reader (`snmpsim/grammar/snmprec.py` and
//! `snmpsim/record/snmprec.py`) so that a file either tool accepts means the
//! same to both:
//!
//! - Each line is stripped of surrounding whitespace (so CRLF files work, and a
//!   string value's trailing spaces are lost, exactly as snmpsim loses them),
//!   then split on the first two `|`: a value may itself contain `|`.
//! - Blank lines and lines starting with `#` are skipped.
//! - TAG is the BER type number (2, 4, 5, 6, 64, 65, 66, 67, 68, 70 and the
//!   exceptions 128, 129, 130), optionally followed by `x` (the value is hex)
//!   or `e` (the value is a Python-escaped byte string: `\\`, `\'`, `\"`, `\a`,
//!   `\b`, `\f`, `\n`, `\r`, `\t`, `\v`, `\xNN`). Like snmpsim, `x` and `e` only
//!   apply to the byte-string types 4, 64 and 68.
//! - A later line for the same OID replaces an earlier one: snmpsim's index
//!   keeps the last offset it saw for an OID, so GET answers with the later line.
//!
//! Where snmpsim is lenient by accident we are strict, because a recording is
//! test evidence: an odd number of hex digits (pyasn1 pads a zero), a dangling
//! `\` or `\x` at the end of an `e` value (snmpsim drops it), and variation
//! module tags (`2:numeric`), which replay cannot honour, are errors.
//!
//! One thing snmpsim does not do: a `4x` string kept in net-snmp's display
//! form (see [`super::display_form`]) is turned back into the device's bytes,
//! with a note naming its line.

use std::fmt::Write as _;

use super::display_form;
use crate::{Oid, Recording, RecordingError, Value};

/// Parses every line it can; each line it cannot is added to `problems` with
/// its number, and the rest of the file is still read.
pub(super) fn parse(name: &str, text: &str, problems: &mut Vec<RecordingError>) -> Recording {
    parse_noting(name, text, problems, &mut Vec::new())
}

/// [`parse`], adding to `notes` each value that was read but rewritten on the
/// way in (a display form decoded), with its line.
pub(super) fn parse_noting(
    name: &str,
    text: &str,
    problems: &mut Vec<RecordingError>,
    notes: &mut Vec<RecordingError>,
) -> Recording {
    let mut recording = Recording::new(name);
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| RecordingError::at(name, i + 1, message);
        let mut fields = line.splitn(3, '|');
        let (Some(oid), Some(tag), Some(value)) = (fields.next(), fields.next(), fields.next())
        else {
            problems.push(err(format!("expected OID|TAG|VALUE, found {line:?}")));
            continue;
        };
        if tag.is_empty() {
            problems.push(err(format!("missing TAG in {line:?}")));
            continue;
        }
        let parsed = oid
            .parse::<Oid>()
            .map_err(|e| format!("{e}"))
            .and_then(|oid| Ok((oid, decode(tag, value)?)));
        match parsed {
            Ok((oid, Value::OctetString(shown))) if tag == "4x" => {
                let value = match display_form::decode(&shown) {
                    Some(sent) => {
                        notes.push(err(format!(
                            "{oid}: a string kept as net-snmp displayed it (text, newline, hex \
                             dump) was read back as the {} bytes the device sent",
                            sent.len()
                        )));
                        sent
                    }
                    None => shown,
                };
                recording.insert(oid, Value::OctetString(value));
            }
            Ok((oid, value)) => {
                recording.insert(oid, value);
            }
            Err(message) => problems.push(err(message)),
        }
    }
    recording
}

/// How the VALUE field is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Plain,
    Hex,
    Escaped,
}

fn decode(tag: &str, text: &str) -> std::result::Result<Value, String> {
    if tag.contains(':') {
        return Err(format!(
            "tag {tag:?} names an snmpsim variation module; replay serves recorded values only"
        ));
    }
    let (number, encoding) = if let Some(n) = tag.strip_suffix('x') {
        (n, Encoding::Hex)
    } else if let Some(n) = tag.strip_suffix('e') {
        (n, Encoding::Escaped)
    } else {
        (tag, Encoding::Plain)
    };
    let octets = || -> std::result::Result<Vec<u8>, String> {
        match encoding {
            Encoding::Plain => Ok(text.as_bytes().to_vec()),
            Encoding::Hex => unhex(text),
            Encoding::Escaped => unescape(text),
        }
    };
    let plain_only = |what: &str| -> std::result::Result<&str, String> {
        if encoding == Encoding::Plain {
            Ok(text.trim())
        } else {
            Err(format!(
                "tag {tag:?}: {what} has no hex or escaped form (only 4, 64 and 68 do)"
            ))
        }
    };
    let empty = |what: &str| -> std::result::Result<(), String> {
        if text.trim().is_empty() {
            Ok(())
        } else {
            Err(format!("{what} takes no value, found {text:?}"))
        }
    };
    Ok(match number {
        "2" => {
            let t = plain_only("Integer32")?;
            let v: i32 = parse_number(t, "Integer32")?;
            Value::Integer(v.into())
        }
        "4" => Value::OctetString(octets()?),
        "5" => {
            empty("NULL")?;
            Value::Null
        }
        "6" => Value::ObjectId(
            plain_only("OBJECT IDENTIFIER")?
                .parse()
                .map_err(|e| format!("OBJECT IDENTIFIER value: {e}"))?,
        ),
        "64" => {
            if encoding == Encoding::Plain {
                let ip: std::net::Ipv4Addr = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("IpAddress value {text:?} is not a dotted quad"))?;
                Value::IpAddress(ip.octets())
            } else {
                let bytes = octets()?;
                let n = bytes.len();
                Value::IpAddress(
                    bytes
                        .try_into()
                        .map_err(|_| format!("IpAddress must be 4 bytes, found {n}"))?,
                )
            }
        }
        "65" => Value::Counter32(parse_number(plain_only("Counter32")?, "Counter32")?),
        "66" => Value::Gauge32(parse_number(plain_only("Gauge32")?, "Gauge32")?),
        "67" => Value::TimeTicks(parse_number(plain_only("TimeTicks")?, "TimeTicks")?),
        "68" => Value::Opaque(octets()?),
        "70" => Value::Counter64(parse_number(plain_only("Counter64")?, "Counter64")?),
        "128" => {
            empty("noSuchObject")?;
            Value::NoSuchObject
        }
        "129" => {
            empty("noSuchInstance")?;
            Value::NoSuchInstance
        }
        "130" => {
            empty("endOfMibView")?;
            Value::EndOfMibView
        }
        _ => return Err(format!("unknown tag {tag:?}")),
    })
}

/// Parses a decimal number of type `T`, telling "not a number" from "out of
/// range" because the fix differs (a typo versus the wrong tag).
pub(super) fn parse_number<T>(text: &str, what: &str) -> std::result::Result<T, String>
where
    T: TryFrom<i128>,
{
    let wide: i128 = text
        .parse()
        .map_err(|_| format!("{what} value {text:?} is not a number"))?;
    T::try_from(wide).map_err(|_| format!("{what} value {wide} is out of range"))
}

fn unhex(text: &str) -> std::result::Result<Vec<u8>, String> {
    let t = text.trim().as_bytes();
    if !t.len().is_multiple_of(2) {
        return Err(format!(
            "hex value {:?} has an odd number of digits",
            text.trim()
        ));
    }
    t.chunks_exact(2)
        .map(|pair| match (hex_digit(pair[0]), hex_digit(pair[1])) {
            (Some(hi), Some(lo)) => Ok(hi << 4 | lo),
            _ => Err(format!("hex value {:?} has a non-hex digit", text.trim())),
        })
        .collect()
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Decodes snmpsim's `e` values: Python byte-string escapes. Characters that
/// are not escaped stand for their own bytes (snmpsim reads the file as
/// Latin-1 and writes the same bytes back; for UTF-8 text that is the UTF-8).
fn unescape(text: &str) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let byte = match chars.next() {
            Some('\\') => b'\\',
            Some('\'') => b'\'',
            Some('"') => b'"',
            Some('a') => 0x07,
            Some('b') => 0x08,
            Some('f') => 0x0c,
            Some('n') => b'\n',
            Some('r') => b'\r',
            Some('t') => b'\t',
            Some('v') => 0x0b,
            Some('x') => {
                let digits = (chars.next(), chars.next());
                match digits {
                    (Some(hi), Some(lo)) => match (hi.to_digit(16), lo.to_digit(16)) {
                        (Some(hi), Some(lo)) => u8::try_from(hi << 4 | lo).unwrap_or(0),
                        _ => return Err(format!("escape \\x{hi}{lo} is not two hex digits")),
                    },
                    _ => return Err("escape \\x needs two hex digits".into()),
                }
            }
            Some(other) => return Err(format!("unknown escape \\{other}")),
            None => return Err("escaped value ends in a lone backslash".into()),
        };
        out.push(byte);
    }
    Ok(out)
}

/// Writes `recording` as snmpsim serves it back: sorted, one line per
/// varbind, byte strings as text only where snmpsim would read the same bytes.
pub(super) fn write(recording: &Recording) -> String {
    let mut out = String::new();
    for (oid, value) in recording.iter() {
        // Writing to a String cannot fail.
        let _ = match value {
            Value::Integer(v) => writeln!(out, "{oid}|2|{v}"),
            Value::OctetString(bytes) => write_octets(&mut out, oid, "4", bytes),
            Value::Null => writeln!(out, "{oid}|5|"),
            Value::ObjectId(v) => writeln!(out, "{oid}|6|{v}"),
            Value::IpAddress(a) => {
                writeln!(out, "{oid}|64|{}", std::net::Ipv4Addr::from(*a))
            }
            Value::Counter32(v) => writeln!(out, "{oid}|65|{v}"),
            Value::Gauge32(v) => writeln!(out, "{oid}|66|{v}"),
            Value::TimeTicks(v) => writeln!(out, "{oid}|67|{v}"),
            Value::Opaque(bytes) => write_octets(&mut out, oid, "68", bytes),
            Value::Counter64(v) => writeln!(out, "{oid}|70|{v}"),
            Value::NoSuchObject => writeln!(out, "{oid}|128|"),
            Value::NoSuchInstance => writeln!(out, "{oid}|129|"),
            Value::EndOfMibView => writeln!(out, "{oid}|130|"),
        };
    }
    out
}

fn write_octets(out: &mut String, oid: &Oid, tag: &str, bytes: &[u8]) -> std::fmt::Result {
    // Printable ASCII reads back byte for byte, except trailing whitespace,
    // which the line strip would eat.
    let as_text =
        bytes.iter().all(|b| (0x20..0x7f).contains(b)) && bytes.last().is_none_or(|&b| b != b' ');
    if as_text {
        // Checked printable ASCII above, so this is valid UTF-8.
        writeln!(out, "{oid}|{tag}|{}", String::from_utf8_lossy(bytes))
    } else if display_form::decode(bytes).is_some() {
        // As hex it would read back as a display form: escaped, it reads as is.
        write!(out, "{oid}|{tag}e|")?;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b' ' if i + 1 == bytes.len() => out.push_str("\\x20"),
                0x20..0x7f => out.push(char::from(b)),
                _ => write!(out, "\\x{b:02x}")?,
            }
        }
        writeln!(out)
    } else {
        write!(out, "{oid}|{tag}x|")?;
        for b in bytes {
            write!(out, "{b:02x}")?;
        }
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Value {
        let r = Recording::parse_snmprec("t", line).unwrap();
        assert_eq!(r.len(), 1, "{line}");
        r.iter().next().unwrap().1.clone()
    }

    fn error(text: &str) -> RecordingError {
        Recording::parse_snmprec("t.snmprec", text).unwrap_err()
    }

    #[test]
    fn every_tag_snmpsim_knows() {
        assert_eq!(one("1.3|2|-5"), Value::Integer(-5));
        assert_eq!(one("1.3|4|text"), Value::OctetString(b"text".to_vec()));
        assert_eq!(one("1.3|5|"), Value::Null);
        assert_eq!(
            one("1.3|6|1.3.6.1.4.1.11"),
            Value::ObjectId("1.3.6.1.4.1.11".parse().unwrap())
        );
        assert_eq!(one("1.3|64|10.0.0.1"), Value::IpAddress([10, 0, 0, 1]));
        assert_eq!(one("1.3|65|4294967295"), Value::Counter32(u32::MAX));
        assert_eq!(one("1.3|66|7"), Value::Gauge32(7));
        assert_eq!(one("1.3|67|12345"), Value::TimeTicks(12345));
        assert_eq!(one("1.3|68|ab"), Value::Opaque(b"ab".to_vec()));
        assert_eq!(
            one("1.3|70|18446744073709551615"),
            Value::Counter64(u64::MAX)
        );
        assert_eq!(one("1.3|128|"), Value::NoSuchObject);
        assert_eq!(one("1.3|129|"), Value::NoSuchInstance);
        assert_eq!(one("1.3|130|"), Value::EndOfMibView);
    }

    #[test]
    fn hex_applies_to_byte_strings() {
        assert_eq!(
            one("1.3|4x|00FFa0"),
            Value::OctetString(vec![0, 0xff, 0xa0])
        );
        assert_eq!(one("1.3|4x|"), Value::OctetString(vec![]));
        assert_eq!(one("1.3|64x|0a000001"), Value::IpAddress([10, 0, 0, 1]));
        assert_eq!(one("1.3|68x|9f7804"), Value::Opaque(vec![0x9f, 0x78, 4]));
        assert!(error("1.3|2x|05").message.contains("no hex"));
        assert!(error("1.3|6x|2b06").message.contains("no hex"));
        assert!(error("1.3|64x|0a0000").message.contains("4 bytes"));
    }

    #[test]
    fn escaped_values_are_python_byte_strings() {
        assert_eq!(
            one(r#"1.3|4e|a\nb\\c\x00\xFF\'\"\t\r\a\b\f\v"#),
            Value::OctetString(b"a\nb\\c\x00\xff'\"\t\r\x07\x08\x0c\x0b".to_vec())
        );
        assert_eq!(
            one(r"1.3|64e|\n\x00\x00\x01"),
            Value::IpAddress([10, 0, 0, 1])
        );
        assert_eq!(
            one("1.3|4e|caf\u{e9}"),
            Value::OctetString("café".as_bytes().to_vec())
        );
        assert!(error(r"1.3|4e|a\q").message.contains("unknown escape"));
        assert!(error(r"1.3|4e|a\x4").message.contains("two hex digits"));
        assert!(error(r"1.3|4e|a\xZZ").message.contains("two hex digits"));
        assert!(error(r"1.3|4e|a\").message.contains("lone backslash"));
        assert!(error(r"1.3|2e|5").message.contains("no hex or escaped"));
    }

    #[test]
    fn pipes_crlf_comments_blanks_and_whitespace() {
        let r = Recording::parse_snmprec(
            "t",
            "# recorded\r\n\r\n  \n1.3.1|4|a|b|c\r\n1.3.2|4| lead and trail  \r\n1.3.3|4| \n",
        )
        .unwrap();
        let values: Vec<_> = r.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::OctetString(b"a|b|c".to_vec()),
                Value::OctetString(b" lead and trail".to_vec()),
                Value::OctetString(vec![]),
            ]
        );
    }

    #[test]
    fn a_later_duplicate_wins_like_snmpsim() {
        let r = Recording::parse_snmprec("t", "1.3|2|1\n1.2|2|0\n1.3|2|2\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r.get(&"1.3".parse().unwrap()), Value::Integer(2));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("1.3|2|1\n1.x.3|2|1\n", 2, "not a numeric OID"),
            ("1.3|2|1\n\n1.3|99|1\n", 3, "unknown tag"),
            ("1.3|4x|abc\n", 1, "odd number"),
            ("# c\n1.3|4x|zz\n", 2, "non-hex"),
            ("1.3|2|five\n", 1, "not a number"),
            ("1.3|2|2147483648\n", 1, "out of range"),
            ("1.3|65|-1\n", 1, "out of range"),
            ("1.3|65|4294967296\n", 1, "out of range"),
            ("1.3|70|-1\n", 1, "out of range"),
            ("1.3|4|a\n1.3.1|2\n", 2, "expected OID|TAG|VALUE"),
            ("1.3||5\n", 1, "missing TAG"),
            ("1.3|5|x\n", 1, "takes no value"),
            ("1.3|64|10.0.0\n", 1, "dotted quad"),
            ("1.3|2:numeric|min=1\n", 1, "variation module"),
            ("1.3|4x|é1\n", 1, "odd number"),
            ("1.3|4x|é\n", 1, "non-hex"),
        ];
        for (text, line, what) in cases {
            let e = error(text);
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(what), "{text:?}: {e}");
            assert_eq!(e.file, "t.snmprec");
        }
    }

    #[test]
    fn a_net_snmp_display_form_reads_as_the_device_sent_it_with_a_note() {
        // "Black Cartridge \n38 32 37 41 20 00" in hex, as a capture keeps it.
        let text = "1.3.1|4|plain\n\
                    1.3.2|4x|426c61636b20436172747269646765200a3338203332203337203431203230203030\n\
                    1.3.3|4x|6c696e650a627265616b\n";
        let (mut problems, mut notes) = (Vec::new(), Vec::new());
        let r = parse_noting("capture.snmprec", text, &mut problems, &mut notes);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            r.get(&"1.3.2".parse().unwrap()),
            Value::OctetString(b"Black Cartridge 827A \x00".to_vec())
        );
        assert_eq!(
            r.get(&"1.3.3".parse().unwrap()),
            Value::OctetString(b"line\nbreak".to_vec())
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(
            (notes[0].file.as_str(), notes[0].line),
            ("capture.snmprec", 2)
        );
        assert!(notes[0].message.contains("1.3.2"), "{}", notes[0]);
    }

    #[test]
    fn a_value_that_looks_like_a_display_form_is_written_escaped() {
        let mut r = Recording::new("w");
        let shown = b"Toner \\\n38 32 ".to_vec();
        r.insert("1.3.1".parse().unwrap(), Value::OctetString(shown));
        assert_eq!(write(&r), "1.3.1|4e|Toner \\\\\\n38 32\\x20\n");
        let (mut problems, mut notes) = (Vec::new(), Vec::new());
        let back = parse_noting("w", &write(&r), &mut problems, &mut notes);
        assert_eq!((back, problems, notes), (r, vec![], vec![]));
    }

    #[test]
    fn writes_text_only_where_it_reads_back_the_same() {
        let mut r = Recording::new("w");
        let oid = |s: &str| s.parse::<Oid>().unwrap();
        r.insert(oid("1.3.1"), Value::OctetString(b"a|b \\n".to_vec()));
        r.insert(oid("1.3.2"), Value::OctetString(b"line\nbreak".to_vec()));
        r.insert(oid("1.3.3"), Value::OctetString(b"trailing ".to_vec()));
        r.insert(oid("1.3.10"), Value::IpAddress([10, 0, 0, 1]));
        r.insert(oid("1.3.4"), Value::Opaque(vec![0x9f, 0x78]));
        assert_eq!(
            write(&r),
            "1.3.1|4|a|b \\n\n1.3.2|4x|6c696e650a627265616b\n1.3.3|4x|747261696c696e6720\n\
             1.3.4|68x|9f78\n1.3.10|64|10.0.0.1\n"
        );
        let back = Recording::parse_snmprec("w", &write(&r)).unwrap();
        assert_eq!(back, r);
    }
}
