//! The standard reading every strategy starts from, and the small tools vendor
//! strategies use to put their own objects on top of it.
//!
//! [`reading`] is the whole generic strategy: identity from the system group,
//! Host Resources and ENTITY-MIB, status, the marker's life count, the
//! supplies and the alerts. A vendor strategy calls it, then replaces what its
//! maker's MIB says better (a model name, a serial, counters by function), so
//! it never reads less than the generic strategy would.

use crate::counters::TOTAL;
use crate::enterprises;
use crate::oids::*;
use crate::printer_mib::{self, text};
use crate::{Counter, Cycle, Device, Identity, Reading, SnmpValue, Status, TransportError};

/// The generic reading of a standard printer for one cycle. Discovery reads
/// everything; the meter & supply cycle skips alerts and the alert cycle
/// skips counters and supplies. Identity and status are read every time: they
/// are a few GETs and tell the host which device answered and whether it is up.
///
/// Every column it walks is prefetched first ([`Device::prefetch`], [`columns`]),
/// so its dozen tables cost the exchanges of the longest, not one walk each.
pub fn reading(device: &Device<'_>, cycle: Cycle) -> Result<Reading, TransportError> {
    device.prefetch(&columns(cycle))?;
    let host = printer_mib::host_printer(device)?;
    let mut reading = Reading {
        identity: identity(device, host.descr)?,
        status: Status {
            device: host.device,
            printer: host.printer,
            errors: host.errors,
            console: printer_mib::console_text(device)?,
        },
        ..Reading::default()
    };
    if cycle != Cycle::Alerts {
        if let Some(value) = printer_mib::life_count(device)? {
            set_counter(&mut reading, TOTAL, value);
        }
        reading.supplies = printer_mib::supplies(device)?;
    }
    if cycle != Cycle::MetersAndSupplies {
        reading.alerts = printer_mib::alerts(device)?;
    }
    Ok(reading)
}

/// Reads ahead, before [`reading`], what a family's reading of `cycle` goes
/// on to ask: its maker's `objects` in one GET ([`Device::prefetch_objects`])
/// and its maker's `family_columns` walked beside the standard reading's
/// ([`columns`], [`Device::prefetch`]). The family then asks in whatever order
/// its rules need, one source only if another gave nothing, and the device is
/// asked a few times per read rather than once per source.
pub fn prefetch(
    device: &Device<'_>,
    cycle: Cycle,
    objects: &[&[u32]],
    family_columns: &[&[u32]],
) -> Result<(), TransportError> {
    device.prefetch_objects(objects)?;
    let mut walked = columns(cycle);
    walked.extend_from_slice(family_columns);
    device.prefetch(&walked)
}

/// The columns [`reading`] walks for `cycle`: the Host Resources printer and
/// device tables, the identity's names, serials, firmware and interfaces, the
/// console, then the marker's counters and the supplies unless only alerts are
/// read, and the alerts unless only meters and supplies are.
pub fn columns(cycle: Cycle) -> Vec<&'static [u32]> {
    let mut columns = vec![
        HR_PRINTER_STATUS,
        HR_PRINTER_DETECTED_ERROR_STATE,
        HR_DEVICE_TYPE,
        HR_DEVICE_DESCR,
        HR_DEVICE_STATUS,
        PRT_GENERAL_PRINTER_NAME,
        ENT_PHYSICAL_SERIAL_NUM,
        PRT_GENERAL_SERIAL_NUMBER,
        ENT_PHYSICAL_FIRMWARE_REV,
        ENT_PHYSICAL_SOFTWARE_REV,
        IF_TYPE,
        IF_PHYS_ADDRESS,
        PRT_CONSOLE_DISPLAY_BUFFER_TEXT,
    ];
    if cycle != Cycle::Alerts {
        columns.extend([PRT_MARKER_COUNTER_UNIT, PRT_MARKER_LIFE_COUNT]);
        columns.extend(printer_mib::SUPPLY_COLUMNS);
        columns.push(PRT_MARKER_COLORANT_VALUE);
    }
    if cycle != Cycle::MetersAndSupplies {
        columns.extend(printer_mib::ALERT_COLUMNS);
    }
    columns
}

