//! OKI printers and multifunction devices. Their OkiLAN network board answers
//! with OKI's sysObjectID arc (`1.3.6.1.4.1.2001.1.1.1.1`) and a sysDescr that
//! names the board first and the printer after it (`OKI OkiLAN 9450g
//! Rev.00.69 ... PrintServer: Attached to MC873 Rev.07.87 : Copyright ...`).
//! The recorded MC873 has no `hrDeviceDescr` and no `prtGeneralPrinterName`,
//! so the standard reading finds no model.
//!
//! On top of the standard reading:
//!
//! - model and serial from OKI's private `2001.1.1.1.1.11.1.10.25.0` and
//!   `2001.1.1.1.1.11.1.10.45.0` (GLPI Agent's `MibSupport/Oki.pm`); no
//!   shared recording holds them;
//! - else the model from `MODEL`/`MDL` of the IEEE 1284 device ID the OkiLAN
//!   board serves at `1.3.6.1.4.1.11.2.3.9.1.1.7.0` (HP's JetDirect arc,
//!   which the board emulates; recorded: `MODEL:MC873`);
//! - else, and for the firmware always, the printer part of sysDescr:
//!   `Attached to MC873 Rev.07.87` is model MC873 with firmware 07.87
//!   (LibreNMS reads the same, and states them for this recording). The
//!   board's own `Rev.00.69` is the network firmware, not the printer's.
//!
//! No OKI page counters are read: none is in a shared recording or in the
//! GLPI Agent module, so only the standard `prtMarkerLifeCount` counts.
//!
//! The recording's line 23 (`ifOutUcastPkts`, `6git3159`) is corrupt
//! upstream; the replay skips that varbind and this strategy reads nothing
//! from it.

use quire_plugins_sdk::standard::{self, first_of, strip_maker, text_of};
use quire_plugins_sdk::{
    Cycle, Device, Reading, Strategy, StrategyError, StrategyInfo, match_rules,
    quire_strategy_info, register_strategy,
};

const OKI_MODEL: &[u32] = &[1, 3, 6, 1, 4, 1, 2001, 1, 1, 1, 1, 11, 1, 10, 25, 0];
const OKI_SERIAL: &[u32] = &[1, 3, 6, 1, 4, 1, 2001, 1, 1, 1, 1, 11, 1, 10, 45, 0];
const JETDIRECT_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1, 1, 7, 0];

/// What precedes the printer's model in an OkiLAN sysDescr.
const ATTACHED_TO: &str = "Attached to ";

/// The OKI family strategy.
pub struct Oki;

impl Strategy for Oki {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "oki",
            "OKI printers behind OkiLAN boards: OKI MIB model and serial, else the 1284 device ID and the attached printer named in sysDescr.",
            match_rules(&["1.3.6.1.4.1.2001"], ["OkiLAN"]),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        standard::prefetch(
            device,
            cycle,
            &[OKI_MODEL, JETDIRECT_DEVICE_ID, OKI_SERIAL],
            &[],
        )?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        identity.manufacturer = Some("OKI".into());
        let descr = identity.sys_descr.clone().unwrap_or_default();
        let attached = attached_printer(&descr);
        let model = first_of(device)
            .text(OKI_MODEL)
            .or(identity.model.take())
            .device_id(JETDIRECT_DEVICE_ID, &["MODEL", "MDL"])
            .or_else(|| attached.map(|(model, _)| model.to_owned()))
            .found()?;
        identity.model = model.map(|m| strip_maker(m, &["OKI"]));
        identity.firmware = attached.and_then(|(_, rev)| rev).map(str::to_owned);
        identity.serial = text_of(device, OKI_SERIAL)?.or(identity.serial.take());
        Ok(reading)
    }
}

register_strategy!(Oki);

/// `... Attached to MC873 Rev.07.87 : Copyright ...` → (`MC873`, `07.87`).
fn attached_printer(descr: &str) -> Option<(&str, Option<&str>)> {
    let (_, rest) = descr.split_once(ATTACHED_TO)?;
    let part = rest.split(" : ").next()?.trim();
    let mut words = part.split_whitespace();
    let model = words.next()?;
    let revision = words.find_map(|word| word.strip_prefix("Rev."));
    Some((model, revision.filter(|r| !r.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attached_printer_and_its_revision() {
        let descr = "OKI OkiLAN 9450g Rev.00.69 10/100/1000BASE Ethernet PrintServer: Attached to MC873 Rev.07.87 : Copyright (c) 2015 Oki Data Corporation.";
        assert_eq!(attached_printer(descr), Some(("MC873", Some("07.87"))));
        assert_eq!(attached_printer("Attached to C610"), Some(("C610", None)));
        assert_eq!(attached_printer("OKI OkiLAN 8100e"), None);
        assert_eq!(attached_printer("Attached to "), None);
    }
}
