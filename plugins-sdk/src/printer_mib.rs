//! Decoding the standard printer MIBs: Printer-MIB (RFC 3805, with the
//! IANA-PRINTER-MIB enumerations), HOST-RESOURCES-MIB (RFC 2790) and IF-MIB.
//!
//! The pure functions turn one raw value into its meaning; the readers
//! ([`supplies`], [`alerts`], [`host_printer`], [`mac_address`],
//! [`console_text`], [`life_count`]) walk a [`Device`] and apply them, so a
//! standard strategy is a handful of calls. Enumeration names are the MIB's,
//! in kebab-case.

use std::collections::BTreeMap;

use crate::oids::*;
use crate::{
    AlertSeverity, Device, DeviceAlert, DeviceStatus, ErrorState, PrinterStatus, SnmpValue, Supply,
    SupplyState, Table, TransportError,
};

/// A supply at or below this percentage is `low`. Ten per cent is roughly
/// the last one or two weeks of an office printer's toner, the lead time a
/// dealer needs to ship a cartridge; devices' own "low" warnings sit between
/// 5 and 20 per cent.
pub const LOW_PERCENT: u8 = 10;

/// An octet string as display text: NULs and surrounding whitespace trimmed
/// (devices pad fixed-size buffers with both), invalid UTF-8 replaced rather
/// than rejected (many devices send Latin-1). `None` when nothing is left.
pub fn text(bytes: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(bytes);
    let trimmed = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// `prtMarkerSuppliesType` (PrtMarkerSuppliesTypeTC) in kebab-case.
pub fn supply_kind(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "other",
        2 => "unknown",
        3 => "toner",
        4 => "waste-toner",
        5 => "ink",
        6 => "ink-cartridge",
        7 => "ink-ribbon",
        8 => "waste-ink",
        9 => "opc",
        10 => "developer",
        11 => "fuser-oil",
        12 => "solid-wax",
        13 => "ribbon-wax",
        14 => "waste-wax",
        15 => "fuser",
        16 => "corona-wire",
        17 => "fuser-oil-wick",
        18 => "cleaner-unit",
        19 => "fuser-cleaning-pad",
        20 => "transfer-unit",
        21 => "toner-cartridge",
        22 => "fuser-oiler",
        23 => "water",
        24 => "waste-water",
        25 => "glue-water-additive",
        26 => "waste-paper",
        27 => "binding-supply",
        28 => "banding-supply",
        29 => "stitching-wire",
        30 => "shrink-wrap",
        31 => "paper-wrap",
        32 => "staples",
        33 => "inserts",
        34 => "covers",
        _ => return None,
    })
}

/// `prtMarkerSuppliesSupplyUnit` (PrtMarkerSuppliesSupplyUnitTC) in
/// kebab-case. The MIB's misspelt `hundrethsOfFluidOunces` is spelt right.
pub fn supply_unit(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "other",
        2 => "unknown",
        3 => "ten-thousandths-of-inches",
        4 => "micrometers",
        7 => "impressions",
        8 => "sheets",
        11 => "hours",
        12 => "thousandths-of-ounces",
        13 => "tenths-of-grams",
        14 => "hundredths-of-fluid-ounces",
        15 => "tenths-of-milliliters",
        16 => "feet",
        17 => "meters",
        18 => "items",
        19 => "percent",
        _ => return None,
    })
}

/// A supply's level as a percentage of its capacity: only when the level is
/// a real amount (≥ 0) and the capacity a real one (> 0), so the special
/// values -1/-2/-3 never become numbers. Rounded to the nearest per cent and
/// clamped to 0..=100, since some devices report a level above capacity.
pub fn supply_percent(level: Option<i64>, max: Option<i64>) -> Option<u8> {
    let (level, max) = (level?, max?);
    if level < 0 || max <= 0 {
        return None;
    }
    let percent = (i128::from(level) * 100 + i128::from(max) / 2) / i128::from(max);
    Some(percent.clamp(0, 100) as u8)
}