/// Who the device says it is, from the standard MIBs alone: the maker by
/// sysObjectID's enterprise number ([`enterprises`]), or, behind a print
/// server or on an agent of no printing maker, by the name the printer's
/// description begins with; the model from `hrDeviceDescr` of the printer (`hr_descr`) or
/// `prtGeneralPrinterName`, the serial from ENTITY-MIB or
/// `prtGeneralSerialNumber`, the firmware from ENTITY-MIB's
/// `entPhysicalFirmwareRev`, else `entPhysicalSoftwareRev` (RFC 6933: the
/// vendor's firmware and software revision strings), the only standard
/// objects that hold one; families replace it with their maker's own.
pub fn identity(device: &Device<'_>, hr_descr: Option<String>) -> Result<Identity, TransportError> {
    let system = device.get(&[
        SYS_DESCR,
        SYS_OBJECT_ID,
        SYS_NAME,
        SYS_LOCATION,
        SYS_CONTACT,
    ])?;
    let value = |i: usize| system.get(i).map(|vb| &vb.value);
    let text_at = |i: usize| value(i).and_then(SnmpValue::as_text);
    let object_id = value(1).and_then(SnmpValue::as_oid);
    let model = match hr_descr {
        Some(descr) => Some(descr),
        None => first_text(device, PRT_GENERAL_PRINTER_NAME)?,
    };
    let enterprise = object_id
        .and_then(|oid| oid.strip_prefix(ENTERPRISES)?.first())
        .copied();
    let maker = enterprise
        .and_then(enterprises::by_number)
        .filter(|enterprise| enterprise.kind == enterprises::Kind::Maker);
    let maker = match maker {
        Some(maker) => Some(maker),
        None => {
            let named = model.as_deref().and_then(enterprises::maker_named_in);
            if let Some(named) = named {
                let agent = enterprise.map_or("no enterprise number".to_owned(), |number| {
                    match enterprises::by_number(number) {
                        Some(e) => format!("enterprise {number}, {}", e.registrant),
                        None => format!("enterprise {number}, no printer maker's"),
                    }
                });
                device.note(format!(
                    "maker {} from the printer's description; the SNMP agent's sysObjectID has {agent}",
                    named.brand
                ));
            }
            named
        }
    };
    let model = model.map(|m| strip_maker(m, maker.map_or(&[][..], |e| e.names)));
    let serial = first_of(device)
        .column(ENT_PHYSICAL_SERIAL_NUM)
        .column(PRT_GENERAL_SERIAL_NUMBER)
        .found()?;
    let firmware = first_of(device)
        .column(ENT_PHYSICAL_FIRMWARE_REV)
        .column(ENT_PHYSICAL_SOFTWARE_REV)
        .found()?;
    Ok(Identity {
        manufacturer: maker.map(|e| e.brand.to_owned()),
        model,
        serial,
        mac: printer_mib::mac_address(device)?,
        firmware,
        hostname: text_at(2),
        sys_object_id: object_id.map(|arcs| {
            arcs.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".")
        }),
        sys_descr: text_at(0),
        location: text_at(3),
        contact: text_at(4),
    })
}

/// The first non-empty text in a column (serials and names are per
/// hrDeviceIndex, and the printer is nearly always the first row).
pub fn first_text(device: &Device<'_>, column: &[u32]) -> Result<Option<String>, TransportError> {
    Ok(device
        .walk(column)?
        .iter()
        .find_map(|vb| vb.value.as_bytes().and_then(text)))
}

/// One object's value as display text ([`text`]), `None` when the device has
/// no such object or it is empty.
pub fn text_of(device: &Device<'_>, oid: &[u32]) -> Result<Option<String>, TransportError> {
    Ok(device
        .get_value(oid)?
        .as_ref()
        .and_then(SnmpValue::as_bytes)
        .and_then(text))
}

/// The IEEE 1284 device-ID keys that name the model, as most families read
/// them: `MDL`, the usual key, else `MODEL`, which some boards write.
pub const MODEL_FIELDS: &[&str] = &["MDL", "MODEL"];

