//! HP LaserJet, OfficeJet and FutureSmart devices, all reached through an
//! embedded JetDirect that answers with sysObjectID `1.3.6.1.4.1.11.2.3.9.1`
//! (`hp.nm.system.net-peripheral.net-printer`).
//!
//! On top of the standard reading:
//!
//! - model from the IEEE 1284 device ID JetDirect repeats at `gdStatusId`
//!   (`11.2.3.9.1.1.7.0`, its `MDL:` field): it names the model family
//!   (`LaserJet MFP M129-M134`) as HP's own tools do, where `hrDeviceDescr`
//!   names the variant. The object is in all three recorded JetDirects and
//!   GLPI Agent's `HPNetPeripheral.pm` reads it for the model;
//! - the manufacturer from that string's `MFG:` field when it names another
//!   maker (an HP print server in front of someone else's engine), else HP;
//! - from HP's PML device subtree (`11.2.3.9.4.2.1`), as GLPI Agent's
//!   `HPNetPeripheral.pm` names them: `model-name` (`.1.3.2.0`, only when
//!   neither the device ID nor the standard MIBs give a model), `serial-number`
//!   (`.1.3.3.0`), `fw-rom-datecode` (`.1.3.5.0`) and `fw-rom` (`.1.3.6.0`),
//!   firmware being `fw-rom` where present, else the date code (the recorded
//!   M130nw has only the date code, `20201023`, which LibreNMS also reports
//!   as its version). These strings arrive with two non-printing bytes
//!   (`01 15`) before the text in the recorded M130nw; GLPI drops non-printing
//!   characters from them, and so does [`pml_text`];
//! - the serial, failing the private one and the standard MIBs, from the `SN:`
//!   field of sysDescr (`HP ETHERNET MULTI-ENVIRONMENT,SN:VNCRC48198,...`).
//!   The recorded M452nw's `AAA0A00000` there is LibreNMS's anonymisation; a
//!   device says its own;
//! - page counters from the print-engine status group (`.4.1.2`):
//!   `total-engine-page-count` (`.5.0`, replacing the generic `total`),
//!   `total-color-page-count` (`.7.0`) and `duplex-page-count` (`.22.0`),
//!   as GLPI Agent reads them; the mono count (`.6.0`) and the lifetime scan
//!   count (`.2.2.1.74.0`) as LibreNMS reads them ("Total Mono cnt",
//!   "Lifetime scanned" in `expected/jetdirect_m130nw.json`, both recorded
//!   there). The jam count LibreNMS also reads there (`.4.1.2.34.0`) is not
//!   pages and stays out;
//! - a supply's part number from its description: HP names every cartridge
//!   `<colour> Cartridge HP <part>` (`Black Cartridge HP CF217A` in all three
//!   recordings).
//!
//! Left out: GLPI's other sysObjectIDs for HP (`1.3.6.1.4.1.29999`,
//! `1.3.6.1.4.1.26696.1`), which no recording here confirms, and the
//! `EEPROM` field of old JetDirect sysDescrs GLPI falls back on for firmware:
//! it is the print server's firmware, not the printer's.
//!
//! HP's panel codes for a fault only a technician clears (`49.XXXX` firmware,
//! `50.X` fuser, `79.XXXX` formatter or service errors) in an alert text are
//! a service call, whatever the standard alert code says.

use quire_plugins_sdk::counters::{COLOR, DUPLEX, MONO, SCAN, TOTAL};
use quire_plugins_sdk::standard::{
    self, MODEL_FIELDS, device_id_field, first_of, set_counter, strip_maker,
};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Reading, SnmpValue, Strategy, StrategyError,
    StrategyInfo, Supply, TransportError, assessment_by_service_code, match_rules,
    quire_strategy_info, register_strategy,
};

const GD_STATUS_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1, 1, 7, 0];
const MODEL_NAME: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 1, 3, 2, 0];
const SERIAL_NUMBER: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 1, 3, 3, 0];
const FW_ROM_DATECODE: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 1, 3, 5, 0];
const FW_ROM: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 1, 3, 6, 0];
const TOTAL_ENGINE_PAGE_COUNT: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 4, 1, 2, 5, 0];
const TOTAL_MONO_PAGE_COUNT: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 4, 1, 2, 6, 0];
const TOTAL_COLOR_PAGE_COUNT: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 4, 1, 2, 7, 0];
const DUPLEX_PAGE_COUNT: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 4, 1, 2, 22, 0];
const LIFETIME_SCANNED: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 2, 2, 1, 74, 0];

