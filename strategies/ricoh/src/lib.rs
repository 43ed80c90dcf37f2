//! Ricoh and the brands that ship Ricoh engines under their own name (Lanier,
//! Savin, Gestetner, NRG, Infotec). They all answer with Ricoh's sysObjectID
//! (`1.3.6.1.4.1.367.1.1`); only sysDescr names the brand.
//!
//! On top of the standard reading, from RICOH-PRIVATE-MIB (`enterprises.367`):
//!
//! - model, firmware and serial from `ricohSysName` (`367.3.2.1.1.1.1.0`),
//!   `ricohSysVers` (`.1.1.2.0`) and `ricohEngSerialNumber` (`.2.1.4.0`); all
//!   three are in the recorded Aficio MP C3002 and Gestetner MPC2500;
//! - page counters from `ricohEngCounterTable` (`367.3.2.1.2.19.5.1`), taken
//!   by the type column (`.2`) with the value column (`.9`), never by row
//!   position: the rows a device lists depend on its model and options. The
//!   type codes are those GLPI Agent's Ricoh module reads (10 total, 200-203
//!   copies, 300 fax, 400-403 prints, 870/871 scans); no shared recording
//!   holds the table, so `fixtures/derived/ricoh_counters.snmprec` is made
//!   from that structure;
//! - a supply level of -100, Ricoh's "toner end" (LibreNMS treats it as 0 %
//!   for Ricoh and its brands), as empty.
//!
//! Alert texts carrying a service call (`SC542`, "Service Call SC-899") are a
//! technician's visit, whatever the standard alert code says.

use quire_plugins_sdk::counters::{
    COPY, COPY_COLOR, COPY_MONO, FAX, PRINT, PRINT_COLOR, PRINT_MONO, SCAN, TOTAL,
};
use quire_plugins_sdk::standard::{self, set_counter, strip_maker, text_of};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Reading, Strategy, StrategyError, StrategyInfo,
    SupplyState, assessment_by_service_code, match_rules, quire_strategy_info, register_strategy,
};

const RICOH_SYS_NAME: &[u32] = &[1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 1, 1, 1, 0];
const RICOH_SYS_VERS: &[u32] = &[1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 1, 1, 2, 0];
const RICOH_ENG_SERIAL_NUMBER: &[u32] = &[1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 1, 4, 0];
const RICOH_ENG_COUNTER_TYPE: &[u32] = &[1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 19, 5, 1, 2];
const RICOH_ENG_COUNTER_VALUE: &[u32] = &[1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 19, 5, 1, 9];

/// The brands on Ricoh engines, as sysDescr spells them first, and as a
/// dealer writes them.
const BRANDS: &[(&str, &str)] = &[
    ("RICOH", "Ricoh"),
    ("LANIER", "Lanier"),
    ("SAVIN", "Savin"),
    ("GESTETNER", "Gestetner"),
    ("NRG", "NRG"),
    ("INFOTEC", "Infotec"),
];

/// Counter names by `ricohEngCounterType`. Types that share a name (full
/// colour and two-colour copies are both colour copies) are added up.
const COUNTER_TYPES: &[(i64, &str)] = &[
    (10, TOTAL),
    (200, COPY),
    (201, COPY_MONO),
    (202, COPY_COLOR),
    (203, COPY_COLOR),
    (300, FAX),
    (400, PRINT),
    (401, PRINT_MONO),
    (402, PRINT_COLOR),
    (403, PRINT_COLOR),
    (870, SCAN),
    (871, SCAN),
];

/// Ricoh's `prtMarkerSuppliesLevel` for a cartridge at its end.
const TONER_END: i32 = -100;

/// The Ricoh family strategy.
pub struct Ricoh;

