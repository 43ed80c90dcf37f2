//! Toshiba TEC e-STUDIO devices. Most answer with Toshiba TEC's enterprise
//! arc (`1.3.6.1.4.1.1129`), but the small e-STUDIOs built on Lexmark
//! engines keep Lexmark's sysObjectID: the recorded e-STUDIO305CS says
//! `1.3.6.1.4.1.641.2.71107164` with sysDescr `TOSHIBA e-STUDIO305CS version
//! NH63.GM.N639 kernel 3.0.0 All-N-1`. A Lexmark strategy matches that
//! device by its OID prefix and scores about 107; so `identify` scores
//! [`TOSHIBA_DESCR_SCORE`] (200) whenever sysDescr starts with `TOSHIBA`,
//! and the brand on the device wins. Everything else scores by the match
//! rules as usual.
//!
//! On top of the standard reading:
//!
//! - model, serial and firmware from Toshiba TEC's `bcpDeviceModel`
//!   (`1129.1.2.1.1.1.2.1.0`), `bcpProductNumber` (`1129.1.2.1.1.1.1.1.0`)
//!   and `bcpProductVersion` (`1129.1.2.1.1.1.1.2.0`), as GLPI Agent's
//!   `Toshiba.pm` reads them (glpi-project/glpi-agent,
//!   `lib/GLPI/Agent/SNMP/MibSupport/Toshiba.pm`). Neither recorded
//!   e-STUDIO holds them (both recordings are sysDescr and sysObjectID
//!   only), so `fixtures/derived/toshiba_identity.snmprec` is made from that
//!   list;
//! - otherwise the model and firmware from sysDescr: `TOSHIBA
//!   e-STUDIO2505AC` is the model, and the Lexmark-built ones add `version
//!   <firmware> kernel ...`.
//!
//! Not read: Toshiba's page counters. Community scripts read a table at
//! `1129.2.3.50.1.3.21.6.1` (`<function>.1.<colour>`), but they disagree on
//! what its rows mean, GLPI Agent reads none of it, and no recording here
//! holds it, so Quire keeps `prtMarkerLifeCount` alone until a MIB text or a
//! recording confirms the table.
//!
//! Toshiba's service calls (`C41` thermistor, `C44` fuser, `F100` hard disk)
//! are a `C` and two digits or an `F` and three digits standing as a word of
//! their own in the alert text; they are a technician's visit.

use quire_plugins_sdk::standard::{self, strip_maker, text_of};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Probe, Reading, Strategy, StrategyError, StrategyInfo,
    assessment_by_service_code, match_rules, quire_strategy_info, register_strategy,
    score_by_rules,
};

const BCP_PRODUCT_NUMBER: &[u32] = &[1, 3, 6, 1, 4, 1, 1129, 1, 2, 1, 1, 1, 1, 1, 0];
const BCP_PRODUCT_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 1129, 1, 2, 1, 1, 1, 1, 2, 0];
const BCP_DEVICE_MODEL: &[u32] = &[1, 3, 6, 1, 4, 1, 1129, 1, 2, 1, 1, 1, 2, 1, 0];

/// The score for a device whose sysDescr starts with `TOSHIBA`: above any
/// sysObjectID prefix match of another maker (100 plus one per arc), so a
/// Toshiba on a Lexmark engine is read as a Toshiba.
pub const TOSHIBA_DESCR_SCORE: u32 = 200;

/// The Toshiba family strategy.
pub struct Toshiba;

impl Strategy for Toshiba {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "toshiba",
            "Toshiba TEC e-STUDIO devices, including Lexmark-built ones: model, serial and firmware.",
            match_rules(&["1.3.6.1.4.1.1129"], ["TOSHIBA"]),
        )
    }

    fn identify(_device: &Device<'_>, probe: &Probe) -> Option<u32> {
        let by_rules = score_by_rules(&Self::describe().match_rules, probe);
        if starts_with_toshiba(&probe.sys_descr) {
            by_rules.max(Some(TOSHIBA_DESCR_SCORE))
        } else {
            by_rules
        }
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let objects = [BCP_DEVICE_MODEL, BCP_PRODUCT_NUMBER, BCP_PRODUCT_VERSION];
        standard::prefetch(device, cycle, &objects, &[])?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        let descr = identity.sys_descr.clone().unwrap_or_default();
        identity.manufacturer = Some("Toshiba".into());
        let model = text_of(device, BCP_DEVICE_MODEL)?
            .or(identity.model.take())
            .or_else(|| descr_model(&descr).map(str::to_owned));
        identity.model = model.map(|m| strip_maker(m, &["Toshiba"]));
        identity.serial = text_of(device, BCP_PRODUCT_NUMBER)?.or(identity.serial.take());
        identity.firmware = text_of(device, BCP_PRODUCT_VERSION)?
            .or_else(|| descr_version(&descr).map(str::to_owned));
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| is_service_call(text).then_some(90))
    }
}

register_strategy!(Toshiba);

fn starts_with_toshiba(descr: &str) -> bool {
    descr
        .trim_start()
        .get(..7)
        .is_some_and(|head| head.eq_ignore_ascii_case("TOSHIBA"))
}

/// `TOSHIBA e-STUDIO305CS version NH63.GM.N639 kernel ...` →
/// `TOSHIBA e-STUDIO305CS`: sysDescr up to the word `version`, for devices
/// whose sysDescr starts with the maker.
fn descr_model(descr: &str) -> Option<&str> {
    if !starts_with_toshiba(descr) {
        return None;
    }
    let model = descr.split(" version ").next()?.trim();
    model.contains(' ').then_some(model)
}

/// The word after `version` in sysDescr (`NH63.GM.N639`).
fn descr_version(descr: &str) -> Option<&str> {
    let (_, rest) = descr.split_once(" version ")?;
    rest.split_whitespace().next()
}

/// `C41`, `C44`, `F100`: Toshiba's service-call codes, a word of their own.
fn is_service_call(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| match word.as_bytes() {
            [b'C' | b'c', digits @ ..] if digits.len() == 2 => {
                digits.iter().all(u8::is_ascii_digit)
            }
            [b'F' | b'f', digits @ ..] if digits.len() == 3 => {
                digits.iter().all(u8::is_ascii_digit)
            }
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn model_and_version_from_sysdescr() {
        let lexmark_built = "TOSHIBA e-STUDIO305CS version NH63.GM.N639 kernel 3.0.0 All-N-1";
        assert_eq!(descr_model(lexmark_built), Some("TOSHIBA e-STUDIO305CS"));
        assert_eq!(descr_version(lexmark_built), Some("NH63.GM.N639"));
        assert_eq!(
            descr_model("TOSHIBA e-STUDIO2505AC"),
            Some("TOSHIBA e-STUDIO2505AC")
        );
        assert_eq!(descr_version("TOSHIBA e-STUDIO2505AC"), None);
        assert_eq!(descr_model("Lexmark T640 version NS.NP.N219"), None);
    }

    #[test]
    fn service_calls_are_c_two_digits_or_f_three() {
        assert_recognises(
            is_service_call,
            &["Call for service C41", "F100"],
            &["e-STUDIO2505AC", "C411", "F10", "Paper jam E12"],
        );
    }
}
