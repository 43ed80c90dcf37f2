//! Lexmark printers and MFPs (sysObjectID under `1.3.6.1.4.1.641`).
//!
//! **SNMP only.** Lexmark devices also speak NPAP (the Network Printing
//! Alliance Protocol, UDP 9300 / TCP 9500), and the host offers the `npap`
//! capability for it, but no public description of its wire format was found
//! (Lexmark's manuals describe only the NPA mode setting; undocprint.org and
//! the trade press only its aims) and no recorded NPAP exchange exists to
//! prove a request on. A strategy that sent guessed bytes could not be tested,
//! so this one reads SNMP and leaves the capability to makers whose protocol
//! is described.
//!
//! On top of the standard reading, as GLPI Agent's `Lexmark.pm` reads them:
//!
//! - model from LEXMARK-MPS-MIB `deviceModel` (`641.6.2.3.1.4.1`), else
//!   LEXMARK-PVT-MIB `prtgenPrinterName` (`641.2.1.2.1.2.1`), else the word
//!   after "Lexmark" in sysDescr (`Lexmark T640 version NS.NP.N219 ...`, as
//!   LibreNMS's `lexmarkprinter` definition parses it) or in `hrDeviceDescr`
//!   (Lexmark puts serial and engine code after the model there, so only the
//!   first word is the model, as GLPI takes it);
//! - serial from the standard MIBs, else `deviceSerial` (`641.6.2.3.1.5.1`),
//!   else `prtgenSerialNo` (`641.2.1.2.1.6.1`);
//! - firmware from `swInventoryRevision` (`641.6.3.3.1.7.1.1`), else
//!   `prtgenCodeRevision` (`641.2.1.2.1.4.1`), else the word after "version"
//!   in sysDescr (LibreNMS).
//!
//! GLPI writes the `prtgenInfoEntry` base as `printer . '1.2.1'`, a dot short
//! of `641.2.1.2.1`; the dotted form is the one other public readers of the
//! same objects use (LibreNMS's `DellLaser` reads column `.3` of that entry
//! on Lexmark-made Dells), so that is the one read here. GLPI marks the two
//! `device*` names as extrapolated. No recording here holds any of these
//! private objects; `fixtures/derived/lexmark_private.snmprec` is built from
//! that structure.
//!
//! Counters: no public source read for this strategy (GLPI's module, LibreNMS's
//! definitions) names a Lexmark private page counter, so the total is the
//! standard `prtMarkerLifeCount` and nothing is guessed beyond it.
//!
//! The Toshiba e-STUDIO305 answers with Lexmark's sysObjectID
//! (`641.2.71107164`, recorded in `toshiba-tec_estudio305`), being a Lexmark
//! engine: [`Lexmark::identify`] declines any device whose sysDescr starts
//! with another maker's name, so that maker's strategy (or the generic one)
//! reads it under its own brand.
//!
//! Lexmark's 9xx codes (`900.00 Firmware Error`, `920.01 Service Fuser`) are
//! its service errors (its PJL reference returns one status code for "all 9xx
//! Service Errors"): an alert text carrying one is a service call.

use quire_plugins_sdk::enterprises;
use quire_plugins_sdk::standard::{self, first_of, strip_maker};
use quire_plugins_sdk::{
    Assessment, Cycle, Device, ErrorInput, Probe, Reading, Strategy, StrategyError, StrategyInfo,
    assessment_by_service_code, match_rules, quire_strategy_info, register_strategy,
    score_by_rules,
};

const DEVICE_MODEL: &[u32] = &[1, 3, 6, 1, 4, 1, 641, 6, 2, 3, 1, 4, 1];
const DEVICE_SERIAL: &[u32] = &[1, 3, 6, 1, 4, 1, 641, 6, 2, 3, 1, 5, 1];
const SW_INVENTORY_REVISION: &[u32] = &[1, 3, 6, 1, 4, 1, 641, 6, 3, 3, 1, 7, 1, 1];
const PRTGEN_PRINTER_NAME: &[u32] = &[1, 3, 6, 1, 4, 1, 641, 2, 1, 2, 1, 2, 1];
const PRTGEN_CODE_REVISION: &[u32] = &[1, 3, 6, 1, 4, 1, 641, 2, 1, 2, 1, 4, 1];
const PRTGEN_SERIAL_NO: &[u32] = &[1, 3, 6, 1, 4, 1, 641, 2, 1, 2, 1, 6, 1];

/// Lexmark's own name for itself in model strings.
const LEXMARK: &str = "Lexmark";

/// The Lexmark family strategy.
pub struct Lexmark;

