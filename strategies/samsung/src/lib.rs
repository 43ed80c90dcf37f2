//! Samsung printers and multifunction devices (MultiXpress, ProXpress, and
//! the Samsung-engine models HP sold on). They answer with Samsung's
//! sysObjectID arc (`1.3.6.1.4.1.236.11.5...`) and a sysDescr of `;`-separated
//! fields: `Samsung M4080FX; V11.01.03.04_02-27-2017;Engine V1.00.06
//! 01-19-2017_V1.00;NIC ;S/N <serial>`.
//!
//! On top of the standard reading:
//!
//! - model, firmware and serial from those sysDescr fields (model first,
//!   firmware second, the `S/N` field last; LibreNMS's samsungprinter test
//!   data states the same sysDescr). The exact model comes from sysDescr
//!   rather than `hrDeviceDescr`, which names the series (`Samsung M408x
//!   Series`) and is kept only when sysDescr names none. An empty `S/N` field
//!   (as recorded) means the device did not say, so the standard serial is
//!   kept, if any;
//! - supply serials: Samsung writes a cartridge's CRUM serial into
//!   `prtMarkerSuppliesDescription` after `S/N:` (`Black Toner Cartridge
//!   S/N:CRUM-...`). A bare `CRUM-` or nothing after it is no serial.
//!
//! Samsung's private MIB (`enterprises.236`) is not read: no shared recording
//! holds its objects and no module read for this crate documents them
//! (the model, serial and counter OIDs in public scripts disagree), so model
//! and counters come from the standard MIBs.
//!
//! Alert texts carrying Samsung's `U1-####` (fuser) or `A1-####` (motor and
//! drive) error codes are a technician's visit: they name failed hardware,
//! not paper or supply conditions an operator clears.

use quire_plugins_sdk::standard::{self, strip_maker};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Reading, Strategy, StrategyError, StrategyInfo, Supply,
    assessment_by_service_code, match_rules, quire_strategy_info, register_strategy,
};

/// What precedes a cartridge's serial in its description.
const SUPPLY_SERIAL: &str = "S/N:";

/// The error-code families that need a technician.
const SERVICE_CODES: &[&str] = &["U1-", "A1-"];

/// The Samsung family strategy.
pub struct Samsung;

impl Strategy for Samsung {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "samsung",
            "Samsung MultiXpress and ProXpress devices: model, firmware and serial from sysDescr, cartridge serials, U1/A1 error codes.",
            match_rules(&["1.3.6.1.4.1.236"], ["Samsung "]),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        identity.manufacturer = Some("Samsung".into());
        let descr = identity.sys_descr.clone().unwrap_or_default();
        let fields = DescrFields::parse(&descr);
        if let Some(model) = fields.model {
            identity.model = Some(strip_maker(model.to_owned(), &["Samsung"]));
        }
        identity.firmware = fields.firmware.map(str::to_owned);
        identity.serial = fields.serial.map(str::to_owned).or(identity.serial.take());
        reading.supplies.iter_mut().for_each(supply_serial);
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| has_service_code(text).then_some(90))
    }
}

register_strategy!(Samsung);

/// The identity fields of a Samsung sysDescr; each `None` when absent or empty.
#[derive(Debug, Default, PartialEq)]
struct DescrFields<'a> {
    model: Option<&'a str>,
    firmware: Option<&'a str>,
    serial: Option<&'a str>,
}

impl<'a> DescrFields<'a> {
    fn parse(descr: &'a str) -> Self {
        let fields: Vec<&str> = descr.split(';').map(str::trim).collect();
        let [model, firmware, rest @ ..] = fields.as_slice() else {
            return Self::default();
        };
        let present = |s: &'a str| (!s.is_empty()).then_some(s);
        let model = present(model).filter(|m| m.to_ascii_lowercase().starts_with("samsung "));
        if model.is_none() {
            return Self::default();
        }
        Self {
            model,
            firmware: present(firmware),
            serial: rest
                .iter()
                .find_map(|field| field.strip_prefix("S/N"))
                .map(str::trim)
                .and_then(present),
        }
    }
}

/// `Black Toner Cartridge S/N:CRUM-15011234567` → serial `CRUM-15011234567`.
fn supply_serial(supply: &mut Supply) {
    let Some((_, serial)) = supply.description.split_once(SUPPLY_SERIAL) else {
        return;
    };
    let serial = serial.trim();
    let bare_prefix = serial.is_empty() || serial.ends_with('-');
    if !bare_prefix {
        supply.serial = Some(serial.to_owned());
    }
}

/// `U1-2320`, `A1-1110`: a service family, a dash and four digits.
fn has_service_code(text: &str) -> bool {
    SERVICE_CODES.iter().any(|prefix| {
        text.match_indices(prefix).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let digits = text.get(at + prefix.len()..at + prefix.len() + 4);
            before.is_none_or(|c| !c.is_ascii_alphanumeric())
                && digits.is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::{assert_recognises, supply};

    #[test]
    fn sysdescr_fields_with_an_empty_serial() {
        let fields = DescrFields::parse(
            "Samsung M4080FX; V11.01.03.04_02-27-2017;Engine V1.00.06 01-19-2017_V1.00;NIC ;S/N ",
        );
        assert_eq!(
            fields,
            DescrFields {
                model: Some("Samsung M4080FX"),
                firmware: Some("V11.01.03.04_02-27-2017"),
                serial: None,
            }
        );
        let with_serial =
            DescrFields::parse("Samsung C460 Series; V3.00.01.12;NIC V6.01.00;S/N ZDHRB8KF1C00ABC");
        assert_eq!(with_serial.serial, Some("ZDHRB8KF1C00ABC"));
        assert_eq!(DescrFields::parse("Samsung"), DescrFields::default());
        assert_eq!(DescrFields::parse("Other; V1"), DescrFields::default());
    }

    #[test]
    fn cartridge_serials_follow_s_n() {
        let mut supply = supply("Black Toner Cartridge S/N:CRUM-15011234567");
        supply_serial(&mut supply);
        assert_eq!(supply.serial.as_deref(), Some("CRUM-15011234567"));
        supply.serial = None;
        supply.description = "Black Toner Cartridge S/N:CRUM-".into();
        supply_serial(&mut supply);
        assert_eq!(supply.serial, None);
    }

    #[test]
    fn service_codes_need_the_family_and_four_digits() {
        assert_recognises(
            has_service_code,
            &["U1-2320 Fuser error. Call for service.", "Error: A1-1110"],
            &["XU1-2320", "U1-23", "M1-1110 paper jam"],
        );
    }
}