/// The state a known percentage implies: 0 is `empty`, at or below
/// [`LOW_PERCENT`] `low`, anything else `ok`.
pub fn percent_state(percent: u8) -> SupplyState {
    match percent {
        0 => SupplyState::Empty,
        p if p <= LOW_PERCENT => SupplyState::Low,
        _ => SupplyState::Ok,
    }
}

/// A supply's level in words. -3 ("some remaining") is `some-remaining`;
/// -1, -2, any other negative value or no level is `unknown`; 0 is `empty`;
/// a known percentage is judged by [`percent_state`]. A positive level of
/// unknown capacity is `some-remaining`, not `ok`: there is some, but a drum
/// at 9 of an unknown maximum may be nearly spent, and a state must not claim
/// more than the device said. For a receptacle (waste toner) the level is the
/// space left, so `empty` and `low` mean full and nearly full alike: either
/// way the part wants replacing.
pub fn supply_state(level: Option<i64>, max: Option<i64>) -> SupplyState {
    match level {
        Some(-3) => SupplyState::SomeRemaining,
        None => SupplyState::Unknown,
        Some(l) if l < 0 => SupplyState::Unknown,
        Some(0) => SupplyState::Empty,
        Some(_) => match supply_percent(level, max) {
            Some(p) => percent_state(p),
            None => SupplyState::SomeRemaining,
        },
    }
}

/// `prtMarkerSuppliesSupplyUnit` `percent(19)` (RFC 3805).
const PERCENT_UNIT: i64 = 19;

/// [`supply_percent`] with the unit column's word: a level in `percent(19)`
/// (RFC 3805's `PrtMarkerSuppliesSupplyUnitTC`) is a percentage whatever the
/// maximum says, so a drum at 9 of an unknown (-2) maximum is 9 %. A level
/// outside 0-100 in that unit is not a percentage of anything, and a real
/// maximum still divides as it would for any unit (a device that says
/// `percent` with a maximum of 200 counts in half-percents).
pub fn supply_percent_in_unit(
    unit: Option<i64>,
    level: Option<i64>,
    max: Option<i64>,
) -> Option<u8> {
    match (unit, level) {
        (Some(PERCENT_UNIT), Some(l @ 0..=100)) if max.is_none_or(|m| m <= 0) => Some(l as u8),
        _ => supply_percent(level, max),
    }
}

/// [`supply_state`] with the unit column's word: a level in `percent(19)`
/// of an unknown maximum is judged as the percentage
/// [`supply_percent_in_unit`] reports, so a drum at 9 % is `low`.
pub fn supply_state_in_unit(
    unit: Option<i64>,
    level: Option<i64>,
    max: Option<i64>,
) -> SupplyState {
    match supply_percent_in_unit(unit, level, max) {
        Some(p) if level.is_some_and(|l| l >= 0) => percent_state(p),
        _ => supply_state(level, max),
    }
}

/// `prtAlertSeverityLevel`; unknown codes are `other`.
pub fn alert_severity(code: i64) -> AlertSeverity {
    match code {
        3 => AlertSeverity::Critical,
        4 => AlertSeverity::Warning,
        5 => AlertSeverity::WarningBinaryChangeEvent,
        _ => AlertSeverity::Other,
    }
}

/// `prtAlertTrainingLevel` (PrtAlertTrainingLevelTC) in kebab-case.
pub fn training_level(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "other",
        2 => "unknown",
        3 => "untrained",
        4 => "trained",
        5 => "field-service",
        6 => "management",
        7 => "no-intervention-required",
        _ => return None,
    })
}

