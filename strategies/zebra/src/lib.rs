//! Zebra label printers, and the ZebraNet print servers in front of them.
//! A printer with its own network card answers with Zebra's arc
//! (`1.3.6.1.4.1.10642`); a ZebraNet print server answers with the arc of
//! Extended Systems (`1.3.6.1.4.1.683`, ESI-MIB), who built it, and carries
//! the printer's ZEBRA-MIB objects beside its own. Neither has to hold the
//! Printer-MIB: the recorded ZebraNet Wired PS (`librenms/zebra.snmprec`)
//! holds only the system group, the interfaces and Zebra's objects.
//!
//! On top of the standard reading, in the order GLPI Agent's
//! `MibSupport/Zebra.pm` trusts them (its ESI-MIB, ZEBRA-MIB and
//! ZEBRA-QL-MIB objects; LibreNMS's `zebra.yaml` reads the same ESI-MIB ones):
//!
//! - model: ZEBRA-MIB `zbrGeneralModel` (`10642.1.1.0`), else ESI-MIB's
//!   `outputPrinterModel` of the print server's first port
//!   (`683.6.2.3.2.1.15.1`, the model of the printer attached there), else
//!   ZEBRA-QL-MIB's `zql-device-product-name` (`10642.200.19.7.0`), else the
//!   `MODEL` of the IEEE 1284 device ID
//!   the printer serves at `10642.1.3.0` (recorded: `MANUFACTURER:Zebra
//!   Technologies;COMMAND SET:ZPL;...`), else the standard reading's. Zebra's
//!   model names begin with `ZTC` (Zebra Technologies Corporation: `ZTC
//!   140Xi4-203dpi ZPL`, and `MODEL:ZTC ZD611-203dpi ZPL` in LPrint's driver
//!   table), stripped as a maker's name is;
//! - firmware: `zbrGeneralFirmwareVersion` (`10642.1.2.0`), else ESI-MIB's
//!   `genVersion` (`683.1.9.0`);
//! - serial: `zbrGeneralUniqueId` (`10642.1.9.0`), else `10642.200.19.5.0`,
//!   else ESI-MIB's `genSerialNumber` (`683.1.5.0`), else the standard
//!   reading's. ZEBRA-QL-MIB names `10642.200.19.5` `zql-device-friendly-name`
//!   (read-write, no description), not a serial; it is read as the serial
//!   because GLPI Agent's `Zebra.pm` reads it so (its `serial3`, tried before
//!   ESI's: "more accurate than serial on GK420 & ZE500"), which says those
//!   printers answer their serial there. No recording here holds the object
//!   (the recorded ZebraNet print server has none of ZEBRA-QL-MIB's device
//!   group), so nothing here contradicts GLPI; the cost is that a printer
//!   whose friendly name was changed reports that name as its serial;
//! - maker: Zebra, when any of Zebra's objects answered, the device ID names
//!   Zebra or sysDescr says ZebraNet. An ESI print server that shows none of
//!   them fronts another maker's printer, and keeps what the standard reading
//!   found (the maker its printer's description names, else none).
//!
//! Not read: Zebra's label and length odometers (`10642.200.17.*`, recorded:
//! `700918 INCHES, 1780333 CENTIMETERS`), which count media, not the
//! impressions Quire's counters are.

use quire_plugins_sdk::standard::{self, first_of, strip_maker, text_of};
use quire_plugins_sdk::{
    Cycle, Device, Reading, Strategy, StrategyError, StrategyInfo, match_rules,
    quire_strategy_info, register_strategy,
};

const ZBR_GENERAL_MODEL: &[u32] = &[1, 3, 6, 1, 4, 1, 10642, 1, 1, 0];
const ZBR_GENERAL_FIRMWARE_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 10642, 1, 2, 0];
const ZEBRA_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 10642, 1, 3, 0];
const ZBR_GENERAL_UNIQUE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 10642, 1, 9, 0];
const ZQL_SERIAL: &[u32] = &[1, 3, 6, 1, 4, 1, 10642, 200, 19, 5, 0];
const ZQL_PRODUCT_NAME: &[u32] = &[1, 3, 6, 1, 4, 1, 10642, 200, 19, 7, 0];
const ESI_SERIAL: &[u32] = &[1, 3, 6, 1, 4, 1, 683, 1, 5, 0];
const ESI_VERSION: &[u32] = &[1, 3, 6, 1, 4, 1, 683, 1, 9, 0];
const ESI_PRODUCT_NUMBER: &[u32] = &[1, 3, 6, 1, 4, 1, 683, 6, 2, 3, 2, 1, 15, 1];

const ZEBRA: &str = "Zebra";
/// How Zebra's model names begin.
const MODEL_PREFIXES: &[&str] = &["Zebra", "ZTC"];

/// The Zebra family strategy.
pub struct Zebra;

impl Strategy for Zebra {
    fn describe() -> StrategyInfo {
        quire_strategy_info!(
            "zebra",
            "Zebra label printers and ZebraNet print servers: ZEBRA-MIB and ESI-MIB model, firmware and serial.",
            match_rules(&["1.3.6.1.4.1.10642", "1.3.6.1.4.1.683"], ["ZebraNet"]),
        )
    }

    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError> {
        let objects = [
            ZBR_GENERAL_MODEL,
            ZEBRA_DEVICE_ID,
            ESI_PRODUCT_NUMBER,
            ZQL_PRODUCT_NAME,
            ZBR_GENERAL_FIRMWARE_VERSION,
            ESI_VERSION,
            ZBR_GENERAL_UNIQUE_ID,
            ZQL_SERIAL,
            ESI_SERIAL,
        ];
        standard::prefetch(device, cycle, &objects, &[])?;
        let mut reading = standard::reading(device, cycle)?;
        let identity = &mut reading.identity;
        let zebra_model = text_of(device, ZBR_GENERAL_MODEL)?;
        let device_id = text_of(device, ZEBRA_DEVICE_ID)?;
        let device_id_field = |keys: &[&str]| {
            device_id
                .as_deref()
                .and_then(|id| standard::device_id_field(id, keys))
        };
        let names_zebra =
            |text: Option<&str>| text.is_some_and(|t| t.to_ascii_lowercase().contains("zebra"));
        let is_zebra = zebra_model.is_some()
            || names_zebra(device_id_field(&["MANUFACTURER", "MFG"]).as_deref())
            || names_zebra(identity.sys_descr.as_deref());
        let model = first_of(device)
            .or(zebra_model)
            .text(ESI_PRODUCT_NUMBER)
            .text(ZQL_PRODUCT_NAME)
            .or_else(|| device_id_field(standard::MODEL_FIELDS))
            .or(identity.model.take())
            .found()?;
        identity.model = model.map(|m| strip_maker(m, MODEL_PREFIXES));
        identity.firmware = first_of(device)
            .text(ZBR_GENERAL_FIRMWARE_VERSION)
            .text(ESI_VERSION)
            .or(identity.firmware.take())
            .found()?;
        identity.serial = first_of(device)
            .text(ZBR_GENERAL_UNIQUE_ID)
            .text(ZQL_SERIAL)
            .text(ESI_SERIAL)
            .or(identity.serial.take())
            .found()?;
        if is_zebra {
            identity.manufacturer = Some(ZEBRA.into());
        }
        Ok(reading)
    }
}

register_strategy!(Zebra);
