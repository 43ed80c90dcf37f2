//! Epson printers: WorkForce business inkjets, SureColor large-format and
//! EcoTank. Their built-in print server answers with Epson's sysObjectID arc
//! (`1.3.6.1.4.1.1248.1.1...`) and a sysDescr (`EPSON Built-in`) that names no
//! model, so identity comes from Epson's own objects.
//!
//! On top of the standard reading, from Epson's private MIB
//! (`enterprises.1248`), as GLPI Agent's `MibSupport/Epson.pm` reads it:
//!
//! - the model from `1248.1.2.2.1.1.1.2.1` (`SC-T3405 Series`), without the
//!   ` Series` suffix; where it is missing, the standard `hrDeviceDescr`
//!   (`EPSON WF-C5790BA`), then `MDL` of the IEEE 1284 device ID at
//!   `1248.1.2.2.1.1.1.1.1` (present in the recorded SC-T3405);
//! - the serial from `1248.1.2.2.1.1.1.5.1` (recorded SC-T3405: X8G9000415,
//!   the same as its `prtGeneralSerialNumber`); the recorded WF-C5790BA has
//!   only the standard serial, which the standard reading takes;
//! - the firmware from Epson's firmware table `1248.1.2.2.2.1.1`: versions
//!   in `.2`, names in `.3`. The version of the row named "Printer FW" is the
//!   printer's firmware (the table also lists the network firmware, the
//!   serial and the package); without names, the first row's version.
//!
//! Page counters: only the standard `prtMarkerLifeCount`. Public readers
//! disagree on Epson's private counters (`1248.1.2.2.27.1.1.3.1.1` is read as
//! black & white by some and as colour by others, and `.27.6...` as copies
//! or prints), the GLPI Agent `Epson.pm` read for this crate reads none, and
//! no shared recording holds them, so none is read rather than one guessed.
//!
//! Alerts: Epson's "Service Required" (the ink pads are at the end of their
//! life) needs a technician; a full or expiring maintenance box is the key
//! operator's to replace, a supply rather than a fault.

use quire_plugins_sdk::standard::{self, MODEL_FIELDS, first_of, strip_maker, text_of};
use quire_plugins_sdk::{
    Assessment, AssessmentSeverity, Cycle, Device, ErrorGroup, ErrorInput, Reading, SkillLevel,
    Strategy, StrategyError, StrategyInfo, match_rules, quire_strategy_info, register_strategy,
    service_call_assessment, standard_assessment,
};

const EPSON_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 1248, 1, 2, 2, 1, 1, 1, 1, 1];
const EPSON_MODEL: &[u32] = &[1, 3, 6, 1, 4, 1, 1248, 1, 2, 2, 1, 1, 1, 2, 1];
const EPSON_SERIAL: &[u32] = &[1, 3, 6, 1, 4, 1, 1248, 1, 2, 2, 1, 1, 1, 5, 1];
const EPSON_FIRMWARE_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 1248, 1, 2, 2, 2, 1, 1, 2];
const EPSON_FIRMWARE_NAME: &[u32] = &[1, 3, 6, 1, 4, 1, 1248, 1, 2, 2, 2, 1, 1, 3];

/// The name of the firmware table's row that is the printer's own.
const PRINTER_FIRMWARE: &str = "Printer FW";

/// The Epson family strategy.
pub struct Epson;

impl Strategy for Epson {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "epson",
            "Epson WorkForce, SureColor and EcoTank printers: Epson MIB model, serial and printer firmware; service-required and maintenance-box alerts.",
            match_rules(&["1.3.6.1.4.1.1248"], ["EPSON "]),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        standard::prefetch(
            device,
            cycle,
            &[EPSON_MODEL, EPSON_DEVICE_ID, EPSON_SERIAL],
            &[EPSON_FIRMWARE_VERSION, EPSON_FIRMWARE_NAME],
        )?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        identity.manufacturer = Some("Epson".into());
        let model = first_of(device)
            .text(EPSON_MODEL)
            .or(identity.model.take())
            .device_id(EPSON_DEVICE_ID, MODEL_FIELDS)
            .found()?;
        identity.model = model.map(|m| clean_model(&m));
        identity.serial = text_of(device, EPSON_SERIAL)?.or(identity.serial.take());
        identity.firmware = firmware(device)?;
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        let ErrorInput::Alert(alert) = input else {
            return standard_assessment(input);
        };
        let text = alert
            .description
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if text.contains("service required") {
            service_call_assessment(90)
        } else if text.contains("maintenance box") {
            maintenance_box(&text)
        } else {
            standard_assessment(input)
        }
    }
}

register_strategy!(Epson);

/// `EPSON SC-T3405 Series` → `SC-T3405`.
fn clean_model(name: &str) -> String {
    let name = name.trim();
    let name = match name.len().checked_sub(" Series".len()) {
        Some(at) if name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(" series") => {
            &name[..at]
        }
        _ => name,
    };
    strip_maker(name.trim().to_owned(), &["Epson"])
}

/// The printer's firmware version from Epson's firmware table: the row
/// named "Printer FW", else the first row with a version.
fn firmware(device: &Device<'_>) -> Result<Option<String>, StrategyError> {
    let table = device.walk_columns(&[EPSON_FIRMWARE_VERSION, EPSON_FIRMWARE_NAME])?;
    let named = table
        .rows()
        .find(|row| {
            row.text(1)
                .is_some_and(|name| name.eq_ignore_ascii_case(PRINTER_FIRMWARE))
        })
        .and_then(|row| row.text(0));
    Ok(named.or_else(|| table.rows().find_map(|row| row.text(0))))
}

/// A maintenance box that is full or at the end of its life stops printing
/// until replaced; nearly full is a warning to order one.
fn maintenance_box(text: &str) -> Assessment {
    let nearly = text.contains("near") || text.contains("almost") || text.contains("soon");
    let (state, severity) = if nearly {
        ("maintenance-box-near-full", AssessmentSeverity::Warning)
    } else {
        ("maintenance-box-full", AssessmentSeverity::Critical)
    };
    Assessment {
        state: state.into(),
        group: ErrorGroup::Supply,
        severity,
        skill: SkillLevel::KeyOperator,
        field_service: false,
        estimated_minutes: 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_lose_maker_and_series() {
        assert_eq!(clean_model("EPSON SC-T3405 Series"), "SC-T3405");
        assert_eq!(clean_model("SC-T3405 Series"), "SC-T3405");
        assert_eq!(clean_model("EPSON WF-C5790BA"), "WF-C5790BA");
    }
}