/// The private counters, read in one GET, with the names they report under.
const COUNTERS: [(&[u32], &str); 5] = [
    (TOTAL_ENGINE_PAGE_COUNT, TOTAL),
    (TOTAL_MONO_PAGE_COUNT, MONO),
    (TOTAL_COLOR_PAGE_COUNT, COLOR),
    (DUPLEX_PAGE_COUNT, DUPLEX),
    (LIFETIME_SCANNED, SCAN),
];

/// Words in the sysDescr of a JetDirect or of HP's printer lines.
const DESCR_WORDS: [&str; 5] = [
    "HP ETHERNET",
    "JETDIRECT",
    "LaserJet",
    "OfficeJet",
    "PageWide",
];

/// How HP spells itself in device IDs and model names.
const HP_NAMES: [&str; 2] = ["HP", "Hewlett-Packard"];

/// The HP family strategy.
pub struct Hp;

impl Strategy for Hp {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "hp",
            "HP LaserJet, OfficeJet and FutureSmart devices behind JetDirect: model from the 1284 device ID, PML serial, firmware and engine counters.",
            match_rules(&["1.3.6.1.4.1.11.2.3.9"], DESCR_WORDS),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let mut objects = vec![
            GD_STATUS_ID,
            MODEL_NAME,
            SERIAL_NUMBER,
            FW_ROM,
            FW_ROM_DATECODE,
        ];
        if cycle != Cycle::Alerts {
            objects.extend(COUNTERS.iter().map(|(oid, _)| *oid));
        }
        standard::prefetch(device, cycle, &objects, &[])?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        let device_id = standard::text_of(device, GD_STATUS_ID)?.unwrap_or_default();
        let maker = device_id_field(&device_id, &["MFG", "MANUFACTURER"])
            .filter(|mfg| !HP_NAMES.iter().any(|hp| mfg.eq_ignore_ascii_case(hp)))
            .unwrap_or_else(|| "HP".into());
        let prefixes = [maker.as_str(), HP_NAMES[0], HP_NAMES[1]];
        let model = first_of(device)
            .or(device_id_field(&device_id, MODEL_FIELDS))
            .or(identity.model.take())
            .read(|device| pml(device, MODEL_NAME))
            .found()?;
        identity.model = model.map(|m| strip_maker(m, &prefixes));
        identity.manufacturer = Some(maker);
        identity.serial = pml(device, SERIAL_NUMBER)?
            .or(identity.serial.take())
            .or_else(|| identity.sys_descr.as_deref().and_then(descr_serial));
        identity.firmware = first_of(device)
            .read(|device| pml(device, FW_ROM))
            .read(|device| pml(device, FW_ROM_DATECODE))
            .found()?;
        if cycle != Cycle::Alerts {
            let oids: Vec<&[u32]> = COUNTERS.iter().map(|(oid, _)| *oid).collect();
            let values = device.get(&oids)?;
            for ((_, name), varbind) in COUNTERS.iter().zip(&values) {
                if let Some(value) = varbind.value.as_u64() {
                    set_counter(&mut reading, name, value);
                }
            }
            for supply in &mut reading.supplies {
                add_part_number(supply);
            }
        }
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, service_code)
    }
}

register_strategy!(Hp);

/// A PML string object as text: non-printing bytes dropped (see the module
/// doc), `None` when nothing is left.
fn pml(device: &Device<'_>, oid: &[u32]) -> Result<Option<String>, TransportError> {
    Ok(device
        .get_value(oid)?
        .as_ref()
        .and_then(SnmpValue::as_bytes)
        .and_then(pml_text))
}