/// `prtAlertGroup` (PrtAlertGroupTC) in kebab-case.
pub fn alert_group(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "other",
        2 => "unknown",
        3 => "host-resources-mib-storage-table",
        4 => "host-resources-mib-device-table",
        5 => "general-printer",
        6 => "cover",
        7 => "localization",
        8 => "input",
        9 => "output",
        10 => "marker",
        11 => "marker-supplies",
        12 => "marker-colorant",
        13 => "media-path",
        14 => "channel",
        15 => "interpreter",
        16 => "console-display-buffer",
        17 => "console-lights",
        18 => "alert",
        30 => "fin-device",
        31 => "fin-supply",
        32 => "fin-supply-media-input",
        33 => "fin-attribute",
        _ => return None,
    })
}

/// `prtAlertCode` (PrtAlertCodeTC, RFC 3805 and IANA-PRINTER-MIB) in
/// kebab-case; `None` for vendor codes.
pub fn alert_code_name(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "other",
        2 => "unknown",
        3 => "cover-open",
        4 => "cover-closed",
        5 => "interlock-open",
        6 => "interlock-closed",
        7 => "configuration-change",
        8 => "jam",
        9 => "subunit-missing",
        10 => "subunit-life-almost-over",
        11 => "subunit-life-over",
        12 => "subunit-almost-empty",
        13 => "subunit-empty",
        14 => "subunit-almost-full",
        15 => "subunit-full",
        16 => "subunit-near-limit",
        17 => "subunit-at-limit",
        18 => "subunit-opened",
        19 => "subunit-closed",
        20 => "subunit-turned-on",
        21 => "subunit-turned-off",
        22 => "subunit-offline",
        23 => "subunit-power-saver",
        24 => "subunit-warming-up",
        25 => "subunit-added",
        26 => "subunit-removed",
        27 => "subunit-resource-added",
        28 => "subunit-resource-removed",
        29 => "subunit-recoverable-failure",
        30 => "subunit-unrecoverable-failure",
        31 => "subunit-recoverable-storage-error",
        32 => "subunit-unrecoverable-storage-error",
        33 => "subunit-motor-failure",
        34 => "subunit-memory-exhausted",
        35 => "subunit-under-temperature",
        36 => "subunit-over-temperature",
        37 => "subunit-timing-failure",
        38 => "subunit-thermistor-failure",
        501 => "door-open",
        502 => "door-closed",
        503 => "power-up",
        504 => "power-down",
        505 => "printer-nms-reset",
        506 => "printer-manual-reset",
        507 => "printer-ready-to-print",
        801 => "input-media-tray-missing",
        802 => "input-media-size-change",
        803 => "input-media-weight-change",
        804 => "input-media-type-change",
        805 => "input-media-color-change",
        806 => "input-media-form-parts-change",
        807 => "input-media-supply-low",
        808 => "input-media-supply-empty",
        809 => "input-media-change-request",
        810 => "input-manual-input-request",
        811 => "input-tray-position-failure",
        812 => "input-tray-elevation-failure",
        813 => "input-cannot-feed-size-selected",
        901 => "output-media-tray-missing",
        902 => "output-media-tray-almost-full",
        903 => "output-media-tray-full",
        904 => "output-mailbox-select-failure",
        1001 => "marker-fuser-under-temperature",
        1002 => "marker-fuser-over-temperature",
        1003 => "marker-fuser-timing-failure",
        1004 => "marker-fuser-thermistor-failure",
        1005 => "marker-adjusting-print-quality",
        1101 => "marker-toner-empty",
        1102 => "marker-ink-empty",
        1103 => "marker-print-ribbon-empty",
        1104 => "marker-toner-almost-empty",
        1105 => "marker-ink-almost-empty",
        1106 => "marker-print-ribbon-almost-empty",
        1107 => "marker-waste-toner-receptacle-almost-full",
        1108 => "marker-waste-ink-receptacle-almost-full",
        1109 => "marker-waste-toner-receptacle-full",
        1110 => "marker-waste-ink-receptacle-full",
        1111 => "marker-opc-life-almost-over",
        1112 => "marker-opc-life-over",
        1113 => "marker-developer-almost-empty",
        1114 => "marker-developer-empty",
        1115 => "marker-toner-cartridge-missing",
        1301 => "media-path-media-tray-missing",
        1302 => "media-path-media-tray-almost-full",
        1303 => "media-path-media-tray-full",
        1304 => "media-path-cannot-duplex-media-selected",
        1501 => "interpreter-memory-increase",
        1502 => "interpreter-memory-decrease",
        1503 => "interpreter-cartridge-added",
        1504 => "interpreter-cartridge-deleted",
        1505 => "interpreter-resource-added",
        1506 => "interpreter-resource-deleted",
        1507 => "interpreter-resource-unavailable",
        1509 => "interpreter-complex-page-encountered",
        1801 => "alert-removal-of-binary-change-entry",
        _ => return None,
    })
}

