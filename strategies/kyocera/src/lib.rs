//! Kyocera (Kyocera Mita, Kyocera Document Solutions) and UTAX / TA
//! Triumph-Adler, which sells Kyocera engines under its own name. Both answer
//! with Kyocera's sysObjectID (`1.3.6.1.4.1.1347.41`); only sysDescr names the
//! brand (`KYOCERA Document Solutions Printing System`, `TA_UTAX Printing
//! System`), so no other family competes for these devices and `identify`
//! keeps the default scoring.
//!
//! On top of the standard reading, from KYOCERA-PRIVATE-MIB (`enterprises.1347`):
//!
//! - model, serial and firmware from `kcprtGeneralModelName`
//!   (`1347.43.5.1.1.1`), `kcprtSerialNumber` (`1347.43.5.1.1.28`) and
//!   `kcprtFirmwareVersion` (`1347.43.5.4.1.5`), all indexed by
//!   hrDeviceIndex. The three are in the recorded FS-1028MFP, UTAX P-4532DN
//!   and ECOSYS P2040dw; Observium's Kyocera poller reads the same three
//!   objects, and the table is `kcprtGeneralTable` of KYOCERA-PRIVATE-MIB
//!   (as pysnmp compiles it);
//! - where the private model is missing, the `MDL` field of the IEEE 1284
//!   device ID Kyocera repeats at `1347.40.1.1.1.8` (seen in the recorded
//!   P2040dw: `ID:ECOSYS P2040dw;MFG:Kyocera;...;MDL:ECOSYS P2040dw`);
//! - page counters by function and colour mode from `1347.42.3.1.2.1.1`
//!   (`.<function>.<colour mode>`, function 1 print, 2 copy, 4 fax; colour
//!   mode 1 black & white, 2 single colour, 3 full colour) and scans from
//!   `1347.42.3.1.3.1.1.<function>` (2 copy, 4 fax) and `1347.42.3.1.4.1.1.1`
//!   (other scans: to e-mail, folder, USB). The layout is PrintMaster's
//!   (`mstrhakr/printmaster`, `common/snmp/oids/oids.go`, checked there
//!   against a TASKalfa 6052ci's web page). No shared recording holds this
//!   subtree (the P2040dw lacks it), so `fixtures/derived/kyocera_counters.snmprec`
//!   is made from that structure. Single-colour pages count as colour: they
//!   use colour toner.
//!
//! `total` stays `prtMarkerLifeCount`. `kcprtMarkerServiceCount`
//! (`1347.43.10.1.1.12`), which PrintMaster takes as the total, is left out:
//! the MIB calls it a service count, and in the recorded P2040dw it (7342)
//! differs from the life count (7432) with no document saying which pages it
//! leaves out. The `1347.42.2` tables (counts by paper size, duplex) have no
//! public definition we could read and are left alone too.
//!
//! Kyocera's service calls (`C6000`, `Call service 0100:C7990`) put a
//! `C` and four digits in the alert text; they are a technician's visit
//! whatever the alert code says. Alerts with empty descriptions (the P2040dw
//! lists power-up 503 and fuser warming 1001 so) take the standard reading.

use quire_plugins_sdk::counters::{
    COLOR, COPY, COPY_COLOR, COPY_MONO, FAX, FAX_COLOR, FAX_MONO, MONO, PRINT, PRINT_COLOR,
    PRINT_MONO, SCAN,
};
use quire_plugins_sdk::standard::{
    self, MODEL_FIELDS, device_id_field, first_of, first_text, set_counter, strip_maker,
};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Reading, Strategy, StrategyError, StrategyInfo,
    assessment_by_service_code, match_rules, quire_strategy_info, register_strategy,
};

const KCPRT_GENERAL_MODEL_NAME: &[u32] = &[1, 3, 6, 1, 4, 1, 1347, 43, 5, 1, 1, 1];
const KCPRT_SERIAL_NUMBER: &[u32] = &[1, 3, 6, 1, 4, 1, 1347, 43, 5, 1, 1, 28];
const KCPRT_FIRMWARE_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 1347, 43, 5, 4, 1, 5];
const KC_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 1347, 40, 1, 1, 1, 8];
const KC_PRINTED_BY_FUNCTION_AND_COLOUR: &[u32] = &[1, 3, 6, 1, 4, 1, 1347, 42, 3, 1, 2, 1, 1];
const KC_SCANNED_BY_FUNCTION: &[u32] = &[1, 3, 6, 1, 4, 1, 1347, 42, 3, 1, 3, 1, 1];
const KC_OTHER_SCANS: &[u32] = &[1, 3, 6, 1, 4, 1, 1347, 42, 3, 1, 4, 1, 1, 1];

/// Functions of the `1347.42.3` counters, by their index arc: the function's
/// counter, then its black-and-white and colour parts.
const FUNCTIONS: &[(u32, &str, [&str; 2])] = &[
    (1, PRINT, [PRINT_MONO, PRINT_COLOR]),
    (2, COPY, [COPY_MONO, COPY_COLOR]),
    (4, FAX, [FAX_MONO, FAX_COLOR]),
];

/// Functions whose originals the scanner counts (`1347.42.3.1.3.1.1.<n>`).
const SCANNING_FUNCTIONS: &[u32] = &[2, 4];