/// Looks for one identity value (a model, a serial, a firmware version) among
/// the sources a family trusts, most trusted first. Each source is read only
/// while none before it gave a value, so a device is asked no more than the
/// family needs:
///
/// ```
/// use quire_plugins_sdk::standard::{MODEL_FIELDS, first_of};
/// use quire_plugins_sdk::{Device, Identity, TransportError};
///
/// const PRIVATE_MODEL: &[u32] = &[1, 3, 6, 1, 4, 1, 99999, 1, 0];
/// const DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 99999, 2, 0];
///
/// fn model(device: &Device<'_>, standard: &mut Identity) -> Result<Option<String>, TransportError> {
///     first_of(device)
///         .text(PRIVATE_MODEL)                // the maker's own object
///         .or(standard.model.take())          // what the standard reading found
///         .device_id(DEVICE_ID, MODEL_FIELDS) // the 1284 device ID's model
///         .found()
/// }
/// ```
pub fn first_of<'a, 'd>(device: &'a Device<'d>) -> FirstOf<'a, 'd> {
    FirstOf {
        device,
        found: Ok(None),
    }
}

/// A search begun by [`first_of`]: the value found so far, or the transport
/// error that ended the search (returned by [`FirstOf::found`]).
#[must_use = "the value is only had from `found`"]
pub struct FirstOf<'a, 'd> {
    device: &'a Device<'d>,
    found: Result<Option<String>, TransportError>,
}

impl<'d> FirstOf<'_, 'd> {
    /// The object `oid` as text ([`text_of`]).
    pub fn text(self, oid: &[u32]) -> Self {
        self.read(|device| text_of(device, oid))
    }

    /// The first text in `column` ([`first_text`]).
    pub fn column(self, column: &[u32]) -> Self {
        self.read(|device| first_text(device, column))
    }

    /// The first of `keys` in the IEEE 1284 device ID that the object `oid`
    /// holds ([`device_id_field`]).
    pub fn device_id(self, oid: &[u32], keys: &[&str]) -> Self {
        self.text_with(oid, |id| device_id_field(id, keys))
    }

    /// What `parse` finds in the object `oid`'s text: a version in a banner,
    /// a field of a device ID.
    pub fn text_with(self, oid: &[u32], parse: impl FnOnce(&str) -> Option<String>) -> Self {
        self.read(|device| Ok(text_of(device, oid)?.and_then(|text| parse(&text))))
    }

    /// What `parse` finds in the first text in `column`.
    pub fn column_with(self, column: &[u32], parse: impl FnOnce(&str) -> Option<String>) -> Self {
        self.read(|device| Ok(first_text(device, column)?.and_then(|text| parse(&text))))
    }

    /// A value already at hand, such as the standard reading's.
    pub fn or(self, value: Option<String>) -> Self {
        self.or_else(|| value)
    }

    /// A value worked out without the device, such as one parsed from sysDescr.
    pub fn or_else(self, value: impl FnOnce() -> Option<String>) -> Self {
        self.read(|_| Ok(value()))
    }

    /// Whatever `read` asks the device, for a source none of the above covers.
    pub fn read(
        mut self,
        read: impl FnOnce(&Device<'d>) -> Result<Option<String>, TransportError>,
    ) -> Self {
        if matches!(self.found, Ok(None)) {
            self.found = read(self.device);
        }
        self
    }

    /// The value of the first source that gave one, `None` when none did.
    pub fn found(self) -> Result<Option<String>, TransportError> {
        self.found
    }
}

/// For a family that sells under several names on one engine (Ricoh's Savin,
/// Lanier and Gestetner, Kyocera's UTAX, Konica Minolta's Develop): the brand
/// its `brand` rule finds in sysDescr becomes the manufacturer. Returns the
/// sysDescr and the brand, which the family's other rules read too.
pub fn brand_by_descr(
    identity: &mut Identity,
    brand: impl Fn(&str) -> &'static str,
) -> (String, &'static str) {
    let descr = identity.sys_descr.clone().unwrap_or_default();
    let brand = brand(&descr);
    identity.manufacturer = Some(brand.into());
    (descr, brand)
}

/// `HP Color LaserJet M452nw` → `Color LaserJet M452nw`: the maker is its own
/// field, so the model does not repeat it. Kept whole when nothing would be left.
pub fn strip_maker(model: String, prefixes: &[&str]) -> String {
    prefixes
        .iter()
        .find_map(|prefix| {
            let head = model.get(..prefix.len())?;
            let rest = model[prefix.len()..].trim_start_matches([' ', '_', '-']);
            let at_word_end = model[prefix.len()..].starts_with([' ', '_', '-']);
            (head.eq_ignore_ascii_case(prefix) && at_word_end && !rest.is_empty())
                .then(|| rest.to_owned())
        })
        .unwrap_or(model)
}

