//! Canon printers and multifunction devices: imageRUNNER (ADVANCE), i-SENSYS
//! and LBP lasers, imagePROGRAF large-format inks. They answer with Canon's
//! sysObjectID arc (`1.3.6.1.4.1.1602.4.x`) and a sysDescr of `Canon <model> /P`.
//!
//! On top of the standard reading, from Canon's private MIB (`enterprises.1602`):
//!
//! - model and firmware from `canPdInfoProductName` (`1602.1.1.1.1.0`) and
//!   `canPdInfoProductVersion` (`1602.1.1.1.4.0`): GLPI Agent's
//!   `MibSupport/Canon.pm` and LibreNMS's `discovery/canonprinter.yaml` read
//!   them, and the recorded LBP6670 and TM-5300 carry both;
//! - the serial from `canServInfoSerialNumberDeviceNumber`
//!   (`1602.1.2.1.8.1.3.1.1`, GLPI Agent's `Canon.pm`), which no shared
//!   recording holds; the LBP6670 gives its serial only in the standard
//!   `prtGeneralSerialNumber`, which the standard reading already takes;
//! - page counters from the counter table's value column
//!   (`1602.1.11.1.3.1.4`), whose row index *is* Canon's counter id: 101
//!   total, 106 colour, 109 black, 112/113 black large/small ("Total
//!   (Black/Small)"), 122/123 colour large/small, 301 prints, 501 scans
//!   ("Scan (Total 1)"). Counters are taken by that id, never by position: a
//!   device lists only the ids its model and options count. The column and
//!   ids are those public meter readers use (a Checkmk
//!   `canon_pages` check walks the column and keys rows by the last arc;
//!   others read `.101` total and `.501` scans). The GLPI Agent `Canon.pm`
//!   read for this crate has no counters, and no shared recording holds the
//!   table, so `fixtures/derived/canon_counters.snmprec` is made from that
//!   structure. Ids whose meaning no source read here states (102-105, 108,
//!   201...) are left out rather than guessed.
//!
//! Canon devices that report a toner only in three steps give `-3` ("some
//! remaining") while there is toner, then raise a low-toner alert, then an
//! empty one. A level of -3 stays `some-remaining` with no percentage
//! (there is no amount to show); a `marker-supplies` alert naming the supply
//! (`prtAlertGroupIndex` is the supply's index) makes it `low` or `empty`, so
//! a dealer still sees the cartridge run down.
//!
//! Alert texts carrying a Canon error code (`E000`-`E999`, often with a
//! detail code: `E602-0001`) are a technician's visit: Canon's `E` codes are
//! the service-mode errors the operator cannot clear.

use quire_plugins_sdk::counters::{
    COLOR, LARGE_COLOR, LARGE_MONO, MONO, PRINT, SCAN, SMALL_COLOR, SMALL_MONO, TOTAL,
};
use quire_plugins_sdk::standard::{self, set_counter, strip_maker, text_of};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, DeviceAlert, ErrorInput, Reading, SnmpValue, Strategy,
    StrategyError, StrategyInfo, Supply, SupplyState, assessment_by_service_code, match_rules,
    printer_mib, quire_strategy_info, register_strategy,
};

const CAN_PD_INFO_PRODUCT_NAME: &[u32] = &[1, 3, 6, 1, 4, 1, 1602, 1, 1, 1, 1, 0];
const CAN_PD_INFO_PRODUCT_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 1602, 1, 1, 1, 4, 0];
const CAN_SERV_INFO_SERIAL_NUMBER_DEVICE_NUMBER: &[u32] =
    &[1, 3, 6, 1, 4, 1, 1602, 1, 2, 1, 8, 1, 3, 1, 1];
const CANON_COUNTER_VALUE: &[u32] = &[1, 3, 6, 1, 4, 1, 1602, 1, 11, 1, 3, 1, 4];

/// Counter names by Canon counter id.
const COUNTER_IDS: &[(u32, &str)] = &[
    (101, TOTAL),
    (106, COLOR),
    (109, MONO),
    (112, LARGE_MONO),
    (113, SMALL_MONO),
    (122, LARGE_COLOR),
    (123, SMALL_COLOR),
    (301, PRINT),
    (501, SCAN),
];

/// "Some remaining": the Printer-MIB level Canon reports for most toners.
const SOME_REMAINING: i32 = -3;

/// The Canon family strategy.
pub struct Canon;

