//! What a Get-Printer-Attributes answer says, as a Quire reading.

use std::collections::BTreeMap;

use quire_model::{
    AlertSeverity, DeviceAlert, DeviceStatus, ErrorState, Identity, PrinterStatus, Reading, Status,
    Supply, SupplyState,
};
use quire_plugins_sdk::counters::{COLOR, MONO, PAGES, SHEETS, TOTAL};

use crate::codec::{Attribute, Message, Value};

/// The attributes Quire asks for: everything a printer has (`all`), and by
/// name those some printers leave out of `all` (CUPS's `marker-*` are
/// extensions; `printer-supply` is in `all` only since PWG 5100.13).
pub const GET_PRINTER_ATTRIBUTES: &[&str] = &[
    "all",
    "printer-supply",
    "printer-supply-description",
    "printer-impressions-completed",
    "printer-impressions-completed-col",
    "printer-media-sheets-completed",
    "printer-pages-completed",
    "marker-names",
    "marker-levels",
    "marker-colors",
    "marker-types",
    "marker-low-levels",
    "marker-high-levels",
    "device-uri",
];

/// A supply at or below this percentage is low where the printer gives no low
/// level of its own: the Printer-MIB strategies' threshold.
const LOW_PERCENT: u8 = 10;

/// The reading an answer gives. Nothing the printer did not say is invented:
/// a missing attribute leaves its field empty.
pub fn reading(message: &Message) -> Reading {
    let attr = |name: &str| message.printer_attribute(name);
    let text = |name: &str| attr(name).and_then(Attribute::text).map(str::to_owned);
    let device_id = text("printer-device-id").unwrap_or_default();
    let usb = text("device-uri")
        .as_deref()
        .and_then(usb_device)
        .unwrap_or_default();
    let manufacturer = id_field(&device_id, &["MFG", "MANUFACTURER"]).or(usb.maker);
    let model = id_field(&device_id, &["MDL", "MODEL"])
        .or(usb.model)
        .or_else(|| {
            let make_and_model = text("printer-make-and-model")?;
            Some(match &manufacturer {
                Some(maker) => make_and_model
                    .strip_prefix(maker.as_str())
                    .map(|rest| rest.trim().to_owned())
                    .filter(|rest| !rest.is_empty())
                    .unwrap_or(make_and_model),
                None => make_and_model,
            })
        });
    let reasons: Vec<String> = attr("printer-state-reasons")
        .map(|a| {
            a.values
                .iter()
                .filter_map(Value::as_text)
                .filter(|r| *r != "none")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let state = attr("printer-state").and_then(Attribute::int);
    let mut supplies = printer_supplies(message);
    if supplies.is_empty() {
        supplies = cups_markers(message);
    }
    Reading {
        identity: Identity {
            manufacturer,
            model,
            serial: id_field(&device_id, &["SN", "SERN", "SERIALNUMBER"]).or(usb.serial),
            firmware: text("printer-firmware-string-version"),
            hostname: text("printer-dns-sd-name"),
            location: text("printer-location"),
            uuid: text("printer-uuid"),
            ..Identity::default()
        },
        status: Status {
            device: state.map(|s| device_status(s, &reasons)),
            printer: state.map(printer_status),
            errors: error_states(&reasons),
            console: text("printer-state-message"),
        },
        counters: counters(message),
        supplies,
        alerts: alerts(&reasons),
    }
}

/// One field of an IEEE 1284 device ID; keys compared without case.
fn id_field(device_id: &str, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|wanted| {
        device_id
            .split(';')
            .filter_map(|field| field.split_once(':'))
            .find(|(key, value)| {
                key.trim().eq_ignore_ascii_case(wanted) && !value.trim().is_empty()
            })
            .map(|(_, value)| value.trim().to_owned())
    })
}

/// What a CUPS queue's USB device URI says of the printer behind it.
#[derive(Default)]
struct UsbDevice {
    maker: Option<String>,
    model: Option<String>,
    serial: Option<String>,
}

/// `usb://HP/LaserJet%201020?serial=00CNBW012345&interface=1`: CUPS's usb
/// backend names a USB printer by its IEEE 1284 maker and model and its USB
/// serial number, which for a USB printer is the only place a dealer finds them.
fn usb_device(uri: &str) -> Option<UsbDevice> {
    let rest = uri.strip_prefix("usb://")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (maker, model) = path.split_once('/').unwrap_or((path, ""));
    let serial = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("serial="))
        .map(percent_decoded);
    let some = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    Some(UsbDevice {
        maker: some(percent_decoded(maker)),
        model: some(percent_decoded(model)),
        serial: serial.and_then(some),
    })
}