/// The bits of `hrPrinterDetectedErrorState`, in bit order: bit 0 is the most
/// significant bit of the first octet (RFC 2790 numbers bits that way). An
/// empty string means no errors; a one-octet string (common) carries bits
/// 0-7 only; bits past 14 are ignored.
pub fn error_states(octets: &[u8]) -> Vec<ErrorState> {
    const BITS: [ErrorState; 15] = [
        ErrorState::LowPaper,
        ErrorState::NoPaper,
        ErrorState::LowToner,
        ErrorState::NoToner,
        ErrorState::DoorOpen,
        ErrorState::Jammed,
        ErrorState::Offline,
        ErrorState::ServiceRequested,
        ErrorState::InputTrayMissing,
        ErrorState::OutputTrayMissing,
        ErrorState::MarkerSupplyMissing,
        ErrorState::OutputNearFull,
        ErrorState::OutputFull,
        ErrorState::InputTrayEmpty,
        ErrorState::OverduePreventMaint,
    ];
    BITS.iter()
        .enumerate()
        .filter(|(bit, _)| {
            octets
                .get(bit / 8)
                .is_some_and(|octet| octet & (0x80 >> (bit % 8)) != 0)
        })
        .map(|(_, state)| *state)
        .collect()
}

/// `hrDeviceStatus`.
pub fn device_status(code: i64) -> Option<DeviceStatus> {
    Some(match code {
        1 => DeviceStatus::Unknown,
        2 => DeviceStatus::Running,
        3 => DeviceStatus::Warning,
        4 => DeviceStatus::Testing,
        5 => DeviceStatus::Down,
        _ => return None,
    })
}

/// `hrPrinterStatus`.
pub fn printer_status(code: i64) -> Option<PrinterStatus> {
    Some(match code {
        1 => PrinterStatus::Other,
        2 => PrinterStatus::Unknown,
        3 => PrinterStatus::Idle,
        4 => PrinterStatus::Printing,
        5 => PrinterStatus::Warmup,
        _ => return None,
    })
}

/// A MAC address in the form the model uses (`94:57:a5:34:df:33`): exactly
/// six bytes, not all zero, not broadcast.
pub fn mac_text(bytes: &[u8]) -> Option<String> {
    let usable =
        bytes.len() == 6 && bytes.iter().any(|&b| b != 0) && bytes.iter().any(|&b| b != 0xff);
    usable.then(|| {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    })
}

/// IANAifType values that carry an Ethernet-style MAC: ethernetCsmacd (6),
/// iso88023Csmacd (7), fastEther (62), fastEtherFX (69), ieee80211 (71,
/// wireless-only printers have nothing else) and gigabitEthernet (117).
fn ethernet_like(if_type: i64) -> bool {
    matches!(if_type, 6 | 7 | 62 | 69 | 71 | 117)
}

/// The device's MAC: the address of the lowest-numbered Ethernet-like
/// interface with a usable address (see [`mac_text`]). An interface whose
/// type is not reported counts as Ethernet-like, since recordings and some
/// agents omit `ifType`; loopbacks then still drop out by having no address.
pub fn mac_address(device: &Device<'_>) -> Result<Option<String>, TransportError> {
    let table = device.walk_columns(&[IF_TYPE, IF_PHYS_ADDRESS])?;
    Ok(table.rows().find_map(|row| {
        let ethernet = row.int(0).is_none_or(ethernet_like);
        row.get(1)
            .and_then(SnmpValue::as_bytes)
            .filter(|_| ethernet)
            .and_then(mac_text)
    }))
}