/// One field of an IEEE 1284 device ID (`MFG:Hewlett-Packard;MDL:HP Color
/// LaserJet M452nw;...`), the string printers answer to a parallel or USB
/// port's GET_DEVICE_ID and many repeat over SNMP. Keys are compared without
/// case and the first of `keys` present wins (`MDL` and `MODEL` both occur).
pub fn device_id_field(device_id: &str, keys: &[&str]) -> Option<String> {
    let fields: Vec<(&str, &str)> = device_id
        .split(';')
        .filter_map(|field| field.split_once(':'))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect();
    keys.iter().find_map(|wanted| {
        fields
            .iter()
            .find(|(key, value)| key.eq_ignore_ascii_case(wanted) && !value.is_empty())
            .map(|(_, value)| (*value).to_owned())
    })
}

/// Sets the counter `name`, replacing an earlier value of the same name, so a
/// vendor's own figure supersedes the generic one rather than repeating it.
pub fn set_counter(reading: &mut Reading, name: &str, value: u64) {
    match reading.counters.iter_mut().find(|c| c.name == name) {
        Some(counter) => counter.value = value,
        None => reading.counters.push(Counter {
            name: name.to_owned(),
            value,
        }),
    }
}

impl Reading {
    /// The counter called `name`, if the reading has it: what a dealer's meter read
    /// looks up, and what a strategy's tests assert.
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.counters
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_id_fields_by_either_key_ignoring_case() {
        let id = "MFG:Hewlett-Packard;CMD:PJL,PCL;MDL:HP Color LaserJet M452nw;CLS:PRINTER;";
        assert_eq!(
            device_id_field(id, &["MODEL", "MDL"]).as_deref(),
            Some("HP Color LaserJet M452nw")
        );
        assert_eq!(
            device_id_field(id, &["mfg"]).as_deref(),
            Some("Hewlett-Packard")
        );
        assert_eq!(
            device_id_field("COMMAND SET:;MODEL:Dell S5830dn", &["COMMAND SET"]),
            None
        );
        assert_eq!(device_id_field("garbage without fields", &["MDL"]), None);
    }

    /// A recorded printer that counts the walks and GETs asked of it.
    struct Walks {
        printer: crate::harness::Recorded,
        walks: std::cell::Cell<usize>,
        gets: std::cell::Cell<usize>,
    }

    impl crate::Transport for Walks {
        fn get(&self, oids: &[crate::Oid]) -> Result<Vec<crate::Varbind>, TransportError> {
            self.gets.set(self.gets.get() + 1);
            self.printer.get(oids)
        }
        fn get_next(&self, oids: &[crate::Oid]) -> Result<Vec<crate::Varbind>, TransportError> {
            self.printer.get_next(oids)
        }
        fn get_bulk(
            &self,
            non_repeaters: u32,
            max_repetitions: u32,
            oids: &[crate::Oid],
        ) -> Result<Vec<crate::Varbind>, TransportError> {
            self.printer.get_bulk(non_repeaters, max_repetitions, oids)
        }
        fn walk(&self, columns: &[crate::Oid]) -> Result<Vec<crate::ColumnRows>, TransportError> {
            self.walks.set(self.walks.get() + 1);
            self.printer.walk(columns)
        }
    }