/// `%20` → ` `; a malformed escape is kept as written.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `printer-state`: 3 idle, 4 processing, 5 stopped (RFC 8011 5.4.11).
fn printer_status(state: i32) -> PrinterStatus {
    match state {
        3 => PrinterStatus::Idle,
        4 => PrinterStatus::Printing,
        _ => PrinterStatus::Other,
    }
}

/// Down when stopped by an error, warning when any reason is a warning or
/// error, running otherwise: how the Printer-MIB's hrDeviceStatus reads.
fn device_status(state: i32, reasons: &[String]) -> DeviceStatus {
    let errors = reasons.iter().any(|r| r.ends_with("-error"));
    let warnings = reasons.iter().any(|r| r.ends_with("-warning"));
    match state {
        5 if errors => DeviceStatus::Down,
        3..=5 if errors || warnings => DeviceStatus::Warning,
        3..=5 => DeviceStatus::Running,
        _ => DeviceStatus::Unknown,
    }
}

/// A state reason without its `-report`/`-warning`/`-error` suffix (RFC 8011 5.4.12).
fn keyword(reason: &str) -> &str {
    ["-report", "-warning", "-error"]
        .iter()
        .find_map(|suffix| reason.strip_suffix(suffix))
        .unwrap_or(reason)
}

/// The Printer-MIB error bits the reasons stand for, each once, in bit order.
fn error_states(reasons: &[String]) -> Vec<ErrorState> {
    let mut states: Vec<ErrorState> = reasons
        .iter()
        .filter_map(|r| match keyword(r) {
            "media-low" => Some(ErrorState::LowPaper),
            "media-empty" | "media-needed" => Some(ErrorState::NoPaper),
            "toner-low" | "marker-supply-low" => Some(ErrorState::LowToner),
            "toner-empty" | "marker-supply-empty" => Some(ErrorState::NoToner),
            "door-open" | "cover-open" | "interlock-open" => Some(ErrorState::DoorOpen),
            "media-jam" | "jam" => Some(ErrorState::Jammed),
            "offline" => Some(ErrorState::Offline),
            "marker-supply-missing" | "toner-missing" => Some(ErrorState::MarkerSupplyMissing),
            "input-tray-missing" => Some(ErrorState::InputTrayMissing),
            "output-tray-missing" => Some(ErrorState::OutputTrayMissing),
            "output-area-almost-full" => Some(ErrorState::OutputNearFull),
            "output-area-full" => Some(ErrorState::OutputFull),
            _ => None,
        })
        .collect();
    states.sort();
    states.dedup();
    states
}

/// Every reason as an alert, in the printer's order: severity from its
/// suffix, the Printer-MIB alert code where one means the same (RFC 3805
/// PrtAlertCodeTC), `other` (1) elsewhere.
fn alerts(reasons: &[String]) -> Vec<DeviceAlert> {
    reasons
        .iter()
        .enumerate()
        .map(|(i, reason)| {
            let severity = if reason.ends_with("-error") {
                AlertSeverity::Critical
            } else if reason.ends_with("-warning") {
                AlertSeverity::Warning
            } else {
                AlertSeverity::Other
            };
            let (code, code_name) = match keyword(reason) {
                "door-open" | "cover-open" => (3, Some("cover-open")),
                "interlock-open" => (5, Some("interlock-open")),
                "media-jam" | "jam" => (8, Some("jam")),
                "offline" => (22, Some("subunit-offline")),
                "media-low" => (807, Some("input-media-supply-low")),
                "media-empty" | "media-needed" => (808, Some("input-media-supply-empty")),
                "toner-empty" | "marker-supply-empty" => (1101, Some("marker-toner-empty")),
                "toner-low" | "marker-supply-low" => (1104, Some("marker-toner-almost-empty")),
                "output-area-almost-full" => (902, Some("output-media-tray-almost-full")),
                "output-area-full" => (903, Some("output-media-tray-full")),
                "marker-waste-almost-full" => {
                    (1107, Some("marker-waste-toner-receptacle-almost-full"))
                }
                "marker-waste-full" => (1109, Some("marker-waste-toner-receptacle-full")),
                "opc-near-eol" => (1111, Some("marker-opc-life-almost-over")),
                "opc-life-over" => (1112, Some("marker-opc-life-over")),
                "developer-low" => (1113, Some("marker-developer-almost-empty")),
                "developer-empty" => (1114, Some("marker-developer-empty")),
                _ => (1, None),
            };
            DeviceAlert {
                index: i as u32 + 1,
                severity,
                training_level: None,
                group: None,
                group_index: None,
                location: None,
                code,
                code_name: code_name.map(str::to_owned),
                description: Some(reason.clone()),
                time: None,
            }
        })
        .collect()
}