impl Strategy for Canon {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "canon",
            "Canon imageRUNNER, i-SENSYS/LBP and imagePROGRAF devices: Canon MIB model, firmware, serial and counters by counter id; three-step toner levels.",
            match_rules(&["1.3.6.1.4.1.1602"], ["Canon "]),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let objects = [
            CAN_PD_INFO_PRODUCT_NAME,
            CAN_PD_INFO_PRODUCT_VERSION,
            CAN_SERV_INFO_SERIAL_NUMBER_DEVICE_NUMBER,
        ];
        let counters_table: &[&[u32]] = match cycle {
            Cycle::Alerts => &[],
            _ => &[CANON_COUNTER_VALUE],
        };
        standard::prefetch(device, cycle, &objects, counters_table)?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        identity.manufacturer = Some("Canon".into());
        let descr = identity.sys_descr.clone().unwrap_or_default();
        let model = text_of(device, CAN_PD_INFO_PRODUCT_NAME)?
            .or(identity.model.take())
            .or_else(|| descr_model(&descr).map(str::to_owned));
        identity.model = model.map(|m| strip_maker(m, &["Canon"]));
        identity.firmware = text_of(device, CAN_PD_INFO_PRODUCT_VERSION)?;
        identity.serial =
            text_of(device, CAN_SERV_INFO_SERIAL_NUMBER_DEVICE_NUMBER)?.or(identity.serial.take());
        if cycle != Cycle::Alerts {
            for (name, value) in counters(device)? {
                set_counter(&mut reading, name, value);
            }
            let stepped = reading
                .supplies
                .iter()
                .any(|s| s.level == Some(SOME_REMAINING));
            if stepped {
                let alerts = if cycle == Cycle::Discovery {
                    reading.alerts.clone()
                } else {
                    printer_mib::alerts(device)?
                };
                apply_steps(&mut reading.supplies, &alerts);
            }
        }
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| has_error_code(text).then_some(90))
    }
}

register_strategy!(Canon);

/// `Canon iR-ADV C5235 /P` → `Canon iR-ADV C5235`: sysDescr without the
/// trailing personality suffix, for devices that answer nothing richer.
fn descr_model(descr: &str) -> Option<&str> {
    let model = descr.split(" /").next()?.trim();
    (model.len() > "Canon".len() && model.to_ascii_lowercase().starts_with("canon "))
        .then_some(model)
}

/// Counters by Canon counter id; rows with other ids, non-numbers or
/// negative values are skipped.
fn counters(device: &Device<'_>) -> Result<Vec<(&'static str, u64)>, StrategyError> {
    let table = device.walk_columns(&[CANON_COUNTER_VALUE])?;
    Ok(table
        .rows()
        .filter_map(|row| {
            let [id] = row.index() else { return None };
            let (_, name) = COUNTER_IDS.iter().find(|(known, _)| known == id)?;
            let value = row.get(0).and_then(SnmpValue::as_u64)?;
            Some((*name, value))
        })
        .collect())
}

/// Steps a supply reported as "some remaining" down to `low` or `empty`
/// when an alert on that supply says so.
fn apply_steps(supplies: &mut [Supply], alerts: &[DeviceAlert]) {
    for supply in supplies
        .iter_mut()
        .filter(|s| s.level == Some(SOME_REMAINING))
    {
        let on_supply = alerts.iter().filter(|a| {
            a.group.as_deref() == Some("marker-supplies")
                && a.group_index.and_then(|i| u32::try_from(i).ok()) == Some(supply.index)
        });
        for alert in on_supply {
            match alert.code {
                // subunitEmpty, markerTonerEmpty, markerInkEmpty
                13 | 1101 | 1102 => {
                    supply.state = SupplyState::Empty;
                    supply.percent = Some(0);
                }
                // subunitAlmostEmpty, markerTonerAlmostEmpty, markerInkAlmostEmpty
                12 | 1104 | 1105 if supply.state != SupplyState::Empty => {
                    supply.state = SupplyState::Low;
                }
                _ => {}
            }
        }
    }
}

/// `E000`, `E602-0001`, "Error E202": Canon's error codes, an `E` at the
/// start of a word followed by exactly three digits.
fn has_error_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(at, &b)| {
        let word_start = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let digits = bytes.get(at + 1..at + 4);
        let after = bytes.get(at + 4);
        b == b'E'
            && word_start
            && digits.is_some_and(|d| d.iter().all(u8::is_ascii_digit))
            && after.is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn model_from_sysdescr_drops_the_personality_suffix() {
        assert_eq!(
            descr_model("Canon iR-ADV C5235 /P"),
            Some("Canon iR-ADV C5235")
        );
        assert_eq!(descr_model("Canon"), None);
        assert_eq!(descr_model("Other printer"), None);
    }

    #[test]
    fn error_codes_are_e_and_three_digits_at_a_word_start() {
        assert_recognises(
            has_error_code,
            &["E000", "Error E602-0001 call service"],
            &["E-mail failed", "CE1234 toner", "E1234", "Load paper"],
        );
    }
}
