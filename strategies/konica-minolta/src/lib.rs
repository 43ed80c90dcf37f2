//! Konica Minolta and Develop, the brand Konica Minolta sells its bizhub
//! engines under as `ineo`. Both answer with Konica Minolta's enterprise
//! arc (`1.3.6.1.4.1.18334`), so no other family competes for them and
//! `identify` keeps the default scoring; the brand is the one sysDescr starts
//! with (`KONICA MINOLTA bizhub C3110`, `Develop ineo  280`).
//!
//! On top of the standard reading, from Konica Minolta's private MIB
//! (`enterprises.18334`):
//!
//! - model and firmware from `18334.1.1.1.1.6.2.1.0` and
//!   `18334.1.1.1.1.6.1.0`, the objects LibreNMS's `konica` os definition
//!   reads (`resources/definitions/os_discovery/konica.yaml`) and GLPI
//!   Agent's `Konica.pm` takes the model from; both are in the recorded
//!   bizhub C3110. That device's private model says `Develop ineo+ 280` while
//!   its sysDescr says `KONICA MINOLTA bizhub C3110` and its hrDeviceDescr
//!   `Generic 28C-1`: the private object is what the peers report, so it
//!   wins, and the maker stays the one sysDescr names;
//! - page counters from GLPI Agent's `Konica.pm` (glpi-project/glpi-agent,
//!   `lib/GLPI/Agent/SNMP/MibSupport/Konica.pm`), under
//!   `18334.1.1.1.5.7.2`: total `.1.1.0`, duplex `.1.3.0`, black copies
//!   `.2.1.5.1.1`, black prints `.2.1.5.1.2`, colour copies `.2.1.5.2.1`,
//!   colour prints `.2.1.5.2.2` and scans `.3.1.5.1`. No shared recording
//!   holds them, so `fixtures/derived/konica_minolta_counters.snmprec` is made
//!   from that list. The device's own total only fills in for a missing
//!   `prtMarkerLifeCount`: where both exist they count the same pages.
//!
//! Konica Minolta's trouble codes (`C2152`, `C-3425`) are service calls: a
//! `C`, an optional hyphen and four digits in an alert text that speaks of
//! trouble or service make the alert a technician's visit whatever its
//! Printer-MIB code says.

use quire_plugins_sdk::counters::{
    COLOR, COPY, COPY_COLOR, COPY_MONO, DUPLEX, MONO, PRINT, PRINT_COLOR, PRINT_MONO, SCAN, TOTAL,
};
use quire_plugins_sdk::standard::{self, set_counter, strip_maker, text_of};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Reading, Strategy, StrategyError, StrategyInfo,
    assessment_by_service_code, match_rules, quire_strategy_info, register_strategy,
};

const KM_MODEL: &[u32] = &[1, 3, 6, 1, 4, 1, 18334, 1, 1, 1, 1, 6, 2, 1, 0];
const KM_FIRMWARE: &[u32] = &[1, 3, 6, 1, 4, 1, 18334, 1, 1, 1, 1, 6, 1, 0];
const KM_COUNTERS: &[u32] = &[1, 3, 6, 1, 4, 1, 18334, 1, 1, 1, 5, 7, 2];

/// Counters under [`KM_COUNTERS`] by the arcs after it, as GLPI Agent's
/// `Konica.pm` names them.
const COUNTERS: &[(&[u32], &str)] = &[
    (&[1, 1, 0], TOTAL),
    (&[1, 3, 0], DUPLEX),
    (&[2, 1, 5, 1, 1], COPY_MONO),
    (&[2, 1, 5, 1, 2], PRINT_MONO),
    (&[2, 1, 5, 2, 1], COPY_COLOR),
    (&[2, 1, 5, 2, 2], PRINT_COLOR),
    (&[3, 1, 5, 1], SCAN),
];

/// Sums of the counters above: (sum, its parts).
const SUMS: &[(&str, &[&str])] = &[
    (COPY, &[COPY_MONO, COPY_COLOR]),
    (PRINT, &[PRINT_MONO, PRINT_COLOR]),
    (MONO, &[COPY_MONO, PRINT_MONO]),
    (COLOR, &[COPY_COLOR, PRINT_COLOR]),
];

/// The brands on Konica Minolta engines as sysDescr starts with them, and as
/// a dealer writes them.
const BRANDS: &[(&str, &str)] = &[("KONICA MINOLTA", "Konica Minolta"), ("DEVELOP", "Develop")];

/// The Konica Minolta family strategy.
pub struct KonicaMinolta;