impl Strategy for Ricoh {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "ricoh",
            "Ricoh, Lanier, Savin, Gestetner and NRG devices: RICOH-PRIVATE-MIB model, serial, firmware and counters by type.",
            match_rules(
                &["1.3.6.1.4.1.367"],
                BRANDS.iter().map(|(word, _)| format!("{word} ")),
            ),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let objects = [RICOH_SYS_NAME, RICOH_SYS_VERS, RICOH_ENG_SERIAL_NUMBER];
        let counters_table: &[&[u32]] = match cycle {
            Cycle::Alerts => &[],
            _ => &[RICOH_ENG_COUNTER_TYPE, RICOH_ENG_COUNTER_VALUE],
        };
        standard::prefetch(device, cycle, &objects, counters_table)?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        let (descr, brand) = standard::brand_by_descr(identity, brand);
        if let Some(model) =
            text_of(device, RICOH_SYS_NAME)?.or_else(|| descr_model(&descr).map(str::to_owned))
        {
            identity.model = Some(strip_maker(model, &[brand, "Ricoh"]));
        }
        identity.firmware =
            text_of(device, RICOH_SYS_VERS)?.or_else(|| descr_version(&descr).map(str::to_owned));
        identity.serial = text_of(device, RICOH_ENG_SERIAL_NUMBER)?.or(identity.serial.take());
        if cycle != Cycle::Alerts {
            for (name, value) in counters(device)? {
                set_counter(&mut reading, name, value);
            }
            for supply in &mut reading.supplies {
                if supply.level == Some(TONER_END) {
                    supply.percent = Some(0);
                    supply.state = SupplyState::Empty;
                }
            }
        }
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| is_service_call(text).then_some(120))
    }
}

register_strategy!(Ricoh);

/// The brand sysDescr starts with; Ricoh when it names none of them.
fn brand(descr: &str) -> &'static str {
    let first = descr.split_whitespace().next().unwrap_or_default();
    BRANDS
        .iter()
        .find(|(word, _)| first.eq_ignore_ascii_case(word))
        .map_or("Ricoh", |(_, name)| name)
}

/// `LANIER MP C3501/LD635C 2.01 / LANIER Network Printer C model` →
/// `LANIER MP C3501/LD635C`: the first part, without the version after it.
fn descr_model(descr: &str) -> Option<&str> {
    let first = descr.split(" / ").next()?.trim();
    let model = match descr_version(descr) {
        Some(version) => first.strip_suffix(version)?.trim_end(),
        None => first,
    };
    (model.contains(' ')).then_some(model)
}

/// The version that ends the first part of sysDescr (`2.01`).
fn descr_version(descr: &str) -> Option<&str> {
    let last = descr.split(" / ").next()?.split_whitespace().last()?;
    (last.contains('.') && last.chars().all(|c| c.is_ascii_digit() || c == '.')).then_some(last)
}

/// Counters by type, added up where types share a name.
fn counters(device: &Device<'_>) -> Result<Vec<(&'static str, u64)>, StrategyError> {
    let table = device.walk_columns(&[RICOH_ENG_COUNTER_TYPE, RICOH_ENG_COUNTER_VALUE])?;
    let mut totals: Vec<(&'static str, u64)> = Vec::new();
    for row in table.rows() {
        let (Some(kind), Some(value)) = (row.int(0), row.int(1)) else {
            continue;
        };
        let Some((_, name)) = COUNTER_TYPES.iter().find(|(code, _)| *code == kind) else {
            continue;
        };
        let Ok(value) = u64::try_from(value) else {
            continue;
        };
        match totals.iter_mut().find(|(n, _)| n == name) {
            Some((_, sum)) => *sum += value,
            None => totals.push((name, value)),
        }
    }
    Ok(totals)
}

/// `SC542`, `SC 542`, `SC-542`: Ricoh's service-call codes.
fn is_service_call(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    upper.match_indices("SC").any(|(at, _)| {
        let rest = upper[at + 2..].trim_start_matches([' ', '-', ':']);
        rest.len() >= 3 && rest.as_bytes()[..3].iter().all(u8::is_ascii_digit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn brand_model_and_version_from_sysdescr() {
        let lanier = "LANIER MP C3501/LD635C 2.01 / LANIER Network Printer C model / LANIER Network Scanner C model";
        assert_eq!(brand(lanier), "Lanier");
        assert_eq!(descr_model(lanier), Some("LANIER MP C3501/LD635C"));
        assert_eq!(descr_version(lanier), Some("2.01"));
        assert_eq!(brand("Something else"), "Ricoh");
        assert_eq!(descr_model("RICOH"), None);
    }

    #[test]
    fn service_calls_need_three_digits() {
        assert_recognises(
            is_service_call,
            &["Service Call SC542", "Call service: SC-899"],
            &["SCAN ready", "Toner end"],
        );
    }
}
