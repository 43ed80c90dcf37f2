//! Xerox (sysObjectID under `1.3.6.1.4.1.253`) and Fuji Xerox, now FUJIFILM
//! Business Innovation (under `1.3.6.1.4.1.297`): one family, since Fuji
//! Xerox built and sold Xerox's designs in Asia-Pacific and both speak the
//! XEROX-COMMON-MIB.
//!
//! The brand is the one sysDescr starts with: `FUJIFILM Apeos C7580` is
//! Fujifilm, `FUJI XEROX ApeosPort-VI C4471` is Fuji Xerox, `Xerox AltaLink
//! C8045` Xerox; failing a brand there, the sysObjectID arc decides (297 Fuji
//! Xerox, 253 Xerox).
//!
//! On top of the standard reading:
//!
//! - model from the IEEE 1284 device ID at `253.8.51.1.2.1.20.1` (`MDL:`,
//!   else the `DES:` up to its first comma), as LibreNMS's `Xerox` OS class
//!   and Observium read it (recorded in `xerox`), else the first part of
//!   sysDescr (up to `;`) after the brand, as LibreNMS's `xerox` definition
//!   parses it, else the standard `hrDeviceDescr`;
//! - page counters from XEROX-HOST-RESOURCES-EXT-MIB `xcmHrDevDetailEntry`
//!   (`253.8.53.13.2.1`), as GLPI Agent's `Xerox.pm` reads them: print total
//!   (`.6.1.20.1`), colour (`.6.1.20.33`) and black (`.6.1.20.34`) prints,
//!   colour (`.6.11.20.25`) and black (`.6.11.20.3`) copies and scans sent by
//!   e-mail (`.6.10.20.11`) and saved to the network (`.6.10.20.12`), which
//!   add up to `scan`; `copy` is the sum of the two copy counts, as GLPI
//!   computes it. GLPI names `.6.1.20.1` the print total, so it is `print`,
//!   and the generic `total` stays `prtMarkerLifeCount`. No recording here
//!   holds these objects; `fixtures/derived/xerox_counters.snmprec` is built
//!   from that structure;
//! - a supply's part number and serial from its description: Xerox writes
//!   `Black Toner, PN 006R01509;SN48178080E0000481` (recorded in `xerox`, where
//!   the peer shows the description as `Black Toner`), with `unknown` where
//!   it has none.
//!
//! Left out: firmware. Xerox's sysDescr lists several component versions
//! (`SS`, `NC`, `UI`, `ME`, ... in the AltaLink; `ESS`, `IOT`, ... in the
//! ApeosPort) and no source read here says which one is the device's
//! firmware; the Samsung-built Xerox objects LibreNMS also reads
//! (`236.11.5.1.1.1.x`) are under Samsung's arc, not this family's.
//!
//! Xerox fault codes (`010-397`, `###-###`) with "fault", "service" or "call"
//! in an alert text are a service call; a code on a jam message is the
//! operator's to clear and stays standard.

use quire_plugins_sdk::counters::{
    COPY, COPY_COLOR, COPY_MONO, PRINT, PRINT_COLOR, PRINT_MONO, SCAN,
};
use quire_plugins_sdk::standard::{
    self, MODEL_FIELDS, device_id_field, set_counter, strip_maker, text_of,
};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Reading, Strategy, StrategyError, StrategyInfo, Supply,
    assessment_by_service_code, match_rules, quire_strategy_info, register_strategy,
};

const DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 253, 8, 51, 1, 2, 1, 20, 1];
/// `xcmHrDevDetailValueInteger`, indexed by the three arcs GLPI appends.
const DETAIL_VALUE: &[u32] = &[1, 3, 6, 1, 4, 1, 253, 8, 53, 13, 2, 1, 6];