/// What HOST-RESOURCES-MIB says about the printer device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostPrinter {
    /// The `hrDeviceIndex` of the printer row.
    pub index: Option<u32>,
    /// `hrDeviceDescr` of the printer row (usually maker and model).
    pub descr: Option<String>,
    /// `hrDeviceStatus` of the printer row.
    pub device: Option<DeviceStatus>,
    /// `hrPrinterStatus`.
    pub printer: Option<PrinterStatus>,
    /// `hrPrinterDetectedErrorState`, decoded.
    pub errors: Vec<ErrorState>,
}

/// Finds the printer in the Host Resources device table and reads its
/// description, status and error bits. The printer row is the first row of
/// `hrPrinterTable` (it exists only for printers), else the first
/// `hrDeviceTable` row of type `hrDevicePrinter`; MFPs list scanners, fax
/// cards and disks there too, so the first row is not good enough.
pub fn host_printer(device: &Device<'_>) -> Result<HostPrinter, TransportError> {
    let printers = device.walk_columns(&[HR_PRINTER_STATUS, HR_PRINTER_DETECTED_ERROR_STATE])?;
    let devices = device.walk_columns(&[HR_DEVICE_TYPE, HR_DEVICE_DESCR, HR_DEVICE_STATUS])?;
    let index = printers
        .rows()
        .next()
        .map(|row| row.index().to_vec())
        .or_else(|| {
            devices
                .rows()
                .find(|row| row.get(0).and_then(SnmpValue::as_oid) == Some(HR_DEVICE_PRINTER))
                .map(|row| row.index().to_vec())
        });
    let Some(index) = index else {
        return Ok(HostPrinter::default());
    };
    let hr_device = devices.row(&index);
    let hr_printer = printers.row(&index);
    Ok(HostPrinter {
        index: index.last().copied().filter(|_| index.len() == 1),
        descr: hr_device.and_then(|r| r.text(1)),
        device: hr_device.and_then(|r| r.int(2)).and_then(device_status),
        printer: hr_printer.and_then(|r| r.int(0)).and_then(printer_status),
        errors: hr_printer
            .and_then(|r| r.get(1))
            .and_then(SnmpValue::as_bytes)
            .map(error_states)
            .unwrap_or_default(),
    })
}

/// The operator panel's text (`prtConsoleDisplayBufferText`), non-empty
/// lines joined by newlines.
pub fn console_text(device: &Device<'_>) -> Result<Option<String>, TransportError> {
    let lines: Vec<String> = device
        .walk(PRT_CONSOLE_DISPLAY_BUFFER_TEXT)?
        .iter()
        .filter_map(|vb| vb.value.as_text())
        .collect();
    Ok((!lines.is_empty()).then(|| lines.join("\n")))
}

/// The marker's lifetime page count: `prtMarkerLifeCount` of the first marker
/// whose `prtMarkerCounterUnit` is impressions (7) or sheets (8), or whose
/// unit is not reported. Other units (distance, hours) are not pages. Only
/// one marker is taken: a tandem colour engine reports the same pages on
/// each of its markers, so adding them up would count pages twice.
pub fn life_count(device: &Device<'_>) -> Result<Option<u64>, TransportError> {
    let table = device.walk_columns(&[PRT_MARKER_COUNTER_UNIT, PRT_MARKER_LIFE_COUNT])?;
    Ok(table
        .rows()
        .filter(|row| row.int(0).is_none_or(|unit| unit == 7 || unit == 8))
        .find_map(|row| row.get(1).and_then(SnmpValue::as_u64)))
}

