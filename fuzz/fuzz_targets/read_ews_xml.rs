//! The HP embedded web server's LEDM pages, read by the `hp-ews` strategy's
//! page parsers (natively, as its test harness runs them). Any text: no panic,
//! at most one parser accepts a page (each wants its own root element), and
//! what they return is well-formed (trimmed non-empty text, supplies and
//! alerts numbered 1..n, counters once each in their fixed order, no error
//! bit twice). Generated pages: every value written, in any characters,
//! escaped or not, with or without namespace prefixes and beside same-named
//! elements elsewhere in the page, is read back exactly.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use quire_plugins_sdk::counters::{COLOR, COPY, DUPLEX, FAX, MONO, SCAN, TOTAL};
use quire_strategy_hp_ews::{
    ProductConfig, consumables, product_config, product_status, usage_counters,
};

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    Page(&'a str),
    Config {
        prefixed: bool,
        make_and_model: Option<&'a str>,
        serial: Option<&'a str>,
        firmware: Option<&'a str>,
        schema_revision: &'a str,
    },
    Usage {
        prefixed: bool,
        total: Option<u64>,
        mono: Option<u64>,
        color: Option<u64>,
        duplex: Option<u64>,
        scan_images: Option<u64>,
        adf: Option<u64>,
        flatbed: Option<u64>,
        copy: Option<u64>,
        fax: Option<u64>,
        decoy: u64,
    },
}

fuzz_target!(|input: Input<'_>| match input {
    Input::Page(text) => any_page(text),
    Input::Config {
        prefixed,
        make_and_model,
        serial,
        firmware,
        schema_revision,
    } => {
        let p = Prefix(prefixed);
        let mut info = String::new();
        for (name, value) in [("MakeAndModel", make_and_model), ("SerialNumber", serial)] {
            if let Some(value) = value {
                info += &p.element(name, &escaped(value));
            }
        }
        if let Some(firmware) = firmware {
            info += &p.element("Version", &p.element("Revision", &escaped(firmware)));
        }
        let page = p.page(
            "ProductConfigDyn",
            &(p.element("Version", &p.element("Revision", &escaped(schema_revision)))
                + &p.element("ProductInformation", &info)),
        );
        let expected = ProductConfig {
            make_and_model: make_and_model.and_then(read_back),
            serial: serial.and_then(read_back),
            firmware: firmware.and_then(read_back),
        };
        assert_eq!(product_config(&page), Some(expected), "{page}");
    }
    Input::Usage {
        prefixed,
        total,
        mono,
        color,
        duplex,
        scan_images,
        adf,
        flatbed,
        copy,
        fax,
        decoy,
    } => {
        let p = Prefix(prefixed);
        let numbers = |fields: &[(&str, Option<u64>)]| -> String {
            fields
                .iter()
                .filter_map(|(name, value)| Some(p.element(name, &format!("\n  {} ", (*value)?))))
                .collect()
        };
        let decoy_total = numbers(&[("TotalImpressions", Some(decoy))]);
        let printer = numbers(&[
            ("TotalImpressions", total),
            ("MonochromeImpressions", mono),
            ("ColorImpressions", color),
            ("DuplexSheets", duplex),
        ]) + &p.element("UsageByMedia", &decoy_total);
        let scanner = numbers(&[
            ("ScanImages", scan_images),
            ("AdfImages", adf),
            ("FlatbedImages", flatbed),
        ]);
        let copy_subunit = numbers(&[("TotalImpressions", copy)]);
        let fax_subunit = numbers(&[("TotalImpressions", fax)]);
        let page = p.page(
            "ProductUsageDyn",
            &(p.element("ConsumableSubunit", &decoy_total)
                + &p.element("PrinterSubunit", &printer)
                + &p.element("ScannerEngineSubunit", &scanner)
                + &p.element("CopyApplicationSubunit", &copy_subunit)
                + &p.element("FaxApplicationSubunit", &fax_subunit)),
        );
        let scan = scan_images.or_else(|| adf?.checked_add(flatbed?));
        let expected: Vec<(&str, u64)> = [
            (TOTAL, total),
            (MONO, mono),
            (COLOR, color),
            (DUPLEX, duplex),
            (SCAN, scan),
            (COPY, copy),
            (FAX, fax),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect();
        assert_eq!(usage_counters(&page), Some(expected), "{page}");
    }
});

fn any_page(text: &str) {
    let config = product_config(text);
    let usage = usage_counters(text);
    let supplies = consumables(text);
    let status = product_status(text);
    let accepted = [
        config.is_some(),
        usage.is_some(),
        supplies.is_some(),
        status.is_some(),
    ];
    assert!(accepted.iter().filter(|a| **a).count() <= 1, "{accepted:?}");
    if let Some(config) = config {
        for text in [config.make_and_model, config.serial, config.firmware]
            .iter()
            .flatten()
        {
            assert_trimmed(text);
        }
    }
    if let Some(usage) = usage {
        let order = [TOTAL, MONO, COLOR, DUPLEX, SCAN, COPY, FAX];
        let positions: Vec<usize> = usage
            .iter()
            .map(|(name, _)| {
                order
                    .iter()
                    .position(|o| o == name)
                    .expect("a known counter")
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{usage:?}");
    }
    if let Some(supplies) = supplies {
        for (supply, index) in supplies.iter().zip(1u32..) {
            assert_eq!(supply.index, index);
            assert!(supply.level.is_none_or(|level| (0..=100).contains(&level)));
        }
    }
    if let Some(status) = status {
        for (alert, index) in status.alerts.iter().zip(1u32..) {
            assert_eq!(alert.index, index);
        }
        for (i, error) in status.errors.iter().enumerate() {
            assert!(!status.errors[..i].contains(error), "{:?}", status.errors);
        }
        if status.device.is_some() {
            assert!(status.console.is_some());
        }
        for line in status.console.iter().flat_map(|c| c.split('\n')) {
            assert_trimmed(line);
        }
    }
}

fn assert_trimmed(text: &str) {
    assert!(!text.is_empty() && text.trim() == text, "{text:?}");
}

/// Writes elements with HP's namespace prefixes or without.
struct Prefix(bool);

impl Prefix {
    fn element(&self, name: &str, content: &str) -> String {
        if self.0 {
            format!("<dd:{name}>{content}</dd:{name}>")
        } else {
            format!("<{name}>{content}</{name}>")
        }
    }

    fn page(&self, root: &str, content: &str) -> String {
        if self.0 {
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<pudyn:{root} xmlns:pudyn=\"urn:p\" xmlns:dd=\"urn:dd\">{content}</pudyn:{root}>"
            )
        } else {
            format!("<{root}>{content}</{root}>")
        }
    }
}

/// Whether XML 1.0 can carry the character at all.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `value` as element content: letters, digits and spaces as they are, every
/// other character a character reference (so `\r` and `<` survive).
fn escaped(value: &str) -> String {
    value
        .chars()
        .filter(|c| xml_char(*c))
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == ' ' {
                c.to_string()
            } else {
                format!("&#x{:X};", u32::from(c))
            }
        })
        .collect()
}

/// What reading back the element written by [`escaped`] gives.
fn read_back(value: &str) -> Option<String> {
    let kept: String = value.chars().filter(|c| xml_char(*c)).collect();
    let trimmed = kept.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