/// Drops the control bytes HP puts before (and sometimes within) a PML
/// string, and trims what is left.
fn pml_text(bytes: &[u8]) -> Option<String> {
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The `SN:` field of a JetDirect sysDescr
/// (`HP ETHERNET MULTI-ENVIRONMENT,SN:VNCRC48198,FN:4Q817L4,...`).
fn descr_serial(descr: &str) -> Option<String> {
    descr
        .split(',')
        .find_map(|field| field.trim().strip_prefix("SN:"))
        .map(str::trim)
        .filter(|serial| !serial.is_empty())
        .map(str::to_owned)
}

/// `Black Cartridge HP CF217A` → part number `CF217A`: the word after `HP`,
/// when it has both letters and digits as HP part numbers do.
fn add_part_number(supply: &mut Supply) {
    if supply.part_number.is_some() {
        return;
    }
    let mut words = supply.description.split_whitespace();
    supply.part_number = words
        .by_ref()
        .find(|word| *word == "HP")
        .and(words.next())
        .filter(|part| {
            part.chars().all(|c| c.is_ascii_alphanumeric())
                && part.chars().any(|c| c.is_ascii_digit())
                && part.chars().any(|c| c.is_ascii_alphabetic())
        })
        .map(str::to_owned);
}

/// The technician's minutes for an HP service code in an alert text, `None`
/// when there is none. HP panels show these codes as `50.2 FUSER ERROR`,
/// `49.4C02 ERROR`, `79.00FE SERVICE ERROR`, so the word "error" must be
/// there too: a bare `50.5` elsewhere (a percentage, a version) is not a
/// fault. A fuser (50) is a part swap, about an hour; 49 and 79 are firmware
/// or formatter faults that take diagnosis, an hour and a half. These are a
/// dealer's rule of thumb, as in the standard assessment.
fn service_code(text: &str) -> Option<u32> {
    if !text.to_ascii_lowercase().contains("error") {
        return None;
    }
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|at| {
        let before_ok =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'.');
        let prefix = bytes.get(at..at + 3)?;
        let minutes = match prefix {
            b"50." => 60,
            b"49." | b"79." => 90,
            _ => return None,
        };
        let tail = &bytes[at + 3..];
        let len = tail
            .iter()
            .take_while(|b| b.is_ascii_hexdigit() || b.eq_ignore_ascii_case(&b'X'))
            .count();
        let after_ok = tail
            .get(len)
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'%')));
        (before_ok && len > 0 && after_ok).then_some(minutes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::{DeviceAlert, harness, service_call_assessment, standard_assessment};

    #[test]
    fn pml_strings_lose_their_leading_control_bytes() {
        assert_eq!(
            pml_text(b"\x01\x15VNCRC48198").as_deref(),
            Some("VNCRC48198")
        );
        assert_eq!(pml_text(b"\x01\x15").as_deref(), None);
        assert_eq!(pml_text(b"").as_deref(), None);
    }

    #[test]
    fn serial_from_the_jetdirect_sysdescr() {
        let descr = "HP ETHERNET MULTI-ENVIRONMENT,SN:VNCRC48198,FN:4Q817L4,SVCID:31339,PID:HP LaserJet MFP M130nw";
        assert_eq!(descr_serial(descr).as_deref(), Some("VNCRC48198"));
        assert_eq!(descr_serial("HP ETHERNET MULTI-ENVIRONMENT,SN:,FN:1"), None);
        assert_eq!(descr_serial("HP LaserJet 4250"), None);
    }

    #[test]
    fn part_numbers_follow_hp_in_the_description() {
        let part = |description: &str| {
            let mut supply = harness::supply(description);
            add_part_number(&mut supply);
            supply.part_number
        };
        assert_eq!(part("Black Cartridge HP CF217A").as_deref(), Some("CF217A"));
        assert_eq!(
            part("Magenta Cartridge HP CF413A This description is longer than 32").as_deref(),
            Some("CF413A")
        );
        assert_eq!(part("Black Cartridge HP").as_deref(), None);
        assert_eq!(part("Toner HP Original").as_deref(), None);
        assert_eq!(part("Fuser Kit").as_deref(), None);
    }

    #[test]
    fn hp_service_codes_need_the_word_error() {
        assert_eq!(service_code("50.2 FUSER ERROR"), Some(60));
        assert_eq!(service_code("49.4C02 ERROR Turn off then on"), Some(90));
        assert_eq!(service_code("79.XXXX Service error"), Some(90));
        assert_eq!(service_code("Fuser error 50.X"), Some(60));
        assert_eq!(service_code("Toner at 50.5%"), None);
        assert_eq!(service_code("50.5% error margin"), None);
        assert_eq!(service_code("Firmware 2.50.1 error"), None);
        assert_eq!(service_code("13.B2.D1 Jam error"), None);
        assert_eq!(service_code("50.2 FUSER"), None);
    }

    #[test]
    fn a_fuser_alert_is_a_service_call_and_others_stay_standard() {
        let alert = |description: &str| {
            ErrorInput::Alert(DeviceAlert {
                group: None,
                code_name: None,
                ..harness::alert(description)
            })
        };
        let fuser = Hp::map_error(&alert("50.2 FUSER ERROR"));
        assert_eq!(fuser, service_call_assessment(60));
        assert!(fuser.field_service);
        let other = alert("Tray 2 open");
        assert_eq!(Hp::map_error(&other), standard_assessment(&other));
    }
}
