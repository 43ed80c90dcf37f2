//! Sharp MX and AR devices (`1.3.6.1.4.1.2385`).
//!
//! On top of the standard reading, from Sharp's private MIB
//! (`enterprises.2385`):
//!
//! - model and firmware from the objects LibreNMS's `sharp` os definition
//!   reads (`resources/definitions/os_discovery/sharp.yaml`): hardware at
//!   `2385.2.1.3.2.1.4.13501.1302.1` and version at `2385.2.1.1.2.1.2.1`.
//!   The recorded MX-3570N answers the version (`1.04`) but leaves the
//!   hardware empty, so its model comes from hrDeviceDescr (`SHARP
//!   MX-3570N`). The serial is `prtGeneralSerialNumber`, as that definition
//!   says;
//! - page counters from Sharp's counter table `2385.1.1.19.2.1`: the count
//!   in column `.3`, its name in column `.4`, rows indexed
//!   `<function>.<sub>.<kind>`. The meaning of each index is read off the
//!   names the recorded MX-3570N gives its rows (the same rows and names
//!   LibreNMS's `sharp.json` lists as counters): function 1 prints, 4
//!   copies, 5 totals, 6 the document feeder, 7 network scans, 8 scans and
//!   prints of document filing (the hard disk); kind 60 all pages, 61 black
//!   & white, 63 full colour, 64 two colour, 80 single colour, 75 duplex,
//!   70 originals fed, 50 all scans, 51 black & white scans, 53 full colour
//!   scans, 54 two-colour scans. Two- and single-colour pages count as
//!   colour. The `5.5.*` rows (`Other Count`) and the document-filing
//!   prints are left out: they name nothing a dealer bills. Rows are taken
//!   by index, never by position or by name, since names are localised.
//!
//! `total` stays `prtMarkerLifeCount`: in the recorded MX-3570N it equals the
//! black & white and full colour totals added up (91,164 + 29,940 =
//! 121,104).
//!
//! Sharp's service codes (`H3-00` fuser, `U2-00` memory, `F2-04` process,
//! `L4-01` drive, `E7-03` controller) put a letter, a digit, a hyphen and
//! two characters in the alert text; they are a technician's visit. Of the
//! `E` family only `E7` is taken: we know no source tying the others to a
//! visit.

use quire_plugins_sdk::counters::{
    COLOR, COPY, COPY_COLOR, COPY_MONO, DUPLEX, FEEDER, MONO, PRINT, PRINT_COLOR, PRINT_MONO, SCAN,
    SCAN_COLOR, SCAN_MONO,
};
use quire_plugins_sdk::standard::{self, set_counter, strip_maker, text_of};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Reading, Strategy, StrategyError, StrategyInfo,
    assessment_by_service_code, match_rules, quire_strategy_info, register_strategy,
};

const SHARP_HARDWARE: &[u32] = &[1, 3, 6, 1, 4, 1, 2385, 2, 1, 3, 2, 1, 4, 13501, 1302, 1];
const SHARP_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 2385, 2, 1, 1, 2, 1, 2, 1];
const SHARP_COUNT: &[u32] = &[1, 3, 6, 1, 4, 1, 2385, 1, 1, 19, 2, 1, 3];

/// Counter names by the `<function>.<sub>.<kind>` index of Sharp's counter
/// table. Indexes sharing a name are added up.
const COUNTERS: &[([u32; 3], &str)] = &[
    ([1, 4, 60], PRINT),
    ([1, 4, 61], PRINT_MONO),
    ([1, 4, 63], PRINT_COLOR),
    ([1, 4, 64], PRINT_COLOR),
    ([1, 4, 80], PRINT_COLOR),
    ([1, 4, 75], DUPLEX),
    ([4, 4, 60], COPY),
    ([4, 4, 61], COPY_MONO),
    ([4, 4, 63], COPY_COLOR),
    ([4, 4, 64], COPY_COLOR),
    ([4, 4, 80], COPY_COLOR),
    ([5, 4, 61], MONO),
    ([5, 4, 63], COLOR),
    ([5, 4, 64], COLOR),
    ([5, 4, 80], COLOR),
    ([6, 4, 70], FEEDER),
    ([7, 4, 50], SCAN),
    ([7, 4, 51], SCAN_MONO),
    ([7, 4, 53], SCAN_COLOR),
    ([7, 4, 54], SCAN_COLOR),
    ([8, 4, 50], SCAN),
    ([8, 4, 51], SCAN_MONO),
    ([8, 4, 53], SCAN_COLOR),
    ([8, 4, 54], SCAN_COLOR),
];

/// The Sharp family strategy.
pub struct Sharp;

impl Strategy for Sharp {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "sharp",
            "Sharp MX and AR devices: firmware and the counter table by function and colour.",
            match_rules(&["1.3.6.1.4.1.2385"], ["SHARP MX-", "SHARP AR-"]),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let counts: &[&[u32]] = match cycle {
            Cycle::Alerts => &[],
            _ => &[SHARP_COUNT],
        };
        standard::prefetch(device, cycle, &[SHARP_HARDWARE, SHARP_VERSION], counts)?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        identity.manufacturer = Some("Sharp".into());
        let model = text_of(device, SHARP_HARDWARE)?.or(identity.model.take());
        identity.model = model.map(|m| strip_maker(m, &["Sharp"]));
        identity.firmware = text_of(device, SHARP_VERSION)?;
        if cycle != Cycle::Alerts {
            for (name, value) in counters(device)? {
                set_counter(&mut reading, name, value);
            }
        }
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| is_service_code(text).then_some(90))
    }
}

register_strategy!(Sharp);

/// Counters by index, added up where indexes share a name. Rows with an
/// unknown index, a non-number or a negative value are skipped.
fn counters(device: &Device<'_>) -> Result<Vec<(&'static str, u64)>, StrategyError> {
    let mut totals: Vec<(&'static str, u64)> = Vec::new();
    for vb in device.walk(SHARP_COUNT)? {
        let Some(&[function, sub, kind]) = vb.oid.strip_prefix(SHARP_COUNT) else {
            continue;
        };
        let Some((_, name)) = COUNTERS
            .iter()
            .find(|(index, _)| *index == [function, sub, kind])
        else {
            continue;
        };
        let Some(value) = vb.value.as_u64() else {
            continue;
        };
        match totals.iter_mut().find(|(n, _)| n == name) {
            Some((_, sum)) => *sum = sum.saturating_add(value),
            None => totals.push((name, value)),
        }
    }
    Ok(totals)
}

/// `H3-00`, `U2-00`, `F2-04`, `L4-01`, `E7-03`: Sharp's service codes, a
/// word of their own.
fn is_service_code(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .any(|word| match word.as_bytes() {
            [family, digit, b'-', a, b] => {
                let family = family.to_ascii_uppercase();
                let known = matches!(family, b'H' | b'U' | b'F' | b'L')
                    || (family == b'E' && *digit == b'7');
                known
                    && digit.is_ascii_digit()
                    && a.is_ascii_alphanumeric()
                    && b.is_ascii_alphanumeric()
            }
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn service_codes_by_family() {
        assert_recognises(
            is_service_code,
            &[
                "Call for service. H3-00",
                "U2-00",
                "Trouble F2-04 occurred",
                "L4-01",
                "E7-03",
            ],
            &["E1-00", "MX-3570N", "Toner low"],
        );
    }
}