    #[test]
    fn the_standard_reading_walks_nothing_it_did_not_prefetch() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/recorded/librenms/jetdirect_m252dw.snmprec"
        );
        for cycle in [Cycle::Discovery, Cycle::MetersAndSupplies, Cycle::Alerts] {
            let printer = Walks {
                printer: crate::harness::Recorded::load(path.as_ref()).unwrap(),
                walks: Default::default(),
                gets: Default::default(),
            };
            let read = reading(&Device::new(&printer), cycle).unwrap();
            assert!(!read.supplies.is_empty() || cycle == Cycle::Alerts);
            let prefetches = columns(cycle)
                .len()
                .div_ceil(crate::walk::BULK_VARBINDS as usize);
            assert_eq!(printer.walks.get(), prefetches, "{cycle:?}: walks");
            assert_eq!(printer.gets.get(), 1, "{cycle:?}: the system group's GET");
        }
    }

    #[test]
    fn first_of_asks_the_device_only_until_a_source_gives_a_value() {
        let silent = Device::new(&crate::harness::Silent);
        let at_hand = || Some("M1".to_owned());
        assert_eq!(
            first_of(&silent).or(at_hand()).text(SYS_NAME).found(),
            Ok(at_hand())
        );
        assert_eq!(
            first_of(&silent).text(SYS_NAME).or(at_hand()).found(),
            Err(TransportError::Timeout)
        );
        let recorded = crate::harness::Recorded::from_snmprec(
            "lab/acme.snmprec",
            "1.3.6.1.4.1.99999.1.0|4|MFG:Acme;MDL:M2;\n1.3.6.1.4.1.99999.2.1|4|Firmware Ver.C\n",
        );
        let device = Device::new(&recorded);
        let model = first_of(&device)
            .text(SYS_NAME)
            .device_id(&[1, 3, 6, 1, 4, 1, 99999, 1, 0], MODEL_FIELDS)
            .or(at_hand())
            .found();
        assert_eq!(model, Ok(Some("M2".into())));
        let version = |text: &str| text.strip_prefix("Firmware Ver.").map(str::to_owned);
        let firmware = first_of(&device)
            .column_with(&[1, 3, 6, 1, 4, 1, 99999, 3], version)
            .column_with(&[1, 3, 6, 1, 4, 1, 99999, 2], version)
            .found();
        assert_eq!(firmware, Ok(Some("C".into())));
    }

    #[test]
    fn the_standard_identity_names_makers_by_enterprise_and_behind_print_servers() {
        let who = |snmprec: &str| {
            let recorded = crate::harness::Recorded::from_snmprec("lab/who.snmprec", snmprec);
            let identity = identity(&Device::new(&recorded), None).unwrap();
            (identity.manufacturer, identity.model, identity.firmware)
        };
        let owned = |s: &str| Some(s.to_owned());
        // SATO (42406) is in no family; its model loses the maker's name.
        assert_eq!(
            who("1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.42406.1\n\
                 1.3.6.1.2.1.43.5.1.1.16.1|4|SATO CL4NX\n\
                 1.3.6.1.2.1.47.1.1.1.1.10.1|4|1.13.2-r1\n"),
            (owned("SATO"), owned("CL4NX"), owned("1.13.2-r1"))
        );
        // An Axis print server (368) in front of a Kyocera: the printer's maker.
        assert_eq!(
            who("1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.368.1.1\n\
                 1.3.6.1.2.1.43.5.1.1.16.1|4|Kyocera FS-1020D\n\
                 1.3.6.1.2.1.47.1.1.1.1.9.1|4|2H0_2F00.002.002\n\
                 1.3.6.1.2.1.47.1.1.1.1.10.1|4|5.20\n"),
            (
                owned("Kyocera"),
                owned("FS-1020D"),
                owned("2H0_2F00.002.002")
            )
        );
        // net-snmp's own arc (8072) and a model naming no maker: none is guessed.
        assert_eq!(
            who(
                "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10\n1.3.6.1.2.1.43.5.1.1.16.1|4|LaserPrinter 9\n"
            ),
            (None, owned("LaserPrinter 9"), None)
        );
    }

    #[test]
    fn makers_are_stripped_at_word_ends_only() {
        let hp = &["HP", "Hewlett-Packard"][..];
        assert_eq!(strip_maker("HP LaserJet 400".into(), hp), "LaserJet 400");
        assert_eq!(strip_maker("HPLaserJet".into(), hp), "HPLaserJet");
        assert_eq!(strip_maker("HP".into(), hp), "HP");
    }

    #[test]
    fn a_counter_set_twice_is_replaced() {
        let mut reading = Reading::default();
        set_counter(&mut reading, "total", 5);
        set_counter(&mut reading, "total", 7);
        set_counter(&mut reading, "mono", 3);
        let counters: Vec<_> = reading
            .counters
            .iter()
            .map(|c| (c.name.as_str(), c.value))
            .collect();
        assert_eq!(counters, [("total", 7), ("mono", 3)]);
    }
}