/// The values of one printer attribute; none when the printer does not send it.
fn values<'m>(message: &'m Message, name: &str) -> &'m [Value] {
    message
        .printer_attribute(name)
        .map_or(&[], |a| a.values.as_slice())
}

/// What CUPS's `marker-*` attributes say of each marker, by position: its
/// name (`marker-names`) and the level at or below which the printer itself
/// calls it low (`marker-low-levels`, in per cent; CUPS's IPP extensions,
/// `spec-ipp.html`). IPP Everywhere printers that send them list their markers
/// in the order of `printer-supply` (CUPS builds its own marker lists from
/// `printer-supply` in that order), so position `i` of each list is the same
/// supply.
struct Markers<'m> {
    names: Vec<Option<&'m str>>,
    low_levels: Vec<Option<i32>>,
}

impl<'m> Markers<'m> {
    fn of(message: &'m Message) -> Self {
        Markers {
            names: values(message, "marker-names")
                .iter()
                .map(|v| v.as_text().map(str::trim).filter(|t| !t.is_empty()))
                .collect(),
            low_levels: values(message, "marker-low-levels")
                .iter()
                .map(Value::as_int)
                .collect(),
        }
    }

    fn name(&self, position: usize) -> Option<&'m str> {
        self.names.get(position).copied().flatten()
    }

    fn low_level(&self, position: usize) -> Option<i32> {
        self.low_levels.get(position).copied().flatten()
    }
}

/// `printer-supply` values (`index=1;class=supplyThatIsConsumed;type=toner;
/// unit=percent;maxcapacity=100;level=75;colorantname=black;`), one supply
/// each, described by `printer-supply-description`, or where that is missing
/// or empty by the marker's name, and judged low by the printer's own low
/// level where it gives one. A value that is no such string is skipped; the
/// rest still count.
fn printer_supplies(message: &Message) -> Vec<Supply> {
    let Some(values) = message.printer_attribute("printer-supply") else {
        return Vec::new();
    };
    let descriptions: Vec<&str> = message
        .printer_attribute("printer-supply-description")
        .map(|a| a.values.iter().filter_map(Value::as_text).collect())
        .unwrap_or_default();
    let markers = Markers::of(message);
    values
        .values
        .iter()
        .enumerate()
        .filter_map(|(position, value)| {
            let fields: BTreeMap<&str, &str> = value
                .as_text()?
                .split(';')
                .filter_map(|field| field.split_once('='))
                .collect();
            let number = |key: &str| fields.get(key).and_then(|v| v.trim().parse::<i32>().ok());
            let index = number("index")
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(position as u32 + 1);
            let level = number("level");
            let max = number("maxcapacity");
            let description = descriptions
                .get(position)
                .map(|d| d.trim())
                .filter(|d| !d.is_empty())
                .or(markers.name(position))
                .map_or_else(|| format!("Supply {index}"), str::to_owned);
            Some(Supply {
                index,
                description,
                kind: fields
                    .get("type")
                    .map_or_else(|| "unknown".into(), |t| kebab(t)),
                color: fields
                    .get("colorantname")
                    .filter(|c| !c.is_empty() && **c != "unknown")
                    .map(|c| c.to_lowercase()),
                unit: fields.get("unit").map(|u| kebab(u)),
                level,
                max,
                percent: percent(level, max),
                state: state(level, max, markers.low_level(position)),
                serial: None,
                part_number: None,
            })
        })
        .collect()
}