/// Counters by the arcs after [`DETAIL_VALUE`]; entries sharing a name add up.
const COUNTERS: [([u32; 3], &str); 7] = [
    ([1, 20, 1], PRINT),
    ([1, 20, 33], PRINT_COLOR),
    ([1, 20, 34], PRINT_MONO),
    ([11, 20, 25], COPY_COLOR),
    ([11, 20, 3], COPY_MONO),
    ([10, 20, 11], SCAN),
    ([10, 20, 12], SCAN),
];

/// Brands as sysDescr spells them first, and as a dealer writes them.
const BRANDS: [(&str, &str); 3] = [
    ("FUJIFILM", "Fujifilm"),
    ("FUJI XEROX", "Fuji Xerox"),
    ("XEROX", "Xerox"),
];

/// The Xerox family strategy.
pub struct Xerox;

impl Strategy for Xerox {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "xerox",
            "Xerox, Fuji Xerox and FUJIFILM devices: model from the 1284 device ID or sysDescr, XEROX-HOST-RESOURCES-EXT-MIB counters, supply part numbers and serials.",
            match_rules(
                &["1.3.6.1.4.1.253", "1.3.6.1.4.1.297"],
                BRANDS.iter().map(|(word, _)| format!("{word} ")),
            ),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let counter_oids = match cycle {
            Cycle::Alerts => Vec::new(),
            _ => counter_oids(),
        };
        let mut objects = vec![DEVICE_ID];
        objects.extend(counter_oids.iter().map(Vec::as_slice));
        standard::prefetch(device, cycle, &objects, &[])?;
        let mut reading = standard::reading(device, cycle)?;
        let descr = reading.identity.sys_descr.clone().unwrap_or_default();
        let brand = brand(&descr).unwrap_or_else(|| {
            let fuji = reading
                .identity
                .sys_object_id
                .as_deref()
                .is_some_and(|oid| oid.starts_with("1.3.6.1.4.1.297."));
            if fuji { "Fuji Xerox" } else { "Xerox" }
        });
        reading.identity.manufacturer = Some(brand.into());
        let device_id = text_of(device, DEVICE_ID)?.unwrap_or_default();
        let model = device_id_field(&device_id, MODEL_FIELDS)
            .or_else(|| {
                device_id_field(&device_id, &["DES", "DESCRIPTION"])
                    .and_then(|des| des.split(',').next().map(|d| d.trim().to_owned()))
            })
            .or_else(|| descr_model(&descr))
            .or(reading.identity.model.take());
        reading.identity.model =
            model.map(|m| strip_maker(m, &[brand, "Fuji Xerox", "FUJIFILM", "Xerox"]));
        if cycle != Cycle::Alerts {
            for (name, value) in counters(device)? {
                set_counter(&mut reading, name, value);
            }
            for supply in &mut reading.supplies {
                split_description(supply);
            }
        }
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| is_fault(text).then_some(90))
    }
}

register_strategy!(Xerox);

/// The brand sysDescr starts with, if any.
fn brand(descr: &str) -> Option<&'static str> {
    let descr = descr.trim_start();
    BRANDS
        .iter()
        .find(|(word, _)| {
            descr
                .get(..word.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(word))
                && descr[word.len()..].starts_with(' ')
        })
        .map(|(_, name)| *name)
}

/// `Xerox AltaLink C8045; SS 100.002...` → `Xerox AltaLink C8045`: the part
/// before the first `;`, when it is more than a brand.
fn descr_model(descr: &str) -> Option<String> {
    let first = descr.split(';').next()?.trim();
    first.contains(' ').then(|| first.to_owned())
}

/// The GLPI counters the device has, with types sharing a name added up and
/// `copy` as the sum of the copy counts.
/// The OID of each of [`COUNTERS`], in its order.
fn counter_oids() -> Vec<Vec<u32>> {
    COUNTERS
        .iter()
        .map(|(index, _)| [DETAIL_VALUE, index.as_slice()].concat())
        .collect()
}

