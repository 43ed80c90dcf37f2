//! The generic strategy: any printer that implements the standard MIBs
//! (RFC 3805 Printer-MIB, RFC 2790 Host Resources, IF-MIB, ENTITY-MIB). It is
//! the fallback the host uses when no vendor strategy claims a device, so it
//! has no match rules and scores itself low.
//!
//! Firmware stays empty: no standard printer MIB carries it (vendors put it
//! in sysDescr in their own formats), and the model never invents a value.
//! Page counters are `prtMarkerLifeCount` only; the PWG Imaging System
//! Counter MIB is not read yet (see `quire_plugins_sdk::oids`).

use quire_plugins_sdk::oids::*;
use quire_plugins_sdk::printer_mib::{self, text};
use quire_plugins_sdk::{
    Counter, Cycle, Device, Identity, Probe, Reading, SnmpValue, Status, Strategy, StrategyError,
    StrategyInfo, TransportError,
};

/// Printer makers by IANA enterprise number (the arc after `enterprises` in
/// sysObjectID), with the prefixes their model names carry. Each number is
/// the one its maker's devices report in the recorded fixtures.
const MAKERS: &[(u32, &str, &[&str])] = &[
    (11, "HP", &["HP", "Hewlett-Packard"]),
    (236, "Samsung", &["Samsung"]),
    (253, "Xerox", &["Xerox"]),
    (297, "Fuji Xerox", &["Fuji Xerox", "FUJIFILM"]),
    (367, "Ricoh", &["Ricoh"]),
    (641, "Lexmark", &["Lexmark"]),
    (674, "Dell", &["Dell"]),
    (1129, "Toshiba", &["Toshiba"]),
    (1248, "Epson", &["Epson"]),
    (1347, "Kyocera", &["Kyocera"]),
    (1602, "Canon", &["Canon"]),
    (2001, "OKI", &["OKI"]),
    (2385, "Sharp", &["Sharp"]),
    (2435, "Brother", &["Brother"]),
    (18334, "Konica Minolta", &["Konica Minolta"]),
];

/// The generic Printer-MIB strategy.
pub struct PrinterMib;

impl Strategy for PrinterMib {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "printer-mib".into(),
            version: "0.1.0".into(),
            vendor: "Quire".into(),
            description: "Any printer with the standard Printer-MIB (RFC 3805) and Host Resources MIB (RFC 2790).".into(),
            match_rules: Vec::new(),
        }
    }

    /// A score of 1 (any vendor strategy wins) when the device shows any
    /// Printer-MIB object; `None` for a device that is no printer at all.
    fn identify(device: &Device<'_>, _probe: &Probe) -> Option<u32> {
        let printer = [
            PRT_GENERAL_PRINTER_NAME,
            HR_PRINTER_STATUS,
            PRT_MARKER_SUPPLIES_TABLE,
        ]
        .iter()
        .any(|root| device.has_subtree(root).unwrap_or(false));
        printer.then_some(1)
    }

    /// Discovery reads everything; the meter & supply cycle skips alerts and
    /// the alert cycle skips counters and supplies. Identity and status are
    /// read every time: they are a few GETs and tell the host which device
    /// answered and whether it is up.
    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let host = printer_mib::host_printer(device)?;
        let mut reading = Reading {
            identity: identity(device, host.descr)?,
            status: Status {
                device: host.device,
                printer: host.printer,
                errors: host.errors,
                console: printer_mib::console_text(device)?,
            },
            ..Reading::default()
        };
        if cycle != Cycle::Alerts {
            let total = printer_mib::life_count(device)?;
            reading.counters = total
                .map(|value| Counter {
                    name: "total".into(),
                    value,
                })
                .into_iter()
                .collect();
            reading.supplies = printer_mib::supplies(device)?;
        }
        if cycle != Cycle::MetersAndSupplies {
            reading.alerts = printer_mib::alerts(device)?;
        }
        Ok(reading)
    }
}

#[cfg(feature = "component")]
quire_plugins_sdk::register_strategy!(PrinterMib);

fn identity(device: &Device<'_>, hr_descr: Option<String>) -> Result<Identity, TransportError> {
    let system = device.get(&[
        SYS_DESCR,
        SYS_OBJECT_ID,
        SYS_NAME,
        SYS_LOCATION,
        SYS_CONTACT,
    ])?;
    let value = |i: usize| system.get(i).map(|vb| &vb.value);
    let text_at = |i: usize| value(i).and_then(SnmpValue::as_text);
    let object_id = value(1).and_then(SnmpValue::as_oid);
    let maker = object_id
        .and_then(|oid| oid.strip_prefix(ENTERPRISES)?.first())
        .and_then(|number| MAKERS.iter().find(|(n, _, _)| n == number));
    let model = match hr_descr {
        Some(descr) => Some(descr),
        None => first_text(device, PRT_GENERAL_PRINTER_NAME)?,
    };
    let model = model.map(|m| strip_maker(m, maker.map_or(&[][..], |(_, _, prefixes)| *prefixes)));
    let serial = match first_text(device, ENT_PHYSICAL_SERIAL_NUM)? {
        Some(serial) => Some(serial),
        None => first_text(device, PRT_GENERAL_SERIAL_NUMBER)?,
    };
    Ok(Identity {
        manufacturer: maker.map(|(_, name, _)| (*name).to_owned()),
        model,
        serial,
        mac: printer_mib::mac_address(device)?,
        firmware: None,
        hostname: text_at(2),
        sys_object_id: object_id.map(|arcs| {
            arcs.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".")
        }),
        sys_descr: text_at(0),
        location: text_at(3),
        contact: text_at(4),
    })
}

/// The first non-empty text in a column (serials and names are per
/// hrDeviceIndex, and the printer is nearly always the first row).
fn first_text(device: &Device<'_>, column: &[u32]) -> Result<Option<String>, TransportError> {
    Ok(device
        .walk(column)?
        .iter()
        .find_map(|vb| vb.value.as_bytes().and_then(text)))
}

/// `HP Color LaserJet M452nw` → `Color LaserJet M452nw`: the maker is its own
/// field, so the model does not repeat it. Kept whole when nothing would be left.
fn strip_maker(model: String, prefixes: &[&str]) -> String {
    prefixes
        .iter()
        .find_map(|prefix| {
            let head = model.get(..prefix.len())?;
            let rest = model[prefix.len()..].trim_start_matches([' ', '_', '-']);
            let at_word_end = model[prefix.len()..].starts_with([' ', '_', '-']);
            (head.eq_ignore_ascii_case(prefix) && at_word_end && !rest.is_empty())
                .then(|| rest.to_owned())
        })
        .unwrap_or(model)
}
