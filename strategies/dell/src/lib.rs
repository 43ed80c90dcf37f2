//! Dell laser printers and MFPs. Dell built none of them: Lexmark, Fuji Xerox
//! and others made the engines, and each Dell answers partly in its maker's
//! MIB. Most carry Dell's printer arc `1.3.6.1.4.1.674.10898` (both recorded
//! Dells do); GLPI Agent's `Dell.pm` covers only Dell's switches, so the
//! objects here are those LibreNMS reads for its `dell-laser` OS.
//!
//! On top of the standard reading:
//!
//! - model from whichever maker's device-ID string the Dell answers
//!   (`MDL:`, else `MODEL:`), as LibreNMS's `DellLaser` OS class reads them:
//!   Dell's own `674.10898.100.2.1.2.1.3.1` (`COMMAND SET:;MODEL:Dell
//!   S5830dn`, recorded in `dell-laser_s5830dn`), Fuji Xerox's
//!   `253.8.51.10.2.1.7.2.28110202` and Lexmark's `641.2.1.2.1.3.1`; else
//!   the first part of sysDescr (before `version` or `;`). `hrDeviceDescr`
//!   comes last: the Lexmark-built ones put the service tag and engine code
//!   after the model there (`Dell S5830dn 7XQ1R92 LW62.DN4.P636`);
//! - firmware from `674.10898.100.1.1.1.0`, else Lexmark's `641.1.1.1.0`,
//!   else the word after `version` or `Engine` in sysDescr, in LibreNMS's
//!   `dell-laser` definition's order (the S5830dn's `NH62.YS.N636` is in both
//!   its private object and its sysDescr);
//! - the serial is the standard `prtGeneralSerialNumber`, as LibreNMS takes
//!   it (`7XQ1R92-132-13` on the S5830dn).
//!
//! No public source read names a Dell private page counter or supply
//! object, so counters and supplies are the standard reading's, and
//! `map_error` is the standard one: Dell publishes no code list of its own.
//!
//! A Dell may answer with its maker's sysObjectID; [`Dell::identify`] also
//! claims any device whose sysDescr starts with `Dell` and names a printer
//! (`MFP`, `Printer`, `Laser`, LibreNMS's detection rule), and the Lexmark
//! strategy declines those.

use quire_plugins_sdk::standard::{self, MODEL_FIELDS, first_of, strip_maker};
use quire_plugins_sdk::{
    Cycle, Device, Probe, Reading, Strategy, StrategyError, StrategyInfo, match_rules,
    quire_strategy_info, register_strategy, score_by_rules,
};

const DELL_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 674, 10898, 100, 2, 1, 2, 1, 3, 1];
const FUJI_XEROX_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 253, 8, 51, 10, 2, 1, 7, 2, 28110202];
const LEXMARK_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 641, 2, 1, 2, 1, 3, 1];
const DELL_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 674, 10898, 100, 1, 1, 1, 0];
const LEXMARK_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 641, 1, 1, 1, 0];

const DELL: &str = "Dell";

/// The score of a descr-only match, as [`score_by_rules`] gives one.
const DESCR_SCORE: u32 = 50;

/// The Dell printer strategy.
pub struct Dell;

impl Strategy for Dell {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "dell",
            "Dell laser printers and MFPs: model from Dell's, Lexmark's or Fuji Xerox's device ID, firmware from the private version or sysDescr.",
            match_rules(
                &["1.3.6.1.4.1.674.10898"],
                ["Dell Color Laser", "Dell Laser Printer"],
            ),
        )
    }

    fn identify(_device: &Device<'_>, probe: &Probe) -> Option<u32> {
        score_by_rules(&Self::describe().match_rules, probe)
            .or_else(|| dell_printer_descr(&probe.sys_descr).then_some(DESCR_SCORE))
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let objects = [
            DELL_DEVICE_ID,
            FUJI_XEROX_DEVICE_ID,
            LEXMARK_DEVICE_ID,
            DELL_VERSION,
            LEXMARK_VERSION,
        ];
        standard::prefetch(device, cycle, &objects, &[])?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        let descr = identity.sys_descr.clone().unwrap_or_default();
        identity.manufacturer = Some(DELL.into());
        let model = first_of(device)
            .device_id(DELL_DEVICE_ID, MODEL_FIELDS)
            .device_id(FUJI_XEROX_DEVICE_ID, MODEL_FIELDS)
            .device_id(LEXMARK_DEVICE_ID, MODEL_FIELDS)
            .or_else(|| descr_model(&descr))
            .or(identity.model.take())
            .found()?;
        identity.model = model.map(|m| strip_maker(m, &[DELL]));
        identity.firmware = first_of(device)
            .text(DELL_VERSION)
            .text(LEXMARK_VERSION)
            .or_else(|| descr_version(&descr))
            .found()?;
        Ok(reading)
    }
}

register_strategy!(Dell);

/// LibreNMS's detection rule: sysDescr starts with `Dell` and later names an
/// MFP, a printer or a laser.
fn dell_printer_descr(descr: &str) -> bool {
    descr.strip_prefix(DELL).is_some_and(|rest| {
        ["MFP", "Printer", "Laser"]
            .iter()
            .any(|word| rest.contains(word))
    })
}

/// `Dell S5830dn version NH62...` → `Dell S5830dn`; `Dell MFP Laser 3115cn;
/// Net 9.26, ...` → `Dell MFP Laser 3115cn`.
fn descr_model(descr: &str) -> Option<String> {
    let first = descr.split(';').next()?;
    let first = first.split(" version ").next()?.trim();
    first.contains(' ').then(|| first.to_owned())
}

/// The word after `version` or `Engine`, whichever comes first.
fn descr_version(descr: &str) -> Option<String> {
    let words: Vec<&str> = descr.split_whitespace().collect();
    words
        .windows(2)
        .find(|pair| pair[0] == "version" || pair[0] == "Engine")
        .map(|pair| pair[1].trim_end_matches([',', ';']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_and_version_from_either_sysdescr_shape() {
        let lexmark_made = "Dell S5830dn version NH62.YS.N636 kernel 3.0.0 All-N-1";
        assert_eq!(descr_model(lexmark_made).as_deref(), Some("Dell S5830dn"));
        assert_eq!(descr_version(lexmark_made).as_deref(), Some("NH62.YS.N636"));
        let fuji_made = "Dell MFP Laser 3115cn; Net 9.26, Controller 200709110910, Engine 05.09.00";
        assert_eq!(
            descr_model(fuji_made).as_deref(),
            Some("Dell MFP Laser 3115cn")
        );
        assert_eq!(descr_version(fuji_made).as_deref(), Some("05.09.00"));
        assert_eq!(descr_model("Dell"), None);
        assert_eq!(descr_version("Dell Laser Printer 1700n"), None);
    }

    #[test]
    fn dells_on_other_makers_arcs_are_claimed_by_sysdescr() {
        let probe = |oid: &str, descr: &str| Probe {
            sys_object_id: oid.into(),
            sys_descr: descr.into(),
        };
        let device = Device::new(&quire_plugins_sdk::harness::Silent);
        let lexmark_arc = probe("1.3.6.1.4.1.641.2.1", "Dell 1700n Laser Printer");
        assert_eq!(Dell::identify(&device, &lexmark_arc), Some(DESCR_SCORE));
        let switch = probe("1.3.6.1.4.1.674.10895.3000", "Dell Networking N2048");
        assert_eq!(Dell::identify(&device, &switch), None);
    }
}