fn counters(device: &Device<'_>) -> Result<Vec<(&'static str, u64)>, StrategyError> {
    let oids = counter_oids();
    let refs: Vec<&[u32]> = oids.iter().map(Vec::as_slice).collect();
    let values = device.get(&refs)?;
    let mut totals: Vec<(&'static str, u64)> = Vec::new();
    for ((_, name), varbind) in COUNTERS.iter().zip(&values) {
        let Some(value) = varbind.value.as_u64() else {
            continue;
        };
        match totals.iter_mut().find(|(n, _)| n == name) {
            Some((_, sum)) => *sum += value,
            None => totals.push((name, value)),
        }
    }
    let copies: Vec<u64> = totals
        .iter()
        .filter(|(name, _)| [COPY_MONO, COPY_COLOR].contains(name))
        .map(|(_, value)| *value)
        .collect();
    if !copies.is_empty() {
        totals.push((COPY, copies.iter().sum()));
    }
    Ok(totals)
}

/// `Black Toner, PN 006R01509;SN48178080E0000481` → description `Black
/// Toner`, part number `006R01509`, serial `48178080E0000481`; `unknown`
/// is no value.
fn split_description(supply: &mut Supply) {
    let Some((name, rest)) = supply.description.split_once(", PN ") else {
        return;
    };
    let known = |value: &str| {
        let value = value.trim();
        (!value.is_empty() && !value.eq_ignore_ascii_case("unknown")).then(|| value.to_owned())
    };
    let (part, serial) = rest.split_once(";SN").unwrap_or((rest, ""));
    supply.part_number = supply.part_number.take().or_else(|| known(part));
    supply.serial = supply.serial.take().or_else(|| known(serial));
    supply.description = name.trim().to_owned();
}

/// A Xerox fault code (`010-397`) on a fault or service message. Jams carry
/// codes too, and are cleared at the device.
fn is_fault(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let says_fault = ["fault", "service", "call"]
        .iter()
        .any(|word| lower.contains(word));
    says_fault && !lower.contains("jam") && has_fault_code(text)
}

/// Whether `text` holds `###-###` with no digit or hyphen either side.
fn has_fault_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    let boundary = |b: Option<&u8>| b.is_none_or(|b| !(b.is_ascii_digit() || *b == b'-'));
    (0..bytes.len()).any(|at| {
        bytes.get(at..at + 7).is_some_and(|w| {
            w[3] == b'-'
                && w[..3].iter().chain(&w[4..]).all(u8::is_ascii_digit)
                && boundary(at.checked_sub(1).and_then(|i| bytes.get(i)))
                && boundary(bytes.get(at + 7))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn brands_from_sysdescr() {
        assert_eq!(brand("FUJIFILM Apeos C7580"), Some("Fujifilm"));
        assert_eq!(
            brand("FUJI XEROX ApeosPort-VI C4471;ESS1.0.217"),
            Some("Fuji Xerox")
        );
        assert_eq!(brand("Xerox AltaLink C8045; SS 100"), Some("Xerox"));
        assert_eq!(brand("XeroxLike thing"), None);
        assert_eq!(brand(""), None);
    }

    #[test]
    fn model_is_the_first_sysdescr_part() {
        assert_eq!(
            descr_model("FUJI XEROX ApeosPort-VI C4471;ESS1.0.217,IOT 52.54.1").as_deref(),
            Some("FUJI XEROX ApeosPort-VI C4471")
        );
        assert_eq!(descr_model("Xerox").as_deref(), None);
    }

    #[test]
    fn fault_codes_on_fault_messages_only() {
        assert_recognises(
            is_fault,
            &[
                "010-397 Fuser fault. Call for service",
                "Fault code 042-325: restart, then call for assistance",
            ],
            &[
                "072-101 Paper jam in tray 2, call operator",
                "093-960 Replace toner cartridge",
                "Service 1234-5678 reference",
                "Call 555-123-4567",
            ],
        );
    }
}