/// Decodes `prtMarkerSuppliesTable` rows (walked with the columns of
/// [`SUPPLY_COLUMNS`], in that order) with the colorant names from
/// `prtMarkerColorantValue` (walked alone).
pub fn decode_supplies(supplies: &Table, colorants: &Table) -> Vec<Supply> {
    let colorant_names: BTreeMap<&[u32], String> = colorants
        .rows()
        .filter_map(|row| row.text(0).map(|name| (row.index(), name.to_lowercase())))
        .collect();
    supplies
        .rows()
        .filter_map(|row| {
            let index = row.last_index()?;
            let level = row.int(5);
            let max = row.int(4);
            let color = row
                .int(0)
                .and_then(|c| u32::try_from(c).ok())
                .filter(|&c| c > 0)
                .and_then(|c| {
                    let device_index = row.index().first()?;
                    colorant_names.get([*device_index, c].as_slice()).cloned()
                });
            Some(Supply {
                index,
                description: row.text(2).unwrap_or_default(),
                kind: row
                    .int(1)
                    .and_then(supply_kind)
                    .unwrap_or("unknown")
                    .to_owned(),
                color,
                unit: row.int(3).and_then(supply_unit).map(str::to_owned),
                level: level.and_then(|l| i32::try_from(l).ok()),
                max: max.and_then(|m| i32::try_from(m).ok()),
                percent: supply_percent_in_unit(row.int(3), level, max),
                state: supply_state_in_unit(row.int(3), level, max),
                serial: None,
                part_number: None,
            })
        })
        .collect()
}

/// The `prtMarkerSuppliesTable` columns [`decode_supplies`] reads, in order:
/// colorant index, type, description, unit, max capacity, level.
pub const SUPPLY_COLUMNS: [&[u32]; 6] = [
    PRT_MARKER_SUPPLIES_COLORANT_INDEX,
    PRT_MARKER_SUPPLIES_TYPE,
    PRT_MARKER_SUPPLIES_DESCRIPTION,
    PRT_MARKER_SUPPLIES_SUPPLY_UNIT,
    PRT_MARKER_SUPPLIES_MAX_CAPACITY,
    PRT_MARKER_SUPPLIES_LEVEL,
];

/// Every row of `prtMarkerSuppliesTable`, decoded, with colorants. A row
/// without a type is kind `unknown` (some devices omit the column).
pub fn supplies(device: &Device<'_>) -> Result<Vec<Supply>, TransportError> {
    let table = device.walk_columns(&SUPPLY_COLUMNS)?;
    if table.is_empty() {
        return Ok(Vec::new());
    }
    let colorants = device.walk_columns(&[PRT_MARKER_COLORANT_VALUE])?;
    let supplies = decode_supplies(&table, &colorants);
    for supply in &supplies {
        if supply.unit.as_deref() == Some("percent")
            && supply.max.is_none_or(|m| m <= 0)
            && let Some(percent) = supply.percent
        {
            device.note(format!(
                "supply {} ({}): {percent} % from its level in the unit percent; its maximum is unknown",
                supply.index, supply.description
            ));
        }
    }
    Ok(supplies)
}

/// The `prtAlertTable` columns [`decode_alerts`] reads, in order: severity,
/// training level, group, group index, location, code, description, time.
pub const ALERT_COLUMNS: [&[u32]; 8] = [
    PRT_ALERT_SEVERITY_LEVEL,
    PRT_ALERT_TRAINING_LEVEL,
    PRT_ALERT_GROUP,
    PRT_ALERT_GROUP_INDEX,
    PRT_ALERT_LOCATION,
    PRT_ALERT_CODE,
    PRT_ALERT_DESCRIPTION,
    PRT_ALERT_TIME,
];