impl Strategy for KonicaMinolta {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "konica-minolta",
            "Konica Minolta bizhub and Develop ineo devices: private model, firmware and counters by function and colour.",
            match_rules(&["1.3.6.1.4.1.18334"], ["KONICA MINOLTA", "Develop ineo"]),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let counter_oids = match cycle {
            Cycle::Alerts => Vec::new(),
            _ => counter_oids(),
        };
        let mut objects = vec![KM_MODEL, KM_FIRMWARE];
        objects.extend(counter_oids.iter().map(Vec::as_slice));
        standard::prefetch(device, cycle, &objects, &[])?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        let (descr, brand) = standard::brand_by_descr(identity, brand);
        let model = text_of(device, KM_MODEL)?
            .or(identity.model.take())
            .or_else(|| descr_model(&descr));
        identity.model = model.map(|m| strip_maker(m, &[brand, "Konica Minolta"]));
        identity.firmware = text_of(device, KM_FIRMWARE)?;
        if cycle != Cycle::Alerts {
            let has_life_count = reading.counters.iter().any(|c| c.name == TOTAL);
            for (name, value) in counters(device)? {
                if !(name == TOTAL && has_life_count) {
                    set_counter(&mut reading, name, value);
                }
            }
        }
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| is_trouble_code(text).then_some(90))
    }
}

register_strategy!(KonicaMinolta);

/// The brand sysDescr starts with; Konica Minolta when it names none.
fn brand(descr: &str) -> &'static str {
    let upper = descr.trim_start().to_ascii_uppercase();
    BRANDS
        .iter()
        .find(|(word, _)| upper.starts_with(word))
        .map_or("Konica Minolta", |(_, name)| name)
}

/// `Develop ineo  280` → `Develop ineo 280`: sysDescr is the model on devices
/// that expose nothing else, with its doubled spaces closed.
fn descr_model(descr: &str) -> Option<String> {
    let words: Vec<&str> = descr.split_whitespace().collect();
    (words.len() > 1).then(|| words.join(" "))
}

/// The counters the device has, with the sums of those present. Missing
/// objects, non-numbers and negative values are skipped.
/// The OID of each of [`COUNTERS`], in its order.
fn counter_oids() -> Vec<Vec<u32>> {
    COUNTERS
        .iter()
        .map(|(arcs, _)| [KM_COUNTERS, arcs].concat())
        .collect()
}

fn counters(device: &Device<'_>) -> Result<Vec<(&'static str, u64)>, StrategyError> {
    let oids = counter_oids();
    let oids: Vec<&[u32]> = oids.iter().map(Vec::as_slice).collect();
    let answer = device.get(&oids)?;
    let mut found: Vec<(&'static str, u64)> = COUNTERS
        .iter()
        .zip(&answer)
        .filter_map(|((_, name), vb)| Some((*name, vb.value.as_u64()?)))
        .collect();
    for (sum, parts) in SUMS {
        let values: Vec<u64> = parts
            .iter()
            .filter_map(|part| found.iter().find(|(n, _)| n == part).map(|(_, v)| *v))
            .collect();
        if !values.is_empty() {
            found.push((sum, values.iter().fold(0, |a, b| a.saturating_add(*b))));
        }
    }
    Ok(found)
}

/// `Trouble code: C2152`, `Call service C-3425`: a `C`, an optional hyphen
/// and four digits standing as a word of their own, in a text that says
/// trouble or service. The words are required because bizhub model names
/// (`C3110`, `C4050`) have the same shape.
fn is_trouble_code(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let says_so = lower.contains("trouble") || lower.contains("service");
    says_so
        && text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(|word| {
                let Some(rest) = word.strip_prefix(['C', 'c']) else {
                    return false;
                };
                let digits = rest.strip_prefix('-').unwrap_or(rest);
                digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit())
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn brand_and_model_from_sysdescr() {
        assert_eq!(brand("KONICA MINOLTA bizhub C3110"), "Konica Minolta");
        assert_eq!(brand("Konica Minolta bizhub 25e"), "Konica Minolta");
        assert_eq!(brand("Develop ineo  280"), "Develop");
        assert_eq!(brand(""), "Konica Minolta");
        assert_eq!(
            descr_model("Develop ineo  280").as_deref(),
            Some("Develop ineo 280")
        );
        assert_eq!(descr_model("bizhub"), None);
    }

    #[test]
    fn trouble_codes_need_four_digits() {
        assert_recognises(
            is_trouble_code,
            &["Trouble code: C2152", "Call service C-3425"],
            &["bizhub C3110 ready", "Service: C300", "Toner low C4050"],
        );
    }
}