/// The brands on Kyocera engines as sysDescr spells them, and as a dealer
/// writes them. Kyocera when none is named.
const BRANDS: &[(&str, &str)] = &[("UTAX", "UTAX")];

/// The Kyocera family strategy.
pub struct Kyocera;

impl Strategy for Kyocera {
    fn describe() -> StrategyInfo {
        let brands = BRANDS.iter().map(|(word, _)| *word);
        quire_strategy_info!(
            "kyocera",
            "Kyocera and UTAX / TA Triumph-Adler devices: KYOCERA-PRIVATE-MIB model, serial, firmware and counters by function and colour.",
            match_rules(&["1.3.6.1.4.1.1347"], ["KYOCERA"].into_iter().chain(brands)),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let mut columns = vec![
            KCPRT_GENERAL_MODEL_NAME,
            KC_DEVICE_ID,
            KCPRT_SERIAL_NUMBER,
            KCPRT_FIRMWARE_VERSION,
        ];
        let mut objects = Vec::new();
        if cycle != Cycle::Alerts {
            columns.extend([KC_PRINTED_BY_FUNCTION_AND_COLOUR, KC_SCANNED_BY_FUNCTION]);
            objects.push(KC_OTHER_SCANS);
        }
        standard::prefetch(device, cycle, &objects, &columns)?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        let (_, brand) = standard::brand_by_descr(identity, brand);
        let model = first_of(device)
            .column(KCPRT_GENERAL_MODEL_NAME)
            .or(identity.model.take())
            .column_with(KC_DEVICE_ID, |id| device_id_field(id, MODEL_FIELDS))
            .found()?;
        identity.model = model.map(|m| strip_maker(m, &[brand, "Kyocera"]));
        identity.serial = first_text(device, KCPRT_SERIAL_NUMBER)?.or(identity.serial.take());
        identity.firmware = first_text(device, KCPRT_FIRMWARE_VERSION)?;
        if cycle != Cycle::Alerts {
            for (name, value) in counters(device)? {
                set_counter(&mut reading, &name, value);
            }
        }
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| is_service_call(text).then_some(90))
    }
}

register_strategy!(Kyocera);

/// The brand sysDescr names; Kyocera when it names none of [`BRANDS`].
fn brand(descr: &str) -> &'static str {
    let upper = descr.to_ascii_uppercase();
    BRANDS
        .iter()
        .find(|(word, _)| upper.contains(word))
        .map_or("Kyocera", |(_, name)| name)
}

/// Counters by function and colour, with their sums. Rows under an index
/// this strategy does not know (function 3, a colour mode above 3, a longer
/// index) and negative values are skipped.
fn counters(device: &Device<'_>) -> Result<Vec<(String, u64)>, StrategyError> {
    let mut totals = Totals::default();
    for vb in device.walk(KC_PRINTED_BY_FUNCTION_AND_COLOUR)? {
        let index = vb.oid.strip_prefix(KC_PRINTED_BY_FUNCTION_AND_COLOUR);
        let (Some(&[function, colour]), Some(value)) = (index, vb.value.as_u64()) else {
            continue;
        };
        let Some((_, name, parts)) = FUNCTIONS.iter().find(|(n, _, _)| *n == function) else {
            continue;
        };
        let (tone, part) = match colour {
            1 => (MONO, parts[0]),
            2 | 3 => (COLOR, parts[1]),
            _ => continue,
        };
        totals.add(part, value);
        totals.add(name, value);
        totals.add(tone, value);
    }
    for vb in device.walk(KC_SCANNED_BY_FUNCTION)? {
        let function = vb.oid.strip_prefix(KC_SCANNED_BY_FUNCTION);
        let (Some(&[function]), Some(value)) = (function, vb.value.as_u64()) else {
            continue;
        };
        if SCANNING_FUNCTIONS.contains(&function) {
            totals.add(SCAN, value);
        }
    }
    if let Some(value) = device.get_value(KC_OTHER_SCANS)?.and_then(|v| v.as_u64()) {
        totals.add(SCAN, value);
    }
    Ok(totals.0)
}

/// Named sums in the order first seen.
#[derive(Default)]
struct Totals(Vec<(String, u64)>);

impl Totals {
    fn add(&mut self, name: &str, value: u64) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, sum)) => *sum = sum.saturating_add(value),
            None => self.0.push((name.to_owned(), value)),
        }
    }
}

/// `C6000`, `Call service 0100:C7990`: a `C` and four digits standing as a
/// word of their own, Kyocera's service-call codes.
fn is_service_call(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| {
            let bytes = word.as_bytes();
            bytes.len() == 5
                && bytes[0].eq_ignore_ascii_case(&b'C')
                && bytes[1..].iter().all(u8::is_ascii_digit)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn brand_from_sysdescr() {
        assert_eq!(brand("TA_UTAX Printing System"), "UTAX");
        assert_eq!(
            brand("KYOCERA Document Solutions Printing System"),
            "Kyocera"
        );
        assert_eq!(brand(""), "Kyocera");
    }

    #[test]
    fn service_calls_are_c_and_four_digits() {
        assert_recognises(
            is_service_call,
            &["Call service 0100:C6000", "C7990"],
            &["Add paper in cassette 1", "TASKalfa C30000", "C600"],
        );
    }
}