/// Decodes `prtAlertTable` rows walked with [`ALERT_COLUMNS`]. A row with no
/// code, or a code outside 32 bits, is dropped: the alert cannot be told.
pub fn decode_alerts(table: &Table) -> Vec<DeviceAlert> {
    let small = |v: Option<i64>| v.and_then(|v| i32::try_from(v).ok());
    table
        .rows()
        .filter_map(|row| {
            let code = small(row.int(5))?;
            Some(DeviceAlert {
                index: row.last_index()?,
                severity: row.int(0).map_or(AlertSeverity::Other, alert_severity),
                training_level: row.int(1).and_then(training_level).map(str::to_owned),
                group: row.int(2).and_then(alert_group).map(str::to_owned),
                group_index: small(row.int(3)),
                location: small(row.int(4)),
                code,
                code_name: alert_code_name(i64::from(code)).map(str::to_owned),
                description: row.text(6),
                time: row.int(7).and_then(|t| u32::try_from(t).ok()),
            })
        })
        .collect()
}

/// Every row of `prtAlertTable`, decoded.
pub fn alerts(device: &Device<'_>) -> Result<Vec<DeviceAlert>, TransportError> {
    Ok(decode_alerts(&device.walk_columns(&ALERT_COLUMNS)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_nuls_and_whitespace_and_tolerates_latin1() {
        assert_eq!(text(b"  TK-1162\0\0").as_deref(), Some("TK-1162"));
        assert_eq!(text(b"\0\0 "), None);
        assert_eq!(text(b"").as_deref(), None);
        assert_eq!(text(b"Caf\xe9").as_deref(), Some("Caf\u{fffd}"));
    }

    #[test]
    fn percent_needs_a_real_level_and_capacity() {
        assert_eq!(supply_percent(Some(7056), Some(7200)), Some(98));
        assert_eq!(supply_percent(Some(54), Some(100)), Some(54));
        assert_eq!(supply_percent(Some(1), Some(200)), Some(1)); // 0.5 rounds up
        assert_eq!(supply_percent(Some(300), Some(100)), Some(100));
        assert_eq!(supply_percent(Some(-3), Some(100)), None);
        assert_eq!(supply_percent(Some(50), Some(-2)), None);
        assert_eq!(supply_percent(Some(50), Some(0)), None);
        assert_eq!(supply_percent(None, Some(100)), None);
        assert_eq!(
            supply_percent(Some(i64::MAX), Some(1)),
            Some(100),
            "no overflow"
        );
    }

    #[test]
    fn a_level_in_percent_of_an_unknown_maximum_is_that_percentage() {
        let percent = Some(PERCENT_UNIT);
        assert_eq!(supply_percent_in_unit(percent, Some(9), Some(-2)), Some(9));
        assert_eq!(supply_percent_in_unit(percent, Some(0), None), Some(0));
        assert_eq!(
            supply_percent_in_unit(percent, Some(100), Some(-1)),
            Some(100)
        );
        assert_eq!(
            supply_percent_in_unit(percent, Some(101), Some(-2)),
            None,
            "no percentage is over 100"
        );
        assert_eq!(
            supply_percent_in_unit(percent, Some(-3), Some(-2)),
            None,
            "some remaining stays in words"
        );
        assert_eq!(
            supply_percent_in_unit(percent, Some(50), Some(200)),
            Some(25),
            "a real maximum still divides"
        );
        assert_eq!(
            supply_percent_in_unit(Some(7), Some(9), Some(-2)),
            None,
            "9 impressions of an unknown maximum"
        );
    }

    #[test]
    fn state_follows_the_special_values_and_the_low_threshold() {
        assert_eq!(supply_state(Some(-3), Some(-2)), SupplyState::SomeRemaining);
        assert_eq!(supply_state(Some(-2), Some(100)), SupplyState::Unknown);
        assert_eq!(supply_state(Some(-1), Some(100)), SupplyState::Unknown);
        assert_eq!(supply_state(Some(-100), Some(100)), SupplyState::Unknown);
        assert_eq!(supply_state(None, Some(100)), SupplyState::Unknown);
        assert_eq!(supply_state(Some(0), Some(100)), SupplyState::Empty);
        assert_eq!(supply_state(Some(10), Some(100)), SupplyState::Low);
        assert_eq!(supply_state(Some(11), Some(100)), SupplyState::Ok);
        assert_eq!(supply_state(Some(7), Some(-2)), SupplyState::SomeRemaining);
        assert_eq!(supply_state(Some(9), None), SupplyState::SomeRemaining);
        let percent = Some(PERCENT_UNIT);
        assert_eq!(
            supply_state_in_unit(percent, Some(9), Some(-2)),
            SupplyState::Low
        );
        assert_eq!(
            supply_state_in_unit(percent, Some(60), Some(-2)),
            SupplyState::Ok
        );
        assert_eq!(
            supply_state_in_unit(percent, Some(0), None),
            SupplyState::Empty
        );
        assert_eq!(
            supply_state_in_unit(percent, Some(400), Some(-2)),
            SupplyState::SomeRemaining,
            "no percentage is over 100"
        );
        assert_eq!(
            supply_state_in_unit(Some(7), Some(9), Some(-2)),
            SupplyState::SomeRemaining,
            "9 impressions of an unknown maximum"
        );
    }

    #[test]
    fn a_known_percentage_is_judged_by_the_low_threshold() {
        let states: Vec<_> = [0, 9, 10, 11, 100].map(percent_state).to_vec();
        assert_eq!(
            states,
            [
                SupplyState::Empty,
                SupplyState::Low,
                SupplyState::Low,
                SupplyState::Ok,
                SupplyState::Ok
            ]
        );
    }

    #[test]
    fn enumerations_are_kebab_case_and_unknown_codes_are_none() {
        assert_eq!(supply_kind(4), Some("waste-toner"));
        assert_eq!(supply_kind(21), Some("toner-cartridge"));
        assert_eq!(supply_kind(999), None);
        assert_eq!(supply_unit(7), Some("impressions"));
        assert_eq!(supply_unit(19), Some("percent"));
        assert_eq!(supply_unit(5), None);
        assert_eq!(alert_code_name(8), Some("jam"));
        assert_eq!(alert_code_name(503), Some("power-up"));
        assert_eq!(alert_code_name(40000), None);
        assert_eq!(alert_group(11), Some("marker-supplies"));
        assert_eq!(training_level(5), Some("field-service"));
        assert_eq!(alert_severity(3), AlertSeverity::Critical);
        assert_eq!(alert_severity(-7), AlertSeverity::Other);
    }

    #[test]
    fn error_bits_count_from_the_first_octets_msb() {
        assert_eq!(error_states(&[]), vec![]);
        assert_eq!(error_states(&[0x00]), vec![]);
        assert_eq!(error_states(&[0x80, 0x00]), vec![ErrorState::LowPaper]);
        assert_eq!(error_states(&[0x20]), vec![ErrorState::LowToner]);
        assert_eq!(
            error_states(&[0x05]),
            vec![ErrorState::Jammed, ErrorState::ServiceRequested]
        );
        assert_eq!(
            error_states(&[0x00, 0x02, 0xff]),
            vec![ErrorState::OverduePreventMaint]
        );
        assert_eq!(error_states(&[0x00, 0x01]), vec![], "bit 15 is not defined");
    }

    #[test]
    fn statuses_decode_and_reject_strays() {
        assert_eq!(device_status(2), Some(DeviceStatus::Running));
        assert_eq!(device_status(0), None);
        assert_eq!(printer_status(5), Some(PrinterStatus::Warmup));
        assert_eq!(printer_status(6), None);
    }

    #[test]
    fn macs_need_six_meaningful_bytes() {
        assert_eq!(
            mac_text(&[0x94, 0x57, 0xa5, 0x34, 0xdf, 0x33]).as_deref(),
            Some("94:57:a5:34:df:33")
        );
        assert_eq!(mac_text(&[0; 6]), None);
        assert_eq!(mac_text(&[0xff; 6]), None);
        assert_eq!(mac_text(&[1, 2, 3]), None);
        assert_eq!(mac_text(&[]), None);
    }
}
