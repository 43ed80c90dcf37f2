//! The names a reading's counters go by: one vocabulary for every strategy,
//! the host's IPP reader and the dealer's meter reads, so the same meaning has
//! the same name whichever maker's MIB it came from.
//!
//! Names are lower case, a function first and a colour or size after a dot
//! (`print.mono`); a name without a dot is the sum over what the dot would
//! split (`print` is `print.mono` + `print.color`). A strategy reports only the
//! counters its device has. The host warns about any other name in `quire
//! replay`'s `warnings` and in its log, and the SDK's test harness fails on one:
//! a new meaning is added here, with its constant, before a strategy reports it.
//!
//! This module uses nothing else of the SDK, so the host depends on it for the
//! same list rather than keeping a copy.

/// Every impression the device made, whatever made it.
pub const TOTAL: &str = "total";
/// Impressions in black and white, whatever made them.
pub const MONO: &str = "mono";
/// Impressions in colour (full, two or single colour), whatever made them.
pub const COLOR: &str = "color";
/// Impressions of printed jobs.
pub const PRINT: &str = "print";
/// Printed impressions in black and white.
pub const PRINT_MONO: &str = "print.mono";
/// Printed impressions in colour.
pub const PRINT_COLOR: &str = "print.color";
/// Impressions of copies.
pub const COPY: &str = "copy";
/// Copies in black and white.
pub const COPY_MONO: &str = "copy.mono";
/// Copies in colour.
pub const COPY_COLOR: &str = "copy.color";
/// Impressions of received faxes.
pub const FAX: &str = "fax";
/// Received faxes in black and white.
pub const FAX_MONO: &str = "fax.mono";
/// Received faxes in colour.
pub const FAX_COLOR: &str = "fax.color";
/// Images scanned, by any function (copy, send, fax, store).
pub const SCAN: &str = "scan";
/// Images scanned in black and white.
pub const SCAN_MONO: &str = "scan.mono";
/// Images scanned in colour.
pub const SCAN_COLOR: &str = "scan.color";
/// Pages printed on both sides (the device's own unit: sheets or impressions).
pub const DUPLEX: &str = "duplex";
/// Originals fed through the document feeder.
pub const FEEDER: &str = "feeder";
/// Large-format (A3, tabloid) impressions in black and white.
pub const LARGE_MONO: &str = "large.mono";
/// Large-format impressions in colour.
pub const LARGE_COLOR: &str = "large.color";
/// Small-format (A4, letter and below) impressions in black and white.
pub const SMALL_MONO: &str = "small.mono";
/// Small-format impressions in colour.
pub const SMALL_COLOR: &str = "small.color";
/// Media sheets through the device (IPP `printer-media-sheets-completed`):
/// a two-sided sheet counts once.
pub const SHEETS: &str = "sheets";
/// Document pages printed (IPP `printer-pages-completed`), before n-up and
/// copies make impressions of them.
pub const PAGES: &str = "pages";

/// Every name in the vocabulary.
pub const ALL: &[&str] = &[
    TOTAL,
    MONO,
    COLOR,
    PRINT,
    PRINT_MONO,
    PRINT_COLOR,
    COPY,
    COPY_MONO,
    COPY_COLOR,
    FAX,
    FAX_MONO,
    FAX_COLOR,
    SCAN,
    SCAN_MONO,
    SCAN_COLOR,
    DUPLEX,
    FEEDER,
    LARGE_MONO,
    LARGE_COLOR,
    SMALL_MONO,
    SMALL_COLOR,
    SHEETS,
    PAGES,
];

/// Whether `name` is in the vocabulary.
pub fn is_known(name: &str) -> bool {
    ALL.contains(&name)
}

/// What the host and the harness say about a counter outside the vocabulary.
pub fn unknown(name: &str) -> String {
    format!(
        "counter {name:?} is not in the SDK's vocabulary (quire_plugins_sdk::counters); \
         use a name from there or add one there"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lower_case_and_dotted() {
        for (i, name) in ALL.iter().enumerate() {
            assert!(!ALL[..i].contains(name), "{name} twice");
            assert!(
                name.split('.')
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase())),
                "{name}"
            );
        }
    }

    #[test]
    fn a_name_outside_the_vocabulary_is_unknown() {
        assert!(is_known("print.mono"));
        assert!(!is_known("colour"));
        assert!(unknown("colour").starts_with("counter \"colour\" is not in"));
    }
}
