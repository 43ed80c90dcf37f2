//! Brother printers and multifunction devices (HL, DCP, MFC). Their network
//! board answers with Brother's sysObjectID (`1.3.6.1.4.1.2435.2.3.9.1`) and a
//! sysDescr naming the board (`Brother NC-8300h, Firmware Ver.1.14 ...`), not
//! the printer, so the model comes from Brother's own objects.
//!
//! On top of the standard reading, from BROTHER-MIB (`enterprises.2435`):
//!
//! - the model from `brmDNSPrinterName` (`2435.2.4.3.2435.5.13.3.0`,
//!   `Brother MFC-L2710DW series`), without the maker, the ` series` suffix
//!   and the ` [001ba90ba752]` MAC some boards append; LibreNMS's
//!   `includes/polling/os/brother.inc.php` reads it, and both recorded
//!   Brothers carry it. Where it is missing, the standard `hrDeviceDescr`,
//!   then `MDL` of the IEEE 1284 device ID in `2435.2.3.9.1.1.7.0` (same
//!   LibreNMS file). The device ID is last because it can be stale: the
//!   recorded MFC-L2710DW says `MDL:MFC-8440` there;
//! - the serial from `brInfoSerialNumber` (`2435.2.3.9.4.2.1.5.5.1.0`, GLPI
//!   Agent's `MibSupport/BrotherNetConfig.pm` and LibreNMS; recorded);
//! - the firmware from `brpsMainRevision` (`2435.2.4.3.1240.1.4.0`, GLPI
//!   Agent), else the main firmware in `brInfo` `5.5.17.0` (`J1906051424`:
//!   the `brother` library's firmware object, held by eleven of the twelve
//!   printers in its test data), else the version in `2435.2.4.3.1240.6.5.0`
//!   (`Firmware Ver.Q`, `Firmware Ver.1.01 (08.12.12)`: LibreNMS; recorded).
//!   sysDescr's version is the network board's, so it is not used;
//! - page counters from `brInfoCounter` (`2435.2.3.9.4.2.1.5.5.10.0`), an
//!   octet string of records `code, type, length, value` (value big-endian,
//!   `length` bytes) ended by `0xFF`. Codes `00` (printed pages), `01`
//!   (black & white) and `02` (colour) are those of the `brother` Python
//!   library (Home Assistant's Brother integration), which reads this object
//!   the same way; an HL-L5100DN dump published with it shows the layout
//!   (`00 01 04 00000009 06 01 04 00000006 FF...`). No shared recording holds
//!   the blob, so `fixtures/derived/brother_counters.snmprec` is made from it.
//! - the remaining life of toner or ink, drums, belt, fuser, laser unit and
//!   paper-feed kits from `brInfoMaintenance` (`5.5.8.0`), in the same record
//!   layout ([`blob`]; codes and evidence in [`maintenance`]), put on the
//!   Printer-MIB row that names the same part or added where none does.
//!
//! Brother supplies of unknown capacity (`prtMarkerSuppliesMaxCapacity` -2)
//! report a status code in `prtMarkerSuppliesLevel`, not an amount: 0 toner
//! present, 1 low, 2 empty, 3 nearly empty (LibreNMS's printer-supplies
//! discovery treats Brother's 0/1/2/3 the same way, except on the
//! MFC-L8850CDW, which reports real levels and a real capacity). So a 0 there
//! is not an empty cartridge. Status codes give states; only "empty" becomes
//! a percentage (0 %), since the others say nothing about how much is left.
//!
//! Alert texts with Brother's own fault messages ("Print Unable 46",
//! "Machine Error AF") are a technician's visit: they are machine faults,
//! not paper or supply conditions, and one that outlasts a power cycle needs
//! service.

mod blob;
mod maintenance;

use maintenance::Maintenance;
use quire_plugins_sdk::counters::{COLOR, MONO, TOTAL};
use quire_plugins_sdk::standard::{
    self, MODEL_FIELDS, first_of, set_counter, strip_maker, text_of,
};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Reading, SnmpValue, Strategy, StrategyError,
    StrategyInfo, Supply, SupplyState, assessment_by_service_code, match_rules,
    quire_strategy_info, register_strategy,
};

const BRM_DNS_PRINTER_NAME: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 4, 3, 2435, 5, 13, 3, 0];
const BR_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 1, 1, 7, 0];
const BR_INFO_SERIAL_NUMBER: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 4, 2, 1, 5, 5, 1, 0];
const BR_INFO_COUNTER: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 4, 2, 1, 5, 5, 10, 0];
const BR_INFO_MAINTENANCE: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 4, 2, 1, 5, 5, 8, 0];
const BR_INFO_FIRMWARE: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 4, 2, 1, 5, 5, 17, 0];
const BRPS_MAIN_REVISION: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 4, 3, 1240, 1, 4, 0];
const BR_FIRMWARE_TEXT: &[u32] = &[1, 3, 6, 1, 4, 1, 2435, 2, 4, 3, 1240, 6, 5, 0];

/// Counter names by `brInfoCounter` record code.
const COUNTER_CODES: &[(u8, &str)] = &[(0x00, TOTAL), (0x01, MONO), (0x02, COLOR)];

/// The Brother family strategy.
pub struct Brother;

