//! OCTET STRINGs kept as net-snmp displayed them instead of as the device sent
//! them.
//!
//! Some public captures (LibreNMS's capture scripts among them) store the text
//! net-snmp printed for a string rather than its bytes. For a string that
//! starts printable and then holds bytes net-snmp will not print as text, that
//! display is the printable start, a newline, and a space-separated hex dump of
//! the rest, wrapped every 16 octets: `Black Cartridge \n38 32 37 41 20 …` for
//! the bytes `Black Cartridge 827A …`. Read as is, a supply description or a
//! serial number would carry a hex dump; [`decode`] turns the display back
//! into the device's bytes.
//!
//! The form is recognised only in hex-encoded (`4x`) `.snmprec` values, the
//! way such captures store a value that holds a newline. Quire's own writer
//! never produces it: a byte string that would match is written escaped
//! (`4e`), which snmpsim reads as the same bytes, so `quire record` output and
//! the readings agents upload read back byte for byte.

/// The device's bytes behind a displayed value, or `None` when `shown` is not
/// in the display form: one line of printable ASCII text, then only lines of
/// two-digit hex bytes separated by single spaces (a trailing space or empty
/// last line allowed, as net-snmp leaves them).
pub(super) fn decode(shown: &[u8]) -> Option<Vec<u8>> {
    let newline = shown.iter().position(|&b| b == b'\n')?;
    let (text, rest) = (&shown[..newline], &shown[newline + 1..]);
    if text.is_empty() || !text.iter().all(|b| (0x20..0x7f).contains(b)) {
        return None;
    }
    let mut bytes = text.to_vec();
    let mut any = false;
    for line in rest.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b" ").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        for pair in line.split(|&b| b == b' ') {
            let [hi, lo] = pair else { return None };
            let digit = |d: &u8| char::from(*d).to_digit(16);
            bytes.push(u8::try_from(digit(hi)? << 4 | digit(lo)?).ok()?);
            any = true;
        }
    }
    any.then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn the_text_then_the_hex_dump_of_the_rest() {
        assert_eq!(
            decode(b"Black Cartridge \n38 32 37 41 20 00").as_deref(),
            Some(&b"Black Cartridge 827A \x00"[..])
        );
        let wrapped = b"Serial\n41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F 50 \n51 00 \n";
        assert_eq!(
            decode(wrapped).as_deref(),
            Some(&b"SerialABCDEFGHIJKLMNOPQ\x00"[..])
        );
    }

    #[test]
    fn anything_else_is_left_alone() {
        for shown in [
            &b"Black Cartridge"[..],
            b"line one\nline two",
            b"Toner\n38 3",
            b"Toner\n38  32",
            b"Toner\n383",
            b"Toner\nGG",
            b"Toner\n",
            b"\n38 32",
            b"caf\xc3\xa9\n38 32",
        ] {
            assert_eq!(decode(shown), None, "{:?}", String::from_utf8_lossy(shown));
        }
    }
}