/// CUPS's own supply attributes: parallel lists of names, levels (percent,
/// -1 unknown), colours (`#RRGGBB`, kept as written) and low levels.
fn cups_markers(message: &Message) -> Vec<Supply> {
    let markers = Markers::of(message);
    let levels = values(message, "marker-levels");
    let colors = values(message, "marker-colors");
    let types = values(message, "marker-types");
    (0..markers.names.len())
        .filter_map(|i| {
            let level = levels.get(i).and_then(|v| v.as_int());
            let max = level.map(|_| 100);
            Some(Supply {
                index: i as u32 + 1,
                description: markers.name(i)?.to_owned(),
                kind: types
                    .get(i)
                    .and_then(|v| v.as_text())
                    .map_or_else(|| "unknown".into(), kebab),
                color: colors.get(i).and_then(|v| v.as_text()).map(str::to_owned),
                unit: Some("percent".into()),
                level,
                max,
                percent: percent(level, max),
                state: state(level, max, markers.low_level(i)),
                serial: None,
                part_number: None,
            })
        })
        .collect()
}

/// `wasteToner` → `waste-toner`, `ink_cartridge` → `ink-cartridge`: the
/// Printer-MIB enumeration names in Quire's kebab-case.
fn kebab(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '_' {
            out.push('-');
        } else {
            out.push(c);
        }
    }
    out
}

/// The same rule as the Printer-MIB strategies: a percentage only when level
/// and capacity are real numbers (the special values -1, -2, -3 are not).
fn percent(level: Option<i32>, max: Option<i32>) -> Option<u8> {
    let (level, max) = (level?, max?);
    (level >= 0 && max > 0).then(|| (i64::from(level.min(max)) * 100 / i64::from(max)) as u8)
}

/// The Printer-MIB strategies' states, with the printer's own low level in
/// place of Quire's threshold where it gives one: a cartridge at 11 % that its
/// printer calls low at 18 % is low.
fn state(level: Option<i32>, max: Option<i32>, low_level: Option<i32>) -> SupplyState {
    let low = low_level
        .and_then(|l| u8::try_from(l).ok())
        .filter(|l| *l <= 100)
        .unwrap_or(LOW_PERCENT);
    match (level, percent(level, max)) {
        (Some(-3), _) => SupplyState::SomeRemaining,
        (_, Some(0)) => SupplyState::Empty,
        (_, Some(p)) if p <= low => SupplyState::Low,
        (_, Some(_)) => SupplyState::Ok,
        _ => SupplyState::Unknown,
    }
}