impl Strategy for Brother {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "brother",
            "Brother HL, DCP and MFC devices: BROTHER-MIB model, serial, firmware, the brInfoCounter blob, and supply status codes.",
            match_rules(&["1.3.6.1.4.1.2435"], ["Brother "]),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let mut objects = vec![
            BRM_DNS_PRINTER_NAME,
            BR_DEVICE_ID,
            BR_INFO_SERIAL_NUMBER,
            BRPS_MAIN_REVISION,
            BR_INFO_FIRMWARE,
            BR_FIRMWARE_TEXT,
        ];
        if cycle != Cycle::Alerts {
            objects.extend([BR_INFO_COUNTER, BR_INFO_MAINTENANCE]);
        }
        standard::prefetch(device, cycle, &objects, &[])?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        identity.manufacturer = Some("Brother".into());
        let model = first_of(device)
            .text(BRM_DNS_PRINTER_NAME)
            .or(identity.model.take())
            .device_id(BR_DEVICE_ID, MODEL_FIELDS)
            .found()?;
        identity.model = model.map(|m| clean_model(&m));
        identity.serial = text_of(device, BR_INFO_SERIAL_NUMBER)?.or(identity.serial.take());
        identity.firmware = first_of(device)
            .text(BRPS_MAIN_REVISION)
            .text(BR_INFO_FIRMWARE)
            .text_with(BR_FIRMWARE_TEXT, firmware_version)
            .found()?;
        if cycle != Cycle::Alerts {
            let blob = device.get_value(BR_INFO_COUNTER)?;
            if let Some(bytes) = blob.as_ref().and_then(SnmpValue::as_bytes) {
                for (name, value) in counters(bytes) {
                    set_counter(&mut reading, name, value);
                }
            }
            reading.supplies.iter_mut().for_each(read_status_code);
            let blob = device.get_value(BR_INFO_MAINTENANCE)?;
            if let Some(bytes) = blob.as_ref().and_then(SnmpValue::as_bytes) {
                let life = Maintenance::parse(bytes);
                let (marking, evidence) =
                    life.marking(&reading.supplies, reading.identity.model.as_deref());
                device.note(format!(
                    "brInfoMaintenance levels read as {}: {evidence}",
                    match marking {
                        maintenance::Marking::Toner => "toner",
                        maintenance::Marking::Ink => "ink",
                    }
                ));
                maintenance::merge(&mut reading.supplies, life.supplies(marking));
            }
        }
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| is_machine_fault(text).then_some(60))
    }
}

register_strategy!(Brother);

/// `Brother HL-5370DW series [001ba90ba752]` → `HL-5370DW`.
fn clean_model(name: &str) -> String {
    let name = match name.find(" [") {
        Some(at) if name.ends_with(']') => &name[..at],
        _ => name,
    };
    let name = name.trim();
    let name = match name.len().checked_sub(" series".len()) {
        Some(at) if name[at..].eq_ignore_ascii_case(" series") => &name[..at],
        _ => name,
    };
    strip_maker(name.trim().to_owned(), &["Brother"])
}

/// `Firmware Ver.1.01 (08.12.12)` → `1.01`; `Firmware Ver.Q` → `Q`.
fn firmware_version(text: &str) -> Option<String> {
    let (_, rest) = text.split_once("Ver.")?;
    let version = rest.split_whitespace().next()?;
    (!version.is_empty()).then(|| version.to_owned())
}

/// The counters in a `brInfoCounter` blob; unknown codes and empty values
/// are skipped.
fn counters(blob: &[u8]) -> Vec<(&'static str, u64)> {
    blob::records(blob)
        .into_iter()
        .filter(|(_, value)| value.width > 0)
        .filter_map(|(code, value)| {
            let (_, name) = COUNTER_CODES.iter().find(|(known, _)| *known == code)?;
            Some((*name, value.number))
        })
        .collect()
}

/// A supply of unknown capacity whose level is 0-3 carries a status code.
fn read_status_code(supply: &mut Supply) {
    if supply.max.is_some_and(|max| max > 0) {
        return;
    }
    let state = match supply.level {
        Some(0) => SupplyState::Ok,
        Some(1 | 3) => SupplyState::Low,
        Some(2) => SupplyState::Empty,
        _ => return,
    };
    supply.state = state;
    supply.percent = (state == SupplyState::Empty).then_some(0);
}

/// "Print Unable 46", "Machine Error AF": Brother's machine faults.
fn is_machine_fault(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("print unable") || lower.contains("machine error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn models_lose_maker_series_and_mac() {
        assert_eq!(
            clean_model("Brother HL-5370DW series [001ba90ba752]"),
            "HL-5370DW"
        );
        assert_eq!(clean_model("Brother MFC-L2710DW series"), "MFC-L2710DW");
        assert_eq!(clean_model("MFC-8440"), "MFC-8440");
    }

    #[test]
    fn firmware_is_the_version_after_ver() {
        assert_eq!(firmware_version("Firmware Ver.Q").as_deref(), Some("Q"));
        assert_eq!(
            firmware_version("Firmware Ver.1.01 (08.12.12)").as_deref(),
            Some("1.01")
        );
        assert_eq!(firmware_version("no version"), None);
    }

    #[test]
    fn counter_blob_as_published_for_an_hl_l5100dn() {
        let blob = [
            0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x09, 0x06, 0x01, 0x04, 0x00, 0x00, 0x00, 0x06,
            0xFF, 0xFF, 0xFF, 0xFF,
        ];
        assert_eq!(counters(&blob), [("total", 9)]);
    }

    #[test]
    fn odd_blobs_never_panic() {
        assert!(counters(&[]).is_empty());
        assert!(counters(&[0x00, 0x01]).is_empty());
        assert!(counters(&[0x00, 0x01, 0x04, 0x00, 0x01]).is_empty());
        assert!(counters(&[0x01, 0x01, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9]).is_empty());
    }

    #[test]
    fn machine_faults_by_their_words() {
        assert_recognises(
            is_machine_fault,
            &["Print Unable 46", "MACHINE ERROR AF"],
            &["Toner Low"],
        );
    }
}