impl Strategy for Lexmark {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "lexmark",
            "Lexmark printers and MFPs over SNMP: LEXMARK-MPS-MIB and LEXMARK-PVT-MIB model, serial and firmware.",
            match_rules(&["1.3.6.1.4.1.641"], [LEXMARK]),
        )
    }

    fn identify(_device: &Device<'_>, probe: &Probe) -> Option<u32> {
        if other_maker(&probe.sys_descr) {
            return None;
        }
        score_by_rules(&Self::describe().match_rules, probe)
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let objects = [
            DEVICE_MODEL,
            PRTGEN_PRINTER_NAME,
            DEVICE_SERIAL,
            PRTGEN_SERIAL_NO,
            SW_INVENTORY_REVISION,
            PRTGEN_CODE_REVISION,
        ];
        standard::prefetch(device, cycle, &objects, &[])?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        let descr = identity.sys_descr.clone().unwrap_or_default();
        identity.manufacturer = Some(LEXMARK.into());
        let hr_model = identity.model.take();
        let model = first_of(device)
            .text(DEVICE_MODEL)
            .text(PRTGEN_PRINTER_NAME)
            .or_else(|| word_after(&descr, LEXMARK))
            .or_else(|| hr_model.and_then(|m| m.split_whitespace().next().map(str::to_owned)))
            .found()?;
        identity.model = model.map(|m| strip_maker(m, &[LEXMARK]));
        identity.serial = first_of(device)
            .or(identity.serial.take())
            .text(DEVICE_SERIAL)
            .text(PRTGEN_SERIAL_NO)
            .found()?;
        identity.firmware = first_of(device)
            .text(SW_INVENTORY_REVISION)
            .text(PRTGEN_CODE_REVISION)
            .or_else(|| word_after(&descr, "version"))
            .found()?;
        Ok(reading)
    }

    fn map_error(input: &ErrorInput) -> Assessment {
        assessment_by_service_code(input, |text| is_service_error(text).then_some(90))
    }
}

register_strategy!(Lexmark);

/// The word after `key` (`Lexmark T640 version NS.NP.N219` → `T640` after
/// `Lexmark`, `NS.NP.N219` after `version`), keys compared without case.
fn word_after(text: &str, key: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    words
        .by_ref()
        .find(|word| word.eq_ignore_ascii_case(key))
        .and(words.next())
        .map(str::to_owned)
}

/// Whether sysDescr starts with the name of a maker other than Lexmark, as
/// the Lexmark-built Toshiba and Dell devices' do.
fn other_maker(descr: &str) -> bool {
    enterprises::maker_named_in(descr).is_some_and(|maker| maker.brand != LEXMARK)
}

/// A 9xx service error: `900.00`, `920.01`, `980` at a word start, with
/// "service" or "error" in the text so a bare number is not taken for one.
fn is_service_error(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if !(lower.contains("service") || lower.contains("error")) {
        return false;
    }
    text.split(|c: char| c.is_whitespace() || c == ':' || c == ',')
        .any(|word| {
            let (code, sub) = word.split_once('.').unwrap_or((word, ""));
            code.len() == 3
                && code.starts_with('9')
                && code.bytes().all(|b| b.is_ascii_digit())
                && (sub.is_empty()
                    || (sub.len() == 2 && sub.bytes().all(|b| b.is_ascii_alphanumeric())))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_plugins_sdk::harness::assert_recognises;

    #[test]
    fn model_and_version_from_sysdescr() {
        let descr = "Lexmark T640 version NS.NP.N219 kernel 2.6.6 All-N-1";
        assert_eq!(word_after(descr, LEXMARK).as_deref(), Some("T640"));
        assert_eq!(word_after(descr, "version").as_deref(), Some("NS.NP.N219"));
        assert_eq!(word_after("Lexmark", LEXMARK), None);
    }

    #[test]
    fn other_makers_on_lexmark_engines_are_declined() {
        assert_recognises(
            other_maker,
            &[
                "TOSHIBA e-STUDIO305CS version NH63.GM.N639 kernel 3.0.0 All-N-1",
                "Dell S5830dn version NH62.YS.N636",
            ],
            &["Lexmark T640 version NS.NP.N219", "Dellington printer", ""],
        );
    }

    #[test]
    fn service_errors_are_nine_hundreds() {
        assert_recognises(
            is_service_error,
            &[
                "900.00 Firmware Error",
                "920.01 Service Fuser",
                "Service error: 980",
            ],
            &[
                "200.01 Paper Jam",
                "88 Toner Low",
                "920 pages printed",
                "9200 service",
            ],
        );
    }
}
