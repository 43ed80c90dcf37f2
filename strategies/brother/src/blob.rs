//! The record layout of Brother's binary objects under
//! `brInfo` (`2435.2.3.9.4.2.1.5.5`): `brInfoCounter` (`.10.0`),
//! `brInfoMaintenance` (`.8.0`) and `brInfoNextCare` (`.11.0`).
//!
//! Each is a run of records `code, type, length, value` (value big-endian,
//! `length` bytes), ended by `0xFF` or by the end of the string: the `brother`
//! Python library (bieniu/brother, Home Assistant's Brother integration) reads
//! them so, and the twelve printers in its test data (copied to
//! `fixtures/recorded/bieniu-brother/`) are written so, with 4-byte values
//! and, on the HL-5350DN, 1-byte ones.
//!
//! Older inkjets (the MFC-5490CN in that data) write `brInfoMaintenance` in
//! five-byte records `code, 01, 02, level, capacity` with capacity 20 (`0x14`)
//! in every record; the library tells them apart by that byte, and so does
//! [`legacy_levels`].

/// The code that ends a blob.
const END: u8 = 0xFF;

/// Every `(code, value)` record of a blob, in order; stops at the end code or
/// at a record cut short. A value longer than 8 bytes is skipped.
pub(crate) fn records(blob: &[u8]) -> Vec<(u8, Value)> {
    let mut found = Vec::new();
    let mut rest = blob;
    while let [code, _type, length, tail @ ..] = rest {
        if *code == END {
            break;
        }
        let Some(value) = tail.get(..usize::from(*length)) else {
            break;
        };
        rest = &tail[value.len()..];
        if value.len() <= 8 {
            found.push((*code, Value::of(value)));
        }
    }
    found
}

/// One record's value and how many bytes it was written in, since the same
/// code can mean a percentage in hundredths (4 bytes) or a status (1 byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    pub(crate) number: u64,
    pub(crate) width: usize,
}

impl Value {
    fn of(bytes: &[u8]) -> Value {
        Value {
            number: bytes.iter().fold(0, |sum, b| (sum << 8) | u64::from(*b)),
            width: bytes.len(),
        }
    }
}

/// The legacy maintenance layout's `(code, level, capacity)` records, or
/// `None` when the blob is not in it (every record five bytes, `01 02` after
/// the code, capacity 20).
pub(crate) fn legacy_levels(blob: &[u8]) -> Option<Vec<(u8, u8, u8)>> {
    let blob = blob.strip_suffix(&[END]).unwrap_or(blob);
    if blob.is_empty() || !blob.len().is_multiple_of(5) {
        return None;
    }
    blob.chunks_exact(5)
        .map(|record| match *record {
            [code, 0x01, 0x02, level, 0x14] => Some((code, level, 0x14)),
            _ => None,
        })
        .collect()
}

/// A blob written as hex, as the brother library's test data writes them.
#[cfg(test)]
pub(crate) fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_four_and_one_byte_values_end_at_ff_or_the_end() {
        // The DCP-L2540DN's brInfoMaintenance, then the HL-5350DN's start.
        let modern = hex("630104000000011101040000064341010400002260ff6f");
        assert_eq!(
            records(&modern),
            [
                (
                    0x63,
                    Value {
                        number: 1,
                        width: 4
                    }
                ),
                (
                    0x11,
                    Value {
                        number: 0x643,
                        width: 4
                    }
                ),
                (
                    0x41,
                    Value {
                        number: 0x2260,
                        width: 4
                    }
                ),
            ]
        );
        let short = hex("110104000061a83101010141010103");
        assert_eq!(
            records(&short)[2],
            (
                0x41,
                Value {
                    number: 3,
                    width: 1
                }
            )
        );
        assert_eq!(records(&hex("6f01040000")), []);
        assert_eq!(records(&[]), []);
    }

    #[test]
    fn the_legacy_layout_is_five_byte_records_of_capacity_twenty() {
        // The MFC-5490CN's brInfoMaintenance.
        let legacy = hex("a101020414a201020c14a301020614a401020b14");
        assert_eq!(
            legacy_levels(&legacy).unwrap(),
            [(0xa1, 4, 20), (0xa2, 12, 20), (0xa3, 6, 20), (0xa4, 11, 20)]
        );
        assert_eq!(legacy_levels(&hex("6301040000000111010400000643")), None);
        assert_eq!(legacy_levels(&hex("a101020415")), None);
        assert_eq!(legacy_levels(&[]), None);
    }
}