/// The page counters a printer offers.
fn counters(message: &Message) -> BTreeMap<String, u64> {
    let mut counters = BTreeMap::new();
    let mut put = |name: &str, value: Option<i32>| {
        if let Some(value) = value.and_then(|v| u64::try_from(v).ok()) {
            counters.insert(name.to_owned(), value);
        }
    };
    let int = |name: &str| message.printer_attribute(name).and_then(Attribute::int);
    put(TOTAL, int("printer-impressions-completed"));
    put(SHEETS, int("printer-media-sheets-completed"));
    put(PAGES, int("printer-pages-completed"));
    if let Some(Value::Collection(members)) = message
        .printer_attribute("printer-impressions-completed-col")
        .and_then(|a| a.values.first())
    {
        for member in members {
            match member.name.as_str() {
                "monochrome" => put(MONO, member.int()),
                "full-color" => put(COLOR, member.int()),
                _ => {}
            }
        }
    }
    counters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usb_device_uris_name_maker_model_and_serial() {
        let usb = usb_device("usb://HP/LaserJet%201020?serial=00CNBW012345&interface=1").unwrap();
        assert_eq!(usb.maker.as_deref(), Some("HP"));
        assert_eq!(usb.model.as_deref(), Some("LaserJet 1020"));
        assert_eq!(usb.serial.as_deref(), Some("00CNBW012345"));
        let bare = usb_device("usb://Brother/HL-L2350DW%20series").unwrap();
        assert_eq!(bare.serial, None);
        assert_eq!(percent_decoded("100%"), "100%");
        assert!(usb_device("ipp://127.0.0.1/ipp/print").is_none());
    }

    #[test]
    fn impression_counters_where_a_printer_offers_them() {
        use crate::codec::{Attribute, Group, Message, Value};
        let attribute = |name: &str, values: Vec<Value>| Attribute {
            name: name.into(),
            values,
        };
        let message = Message {
            version: (2, 0),
            status: 0,
            request_id: 1,
            groups: vec![Group {
                tag: 0x04,
                attributes: vec![
                    attribute("printer-impressions-completed", vec![Value::Integer(1250)]),
                    attribute("printer-media-sheets-completed", vec![Value::Integer(900)]),
                    attribute("printer-pages-completed", vec![Value::Integer(-1)]),
                    attribute(
                        "printer-impressions-completed-col",
                        vec![Value::Collection(vec![
                            attribute("monochrome", vec![Value::Integer(800)]),
                            attribute("full-color", vec![Value::Integer(450)]),
                            attribute("blank", vec![Value::Integer(3)]),
                        ])],
                    ),
                ],
            }],
        };
        let counters = counters(&message);
        let named: Vec<(&str, u64)> = counters.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            named,
            [
                ("color", 450),
                ("mono", 800),
                ("sheets", 900),
                ("total", 1250)
            ],
            "a negative count is no count"
        );
    }

    fn message(attributes: Vec<(&str, Vec<Value>)>) -> Message {
        Message {
            version: (2, 0),
            status: 0,
            request_id: 1,
            groups: vec![crate::codec::Group {
                tag: 0x04,
                attributes: attributes
                    .into_iter()
                    .map(|(name, values)| Attribute {
                        name: name.into(),
                        values,
                    })
                    .collect(),
            }],
        }
    }

    fn texts(words: &[&str]) -> Vec<Value> {
        words.iter().map(|w| Value::Text((*w).into())).collect()
    }

    fn ints(numbers: &[i32]) -> Vec<Value> {
        numbers.iter().copied().map(Value::Integer).collect()
    }

    #[test]
    fn the_printers_own_low_levels_and_marker_names_are_used() {
        let supply = |index: u32, kind: &str, level: i32| {
            format!("index={index};type={kind};unit=percent;maxcapacity=100;level={level};")
        };
        let printer = message(vec![
            (
                "printer-supply",
                texts(&[
                    &supply(1, "toner", 11),
                    &supply(2, "opc", 9),
                    &supply(3, "toner", 40),
                ]),
            ),
            ("printer-supply-description", texts(&["", "Imaging Drum"])),
            ("marker-names", texts(&["Black Toner", "Drum", " "])),
            ("marker-low-levels", ints(&[18, 5])),
        ]);
        let read: Vec<_> = printer_supplies(&printer)
            .into_iter()
            .map(|s| (s.description, s.state))
            .collect();
        assert_eq!(
            read,
            [
                ("Black Toner".to_owned(), SupplyState::Low),
                ("Imaging Drum".to_owned(), SupplyState::Ok),
                ("Supply 3".to_owned(), SupplyState::Ok),
            ]
        );
        let cups = message(vec![
            ("marker-names", texts(&["Cyan", "Magenta"])),
            ("marker-levels", ints(&[11, 11])),
            ("marker-low-levels", ints(&[18, -1])),
        ]);
        let states: Vec<_> = cups_markers(&cups).iter().map(|s| s.state).collect();
        assert_eq!(states, [SupplyState::Low, SupplyState::Ok]);
    }

    #[test]
    fn kebab_case_of_pwg_keywords() {
        assert_eq!(kebab("wasteToner"), "waste-toner");
        assert_eq!(kebab("toner"), "toner");
        assert_eq!(kebab("ink_cartridge"), "ink-cartridge");
    }

    #[test]
    fn reasons_become_error_bits_and_alerts() {
        let reasons = vec![
            "media-jam-error".to_owned(),
            "toner-low-warning".to_owned(),
            "marker-supply-low-report".to_owned(),
            "something-new-report".to_owned(),
        ];
        assert_eq!(
            error_states(&reasons),
            [ErrorState::LowToner, ErrorState::Jammed]
        );
        let alerts = alerts(&reasons);
        assert_eq!(alerts[0].code, 8);
        assert_eq!(alerts[0].severity, AlertSeverity::Critical);
        assert_eq!(alerts[1].severity, AlertSeverity::Warning);
        assert_eq!(alerts[3].code, 1);
        assert_eq!(
            alerts[3].description.as_deref(),
            Some("something-new-report")
        );
        assert_eq!(device_status(5, &reasons), DeviceStatus::Down);
        assert_eq!(device_status(3, &[]), DeviceStatus::Running);
    }

    #[test]
    fn levels_follow_the_printer_mib_rules() {
        assert_eq!(percent(Some(75), Some(100)), Some(75));
        assert_eq!(percent(Some(-3), Some(100)), None);
        assert_eq!(state(Some(-3), Some(100), None), SupplyState::SomeRemaining);
        assert_eq!(state(Some(5), Some(100), None), SupplyState::Low);
        assert_eq!(state(Some(0), Some(100), None), SupplyState::Empty);
        assert_eq!(state(None, None, None), SupplyState::Unknown);
    }
}
